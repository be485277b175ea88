package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// With RedirectHTTP the plain listener sends every request to the same URL over https, on the
// public TLS port, with a 308 that keeps the method; nothing reaches a backend.
func TestTLSRedirectsPlainHTTP(t *testing.T) {
	g := shopGateway(t, func(c *Config) { c.TLS.RedirectHTTP, c.TLS.HTTPSPort = true, 8443 })
	var hits atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "roll-gateway-health" {
			hits.Add(1)
		}
	}))
	t.Cleanup(backend.Close)
	mustPut(t, g.testGateway, httpService("web"))
	mustAdd(t, g.testGateway, "web", admin.BackendSpec{Name: "w", Address: backend.Listener.Addr().String()})

	for _, tc := range []struct{ method, host, target, want string }{
		{"GET", "shop.test", "/a/b?c=1&d", "https://shop.test:8443/a/b?c=1&d"},
		{"POST", "shop.test:8080", "/form", "https://shop.test:8443/form"},
		{"GET", "[::1]:8080", "/", "https://[::1]:8443/"},
		{"OPTIONS", "shop.test", "*", "https://shop.test:8443/"},
	} {
		resp, _ := rawRequest(t, g.testGateway, tc.method+" "+tc.target+" HTTP/1.1\r\nHost: "+tc.host+"\r\nContent-Length: 0\r\n\r\n")
		if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != tc.want {
			t.Errorf("%s %s (Host %s): %d Location %q, want 308 %q", tc.method, tc.target, tc.host, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the backend got %d requests from the redirecting listener", n)
	}
	// Port 443 is left out of the URL.
	g = shopGateway(t, func(c *Config) { c.TLS.RedirectHTTP = true })
	if resp, _ := rawRequest(t, g.testGateway, "GET /x HTTP/1.1\r\nHost: shop.test:80\r\n\r\n"); resp.Header.Get("Location") != "https://shop.test/x" {
		t.Errorf("default port: Location %q, want https://shop.test/x", resp.Header.Get("Location"))
	}
}

// With HSTS every final answer of the TLS listener carries Strict-Transport-Security, the
// gateway's own answers and the backends' alike (its value over theirs); the plain listener's never.
func TestTLSHSTS(t *testing.T) {
	g := shopGateway(t, func(c *Config) { c.TLS.HSTS = 365 * 24 * time.Hour })
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=1")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "from the app")
	}))
	t.Cleanup(backend.Close)
	spec := httpService("web")
	spec.PathPrefixes = []string{"/app"}
	mustPut(t, g.testGateway, spec)
	mustAdd(t, g.testGateway, "web", admin.BackendSpec{Name: "w", Address: backend.Listener.Addr().String()})

	const want = "max-age=31536000"
	for _, h2 := range []bool{false, true} {
		for _, path := range []string{"/app/x", "/nothing-routed-here"} {
			resp, err := g.client(t, h2).Get("https://shop.test" + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Values("Strict-Transport-Security"); len(got) != 1 || got[0] != want {
				t.Errorf("h2 %v %s: %d Strict-Transport-Security %q, want %q", h2, path, resp.StatusCode, got, want)
			}
		}
	}
	resp, err := http.Get(g.URL + "/app/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=1" {
		t.Errorf("plain HTTP: Strict-Transport-Security %q, want the app's own", got)
	}
}
