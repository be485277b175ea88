package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// followGrace is how much longer than the drain timeout a deploy follows a rollout, for
// the gateway's restarts and the stop of the old backends.
const followGrace = 2 * time.Minute

// follow waits for the rollout id, which switched already, to end in the gateway: while the
// service's status shows it, its drain counts are reported; once it is gone, its outcome is
// read from the deploy history. A gateway that does not answer (restarting) is asked again.
func (r *run) follow(ctx context.Context, id string) (switchEnd, error) {
	bound := r.watchWindow() + r.drainTimeout() + followGrace // a flip back drains the new ones too
	deadline := r.d.now().Add(bound)
	every := r.d.PollInterval
	if every <= 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var last error
	for {
		st, err := r.d.Gateway.Service(ctx, r.t.Service)
		switch {
		case ctx.Err() != nil:
			return switchEnd{}, stepErr(StepDrain, ErrGateway, fmt.Errorf("stopped following rollout %s: %w", id, context.Cause(ctx)))
		case err != nil:
			if last == nil || last.Error() != err.Error() {
				r.emit(Event{Step: StepDrain, Status: StatusProgress, Message: "waiting for the gateway: " + err.Error()})
			}
			last = err
		case st.Rollout != nil && st.Rollout.ID == id:
			last = nil
			r.emit(Event{Step: StepDrain, Status: StatusProgress, Counts: countsOf(st.Rollout.Old), Message: st.Rollout.Message, Watch: st.Watch})
			if st.Watch != nil {
				r.res.Watch = st.Watch
			}
		default:
			rec, err := r.historyRecord(ctx, id)
			if errors.Is(err, errNoRecord) && st.Rollout != nil {
				// A newer rollout probes beside ours, which drains on until that one switches.
				last = err
				break
			}
			if err != nil {
				return switchEnd{}, stepErr(StepDrain, ErrGateway, err)
			}
			r.res.Durations.Drain = r.d.now().Sub(r.stepAt)
			r.emit(Event{Step: StepDrain, Status: StatusDone, Message: rec.Message})
			r.stepAt = r.d.now()
			return switchEnd{outcome: rec.Outcome, reason: rec.Message, watch: r.res.Watch}, nil
		}
		if r.d.now().After(deadline) {
			return switchEnd{}, stepErr(StepDrain, ErrGateway, fmt.Errorf("rollout %s did not end within %s (last: %v); the new container serves; run the deploy again to remove the old ones", id, bound, last))
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}

// historyRecord finds rollout id in the gateway's history.
func (r *run) historyRecord(ctx context.Context, id string) (admin.DeployRecord, error) {
	hist, err := r.d.Gateway.Deploys(ctx, r.t.Service)
	if err != nil {
		return admin.DeployRecord{}, fmt.Errorf("reading how rollout %s ended: %w", id, err)
	}
	for _, rec := range hist {
		if rec.ID == id {
			return rec, nil
		}
	}
	return admin.DeployRecord{}, fmt.Errorf("rollout %s: %w (did it lose its state?); run the deploy again", id, errNoRecord)
}

var errNoRecord = errors.New("the gateway shows it no more and has no record of how it ended")

// drainTimeout is the drain timeout the gateway applies to this deploy.
func (r *run) drainTimeout() time.Duration {
	switch {
	case r.opts.DrainTimeout > 0:
		return r.opts.DrainTimeout
	case r.t.Spec.Drain.Timeout > 0:
		return time.Duration(r.t.Spec.Drain.Timeout)
	}
	return admin.DefaultDrainTimeout
}
