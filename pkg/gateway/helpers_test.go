package gateway

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

const testToken = "test-admin-token-1234"

// testGateway is a Gateway whose public and admin handlers serve on loopback.
type testGateway struct {
	*Gateway
	URL      string // public
	AdminURL string
}

func newTestGateway(t testing.TB, mod func(*Config)) *testGateway {
	t.Helper()
	cfg := Config{AdminToken: testToken}
	if mod != nil {
		mod(&cfg)
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	// The public side is served by the gateway's own server (pkg/h1), as in production.
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adm, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, pub, adm) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway Serve: %v", err)
		}
	})
	return &testGateway{Gateway: g, URL: "http://" + pub.Addr().String(), AdminURL: "http://" + adm.Addr().String()}
}

// httpService is a ServiceSpec for HTTP backends with fast health checks.
func httpService(name string) admin.ServiceSpec {
	return admin.ServiceSpec{
		Name:     name,
		Protocol: admin.HTTP,
		Health: admin.HealthSpec{
			Interval:     admin.Duration(100 * time.Millisecond),
			Timeout:      admin.Duration(time.Second),
			RecoverAfter: admin.Duration(200 * time.Millisecond),
		},
		SessionIdle: admin.Duration(time.Minute),
		Drain:       admin.DrainSpec{Timeout: admin.Duration(10 * time.Second)},
	}
}

func mustPut(t testing.TB, g *testGateway, spec admin.ServiceSpec) {
	t.Helper()
	if err := g.PutService(t.Context(), spec); err != nil {
		t.Fatalf("PutService(%s): %v", spec.Name, err)
	}
}

func mustAdd(t testing.TB, g *testGateway, svc string, spec admin.BackendSpec) {
	t.Helper()
	if _, err := g.AddBackend(t.Context(), svc, spec); err != nil {
		t.Fatalf("AddBackend(%s, %s): %v", svc, spec.Name, err)
	}
}

func mustPatch(t testing.TB, g *testGateway, svc, name string, a admin.Activation) {
	t.Helper()
	if _, err := g.UpdateBackend(t.Context(), svc, name, admin.BackendPatch{Activation: &a}); err != nil {
		t.Fatalf("UpdateBackend(%s, %s, %s): %v", svc, name, a, err)
	}
}

// nameBackend is an HTTP backend that answers its name (after ?sleep=DURATION); /login sets a Tomcat-style session
// cookie "<n>.<route>", and every answer echoes the activation header it received.
type nameBackend struct {
	name string
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string // X-Roll-Activation values
	n    int
}

func startNameBackend(t testing.TB, name string) *nameBackend {
	t.Helper()
	nb := &nameBackend{name: name}
	nb.srv = httptest.NewServer(http.HandlerFunc(nb.serve))
	t.Cleanup(nb.srv.Close)
	return nb
}

func (nb *nameBackend) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("User-Agent") == "roll-gateway-health" {
		io.WriteString(w, "ok") // health checks are not traffic: not counted
		return
	}
	nb.mu.Lock()
	nb.n++
	n := nb.n
	nb.seen = append(nb.seen, r.Header.Get(activationHeader))
	nb.mu.Unlock()
	if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil {
		time.Sleep(d) // a slow page, in flight while the test changes things
	}
	if strings.HasSuffix(r.URL.Path, "/login") {
		http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: fmt.Sprintf("S%d.%s", n, nb.name), Path: "/"})
	}
	for k := range r.Header {
		if strings.HasPrefix(k, "X-Roll-") && k != activationHeader {
			w.Header().Set("X-Leaked", k)
		}
	}
	w.Header().Set("X-Activation", r.Header.Get(activationHeader))
	io.WriteString(w, nb.name)
}

func (nb *nameBackend) addr() string { return nb.srv.Listener.Addr().String() }

// get returns status and body of a GET to url with optional cookie.
func get(t testing.TB, url, cookie string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func backendOf(t testing.TB, g *testGateway, svc, name string) admin.BackendStatus {
	t.Helper()
	st, err := g.Service(t.Context(), svc)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range st.Backends {
		if b.Name == name {
			return b
		}
	}
	t.Fatalf("no backend %s in %s", name, svc)
	return admin.BackendStatus{}
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
