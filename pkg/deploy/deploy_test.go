package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// fakeEngine and fakeGateway record what the deployer asked for. They test the
// deployer's decisions only; test/ runs the same paths against Docker and the real gateway.
type fakeEngine struct {
	mu         sync.Mutex
	containers map[string]Container
	calls      []string
	startErr   error
	failStart  map[int]error // by container number: WaitStarted fails for that one
	// stopTogether, when set, makes every Stop wait until that many Stops run at once
	// (allStopping is closed then), and fail after 2 s alone.
	stopTogether int
	stopping     atomic.Int32
	allStopping  chan struct{}
	// exec scripts Exec (container hooks).
	exec func(ctx context.Context, id string, cmd, env []string) (ExecResult, error)
}

func (f *fakeEngine) log(s string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(s, a...))
}

func (f *fakeEngine) List(context.Context, string) ([]Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Container
	for _, c := range f.containers {
		out = append(out, c)
	}
	return out, nil
}

func (f *fakeEngine) Create(_ context.Context, service, image string, n int) (Container, error) {
	c := Container{ID: fmt.Sprintf("id%d", n), Name: fmt.Sprintf("p-%s-%d", service, n), Image: image, Number: n, State: "created", Hostname: fmt.Sprintf("h%d", n)}
	f.mu.Lock()
	f.containers[c.ID] = c
	f.mu.Unlock()
	f.log("create %s", c.Name)
	return c, nil
}

func (f *fakeEngine) Start(_ context.Context, id string) error {
	f.log("start %s", id)
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	c.State = "running"
	f.containers[id] = c
	return nil
}

func (f *fakeEngine) Inspect(_ context.Context, id string) (Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.containers[id], nil
}

func (f *fakeEngine) WaitStarted(ctx context.Context, id string) (Container, error) {
	c, _ := f.Inspect(ctx, id)
	if err := f.failStart[c.Number]; err != nil {
		f.mu.Lock()
		c.State = "exited"
		f.containers[id] = c
		f.mu.Unlock()
		return c, err
	}
	return c, f.startErr
}

func (f *fakeEngine) Stop(_ context.Context, id string) error {
	f.log("stop %s", id)
	if f.stopTogether == 0 {
		return nil
	}
	if f.stopping.Add(1) == int32(f.stopTogether) {
		close(f.allStopping)
	}
	select {
	case <-f.allStopping:
		return nil
	case <-time.After(2 * time.Second):
		return fmt.Errorf("stopping %s: the other old containers were not being stopped meanwhile", id)
	}
}

func (f *fakeEngine) Remove(_ context.Context, id string) error {
	f.log("remove %s", id)
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.containers, id)
	return nil
}

func (f *fakeEngine) Logs(context.Context, string, int) ([]string, error) {
	return []string{"SEVERE: webapp failed"}, nil
}

// Exec runs the scripted exec (a container hook); without one, every command exits 0.
func (f *fakeEngine) Exec(ctx context.Context, id string, cmd, env []string) (ExecResult, error) {
	f.log("exec %s %s", id, strings.Join(cmd, " "))
	if f.exec == nil {
		return ExecResult{}, nil
	}
	return f.exec(ctx, id, cmd, env)
}

type fakeGateway struct {
	mu       sync.Mutex
	rolling  *admin.RolloutEvent // a rollout in progress, as Service reports it
	backends map[string]admin.BackendSpec
	removed  []string
	records  []admin.DeployRecord // recorded by the deploy
	history  []admin.DeployRecord // the gateway's own, newest first
	// rollout scripts the gateway's answer: it gets the request and the progress callback.
	rollout func(ctx context.Context, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error)
	// service, when set, runs before each Service answer: it may change the fake or fail.
	service func(call int) error
	calls   int
	// handoffs receives every Handoff answer, when set; switches every Switch answer.
	handoffs chan admin.HandoffReply
	switches chan admin.SwitchReply
	// pause and maint are the gate Service reports.
	pause *admin.PauseStatus
	maint *admin.MaintenanceStatus
}

func (g *fakeGateway) Handoff(_ context.Context, _ string, reply admin.HandoffReply) error {
	if g.handoffs == nil {
		return admin.ErrConflict
	}
	g.handoffs <- reply
	return nil
}

// Switch records the answer to a held switch; without a channel nothing waits for one.
func (g *fakeGateway) Switch(_ context.Context, _ string, reply admin.SwitchReply) error {
	if g.switches == nil {
		return admin.ErrConflict
	}
	g.switches <- reply
	return nil
}

func (g *fakeGateway) Service(context.Context, string) (admin.ServiceStatus, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	if g.service != nil {
		if err := g.service(g.calls); err != nil {
			return admin.ServiceStatus{}, err
		}
	}
	if g.backends == nil {
		return admin.ServiceStatus{}, admin.ErrNotFound
	}
	st := admin.ServiceStatus{Rollout: g.rolling, Pause: g.pause, Maintenance: g.maint}
	for _, b := range g.backends {
		st.Backends = append(st.Backends, admin.BackendStatus{BackendSpec: b})
	}
	return st, nil
}
func (g *fakeGateway) PutService(context.Context, admin.ServiceSpec) error { return nil }
func (g *fakeGateway) AddBackend(_ context.Context, _ string, b admin.BackendSpec) (admin.BackendStatus, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.backends[b.Name] = b
	return admin.BackendStatus{BackendSpec: b}, nil
}
func (g *fakeGateway) RemoveBackend(_ context.Context, _ string, name string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.removed = append(g.removed, name)
	delete(g.backends, name)
	return nil
}

