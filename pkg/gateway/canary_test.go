package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// startFailingBackend is a nameBackend that answers 500 ("<name> failed") to every
// failEvery-th page request (health checks never fail): a release that went bad.
func startFailingBackend(t testing.TB, name string, failEvery int) *nameBackend {
	t.Helper()
	nb := &nameBackend{name: name}
	var n atomic.Int64
	nb.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "roll-gateway-health" && !strings.HasSuffix(r.URL.Path, "/login") &&
			n.Add(1)%int64(failEvery) == 0 {
			http.Error(w, name+" failed", http.StatusInternalServerError)
			return
		}
		nb.serve(w, r)
	}))
	t.Cleanup(nb.srv.Close)
	return nb
}

// startRequest runs the rollout req of service app, its events in log.
func startRequest(g *testGateway, req admin.RolloutRequest, log *eventLog) <-chan rolloutOutcome {
	done := make(chan rolloutOutcome, 1)
	go func() {
		res, err := g.Rollout(context.Background(), "app", req, log.add)
		done <- rolloutOutcome{res, err}
	}()
	return done
}

func waitOutcome(t *testing.T, done <-chan rolloutOutcome) rolloutOutcome {
	t.Helper()
	select {
	case o := <-done:
		return o
	case <-time.After(30 * time.Second):
		t.Fatal("the rollout did not end")
	}
	return rolloutOutcome{}
}

// countBodies sends n anonymous requests one after the other and counts the answers by body.
func countBodies(t *testing.T, g *testGateway, n int) map[string]int {
	t.Helper()
	out := map[string]int{}
	for range n {
		code, body := get(t, g.URL+"/page", "")
		out[fmt.Sprintf("%d %s", code, strings.TrimSpace(body))]++
	}
	return out
}

// TestCanarySplitsNewTrafficAndPromotesByHand: during a canary the new backend gets exactly
// its share of the anonymous requests, the old one's sticky user stays on old, a session the
// canary issued stays on the canary; the status shows the figures; a promote by hand is
// followed by the normal switch and drain.
func TestCanarySplitsNewTrafficAndPromotesByHand(t *testing.T) {
	g, _ := rolloutService(t, "sessions", time.Second)
	next := startNameBackend(t, "new")
	oldUser, owner := login(t, g)
	if owner != "old" {
		t.Fatalf("session on %s", owner)
	}
	if _, err := g.PromoteCanary(t.Context(), "app", admin.CanaryDecision{}); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("promote with no canary: %v, want ErrConflict", err)
	}
	log := newEventLog()
	done := startRequest(g, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		Canary:   &admin.CanarySpec{Share: 0.25, Window: admin.Duration(time.Hour), MinRequests: 10},
	}, log)
	log.wait(t, admin.StepCanary)
	got := countBodies(t, g, 400)
	if got["200 new"] < 99 || got["200 new"] > 101 || got["200 old"]+got["200 new"] != 400 {
		t.Fatalf("400 anonymous requests during a 25%% canary: %v, want 100 ± 1 on new", got)
	}
	for range 20 {
		if _, body := get(t, g.URL+"/page", oldUser); body != "old" {
			t.Fatalf("the old version's user went to %s during the canary", body)
		}
	}
	var canaryUser string
	for canaryUser == "" {
		if c, owner := login(t, g); owner == "new" {
			canaryUser = c
		}
	}
	for range 20 {
		if _, body := get(t, g.URL+"/page", canaryUser); body != "new" {
			t.Fatalf("the canary's user went to %s during the canary", body)
		}
	}
	st, err := g.Service(t.Context(), "app")
	if err != nil || st.Canary == nil {
		t.Fatalf("status during the canary: %+v, %v", st.Canary, err)
	}
	if c := st.Canary; c.Verdict != admin.CanaryPending || c.New.Requests < 100 || c.Old.Requests < 300 || c.New.Failed != 0 ||
		c.New.Backends[0] != "new" || c.Old.Backends[0] != "old" || c.Left <= 0 || c.New.P95 <= 0 {
		t.Fatalf("canary figures: %+v", c)
	}
	dec, err := g.PromoteCanary(t.Context(), "app", admin.CanaryDecision{Reason: "looks fine"})
	if err != nil || dec.Verdict != admin.CanaryPromote || !dec.ByHand || !strings.Contains(dec.Reason, "looks fine") {
		t.Fatalf("promote: %+v, %v", dec, err)
	}
	if _, err := g.AbortCanary(t.Context(), "app", admin.CanaryDecision{}); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("abort after the promote: %v, want ErrConflict", err)
	}
	log.wait(t, admin.StepSwitched)
	if last, ok := lastCanaryEvent(log); !ok || last.Canary.Verdict != admin.CanaryPromote || !last.Canary.ByHand {
		t.Fatalf("the last canary event before the switch: %+v", last.Canary)
	}
	if got := countBodies(t, g, 20); got["200 new"] != 20 {
		t.Fatalf("after the promote: %v, want every anonymous request on new", got)
	}
	if _, body := get(t, g.URL+"/page", oldUser); body != "old" {
		t.Fatalf("the old version's user went to %s during the drain", body)
	}
	o := waitOutcome(t, done)
	if o.err != nil || !o.res.Switched || o.res.Aborted || o.res.Canary == nil || !o.res.Canary.ByHand {
		t.Fatalf("rollout: %+v, %v", o.res, o.err)
	}
	if h, _ := g.Deploys(t.Context(), "app"); len(h) == 0 || h[0].Outcome != admin.OutcomeSucceeded {
		t.Fatalf("history: %+v", h)
	}
}

