package deploy

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// TestDeployWhilePausedGoesOn: a deploy into a paused service (or one in maintenance) is not
// refused: it says what the gate means for it, and runs to its end.
func TestDeployWhilePausedGoesOn(t *testing.T) {
	e, g := oneOld()
	now := time.Now()
	g.pause = &admin.PauseStatus{Since: now, Until: now.Add(time.Minute), Held: 4, MaxHeld: 1000}
	g.maint = &admin.MaintenanceStatus{Since: now.Add(-time.Hour), Ended: now.Add(-time.Minute)} // over: nothing to say
	g.rollout = switchAndDrain
	evs, obs := collect()
	res, err := (&Deployer{Engine: e, Gateway: g, Observer: obs}).Deploy(context.Background(), target, Options{})
	if err != nil || res.Outcome != OutcomeSucceeded {
		t.Fatalf("deploy while paused: %v %+v", err, res)
	}
	var warned []string
	for _, ev := range *evs {
		if ev.Status == StatusWarn {
			warned = append(warned, ev.Message)
		}
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "app is paused (4 requests held") || !strings.Contains(warned[0], "roll resume app") {
		t.Errorf("warnings %q, want one about the pause", warned)
	}
	if got := steps(*evs); !slices.Contains(got, "observe:warn") || got[len(got)-1] != "done:done" {
		t.Errorf("steps %v", got)
	}
}

// switchAndDrain is a rollout that switches and drains at once.
func switchAndDrain(_ context.Context, _ admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
	for _, s := range []string{admin.StepAdded, admin.StepReady, admin.StepSwitched, admin.StepDrained} {
		progress(admin.RolloutEvent{Step: s})
	}
	return admin.RolloutResult{Switched: true}, nil
}
