package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// reply is what a client got.
type reply struct {
	status int
	header http.Header
	body   string
	err    error
}

// getAsync sends a GET to url on a connection of its own and delivers the reply later.
func getAsync(url string, header http.Header) <-chan reply {
	out := make(chan reply, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
		resp, err := c.Do(req)
		if err != nil {
			out <- reply{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- reply{status: resp.StatusCode, header: resp.Header, body: string(b), err: err}
	}()
	return out
}

func await(t *testing.T, c <-chan reply, within time.Duration) reply {
	t.Helper()
	select {
	case r := <-c:
		if r.err != nil {
			t.Fatalf("request failed: %v", r.err)
		}
		return r
	case <-time.After(within):
		t.Fatalf("no answer within %s", within)
		return reply{}
	}
}

// pauseOf returns the service's pause status, failing when it has none.
func pauseOf(t *testing.T, g *testGateway, svc string) admin.PauseStatus {
	t.Helper()
	st, err := g.Service(t.Context(), svc)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pause == nil {
		t.Fatalf("service %s has no pause in its status", svc)
	}
	return *st.Pause
}

func heldIs(t *testing.T, g *testGateway, svc string, n int) {
	t.Helper()
	eventually(t, 5*time.Second, strconv.Itoa(n)+" held requests", func() bool { return pauseOf(t, g, svc).Held == n })
}

// pausedApp is a gateway with service app (health path /health) on one HTTP backend "a".
func pausedApp(t *testing.T, mod func(*Config)) (*testGateway, *nameBackend) {
	t.Helper()
	a := startNameBackend(t, "a")
	g := newTestGateway(t, mod)
	spec := httpService("app")
	spec.Health.Path = "/health"
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: a.addr()})
	return g, a
}

func (nb *nameBackend) count() int {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	return nb.n
}

// TestPauseHoldsUntilResume: a paused service's requests wait at the gateway and none reaches
// the backend; a request in flight when the pause begins finishes; the health path passes;
// resume sends every held request on, and the status says so.
func TestPauseHoldsUntilResume(t *testing.T) {
	g, a := pausedApp(t, nil)
	inFlight := getAsync(g.URL+"/slow?sleep=300ms", nil)
	eventually(t, 5*time.Second, "the slow request at the backend", func() bool { return a.count() == 1 })
	st, err := g.Pause(t.Context(), "app", admin.PauseRequest{Max: admin.Duration(30 * time.Second), MaxHeld: 10})
	if err != nil || !st.Active() || st.MaxHeld != 10 || st.Until.Sub(st.Since) != 30*time.Second {
		t.Fatalf("Pause: %+v, %v", st, err)
	}
	var held []<-chan reply
	for range 5 {
		held = append(held, getAsync(g.URL+"/x", nil))
	}
	heldIs(t, g, "app", 5)
	if r := await(t, inFlight, 5*time.Second); r.status != 200 || r.body != "a" {
		t.Errorf("the request in flight when the pause began: %d %q, want 200 a", r.status, r.body)
	}
	if code, body := get(t, g.URL+"/health", ""); code != 200 || body != "a" {
		t.Errorf("the health path while paused: %d %q, want it passed to the backend", code, body)
	}
	time.Sleep(300 * time.Millisecond)
	if n := a.count(); n != 2 {
		t.Fatalf("the backend saw %d requests while paused, want 2 (the one in flight and the health path)", n)
	}
	st, err = g.Resume(t.Context(), "app")
	if err != nil || st.Active() || st.EndedBy != admin.PauseEndedByResume || st.Released != 5 || st.Held != 0 {
		t.Fatalf("Resume: %+v, %v", st, err)
	}
	for i, c := range held {
		if r := await(t, c, 5*time.Second); r.status != 200 || r.body != "a" {
			t.Errorf("held request %d: %d %q, want 200 a", i, r.status, r.body)
		}
	}
	if code, _ := get(t, g.URL+"/after", ""); code != 200 {
		t.Errorf("after the resume: %d", code)
	}
	if p := pauseOf(t, g, "app"); p.Active() || p.EndedBy != admin.PauseEndedByResume {
		t.Errorf("status after the resume: %+v", p)
	}
	if _, err := g.Resume(t.Context(), "app"); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("a second resume: %v, want ErrConflict", err)
	}
}