// TestBadCanaryAbortsAndDrainsBack: a canary that fails one request in two aborts on its
// error share before its window ends; every failed request came from the canary; the
// canary's user stays on it until idle (not logged out), the old one's never left old;
// then the canary stops and goes, and the rollout ends aborted with the figures.
func TestBadCanaryAbortsAndDrainsBack(t *testing.T) {
	g, _ := rolloutService(t, "sessions", 1500*time.Millisecond)
	bad := startFailingBackend(t, "new", 2)
	oldUser, _ := login(t, g)
	log := newEventLog()
	done := startRequest(g, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: bad.addr()}},
		Canary:   &admin.CanarySpec{Share: 0.5, Window: admin.Duration(time.Hour), MinRequests: 20},
	}, log)
	log.wait(t, admin.StepCanary)
	var canaryUser string
	for canaryUser == "" {
		if c, owner := login(t, g); owner == "new" {
			canaryUser = c
		}
	}
	got := map[string]int{}
	for {
		if _, ok := log.find(admin.StepAborted); ok {
			break
		}
		if st, _ := g.Service(t.Context(), "app"); st.Canary == nil {
			break // decided: the drain back runs
		}
		code, body := get(t, g.URL+"/page", "")
		got[fmt.Sprintf("%d %s", code, strings.TrimSpace(body))]++
		if code, body := get(t, g.URL+"/page", oldUser); code != 200 || body != "old" {
			t.Fatalf("the old version's user got %d %q during the canary", code, body)
		}
	}
	for k, n := range got {
		if k != "200 old" && k != "200 new" && k != "500 new failed" {
			t.Fatalf("%d answers %q during the canary: only the canary may fail", n, k)
		}
	}
	if got["500 new failed"] == 0 {
		t.Fatalf("the bad canary failed nothing: %v", got)
	}
	// The drain back: the canary's user is still served by it (its own route), nobody new is.
	sawCanary := false
	for {
		if _, ok := log.find(admin.StepAborted); ok {
			break
		}
		if code, body := get(t, g.URL+"/page", canaryUser); code == 200 && body == "new" {
			sawCanary = true
		} else if code != 500 {
			t.Fatalf("the canary's user got %d %q during the drain back", code, body)
		}
		if _, body := get(t, g.URL+"/page", ""); body != "old" {
			t.Fatalf("an anonymous request went to %q after the abort", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !sawCanary {
		t.Fatal("the canary's user was not served by the canary during the drain back")
	}
	o := waitOutcome(t, done)
	if o.err != nil || o.res.Switched || !o.res.Aborted || o.res.Canary == nil || o.res.Canary.Verdict != admin.CanaryAbort ||
		!strings.Contains(o.res.Canary.Reason, "error share") || o.res.Canary.New.Failed == 0 || o.res.Canary.Old.Failed != 0 {
		t.Fatalf("rollout: %+v %+v, %v", o.res, o.res.Canary, o.err)
	}
	h, _ := g.Deploys(t.Context(), "app")
	if len(h) == 0 || h[0].Outcome != admin.OutcomeAborted || !strings.Contains(h[0].Message, "error share") {
		t.Fatalf("history: %+v", h)
	}
	st, _ := g.Service(t.Context(), "app")
	if len(st.Backends) != 1 || st.Backends[0].Name != "old" || st.Backends[0].Activation != admin.Active || st.Canary != nil {
		t.Fatalf("after the abort: %+v", st.Backends)
	}
	if _, body := get(t, g.URL+"/page", oldUser); body != "old" {
		t.Fatalf("the old user went to %s after the abort", body)
	}
}

// TestCanaryAbortByHand: `roll abort` ends a good canary too: drained back, outcome aborted.
func TestCanaryAbortByHand(t *testing.T) {
	g, _ := rolloutService(t, "requests", time.Second)
	next := startNameBackend(t, "new")
	log := newEventLog()
	done := startRequest(g, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		Canary:   &admin.CanarySpec{Share: 0.1, Window: admin.Duration(time.Hour)},
	}, log)
	log.wait(t, admin.StepCanary)
	countBodies(t, g, 30)
	st, err := g.AbortCanary(t.Context(), "app", admin.CanaryDecision{Reason: "wrong build"})
	if err != nil || st.Verdict != admin.CanaryAbort || !st.ByHand || st.New.Requests != 3 {
		t.Fatalf("abort: %+v, %v", st, err)
	}
	o := waitOutcome(t, done)
	if o.err != nil || !o.res.Aborted || !strings.Contains(o.res.Canary.Reason, "wrong build") {
		t.Fatalf("rollout: %+v, %v", o.res, o.err)
	}
	if got := countBodies(t, g, 10); got["200 old"] != 10 {
		t.Fatalf("after the abort: %v", got)
	}
}

// TestCanaryWithTooFewRequestsIsInconclusive: no traffic, no promote: after twice its
// window the canary aborts as inconclusive.
func TestCanaryWithTooFewRequestsIsInconclusive(t *testing.T) {
	g, _ := rolloutService(t, "requests", time.Second)
	next := startNameBackend(t, "new")
	log := newEventLog()
	done := startRequest(g, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		Canary:   &admin.CanarySpec{Share: 0.5, Window: admin.Duration(500 * time.Millisecond), MinRequests: 1000},
	}, log)
	o := waitOutcome(t, done)
	if o.err != nil || !o.res.Aborted || !strings.Contains(o.res.Canary.Reason, "inconclusive") {
		t.Fatalf("rollout: %+v %+v, %v", o.res, o.res.Canary, o.err)
	}
	if _, ok := log.find(admin.StepSwitched); ok {
		t.Fatal("an inconclusive canary switched")
	}
}

