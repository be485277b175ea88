package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// switchedThenBroke is a gateway whose rollout stream breaks right after the switch (the
// gateway container was killed): the rollout goes on in the gateway as rollout "r1".
func switchedThenBroke(g *fakeGateway) {
	g.rollout = func(_ context.Context, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		for _, s := range []string{admin.StepAdded, admin.StepReady, admin.StepSwitched} {
			progress(admin.RolloutEvent{ID: "r1", Step: s})
		}
		g.mu.Lock()
		g.set(req.Backends[0].Name, admin.Active)
		g.set("p-app-1", admin.Draining)
		g.mu.Unlock()
		return admin.RolloutResult{}, fmt.Errorf("reading the rollout stream: %w", admin.ErrUnavailable)
	}
}

// endsAs scripts the gateway's answers while the deploy follows (after its first call, the
// observe): down for two calls, then the rollout drains for two, then it ends with outcome,
// recorded in the history.
func endsAs(g *fakeGateway, outcome admin.Outcome, after func()) {
	drainingOld := []admin.BackendStatus{{BackendSpec: admin.BackendSpec{Name: "p-app-1"}, Sessions: 3}}
	n := 0
	g.service = func(call int) error {
		if call == 1 {
			return nil
		}
		n++
		switch {
		case n <= 2:
			return fmt.Errorf("gateway restarting: %w", admin.ErrUnavailable)
		case n <= 4:
			g.rolling = &admin.RolloutEvent{ID: "r1", Step: admin.StepDraining, Old: drainingOld, Message: "0 in flight, 3 live sessions"}
		case g.rolling != nil:
			g.rolling = nil
			g.history = append([]admin.DeployRecord{{ID: "r1", Outcome: outcome, Message: "ended " + string(outcome)}}, g.history...)
			after()
		}
		return nil
	}
}

// switched acknowledges a rollout up to its switch.
func switched(progress func(admin.RolloutEvent)) {
	for _, s := range []string{admin.StepAdded, admin.StepReady, admin.StepSwitched} {
		progress(admin.RolloutEvent{ID: "r2", Step: s})
	}
}

func follower(e *fakeEngine, g *fakeGateway, obs Observer) *Deployer {
	return &Deployer{Engine: e, Gateway: g, Observer: obs, PollInterval: time.Millisecond}
}

func TestDeployFollowsARolloutThatOutlivedItsStream(t *testing.T) {
	e, g := oneOld()
	switchedThenBroke(g)
	endsAs(g, OutcomeSucceeded, func() { g.set("p-app-1", admin.Stopped) })
	evs, obs := collect()
	res, err := follower(e, g, obs).Deploy(context.Background(), target, Options{})
	if err != nil || res.Outcome != OutcomeSucceeded {
		t.Fatalf("deploy: %v %+v", err, res)
	}
	if !slices.Contains(e.calls, "stop id1") || !slices.Contains(e.calls, "remove id1") || slices.Contains(e.calls, "remove id2") {
		t.Errorf("engine calls = %v: want the old stopped and removed once the gateway's drain ended, the new kept", e.calls)
	}
	var counted bool
	for _, ev := range *evs {
		counted = counted || (ev.Step == StepDrain && len(ev.Counts) == 1 && ev.Counts[0].Sessions == 3)
	}
	if !counted {
		t.Errorf("no drain counts while following: %v", steps(*evs))
	}
}

func TestDeployFollowedRolloutThatRevertedRemovesTheNew(t *testing.T) {
	e, g := oneOld()
	switchedThenBroke(g)
	endsAs(g, OutcomeReverted, func() { g.set("p-app-1", admin.Active); g.set("p-app-2", admin.Stopped) })
	res, err := follower(e, g, nil).Deploy(context.Background(), target, Options{})
	if !errors.Is(err, ErrReverted) || res.Outcome != OutcomeReverted {
		t.Fatalf("err=%v outcome=%s", err, res.Outcome)
	}
	if !slices.Contains(e.calls, "remove id2") || slices.Contains(e.calls, "stop id1") {
		t.Errorf("engine calls = %v: want the new removed and the old untouched", e.calls)
	}
}

func TestDeploySupersededLeavesEveryContainerToTheNewerDeploy(t *testing.T) {
	for _, how := range []string{"stream", "followed"} {
		t.Run(how, func(t *testing.T) {
			e, g := oneOld()
			if how == "stream" {
				g.rollout = func(_ context.Context, _ admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
					for _, s := range []string{admin.StepAdded, admin.StepReady, admin.StepSwitched, admin.StepDrained} {
						progress(admin.RolloutEvent{ID: "r1", Step: s})
					}
					return admin.RolloutResult{Switched: true, Superseded: true}, nil
				}
			} else {
				switchedThenBroke(g)
				endsAs(g, OutcomeSuperseded, func() {})
			}
			res, err := follower(e, g, nil).Deploy(context.Background(), target, Options{})
			if err != nil || res.Outcome != OutcomeSuperseded {
				t.Fatalf("err=%v outcome=%s", err, res.Outcome)
			}
			for _, c := range e.calls {
				if c == "stop id1" || c == "remove id1" || c == "remove id2" {
					t.Errorf("engine calls = %v: a superseded deploy must leave the old and its own new container to the newer rollout", e.calls)
				}
			}
		})
	}
}

