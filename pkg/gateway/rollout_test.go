package gateway

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// eventLog collects rollout events; wait blocks until a step shows up.
type eventLog struct {
	mu     sync.Mutex
	events []admin.RolloutEvent
	notify chan struct{}
}

func newEventLog() *eventLog { return &eventLog{notify: make(chan struct{}, 1)} }

func (l *eventLog) add(ev admin.RolloutEvent) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *eventLog) steps() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s []string
	for _, ev := range l.events {
		if len(s) == 0 || s[len(s)-1] != ev.Step {
			s = append(s, ev.Step)
		}
	}
	return s
}

func (l *eventLog) find(step string) (admin.RolloutEvent, bool) { return l.nth(step, 1) }

func (l *eventLog) wait(t *testing.T, step string) admin.RolloutEvent {
	t.Helper()
	return l.waitNth(t, step, 1)
}

// waitNth waits for the n-th event of step (from 1).
func (l *eventLog) waitNth(t *testing.T, step string, n int) admin.RolloutEvent {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if ev, ok := l.nth(step, n); ok {
			return ev
		}
		select {
		case <-l.notify:
		case <-deadline:
			t.Fatalf("no %s event number %d; got %v", step, n, l.steps())
		}
	}
}

func (l *eventLog) nth(step string, n int) (admin.RolloutEvent, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ev := range l.events {
		if ev.Step == step {
			if n--; n == 0 {
				return ev, true
			}
		}
	}
	return admin.RolloutEvent{}, false
}

func rolloutService(t *testing.T, mode admin.DrainMode, sessionIdle time.Duration) (*testGateway, *nameBackend) {
	g := newTestGateway(t, nil)
	old := startNameBackend(t, "old")
	spec := httpService("app")
	spec.Drain.Mode = mode
	spec.SessionIdle = admin.Duration(sessionIdle)
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "old", Address: old.addr()})
	return g, old
}

func TestRolloutEndToEnd(t *testing.T) {
	g, _ := rolloutService(t, "sessions", 1500*time.Millisecond)
	next := startNameBackend(t, "new")
	cookie, owner := login(t, g)
	if owner != "old" {
		t.Fatalf("session on %s", owner)
	}
	log := newEventLog()
	type outcome struct {
		res admin.RolloutResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
			Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
			Meta:     map[string]string{"image": "app:2"},
		}, log.add)
		done <- outcome{res, err}
	}()
	log.wait(t, admin.StepSwitched)
	// After the switch: the old session stays on old, new sessions go to new.
	if _, body := get(t, g.URL+"/page", cookie); body != "old" {
		t.Fatalf("old session went to %s during the drain", body)
	}
	if _, body := get(t, g.URL+"/page", ""); body != "new" {
		t.Fatalf("a new request went to %s after the switch", body)
	}
	ev := log.wait(t, admin.StepDraining)
	if len(ev.Old) != 1 || ev.Old[0].Name != "old" || ev.Old[0].Sessions != 1 || ev.Old[0].Activation != admin.Draining {
		t.Fatalf("draining event: %+v", ev.Old)
	}
	o := <-done
	if o.err != nil || !o.res.Switched || o.res.DrainTimedOut || o.res.Reverted {
		t.Fatalf("rollout: %+v %v", o.res, o.err)
	}
	want := []string{admin.StepAdded, admin.StepReady, admin.StepSwitched, admin.StepDraining, admin.StepDrained}
	if got := log.steps(); !slices.Equal(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	last, _ := log.find(admin.StepDrained)
	if last.Result == nil || !last.Result.Switched {
		t.Fatalf("last event carries no result: %+v", last)
	}
	if b := backendOf(t, g, "app", "old"); b.Activation != admin.Stopped {
		t.Fatalf("old is %s after the drain", b.Activation)
	}
	if b := backendOf(t, g, "app", "new"); b.Activation != admin.Active {
		t.Fatalf("new is %s after the drain", b.Activation)
	}
	deploys, _ := g.Deploys(t.Context(), "app")
	if len(deploys) != 1 || deploys[0].Outcome != admin.OutcomeSucceeded || deploys[0].Meta["image"] != "app:2" {
		t.Fatalf("history: %+v", deploys)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, ev := range log.events {
		if ev.ID == "" || ev.ID != deploys[0].ID {
			t.Fatalf("%s event has id %q, want the deploy record's %q", ev.Step, ev.ID, deploys[0].ID)
		}
	}
}

func TestRolloutNeverReady(t *testing.T) {
	g, _ := rolloutService(t, "requests", time.Minute)
	log := newEventLog()
	_, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
		Backends:     []admin.BackendSpec{{Name: "new", Address: freeAddr(t)}},
		ReadyTimeout: admin.Duration(1500 * time.Millisecond),
	}, log.add)
	if !errors.Is(err, admin.ErrNotReady) {
		t.Fatalf("rollout: %v, want ErrNotReady", err)
	}
	probing, _ := log.find(admin.StepProbing)
	if !strings.Contains(probing.Message, "connect") && !strings.Contains(probing.Message, "refused") {
		t.Fatalf("probing event does not say why: %q", probing.Message)
	}
	failed, ok := log.find(admin.StepFailed)
	if !ok || failed.Error == nil || failed.Error.Code != "not_ready" {
		t.Fatalf("failed event: %+v", failed)
	}
	st, _ := g.Service(t.Context(), "app")
	if len(st.Backends) != 1 || st.Backends[0].Name != "old" || st.Backends[0].Activation != admin.Active {
		t.Fatalf("after a failed rollout: %+v", st.Backends)
	}
	if _, body := get(t, g.URL+"/", ""); body != "old" {
		t.Fatalf("old does not serve: %q", body)
	}
	if d, _ := g.Deploys(t.Context(), "app"); len(d) != 1 || d[0].Outcome != admin.OutcomeFailed {
		t.Fatalf("history: %+v", d)
	}
}

