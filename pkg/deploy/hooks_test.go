package deploy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/project"
)

// heldRollout is a gateway rollout that holds its switch as the real one does: after ready it
// waits for the deploy's Switch, and gives the rollout up on an abort.
func heldRollout(t *testing.T, g *fakeGateway) *admin.RolloutRequest {
	var asked admin.RolloutRequest
	g.switches = make(chan admin.SwitchReply, 1)
	g.rollout = func(_ context.Context, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		asked = req
		progress(admin.RolloutEvent{ID: "r1", Step: admin.StepAdded})
		progress(admin.RolloutEvent{ID: "r1", Step: admin.StepReady})
		if req.SwitchHold == 0 {
			t.Error("the deploy has pre_switch hooks but did not ask the gateway to hold its switch")
		}
		select {
		case reply := <-g.switches:
			if reply.Rollout != "r1" {
				t.Errorf("switch answer for rollout %q, want r1", reply.Rollout)
			}
			if reply.Abort != "" {
				progress(admin.RolloutEvent{ID: "r1", Step: admin.StepFailed, Message: reply.Abort})
				return admin.RolloutResult{}, errors.New("the deploy gave the switch up: " + reply.Abort)
			}
		case <-time.After(10 * time.Second):
			return admin.RolloutResult{}, errors.New("no switch answer")
		}
		for _, s := range []string{admin.StepSwitched, admin.StepDrained} {
			progress(admin.RolloutEvent{ID: "r1", Step: s})
		}
		return admin.RolloutResult{Switched: true}, nil
	}
	return &asked
}

func hook(cmd ...string) project.Hook {
	return project.Hook{Run: project.HookInContainer, Command: cmd, Timeout: time.Minute}
}

func localHook(cmd ...string) project.Hook {
	return project.Hook{Run: project.HookLocal, Command: cmd, Timeout: time.Minute}
}

// TestHooksRunAroundTheSwitch: pre_switch hooks run after ready and before the switch, in the
// new container (with the deploy in their environment) and on this machine; post_deploy
// hooks after the old container is gone; every hook is a step of its own, in the result too.
func TestHooksRunAroundTheSwitch(t *testing.T) {
	e, g := oneOld()
	asked := heldRollout(t, g)
	var env []string
	e.exec = func(_ context.Context, _ string, _, e []string) (ExecResult, error) {
		env = e
		return ExecResult{Output: []string{"schema ok"}}, nil
	}
	tgt := target
	tgt.Dir = t.TempDir()
	tgt.Hooks = project.HookSettings{
		PreSwitch:  []project.Hook{hook("/app/migrate", "--check"), localHook("sh", "-c", `echo "$ROLL_HOOK $ROLL_IMAGE $ROLL_CONTAINERS" > marker`)},
		PostDeploy: []project.Hook{hook("/app/warm")},
	}
	evs, obs := collect()
	res, err := (&Deployer{Engine: e, Gateway: g, Observer: obs}).Deploy(context.Background(), tgt, Options{})
	if err != nil || res.Outcome != OutcomeSucceeded {
		t.Fatalf("deploy: %v %+v", err, res)
	}
	want := []string{"observe:done", "create:done", "start:done", "ready:done", "pre_switch:done", "pre_switch:done",
		"switch:done", "drain:done", "stop:done", "post_deploy:done", "done:done"}
	if got := steps(*evs); !slices.Equal(got, want) {
		t.Errorf("steps = %v\nwant    %v", got, want)
	}
	if hold := time.Duration(asked.SwitchHold); hold != 2*time.Minute+30*time.Second {
		t.Errorf("switch hold %s, want the hooks' timeouts and 30s", hold)
	}
	for _, kv := range []string{"ROLL_HOOK=post_deploy", "ROLL_SERVICE=app", "ROLL_IMAGE=app:v2", "ROLL_PREVIOUS_IMAGE=app:v1", "ROLL_CONTAINER=p-app-2"} {
		if !slices.Contains(env, kv) {
			t.Errorf("container hook environment %v lacks %s", env, kv)
		}
	}
	if b, err := os.ReadFile(filepath.Join(tgt.Dir, "marker")); err != nil || string(b) != "pre_switch app:v2 p-app-2\n" {
		t.Errorf("the local hook ran in the project directory with the deploy's environment: %q, %v", b, err)
	}
	if !slices.Contains(e.calls, "exec id2 /app/migrate --check") || !slices.Contains(e.calls, "exec id2 /app/warm") {
		t.Errorf("engine calls %v", e.calls)
	}
	if len(res.Hooks) != 3 || res.Hooks[0].Output[0] != "schema ok" || res.Hooks[1].Run != "local" || res.Hooks[2].Hook != StepPostDeploy {
		t.Errorf("result hooks %+v", res.Hooks)
	}
}

