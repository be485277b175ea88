package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/internal/tlstest"
	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/ajp"
)

// shopGateway serves shop.test over TLS with optional client certificates from the test CA.
func shopGateway(t *testing.T, mod func(*Config)) *tlsGateway {
	t.Helper()
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	ca.Server(t, time.Time{}, "shop.test").Write(t, dir, "shop")
	caFile := filepath.Join(t.TempDir(), "clients.pem")
	tlstest.WriteFile(t, caFile, ca.PEM())
	return newTLSGateway(t, ca, func(c *Config) {
		c.TLS.CertDir = dir
		c.TLS.ClientAuth, c.TLS.ClientCAFile = ClientAuthOptional, caFile
		if mod != nil {
			mod(c)
		}
	})
}

// An HTTP backend learns the scheme from X-Forwarded-Proto, which the gateway sets from the
// connection the request came on, whatever the client claimed, over HTTP/1.1 and HTTP/2.
func TestTLSForwardedProtoToHTTPBackend(t *testing.T) {
	g := shopGateway(t, nil)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "proto=%q host=%q ssl=%q", r.Header.Values("X-Forwarded-Proto"), r.Header.Values("X-Forwarded-Host"), r.Header.Values("X-Forwarded-Ssl"))
	}))
	t.Cleanup(backend.Close)
	mustPut(t, g.testGateway, httpService("web"))
	mustAdd(t, g.testGateway, "web", admin.BackendSpec{Name: "web", Address: backend.Listener.Addr().String()})

	ask := func(c *http.Client, url string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("X-Forwarded-Proto", "http")
		req.Header.Add("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-Ssl", "on")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	for _, h2 := range []bool{false, true} {
		if got, want := ask(g.client(t, h2), "https://shop.test/"), `proto=["https"] host=["shop.test"] ssl=[]`; got != want {
			t.Errorf("over TLS (h2 %v): backend saw %s, want %s", h2, got, want)
		}
	}
	if got, want := ask(http.DefaultClient, g.URL+"/"), `proto=["http"]`; !strings.HasPrefix(got, want) {
		t.Errorf("over plain HTTP: backend saw %s, want %s", got, want)
	}
}

// Over AJP, a request that came over TLS carries what mod_jk sends: is_ssl, the cipher and its
// key size, AJP_SSL_PROTOCOL, a session id that is the same on one connection and another on the
// next, the server port the client used, and the client certificate the handshake verified.
func TestTLSSSLFieldsOverAJP(t *testing.T) {
	g := shopGateway(t, nil)
	seen := make(chan *ajp.ForwardRequest, 8)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &ajp.Server{Secret: ajpSecret, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/app/x" { // not the health checks
			f := *ajp.ForwardRequestOf(r)
			seen <- &f
		}
		io.WriteString(w, "ok")
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	mustPut(t, g.testGateway, ajpService("app"))
	mustAdd(t, g.testGateway, "app", admin.BackendSpec{Name: "a", Address: l.Addr().String()})

	get := func(c *http.Client, url, host string) *ajp.ForwardRequest {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		req.Host = host
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", url, resp.StatusCode)
		}
		return <-seen
	}
	client := g.CA.Client(t, "alice")
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2=%v", h2), func(t *testing.T) {
			c := g.client(t, h2, client.TLS(t))
			f := get(c, "https://shop.test/app/x", "")
			if !f.IsSSL || f.ServerName != "shop.test" || f.ServerPort != 443 || f.SSLKeySize != 128 || f.SSLCipher != "TLS_AES_128_GCM_SHA256" {
				t.Errorf("is_ssl %v server %s:%d cipher %q key size %d, want true shop.test:443 TLS_AES_128_GCM_SHA256 128",
					f.IsSSL, f.ServerName, f.ServerPort, f.SSLCipher, f.SSLKeySize)
			}
			if attr(f, ajp.AttrSSLProtocol) != "TLSv1.3" {
				t.Errorf("AJP_SSL_PROTOCOL %q, want TLSv1.3", attr(f, ajp.AttrSSLProtocol))
			}
			if len(f.SSLSession) != 64 {
				t.Errorf("ssl_session %q, want 64 hex digits", f.SSLSession)
			}
			block, _ := pem.Decode([]byte(f.SSLCert))
			if block == nil {
				t.Fatalf("ssl_cert %q is not PEM", f.SSLCert)
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil || cert.Subject.CommonName != "alice" {
				t.Fatalf("ssl_cert: %v, subject %v, want alice", err, cert.Subject)
			}
			if again := get(c, "https://shop.test/app/x", "shop.test:8443"); again.SSLSession != f.SSLSession || again.ServerPort != 8443 {
				t.Errorf("second request on the connection: session %q port %d, want %q 8443", again.SSLSession, again.ServerPort, f.SSLSession)
			}
			if other := get(g.client(t, h2), "https://shop.test/app/x", ""); other.SSLSession == f.SSLSession || other.SSLCert != "" {
				t.Errorf("another connection without a certificate: session %q (first %q), cert %q", other.SSLSession, f.SSLSession, other.SSLCert)
			}
		})
	}
	// Plain HTTP: nothing of TLS.
	resp, err := http.Get(g.URL + "/app/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if f := <-seen; f.IsSSL || f.SSLCipher != "" || f.SSLSession != "" || f.SSLKeySize != -1 || attr(f, ajp.AttrSSLProtocol) != "" {
		t.Errorf("plain request: is_ssl %v cipher %q session %q key size %d", f.IsSSL, f.SSLCipher, f.SSLSession, f.SSLKeySize)
	}
}

// A client certificate is only ever one the handshake verified: one from another CA ends the
// handshake; with require, a client without one cannot connect.
func TestTLSClientCertificateChecked(t *testing.T) {
	g := shopGateway(t, nil)
	stranger := tlstest.NewCA(t).Client(t, "mallory")
	conf := &tls.Config{ServerName: "shop.test", RootCAs: g.CA.Pool(), Certificates: []tls.Certificate{stranger.TLS(t)}}
	if conn, err := tls.Dial("tcp", g.TLSAddr, conf); err == nil {
		// TLS 1.3: the server's verdict on the client certificate comes with the first read.
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("a client certificate from an unknown CA: %v, want the handshake refused", err)
		}
	}
	req := shopGateway(t, func(c *Config) { c.TLS.ClientAuth = ClientAuthRequire })
	conn, err := tls.Dial("tcp", req.TLSAddr, &tls.Config{ServerName: "shop.test", RootCAs: req.CA.Pool()})
	if err == nil {
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("require without a client certificate: %v, want the handshake refused", err)
	}
}

func attr(f *ajp.ForwardRequest, name string) string {
	for _, a := range f.ReqAttributes {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}
