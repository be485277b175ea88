package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// rolloutSlots are the rollouts of one service. owner holds the service: it probes, or it
// switched and drains. While the owner drains, one newer rollout (next) may probe its own
// backends beside it; the owner's drain goes on meanwhile and is superseded only at next's
// switch, so a newer rollout that fails its readiness leaves the older drain untouched.
type rolloutSlots struct {
	mu    sync.Mutex
	owner *rollout
	next  *rollout
}

// claim gives the service to ro: as its owner when no rollout runs, as next when the owner
// already drains. A rollout still before its switch makes the service ErrBusy.
func (ro *rollout) claim(s *service) error {
	sl := &s.rollouts
	sl.mu.Lock()
	defer sl.mu.Unlock()
	switch {
	case sl.owner == nil && sl.next == nil:
		sl.owner = ro
	case sl.owner != nil && sl.owner.drain != nil && sl.next == nil:
		sl.next = ro
	default:
		return fmt.Errorf("rolling out service %q: %w", s.name, admin.ErrBusy)
	}
	s.busy.Store(true)
	return nil
}

// takeOver makes ro, about to switch, the owner: a draining owner is superseded and its
// drain is left to ro, which drains whatever is still serving beside its new backends.
func (ro *rollout) takeOver() error {
	sl := &ro.s.rollouts
	sl.mu.Lock()
	old := sl.owner
	sl.mu.Unlock()
	if old != nil && old != ro {
		old.drain.cancel(errSuperseded)
		select {
		case <-old.drain.done:
		case <-time.After(10 * time.Second):
			return fmt.Errorf("switching service %q: the draining rollout %s did not yield: %w", ro.s.name, old.record.ID, admin.ErrBusy)
		}
	}
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.owner != nil && sl.owner != ro {
		return fmt.Errorf("switching service %q: %w", ro.s.name, admin.ErrBusy)
	}
	sl.owner = ro
	if sl.next == ro {
		sl.next = nil
	}
	return nil
}

// release frees ro's slot of the service.
func (ro *rollout) release() {
	s := ro.s
	sl := &s.rollouts
	sl.mu.Lock()
	switch ro {
	case sl.owner:
		sl.owner = nil
	case sl.next:
		sl.next = nil
	}
	s.busy.Store(sl.owner != nil || sl.next != nil)
	sl.mu.Unlock()
	if ro.drain != nil {
		close(ro.drain.done)
	}
}

// current is the last event of the rollout the status shows: the newer one while it probes
// beside a drain (so nobody mistakes its pending backends for leftovers), else the owner's.
func (sl *rolloutSlots) current() *admin.RolloutEvent {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	for _, ro := range []*rollout{sl.next, sl.owner} {
		if ro != nil {
			if ev := ro.last.Load(); ev != nil {
				return ev
			}
		}
	}
	return nil
}
