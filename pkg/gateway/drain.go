package gateway

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// drainEvery is the pace of drain checks and StepDraining events.
const drainEvery = 500 * time.Millisecond

// drain waits until the old backends of a service are idle, then stops them.
type drain struct {
	s    *service
	old  []string // draining backends to wait for
	news []string // backends that took over; if all fail, the drain reverts (unless keepOld)
	// keepOld: the drain of an aborted canary, whose news served all along: nothing to revert to.
	keepOld bool
	// timeout counts from since, the switch: after a restart the drain has only what is left.
	timeout time.Duration
	since   time.Time
	// minWait delays the end of a drain whose session counts are unknown (after a restart).
	minWait time.Duration
	emit    func(admin.RolloutEvent)
	// handoff: hand the old backends' sessions off first (drain mode handoff, a deploy
	// following the events); rolloutID names the rollout in the deploy's answer, followed is
	// closed when the deploy stops following (its rollout stream ended).
	handoff   bool
	rolloutID string
	followed  <-chan struct{}
	// what names the draining backends in its events; default "the old backends".
	what string
}

type drainOutcome struct {
	timedOut  bool
	reverted  bool
	handedOff bool   // the old backends stopped after their containers, their routes moved to the new ones
	handed    int64  // live sessions handed off
	fallback  string // why a handoff was not done at once: the drain was a sticky drain first
}