// goneWriter is a ResponseWriter whose client leaves when told.
type goneWriter struct {
	*httptest.ResponseRecorder
	gone atomic.Bool
}

func (w *goneWriter) ClientGone() bool { return w.gone.Load() }

// TestPauseReleasesInArrivalOrder: held requests leave in the order they came, skipping one
// whose client left, and a request that arrives while the queue empties goes last.
func TestPauseReleasesInArrivalOrder(t *testing.T) {
	g, _ := pausedApp(t, nil)
	if _, err := g.Pause(t.Context(), "app", admin.PauseRequest{}); err != nil {
		t.Fatal(err)
	}
	p := g.services["app"].gate.Load().pause
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	queued := func(n int) bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.queue) == n }
	hold := func(i int, w *goneWriter, before func()) {
		defer wg.Done()
		v, leave := p.hold(w, httptest.NewRequest(http.MethodGet, "/x", nil))
		if v == heldGoOn {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		}
		if before != nil {
			before()
		}
		leave()
	}
	const n = 6
	writers := make([]*goneWriter, n+1)
	for i := range writers {
		writers[i] = &goneWriter{ResponseRecorder: httptest.NewRecorder()}
	}
	late := func() { // while request 0 leaves, request n arrives: it must wait for 1 … n-1
		wg.Add(1)
		go hold(n, writers[n], nil)
		eventually(t, 5*time.Second, "the late request queued", func() bool { return queued(n - 1) })
	}
	for i := range n {
		wg.Add(1)
		var before func()
		if i == 0 {
			before = late
		}
		go hold(i, writers[i], before)
		eventually(t, 5*time.Second, "request queued", func() bool { return queued(i + 1) })
	}
	writers[3].gone.Store(true)
	eventually(t, 5*time.Second, "the gone request out of the queue", func() bool { return queued(n - 1) })
	st, err := g.Resume(t.Context(), "app")
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	want := []int{0, 1, 2, 4, 5, 6}
	if !slices.Equal(order, want) {
		t.Errorf("released in the order %v, want %v", order, want)
	}
	if st.Released != 6 || st.Gone != 1 {
		t.Errorf("status %+v, want 6 released and 1 gone", st)
	}
}

// TestPauseMaxResumesByItself: when the pause's max passes the gateway resumes on its own,
// the held request is served, and the status (and the log) say the max ended it.
func TestPauseMaxResumesByItself(t *testing.T) {
	var logs logBuffer
	g, _ := pausedApp(t, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	start := time.Now()
	if _, err := g.Pause(t.Context(), "app", admin.PauseRequest{Max: admin.Duration(time.Second)}); err != nil {
		t.Fatal(err)
	}
	held := getAsync(g.URL+"/x", nil)
	r := await(t, held, 10*time.Second)
	if r.status != 200 || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("held request: %d after %s, want 200 after the 1s max", r.status, time.Since(start))
	}
	st := pauseOf(t, g, "app")
	if st.Active() || st.EndedBy != admin.PauseEndedByMax || st.Released != 1 {
		t.Errorf("status %+v, want ended by max with 1 released", st)
	}
	eventually(t, 5*time.Second, "the log to say the pause expired", func() bool { return strings.Contains(logs.String(), "pause expired") })
}

// TestPauseExtends: pausing a paused service sets a new max from now; the held requests stay.
func TestPauseExtends(t *testing.T) {
	g, _ := pausedApp(t, nil)
	first, _ := g.Pause(t.Context(), "app", admin.PauseRequest{Max: admin.Duration(time.Second)})
	held := getAsync(g.URL+"/x", nil)
	heldIs(t, g, "app", 1)
	second, err := g.Pause(t.Context(), "app", admin.PauseRequest{Max: admin.Duration(time.Minute)})
	if err != nil || !second.Since.Equal(first.Since) || second.Held != 1 || second.Until.Sub(first.Until) < 58*time.Second {
		t.Fatalf("extended: %+v, %v (first %+v)", second, err, first)
	}
	time.Sleep(1500 * time.Millisecond) // past the first max
	if st := pauseOf(t, g, "app"); !st.Active() || st.Held != 1 {
		t.Fatalf("after the first max: %+v, want still paused with the request held", st)
	}
	if _, err := g.Resume(t.Context(), "app"); err != nil {
		t.Fatal(err)
	}
	if r := await(t, held, 5*time.Second); r.status != 200 {
		t.Errorf("held request: %d", r.status)
	}
}

