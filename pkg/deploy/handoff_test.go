package deploy

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// handoffGateway scripts a gateway whose drain asks for a handoff of old and waits for the
// deploy's answer, which it returns in the result as the real gateway would.
func handoffGateway(t *testing.T, g *fakeGateway, old string) {
	g.handoffs = make(chan admin.HandoffReply, 1)
	g.rollout = func(_ context.Context, _ admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		for _, s := range []string{admin.StepAdded, admin.StepReady, admin.StepSwitched} {
			progress(admin.RolloutEvent{ID: "r1", Step: s})
		}
		progress(admin.RolloutEvent{ID: "r1", Step: admin.StepHandoff, Old: []admin.BackendStatus{{BackendSpec: admin.BackendSpec{Name: old}, Sessions: 3}}})
		select {
		case reply := <-g.handoffs:
			res := admin.RolloutResult{Switched: true}
			if reply.Rollout != "r1" {
				t.Errorf("the answer names rollout %q, want r1", reply.Rollout)
			}
			if reply.Abort != "" {
				res.HandoffFallback = "the deploy gave the handoff up: " + reply.Abort
			} else {
				res.HandedOff = 3
			}
			progress(admin.RolloutEvent{ID: "r1", Step: admin.StepDrained, Result: &res})
			return res, nil
		case <-time.After(10 * time.Second):
			t.Error("the deploy never answered the handoff")
			return admin.RolloutResult{}, context.DeadlineExceeded
		}
	}
}

func TestDeployHandoffStopsTheOldAndAnswers(t *testing.T) {
	e, g := oneOld()
	handoffGateway(t, g, "p-app-1")
	d := &Deployer{Engine: e, Gateway: g, Observer: ObserverFunc(func(Event) {})}
	res, err := d.Deploy(context.Background(), target, Options{})
	if err != nil || res.Outcome != OutcomeSucceeded || res.SessionsHandedOff != 3 || res.HandoffFallback != "" {
		t.Fatalf("deploy: %v %+v", err, res)
	}
	// The old container was stopped for the handoff, before the answer, and removed after.
	stop := slices.Index(e.calls, "stop id1")
	if stop < 0 || !slices.Contains(e.calls[stop:], "remove id1") {
		t.Fatalf("engine calls = %v", e.calls)
	}
}

func TestDeployHandoffOfAnUnknownContainerIsGivenUp(t *testing.T) {
	e, g := oneOld()
	handoffGateway(t, g, "someone-elses")
	d := &Deployer{Engine: e, Gateway: g, Observer: ObserverFunc(func(Event) {})}
	res, err := d.Deploy(context.Background(), target, Options{})
	if err != nil || res.SessionsHandedOff != 0 || !strings.Contains(res.HandoffFallback, "someone-elses") {
		t.Fatalf("deploy: %v %+v", err, res)
	}
	if i := slices.Index(e.calls, "stop id1"); i >= 0 && !slices.Contains(e.calls[i:], "remove id1") {
		t.Fatalf("engine calls = %v", e.calls)
	}
}

// ctxEngine and ctxGateway fail a stop or an answer whose context ended, as the Docker and
// admin clients do.
type ctxEngine struct{ *fakeEngine }

func (e ctxEngine) Stop(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return e.fakeEngine.Stop(ctx, id)
}

type ctxGateway struct{ *fakeGateway }

func (g ctxGateway) Handoff(ctx context.Context, svc string, reply admin.HandoffReply) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return g.fakeGateway.Handoff(ctx, svc, reply)
}

// TestDeployHandoffIsSeenThroughWhenInterrupted: a Ctrl-C as the gateway asks for the handoff
// does not leave the gateway without an answer: the old container is stopped and reported, so
// that the held users are neither sent back to a stopping container nor to an older copy.
func TestDeployHandoffIsSeenThroughWhenInterrupted(t *testing.T) {
	e, g := oneOld()
	handoffGateway(t, g, "p-app-1")
	ctx, cancel := context.WithCancel(context.Background())
	scripted := g.rollout
	g.rollout = func(rctx context.Context, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		return scripted(rctx, req, func(ev admin.RolloutEvent) {
			if ev.Step == admin.StepHandoff {
				cancel() // the user presses Ctrl-C
			}
			progress(ev)
		})
	}
	d := &Deployer{Engine: ctxEngine{e}, Gateway: ctxGateway{g}, Observer: ObserverFunc(func(Event) {})}
	res, _ := d.Deploy(ctx, target, Options{})
	if res.SessionsHandedOff != 3 || res.HandoffFallback != "" {
		t.Fatalf("result %+v; want the handoff answered with the old container stopped", res)
	}
	if !slices.Contains(e.calls, "stop id1") {
		t.Fatalf("engine calls = %v; want id1 stopped", e.calls)
	}
}
