package deploy

import (
	"context"
	"errors"
	"fmt"
	"sync"

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
		gone = append(gone, c)
	}
	if err := r.stopAll(ctx, gone); err != nil {
		return err
	}
	for _, c := range gone {
		if err := r.d.Gateway.RemoveBackend(ctx, r.t.Service, c.Name); err != nil && !errors.Is(err, admin.ErrNotFound) {
			return stepErr(StepStop, ErrGateway, fmt.Errorf("forgetting backend %s: %w", c.Name, err))
		}
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

// stopAll stops and removes the drained containers together: each waits out its own stop
// (on Swarm seconds per service, most of it the cluster learning the task is gone), so the
// stop of N replicas takes the slowest one's time, not their sum. The first failure, in the
// containers' order, is the error.
func (r *run) stopAll(ctx context.Context, cs []Container) error {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.d.Engine.Stop(ctx, c.ID); err != nil {
				errs[i] = stepErr(StepStop, ErrDocker, fmt.Errorf("stopping %s: %w", c.Name, err))
				return
			}
			if err := r.d.Engine.Remove(ctx, c.ID); err != nil {
				errs[i] = stepErr(StepStop, ErrDocker, fmt.Errorf("removing %s: %w", c.Name, err))
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
