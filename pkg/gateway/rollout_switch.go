package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// A rollout asked to hold its switch (RolloutRequest.SwitchHold) waits, once its new
// backends are ready, for the deploy's Switch: the deploy runs its pre_switch hooks in the
// new containers meanwhile, and a failing hook gives the rollout up as a failed readiness
// would. The wait is installed before StepReady goes out, so an answer cannot come too early.

// switchWait is a rollout between ready and switch, waiting for the deploy's answer.
type switchWait struct {
	rollout string
	reply   chan admin.SwitchReply // buffered, one answer: Switch takes the wait out before it answers
}

// holdSwitch installs the wait of a rollout that holds its switch; nil when it does not.
func (ro *rollout) holdSwitch() *switchWait {
	if ro.req.SwitchHold <= 0 {
		return nil
	}
	w := &switchWait{rollout: ro.record.ID, reply: make(chan admin.SwitchReply, 1)}
	ro.s.switchWait.Store(w)
	return w
}

// awaitSwitch waits for the deploy's answer to w, bounded by SwitchHold. It returns nil to
// switch, or why the rollout ends without switching.
func (ro *rollout) awaitSwitch(ctx context.Context, w *switchWait) error {
	if w == nil {
		return nil
	}
	defer ro.s.switchWait.CompareAndSwap(w, nil)
	hold := time.Duration(ro.req.SwitchHold)
	t := time.NewTimer(hold)
	defer t.Stop()
	select {
	case r := <-w.reply:
		if r.Abort != "" {
			return fmt.Errorf("the deploy gave the switch up: %s", r.Abort)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("rollout cancelled before the switch: %w", context.Cause(ctx))
	case <-ro.g.ctx.Done():
		return errors.New("rollout stopped before the switch: the gateway is shutting down")
	case <-t.C:
		return fmt.Errorf("the deploy did not answer the held switch within %s", hold)
	}
}

// Switch is the deploy's answer to the StepReady event of service's rollout that holds its switch.
func (g *Gateway) Switch(_ context.Context, service string, reply admin.SwitchReply) error {
	g.mu.Lock()
	s, err := g.lookupLocked(service, false)
	g.mu.Unlock()
	if err != nil {
		return err
	}
	w := s.switchWait.Load()
	if w == nil || w.rollout != reply.Rollout {
		return fmt.Errorf("%w: service %q: no rollout %q waits for its switch", admin.ErrConflict, service, reply.Rollout)
	}
	if !s.switchWait.CompareAndSwap(w, nil) {
		return fmt.Errorf("%w: service %q: the switch of rollout %q was already answered", admin.ErrConflict, service, reply.Rollout)
	}
	w.reply <- reply // buffered: the one answer never blocks
	return nil
}
