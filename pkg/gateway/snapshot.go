package gateway

import (
	"slices"

	"github.com/rollcd/roll/pkg/admin"
)

// member is a backend as one snapshot sees it.
type member struct {
	b    *backend
	spec admin.BackendSpec // Name, Address, Route, Weight, Activation, Meta; defaults applied
	// pending marks a backend added by a rollout that has not switched yet: a restart drops it.
	pending bool
	// held marks an old backend whose sessions are being handed off: requests for its route
	// wait (handoffHold) instead of going there.
	held bool
	// fresh marks a rollout's new backend while a traffic split (canary, slow start) shares
	// the unrouted requests between it and the old ones.
	fresh bool
}

// snapshot is the immutable list of a service's backends. Changes build a new one and swap it
// in with atomic.Pointer, so a request sees either the whole old state or the whole new one.
type snapshot struct {
	members []member
	// split, when set, shares the requests without a usable sticky route between the fresh
	// members and the other active ones (split.go). Changes made with `with` keep it.
	split *trafficSplit
}

// find returns the member of backend b.
func (s *snapshot) find(b *backend) (member, bool) {
	for _, m := range s.members {
		if m.b == b {
			return m, true
		}
	}
	return member{}, false
}

// byName returns the index of the backend called name, or -1.
func (s *snapshot) byName(name string) int {
	for i, m := range s.members {
		if m.spec.Name == name {
			return i
		}
	}
	return -1
}

// retired reports whether the named backend is stopped and no rollout's pending one: no
// rollout can need it any more, so it may go even while one runs. A name not there counts too
// (removing it then says not found).
func (s *snapshot) retired(name string) bool {
	i := s.byName(name)
	return i < 0 || (s.members[i].spec.Activation == admin.Stopped && !s.members[i].pending)
}

// byRoute returns the member whose route is route: its own, else the backend it was handed
// to. A stopped backend's own route counts only when no other backend took it over.
func (s *snapshot) byRoute(route string) (member, bool) {
	stopped := -1
	for i, m := range s.members {
		if m.spec.Route == route {
			if m.spec.Activation != admin.Stopped {
				return m, true
			}
			stopped = i
		}
	}
	for _, m := range s.members {
		if m.spec.Activation != admin.Stopped && slices.Contains(m.spec.HandedRoutes, route) {
			return m, true
		}
	}
	if stopped >= 0 {
		return s.members[stopped], true
	}
	return member{}, false
}

// with returns a copy of s to which fn applies changes; s itself never changes.
func (s *snapshot) with(fn func(ms []member) []member) *snapshot {
	ms := make([]member, len(s.members))
	copy(ms, s.members)
	return &snapshot{members: fn(ms), split: s.split}
}

// withSplit is with, and the copy has split t (nil: none).
func (s *snapshot) withSplit(t *trafficSplit, fn func(ms []member) []member) *snapshot {
	next := s.with(fn)
	next.split = t
	return next
}

// admits reports whether a request may use a backend in state m: active ones take
// everything, draining ones only requests that carry their session route, held ones (a
// handoff under way) nothing.
func admits(m member, sticky bool) bool {
	return !m.held && (m.spec.Activation == admin.Active || (sticky && m.spec.Activation == admin.Draining))
}