// TestCanaryRefusesBadSpecs: a share out of (0, 1) or a slow start too long is ErrInvalid
// before anything changes.
func TestCanaryRefusesBadSpecs(t *testing.T) {
	g, _ := rolloutService(t, "requests", time.Second)
	for _, req := range []admin.RolloutRequest{
		{Canary: &admin.CanarySpec{Share: 1}},
		{Canary: &admin.CanarySpec{Share: 0.1, MaxP95Ratio: 0.5}},
		{SlowStart: admin.Duration(2 * time.Hour)},
		{SlowStart: -1},
	} {
		req.Backends = []admin.BackendSpec{{Name: "new", Address: "127.0.0.1:1"}}
		if _, err := g.Rollout(t.Context(), "app", req, nil); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", req, err)
		}
	}
}

// TestCanaryWithoutAnOldVersionSwitchesAtOnce: a first deploy (nothing active to compare
// with, nobody to spare) skips the canary and the slow start.
func TestCanaryWithoutAnOldVersionSwitchesAtOnce(t *testing.T) {
	g := newTestGateway(t, nil)
	mustPut(t, g, httpService("app"))
	first := startNameBackend(t, "first")
	log := newEventLog()
	o := waitOutcome(t, startRequest(g, admin.RolloutRequest{
		Backends:  []admin.BackendSpec{{Name: "first", Address: first.addr()}},
		Canary:    &admin.CanarySpec{Share: 0.1, Window: admin.Duration(time.Hour)},
		SlowStart: admin.Duration(time.Hour),
	}, log))
	if o.err != nil || !o.res.Switched || o.res.Canary != nil {
		t.Fatalf("rollout: %+v, %v", o.res, o.err)
	}
	if _, ok := log.find(admin.StepCanary); ok {
		t.Fatal("a canary ran with no old version")
	}
}