// Rollout runs the script; a rollout that drained ends as the gateway's does: the new
// backends active, every other one stopped.
func (g *fakeGateway) Rollout(ctx context.Context, _ string, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
	res, err := g.rollout(ctx, req, progress)
	if err == nil && res.Switched && !res.Reverted && !res.Superseded {
		g.drained(req.Backends...)
	}
	return res, err
}

// drained makes news active and stops every other backend.
func (g *fakeGateway) drained(news ...admin.BackendSpec) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for name, b := range g.backends {
		b.Activation = admin.Stopped
		g.backends[name] = b
	}
	for _, b := range news {
		b.Activation = admin.Active
		g.backends[b.Name] = b
	}
}

// set changes one backend's activation; the caller holds g.mu (a service hook does).
func (g *fakeGateway) set(name string, a admin.Activation) {
	b := g.backends[name]
	b.Name, b.Activation = name, a
	g.backends[name] = b
}

func (g *fakeGateway) Deploys(context.Context, string) ([]admin.DeployRecord, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.history), nil
}
func (g *fakeGateway) RecordDeploy(_ context.Context, rec admin.DeployRecord) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.records = append(g.records, rec)
	return nil
}

func oneOld() (*fakeEngine, *fakeGateway) {
	e := &fakeEngine{containers: map[string]Container{"id1": {ID: "id1", Name: "p-app-1", Number: 1, State: "running", Image: "app:v1"}}}
	g := &fakeGateway{backends: map[string]admin.BackendSpec{"p-app-1": {Name: "p-app-1", Activation: admin.Active}}}
	return e, g
}

func collect() (*[]Event, Observer) {
	var evs []Event
	return &evs, ObserverFunc(func(e Event) { evs = append(evs, e) })
}

func steps(evs []Event) []string {
	var out []string
	for _, e := range evs {
		if e.Status != StatusProgress {
			out = append(out, string(e.Step)+":"+string(e.Status))
		}
	}
	return out
}

var target = Target{Project: "p", Service: "app", Image: "app:v2", Port: 8009, ReadyInterval: 200 * time.Millisecond}

func TestDeploySwitchesDrainsAndRemovesTheOld(t *testing.T) {
	e, g := oneOld()
	g.rollout = func(_ context.Context, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		if time.Duration(req.ReadyInterval) != 200*time.Millisecond {
			t.Errorf("ready interval %v not passed to the gateway", time.Duration(req.ReadyInterval))
		}
		if len(req.Backends) != 1 || req.Backends[0].Address != "p-app-2:8009" || req.Backends[0].Route != "h2" {
			t.Errorf("rollout backends = %+v", req.Backends)
		}
		old := []admin.BackendStatus{{BackendSpec: admin.BackendSpec{Name: "p-app-1"}, InFlight: 2, Sessions: 5}}
		for _, s := range []string{admin.StepAdded, admin.StepReady, admin.StepSwitched, admin.StepDraining, admin.StepDrained} {
			progress(admin.RolloutEvent{Step: s, Old: old})
		}
		return admin.RolloutResult{Switched: true}, nil
	}
	evs, obs := collect()
	d := &Deployer{Engine: e, Gateway: g, Observer: obs}
	res, err := d.Deploy(context.Background(), target, Options{})
	if err != nil || res.Outcome != OutcomeSucceeded {
		t.Fatalf("deploy: %v %+v", err, res)
	}
	want := []string{"observe:done", "create:done", "start:done", "ready:done", "switch:done", "drain:done", "stop:done", "done:done"}
	if got := steps(*evs); !slices.Equal(got, want) {
		t.Errorf("steps = %v\nwant    %v", got, want)
	}
	if len(g.records) != 0 {
		t.Errorf("the gateway records rollouts itself; the deploy added %+v", g.records)
	}
	if !slices.Contains(e.calls, "stop id1") || !slices.Contains(e.calls, "remove id1") || slices.Contains(e.calls, "remove id2") {
		t.Errorf("engine calls = %v: want the old stopped and removed, the new kept", e.calls)
	}
	if !slices.Equal(res.New, []string{"p-app-2"}) || !slices.Equal(res.Old, []string{"p-app-1"}) || res.PreviousImage != "app:v1" {
		t.Errorf("result = %+v", res)
	}
	var drain Event
	for _, ev := range *evs {
		if ev.Step == StepDrain && ev.Status == StatusProgress {
			drain = ev
		}
	}
	if len(drain.Counts) != 1 || drain.Counts[0].Sessions != 5 {
		t.Errorf("drain progress counts = %+v", drain.Counts)
	}
}

