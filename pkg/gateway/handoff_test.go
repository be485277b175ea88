package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// stickyUser is a user who never goes idle: it asks for a page with its session cookie
// every few milliseconds until stopped, and keeps every answer.
type stickyUser struct {
	url, cookie string
	stop        chan struct{}
	done        chan struct{}

	mu      sync.Mutex
	bodies  []string
	failed  []string
	slowest time.Duration
}

func startStickyUser(t *testing.T, url, cookie string) *stickyUser {
	u := &stickyUser{url: url, cookie: cookie, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(u.done)
		for {
			select {
			case <-u.stop:
				return
			default:
			}
			start := time.Now()
			req, _ := http.NewRequest(http.MethodGet, u.url, nil)
			req.Header.Set("Cookie", u.cookie)
			resp, err := http.DefaultClient.Do(req)
			took := time.Since(start)
			u.mu.Lock()
			u.slowest = max(u.slowest, took)
			if err != nil {
				u.failed = append(u.failed, err.Error())
			} else {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					u.failed = append(u.failed, resp.Status+": "+string(b))
				} else if n := len(u.bodies); n == 0 || u.bodies[n-1] != string(b) {
					u.bodies = append(u.bodies, string(b)) // each change of backend once
				}
			}
			u.mu.Unlock()
			time.Sleep(3 * time.Millisecond)
		}
	}()
	t.Cleanup(u.end)
	return u
}

// reached waits up to 10 s for the user to be served by a backend answering body, and reports
// whether it was.
func (u *stickyUser) reached(body string) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		u.mu.Lock()
		n := len(u.bodies)
		last := n > 0 && u.bodies[n-1] == body
		u.mu.Unlock()
		if last {
			return true
		}
	}
	return false
}

func (u *stickyUser) end() {
	select {
	case <-u.stop:
	default:
		close(u.stop)
	}
	<-u.done
}

type rolloutOutcome struct {
	res admin.RolloutResult
	err error
}

// startRollout runs a rollout of service app whose events go to progress, as a deploy
// follows them.
func startRollout(g *testGateway, progress func(admin.RolloutEvent), backends ...admin.BackendSpec) chan rolloutOutcome {
	done := make(chan rolloutOutcome, 1)
	go func() {
		res, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{Backends: backends}, progress)
		done <- rolloutOutcome{res, err}
	}()
	return done
}

func handoffService(t *testing.T, mod func(*admin.ServiceSpec), cfg func(*Config)) (*testGateway, *nameBackend) {
	g := newTestGateway(t, cfg)
	old := startNameBackend(t, "old")
	spec := httpService("app")
	spec.Drain.Mode = admin.DrainHandoff
	if mod != nil {
		mod(&spec)
	}
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "old", Address: old.addr()})
	return g, old
}

// TestHandoffMovesActiveUsers: a user who never goes idle is moved to the new backend without
// a failed request: held while the old backend stops, then sent on with the same session id,
// which the new backend now answers for (its handed route), also after a gateway restart.
func TestHandoffMovesActiveUsers(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	g, old := handoffService(t, nil, func(c *Config) { c.StatePath = state })
	next := startNameBackend(t, "new")
	cookie, owner := login(t, g)
	if owner != "old" {
		t.Fatalf("session on %s", owner)
	}
	user := startStickyUser(t, g.URL+"/page?sleep=5ms", cookie)
	eventually(t, 5*time.Second, "the user's first answers", func() bool {
		user.mu.Lock()
		defer user.mu.Unlock()
		return len(user.bodies) > 0
	})

	log := newEventLog()
	done := startRollout(g, log.add, admin.BackendSpec{Name: "new", Address: next.addr()})
	ev := log.wait(t, admin.StepHandoff)
	if len(ev.Old) != 1 || ev.Old[0].Name != "old" || ev.Old[0].InFlight != 0 || ev.Old[0].Sessions != 1 {
		t.Fatalf("handoff event: %+v", ev.Old)
	}
	old.mu.Lock()
	atEvent := old.n
	old.mu.Unlock()
	time.Sleep(100 * time.Millisecond) // the user's requests wait meanwhile
	old.mu.Lock()
	afterHold := old.n
	old.mu.Unlock()
	if afterHold != atEvent {
		t.Fatalf("the old backend got %d requests while held", afterHold-atEvent)
	}
	old.srv.Close() // the old container stops
	if err := g.Handoff(t.Context(), "app", admin.HandoffReply{Rollout: ev.ID, Stopped: []string{"old"}}); err != nil {
		t.Fatalf("Handoff: %v", err)
	}
	o := <-done
	if o.err != nil || o.res.HandedOff != 1 || o.res.HandoffFallback != "" || o.res.DrainTimedOut {
		t.Fatalf("rollout: %+v %v", o.res, o.err)
	}
	time.Sleep(50 * time.Millisecond)
	user.end()
	if len(user.failed) > 0 {
		t.Fatalf("the user saw %d failed requests: %v", len(user.failed), user.failed)
	}
	if !slices.Equal(user.bodies, []string{"old", "new"}) {
		t.Fatalf("the user was served by %v, want old then new", user.bodies)
	}
	if _, body := get(t, g.URL+"/page", cookie); body != "new" {
		t.Fatalf("the handed session went to %s", body)
	}
	b := backendOf(t, g, "app", "new")
	if !slices.Equal(b.HandedRoutes, []string{"old"}) || b.Sessions != 1 {
		t.Fatalf("new backend after the handoff: handed routes %v, %d sessions", b.HandedRoutes, b.Sessions)
	}
	if b := backendOf(t, g, "app", "old"); b.Activation != admin.Stopped {
		t.Fatalf("old is %s after the handoff", b.Activation)
	}
	deploys, _ := g.Deploys(t.Context(), "app")
	if len(deploys) != 1 || !strings.Contains(deploys[0].Message, "1 live sessions handed off") {
		t.Fatalf("history: %+v", deploys)
	}

	g2 := newTestGateway(t, func(c *Config) { c.StatePath = state })
	if _, body := get(t, g2.URL+"/page", cookie); body != "new" {
		t.Fatalf("after a restart the handed session went to %s", body)
	}
}