func TestRerunFollowsADrainTowardsItsOwnImage(t *testing.T) {
	// The gateway restarted during a drain; the first deploy gave up. Its re-run finds the
	// new container active with the wanted image and the old one draining.
	e, g := oneOld()
	e.containers["id2"] = Container{ID: "id2", Name: "p-app-2", Number: 2, State: "running", Image: "app:v2"}
	g.set("p-app-1", admin.Draining)
	g.set("p-app-2", admin.Active)
	g.rolling = &admin.RolloutEvent{ID: "r1", Step: admin.StepDraining}
	g.rollout = func(context.Context, admin.RolloutRequest, func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		t.Error("a re-run of the image that already serves must not start another rollout")
		return admin.RolloutResult{}, nil
	}
	n := 0
	g.service = func(int) error {
		if n++; n == 3 { // observe, one poll while draining, then the drain ends
			g.rolling = nil
			g.set("p-app-1", admin.Stopped)
			g.history = []admin.DeployRecord{{ID: "r1", Outcome: OutcomeSucceeded}}
		}
		return nil
	}
	res, err := follower(e, g, nil).Deploy(context.Background(), target, Options{})
	if err != nil || res.Outcome != OutcomeSucceeded || !slices.Equal(res.New, []string{"p-app-2"}) {
		t.Fatalf("err=%v result=%+v", err, res)
	}
	if want := []string{"stop id1", "remove id1"}; !slices.Equal(e.calls, want) {
		t.Errorf("engine calls = %v, want %v: converge to the one container of app:v2", e.calls, want)
	}
}

func TestRerunOfAnotherImageTakesTheDrainOver(t *testing.T) {
	e, g := oneOld()
	e.containers["id2"] = Container{ID: "id2", Name: "p-app-2", Number: 2, State: "running", Image: "app:v2"}
	g.set("p-app-1", admin.Draining)
	g.set("p-app-2", admin.Active)
	g.rolling = &admin.RolloutEvent{ID: "r1", Step: admin.StepDraining}
	var rolled bool
	g.rollout = func(_ context.Context, _ admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		rolled = true
		switched(progress)
		return admin.RolloutResult{Switched: true}, nil
	}
	v3 := target
	v3.Image = "app:v3"
	if _, err := follower(e, g, nil).Deploy(context.Background(), v3, Options{}); err != nil {
		t.Fatal(err)
	}
	if !rolled || !slices.Contains(e.calls, "create p-app-3") {
		t.Errorf("a newer image must start its own rollout; calls %v", e.calls)
	}
}

func TestRetireLeavesWhatTheGatewayStillRoutes(t *testing.T) {
	e, g := oneOld()
	g.rollout = func(_ context.Context, _ admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		switched(progress)
		return admin.RolloutResult{Switched: true}, nil
	}
	// Between the drain's end and the retire, a newer deploy switched and drains p-app-1 again.
	n := 0
	g.service = func(int) error {
		if n++; n == 2 {
			g.set("p-app-1", admin.Draining)
		}
		return nil
	}
	evs, obs := collect()
	if _, err := follower(e, g, obs).Deploy(context.Background(), target, Options{}); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(e.calls, "stop id1") {
		t.Errorf("calls %v: a container the gateway still routes to was stopped", e.calls)
	}
	if !slices.Contains(steps(*evs), "stop:warn") {
		t.Errorf("steps %v: want a warning naming what was left", steps(*evs))
	}
}

func TestFollowStopsWhenTheGatewayLostTheRollout(t *testing.T) {
	e, g := oneOld()
	switchedThenBroke(g) // the gateway then answers with no rollout and no record of r1
	_, err := follower(e, g, nil).Deploy(context.Background(), target, Options{})
	if !errors.Is(err, ErrGateway) || slices.Contains(e.calls, "stop id1") {
		t.Fatalf("err=%v calls=%v: want a gateway error and the old left running", err, e.calls)
	}
}

func TestFollowEndsAtOnceWhenInterrupted(t *testing.T) {
	e, g := oneOld()
	switchedThenBroke(g)
	ctx, cancel := context.WithCancel(context.Background())
	g.service = func(call int) error {
		if call > 2 {
			cancel() // Ctrl-C while following
		}
		g.rolling = &admin.RolloutEvent{ID: "r1", Step: admin.StepDraining}
		return nil
	}
	res, err := follower(e, g, nil).Deploy(ctx, target, Options{})
	if err == nil || res.Outcome != OutcomeInterrupted || slices.Contains(e.calls, "stop id1") {
		t.Fatalf("err=%v outcome=%s calls=%v", err, res.Outcome, e.calls)
	}
}

func TestFollowWaitsWhileANewerRolloutProbesBesideTheDrain(t *testing.T) {
	e, g := oneOld()
	switchedThenBroke(g)
	n := 0
	g.service = func(call int) error {
		if call == 1 {
			return nil
		}
		switch n++; {
		case n <= 3: // another machine's rollout probes; the status shows it, ours drains on
			g.rolling = &admin.RolloutEvent{ID: "r9", Step: admin.StepProbing}
		case n == 4:
			g.rolling = nil
			g.set("p-app-1", admin.Stopped)
			g.history = []admin.DeployRecord{{ID: "r9", Outcome: OutcomeFailed}, {ID: "r1", Outcome: OutcomeSucceeded}}
		}
		return nil
	}
	res, err := follower(e, g, nil).Deploy(context.Background(), target, Options{})
	if err != nil || res.Outcome != OutcomeSucceeded || !slices.Contains(e.calls, "remove id1") {
		t.Fatalf("err=%v outcome=%s calls=%v", err, res.Outcome, e.calls)
	}
}
