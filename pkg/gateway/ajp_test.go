package gateway

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

const ajpSecret = "ajp-test-secret"

// ajpBackend is a Go AJP backend (ajp.Server) that answers "<name> <JK_LB_ACTIVATION>", sets
// a Tomcat-style session on /login, and can be killed and started again on its address.
type ajpBackend struct {
	name string
	addr string
	mu   sync.Mutex
	srv  *ajp.Server
	hits atomic.Int64
}

func startAJPBackend(t testing.TB, name string) *ajpBackend {
	t.Helper()
	b := &ajpBackend{name: name, addr: freeAddr(t)}
	b.start(t)
	t.Cleanup(b.kill)
	return b
}

func (b *ajpBackend) start(t testing.TB) {
	var l net.Listener
	var err error
	eventually(t, 5*time.Second, "listening on "+b.addr, func() bool {
		l, err = net.Listen("tcp", b.addr)
		return err == nil
	})
	srv := &ajp.Server{Secret: ajpSecret, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := b.hits.Add(1)
		if strings.HasSuffix(r.URL.Path, "/login") {
			http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: fmt.Sprintf("S%d.%s", n, b.name), Path: "/"})
		}
		if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil {
			time.Sleep(d)
		}
		act, _ := ajp.RequestAttribute(r, "JK_LB_ACTIVATION")
		fmt.Fprintf(w, "%s %s", b.name, act)
	})}
	b.mu.Lock()
	b.srv = srv
	b.mu.Unlock()
	go srv.Serve(l)
}

func (b *ajpBackend) kill() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv != nil {
		b.srv.Close()
		b.srv = nil
	}
}

func ajpService(name string) admin.ServiceSpec {
	spec := httpService(name)
	spec.Protocol = admin.AJP
	spec.Secret = ajpSecret
	return spec
}

func twoAJPBackends(t *testing.T) (*testGateway, *ajpBackend, *ajpBackend) {
	g := newTestGateway(t, nil)
	a, b := startAJPBackend(t, "a"), startAJPBackend(t, "b")
	mustPut(t, g, ajpService("app"))
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: a.addr})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b", Address: b.addr})
	return g, a, b
}

func TestAJPSpreadStickyAndDraining(t *testing.T) {
	g, _, _ := twoAJPBackends(t)
	var seq []string
	for range 10 {
		code, body := get(t, g.URL+"/app/x", "")
		if code != 200 {
			t.Fatalf("GET: %d %q", code, body)
		}
		seq = append(seq, body)
	}
	for i := 1; i < len(seq); i++ {
		if seq[i] == seq[i-1] {
			t.Fatalf("AJP requests do not alternate: %v", seq)
		}
	}
	var cookie string
	for cookie == "" {
		if c, owner := login(t, g); owner == "a" {
			cookie = c
		}
	}
	mustPatch(t, g, "app", "a", admin.Draining)
	for range 5 {
		if _, body := get(t, g.URL+"/app/x", cookie); body != "a DIS" {
			t.Fatalf("sticky request to draining a: %q, want \"a DIS\"", body)
		}
		id := strings.TrimPrefix(cookie, "JSESSIONID=")
		if _, body := get(t, g.URL+"/app/x;jsessionid="+id, ""); body != "a DIS" {
			t.Fatalf("path-parameter request to draining a: %q", body)
		}
		if _, body := get(t, g.URL+"/app/x", ""); body != "b ACT" {
			t.Fatalf("new request while a drains: %q, want \"b ACT\"", body)
		}
	}
	if n := backendOf(t, g, "app", "a").Sessions; n != 1 {
		t.Fatalf("a has %d live sessions, want 1", n)
	}
	mustPatch(t, g, "app", "a", admin.Stopped)
	if _, body := get(t, g.URL+"/app/x", cookie); body != "b ACT" {
		t.Fatalf("request of stopped a's session: %q, want b", body)
	}
}