// TestAFailingPreSwitchHookRollsBack: the gateway is told to give the switch up, the new
// container is removed, the old one serves, the failure shows the hook's output, and the
// hooks after it do not run. The exit code is that of a failed readiness.
func TestAFailingPreSwitchHookRollsBack(t *testing.T) {
	e, g := oneOld()
	heldRollout(t, g)
	e.exec = func(context.Context, string, []string, []string) (ExecResult, error) {
		return ExecResult{ExitCode: 3, Output: []string{"applying 42_add_column", "ERROR: column \"total\" already exists"}}, nil
	}
	tgt := target
	tgt.Hooks.PreSwitch = []project.Hook{hook("/app/migrate"), hook("/app/never")}
	tgt.Hooks.PostDeploy = []project.Hook{hook("/app/never-either")}
	evs, obs := collect()
	res, err := (&Deployer{Engine: e, Gateway: g, Observer: obs}).Deploy(context.Background(), tgt, Options{})
	if !errors.Is(err, ErrPreSwitch) || res.Outcome != OutcomeRolledBack || res.FailedStep != StepPreSwitch {
		t.Fatalf("deploy: %v, %+v; want a rollback at pre_switch", err, res)
	}
	var failed Event
	for _, ev := range *evs {
		if ev.Status == StatusFailed && ev.Step == StepPreSwitch {
			failed = ev
		}
	}
	if failed.Hook == nil || failed.Hook.ExitCode != 3 || !slices.Contains(failed.Logs, `ERROR: column "total" already exists`) ||
		!strings.Contains(failed.Message, `hook 1 "/app/migrate" in p-app-2: exit 3`) {
		t.Errorf("the failure event %+v does not show the hook and its output", failed)
	}
	if !slices.Contains(e.calls, "remove id2") || slices.Contains(e.calls, "remove id1") || slices.Contains(e.calls, "exec id2 /app/never") {
		t.Errorf("engine calls %v: want the new container removed, the old kept, no second hook", e.calls)
	}
	if got := steps(*evs); slices.Contains(got, "switch:done") || got[len(got)-2] != "rollback:done" {
		t.Errorf("steps %v", got)
	}
}

// TestAPreSwitchHookThatHangsTimesOut: a hook past its timeout has failed, and says that the
// command may still run in the container.
func TestAPreSwitchHookThatHangsTimesOut(t *testing.T) {
	e, g := oneOld()
	heldRollout(t, g)
	e.exec = func(ctx context.Context, _ string, _, _ []string) (ExecResult, error) {
		<-ctx.Done()
		return ExecResult{Output: []string{"waiting for the lock"}}, ctx.Err()
	}
	tgt := target
	slow := hook("/app/migrate")
	slow.Timeout = 100 * time.Millisecond
	tgt.Hooks.PreSwitch = []project.Hook{slow}
	res, err := (&Deployer{Engine: e, Gateway: g}).Deploy(context.Background(), tgt, Options{})
	if !errors.Is(err, ErrPreSwitch) || len(res.Hooks) != 1 {
		t.Fatalf("deploy: %v, %+v", err, res)
	}
	if h := res.Hooks[0]; h.ExitCode != -1 || !strings.Contains(h.Error, "within its timeout of 100ms") || !strings.Contains(h.Error, "runs on in the container") ||
		h.Output[0] != "waiting for the lock" {
		t.Errorf("hook report %+v", h)
	}
}

