package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/rollcd/roll/internal/tlstest"
)

// tlsGateway is a test gateway with its TLS listener, and the CA its certificates come from.
type tlsGateway struct {
	*testGateway
	TLSAddr string
	CA      *tlstest.CA
}

// newTLSGateway serves a gateway whose TLS settings mod sets (Listen is filled in), with
// certificates the test wrote from ca.
func newTLSGateway(t testing.TB, ca *tlstest.CA, mod func(*Config)) *tlsGateway {
	t.Helper()
	cfg := Config{AdminToken: testToken, TLS: &TLSConfig{Listen: "127.0.0.1:0"}}
	mod(&cfg)
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var ls [3]net.Listener
	for i := range ls {
		if ls[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.ServeTLS(ctx, ls[0], ls[1], ls[2]) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway ServeTLS: %v", err)
		}
	})
	return &tlsGateway{
		testGateway: &testGateway{Gateway: g, URL: "http://" + ls[0].Addr().String(), AdminURL: "http://" + ls[2].Addr().String()},
		TLSAddr:     ls[1].Addr().String(),
		CA:          ca,
	}
}

// client returns an HTTPS client that trusts the test CA and reaches the TLS listener for every
// host name, so URLs can name the host the certificate is for. h2 says which protocol it
// insists on: HTTP/2, or HTTP/1.1 alone.
func (g *tlsGateway) client(t testing.TB, h2 bool, certs ...tls.Certificate) *http.Client {
	t.Helper()
	var p http.Protocols
	p.SetHTTP1(!h2)
	p.SetHTTP2(h2)
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: g.CA.Pool(), Certificates: certs},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, g.TLSAddr)
		},
		Protocols: &p,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// handshake connects to the TLS listener with server name sni ("" sends none) and returns the
// certificate the gateway served, unverified.
func (g *tlsGateway) handshake(t testing.TB, sni string) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", g.TLSAddr, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("handshake with SNI %q: %v", sni, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}
