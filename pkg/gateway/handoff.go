package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// A handoff (drain mode "handoff") moves the sessions of a rollout's old backends to its new
// ones instead of waiting for their users to go idle:
//
//  1. every old backend answers the drain's check path (the app's word that its session
//     store is reachable); else the drain stays a sticky drain;
//  2. the old backends are held: a request that carries one of their routes waits at the
//     gateway instead of going there, and the requests in flight there finish;
//  3. StepHandoff asks the deploy to stop the old containers (Tomcat's PersistentManager
//     writes its sessions to the store as it stops); the deploy answers with Handoff;
//  4. the old routes become handed routes of the new backends, the old backends stop, and
//     the held requests go on to the new backends, which load each session from the store.
//
// The one rule: no request that carries an old backend's route reaches another backend while
// the old container may still write a newer copy of its session, that is before the deploy
// reported it stopped; the other backend would load the older copy from the store, and the
// updates made since would be lost. So once the deploy was asked to stop the old containers,
// their users stay held until it answers; and a sticky drain that a handoff fell back to (the
// store check failed, the requests in flight there did not finish within the hold, or the
// deploy could not stop a container) ends with a handoff too, instead of sending those users
// on while the old containers still run. A check can fail while the store works (a slow first
// connection on a busy machine); if it fails again at the drain's end, the old containers are
// still stopped before their users go on, and the result says their sessions are likely lost.
//
// Every wait is bounded: in flight requests by the hold (past it, the handoff falls back to the
// sticky drain, or at the drain's end goes on without them); the deploy's answer by the drain
// timeout and by the deploy's presence (its rollout stream); a held request by the hold and a
// second (past it, it gets a 503 rather than an older copy of its session).

// maxHandedRoutes bounds the routes one backend carries for earlier ones; the oldest go
// first (their sessions have had a deploy's worth of time to end).
const maxHandedRoutes = 32

// handoffHold is the hold of one handoff: requests for a held backend wait until released.
type handoffHold struct {
	released chan struct{}
	max      time.Duration // a request waits at most this long
}

// wait blocks a held request until the hold is released or the request waited its bound; it
// reports whether the hold was released.
func (h *handoffHold) wait() bool {
	t := time.NewTimer(h.max)
	defer t.Stop()
	select {
	case <-h.released:
		return true
	case <-t.C:
		return false
	}
}

// handoffWait is a handoff waiting for the deploy's answer (Gateway.Handoff).
type handoffWait struct {
	rollout  string
	reply    chan admin.HandoffReply // buffered, one answer
	answered atomic.Bool             // the first answer is the one; later ones are refused
}

// handoffOutcome is how a handoff ended. moved: the old backends stopped after the deploy
// reported their containers stopped, and their routes went to the new backends, with handed
// live sessions; otherwise fallback says why the drain goes on as a sticky drain, and retry
// that the drain can still end with a handoff (the deploy follows the rollout). A handoff that
// moved with a fallback is one whose store check failed: its users went on only once the old
// containers stopped, but their sessions were likely not in the store.
type handoffOutcome struct {
	moved    bool
	handed   int64
	fallback string
	retry    bool
}

