package ajp_test

import (
	"context"
	"crypto/tls"
	"testing"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

// A request that came over TLS goes out as mod_jk sends one: is_ssl, the cipher and its key
// size, the session id and client certificate the gateway knows, and AJP_SSL_PROTOCOL. One that
// a trusted proxy says was https (info.IsSSL only) carries is_ssl alone: the gateway knows
// nothing of that connection's cipher.
func TestTransportForwardSSLFields(t *testing.T) {
	packets := make(chan *ajp.ForwardRequest, 1)
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for {
			f, _, err := c.ReadRequest()
			if err != nil {
				return
			}
			packets <- f
			c.Respond(200, "", true)
		}
	})
	tr := &ajp.Transport{}
	const pemCert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	for _, tc := range []struct {
		name    string
		state   *tls.ConnectionState
		info    ajp.RequestInfo
		cipher  string
		keySize int
		proto   string
	}{
		{"TLS 1.3 AES-128", &tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256},
			ajp.RequestInfo{IsSSL: true, SSLSession: "ab12", SSLCert: pemCert}, "TLS_AES_128_GCM_SHA256", 128, "TLSv1.3"},
		{"TLS 1.2 ChaCha20", &tls.ConnectionState{Version: tls.VersionTLS12, CipherSuite: tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
			ajp.RequestInfo{IsSSL: true, SSLSession: "cd34"}, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 256, "TLSv1.2"},
		{"TLS 1.3 AES-256", &tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_256_GCM_SHA384},
			ajp.RequestInfo{IsSSL: true}, "TLS_AES_256_GCM_SHA384", 256, "TLSv1.3"},
		{"https said by a trusted proxy", nil, ajp.RequestInfo{IsSSL: true, SSLSession: "ignored", SSLCert: "ignored"}, "", -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(t, "GET", "/app/", nil)
			req.TLS = tc.state
			if err := tr.Forward(context.Background(), b.Addr, req, tc.info, newRecorder()); err != nil {
				t.Fatal(err)
			}
			f := <-packets
			wantSession, wantCert := tc.info.SSLSession, tc.info.SSLCert
			if tc.state == nil {
				wantSession, wantCert = "", ""
			}
			if !f.IsSSL || f.SSLCipher != tc.cipher || f.SSLKeySize != tc.keySize || f.SSLSession != wantSession || f.SSLCert != wantCert {
				t.Errorf("is_ssl %v cipher %q key size %d session %q cert %q, want true %q %d %q %q",
					f.IsSSL, f.SSLCipher, f.SSLKeySize, f.SSLSession, f.SSLCert, tc.cipher, tc.keySize, wantSession, wantCert)
			}
			got, sent := "", false
			for _, a := range f.ReqAttributes {
				if a.Name == ajp.AttrSSLProtocol {
					got, sent = a.Value, true
				}
			}
			if sent != (tc.proto != "") || got != tc.proto {
				t.Errorf("AJP_SSL_PROTOCOL %q (sent %v), want %q", got, sent, tc.proto)
			}
		})
	}
}
