package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// A deploy killed during its drain leaves the gateway draining on its own. Its re-run
// must not fail as busy: the new rollout takes the drain over and drains the old backend
// itself, and the first rollout ends saying so.
func TestRolloutSupersedesADrainingRollout(t *testing.T) {
	g, _ := rolloutService(t, "sessions", time.Hour) // the session never idles out by itself
	v2, v3 := startNameBackend(t, "v2"), startNameBackend(t, "v3")
	cookie, owner := login(t, g)
	if owner != "old" {
		t.Fatalf("session on %s", owner)
	}
	first := newEventLog()
	firstDone := make(chan error, 1)
	go func() {
		_, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
			Backends: []admin.BackendSpec{{Name: "v2", Address: v2.addr()}},
			Meta:     map[string]string{"image": "app:2"},
		}, first.add)
		firstDone <- err
	}()
	first.wait(t, admin.StepDraining) // switched; "old" drains with a live session

	second := newEventLog()
	res, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
		Backends:     []admin.BackendSpec{{Name: "v3", Address: v3.addr()}},
		DrainTimeout: admin.Duration(time.Second),
		Meta:         map[string]string{"image": "app:3"},
	}, second.add)
	if err != nil || !res.Switched {
		t.Fatalf("second rollout: %+v %v", res, err)
	}
	if err := <-firstDone; err != nil {
		t.Fatalf("the superseded rollout should end without error: %v", err)
	}
	last, ok := first.find(admin.StepDrained)
	if !ok || !strings.Contains(last.Message, "taken over") || last.Result == nil || !last.Result.Switched || !last.Result.Superseded {
		t.Fatalf("the superseded rollout's last event: %+v", last)
	}
	if res.Superseded {
		t.Fatal("the rollout that took over says it was superseded")
	}
	sw := second.wait(t, admin.StepSwitched)
	names := map[string]bool{}
	for _, b := range sw.Old {
		names[b.Name] = true
	}
	if !names["old"] || !names["v2"] {
		t.Fatalf("the second rollout drains %v, want old (taken over) and v2", names)
	}
	if !res.DrainTimedOut {
		t.Fatal("the old session never idles, so the second drain must time out")
	}
	for name, want := range map[string]admin.Activation{"old": admin.Stopped, "v2": admin.Stopped, "v3": admin.Active} {
		if b := backendOf(t, g, "app", name); b.Activation != want {
			t.Errorf("%s is %s, want %s", name, b.Activation, want)
		}
	}
	_ = cookie
	deploys, _ := g.Deploys(t.Context(), "app")
	if len(deploys) != 2 || deploys[0].Meta["image"] != "app:3" || deploys[0].Outcome != admin.OutcomeSucceeded ||
		deploys[1].Meta["image"] != "app:2" || deploys[1].Outcome != admin.OutcomeSuperseded || deploys[1].ID != last.ID {
		t.Fatalf("history: %+v", deploys)
	}
}
