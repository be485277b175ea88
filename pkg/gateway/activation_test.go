package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rollcd/roll/pkg/admin"
)

// login opens a session through the gateway and returns its cookie and the backend name.
func login(t *testing.T, g *testGateway) (cookie, backend string) {
	t.Helper()
	resp, err := http.Get(g.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "JSESSIONID" {
			return "JSESSIONID=" + c.Value, routeOf(c.Value)
		}
	}
	t.Fatal("no session cookie")
	return "", ""
}

func twoBackends(t *testing.T) (*testGateway, *nameBackend, *nameBackend) {
	g := newTestGateway(t, nil)
	a, b := startNameBackend(t, "a"), startNameBackend(t, "b")
	mustPut(t, g, httpService("app"))
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: a.addr()})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b", Address: b.addr()})
	return g, a, b
}

func TestStickyByCookieAndPathParameter(t *testing.T) {
	g, _, _ := twoBackends(t)
	cookie, owner := login(t, g)
	for range 10 {
		if _, body := get(t, g.URL+"/page", cookie); body != owner {
			t.Fatalf("sticky request went to %s, session belongs to %s", body, owner)
		}
	}
	id := strings.TrimPrefix(cookie, "JSESSIONID=")
	for range 10 {
		if _, body := get(t, g.URL+"/page;jsessionid="+id+"?q=1", ""); body != owner {
			t.Fatalf("path-parameter request went to %s, session belongs to %s", body, owner)
		}
	}
	if n := backendOf(t, g, "app", owner).Sessions; n != 1 {
		t.Fatalf("%s has %d live sessions, want 1", owner, n)
	}
	// A session routed to a backend that does not exist is balanced normally.
	seen := map[string]bool{}
	for range 4 {
		_, body := get(t, g.URL+"/page", "JSESSIONID=X.nosuch")
		seen[body] = true
	}
	if len(seen) != 2 {
		t.Fatalf("unknown route went to %v, want both backends", seen)
	}
}

func TestDrainingKeepsSessionsAndTakesNoNewOnes(t *testing.T) {
	g, a, _ := twoBackends(t)
	var cookie string
	for cookie == "" {
		if c, owner := login(t, g); owner == "a" {
			cookie = c
		}
	}
	mustPatch(t, g, "app", "a", admin.Draining)
	for range 10 {
		req, _ := http.NewRequest(http.MethodGet, g.URL+"/page", nil)
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-Roll-Activation", "ACT") // a client cannot fake its activation
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Activation"); got != "DIS" {
			t.Fatalf("draining backend saw X-Roll-Activation %q, want DIS", got)
		}
	}
	if _, body := get(t, g.URL+"/page", cookie); body != "a" {
		t.Fatalf("session of draining a went to %s", body)
	}
	for range 10 {
		if _, body := get(t, g.URL+"/new", ""); body != "b" {
			t.Fatalf("a new request went to %s, want b (a drains)", body)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen[0] != "ACT" {
		t.Fatalf("active backend saw activation %q, want ACT", a.seen[0])
	}
}

func TestStoppedMovesEverything(t *testing.T) {
	g, _, _ := twoBackends(t)
	var cookie string
	for cookie == "" {
		if c, owner := login(t, g); owner == "a" {
			cookie = c
		}
	}
	mustPatch(t, g, "app", "a", admin.Stopped)
	for range 5 {
		if _, body := get(t, g.URL+"/page", cookie); body != "b" {
			t.Fatalf("request of a stopped backend's session went to %s, want b", body)
		}
	}
	mustPatch(t, g, "app", "b", admin.Stopped)
	if code, _ := get(t, g.URL+"/page", ""); code != http.StatusServiceUnavailable {
		t.Fatalf("all stopped: %d, want 503", code)
	}
}

func TestClientXRollHeadersAreStripped(t *testing.T) {
	g, _, _ := twoBackends(t)
	req, _ := http.NewRequest(http.MethodGet, g.URL+"/", nil)
	req.Header.Set("X-Roll-Secret", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if leaked := resp.Header.Get("X-Leaked"); leaked != "" {
		t.Fatalf("client header %s reached the backend", leaked)
	}
}