func TestDeployNotReadyRemovesTheNewAndKeepsTheOld(t *testing.T) {
	e, g := oneOld()
	g.rollout = func(_ context.Context, _ admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		progress(admin.RolloutEvent{Step: admin.StepProbing, Message: "GET /health: 404"})
		return admin.RolloutResult{}, fmt.Errorf("%w: p-app-2 not ready after 5s: GET /health: 404", admin.ErrNotReady)
	}
	evs, obs := collect()
	res, err := (&Deployer{Engine: e, Gateway: g, Observer: obs}).Deploy(context.Background(), target, Options{})
	if !errors.Is(err, ErrNotReady) || res.Outcome != OutcomeRolledBack || res.FailedStep != StepReady {
		t.Fatalf("err=%v result=%+v", err, res)
	}
	if !slices.Contains(e.calls, "remove id2") || slices.Contains(e.calls, "stop id1") {
		t.Errorf("engine calls = %v: want the new removed and the old untouched", e.calls)
	}
	var failed *Event
	for i := range *evs {
		if (*evs)[i].Status == StatusFailed && (*evs)[i].Step == StepReady {
			failed = &(*evs)[i]
		}
	}
	if failed == nil || len(failed.Logs) == 0 {
		t.Errorf("want a failed ready event with the container's logs, got %v", steps(*evs))
	}
}

func TestDeployInterruptedBeforeTheSwitchCleansUp(t *testing.T) {
	e, g := oneOld()
	ctx, cancel := context.WithCancel(context.Background())
	g.rollout = func(ctx context.Context, _ admin.RolloutRequest, _ func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		cancel() // Ctrl-C while the gateway probes
		<-ctx.Done()
		return admin.RolloutResult{}, ctx.Err()
	}
	res, err := (&Deployer{Engine: e, Gateway: g}).Deploy(ctx, target, Options{})
	if err == nil || res.Outcome != OutcomeInterrupted {
		t.Fatalf("err=%v outcome=%s", err, res.Outcome)
	}
	if _, still := e.containers["id2"]; still {
		t.Error("the new container must be removed even though the context was cancelled")
	}
	if _, old := e.containers["id1"]; !old {
		t.Error("the old container must stay")
	}
}

func TestDeployContainerThatDoesNotStartIsRolledBack(t *testing.T) {
	e, g := oneOld()
	e.startErr = errors.New("container exited with code 1")
	g.rollout = func(context.Context, admin.RolloutRequest, func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		t.Error("no rollout for a container that did not start")
		return admin.RolloutResult{}, nil
	}
	res, err := (&Deployer{Engine: e, Gateway: g}).Deploy(context.Background(), target, Options{})
	if !errors.Is(err, ErrStart) || res.FailedStep != StepStart || res.Outcome != OutcomeRolledBack {
		t.Fatalf("err=%v result=%+v", err, res)
	}
	// No rollout recorded it, so the deploy did: roll status shows the failure in the history.
	if len(g.records) != 1 || g.records[0].Outcome != OutcomeRolledBack || g.records[0].Meta["image"] != "app:v2" {
		t.Errorf("history records %+v, want one rolled-back record of app:v2", g.records)
	}
}

func TestDeployStopsWaitingWhenTheNewContainerExits(t *testing.T) {
	e, g := oneOld()
	g.rollout = func(ctx context.Context, _ admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		e.mu.Lock()
		c := e.containers["id2"]
		c.State = "exited"
		e.containers["id2"] = c
		e.mu.Unlock()
		<-ctx.Done() // a gateway that would probe until its timeout
		return admin.RolloutResult{}, ctx.Err()
	}
	res, err := (&Deployer{Engine: e, Gateway: g}).Deploy(context.Background(), target, Options{})
	if !errors.Is(err, ErrNotReady) || !errors.Is(err, errExited) || res.Outcome != OutcomeRolledBack {
		t.Fatalf("err=%v outcome=%s", err, res.Outcome)
	}
	if _, still := e.containers["id2"]; still {
		t.Error("the exited container must be removed")
	}
}

func TestDeployRefusesWhileAnotherMachinesRolloutProbes(t *testing.T) {
	e, g := oneOld()
	// Another machine's deploy created p-app-7 and the gateway is probing it.
	e.containers["id7"] = Container{ID: "id7", Name: "p-app-7", Number: 7, State: "running"}
	g.backends["p-app-7"] = admin.BackendSpec{Name: "p-app-7", Activation: admin.Stopped}
	g.rolling = &admin.RolloutEvent{Step: admin.StepProbing}
	g.rollout = func(context.Context, admin.RolloutRequest, func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		t.Error("no rollout while another one probes")
		return admin.RolloutResult{}, nil
	}
	_, err := (&Deployer{Engine: e, Gateway: g}).Deploy(context.Background(), target, Options{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if _, ok := e.containers["id7"]; !ok || len(e.calls) != 0 {
		t.Fatalf("the other deploy's container was touched: calls %v", e.calls)
	}
}