// handOff runs a handoff of d's old backends to d's new ones. final is the handoff that ends a
// sticky drain an earlier one fell back to: it goes on whatever the store check says (the old
// containers are stopped before their users go on, store or not), and requests still in
// flight past the hold are left to the stop, as a sticky drain's end leaves them. It returns
// with every held request released. An error means ctx ended.
func (d drain) handOff(ctx context.Context, final bool) (handoffOutcome, error) {
	s := d.s
	spec := s.cfg.Load().spec
	hold := time.Duration(spec.Drain.Hold)
	if len(d.news) == 0 || len(d.old) == 0 {
		return handoffOutcome{fallback: "nothing to hand off"}, nil
	}
	storeDown := ""
	if path := spec.Drain.Check; path != "" {
		if err := d.checkStore(ctx, spec, path, max(hold, time.Duration(spec.Health.Timeout))); err != nil {
			if !final || ctx.Err() != nil {
				return handoffOutcome{fallback: err.Error(), retry: true}, ctx.Err()
			}
			s.g.log.Warn("handoff check failed again at the drain's end", "service", s.name, "err", err)
			storeDown = "at the drain's end the check failed again: the old containers stopped before their users went on, but their sessions are likely lost"
		}
	}
	// A second more than the hold: the release after a quiesce that took the whole hold comes
	// just after it, and a request held from the start must still be there to go on.
	h := &handoffHold{released: make(chan struct{}), max: hold + time.Second}
	s.hold.Store(h)
	d.setHeld(true)
	released := false
	release := func() {
		if !released {
			released = true
			d.setHeld(false)
			close(h.released)
			s.hold.CompareAndSwap(h, nil)
		}
	}
	defer release()

	if err := d.quiesce(ctx, hold); err != nil {
		if !final || ctx.Err() != nil {
			return handoffOutcome{fallback: err.Error(), retry: true}, ctx.Err()
		}
		s.g.log.Warn("handoff at the drain's end with requests in flight: the stop ends them", "service", s.name, "old", d.old, "reason", err)
	}
	old := backendStatuses(s, d.old)
	var sessions int64
	for _, st := range old {
		sessions += st.Sessions
	}
	w := &handoffWait{rollout: d.rolloutID, reply: make(chan admin.HandoffReply, 1)}
	s.handoff.Store(w)
	defer s.handoff.CompareAndSwap(w, nil)
	if d.emit != nil {
		d.emit(admin.RolloutEvent{Step: admin.StepHandoff, Old: old,
			Message: fmt.Sprintf("nothing in flight on %s, %d live sessions, their requests held: stop the old containers", d.old, sessions)})
	}
	// The deploy is stopping the old containers now: their users wait for its answer, since
	// neither the stopping containers nor the new ones (an older copy) may serve them.
	r, missed := d.awaitAnswer(ctx, w, hold)
	switch {
	case ctx.Err() != nil:
		return handoffOutcome{fallback: "the drain ended during the handoff"}, ctx.Err()
	case missed != "":
		return handoffOutcome{fallback: missed}, nil
	case r.Abort != "":
		return handoffOutcome{fallback: "the deploy gave the handoff up: " + r.Abort, retry: true}, nil
	}
	if missing := missingFrom(d.old, r.Stopped); len(missing) > 0 {
		return handoffOutcome{fallback: fmt.Sprintf("%s were not reported stopped", missing), retry: true}, nil
	}
	d.moveRoutes()
	release()
	s.g.persist()
	if storeDown != "" {
		s.g.log.Warn("old backends stopped before their users went on; the store check failed", "service", s.name, "from", d.old, "to", d.news, "sessions", sessions)
		return handoffOutcome{moved: true, fallback: storeDown}, nil
	}
	s.g.log.Info("sessions handed off", "service", s.name, "from", d.old, "to", d.news, "sessions", sessions, "at_drain_end", final)
	return handoffOutcome{moved: true, handed: sessions}, nil
}

// awaitAnswer waits for the deploy's answer to a StepHandoff, at most the drain timeout (or
// the hold, if longer): missed says why none came. A deploy whose stream ended (interrupted)
// still finishes the stop it began and answers, so it gets the hold for that; one that was
// killed never answers.
func (d drain) awaitAnswer(ctx context.Context, w *handoffWait, hold time.Duration) (r admin.HandoffReply, missed string) {
	within := max(hold, d.timeout)
	bound := time.NewTimer(within)
	defer bound.Stop()
	select {
	case <-ctx.Done():
		return r, ""
	case <-bound.C:
		return r, fmt.Sprintf("the old containers were not reported stopped within %s", within)
	case r = <-w.reply:
		return r, ""
	case <-d.followed:
	}
	gone := time.NewTimer(hold)
	defer gone.Stop()
	select {
	case <-ctx.Done():
		return r, ""
	case <-gone.C:
		return r, "the deploy went away before it reported the old containers stopped"
	case r = <-w.reply:
		return r, ""
	}
}

