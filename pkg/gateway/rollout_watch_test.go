package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// badRelease is an HTTP backend that answers its name, and 500 to every page once failing
// is set; its health checks always pass, as a release that goes bad after its readiness.
// /login sets a session cookie "<n>.<name>".
type badRelease struct {
	name    string
	srv     *httptest.Server
	failing atomic.Bool
	n       atomic.Int64
}

func startBadRelease(t *testing.T, name string) *badRelease {
	t.Helper()
	b := &badRelease{name: name}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") == "roll-gateway-health" {
			io.WriteString(w, "ok")
			return
		}
		n := b.n.Add(1)
		if b.failing.Load() {
			http.Error(w, "broken release", http.StatusInternalServerError)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/login") {
			http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: fmt.Sprintf("S%d.%s", n, b.name), Path: "/"})
		}
		io.WriteString(w, b.name)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *badRelease) addr() string { return b.srv.Listener.Addr().String() }

// clicker is a user who keeps clicking in one session until stopped, counting what came back.
type clicker struct {
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	bodies map[string]int
	failed []string
}

func startClicker(t *testing.T, url, cookie string) *clicker {
	c := &clicker{stop: make(chan struct{}), done: make(chan struct{}), bodies: map[string]int{}}
	go func() {
		defer close(c.done)
		for {
			select {
			case <-c.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Cookie", cookie)
			resp, err := http.DefaultClient.Do(req)
			c.mu.Lock()
			if err != nil {
				c.failed = append(c.failed, err.Error())
			} else {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					c.failed = append(c.failed, fmt.Sprintf("%d %s", resp.StatusCode, b))
				} else {
					c.bodies[string(b)]++
				}
			}
			c.mu.Unlock()
		}
	}()
	t.Cleanup(c.halt)
	return c
}

func (c *clicker) halt() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}

// result halts the clicker and returns the answers it got by body, and its failures.
func (c *clicker) result() (map[string]int, []string) {
	c.halt()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bodies, c.failed
}

