package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// ownDrain makes the switched rollout's drain the gateway's: it runs under the gateway's
// context, not its caller's, and a newer rollout of the service may cancel it (see claim).
// Call cancel once the drain ended.
func (ro *rollout) ownDrain() (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(ro.g.ctx)
	sl := &ro.s.rollouts
	sl.mu.Lock()
	ro.drain = &drainHandle{cancel: cancel, done: make(chan struct{})}
	sl.mu.Unlock()
	return ctx, cancel
}

// drainOut is the part of a rollout after its switch, the same for a live rollout and for
// one a restart resumed: drain the old backends until they are idle or the drain timeout
// passed, or revert when every new backend fails its health checks, or yield to a newer
// rollout; then record the outcome and send the last event. It returns an error only when
// ctx ended otherwise (the gateway closes): the backends stay draining, for the next start.
func (ro *rollout) drainOut(ctx context.Context, res admin.RolloutResult) (admin.RolloutResult, error) {
	if ro.flipped != "" { // resumed after a restart that came after the watch's flip
		return ro.drainFlipped(ctx, res)
	}
	d := drain{s: ro.s, old: ro.oldNames, news: ro.newNames, timeout: ro.timeout, since: ro.drainStarted, minWait: ro.minWait, emit: ro.emit,
		rolloutID: ro.record.ID, followed: ro.followed,
		handoff: ro.s.cfg.Load().spec.Drain.Mode == admin.DrainHandoff && !ro.resumed && ro.progress != nil}
	if ro.watch != nil {
		// The old backends stay warm until the window ends: no stop and no handoff before.
		we, err := ro.watchOut(ctx, d)
		res.Watch = ro.watch.status()
		switch {
		case err != nil:
			res.DrainedAfter = admin.Duration(time.Since(ro.start))
			return ro.interrupted(ctx, err, res)
		case we.flipped != "":
			return ro.drainFlipped(ctx, res)
		case we.reverted:
			return ro.reverted(res), nil
		}
	}
	out, err := d.run(ctx)
	res.HandedOff, res.HandoffFallback = out.handed, out.fallback
	res.DrainedAfter = admin.Duration(time.Since(ro.start))
	switch {
	case err != nil:
		return ro.interrupted(ctx, err, res)
	case out.reverted:
		return ro.reverted(res), nil
	}
	res.DrainTimedOut = out.timedOut
	msg := "old backends drained and stopped"
	switch {
	case out.handedOff && out.fallback != "" && out.handed > 0:
		msg = fmt.Sprintf("handoff not done at once (%s); after the sticky drain %d live sessions handed off to %s; old backends stopped",
			out.fallback, out.handed, ro.newNames)
	case out.handedOff && out.fallback == "":
		msg = fmt.Sprintf("%d live sessions handed off to %s; old backends stopped", out.handed, ro.newNames)
	case out.fallback != "" && out.timedOut:
		msg = fmt.Sprintf("handoff not done (%s); drain timeout %s passed, old backends stopped with work left", out.fallback, ro.timeout)
	case out.fallback != "":
		msg = fmt.Sprintf("handoff not done (%s); old backends drained and stopped", out.fallback)
	case out.timedOut:
		msg = fmt.Sprintf("drain timeout %s passed; old backends stopped with work left", ro.timeout)
	}
	ro.end(admin.OutcomeSucceeded, admin.StepDrained, &res, msg)
	return res, nil
}

// interrupted ends a drain that ctx stopped: a newer rollout took it over (superseded), or
// the gateway closes and the backends stay draining for the next start (an error).
func (ro *rollout) interrupted(ctx context.Context, err error, res admin.RolloutResult) (admin.RolloutResult, error) {
	if errors.Is(context.Cause(ctx), errSuperseded) {
		res.Superseded = true
		ro.end(admin.OutcomeSuperseded, admin.StepDrained, &res,
			fmt.Sprintf("switched; the drain of %s was taken over by a newer rollout", ro.oldNames))
		return res, nil
	}
	ro.g.log.Warn("rollout drain interrupted", "service", ro.s.name, "err", err)
	return res, fmt.Errorf("draining service %q: %w", ro.s.name, err)
}

// reverted ends a rollout whose new backends all failed their health checks after the switch.
func (ro *rollout) reverted(res admin.RolloutResult) admin.RolloutResult {
	res.Reverted = true
	ro.end(admin.OutcomeReverted, admin.StepReverted, &res,
		"every new backend failed its health checks during the drain; old backends active again, new ones stopped")
	return res
}

// end records the outcome of a switched rollout and sends its last event.
func (ro *rollout) end(outcome admin.Outcome, step string, res *admin.RolloutResult, msg string) {
	ro.finish(outcome, msg)
	ro.emit(admin.RolloutEvent{Step: step, Old: ro.statuses(ro.oldNames), New: ro.statuses(ro.newNames), Result: res, Message: msg})
}
