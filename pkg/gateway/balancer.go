package gateway

import (
	"github.com/rollcd/roll/pkg/admin"
)

// weightScale is added to a backend's virtual time on every pick, divided by its weight.
// It is divisible by every weight from 1 to 16, so common lbfactors divide it exactly.
const weightScale = 720720

// pick chooses the backend for a request without a usable sticky route: among active,
// usable backends not in exclude, the one with the fewest requests in flight per unit of
// weight; among equals, the smallest virtual time (weighted fair queueing, like mod_jk's
// lb_value with method=Request); among equals again, the first from a rotating start.
// Under load the in-flight term spreads requests to the least busy backend; at low load
// every backend has zero in flight and the virtual times give exact weight ratios
// (1:1 alternates strictly, 2:1 gives two to one).
// With force, backends marked down count as usable (forced recovery).
func pick(s *snapshot, start uint32, now int64, exclude []*backend, force bool) int {
	return pickSide(s, start, now, exclude, force, anySide)
}

// pickSide is pick among the backends on one side of a traffic split.
func pickSide(s *snapshot, start uint32, now int64, exclude []*backend, force bool, side sideFilter) int {
	n := len(s.members)
	best := -1
	var bestIn, bestW int64
	var bestV uint64
	for k := range n {
		i := (int(start%uint32(n)) + k) % n
		m := &s.members[i]
		if m.spec.Activation != admin.Active || !side.allows(m.fresh) || excluded(m.b, exclude) || (!force && !m.b.usable(now)) {
			continue
		}
		in, w, v := m.b.inFlight.Load(), int64(m.spec.Weight), m.b.vtime.Load()
		if best >= 0 {
			// Compare in/w with bestIn/bestW without division.
			l, r := in*bestW, bestIn*w
			if l > r || (l == r && v >= bestV) {
				continue
			}
		}
		best, bestIn, bestW, bestV = i, in, w, v
	}
	return best
}

// charge advances the picked backend's virtual time by its share of one request.
func charge(b *backend, weight int) {
	b.vtime.Add(uint64(weightScale / weight))
}

// catchUp moves a backend that starts taking new traffic (added, activated, recovered) to
// the smallest virtual time of the other active backends, so it does not get a burst of
// every request until its count catches up with theirs.
func catchUp(s *snapshot, b *backend) {
	var floor uint64
	found := false
	for _, m := range s.members {
		if m.b == b || m.spec.Activation != admin.Active {
			continue
		}
		if v := m.b.vtime.Load(); !found || v < floor {
			floor, found = v, true
		}
	}
	if found && b.vtime.Load() < floor {
		b.vtime.Store(floor)
	}
}

func excluded(b *backend, exclude []*backend) bool {
	for _, x := range exclude {
		if x == b {
			return true
		}
	}
	return false
}
