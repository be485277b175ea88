package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// Rollout brings new backends into a service and drains the others, as docs/architecture.md
// describes: add the new backends stopped → probe until ready or ReadyTimeout → one
// snapshot swap (new active, every other backend draining) → drain progress about every
// 500 ms → old stopped. Cancelling ctx before the switch removes the new backends and the
// old keep serving; after the switch the drain goes on whatever the caller does, until the
// gateway closes. If every new backend fails its health checks during the drain, the
// switch is undone (old active, new stopped): the result says Reverted and the error is nil,
// because the service still serves.
func (g *Gateway) Rollout(ctx context.Context, service string, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
	if len(req.Backends) == 0 {
		return admin.RolloutResult{}, fmt.Errorf("%w: rollout of service %q names no new backend", admin.ErrInvalid, service)
	}
	specs := make([]admin.BackendSpec, 0, len(req.Backends))
	for _, b := range req.Backends {
		b.Activation = admin.Stopped
		spec, err := normalizeBackend(service, b)
		if err != nil {
			return admin.RolloutResult{}, err
		}
		specs = append(specs, spec)
	}
	ro := &rollout{g: g, start: time.Now(), progress: progress, req: req}
	if err := ro.begin(service, specs); err != nil {
		return admin.RolloutResult{}, err
	}
	defer ro.release()
	return ro.run(ctx)
}

// errSuperseded ends the drain of a rollout that a newer rollout of the same service took over.
var errSuperseded = errors.New("superseded by a newer rollout")

// drainHandle lets a newer rollout take over a rollout that switched and now drains: the
// deploy that started it may be gone (killed), and its re-run must not wait for the old drain
// or fail as busy. The old backends stay draining and the new rollout drains them.
type drainHandle struct {
	cancel context.CancelCauseFunc
	done   chan struct{} // closed once the rollout released the service
}

// claim marks the service busy for this rollout. A rollout that is still before its switch
// makes it ErrBusy; one that already drains is superseded.
func (ro *rollout) claim(s *service) error {
	if s.busy.CompareAndSwap(false, true) {
		return nil
	}
	h := s.draining.Load()
	if h == nil {
		return fmt.Errorf("rolling out service %q: %w", s.name, admin.ErrBusy)
	}
	h.cancel(errSuperseded)
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("rolling out service %q: the draining rollout did not yield: %w", s.name, admin.ErrBusy)
	}
	if !s.busy.CompareAndSwap(false, true) {
		return fmt.Errorf("rolling out service %q: %w", s.name, admin.ErrBusy)
	}
	return nil
}

// release frees the service for the next rollout.
func (ro *rollout) release() {
	h := ro.drain
	if h != nil {
		ro.s.draining.CompareAndSwap(h, nil)
	}
	ro.s.busy.Store(false)
	if h != nil {
		close(h.done)
	}
}

// rollout is the state of one running rollout.
type rollout struct {
	g        *Gateway
	s        *service
	start    time.Time
	progress func(admin.RolloutEvent)
	req      admin.RolloutRequest
	newNames []string
	oldNames []string
	record   admin.DeployRecord
	drain    *drainHandle // set once the rollout drains
}

// begin claims the service and registers the new backends, stopped and pending.
func (ro *rollout) begin(service string, specs []admin.BackendSpec) error {
	g := ro.g
	g.mu.Lock()
	s, err := g.lookupLocked(service, false)
	g.mu.Unlock()
	if err != nil {
		return err
	}
	if err := ro.claim(s); err != nil {
		return err
	}
	g.mu.Lock()
	ro.s = s
	for _, spec := range specs {
		if err := g.addBackendLocked(s, spec, true); err != nil {
			for _, name := range ro.newNames {
				_ = g.removeBackendLocked(s, name)
			}
			s.busy.Store(false)
			g.mu.Unlock()
			return err
		}
		ro.newNames = append(ro.newNames, spec.Name)
	}
	g.mu.Unlock()
	ro.record = admin.DeployRecord{ID: newDeployID(ro.start), Service: service, Started: ro.start.UTC(), Meta: ro.req.Meta}
	g.log.Info("rollout started", "service", service, "new", ro.newNames)
	g.persist()
	ro.emit(admin.RolloutEvent{Step: admin.StepAdded, New: ro.statuses(ro.newNames)})
	return nil
}