// run checks every drainEvery. Drained means no request in flight and, in "sessions" mode,
// no live sticky session on every old backend. It returns an error only when ctx ends;
// the backends then stay draining (and a restarted gateway drains them again).
func (d drain) run(ctx context.Context) (drainOutcome, error) {
	start := time.Now()
	since := d.since
	if since.IsZero() {
		since = start
	}
	var out drainOutcome
	// handOffAtEnd: a handoff fell back to this sticky drain while the deploy follows it; the
	// drain then ends with one, so that its users are never sent on while their old container
	// still runs (the new one would load an older copy of their sessions). Even after a failed
	// store check: a check can fail while the store works (a slow first connection).
	handOffAtEnd := false
	if d.handoff && !d.idle(backendStatuses(d.s, d.old)) {
		ho, err := d.handOff(ctx, false)
		if err != nil {
			return out, fmt.Errorf("drain stopped during the handoff of %s: %w", d.old, context.Cause(ctx))
		}
		if ho.moved {
			return drainOutcome{handedOff: true, handed: ho.handed}, nil
		}
		out.fallback, handOffAtEnd = ho.fallback, ho.retry
		d.s.g.log.Warn("handoff not done, draining by sessions", "service", d.s.name, "old", d.old, "reason", ho.fallback,
			"handoff_at_end", handOffAtEnd)
		if d.emit != nil {
			msg := "handoff not done: " + ho.fallback + "; the sticky drain goes on"
			if handOffAtEnd {
				msg += " and ends with a handoff"
			}
			d.emit(admin.RolloutEvent{Step: admin.StepDraining, Old: backendStatuses(d.s, d.old), Message: msg})
		}
	}
	tick := time.NewTicker(drainEvery)
	defer tick.Stop()
	for {
		if !d.keepOld && d.newAllDown() {
			d.revert()
			out.reverted = true
			return out, nil
		}
		old := backendStatuses(d.s, d.old)
		idle := d.idle(old) && time.Since(start) >= d.minWait
		timedOut := !idle && time.Since(since) >= d.timeout
		if (idle || timedOut) && handOffAtEnd && d.following() {
			ho, err := d.handOff(ctx, true)
			if err != nil {
				return drainOutcome{}, fmt.Errorf("drain stopped during the handoff of %s at its end: %w", d.old, context.Cause(ctx))
			}
			if ho.moved {
				out.handedOff, out.handed = true, ho.handed
				if ho.fallback != "" { // the store check failed again: the sessions were likely cut
					out.fallback += "; " + ho.fallback
					out.timedOut = timedOut
				}
				return out, nil
			}
			out.fallback += "; at the drain's end too: " + ho.fallback
			d.s.g.log.Warn("handoff at the drain's end not done, stopping the old backends", "service", d.s.name, "old", d.old, "reason", ho.fallback)
		}
		if idle || timedOut {
			d.stopOld()
			out.timedOut = timedOut
			return out, nil
		}
		if d.emit != nil {
			d.emit(admin.RolloutEvent{Step: admin.StepDraining, Old: old, Message: d.message(old)})
		}
		select {
		case <-ctx.Done():
			return drainOutcome{}, fmt.Errorf("drain stopped with %s still draining: %w", d.old, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// following reports whether the deploy still follows the rollout: only it can stop the old
// containers of a handoff.
func (d drain) following() bool {
	select {
	case <-d.followed:
		return false
	default:
		return true
	}
}

func (d drain) idle(old []admin.BackendStatus) bool {
	sessions := d.s.cfg.Load().spec.Drain.Mode != admin.DrainRequests // handoff falls back to sessions
	for _, st := range old {
		if st.Activation != admin.Draining {
			continue // someone stopped it already
		}
		if st.InFlight > 0 || (sessions && st.Sessions > 0) {
			return false
		}
	}
	return true
}

// newAllDown reports whether every backend that took over failed its active health check.
// One failed request (passive health) is not enough to undo a deploy: it recovers by itself.
func (d drain) newAllDown() bool {
	if len(d.news) == 0 {
		return false
	}
	snap := d.s.snap.Load()
	for _, name := range d.news {
		if i := snap.byName(name); i >= 0 && !snap.members[i].b.checkFailed.Load() {
			return false
		}
	}
	return true
}

// stopOld stops the old backends in one swap, then waits (bounded) for the requests that
// were admitted just before the swap: once it returns, nothing runs there any more.
func (d drain) stopOld() {
	g, s := d.s.g, d.s
	g.mu.Lock()
	var stopped []*backend
	s.snap.Store(s.snap.Load().with(func(ms []member) []member {
		for i := range ms {
			if slices.Contains(d.old, ms[i].spec.Name) && ms[i].spec.Activation == admin.Draining {
				ms[i].spec.Activation = admin.Stopped
				stopped = append(stopped, ms[i].b)
			}
		}
		return ms
	}))
	g.mu.Unlock()
	// No save here: the rollout's finish saves the stopped backends with its outcome.
	deadline := time.Now().Add(10 * time.Second)
	for _, b := range stopped {
		for b.inFlight.Load() > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond) // polling a counter; no event to wait on
		}
		b.sessions.reset()
	}
	g.log.Info("drain finished, old backends stopped", "service", s.name, "backends", d.old)
}

// revert undoes a switch: the old backends serve again, the new ones stop.
func (d drain) revert() {
	g, s := d.s.g, d.s
	g.mu.Lock()
	next := s.snap.Load().with(func(ms []member) []member {
		for i := range ms {
			switch {
			case slices.Contains(d.old, ms[i].spec.Name) && ms[i].spec.Activation == admin.Draining:
				ms[i].spec.Activation = admin.Active
			case slices.Contains(d.news, ms[i].spec.Name):
				ms[i].spec.Activation = admin.Stopped
			}
		}
		return ms
	})
	s.snap.Store(next)
	g.mu.Unlock()
	g.log.Warn("rollout reverted: every new backend failed", "service", s.name, "active", d.old, "stopped", d.news)
	// No save here: the rollout's finish saves the reverted table with its outcome.
}

// message is drainMessage naming d's backends.
func (d drain) message(old []admin.BackendStatus) string {
	if d.what == "" {
		return drainMessage(old)
	}
	inFlight, sessions := drainCounts(old)
	return fmt.Sprintf("%d in flight, %d live sessions on %s", inFlight, sessions, d.what)
}

func drainCounts(old []admin.BackendStatus) (inFlight, sessions int64) {
	for _, st := range old {
		inFlight += st.InFlight
		sessions += st.Sessions
	}
	return inFlight, sessions
}

func drainMessage(old []admin.BackendStatus) string {
	inFlight, sessions := drainCounts(old)
	return fmt.Sprintf("%d in flight, %d live sessions on the old backends", inFlight, sessions)
}
