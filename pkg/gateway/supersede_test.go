package gateway

import (
	"context"
	"errors"
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

// A newer rollout probes beside a drain; it supersedes the drain only at its own switch. When
// it never becomes ready, the older rollout drains on as if nothing happened, and the status
// shows the newer one while it probes, so nobody takes its pending backend for a leftover.
func TestNewerRolloutThatFailsLeavesTheDrainAlone(t *testing.T) {
	g, _ := rolloutService(t, "sessions", time.Hour)
	v2 := startNameBackend(t, "v2")
	if _, owner := login(t, g); owner != "old" {
		t.Fatalf("session on %s", owner)
	}
	first := newEventLog()
	firstDone := make(chan error, 1)
	go func() {
		_, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
			Backends:     []admin.BackendSpec{{Name: "v2", Address: v2.addr()}},
			DrainTimeout: admin.Duration(3 * time.Second),
		}, first.add)
		firstDone <- err
	}()
	first.wait(t, admin.StepDraining)

	refused := freeAddr(t)
	second := newEventLog()
	secondDone := make(chan error, 1)
	go func() {
		_, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
			Backends:      []admin.BackendSpec{{Name: "v3", Address: refused}},
			ReadyTimeout:  admin.Duration(time.Second),
			ReadyInterval: admin.Duration(100 * time.Millisecond),
		}, second.add)
		secondDone <- err
	}()
	second.wait(t, admin.StepProbing)
	if st, err := g.Service(t.Context(), "app"); err != nil || st.Rollout == nil || st.Rollout.ID == first.wait(t, admin.StepSwitched).ID {
		t.Fatalf("while the newer rollout probes the status shows %+v (%v), want the newer rollout", st.Rollout, err)
	}
	if err := <-secondDone; err == nil {
		t.Fatal("the rollout of a backend that refuses connections succeeded")
	}
	if err := <-firstDone; err != nil {
		t.Fatalf("first rollout: %v", err)
	}
	last, ok := first.find(admin.StepDrained)
	if !ok || last.Result == nil || last.Result.Superseded || !last.Result.DrainTimedOut {
		t.Fatalf("the older rollout must drain to its own end (timed out, not superseded): %+v", last)
	}
	for name, want := range map[string]admin.Activation{"old": admin.Stopped, "v2": admin.Active} {
		if b := backendOf(t, g, "app", name); b.Activation != want {
			t.Errorf("%s is %s, want %s", name, b.Activation, want)
		}
	}
	if _, err := g.Service(t.Context(), "app"); err != nil {
		t.Fatal(err)
	}
	if err := g.RemoveBackend(t.Context(), "app", "old"); err != nil {
		t.Fatalf("removing the drained backend: %v", err)
	}
}

// A deploy that finished its drain removes its stopped backends even while a newer rollout
// of the service probes: they are no part of it.
func TestStoppedBackendCanBeRemovedWhileARolloutProbes(t *testing.T) {
	g, _ := rolloutService(t, "requests", time.Minute)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "gone", Address: freeAddr(t), Activation: admin.Stopped})
	done := make(chan error, 1)
	probing := newEventLog()
	go func() {
		_, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
			Backends:      []admin.BackendSpec{{Name: "v3", Address: freeAddr(t)}},
			ReadyTimeout:  admin.Duration(2 * time.Second),
			ReadyInterval: admin.Duration(100 * time.Millisecond),
		}, probing.add)
		done <- err
	}()
	probing.wait(t, admin.StepProbing)
	if err := g.RemoveBackend(t.Context(), "app", "gone"); err != nil {
		t.Errorf("removing a stopped backend during a rollout: %v", err)
	}
	if err := g.RemoveBackend(t.Context(), "app", "old"); !errors.Is(err, admin.ErrBusy) {
		t.Errorf("removing a serving backend during a rollout: %v, want ErrBusy", err)
	}
	if err := g.RemoveBackend(t.Context(), "app", "v3"); !errors.Is(err, admin.ErrBusy) {
		t.Errorf("removing the rollout's own pending backend: %v, want ErrBusy", err)
	}
	<-done
}