// failUntilFlipped sends anonymous requests, which the failing new release answers 500,
// until one reaches the old backend again: the watch flipped back.
func failUntilFlipped(t *testing.T, g *testGateway) {
	t.Helper()
	for i := 0; ; i++ {
		code, body := get(t, g.URL+"/", "")
		switch {
		case code == http.StatusOK && body == "old":
			return
		case code != http.StatusInternalServerError:
			t.Fatalf("request %d during the watch: %d %q; want 500 from the failing release, or old", i, code, body)
		case i > 5000:
			t.Fatalf("no flip back after %d failed requests", i)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func goRollout(g *testGateway, req admin.RolloutRequest, log *eventLog) <-chan rolloutOutcome {
	done := make(chan rolloutOutcome, 1)
	go func() {
		res, err := g.Rollout(context.Background(), "app", req, log.add)
		done <- rolloutOutcome{res, err}
	}()
	return done
}

// A release that answers 500s after the switch is flipped back within the watch's window:
// old active, new draining with its sticky user, then stopped; the user whose session is on
// the old version never sees a failure, and the rollout ends reverted with the figures.
func TestWatchFlipsBackAReleaseThatFails(t *testing.T) {
	g, _ := rolloutService(t, "sessions", 2*time.Second)
	next := startBadRelease(t, "new")
	oldCookie, owner := login(t, g)
	if owner != "old" {
		t.Fatalf("session on %s", owner)
	}
	oldUser := startClicker(t, g.URL+"/page", oldCookie)
	log := newEventLog()
	const window = time.Minute
	done := goRollout(g, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		Watch:    &admin.WatchSpec{Window: admin.Duration(window), MaxErrorRate: 0.2, MinRequests: 20},
	}, log)
	log.wait(t, admin.StepSwitched)
	newCookie, owner := login(t, g) // a user who starts on the new version
	if owner != "new" {
		t.Fatalf("a session after the switch is on %s", owner)
	}
	if st, _ := g.Service(t.Context(), "app"); st.Watch == nil || st.Watch.Verdict != admin.WatchRunning || st.Watch.Until.IsZero() {
		t.Fatalf("status during the watch: %+v", st.Watch)
	}
	if _, page, _ := adminDo(t, "GET", g.AdminURL+"/status", testToken, ""); !strings.Contains(page, "post-switch watch: <b>watching</b>") ||
		!strings.Contains(page, "flips back above 20.0 % once 20 answered") {
		t.Fatalf("the status page does not show the watch under way:\n%s", page)
	}
	next.failing.Store(true)
	failUntilFlipped(t, g)
	flip := log.wait(t, admin.StepFlipped)
	if w := flip.Watch; w == nil || w.Verdict != admin.WatchFlipped || w.Requests < 20 || w.ErrorRate <= 0.2 || !flip.Time.Before(w.Until) {
		t.Fatalf("flipped event: %+v (watch %+v)", flip, flip.Watch)
	}
	if _, body := get(t, g.URL+"/", ""); body != "old" {
		t.Fatalf("a new user after the flip reached %q, want old", body)
	}
	if b := backendOf(t, g, "app", "new"); b.Activation != admin.Draining {
		t.Fatalf("new is %s after the flip, want draining", b.Activation)
	}
	next.failing.Store(false) // its sticky user finishes there
	if _, body := get(t, g.URL+"/page", newCookie); body != "new" {
		t.Fatalf("the user on the new version reached %q after the flip, want new (it drains)", body)
	}

	o := <-done
	if o.err != nil || !o.res.Switched || !o.res.Reverted || o.res.Watch == nil || o.res.Watch.Verdict != admin.WatchFlipped {
		t.Fatalf("rollout: %+v %v", o.res, o.err)
	}
	last := log.wait(t, admin.StepReverted)
	for _, want := range []string{"watch flipped back", flip.Watch.Reason, "requests since the switch", "max_error_rate 20.0%"} {
		if !strings.Contains(last.Message, want) {
			t.Errorf("reverted message %q lacks %q", last.Message, want)
		}
	}
	if b := backendOf(t, g, "app", "new"); b.Activation != admin.Stopped {
		t.Fatalf("new is %s at the end, want stopped", b.Activation)
	}
	if b := backendOf(t, g, "app", "old"); b.Activation != admin.Active {
		t.Fatalf("old is %s at the end, want active", b.Activation)
	}
	if d, _ := g.Deploys(t.Context(), "app"); len(d) != 1 || d[0].Outcome != admin.OutcomeReverted || !strings.Contains(d[0].Message, flip.Watch.Reason) {
		t.Fatalf("history: %+v", d)
	}
	bodies, failed := oldUser.result()
	if len(failed) != 0 || bodies["old"] == 0 || len(bodies) != 1 {
		t.Fatalf("the user on the old version: answers %v, failures %v; want only old, none failed", bodies, failed)
	}
}

// A good release passes the watch: the old backend, idle at once, stays up (draining) until
// the window ends, and is stopped only then.
func TestWatchKeepsTheOldWarmThenEndsNormally(t *testing.T) {
	g, _ := rolloutService(t, "requests", time.Minute)
	next := startBadRelease(t, "new")
	log := newEventLog()
	const window = 1500 * time.Millisecond
	done := goRollout(g, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		Watch:    &admin.WatchSpec{Window: admin.Duration(window), MinRequests: 1},
	}, log)
	ev := log.wait(t, admin.StepDraining)
	if ev.Watch == nil || !strings.Contains(ev.Message, "idle and stay up for the watch") {
		t.Fatalf("draining event during the watch: %q %+v", ev.Message, ev.Watch)
	}
	if b := backendOf(t, g, "app", "old"); b.Activation != admin.Draining {
		t.Fatalf("old is %s during the watch, want draining (idle, kept warm)", b.Activation)
	}
	for range 10 {
		if _, body := get(t, g.URL+"/", ""); body != "new" {
			t.Fatalf("request during the watch reached %q", body)
		}
	}
	o := <-done
	if o.err != nil || o.res.Reverted || o.res.Watch == nil || o.res.Watch.Verdict != admin.WatchPassed ||
		o.res.Watch.Requests != 10 || o.res.Watch.Failed != 0 {
		t.Fatalf("rollout: %+v %v (watch %+v)", o.res, o.err, o.res.Watch)
	}
	drained := log.wait(t, admin.StepDrained)
	if drained.Time.Before(o.res.Watch.Until) {
		t.Fatalf("old stopped at %s, before the watch's end %s", drained.Time, o.res.Watch.Until)
	}
	if b := backendOf(t, g, "app", "old"); b.Activation != admin.Stopped {
		t.Fatalf("old is %s after the watch, want stopped", b.Activation)
	}
	if d, _ := g.Deploys(t.Context(), "app"); len(d) != 1 || d[0].Outcome != admin.OutcomeSucceeded {
		t.Fatalf("history: %+v", d)
	}
}

// Too few requests mean nothing: a release that fails every one of them is not flipped
// back before it answered min_requests.
func TestWatchNeverFlipsOnTooFewRequests(t *testing.T) {
	g, _ := rolloutService(t, "requests", time.Minute)
	next := startBadRelease(t, "new")
	next.failing.Store(true)
	log := newEventLog()
	done := goRollout(g, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		Watch:    &admin.WatchSpec{Window: admin.Duration(1500 * time.Millisecond), MinRequests: 50},
	}, log)
	log.wait(t, admin.StepSwitched)
	for range 10 {
		if code, _ := get(t, g.URL+"/", ""); code != http.StatusInternalServerError {
			t.Fatalf("status %d from the failing release", code)
		}
	}
	o := <-done
	if o.err != nil || o.res.Reverted || o.res.Watch.Verdict != admin.WatchPassed || o.res.Watch.Failed != 10 {
		t.Fatalf("rollout: %+v %v (watch %+v)", o.res, o.err, o.res.Watch)
	}
	if _, ok := log.find(admin.StepFlipped); ok {
		t.Fatal("flipped on 10 requests with min_requests 50")
	}
	if !strings.Contains(o.res.Watch.Reason, "10 of the 50 requests") {
		t.Errorf("reason %q", o.res.Watch.Reason)
	}
}

