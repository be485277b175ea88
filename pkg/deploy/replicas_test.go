package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/rollcd/roll/pkg/admin"
)

// threeOld is a service of three replicas, all active.
func threeOld() (*fakeEngine, *fakeGateway) {
	e := &fakeEngine{containers: map[string]Container{}}
	g := &fakeGateway{backends: map[string]admin.BackendSpec{}}
	for n := 1; n <= 3; n++ {
		name := fmt.Sprintf("p-app-%d", n)
		e.containers[fmt.Sprintf("id%d", n)] = Container{ID: fmt.Sprintf("id%d", n), Name: name, Number: n, State: "running", Image: "app:v1"}
		g.backends[name] = admin.BackendSpec{Name: name, Activation: admin.Active}
	}
	return e, g
}

func TestDeployOfThreeReplicasSwitchesAllAtOnce(t *testing.T) {
	e, g := threeOld()
	three := target
	three.Replicas = 3
	var asked []string
	g.rollout = func(_ context.Context, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		for _, b := range req.Backends {
			asked = append(asked, b.Name)
		}
		switched(progress)
		return admin.RolloutResult{Switched: true}, nil
	}
	res, err := (&Deployer{Engine: e, Gateway: g}).Deploy(context.Background(), three, Options{})
	if err != nil || res.Outcome != OutcomeSucceeded {
		t.Fatalf("deploy: %v %+v", err, res)
	}
	want := []string{"p-app-4", "p-app-5", "p-app-6"}
	if !slices.Equal(asked, want) || !slices.Equal(res.New, want) {
		t.Errorf("one rollout of %v, new %v; want both %v", asked, res.New, want)
	}
	for _, id := range []string{"id1", "id2", "id3"} {
		if !slices.Contains(e.calls, "remove "+id) {
			t.Errorf("calls %v: old %s not removed", e.calls, id)
		}
	}
	if len(e.containers) != 3 {
		t.Errorf("containers left: %v, want the three new", e.containers)
	}
}

// TestTheOldReplicasStopTogether: the drained replicas are stopped at once, not one after
// another (on Swarm each stop waits seconds for the cluster), and all are removed.
func TestTheOldReplicasStopTogether(t *testing.T) {
	e, g := threeOld()
	e.stopTogether, e.allStopping = 3, make(chan struct{})
	three := target
	three.Replicas = 3
	g.rollout = func(_ context.Context, _ admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		switched(progress)
		return admin.RolloutResult{Switched: true}, nil
	}
	res, err := (&Deployer{Engine: e, Gateway: g}).Deploy(context.Background(), three, Options{})
	if err != nil || res.Outcome != OutcomeSucceeded {
		t.Fatalf("deploy: %v %+v", err, res)
	}
	for _, id := range []string{"id1", "id2", "id3"} {
		if !slices.Contains(e.calls, "remove "+id) {
			t.Errorf("calls %v: old %s not removed", e.calls, id)
		}
	}
}

func TestOneReplicaThatDoesNotStartRollsBackAll(t *testing.T) {
	e, g := threeOld()
	three := target
	three.Replicas = 3
	e.failStart = map[int]error{5: errors.New("container exited with code 1")}
	g.rollout = func(context.Context, admin.RolloutRequest, func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		t.Error("no rollout when a replica did not start")
		return admin.RolloutResult{}, nil
	}
	evs, obs := collect()
	res, err := (&Deployer{Engine: e, Gateway: g, Observer: obs}).Deploy(context.Background(), three, Options{})
	if !errors.Is(err, ErrStart) || res.Outcome != OutcomeRolledBack {
		t.Fatalf("err=%v outcome=%s", err, res.Outcome)
	}
	for _, id := range []string{"id4", "id5", "id6"} {
		if _, still := e.containers[id]; still {
			t.Errorf("new replica %s left behind", id)
		}
	}
	for _, id := range []string{"id1", "id2", "id3"} {
		if slices.Contains(e.calls, "stop "+id) {
			t.Errorf("old %s stopped after a failed deploy", id)
		}
	}
	var failed Event
	for _, ev := range *evs {
		if ev.Status == StatusFailed && ev.Step == StepStart {
			failed = ev
		}
	}
	if failed.Container != "p-app-5" || len(failed.Logs) == 0 {
		t.Errorf("the failure shows %q with logs %v, want the replica that failed, p-app-5, and its logs", failed.Container, failed.Logs)
	}
}

func TestAReplicaThatExitsWhileProbedStopsTheRollout(t *testing.T) {
	e, g := threeOld()
	two := target
	two.Replicas = 2
	g.rollout = func(ctx context.Context, _ admin.RolloutRequest, _ func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		e.mu.Lock()
		c := e.containers["id5"]
		c.State = "exited"
		e.containers["id5"] = c
		e.mu.Unlock()
		<-ctx.Done()
		return admin.RolloutResult{}, ctx.Err()
	}
	res, err := (&Deployer{Engine: e, Gateway: g}).Deploy(context.Background(), two, Options{})
	if !errors.Is(err, errExited) || res.Outcome != OutcomeRolledBack {
		t.Fatalf("err=%v outcome=%s", err, res.Outcome)
	}
	if _, a := e.containers["id4"]; a {
		t.Error("the replica that still ran was left behind")
	}
}
