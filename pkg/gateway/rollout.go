package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
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
	if req.SwitchHold < 0 || req.SwitchHold > admin.Duration(admin.MaxSwitchHold) {
		return admin.RolloutResult{}, fmt.Errorf("%w: rollout of service %q: switch_hold %s: want at most %s", admin.ErrInvalid, service, time.Duration(req.SwitchHold), admin.MaxSwitchHold)
	}
	if req.Canary != nil {
		if err := req.Canary.Validate(); err != nil {
			return admin.RolloutResult{}, fmt.Errorf("rollout of service %q: %w", service, err)
		}
	}
	if req.SlowStart < 0 || req.SlowStart > admin.Duration(admin.MaxSlowStart) {
		return admin.RolloutResult{}, fmt.Errorf("%w: rollout of service %q: slow_start %s: want at most %s", admin.ErrInvalid, service, time.Duration(req.SlowStart), admin.MaxSlowStart)
	}
	if err := checkWatchAndWarmup(service, &req); err != nil {
		return admin.RolloutResult{}, err
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
	// Set at the switch, or by the restore that resumes the rollout: the drain stops waiting
	// timeout after drainStarted, and not before minWait (session counts lost in a restart).
	timeout      time.Duration
	drainStarted time.Time
	minWait      time.Duration
	note         string                             // put before the recorded message: how a resumed rollout came to be
	resumed      bool                               // a restart resumed it: nobody follows its events to hand sessions off
	followed     <-chan struct{}                    // closed when the caller stops following its events
	entry        *stateRollout                      // the service's switched entry while this rollout drains
	drain        *drainHandle                       // set once the rollout drains, under the service's rollouts.mu
	watch        *watch                             // the post-switch watch, if asked; set under the service's rollouts.mu
	flipped      string                             // why the watch flipped back: the rollout drains its failing new backends
	last         atomic.Pointer[admin.RolloutEvent] // its latest event, for the status
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
			g.mu.Unlock()
			ro.s = s
			ro.release()
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

// run probes the new backends until ready, switches, and drains the old ones.
func (ro *rollout) run(ctx context.Context) (admin.RolloutResult, error) {
	var res admin.RolloutResult
	if err := ro.waitReady(ctx); err != nil {
		return res, ro.fail(err)
	}
	var err error
	if res.Warmup, err = ro.warmUp(ctx); err != nil {
		return res, ro.fail(err)
	}
	res.ReadyAfter = admin.Duration(time.Since(ro.start))
	w := ro.holdSwitch()
	ready := admin.RolloutEvent{Step: admin.StepReady, New: ro.statuses(ro.newNames)}
	if w != nil {
		ready.Message = fmt.Sprintf("%s passed the gateway's readiness checks; the switch waits for the deploy's pre_switch hooks", strings.Join(ro.newNames, ", "))
	}
	ro.emit(ready)
	if err := ro.awaitSwitch(ctx, w); err != nil {
		return res, ro.fail(err)
	}
	from := 0.0
	if ro.req.Canary != nil && ro.anyOldActive() {
		c, st, err := ro.runCanary(ctx)
		if err != nil {
			return res, ro.failAs(admin.OutcomeAborted, err)
		}
		if st.Verdict != admin.CanaryPromote {
			return ro.abortCanary(ctx, c, st)
		}
		res.Canary = &st
		from = st.Spec.Share
	}
	if ro.req.SlowStart > 0 && ro.anyOldActive() {
		if err := ro.slowStart(ctx, from); err != nil {
			return res, ro.failAs(admin.OutcomeAborted, err)
		}
	}

	if err := ro.takeOver(); err != nil {
		return res, ro.fail(err)
	}
	ro.armWatch()
	ro.switchOver()
	res.Switched = true
	// Not ctx: after the switch the drain is the gateway's, until it ends or a newer rollout takes it over.
	// ctx still says whether the caller follows, which a handoff needs.
	ro.followed = ctx.Done()
	dctx, cancel := ro.ownDrain()
	defer cancel(nil)
	ro.emit(admin.RolloutEvent{Step: admin.StepSwitched, Old: ro.statuses(ro.oldNames), New: ro.statuses(ro.newNames)})
	return ro.drainOut(dctx, res)
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
	next := s.snap.Load().withSplit(nil, func(ms []member) []member { // a canary's or slow start's split ends here
		for i := range ms {
			m := &ms[i]
			if slices.Contains(ro.newNames, m.spec.Name) {
				m.spec.Activation, m.pending, m.fresh = admin.Active, false, false
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
	ro.timeout = time.Duration(ro.req.DrainTimeout)
	if ro.timeout <= 0 {
		ro.timeout = time.Duration(s.cfg.Load().spec.Drain.Timeout)
	}
	ro.drainStarted = time.Now()
	ro.entry = ro.stateEntry()
	s.switched = ro.entry // saved with the switch: a restart resumes this rollout
	s.splitting = nil     // its canary or slow start, if any, ended with the switch
	g.mu.Unlock()
	g.log.Info("rollout switched", "service", s.name, "active", ro.newNames, "draining", ro.oldNames)
	g.persist()
}

// fail ends a rollout that did not switch: the new backends go, the old keep serving.
func (ro *rollout) fail(cause error) error { return ro.failAs(admin.OutcomeFailed, cause) }

// failAs is fail, recorded with outcome: a canary or slow start that the caller or the
// gateway's stop cut short is aborted (its new backends had users), not failed.
func (ro *rollout) failAs(outcome admin.Outcome, cause error) error {
	g, s := ro.g, ro.s
	g.mu.Lock()
	for _, name := range ro.newNames {
		_ = g.removeBackendLocked(s, name)
	}
	g.mu.Unlock()
	g.log.Warn("rollout failed before the switch", "service", s.name, "err", cause)
	ro.finish(outcome, cause.Error())
	wire, _ := admin.ErrorOf(cause)
	ro.emit(admin.RolloutEvent{Step: admin.StepFailed, Message: cause.Error(), Error: wire, Result: &admin.RolloutResult{}})
	return cause
}

// finish records the rollout in the deploy history and saves the state, with the rollout
// no longer in progress.
func (ro *rollout) finish(outcome admin.Outcome, msg string) {
	if ro.note != "" {
		msg = ro.note + "; " + msg
	}
	ro.record.Finished = time.Now().UTC()
	ro.record.Outcome = outcome
	ro.record.Message = msg
	ro.g.mu.Lock()
	ro.s.addDeployLocked(ro.record)
	if ro.entry != nil && ro.s.switched == ro.entry {
		ro.s.switched = nil // in the same save as the outcome and the stopped backends
	}
	if sp := ro.s.splitting; sp != nil && sp.ID == ro.record.ID {
		ro.s.splitting = nil
	}
	ro.g.mu.Unlock()
	ro.g.log.Info("rollout finished", "service", ro.s.name, "outcome", outcome, "elapsed", time.Since(ro.start))
	ro.g.persist()
}

// emit stamps and sends one event, and keeps it as the service's current rollout step.
// Every event carries the rollout's deploy record id, by which a caller whose stream broke
// finds the rollout in the status and, once it ended, in the history.
func (ro *rollout) emit(ev admin.RolloutEvent) {
	ev.ID = ro.record.ID
	ev.Time = time.Now().UTC()
	ev.Elapsed = admin.Duration(time.Since(ro.start))
	ro.last.Store(&ev)
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