func (ro *rollout) run(ctx context.Context) (admin.RolloutResult, error) {
	var res admin.RolloutResult
	if err := ro.waitReady(ctx); err != nil {
		return res, ro.fail(err)
	}
	res.ReadyAfter = admin.Duration(time.Since(ro.start))
	ro.emit(admin.RolloutEvent{Step: admin.StepReady, New: ro.statuses(ro.newNames)})

	ro.switchOver()
	res.Switched = true
	ro.emit(admin.RolloutEvent{Step: admin.StepSwitched, Old: ro.statuses(ro.oldNames), New: ro.statuses(ro.newNames)})

	cfg := ro.s.cfg.Load()
	timeout := time.Duration(ro.req.DrainTimeout)
	if timeout <= 0 {
		timeout = time.Duration(cfg.spec.Drain.Timeout)
	}
	d := drain{s: ro.s, old: ro.oldNames, news: ro.newNames, timeout: timeout, emit: ro.emit}
	// Not ctx: after the switch the drain is the gateway's, until it ends or a newer rollout takes it over.
	dctx, cancel := context.WithCancelCause(ro.g.ctx)
	defer cancel(nil)
	ro.drain = &drainHandle{cancel: cancel, done: make(chan struct{})}
	ro.s.draining.Store(ro.drain)
	out, err := d.run(dctx)
	res.DrainedAfter = admin.Duration(time.Since(ro.start))
	switch {
	case err != nil && errors.Is(context.Cause(dctx), errSuperseded):
		msg := fmt.Sprintf("switched; the drain of %s was taken over by a newer rollout", ro.oldNames)
		ro.finish(admin.OutcomeSucceeded, msg)
		ro.emit(admin.RolloutEvent{Step: admin.StepDrained, Old: ro.statuses(ro.oldNames), New: ro.statuses(ro.newNames), Result: &res, Message: msg})
		return res, nil
	case err != nil:
		ro.g.log.Warn("rollout drain interrupted", "service", ro.s.name, "err", err)
		return res, fmt.Errorf("draining service %q: %w", ro.s.name, err)
	case out.reverted:
		res.Reverted = true
		ro.finish(admin.OutcomeReverted, "every new backend failed its health checks during the drain; the old backends serve again")
		ro.emit(admin.RolloutEvent{Step: admin.StepReverted, Old: ro.statuses(ro.oldNames), New: ro.statuses(ro.newNames), Result: &res,
			Message: "every new backend failed its health checks; old backends active again, new ones stopped"})
		return res, nil
	}
	res.DrainTimedOut = out.timedOut
	msg := "old backends drained and stopped"
	if out.timedOut {
		msg = fmt.Sprintf("drain timeout %s passed; old backends stopped with work left", timeout)
	}
	ro.finish(admin.OutcomeSucceeded, msg)
	ro.emit(admin.RolloutEvent{Step: admin.StepDrained, Old: ro.statuses(ro.oldNames), New: ro.statuses(ro.newNames), Result: &res, Message: msg})
	return res, nil
}

// errReadyDeadline ends the probes of a rollout whose ReadyTimeout passed.
var errReadyDeadline = errors.New("the ready timeout passed")

