package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// rollBack shows why the new containers failed, with the state and last log lines of the
// first one (the one that failed, or the first not running), removes them all and reports
// the old ones still serving. It runs on a context of its own: an interrupted deploy must
// still clean up.
func (r *run) rollBack(ctx context.Context, news []Container, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var se *StepError
	step := StepStart
	if errors.As(cause, &se) {
		step = se.Step
	}
	for i, nc := range news {
		if st, err := r.d.Engine.Inspect(cctx, nc.ID); err == nil {
			news[i] = st
		}
	}
	fail := Event{Step: step, Status: StatusFailed, Message: cause.Error()}
	var he *HookError
	if errors.As(cause, &he) { // the hook's output says why, not the container's log
		fail.Container, fail.Logs, fail.Hook, fail.Elapsed = he.Report.Container, he.Report.Output, &he.Report, he.Report.Duration
	} else if shown, ok := firstFailed(news); ok {
		fail.Container = shown.Name
		if lines, err := r.d.Engine.Logs(cctx, shown.ID, r.opts.LogLines); err == nil {
			fail.Logs = lines
		}
		if shown.State != "" {
			fail.Message += " (container " + shown.State
			if shown.Health != "" {
				fail.Message += ", " + shown.Health
			}
			fail.Message += ")"
		}
	}
	r.emit(fail)
	r.stepAt = r.d.now()
	var removed []string
	for _, nc := range news {
		_ = r.d.Gateway.RemoveBackend(cctx, r.t.Service, nc.Name)
		if err := r.d.Engine.Remove(cctx, nc.ID); err != nil {
			r.emit(Event{Step: StepRollback, Status: StatusWarn, Container: nc.Name,
				Message: fmt.Sprintf("could not remove %s: %v (a re-run removes it)", nc.Name, err)})
			continue
		}
		removed = append(removed, nc.Name)
	}
	if len(removed) > 0 {
		r.done(StepRollback, strings.Join(removed, ", "), "removed "+strings.Join(removed, ", ")+"; the old version still serves")
	}
	r.res.Outcome = OutcomeRolledBack
	return cause
}

// firstFailed picks the container whose state and logs explain a failure: the first that
// does not run, else the first.
func firstFailed(news []Container) (Container, bool) {
	for _, c := range news {
		if !c.Running() {
			return c, true
		}
	}
	if len(news) == 0 {
		return Container{}, false
	}
	return news[0], true
}

// record puts a deploy that failed before the gateway's rollout (the container did not start)
// into the gateway's history, so `roll status` shows it next to the rollouts.
func (r *run) record(ctx context.Context, cause error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = r.d.Gateway.RecordDeploy(cctx, admin.DeployRecord{
		Service:  r.t.Service,
		Started:  r.started.UTC(),
		Finished: r.d.now().UTC(),
		Outcome:  OutcomeRolledBack,
		Message:  cause.Error(),
		Meta:     map[string]string{"image": r.t.Image, "container": strings.Join(r.res.New, ","), "previous_image": r.res.PreviousImage},
	})
}
