package gateway

import (
	"sync/atomic"
	"time"
)

// A traffic split gives a rollout's new backends a share of the requests that carry no
// usable sticky route (new sessions and anonymous requests), while the old backends stay
// active for the rest: a canary has a fixed share, a slow start a share that rises
// linearly over its ramp. Sticky requests go where their session is, on either side.
//
// The split is exact and cheap: one atomic counter, no lock, no allocation. Request k of
// the split goes to the new side when (k·p) mod 2¹⁶ < p, p being the share in 1/2¹⁶: of
// any run of consecutive requests at a fixed share, the new side gets the share of them to
// within one request (a Bresenham line), so a test can count it.

// splitScale is the resolution of a share: 1<<16 is 100 %.
const splitScale = 1 << 16

// trafficSplit is installed in the snapshot of a service whose rollout runs a canary or a
// slow start. Its fields never change once it is in a snapshot, except the counter.
type trafficSplit struct {
	from, to uint64 // the new side's share at start and at start+ramp, in 1/splitScale
	start    int64  // unix nanoseconds
	ramp     int64  // nanoseconds; 0: the share is `to` from the start
	n        atomic.Uint64
}

// newSplit returns a split whose new side's share goes from `from` to `to` (0 to 1) over ramp.
func newSplit(from, to float64, start time.Time, ramp time.Duration) *trafficSplit {
	return &trafficSplit{from: shareUnits(from), to: shareUnits(to), start: start.UnixNano(), ramp: int64(ramp)}
}

func shareUnits(f float64) uint64 {
	switch {
	case f <= 0:
		return 0
	case f >= 1:
		return splitScale
	}
	return uint64(f*splitScale + 0.5)
}

// share is the new side's share at now, in 1/splitScale.
func (t *trafficSplit) share(now int64) uint64 {
	if t.ramp <= 0 || now-t.start >= t.ramp {
		return t.to
	}
	el := now - t.start
	if el <= 0 {
		return t.from
	}
	// from + (to-from)·el/ramp, without overflow: el < ramp ≤ MaxSlowStart (< 2⁴² ns), splitScale = 2¹⁶.
	if t.to >= t.from {
		return t.from + uint64(float64(t.to-t.from)*float64(el)/float64(t.ramp))
	}
	return t.from - uint64(float64(t.from-t.to)*float64(el)/float64(t.ramp))
}

// toNew decides, for one request without a usable sticky route, whether the new side takes it.
func (t *trafficSplit) toNew(now int64) bool {
	p := t.share(now)
	if p >= splitScale {
		return true
	}
	k := t.n.Add(1)
	return (k*p)%splitScale < p
}

// sideFilter tells pick which backends of a split snapshot it may choose.
type sideFilter uint8

const (
	anySide sideFilter = iota // no split: every active backend
	oldSide                   // the backends that served before the rollout
	newSide                   // the rollout's new backends
)

// allows reports whether a backend of the new side (or not) is on the wanted side.
func (f sideFilter) allows(isNew bool) bool {
	return f == anySide || (f == newSide) == isNew
}

// other is the side a request goes to when its own has no usable backend.
func (f sideFilter) other() sideFilter {
	switch f {
	case oldSide:
		return newSide
	case newSide:
		return oldSide
	}
	return anySide
}

// splitSide is the side of snap's split that takes one unrouted request now; anySide
// without a split.
func splitSide(snap *snapshot, now int64) sideFilter {
	if snap.split == nil {
		return anySide
	}
	if snap.split.toNew(now) {
		return newSide
	}
	return oldSide
}