// TestHandoffCheckFails: an old backend that does not answer the check path keeps its users:
// nothing is held and the drain is the sticky one, saying why. It ends, as every drain of a
// handoff does, with the old container stopped before its users go on; the check fails again
// then, and the result says the sessions are likely lost.
func TestHandoffCheckFails(t *testing.T) {
	g := newTestGateway(t, nil)
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/session-store" {
			http.Error(w, "store unreachable", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path == "/login" {
			http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "S1.old", Path: "/"})
		}
		io.WriteString(w, "old")
	}))
	t.Cleanup(old.Close)
	spec := httpService("app")
	spec.Drain = admin.DrainSpec{Mode: admin.DrainHandoff, Check: "/session-store", Timeout: admin.Duration(10 * time.Second)}
	spec.SessionIdle = admin.Duration(time.Second)
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "old", Address: old.Listener.Addr().String()})
	next := startNameBackend(t, "new")
	cookie, owner := login(t, g)
	if owner != "old" {
		t.Fatalf("session on %s", owner)
	}
	log := newEventLog()
	deploy := func(ev admin.RolloutEvent) {
		log.add(ev)
		if ev.Step == admin.StepHandoff {
			old.Close()
			if err := g.Handoff(t.Context(), "app", admin.HandoffReply{Rollout: ev.ID, Stopped: []string{"old"}}); err != nil {
				t.Errorf("Handoff: %v", err)
			}
		}
	}
	done := startRollout(g, deploy, admin.BackendSpec{Name: "new", Address: next.addr()})
	log.wait(t, admin.StepSwitched)
	if _, body := get(t, g.URL+"/page", cookie); body != "old" {
		t.Fatalf("the sticky user went to %s during the drain", body)
	}
	o := <-done
	if o.err != nil || o.res.HandedOff != 0 || !strings.Contains(o.res.HandoffFallback, "/session-store failed on old") ||
		!strings.Contains(o.res.HandoffFallback, "likely lost") {
		t.Fatalf("rollout: %+v %v", o.res, o.err)
	}
	if _, ok := log.find(admin.StepHandoff); !ok {
		t.Fatal("the drain ended without asking for the old container to stop first")
	}
}