func TestRolloutCancelBeforeSwitchAndBusy(t *testing.T) {
	g, _ := rolloutService(t, "requests", time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	log := newEventLog()
	done := make(chan error, 1)
	go func() {
		_, err := g.Rollout(ctx, "app", admin.RolloutRequest{
			Backends:     []admin.BackendSpec{{Name: "new", Address: freeAddr(t)}},
			ReadyTimeout: admin.Duration(time.Minute),
		}, log.add)
		done <- err
	}()
	log.wait(t, admin.StepProbing)
	if _, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "other", Address: freeAddr(t)}},
	}, nil); !errors.Is(err, admin.ErrBusy) {
		t.Fatalf("second rollout: %v, want ErrBusy", err)
	}
	if _, err := g.AddBackend(t.Context(), "app", admin.BackendSpec{Name: "x", Address: "127.0.0.1:1"}); !errors.Is(err, admin.ErrBusy) {
		t.Fatalf("AddBackend during a rollout: %v, want ErrBusy", err)
	}
	if st, _ := g.Service(t.Context(), "app"); st.Rollout == nil || st.Rollout.Step != admin.StepProbing {
		t.Fatalf("status shows no rollout in progress: %+v", st.Rollout)
	}
	cancel()
	if err := <-done; err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled rollout: %v", err)
	}
	log.wait(t, admin.StepFailed)
	st, _ := g.Service(t.Context(), "app")
	if len(st.Backends) != 1 || st.Backends[0].Activation != admin.Active {
		t.Fatalf("after cancel: %+v", st.Backends)
	}
	// The service is free again.
	next := startNameBackend(t, "new")
	if _, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
	}, nil); err != nil {
		t.Fatalf("rollout after the cancelled one: %v", err)
	}
}

func TestRolloutRevertsWhenNewBackendsFail(t *testing.T) {
	g, _ := rolloutService(t, "sessions", time.Minute)
	cookie, _ := login(t, g) // a live session keeps old draining
	next := startKillable(t, "new")
	log := newEventLog()
	done := make(chan admin.RolloutResult, 1)
	go func() {
		res, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
			Backends: []admin.BackendSpec{{Name: "new", Address: next.addr}},
		}, log.add)
		if err != nil {
			t.Errorf("rollout: %v", err)
		}
		done <- res
	}()
	log.wait(t, admin.StepDraining)
	next.kill()
	res := <-done
	if !res.Reverted || !res.Switched {
		t.Fatalf("result %+v, want reverted", res)
	}
	log.wait(t, admin.StepReverted)
	if b := backendOf(t, g, "app", "old"); b.Activation != admin.Active {
		t.Fatalf("old is %s after the revert", b.Activation)
	}
	if b := backendOf(t, g, "app", "new"); b.Activation != admin.Stopped {
		t.Fatalf("new is %s after the revert", b.Activation)
	}
	if _, body := get(t, g.URL+"/", cookie); body != "old" {
		t.Fatalf("after the revert: %q", body)
	}
	if d, _ := g.Deploys(t.Context(), "app"); len(d) != 1 || d[0].Outcome != admin.OutcomeReverted {
		t.Fatalf("history: %+v", d)
	}
}