// TestPauseFullAnswers503: beyond max_held a request is answered at once, 503 with a
// Retry-After that says when the pause ends, and counted.
func TestPauseFullAnswers503(t *testing.T) {
	g, _ := pausedApp(t, nil)
	if _, err := g.Pause(t.Context(), "app", admin.PauseRequest{Max: admin.Duration(20 * time.Second), MaxHeld: 2}); err != nil {
		t.Fatal(err)
	}
	a, b := getAsync(g.URL+"/1", nil), getAsync(g.URL+"/2", nil)
	heldIs(t, g, "app", 2)
	r := await(t, getAsync(g.URL+"/3", nil), 5*time.Second)
	ra, _ := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != http.StatusServiceUnavailable || ra < 15 || ra > 20 || !strings.Contains(r.body, "paused") {
		t.Errorf("the request beyond max_held: %d Retry-After %q %q, want 503 with about 20s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if st := pauseOf(t, g, "app"); st.Refused != 1 || st.Held != 2 {
		t.Errorf("status %+v, want 1 refused and 2 held", st)
	}
	if _, err := g.Resume(t.Context(), "app"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []<-chan reply{a, b} {
		if r := await(t, c, 5*time.Second); r.status != 200 {
			t.Errorf("held: %d", r.status)
		}
	}
}

// TestPauseClientGone: a client that closes its connection while held leaves the queue, its
// request never reaches the backend, and its handler ends (the access log line says so).
func TestPauseClientGone(t *testing.T) {
	var logs logBuffer
	g, a := pausedApp(t, func(c *Config) {
		c.AccessLog = true
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	if _, err := g.Pause(t.Context(), "app", admin.PauseRequest{}); err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(nc, "GET /gone HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	heldIs(t, g, "app", 1)
	nc.Close()
	heldIs(t, g, "app", 0)
	if st := pauseOf(t, g, "app"); st.Gone != 1 {
		t.Errorf("status %+v, want 1 gone", st)
	}
	eventually(t, 5*time.Second, "the held request's handler to end", func() bool {
		return strings.Contains(logs.String(), "path=/gone") && strings.Contains(logs.String(), "broken=true")
	})
	st, err := g.Resume(t.Context(), "app")
	if err != nil || st.Released != 0 {
		t.Fatalf("Resume: %+v, %v; want nothing released", st, err)
	}
	if n := a.count(); n != 0 {
		t.Errorf("the backend saw %d requests, want none", n)
	}
}

// TestPauseShutdownAnswersHeld: a gateway that shuts down does not sit on its held requests
// until the shutdown timeout: they get a 503 that asks to retry in a second.
func TestPauseShutdownAnswersHeld(t *testing.T) {
	a := startNameBackend(t, "a")
	g, err := New(Config{AdminToken: testToken, ShutdownTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := net.Listen("tcp", "127.0.0.1:0")
	adm, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, pub, adm) }()
	mustPut(t, &testGateway{Gateway: g}, httpService("app"))
	mustAdd(t, &testGateway{Gateway: g}, "app", admin.BackendSpec{Name: "a", Address: a.addr()})
	if _, err := g.Pause(t.Context(), "app", admin.PauseRequest{}); err != nil {
		t.Fatal(err)
	}
	held := getAsync("http://"+pub.Addr().String()+"/x", nil)
	eventually(t, 5*time.Second, "the request held", func() bool { st, _ := g.Service(t.Context(), "app"); return st.Pause.Held == 1 })
	start := time.Now()
	cancel()
	r := await(t, held, 5*time.Second)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "1" || !strings.Contains(r.body, "restarting") {
		t.Errorf("held request at shutdown: %d Retry-After %q %q", r.status, r.header.Get("Retry-After"), r.body)
	}
	if err := <-done; err != nil || time.Since(start) > 5*time.Second {
		t.Errorf("Serve: %v after %s", err, time.Since(start))
	}
}

// logBuffer collects log output; the gateway logs from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
