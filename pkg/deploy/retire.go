package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/rollcd/roll/pkg/admin"
)

// retire stops and removes the old containers the gateway has stopped, and forgets their
// backends. One the gateway still routes to is left alone: a newer deploy drains it.
func (r *run) retire(ctx context.Context, old []Container) error {
	stopAt := r.d.now()
	routed := map[string]admin.Activation{}
	if len(old) > 0 {
		st, err := r.d.Gateway.Service(ctx, r.t.Service)
		if err != nil {
			return stepErr(StepStop, ErrGateway, fmt.Errorf("checking the old backends are stopped: %w", err))
		}
		for _, b := range st.Backends {
			routed[b.Name] = b.Activation
		}
	}
	var gone, kept []Container
	for _, c := range old {
		if a, ok := routed[c.Name]; ok && a != admin.Stopped {
			kept = append(kept, c)
			continue
		}
		if err := r.d.Engine.Stop(ctx, c.ID); err != nil {
			return stepErr(StepStop, ErrDocker, fmt.Errorf("stopping %s: %w", c.Name, err))
		}
		if err := r.d.Engine.Remove(ctx, c.ID); err != nil {
			return stepErr(StepStop, ErrDocker, fmt.Errorf("removing %s: %w", c.Name, err))
		}
		if err := r.d.Gateway.RemoveBackend(ctx, r.t.Service, c.Name); err != nil && !errors.Is(err, admin.ErrNotFound) {
			return stepErr(StepStop, ErrGateway, fmt.Errorf("forgetting backend %s: %w", c.Name, err))
		}
		gone = append(gone, c)
	}
	r.res.Durations.Stop = r.d.now().Sub(stopAt)
	if len(kept) > 0 {
		r.emit(Event{Step: StepStop, Status: StatusWarn,
			Message: fmt.Sprintf("left %s running: the gateway still routes to it (a newer deploy drains it)", containerNames(kept))})
	}
	switch {
	case len(gone) > 0:
		r.done(StepStop, "", "stopped and removed "+containerNames(gone))
	case len(old) == 0:
		r.done(StepStop, "", "nothing to stop (first deploy)")
	}
	return nil
}