// TestAbortedCanaryHandsItsUsersBack: in drain mode handoff, an aborted canary's active
// users go back to the old backend through the session store, as an old version's users go
// on to a new one: held while the canary stops, then served by the old backend under the
// same session id (its handed route), without a failed request.
func TestAbortedCanaryHandsItsUsersBack(t *testing.T) {
	g, _ := handoffService(t, nil, nil)
	next := startNameBackend(t, "new")
	log := newEventLog()
	done := startRequest(g, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		Canary:   &admin.CanarySpec{Share: 0.5, Window: admin.Duration(time.Hour)},
	}, log)
	log.wait(t, admin.StepCanary)
	var cookie string
	for cookie == "" {
		if c, owner := login(t, g); owner == "new" {
			cookie = c
		}
	}
	user := startStickyUser(t, g.URL+"/page?sleep=5ms", cookie)
	eventually(t, 5*time.Second, "the canary user's first answers", func() bool {
		user.mu.Lock()
		defer user.mu.Unlock()
		return len(user.bodies) > 0
	})
	if _, err := g.AbortCanary(t.Context(), "app", admin.CanaryDecision{}); err != nil {
		t.Fatal(err)
	}
	ev := log.wait(t, admin.StepHandoff)
	if len(ev.Old) != 1 || ev.Old[0].Name != "new" {
		t.Fatalf("handoff event of the drain back: %+v", ev.Old)
	}
	next.srv.Close() // the canary's container stops
	if err := g.Handoff(t.Context(), "app", admin.HandoffReply{Rollout: ev.ID, Stopped: []string{"new"}}); err != nil {
		t.Fatalf("Handoff: %v", err)
	}
	o := waitOutcome(t, done)
	if o.err != nil || !o.res.Aborted || o.res.HandedOff != 1 || o.res.HandoffFallback != "" {
		t.Fatalf("rollout: %+v %v", o.res, o.err)
	}
	time.Sleep(50 * time.Millisecond)
	user.end()
	if len(user.failed) > 0 || !slices.Equal(user.bodies, []string{"new", "old"}) {
		t.Fatalf("the canary's user: served by %v, %d failed (%v); want new then old, none failed", user.bodies, len(user.failed), user.failed)
	}
	if b := backendOf(t, g, "app", "old"); !slices.Equal(b.HandedRoutes, []string{"new"}) || b.Activation != admin.Active {
		t.Fatalf("old after the drain back: %+v", b)
	}
}

// lastCanaryEvent is the last StepCanary event of log.
func lastCanaryEvent(log *eventLog) (admin.RolloutEvent, bool) {
	log.mu.Lock()
	defer log.mu.Unlock()
	for i := len(log.events) - 1; i >= 0; i-- {
		if log.events[i].Step == admin.StepCanary && log.events[i].Canary != nil {
			return log.events[i], true
		}
	}
	return admin.RolloutEvent{}, false
}
