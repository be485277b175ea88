package gateway

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// A pause holds a service's new requests at the gateway, for a migration: they wait instead
// of failing, in a queue of at most MaxHeld (beyond it a 503 with Retry-After), until the
// pause ends (resume, its Max passing, or maintenance replacing it). Then they leave in
// arrival order, each before the next is woken; requests that arrive while the queue empties
// join its end, so none overtakes a request that waited. A held request whose client closes
// its connection leaves the queue at once (it is looked at every goneCheckEvery). Requests
// in flight when the pause began finish as usual: the pause stands before the backends.

// goneCheckEvery is how often a held request looks whether its client is still there.
const goneCheckEvery = 250 * time.Millisecond

// heldVerdict is how a held request goes on.
type heldVerdict int

const (
	heldGoOn        heldVerdict = iota // to a backend
	heldMaintenance                    // to the maintenance page that replaced the pause
	heldAnswered                       // answered 503 here (queue full, gateway restarting)
	heldGone                           // its client left: no answer
)

// heldRequest is one request in a pause's queue.
type heldRequest struct {
	wake    chan struct{} // closed, after verdict is set, when it may leave
	left    chan struct{} // closed as the request leaves (hold's leave): the next one may be woken
	verdict heldVerdict
}

// pause is one pause of service s. Its status and queue are guarded by mu.
type pause struct {
	s      *service
	mu     sync.Mutex
	status admin.PauseStatus // Since, Until, MaxHeld, Ended, EndedBy; the counters below
	queue  []*heldRequest
	// over is set once it ends: no new request joins (releasing says whether its queue is
	// still being emptied, with verdict), and a new pause of the service is another pause.
	over      bool
	releasing bool
	verdict   heldVerdict
	timer     *time.Timer // resumes at status.Until

	released, gone, refused atomic.Uint64
}

// newPause starts a pause of s from since until until, expiring by itself (g.expirePause).
func newPause(s *service, since, until time.Time, maxHeld int) *pause {
	p := &pause{s: s, status: admin.PauseStatus{Since: since.UTC(), Until: until.UTC(), MaxHeld: maxHeld}}
	p.mu.Lock() // the timer's function waits for it, should it fire at once
	p.timer = time.AfterFunc(time.Until(until), func() { s.g.expirePause(s, p) })
	p.mu.Unlock()
	return p
}

// expiredPause is the record of a pause whose max passed while the gateway was down.
func expiredPause(s *service, since, until time.Time, maxHeld int) *pause {
	return &pause{s: s, over: true, status: admin.PauseStatus{Since: since.UTC(), Until: until.UTC(), MaxHeld: maxHeld,
		Ended: until.UTC(), EndedBy: admin.PauseEndedByMax}}
}

// extend sets a new bound and cap on a pause under way; the held requests stay.
func (p *pause) extend(until time.Time, maxHeld int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status.Until, p.status.MaxHeld = until.UTC(), maxHeld
	p.timer.Reset(time.Until(until))
}

// ended reports whether the pause no longer holds requests (it is ending or ended).
func (p *pause) ended() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.over
}

// snapshot returns the pause's status now.
func (p *pause) snapshot() admin.PauseStatus {
	p.mu.Lock()
	st := p.status
	st.Held = len(p.queue)
	p.mu.Unlock()
	st.Released, st.Gone, st.Refused = p.released.Load(), p.gone.Load(), p.refused.Load()
	return st
}