// A first rollout has nothing to flip back to: it asks for a watch and ends at once.
func TestWatchOfAFirstRolloutIsSkipped(t *testing.T) {
	g := newTestGateway(t, nil)
	mustPut(t, g, httpService("app"))
	first := startNameBackend(t, "first")
	res, err := g.Rollout(t.Context(), "app", admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "first", Address: first.addr()}},
		Watch:    &admin.WatchSpec{Window: admin.Duration(time.Hour)},
	}, nil)
	if err != nil || !res.Switched || res.Watch != nil {
		t.Fatalf("first rollout with a watch: %+v %v; want it done at once, without a watch", res, err)
	}
}

func TestRolloutRefusesABadWatchOrWarmup(t *testing.T) {
	g, _ := rolloutService(t, "requests", time.Minute)
	for _, req := range []admin.RolloutRequest{
		{Watch: &admin.WatchSpec{}},
		{Watch: &admin.WatchSpec{Window: admin.Duration(time.Minute), MaxErrorRate: 2}},
		{Warmup: &admin.WarmupSpec{Path: "x", Requests: 1}},
	} {
		req.Backends = []admin.BackendSpec{{Name: "new", Address: "127.0.0.1:1"}}
		if _, err := g.Rollout(t.Context(), "app", req, nil); err == nil || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("%+v: err %v; want invalid", req, err)
		}
	}
}