// checkStore asks every old backend for the check path, each within timeout (the hold, or the
// health timeout if longer: the store's first connection may take a while on a busy machine);
// the first that does not answer with a 2xx ends the handoff before anything was held.
func (d drain) checkStore(ctx context.Context, spec admin.ServiceSpec, path string, timeout time.Duration) error {
	spec.Health.Check, spec.Health.Path = admin.CheckRequest, path
	cfg := d.s.cfg.Load()
	snap := d.s.snap.Load()
	for _, name := range d.old {
		i := snap.byName(name)
		if i < 0 {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err := cfg.client.check(cctx, spec, snap.members[i])
		cancel()
		if err != nil {
			return fmt.Errorf("the handoff check %s failed on %s: %w", path, name, err)
		}
	}
	return nil
}

// quiesce waits until nothing is in flight on the old backends, or the hold passed.
func (d drain) quiesce(ctx context.Context, hold time.Duration) error {
	tick := time.NewTicker(5 * time.Millisecond) // polling counters; no event to wait on
	defer tick.Stop()
	deadline := time.After(hold)
	for {
		busy := int64(0)
		snap := d.s.snap.Load()
		for _, name := range d.old {
			if i := snap.byName(name); i >= 0 {
				busy += snap.members[i].b.inFlight.Load()
			}
		}
		if busy == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("the drain ended during the handoff")
		case <-deadline:
			return fmt.Errorf("%d requests were still in flight on %s when the hold passed", busy, d.old)
		case <-tick.C:
		}
	}
}

// setHeld marks the old backends held (or not) in one snapshot swap: a request admitted
// concurrently sees the change in admit and waits.
func (d drain) setHeld(held bool) {
	g, s := d.s.g, d.s
	g.mu.Lock()
	s.snap.Store(s.snap.Load().with(func(ms []member) []member {
		for i := range ms {
			if slices.Contains(d.old, ms[i].spec.Name) {
				ms[i].held = held
			}
		}
		return ms
	}))
	g.mu.Unlock()
}

// moveRoutes gives the old backends' routes, with those handed to them before, to the new
// ones (the i-th old to the (i mod n)-th new), moves their sessions along, and stops them,
// in one snapshot swap.
func (d drain) moveRoutes() {
	g, s := d.s.g, d.s
	g.mu.Lock()
	defer g.mu.Unlock()
	s.snap.Store(s.snap.Load().with(func(ms []member) []member {
		k := 0
		for i := range ms {
			old := &ms[i]
			if !slices.Contains(d.old, old.spec.Name) || old.spec.Activation != admin.Draining {
				continue
			}
			j := indexOf(ms, d.news[k%len(d.news)])
			k++
			old.spec.Activation, old.held = admin.Stopped, false
			if j < 0 {
				continue
			}
			to := &ms[j]
			routes := append(slices.Clone(to.spec.HandedRoutes), old.spec.HandedRoutes...)
			routes = append(routes, old.spec.Route)
			routes = slices.DeleteFunc(routes, func(r string) bool { return r == to.spec.Route })
			if n := len(routes); n > maxHandedRoutes {
				routes = routes[n-maxHandedRoutes:]
			}
			to.spec.HandedRoutes = routes
			to.b.sessions.absorb(&old.b.sessions)
			old.spec.HandedRoutes = nil
		}
		return ms
	}))
}

func indexOf(ms []member, name string) int {
	for i := range ms {
		if ms[i].spec.Name == name {
			return i
		}
	}
	return -1
}

// missingFrom returns the names of want that got does not hold.
func missingFrom(want, got []string) []string {
	var out []string
	for _, n := range want {
		if !slices.Contains(got, n) {
			out = append(out, n)
		}
	}
	return out
}

// Handoff is the deploy's answer to a StepHandoff event of service's rollout.
func (g *Gateway) Handoff(_ context.Context, service string, reply admin.HandoffReply) error {
	g.mu.Lock()
	s, err := g.lookupLocked(service, false)
	g.mu.Unlock()
	if err != nil {
		return err
	}
	w := s.handoff.Load()
	if w == nil || w.rollout != reply.Rollout {
		return fmt.Errorf("%w: service %q: no handoff of rollout %q waits for an answer", admin.ErrConflict, service, reply.Rollout)
	}
	if !w.answered.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: service %q: the handoff of rollout %q was already answered", admin.ErrConflict, service, reply.Rollout)
	}
	w.reply <- reply // buffered for this one answer
	return nil
}
