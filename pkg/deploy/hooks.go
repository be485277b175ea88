package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/project"
)

// Hooks (x-roll.hooks) are commands a deploy runs at two points: pre_switch once every new
// container is ready and before the gateway switches to them (a failure rolls back, as a
// failed readiness does), post_deploy once the deploy succeeded (a failure is reported and
// undoes nothing). A container hook runs in the new container through the engine (docker
// exec), a local one on the machine that runs roll, in the project directory. Each gets the
// deploy in its environment: ROLL_HOOK, ROLL_PROJECT, ROLL_SERVICE, ROLL_IMAGE,
// ROLL_PREVIOUS_IMAGE, ROLL_CONTAINERS (the new containers) and, in a container,
// ROLL_CONTAINER.

// hookOutputLines is how much of a hook's output its report keeps: the end.
const hookOutputLines = 20

// HookReport is one run of a hook, in the deploy's events and result.
type HookReport struct {
	Hook      Step     `json:"hook"`  // StepPreSwitch or StepPostDeploy
	Index     int      `json:"index"` // its place in the compose file's list, from 1
	Run       string   `json:"run"`   // container or local
	Container string   `json:"container,omitempty"`
	Command   []string `json:"command"`
	// ExitCode is the command's; -1 when it did not run to its end (Error says why).
	ExitCode int           `json:"exit_code"`
	Error    string        `json:"error,omitempty"`
	Output   []string      `json:"output,omitempty"` // the last lines, standard output and error together
	Duration time.Duration `json:"-"`
}

// MarshalJSON adds duration_ms.
func (h HookReport) MarshalJSON() ([]byte, error) {
	type plain HookReport
	return json.Marshal(struct {
		plain
		DurationMS int64 `json:"duration_ms"`
	}{plain(h), h.Duration.Milliseconds()})
}

// failed reports whether the hook did not run to a zero exit.
func (h HookReport) failed() bool { return h.ExitCode != 0 || h.Error != "" }

// String says which hook ran where and how it ended: `hook 1 "/goapp check /health" in shop-app-2: exit 0 after 40ms`.
func (h HookReport) String() string {
	where := h.Container
	if h.Run == string(project.HookLocal) {
		where = "this machine"
	}
	s := fmt.Sprintf("hook %d %q in %s", h.Index, strings.Join(h.Command, " "), where)
	if h.Error != "" {
		return s + ": " + h.Error
	}
	return fmt.Sprintf("%s: exit %d after %s", s, h.ExitCode, h.Duration.Round(time.Millisecond))
}

// HookError is a hook that failed; it carries the hook's report, output included.
type HookError struct{ Report HookReport }

func (e *HookError) Error() string { return e.Report.String() }

// runHooks runs the hooks of step in order, each container hook in the first new container
// (or, with each, in every one), and stops at the first that fails: its *HookError is
// returned, the reports of the others are in the result and in a done event each.
func (r *run) runHooks(ctx context.Context, step Step, hooks []project.Hook, news []Container) error {
	for i, h := range hooks {
		in := []Container{{}}
		if h.Run == project.HookInContainer {
			in = news[:1]
			if h.Each {
				in = news
			}
		}
		for _, c := range in {
			rep := r.runHook(ctx, step, i+1, h, c, news)
			r.res.Hooks = append(r.res.Hooks, rep)
			if rep.failed() {
				return &HookError{Report: rep}
			}
			r.emit(Event{Step: step, Status: StatusDone, Container: rep.Container, Message: rep.String(), Elapsed: rep.Duration, Hook: &rep})
		}
	}
	return nil
}

// runHook runs one hook in container c (the zero Container for a local hook), bounded by its timeout.
func (r *run) runHook(ctx context.Context, step Step, index int, h project.Hook, c Container, news []Container) HookReport {
	rep := HookReport{Hook: step, Index: index, Run: string(h.Run), Container: c.Name, Command: h.Command}
	env := []string{
		"ROLL_HOOK=" + string(step), "ROLL_PROJECT=" + r.t.Project, "ROLL_SERVICE=" + r.t.Service,
		"ROLL_IMAGE=" + r.t.Image, "ROLL_PREVIOUS_IMAGE=" + r.res.PreviousImage, "ROLL_CONTAINERS=" + containerNames(news),
	}
	hctx, cancel := context.WithTimeoutCause(ctx, h.Timeout, errHookTimeout)
	defer cancel()
	start := r.d.now()
	var res ExecResult
	var err error
	if h.Run == project.HookLocal {
		res, err = runLocal(hctx, r.t.Dir, h.Command, env)
	} else {
		res, err = r.d.Engine.Exec(hctx, c.ID, h.Command, append(env, "ROLL_CONTAINER="+c.Name))
	}
	rep.Duration = r.d.now().Sub(start)
	rep.ExitCode, rep.Output = res.ExitCode, lastLines(res.Output, hookOutputLines)
	if err != nil {
		rep.ExitCode, rep.Error = -1, err.Error()
		if errors.Is(context.Cause(hctx), errHookTimeout) {
			rep.Error = fmt.Sprintf("did not end within its timeout of %s", h.Timeout)
			if h.Run == project.HookInContainer {
				rep.Error += " (the engine cannot stop an exec'd command: it runs on in the container until it ends or the container stops)"
			}
		}
	}
	return rep
}

var errHookTimeout = errors.New("the hook's timeout passed")

func lastLines(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

// hooksBound is the longest the hooks can take, in every container they may run in.
func hooksBound(hooks []project.Hook, containers int) time.Duration {
	var d time.Duration
	for _, h := range hooks {
		n := 1
		if h.Each && h.Run == project.HookInContainer {
			n = containers
		}
		d += time.Duration(n) * h.Timeout
	}
	return d
}

// preSwitch runs the pre_switch hooks while the gateway holds the switch, then answers it:
// switch, or give the rollout up naming the hook that failed (hookErr, for rollBack).
func (p *rolloutPhase) preSwitch(ev admin.RolloutEvent) {
	r := p.run
	err := r.runHooks(p.hookCtx, StepPreSwitch, r.t.Hooks.PreSwitch, p.news)
	reply := admin.SwitchReply{Rollout: ev.ID}
	if err != nil {
		p.hookErr = err
		reply.Abort = err.Error()
	}
	// A gateway that does not get the answer gives the switch up when its hold passes.
	_ = r.d.Gateway.Switch(p.ctx, r.t.Service, reply)
	p.switchAt = r.d.now()
	r.stepAt = p.switchAt
}

// postDeploy runs the post_deploy hooks of a deploy that succeeded. A failing one is
// reported with its output; the deploy stands.
func (r *run) postDeploy(ctx context.Context, news []Container) error {
	if len(r.t.Hooks.PostDeploy) == 0 {
		return nil
	}
	r.res.Outcome = OutcomeSucceeded // whatever a hook does now, the new version serves
	err := r.runHooks(ctx, StepPostDeploy, r.t.Hooks.PostDeploy, news)
	var he *HookError
	if !errors.As(err, &he) {
		return err
	}
	r.emit(Event{Step: StepPostDeploy, Status: StatusFailed, Container: he.Report.Container, Elapsed: he.Report.Duration,
		Message: he.Error() + "; the deploy stands: the new version serves, nothing was undone", Logs: he.Report.Output, Hook: &he.Report})
	return stepErr(StepPostDeploy, ErrPostDeploy, err)
}
