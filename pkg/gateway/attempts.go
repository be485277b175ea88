package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// ErrNoBackend means no backend of the service may take the request: none is active and
// healthy (and, for a sticky request, its own backend is out too). Answered with 503.
var ErrNoBackend = errors.New("no usable backend")

// maxAttempts bounds how many backends one request tries.
const maxAttempts = 3

// attempts walks one request through the backends that may take it, one attempt after the
// other: next chooses and admits a backend (counting the request in flight there), failed
// does the bookkeeping of an attempt that got no answer and tells whether to try another.
// An answered attempt's in-flight count is the caller's to end, once the answer was relayed.
// It lives on the caller's stack.
type attempts struct {
	s       *service
	cfg     *serviceConfig
	route   string // the sticky route, or ""
	n       int    // attempts begun
	lastErr error
	now     int64

	// The backends chosen or found unavailable so far: exclude[:excluded], or more once they do
	// not fit. No slice of exclude is kept here, so that attempts stays on the caller's stack.
	exclude  [maxAttempts * 2]*backend
	excluded int
	more     []*backend
}

func (s *service) attempts(cfg *serviceConfig, route string) attempts {
	return attempts{s: s, cfg: cfg, route: route}
}

// next admits the request at the backend of the next attempt. ok is false when there is none;
// err then says why.
func (a *attempts) next() (m member, sticky, ok bool) {
	if a.n >= maxAttempts {
		return member{}, false, false
	}
	a.n++
	a.now = time.Now().UnixNano()
	tried := a.exclude[:a.excluded]
	if a.more != nil {
		tried = a.more
	}
	m, sticky, ok, tried = a.s.choose(a.route, tried, a.now, a.cfg.recoverAfter)
	if a.more == nil && len(tried) <= len(a.exclude) {
		a.excluded = copy(a.exclude[:], tried)
	} else {
		a.more = append(a.more[:0:0], tried...)
	}
	return m, sticky, ok
}

// first reports whether the attempt under way is the request's first.
func (a *attempts) first() bool { return a.n == 1 }

// err is the error of a request that no backend answered.
func (a *attempts) err() error {
	if a.lastErr != nil {
		return a.lastErr
	}
	return fmt.Errorf("service %s: %w", a.s.name, ErrNoBackend)
}

// failed ends the in-flight count of an attempt at m that got no answer and reports whether
// another backend may take the request. A failure that proves the backend never saw it
// (retryable) marks the backend down; the request moves on if its body is untouched. A client
// that went away, or a failure that is the client's own, ends the request without a mark
// against the backend.
func (a *attempts) failed(ctx context.Context, m member, err error, retryable, untouched bool) bool {
	m.b.inFlight.Add(-1)
	a.lastErr = err
	if ctx.Err() != nil {
		return false // the client went away: not the backend's fault
	}
	if isClientError(err) {
		a.s.clientErrors.Add(1) // the client's own fault: the backend stays in good standing
		return false
	}
	m.b.noteError(err)
	if !retryable {
		return false
	}
	m.b.markDown(a.now, a.cfg.recoverAfter)
	a.s.g.log.Warn("backend marked down", "service", a.s.name, "backend", m.spec.Name, "err", err, "recover_after", a.cfg.recoverAfter)
	return untouched
}

// choose finds the backend for one attempt and admits the request there. It tries the
// sticky route first; a sticky backend that is stopped, down or already tried falls back to
// normal balancing (the user gets a new session, as with mod_jk); one that is held (a
// handoff) makes the request wait. The returned tried has
// every backend chosen or found unavailable added; passing it by value keeps it on the stack.
func (s *service) choose(route string, tried []*backend, now int64, recoverAfter time.Duration) (member, bool, bool, []*backend) {
	for range 8 { // admission loses only to a concurrent switch; then look again
		snap := s.snap.Load()
		if route != "" {
			if m, ok := snap.byRoute(route); ok && m.held {
				// Its session moves to another backend: go where it is once the hold ends. A
				// request that waited the hold's bound gets no backend (503): the old one is
				// stopping and any other would load an older copy of the session.
				if h := s.hold.Load(); h != nil && !h.wait() {
					return member{}, false, false, tried
				}
				continue
			} else if ok && m.spec.Activation != admin.Stopped && !excluded(m.b, tried) && m.b.usable(now) {
				if m.b.claimProbe(now, recoverAfter) {
					if m, ok := s.admit(m, true, snap); ok {
						return m, true, true, append(tried, m.b)
					}
					continue
				}
			}
		}
		i, forced := -1, false
		if side := splitSide(snap, now); side != anySide {
			// A traffic split sends this request to one side; if none of that side can take it,
			// the other side does rather than a 503.
			if i = pickSide(snap, s.rot.Add(1), now, tried, false, side); i < 0 {
				i = pickSide(snap, s.rot.Add(1), now, tried, false, side.other())
			}
		} else {
			i = pick(snap, s.rot.Add(1), now, tried, false)
		}
		if i < 0 {
			// Every active backend is marked down. A 503 is certain if we give up, while the
			// backend may well answer (a health check that timed out on a busy machine): try
			// them anyway, as mod_jk's forced recovery does.
			i, forced = pick(snap, s.rot.Add(1), now, tried, true), true
		}
		if i < 0 {
			return member{}, false, false, tried
		}
		m := snap.members[i]
		if !forced && !m.b.claimProbe(now, recoverAfter) {
			tried = append(tried, m.b) // someone else is probing it
			continue
		}
		if m, ok := s.admit(m, false, snap); ok {
			charge(m.b, m.spec.Weight)
			return m, false, true, append(tried, m.b)
		}
	}
	return member{}, false, false, tried
}