// hold queues r until the pause ends, or answers it at once when the queue is full or the
// gateway is shutting down. The caller calls leave as it goes on: only then is the next held
// request woken, which keeps the arrival order.
func (p *pause) hold(w http.ResponseWriter, r *http.Request) (v heldVerdict, leave func()) {
	p.mu.Lock()
	switch {
	case p.over && !p.releasing:
		v := p.verdict
		p.mu.Unlock()
		return v, noLeave
	case p.s.g.stopping.Load():
		p.mu.Unlock()
		return answerHeld(w, msgPauseRestart, time.Second), noLeave
	case len(p.queue) >= p.status.MaxHeld:
		until, maxHeld := p.status.Until, p.status.MaxHeld
		p.mu.Unlock()
		if p.refused.Add(1) == 1 {
			p.s.g.log.Warn("pause full: further requests answered 503", "service", p.s.name, "max_held", maxHeld)
		}
		return answerHeld(w, msgPauseFull, time.Until(until)), noLeave
	}
	h := &heldRequest{wake: make(chan struct{}), left: make(chan struct{})}
	p.queue = append(p.queue, h)
	p.mu.Unlock()

	tick := time.NewTicker(goneCheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-h.wake:
			if h.verdict == heldAnswered { // woken by a gateway that shuts down: the pause goes on after the restart
				close(h.left)
				return answerHeld(w, msgPauseRestart, time.Second), noLeave
			}
			p.released.Add(1)
			return h.verdict, func() { close(h.left) }
		case <-r.Context().Done():
			return p.abandon(h), noLeave
		case <-tick.C:
			if clientGone(w) {
				return p.abandon(h), noLeave
			}
		}
	}
}

func noLeave() {}

// abandon takes a request whose client left out of the queue. One that a release took
// already waits for its turn to leave, so that the release never waits for it in vain.
func (p *pause) abandon(h *heldRequest) heldVerdict {
	p.gone.Add(1)
	p.mu.Lock()
	for i, q := range p.queue {
		if q == h {
			p.queue = append(p.queue[:i], p.queue[i+1:]...)
			p.mu.Unlock()
			return heldGone
		}
	}
	p.mu.Unlock()
	<-h.wake
	close(h.left)
	return heldGone
}

// end ends the pause (by: admin.PauseEndedBy…) and lets its held requests go with v, in
// arrival order, requests that join meanwhile included. It returns once the queue is empty.
// A pause that is ending already takes the newer verdict for the requests still queued.
func (p *pause) end(by string, v heldVerdict) {
	p.mu.Lock()
	if p.over && !p.releasing {
		p.mu.Unlock()
		return // ended before: its record stays as it was
	}
	p.status.Ended, p.status.EndedBy = time.Now().UTC(), by
	p.verdict = v
	p.timer.Stop()
	if p.over {
		p.mu.Unlock()
		return // the release under way takes the new verdict
	}
	p.over, p.releasing = true, true
	p.mu.Unlock()
	p.release(true)
}

// flush answers every held request with a 503 that asks to retry in a second, for a gateway
// that shuts down: the pause itself stays, in the state file, for the next start.
func (p *pause) flush() {
	p.timer.Stop()
	p.release(false)
}

// release wakes the queued requests one after the other, each once the previous one left.
// With final it empties the queue for good (the pause ended); else it wakes only the
// requests queued now, with heldAnswered.
func (p *pause) release(final bool) {
	for {
		p.mu.Lock()
		if len(p.queue) == 0 {
			if final {
				p.releasing = false
			}
			p.mu.Unlock()
			return
		}
		h := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		h.verdict = heldAnswered
		if final {
			h.verdict = p.verdict
		}
		p.mu.Unlock()
		close(h.wake)
		<-h.left
	}
}

// Reasons of a 503 answered to a request a pause could not hold.
const (
	msgPauseFull    = "503 service unavailable: this service is paused and as many requests as it holds already wait; retry later\n"
	msgPauseRestart = "503 service unavailable: the gateway is restarting while this service is paused; retry in a moment\n"
)

// answerHeld answers 503 with a Retry-After of at least a second.
func answerHeld(w http.ResponseWriter, msg string, retry time.Duration) heldVerdict {
	w.Header().Set("Retry-After", retryAfterSeconds(retry))
	plainAnswer(w, http.StatusServiceUnavailable, msg)
	return heldAnswered
}

// retryAfterSeconds is d in whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

// clientGone asks the connection under w (through the wrappers that Unwrap) whether the
// client left; a writer that cannot tell says no, and the request context's end covers it.
func clientGone(w http.ResponseWriter) bool {
	for {
		switch c := w.(type) {
		case interface{ ClientGone() bool }:
			return c.ClientGone()
		case interface{ Unwrap() http.ResponseWriter }:
			w = c.Unwrap()
		default:
			return false
		}
	}
}
