package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// rollBack shows why the new container failed, removes it and reports the old ones still serving.
// It runs on a context of its own: an interrupted deploy must still clean up.
func (r *run) rollBack(ctx context.Context, nc Container, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var se *StepError
	step := StepStart
	if errors.As(cause, &se) {
		step = se.Step
	}
	fail := Event{Step: step, Status: StatusFailed, Container: nc.Name, Message: cause.Error()}
	if nc.ID != "" {
		if st, err := r.d.Engine.Inspect(cctx, nc.ID); err == nil {
			nc = st
		}
		if lines, err := r.d.Engine.Logs(cctx, nc.ID, r.opts.LogLines); err == nil {
			fail.Logs = lines
		}
		if nc.State != "" {
			fail.Message += " (container " + nc.State
			if nc.Health != "" {
				fail.Message += ", " + nc.Health
			}
			fail.Message += ")"
		}
	}
	r.emit(fail)
	r.stepAt = r.d.now()
	if nc.ID != "" {
		_ = r.d.Gateway.RemoveBackend(cctx, r.t.Service, nc.Name)
		if err := r.d.Engine.Remove(cctx, nc.ID); err != nil {
			r.emit(Event{Step: StepRollback, Status: StatusWarn, Container: nc.Name,
				Message: fmt.Sprintf("could not remove %s: %v (a re-run removes it)", nc.Name, err)})
		} else {
			r.done(StepRollback, nc.Name, "removed "+nc.Name+"; the old version still serves")
		}
	}
	r.res.Outcome = OutcomeRolledBack
	return cause
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
		Meta:     map[string]string{"image": r.t.Image, "container": r.res.New, "previous_image": r.res.PreviousImage},
	})
}
