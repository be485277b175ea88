package gateway

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/internal/tlstest"
	"github.com/rollcd/roll/pkg/admin"
)

// Certificates are replaced under load without a failed request: a changed file is picked up
// by the periodic check; a bad one (garbage, a key of another certificate) is refused with an
// error naming the file while the last good certificate goes on serving; a fixed one loads again.
func TestTLSReloadUnderLoad(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	first := ca.Server(t, time.Time{}, "shop.test")
	certFile, keyFile := first.Write(t, dir, "shop")
	g := newTLSGateway(t, ca, func(c *Config) {
		c.TLS.Certs = []CertFiles{{Cert: certFile, Key: keyFile}}
		c.TLS.ReloadInterval = 20 * time.Millisecond
	})
	nb := startNameBackend(t, "web")
	mustPut(t, g.testGateway, httpService("web"))
	mustAdd(t, g.testGateway, "web", admin.BackendSpec{Name: "web", Address: nb.addr()})

	// Load: every request on a new connection, so every one is a handshake with the certificate
	// served at that moment, verified against the CA and the name.
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.Pool()},
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, g.TLSAddr)
		},
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var served, failed atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get("https://shop.test/")
				if err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || string(body) != "web" {
						err = fmt.Errorf("%d %q", resp.StatusCode, body)
					}
				}
				if err != nil {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
					continue
				}
				served.Add(1)
			}
		}()
	}
	serial := func() string { return g.handshake(t, "shop.test").SerialNumber.String() }
	waitServed := func(n int64) {
		t.Helper()
		target := served.Load() + n
		eventually(t, 20*time.Second, fmt.Sprintf("%d more requests served", n), func() bool { return served.Load() >= target })
	}

	waitServed(20)
	second := ca.Server(t, time.Time{}, "shop.test")
	second.Write(t, dir, "shop")
	eventually(t, 10*time.Second, "the new certificate served", func() bool { return serial() == second.Leaf.SerialNumber.String() })
	waitServed(20)

	tlstest.WriteFile(t, certFile, []byte("-----BEGIN CERTIFICATE-----\ngarbage\n"))
	err := g.ReloadCertificates()
	if err == nil || !strings.Contains(err.Error(), certFile) {
		t.Errorf("reload of a garbage certificate: %v, want an error naming %s", err, certFile)
	}
	waitServed(20)
	if got := serial(); got != second.Leaf.SerialNumber.String() {
		t.Errorf("after a bad file: serial %s served, want the last good %s", got, second.Leaf.SerialNumber)
	}
	other := ca.Server(t, time.Time{}, "shop.test")
	tlstest.WriteFile(t, certFile, other.CertPEM) // its key not yet written: a pair caught mid-update
	if err := g.ReloadCertificates(); err == nil || !strings.Contains(err.Error(), keyFile) {
		t.Errorf("reload of a certificate with another's key: %v, want an error naming %s", err, keyFile)
	}
	waitServed(20)
	tlstest.WriteFile(t, keyFile, other.KeyPEM)
	eventually(t, 10*time.Second, "the fixed certificate served", func() bool { return serial() == other.Leaf.SerialNumber.String() })
	waitServed(20)

	close(stop)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d of %d requests failed during the reloads; first: %v", n, n+served.Load(), firstFailure.Load())
	}
	t.Logf("%d requests, each on its own TLS connection, none failed", served.Load())
}
