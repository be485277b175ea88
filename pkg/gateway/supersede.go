package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

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