func TestRolloutOverTheAdminAPI(t *testing.T) {
	g, _ := rolloutService(t, "requests", time.Minute)
	next := startNameBackend(t, "new")
	cl := admin.NewClient(g.AdminURL, testToken)
	var steps []string
	res, err := cl.Rollout(context.Background(), "app", admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
	}, func(ev admin.RolloutEvent) { steps = append(steps, ev.Step) })
	if err != nil || !res.Switched {
		t.Fatalf("rollout over HTTP: %+v %v (steps %v)", res, err, steps)
	}
	if steps[0] != admin.StepAdded || steps[len(steps)-1] != admin.StepDrained {
		t.Fatalf("streamed steps %v", steps)
	}
}

func TestRolloutDrainTimeout(t *testing.T) {
	g, _ := rolloutService(t, "requests", time.Minute)
	next := startNameBackend(t, "new")
	slow := make(chan int, 1)
	go func() {
		code, _, _ := tryGet(g.URL + "/?sleep=1500ms") // in flight on old through the whole drain timeout
		slow <- code
	}()
	eventually(t, 5*time.Second, "a request in flight on old", func() bool { return backendOf(t, g, "app", "old").InFlight == 1 })
	log := newEventLog()
	res, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
		Backends:     []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		DrainTimeout: admin.Duration(300 * time.Millisecond),
	}, log.add)
	if err != nil || !res.DrainTimedOut {
		t.Fatalf("rollout: %+v %v, want a drain timeout", res, err)
	}
	if ev, _ := log.find(admin.StepDrained); !strings.Contains(ev.Message, "timeout") {
		t.Fatalf("drained event: %q", ev.Message)
	}
	if code := <-slow; code != 200 {
		t.Fatalf("the request in flight when the drain timed out: %d", code)
	}
	if b := backendOf(t, g, "app", "old"); b.Activation != admin.Stopped || b.InFlight != 0 {
		t.Fatalf("old after the timeout: %+v", b)
	}
}

func TestPutServiceKeepsTheSecret(t *testing.T) {
	g := newTestGateway(t, nil)
	spec := httpService("app")
	spec.Secret = "first"
	mustPut(t, g, spec)
	spec.Secret = ""
	spec.PathPrefixes = []string{"/moved"}
	mustPut(t, g, spec)
	cfg := g.services["app"].cfg.Load().spec
	if cfg.Secret != "first" || cfg.PathPrefixes[0] != "/moved" {
		t.Fatalf("after a PUT without secret: %q %v", cfg.Secret, cfg.PathPrefixes)
	}
}

// The ready timeout is wall-clock time: a backend whose port accepts but never answers a
// CPing makes every probe last its whole health timeout, and still the rollout ends within
// one ready interval of the ready timeout, not after a probe's worth more.
func TestRolloutReadyTimeoutIsWallClock(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() }) // held open, never answered
		}
	}()
	g := newTestGateway(t, nil)
	spec := ajpService("app")
	spec.Health.Timeout = admin.Duration(5 * time.Second) // longer than the whole ready timeout
	mustPut(t, g, spec)
	const timeout, interval = 1200 * time.Millisecond, 200 * time.Millisecond
	start := time.Now()
	_, err = g.Rollout(t.Context(), "app", admin.RolloutRequest{
		Backends:      []admin.BackendSpec{{Name: "new", Address: silent.Addr().String()}},
		ReadyTimeout:  admin.Duration(timeout),
		ReadyInterval: admin.Duration(interval),
	}, func(admin.RolloutEvent) {})
	took := time.Since(start)
	if !errors.Is(err, admin.ErrNotReady) {
		t.Fatalf("rollout: %v, want ErrNotReady", err)
	}
	// One interval of slack, and as much again for a loaded CI machine.
	if limit := timeout + 2*interval + 500*time.Millisecond; took > limit {
		t.Fatalf("the rollout gave up after %s with a ready timeout of %s (limit %s)", took, timeout, limit)
	}
}
