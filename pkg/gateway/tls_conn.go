package gateway

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/pem"
	"net"
	"net/http"

	"github.com/rollcd/roll/pkg/ajp"
)

// tlsDetails is what Tomcat learns of a client's TLS connection beyond the request's
// tls.ConnectionState, worked out once per connection rather than per request.
type tlsDetails struct {
	// sessionID stands for mod_ssl's SSL_SESSION_ID, which crypto/tls does not expose: 32 bytes
	// exported from the connection's keys under roll's own label (RFC 5705/8446), in hex. It is
	// unique per connection and says nothing of the keys themselves. Empty on a TLS 1.2
	// connection without extended master secret, where exporting is unsafe.
	sessionID string
	// clientCert is the client's certificate in PEM, as mod_ssl's SSL_CLIENT_CERT: only ever one
	// the handshake verified against the client CAs.
	clientCert string
}

type tlsDetailsKey struct{}

// tlsExporterLabel is the RFC 5705 label of the session id; nothing else derives keys with it.
const tlsExporterLabel = "EXPORTER-roll-ssl-session-id"

// tlsConnContext is the ConnContext of the servers behind the TLS front door, whose
// connections arrive with their handshake done.
func tlsConnContext(ctx context.Context, nc net.Conn) context.Context {
	tc, ok := nc.(*tls.Conn)
	if !ok {
		return ctx
	}
	st := tc.ConnectionState()
	d := &tlsDetails{}
	if id, err := st.ExportKeyingMaterial(tlsExporterLabel, nil, 32); err == nil {
		d.sessionID = hex.EncodeToString(id)
	}
	if len(st.VerifiedChains) > 0 && len(st.PeerCertificates) > 0 {
		d.clientCert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: st.PeerCertificates[0].Raw}))
	}
	return context.WithValue(ctx, tlsDetailsKey{}, d)
}

// addTLSDetails puts the connection's session id and client certificate into what Tomcat sees
// of a request that came over the gateway's TLS listener.
func addTLSDetails(r *http.Request, info *ajp.RequestInfo) {
	if d, ok := r.Context().Value(tlsDetailsKey{}).(*tlsDetails); ok {
		info.SSLSession, info.SSLCert = d.sessionID, d.clientCert
	}
}
