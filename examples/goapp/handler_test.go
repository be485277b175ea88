package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source, so readiness and session expiry are tested without sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func newTestApp(t *testing.T, cfg config) (*httptest.Server, *clock) {
	t.Helper()
	if cfg.route == "" {
		cfg.route = "r1"
	}
	if cfg.version == "" {
		cfg.version = "v1"
	}
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	a := newApp(cfg, c.now, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(a.handler("http", headerActivation))
	t.Cleanup(srv.Close)
	return srv, c
}

func get(t *testing.T, client *http.Client, url string) (int, string, *http.Response) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b)), resp
}

func jarClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func TestIndexCountsHitsInARoutedSession(t *testing.T) {
	srv, _ := newTestApp(t, config{route: "blue", version: "v7"})
	client := jarClient(t)

	code, body, resp := get(t, client, srv.URL+"/")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || cookies[0].Name != "JSESSIONID" || !strings.HasSuffix(cookies[0].Value, ".blue") {
		t.Fatalf("cookies %v; want one JSESSIONID=<id>.blue", cookies)
	}
	id := cookies[0].Value
	if len(strings.TrimSuffix(id, ".blue")) != 32 {
		t.Errorf("session id %q; want 32 hex digits before the route, like Tomcat", id)
	}
	want := "version=v7 route=blue session=" + id + " hits=1 via=http"
	if body != want {
		t.Errorf("body %q; want %q", body, want)
	}

	_, body, resp = get(t, client, srv.URL+"/")
	if !strings.Contains(body, "session="+id+" hits=2") {
		t.Errorf("second visit %q; want the same session with hits=2", body)
	}
	if len(resp.Cookies()) != 0 {
		t.Errorf("second visit set %v; a known session must not be set again", resp.Cookies())
	}
}

func TestIndexStartsANewSessionForForeignUnknownOrIdleIDs(t *testing.T) {
	srv, clk := newTestApp(t, config{route: "green"})
	// visit sends cookie (if any) and returns the session cookie the app set, if any, and the body.
	visit := func(cookie string) (set, body string) {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "JSESSIONID", Value: cookie})
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range resp.Cookies() {
			set = c.Value
		}
		return set, string(b)
	}

	first, _ := visit("")
	if !strings.HasSuffix(first, ".green") {
		t.Fatalf("first visit set %q; want a .green session", first)
	}
	// Another instance's session (its route): this one does not hold it, like Tomcat.
	if set, body := visit(strings.TrimSuffix(first, ".green") + ".blue"); !strings.HasSuffix(set, ".green") || !strings.Contains(body, "hits=1") {
		t.Errorf("foreign session: set %q body %q; want a new .green session at hits=1", set, body)
	}
	if set, _ := visit("NOPE.green"); set == "" || set == "NOPE.green" {
		t.Errorf("unknown session: set %q; want a new session", set)
	}
	if set, body := visit(first); set != "" || !strings.Contains(body, "hits=2") {
		t.Errorf("live session: set %q body %q; want it kept at hits=2", set, body)
	}
	clk.add(defaultSessionIdle)
	if set, body := visit(first); set == "" || set == first || !strings.Contains(body, "hits=1") {
		t.Errorf("idle session: set %q body %q; want a new one after %s idle", set, body, defaultSessionIdle)
	}
}

func TestHealthStates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     config
		elapsed time.Duration
		code    int
		body    string
	}{
		{"ready at once", config{}, 0, 200, "ok"},
		{"before the ready delay", config{readyDelay: 5 * time.Second}, 4 * time.Second, 503, "starting"},
		{"after the ready delay", config{readyDelay: 5 * time.Second}, 5 * time.Second, 200, "ok"},
		{"broken release", config{failReady: true}, time.Hour, 503, "failing: FAIL_READY is set"},
		{"broken release with a delay", config{failReady: true, readyDelay: time.Second}, time.Hour, 503, "failing: FAIL_READY is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, clk := newTestApp(t, tt.cfg)
			clk.add(tt.elapsed)
			code, body, resp := get(t, http.DefaultClient, srv.URL+"/health")
			if code != tt.code || body != tt.body {
				t.Errorf("got %d %q; want %d %q", code, body, tt.code, tt.body)
			}
			if len(resp.Cookies()) != 0 {
				t.Errorf("health set cookies %v; probes must not create sessions", resp.Cookies())
			}
		})
	}
}

func TestSlow(t *testing.T) {
	srv, _ := newTestApp(t, config{})
	if code, body, _ := get(t, http.DefaultClient, srv.URL+"/slow?ms=20"); code != 200 || body != "slept 20 ms" {
		t.Errorf("got %d %q; want 200 \"slept 20 ms\"", code, body)
	}
	for _, q := range []string{"", "?ms=x", "?ms=-1", "?ms=600001"} {
		if code, _, _ := get(t, http.DefaultClient, srv.URL+"/slow"+q); code != http.StatusBadRequest {
			t.Errorf("/slow%s: status %d; want 400", q, code)
		}
	}
}

func TestActivationOverHTTP(t *testing.T) {
	srv, _ := newTestApp(t, config{})
	if _, body, _ := get(t, http.DefaultClient, srv.URL+"/activation"); body != "none" {
		t.Errorf("without the header: %q; want none", body)
	}
	req, err := http.NewRequest("GET", srv.URL+"/activation", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Roll-Activation", "DIS")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if got := strings.TrimSpace(string(b)); got != "DIS" {
		t.Errorf("with X-Roll-Activation: DIS: %q; want DIS", got)
	}
}

func TestUnknownPathIs404(t *testing.T) {
	srv, _ := newTestApp(t, config{})
	if code, _, resp := get(t, http.DefaultClient, srv.URL+"/nope"); code != 404 || len(resp.Cookies()) != 0 {
		t.Errorf("status %d cookies %v; want 404 and no session", code, resp.Cookies())
	}
}
