package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/x509roots/fallback/bundle"

	"github.com/rollcd/roll/internal/tlstest"
	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/internal/pebbletest"
)

// acmeGateway serves a gateway whose TLS listener is tlsL until the returned stop is called.
func acmeGateway(t *testing.T, tlsL net.Listener, acme *ACMEConfig) (*testGateway, func()) {
	t.Helper()
	g, err := New(Config{AdminToken: testToken, TLS: &TLSConfig{Listen: tlsL.Addr().String(), ACME: acme, ReloadInterval: -1}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	pub, adm := listenLoopback(t), listenLoopback(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.ServeTLS(ctx, pub, tlsL, adm) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("gateway ServeTLS: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return &testGateway{Gateway: g, URL: "http://" + pub.Addr().String(), AdminURL: "http://" + adm.Addr().String()}, stop
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// ACME against a real ACME server (Pebble, with its own CA): the gateway gets the certificate of
// its host at start through tls-alpn-01 on its own TLS listener, serves requests with it, renews
// it before it expires without a restart, keeps it in the cache directory, and after a restart
// serves it from there even with the ACME server gone.
func TestACMEIssuesAndRenewsWithPebble(t *testing.T) {
	tlsL := listenLoopback(t)
	port := tlsL.Addr().(*net.TCPAddr).Port
	pebble := pebbletest.Start(t, pebbletest.Options{TLSPort: port, Validity: 15 * time.Second})
	cache := t.TempDir()
	acme := &ACMEConfig{Hosts: []string{"shop.test"}, DirectoryURL: pebble.DirectoryURL, CARootsFile: pebble.CARootsFile, CacheDir: cache}
	g, stop := acmeGateway(t, tlsL, acme)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "from the app") }))
	t.Cleanup(backend.Close)
	mustPut(t, g, httpService("web"))
	mustAdd(t, g, "web", admin.BackendSpec{Name: "w", Address: backend.Listener.Addr().String()})

	roots := pebble.Roots(t)
	addr := tlsL.Addr().String()
	served := func(addr string) *x509.Certificate {
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "shop.test", RootCAs: roots})
		if err != nil {
			return nil // not issued yet: the handshake fails without a certificate
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0]
	}
	var first *x509.Certificate
	eventually(t, 60*time.Second, "a certificate from Pebble for shop.test", func() bool { first = served(addr); return first != nil })
	if first.DNSNames[0] != "shop.test" {
		t.Fatalf("issued for %v", first.DNSNames)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	t.Cleanup(client.CloseIdleConnections)
	resp, err := client.Get("https://shop.test/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "from the app" || resp.ProtoMajor != 2 {
		t.Fatalf("a request over the ACME certificate: %s %d %q", resp.Proto, resp.StatusCode, body)
	}

	// A third of a 15 s lifetime before it ends, autocert renews: a new serial, no restart.
	var renewed *x509.Certificate
	eventually(t, 30*time.Second, "the renewed certificate", func() bool {
		renewed = served(addr)
		return renewed != nil && renewed.SerialNumber.Cmp(first.SerialNumber) != 0
	})
	var st struct {
		TLS tlsStatus `json:"tls"`
	}
	if err := json.Unmarshal([]byte(adminGet(t, g, "/status.json")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.TLS.ACME) != 1 || st.TLS.ACME[0].Host != "shop.test" || st.TLS.ACME[0].NotAfter == nil || st.TLS.ACME[0].Error != "" {
		t.Errorf("status.json acme %+v", st.TLS.ACME)
	}
	if m := adminGet(t, g, "/metrics"); !strings.Contains(m, `roll_tls_certificate_expiry_timestamp_seconds{cert="acme",names="shop.test"}`) {
		t.Error("/metrics lacks the ACME certificate's expiry")
	}
	if page := adminGet(t, g, "/status"); !strings.Contains(page, "shop.test</span><span class=\"tag\">ACME") {
		t.Error("the status page lacks the ACME host")
	}
	if _, err := os.Stat(filepath.Join(cache, "shop.test")); err != nil {
		t.Errorf("the certificate is not in the cache: %v", err)
	}

	// Restart with the ACME server gone: the cached certificate serves at once.
	stop()
	pebble.Stop()
	tlsL2 := listenLoopback(t)
	acmeGateway(t, tlsL2, acme)
	var again *x509.Certificate
	eventually(t, 10*time.Second, "the cached certificate after a restart", func() bool { again = served(tlsL2.Addr().String()); return again != nil })
	if again.NotAfter.Before(renewed.NotAfter) {
		t.Errorf("after the restart: a certificate valid until %s, older than the renewed one (%s)", again.NotAfter, renewed.NotAfter)
	}
}

// An ACME server that never answers costs no more than the handshake timeout to a client of an
// ACME host, nothing to the names served from files, and nothing to the gateway's shutdown.
func TestACMEServerThatNeverAnswers(t *testing.T) {
	silent := listenLoopback(t)
	var mu sync.Mutex
	var held []net.Conn // read by nobody: the ACME client waits for a TLS answer
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		silent.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := ca.Server(t, time.Time{}, "files.test").Write(t, dir, "files")
	tlsL := listenLoopback(t)
	g, err := New(Config{AdminToken: testToken, TLS: &TLSConfig{
		Listen: tlsL.Addr().String(), Certs: []CertFiles{{Cert: certFile, Key: keyFile}}, HandshakeTimeout: 300 * time.Millisecond,
		ACME: &ACMEConfig{Hosts: []string{"shop.test"}, DirectoryURL: "https://" + silent.Addr().String() + "/dir", CacheDir: t.TempDir()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.ServeTLS(ctx, listenLoopback(t), tlsL, listenLoopback(t)) }()

	start := time.Now()
	if conn, err := tls.Dial("tcp", tlsL.Addr().String(), &tls.Config{ServerName: "shop.test", InsecureSkipVerify: true}); err == nil {
		conn.Close()
		t.Fatal("a handshake for an ACME host without a certificate succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the handshake for the ACME host took %s, want about the 300 ms handshake timeout", d)
	}
	conn, err := tls.Dial("tcp", tlsL.Addr().String(), &tls.Config{ServerName: "files.test", RootCAs: ca.Pool()})
	if err != nil {
		t.Fatalf("a name served from files, while ACME waits: %v", err)
	}
	conn.Close()
	if st := g.tlsStatus(); len(st.ACME) != 1 || st.ACME[0].NotAfter != nil {
		t.Errorf("status acme %+v, want shop.test not issued", st.ACME)
	}
	start = time.Now()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeTLS: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %s while an issuance hung", d)
	}
}

// Without --acme-ca-roots the ACME client trusts Mozilla's roots where the system has none (the
// FROM scratch image): every root of the bundle verifies against the pool the gateway installs,
// which it builds only when ACME is on.
func TestFallbackRootsHoldTheBundle(t *testing.T) {
	pool := fallbackRoots()
	n := 0
	for r := range bundle.Roots() {
		cert, err := x509.ParseCertificate(r.Certificate)
		if err != nil {
			t.Fatalf("a root of the bundle does not parse: %v", err)
		}
		if r.Constraint != nil || time.Now().After(cert.NotAfter) {
			continue
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("root %q does not verify against the fallback pool: %v", cert.Subject.CommonName, err)
		}
		n++
	}
	if n < 100 {
		t.Errorf("%d unconstrained roots checked, want the bundle's 100 and more", n)
	}
}
