package deploy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/project"
)

func canaryFigures(v admin.CanaryVerdict, reason string) *admin.CanaryStatus {
	return &admin.CanaryStatus{Spec: admin.CanarySpec{Share: 0.2}, Verdict: v, Reason: reason, Left: admin.Duration(time.Minute),
		New: admin.CanaryFigures{Requests: 120, Failed: 24, ErrorRate: 0.2, P95: admin.Duration(3 * time.Millisecond)},
		Old: admin.CanaryFigures{Requests: 480, P95: admin.Duration(2 * time.Millisecond)}}
}

// TestAnAbortedCanaryRemovesTheNewContainer: the canary's settings reach the gateway; its
// figures show as canary events; an abort removes the new container, keeps the old, ends
// `aborted` with ErrAborted and the figures in the result.
func TestAnAbortedCanaryRemovesTheNewContainer(t *testing.T) {
	e, g := oneOld()
	g.rollout = func(_ context.Context, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		if req.Canary == nil || req.Canary.Share != 0.2 || time.Duration(req.Canary.Window) != time.Minute || req.Canary.MinRequests != 50 ||
			time.Duration(req.SlowStart) != 10*time.Second {
			t.Errorf("canary request %+v, slow start %s", req.Canary, time.Duration(req.SlowStart))
		}
		progress(admin.RolloutEvent{Step: admin.StepAdded})
		progress(admin.RolloutEvent{Step: admin.StepReady})
		progress(admin.RolloutEvent{Step: admin.StepCanary, Canary: canaryFigures(admin.CanaryPending, "20 of 50 requests needed so far")})
		aborted := canaryFigures(admin.CanaryAbort, "abort: error share 20.0% (24 of 120)")
		progress(admin.RolloutEvent{Step: admin.StepCanary, Canary: aborted})
		progress(admin.RolloutEvent{Step: admin.StepDraining})
		res := admin.RolloutResult{Aborted: true, Canary: aborted}
		progress(admin.RolloutEvent{Step: admin.StepAborted, Canary: aborted, Result: &res})
		return res, nil
	}
	tgt := target
	tgt.Canary = &project.CanarySettings{Share: 0.2, Window: time.Minute, MinRequests: 50}
	tgt.SlowStart = 10 * time.Second
	evs, obs := collect()
	res, err := (&Deployer{Engine: e, Gateway: g, Observer: obs}).Deploy(context.Background(), tgt, Options{})
	if !errors.Is(err, ErrAborted) || res.Outcome != OutcomeAborted || res.FailedStep != StepCanary ||
		res.Canary == nil || res.Canary.New.Failed != 24 || !strings.Contains(res.Error, "error share 20.0%") {
		t.Fatalf("deploy: %v, %+v", err, res)
	}
	if !slices.Contains(e.calls, "remove id2") || slices.Contains(e.calls, "stop id1") || slices.Contains(e.calls, "remove id1") {
		t.Errorf("engine calls %v: want the new container removed, the old kept", e.calls)
	}
	var progress, failed int
	for _, ev := range *evs {
		if ev.Step == StepCanary && ev.Canary != nil {
			switch ev.Status {
			case StatusProgress:
				progress++
				if !strings.Contains(ev.Message, "20% of new sessions") || !strings.Contains(ev.Message, "new 120 req, 20.0% failed, p95 3ms") {
					t.Errorf("canary line %q", ev.Message)
				}
			case StatusFailed:
				failed++
			}
		}
	}
	if progress != 1 || failed != 1 {
		t.Errorf("canary events: %d progress, %d failed; want 1 and 1 (%v)", progress, failed, steps(*evs))
	}
	if len(g.records) != 0 {
		t.Errorf("the gateway records an aborted canary itself; the deploy added %+v", g.records)
	}
}

// TestAPromotedCanaryDeploysAsUsual: promote, then the normal switch, drain and stop; the
// result keeps the canary's figures.
func TestAPromotedCanaryDeploysAsUsual(t *testing.T) {
	e, g := oneOld()
	g.rollout = func(_ context.Context, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		promoted := canaryFigures(admin.CanaryPromote, "promote: error share 0.0%")
		for _, ev := range []admin.RolloutEvent{{Step: admin.StepReady}, {Step: admin.StepCanary, Canary: promoted},
			{Step: admin.StepSwitched}, {Step: admin.StepDrained}} {
			progress(ev)
		}
		return admin.RolloutResult{Switched: true, Canary: promoted}, nil
	}
	tgt := target
	tgt.Canary = &project.CanarySettings{Share: 0.2}
	evs, obs := collect()
	res, err := (&Deployer{Engine: e, Gateway: g, Observer: obs}).Deploy(context.Background(), tgt, Options{})
	if err != nil || res.Outcome != OutcomeSucceeded || res.Canary == nil || res.Canary.Verdict != admin.CanaryPromote {
		t.Fatalf("deploy: %v, %+v", err, res)
	}
	want := []string{"observe:done", "create:done", "start:done", "ready:done", "canary:done", "switch:done", "drain:done", "stop:done", "done:done"}
	if got := steps(*evs); !slices.Equal(got, want) {
		t.Errorf("steps = %v\nwant    %v", got, want)
	}
}

// TestAnAbortedCanaryHandsOffItsOwnContainer: in drain mode handoff the gateway asks to stop
// the canary's container (the new one) before its users go back; the deploy stops it and
// says so, and still never stops an old one.
func TestAnAbortedCanaryHandsOffItsOwnContainer(t *testing.T) {
	e, g := oneOld()
	g.handoffs = make(chan admin.HandoffReply, 1)
	g.rollout = func(_ context.Context, _ admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		aborted := canaryFigures(admin.CanaryAbort, "abort: decided by hand")
		progress(admin.RolloutEvent{Step: admin.StepReady})
		progress(admin.RolloutEvent{Step: admin.StepCanary, Canary: aborted})
		progress(admin.RolloutEvent{ID: "r1", Step: admin.StepHandoff, Old: []admin.BackendStatus{{BackendSpec: admin.BackendSpec{Name: "p-app-2"}}}})
		res := admin.RolloutResult{Aborted: true, Canary: aborted, HandedOff: 1}
		return res, nil
	}
	tgt := target
	tgt.Canary = &project.CanarySettings{Share: 0.2}
	_, err := (&Deployer{Engine: e, Gateway: g}).Deploy(context.Background(), tgt, Options{})
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("deploy: %v", err)
	}
	if r := <-g.handoffs; r.Abort != "" || !slices.Equal(r.Stopped, []string{"p-app-2"}) {
		t.Fatalf("handoff answer %+v, want the canary's container stopped", r)
	}
	if !slices.Contains(e.calls, "stop id2") || slices.Contains(e.calls, "stop id1") {
		t.Errorf("engine calls %v: want the canary stopped, the old not", e.calls)
	}
}