// TestHandoffAbort: the deploy gives up (the old container would not stop): the held requests
// go on to the old backend, whose sticky drain goes on and ends with a second handoff, and the
// reason is in the result.
func TestHandoffAbort(t *testing.T) {
	g, _ := handoffService(t, func(s *admin.ServiceSpec) { s.SessionIdle = admin.Duration(time.Second) }, nil)
	next := startNameBackend(t, "new")
	cookie, _ := login(t, g)
	log := newEventLog()
	done := startRollout(g, log.add, admin.BackendSpec{Name: "new", Address: next.addr()})
	ev := log.wait(t, admin.StepHandoff)
	if err := g.Handoff(t.Context(), "app", admin.HandoffReply{Rollout: "someone-else", Stopped: []string{"old"}}); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("an answer for another rollout: %v, want ErrConflict", err)
	}
	if err := g.Handoff(t.Context(), "app", admin.HandoffReply{Rollout: ev.ID, Abort: "docker stop failed"}); err != nil {
		t.Fatalf("Handoff abort: %v", err)
	}
	if err := g.Handoff(t.Context(), "app", admin.HandoffReply{Rollout: ev.ID, Stopped: []string{"old"}}); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("a second answer: %v, want ErrConflict", err)
	}
	if _, body := get(t, g.URL+"/page", cookie); body != "old" {
		t.Fatalf("after the abort the sticky user went to %s", body)
	}
	// The session goes idle; the drain ends by asking again.
	ev = log.waitNth(t, admin.StepHandoff, 2)
	if err := g.Handoff(t.Context(), "app", admin.HandoffReply{Rollout: ev.ID, Stopped: []string{"old"}}); err != nil {
		t.Fatalf("Handoff at the drain's end: %v", err)
	}
	o := <-done
	if o.err != nil || !strings.Contains(o.res.HandoffFallback, "docker stop failed") || o.res.DrainTimedOut {
		t.Fatalf("rollout: %+v %v", o.res, o.err)
	}
	if b := backendOf(t, g, "app", "new"); !slices.Equal(b.HandedRoutes, []string{"old"}) {
		t.Fatalf("the old route was not handed to new: %v", b.HandedRoutes)
	}
}

// TestHandoffWhenTheDeployGoesAway: the deploy's stream ends right after it was asked to stop
// the old container (Ctrl-C). An interrupted deploy still finishes the stop and answers, and
// that answer moves the sessions; a killed one never answers, and after the hold the users go
// back to the old backend, whose sticky drain ends as one (no deploy is left to stop it).
func TestHandoffWhenTheDeployGoesAway(t *testing.T) {
	for _, answers := range []bool{true, false} {
		g, old := handoffService(t, func(s *admin.ServiceSpec) {
			s.Drain.Hold = admin.Duration(500 * time.Millisecond)
			s.SessionIdle = admin.Duration(time.Second)
		}, nil)
		next := startNameBackend(t, "new")
		cookie, _ := login(t, g)
		ctx, stream := context.WithCancel(context.Background())
		log := newEventLog()
		done := make(chan rolloutOutcome, 1)
		go func() {
			res, err := g.Rollout(ctx, "app", admin.RolloutRequest{Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}}}, log.add)
			done <- rolloutOutcome{res, err}
		}()
		ev := log.wait(t, admin.StepHandoff)
		stream()
		time.Sleep(100 * time.Millisecond) // no event says the gateway saw the stream end; give it the time
		if answers {
			old.srv.Close()
			if err := g.Handoff(t.Context(), "app", admin.HandoffReply{Rollout: ev.ID, Stopped: []string{"old"}}); err != nil {
				t.Fatalf("the interrupted deploy's answer: %v", err)
			}
		} else if _, body := get(t, g.URL+"/page", cookie); body != "old" {
			t.Fatalf("after the hold the user went to %s, want old (its container still runs)", body)
		}
		o := <-done
		switch {
		case answers && (o.err != nil || o.res.HandedOff != 1 || o.res.HandoffFallback != ""):
			t.Fatalf("answered after the stream ended: %+v %v; want the session handed off", o.res, o.err)
		case !answers && (o.err != nil || o.res.HandedOff != 0 || !strings.Contains(o.res.HandoffFallback, "went away")):
			t.Fatalf("never answered: %+v %v; want the sticky drain, saying the deploy went away", o.res, o.err)
		}
		if n := strings.Count(strings.Join(log.steps(), " "), admin.StepHandoff); n != 1 {
			t.Fatalf("%d handoff events, want 1 (nobody would answer another): %v", n, log.steps())
		}
	}
}

// TestByRouteHandedRoutes: a backend's own route wins over a route handed to another; a
// stopped backend's route goes to whoever took it over.
func TestByRouteHandedRoutes(t *testing.T) {
	snap := &snapshot{members: []member{
		{b: newBackend("a", "x:1"), spec: admin.BackendSpec{Name: "a", Route: "a", Activation: admin.Stopped}},
		{b: newBackend("b", "x:2"), spec: admin.BackendSpec{Name: "b", Route: "b", Activation: admin.Active, HandedRoutes: []string{"a", "c"}}},
		{b: newBackend("c", "x:3"), spec: admin.BackendSpec{Name: "c", Route: "c", Activation: admin.Active}},
		{b: newBackend("d", "x:4"), spec: admin.BackendSpec{Name: "d", Route: "d", Activation: admin.Stopped}},
	}}
	for route, want := range map[string]string{"a": "b", "b": "b", "c": "c", "d": "d"} {
		if m, ok := snap.byRoute(route); !ok || m.spec.Name != want {
			t.Errorf("route %s: %s (%v), want %s", route, m.spec.Name, ok, want)
		}
	}
	if _, ok := snap.byRoute("e"); ok {
		t.Error("route e found")
	}
}