// waitReady probes every new backend until all passed once, ReadyTimeout passes or ctx ends.
// The timeout is wall-clock time from the first probe: a probe still running when it passes
// is cut short, so the rollout fails within one interval of ReadyTimeout however slowly the
// backend fails its checks.
func (ro *rollout) waitReady(ctx context.Context) error {
	timeout := time.Duration(ro.req.ReadyTimeout)
	if timeout <= 0 {
		timeout = admin.DefaultReadyTimeout
	}
	pctx, cancel := context.WithTimeoutCause(ctx, timeout, errReadyDeadline)
	defer cancel()
	every := time.Duration(ro.req.ReadyInterval)
	if every <= 0 {
		every = admin.DefaultReadyInterval
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	pending := slices.Clone(ro.newNames)
	notReady := func() error {
		return fmt.Errorf("%w: %s did not pass the %s check within %s", admin.ErrNotReady, pending, ro.s.cfg.Load().spec.Health.Check, timeout)
	}
	for {
		for i := 0; i < len(pending); {
			snap := ro.s.snap.Load()
			j := snap.byName(pending[i])
			if j < 0 {
				return fmt.Errorf("backend %q disappeared during the rollout", pending[i])
			}
			m := snap.members[j]
			if err := ro.s.probe(pctx, m); err != nil {
				if pctx.Err() != nil {
					break
				}
				ro.emit(admin.RolloutEvent{Step: admin.StepProbing, Message: err.Error(), New: ro.statuses(pending[i : i+1])})
				i++
				continue
			}
			pending = slices.Delete(pending, i, i+1)
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rollout cancelled before the switch: %w", context.Cause(ctx))
		case <-ro.g.ctx.Done():
			return errors.New("rollout stopped before the switch: the gateway is shutting down")
		case <-pctx.Done():
			if ctx.Err() != nil { // pctx ends with ctx too: select may have picked this case
				return fmt.Errorf("rollout cancelled before the switch: %w", context.Cause(ctx))
			}
			return notReady()
		case <-tick.C:
		}
	}
}

// switchOver makes the new backends active and every other serving backend draining, in
// one snapshot swap.
func (ro *rollout) switchOver() {
	g, s := ro.g, ro.s
	g.mu.Lock()
	next := s.snap.Load().with(func(ms []member) []member {
		for i := range ms {
			m := &ms[i]
			if slices.Contains(ro.newNames, m.spec.Name) {
				m.spec.Activation, m.pending = admin.Active, false
				m.b.checkFailed.Store(false) // it just passed its probe
				m.b.downUntil.Store(0)
			} else if m.spec.Activation != admin.Stopped {
				m.spec.Activation = admin.Draining
				ro.oldNames = append(ro.oldNames, m.spec.Name)
			}
		}
		return ms
	})
	s.snap.Store(next)
	g.mu.Unlock()
	g.log.Info("rollout switched", "service", s.name, "active", ro.newNames, "draining", ro.oldNames)
	g.persist()
}

// fail ends a rollout that did not switch: the new backends go, the old keep serving.
func (ro *rollout) fail(cause error) error {
	g, s := ro.g, ro.s
	g.mu.Lock()
	for _, name := range ro.newNames {
		_ = g.removeBackendLocked(s, name)
	}
	g.mu.Unlock()
	g.log.Warn("rollout failed before the switch", "service", s.name, "err", cause)
	ro.finish(admin.OutcomeFailed, cause.Error())
	wire, _ := admin.ErrorOf(cause)
	ro.emit(admin.RolloutEvent{Step: admin.StepFailed, Message: cause.Error(), Error: wire, Result: &admin.RolloutResult{}})
	return cause
}

// finish records the rollout in the deploy history and saves the state.
func (ro *rollout) finish(outcome admin.Outcome, msg string) {
	ro.record.Finished = time.Now().UTC()
	ro.record.Outcome = outcome
	ro.record.Message = msg
	ro.g.mu.Lock()
	ro.s.addDeployLocked(ro.record)
	ro.g.mu.Unlock()
	ro.g.log.Info("rollout finished", "service", ro.s.name, "outcome", outcome, "elapsed", time.Since(ro.start))
	ro.g.persist()
}

// emit stamps and sends one event, and keeps it as the service's current rollout step.
func (ro *rollout) emit(ev admin.RolloutEvent) {
	ev.Time = time.Now().UTC()
	ev.Elapsed = admin.Duration(time.Since(ro.start))
	ro.s.lastEvent.Store(&ev)
	if ro.progress != nil {
		ro.progress(ev)
	}
}

// statuses returns the status of the named backends of the rollout's service.
func (ro *rollout) statuses(names []string) []admin.BackendStatus {
	return backendStatuses(ro.s, names)
}

func backendStatuses(s *service, names []string) []admin.BackendStatus {
	out := make([]admin.BackendStatus, 0, len(names))
	for _, n := range names {
		if st, ok := s.backendStatus(n); ok {
			out = append(out, st)
		}
	}
	return out
}