// A gateway restart during the window keeps the old backend warm: the resumed rollout
// watches on (figures from the restart) and stops the old backend only once the window that
// began at the switch ended.
func TestWatchSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	old, next := startNameBackend(t, "old"), startBadRelease(t, "new")
	g1 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	spec := httpService("app")
	spec.Drain.Mode = admin.DrainRequests
	mustPut(t, g1, spec)
	mustAdd(t, g1, "app", admin.BackendSpec{Name: "old", Address: old.addr()})
	log := newEventLog()
	done := goRollout(g1, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		Watch:    &admin.WatchSpec{Window: admin.Duration(3 * time.Second), MaxErrorRate: 0.5, MinRequests: 5},
	}, log)
	sw := log.wait(t, admin.StepSwitched)
	crashed := filepath.Join(t.TempDir(), "state.json")
	copyFile(t, path, crashed)
	g1.Close()
	if o := <-done; o.err == nil {
		t.Fatal("the rollout of the closed gateway ended without error")
	}

	g2 := newTestGateway(t, func(c *Config) { c.StatePath = crashed })
	st, _ := g2.Service(t.Context(), "app")
	if st.Watch == nil || st.Watch.Verdict != admin.WatchRunning || st.Rollout == nil || st.Rollout.ID != sw.ID {
		t.Fatalf("status after the restart: watch %+v rollout %+v", st.Watch, st.Rollout)
	}
	until := st.Watch.Until
	if b := backendOf(t, g2, "app", "old"); b.Activation != admin.Draining {
		t.Fatalf("old is %s after the restart, want draining (kept warm)", b.Activation)
	}
	rec := waitDeploy(t, g2, "app", sw.ID)
	if rec.Outcome != admin.OutcomeSucceeded || !strings.Contains(rec.Message, "resumed") {
		t.Fatalf("record: %+v", rec)
	}
	if !rec.Finished.After(until) {
		t.Fatalf("the resumed rollout ended at %s, before its watch's end %s", rec.Finished, until)
	}
	if b := backendOf(t, g2, "app", "old"); b.Activation != admin.Stopped {
		t.Fatalf("old is %s after the watch, want stopped", b.Activation)
	}
}

// A restart after the flip finishes what the flip began: the failing release drains and
// stops, the old one serves, and the rollout is recorded reverted with the watch's reason.
func TestFlippedRolloutSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	old, next := startNameBackend(t, "old"), startBadRelease(t, "new")
	g1 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	spec := httpService("app")
	spec.SessionIdle = admin.Duration(time.Second) // a sticky user on new keeps its drain going past the flip
	mustPut(t, g1, spec)
	mustAdd(t, g1, "app", admin.BackendSpec{Name: "old", Address: old.addr()})
	log := newEventLog()
	done := goRollout(g1, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		Watch:    &admin.WatchSpec{Window: admin.Duration(time.Minute), MaxErrorRate: 0.5, MinRequests: 5},
	}, log)
	log.wait(t, admin.StepSwitched)
	if _, owner := login(t, g1); owner != "new" {
		t.Fatalf("a session after the switch is on %s", owner)
	}
	next.failing.Store(true)
	failUntilFlipped(t, g1)
	flip := log.wait(t, admin.StepFlipped)
	crashed := filepath.Join(t.TempDir(), "state.json")
	copyFile(t, path, crashed) // as the flip saved it, new draining with its user
	g1.Close()
	<-done
	if sr := savedService(t, crashed, "app"); !strings.Contains(string(sr.Rollout), `"flipped":"the new backends failed`) {
		t.Fatalf("the saved rollout does not say it flipped: %s", sr.Rollout)
	}

	g2 := newTestGateway(t, func(c *Config) { c.StatePath = crashed })
	rec := waitDeploy(t, g2, "app", flip.ID)
	if rec.Outcome != admin.OutcomeReverted || !strings.Contains(rec.Message, flip.Watch.Reason) {
		t.Fatalf("record after the restart: %+v", rec)
	}
	if b := backendOf(t, g2, "app", "old"); b.Activation != admin.Active {
		t.Fatalf("old is %s, want active", b.Activation)
	}
	if b := backendOf(t, g2, "app", "new"); b.Activation != admin.Stopped {
		t.Fatalf("new is %s, want stopped", b.Activation)
	}
}

func TestJudgeWatch(t *testing.T) {
	spec := admin.WatchSpec{Window: admin.Duration(time.Minute), MaxErrorRate: 0.05, MinRequests: 50}
	for _, tt := range []struct {
		requests, failed uint64
		flip             bool
	}{
		{0, 0, false},
		{49, 49, false}, // too few to mean anything
		{50, 2, false},
		{100, 5, false}, // at the threshold is within it
		{100, 6, true},
		{50, 50, true},
	} {
		flip, reason := judgeWatch(spec, tt.requests, tt.failed)
		if flip != tt.flip || reason == "" {
			t.Errorf("%d requests, %d failed: flip %v (%s); want %v", tt.requests, tt.failed, flip, reason, tt.flip)
		}
	}
}