// TestAFailingPostDeployHookUndoesNothing: the deploy stands (outcome succeeded, the old
// container gone), but the error says the hook failed, with its exit code and output.
func TestAFailingPostDeployHookUndoesNothing(t *testing.T) {
	e, g := oneOld()
	g.rollout = func(_ context.Context, _ admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		return switchAndDrain(context.Background(), admin.RolloutRequest{}, progress)
	}
	tgt := target
	tgt.Dir = t.TempDir()
	tgt.Hooks.PostDeploy = []project.Hook{localHook("sh", "-c", "echo purging the CDN; echo 'purge refused' >&2; exit 4")}
	evs, obs := collect()
	res, err := (&Deployer{Engine: e, Gateway: g, Observer: obs}).Deploy(context.Background(), tgt, Options{})
	if !errors.Is(err, ErrPostDeploy) || res.Outcome != OutcomeSucceeded || res.FailedStep != StepPostDeploy {
		t.Fatalf("deploy: %v, %+v; want succeeded with a failed post_deploy", err, res)
	}
	if !slices.Contains(e.calls, "remove id1") {
		t.Errorf("the old container was not retired: %v", e.calls)
	}
	h := res.Hooks[0]
	if h.ExitCode != 4 || !slices.Equal(h.Output, []string{"purging the CDN", "purge refused"}) {
		t.Errorf("hook report %+v", h)
	}
	last := (*evs)[len(*evs)-1]
	if last.Status != StatusFailed || last.Result == nil || last.Result.Outcome != OutcomeSucceeded {
		t.Errorf("last event %+v", last)
	}
	if got := steps(*evs); got[len(got)-2] != "post_deploy:failed" {
		t.Errorf("steps %v", got)
	}
}

// TestEachRunsAHookInEveryNewContainer: with replicas, a container hook runs in the first new
// container, or with each in all of them, one after the other.
func TestEachRunsAHookInEveryNewContainer(t *testing.T) {
	e, g := threeOld()
	heldRollout(t, g)
	tgt := target
	tgt.Replicas = 3
	each := hook("/app/smoke")
	each.Each = true
	tgt.Hooks.PreSwitch = []project.Hook{hook("/app/migrate"), each}
	if _, err := (&Deployer{Engine: e, Gateway: g}).Deploy(context.Background(), tgt, Options{}); err != nil {
		t.Fatal(err)
	}
	var execs []string
	for _, c := range e.calls {
		if strings.HasPrefix(c, "exec ") {
			execs = append(execs, c)
		}
	}
	want := []string{"exec id4 /app/migrate", "exec id4 /app/smoke", "exec id5 /app/smoke", "exec id6 /app/smoke"}
	if !slices.Equal(execs, want) {
		t.Errorf("execs %v, want %v", execs, want)
	}
}

func TestRunLocal(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "smoke.sh"), []byte("#!/bin/sh\necho \"in $(basename \"$PWD\") as $ROLL_HOOK\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := runLocal(context.Background(), dir, []string{"./smoke.sh"}, []string{"ROLL_HOOK=pre_switch"})
	if err != nil || res.ExitCode != 0 || !slices.Equal(res.Output, []string{"in " + filepath.Base(dir) + " as pre_switch"}) {
		t.Errorf("a relative command runs in the project directory: %+v, %v", res, err)
	}
	if _, err := runLocal(context.Background(), dir, []string{"./nope.sh"}, nil); err == nil || !strings.Contains(err.Error(), "nope.sh") {
		t.Errorf("a missing command: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := runLocal(ctx, dir, []string{"sh", "-c", "sleep 30 & sleep 30"}, nil); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("a command past its context: %v after %s, want killed and done within the wait delay", err, time.Since(start))
	}
}