func TestAJPKilledBackendLosesNoGET(t *testing.T) {
	g, a, _ := twoAJPBackends(t)
	tr := startTraffic(t, 4, func(w, i int) string {
		if (i+w)%5 == 0 {
			return g.URL + "/app/x?sleep=20ms"
		}
		return g.URL + "/app/x"
	})
	eventually(t, 10*time.Second, "traffic before the kill", func() bool { return tr.ok.Load() >= 200 })
	a.kill()
	tr.mark()
	eventually(t, 20*time.Second, "traffic after the kill", func() bool { return tr.marked.Load() >= 300 })
	tr.noFailures(t, "after the kill")
	a.start(t)
	eventually(t, 10*time.Second, "a recovered", func() bool { return backendOf(t, g, "app", "a").Healthy })
}

func tryGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestAJPErrorsMapToStatuses(t *testing.T) {
	g := newTestGateway(t, nil)
	garbage := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for {
			p, err := c.ReadPacket()
			if err != nil {
				return
			}
			if len(p) > 0 && p[0] == 10 { // CPING: the health checks must see a live connector
				c.Send([]byte{'A', 'B', 0, 1, 9}) // CPONG
				continue
			}
			c.Send([]byte("XY\x00\x02garbage"))
			return
		}
	})
	spec := ajpService("junk")
	spec.PathPrefixes = []string{"/junk"}
	spec.Health.Check = "cping"
	mustPut(t, g, spec)
	mustAdd(t, g, "junk", admin.BackendSpec{Name: "junk", Address: garbage.Addr})
	if code, _ := get(t, g.URL+"/junk/x", ""); code != http.StatusBadGateway {
		t.Fatalf("garbage AJP backend: %d, want 502", code)
	}

	_, _, _ = twoAJPBackendsOn(t, g)
	req, _ := http.NewRequest("GET", g.URL+"/app/x", nil)
	req.Header.Set("Cookie", strings.Repeat("c", 9000)) // larger than one 8 KiB AJP packet
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("headers over the AJP packet size: %d, want 431", resp.StatusCode)
	}
	if code, body := get(t, g.URL+"/app/x", ""); code != 200 {
		t.Fatalf("gateway after the errors: %d %q", code, body)
	}
}

func twoAJPBackendsOn(t *testing.T, g *testGateway) (*testGateway, *ajpBackend, *ajpBackend) {
	a, b := startAJPBackend(t, "a"), startAJPBackend(t, "b")
	mustPut(t, g, ajpService("app"))
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: a.addr})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b", Address: b.addr})
	return g, a, b
}

func TestAJPRolloutProbesWithCPingAndRequest(t *testing.T) {
	g := newTestGateway(t, nil)
	old := startAJPBackend(t, "old")
	spec := ajpService("app")
	spec.Drain.Mode = "requests"
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "old", Address: old.addr})
	next := startAJPBackend(t, "new")
	log := newEventLog()
	res, err := g.Rollout(t.Context(), "app", admin.RolloutRequest{Backends: []admin.BackendSpec{{Name: "new", Address: next.addr}}}, log.add)
	if err != nil || !res.Switched {
		t.Fatalf("rollout: %+v %v (%v)", res, err, log.steps())
	}
	if _, body := get(t, g.URL+"/", ""); body != "new ACT" {
		t.Fatalf("after the rollout: %q", body)
	}
	if next.hits.Load() < 2 {
		t.Fatal("the readiness probe sent no request to the new backend")
	}
}

func TestClientInfo(t *testing.T) {
	cases := []struct {
		remote, host string
		want         ajp.RequestInfo
	}{
		{"10.0.0.5:51234", "shop.example.com", ajp.RequestInfo{RemoteAddr: "10.0.0.5", RemotePort: 51234, ServerName: "shop.example.com", ServerPort: 80}},
		{"10.0.0.5:51234", "shop.example.com:8443", ajp.RequestInfo{RemoteAddr: "10.0.0.5", RemotePort: 51234, ServerName: "shop.example.com", ServerPort: 8443}},
		{"[::1]:4000", "[::1]:9000", ajp.RequestInfo{RemoteAddr: "::1", RemotePort: 4000, ServerName: "::1", ServerPort: 9000}},
	}
	for _, c := range cases {
		r, _ := http.NewRequest("GET", "http://x/", nil)
		r.RemoteAddr, r.Host = c.remote, c.host
		if got := clientInfo(r); got != c.want {
			t.Errorf("%s %s: %+v, want %+v", c.remote, c.host, got, c.want)
		}
	}
}
