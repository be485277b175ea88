package gateway

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// backend is one upstream of a service. Its name and address never change; what an
// operator can change (activation, weight, route) lives in the service's snapshot, so a
// switch of many backends is one pointer swap. Everything here is safe for concurrent use.
type backend struct {
	name    string
	address string

	inFlight  atomic.Int64
	responses [5]atomic.Uint64 // answers by status class (statusClass), counted as they go to the client
	errors    atomic.Uint64    // requests the backend failed: no answer
	latency   histogram        // of answered requests, from their start to the end of the answer

	// vtime is the backend's virtual finish time for weighted fair picking: each pick adds
	// weightScale/weight, and the balancer prefers the smallest.
	vtime atomic.Uint64

	// downUntil is the passive health state: 0 when fine, else the unix-nano time after which
	// one probe request may try it again (mod_jk ERR → ERR/REC).
	downUntil atomic.Int64
	// checkFailed is the active health state: set by a failed health check, cleared by a good one.
	checkFailed atomic.Bool
	checkFails  atomic.Int32 // failed health checks in a row
	lastErr     atomic.Pointer[errorNote]

	sessions sessionSet
	history  trafficHistory // for the status page's charts

	stopHealth context.CancelFunc // ends this backend's health-check loop
}

// errorNote is the last error a backend caused, for the status page.
type errorNote struct {
	msg string
	at  time.Time
}

func newBackend(name, address string) *backend {
	return &backend{name: name, address: address}
}

// noteError records err as the backend's last error and counts it.
func (b *backend) noteError(err error) {
	b.errors.Add(1)
	b.lastErr.Store(&errorNote{msg: err.Error(), at: time.Now()})
}

// healthy reports whether neither a health check nor a failed request put the backend out.
func (b *backend) healthy() bool {
	return !b.checkFailed.Load() && b.downUntil.Load() == 0
}

// usable reports whether the balancer may send a request now: healthy, or passively down
// but past its recovery time (the request then serves as the probe).
func (b *backend) usable(now int64) bool {
	if b.checkFailed.Load() {
		return false
	}
	d := b.downUntil.Load()
	return d == 0 || now >= d
}

// markDown takes the backend out after a failed request until recoverAfter has passed.
func (b *backend) markDown(now int64, recoverAfter time.Duration) {
	b.downUntil.Store(now + int64(recoverAfter))
}

// claimProbe is called when the balancer picked a backend: if it is past its recovery time,
// only the caller that moves downUntil forward may send the probe request.
func (b *backend) claimProbe(now int64, recoverAfter time.Duration) bool {
	d := b.downUntil.Load()
	if d == 0 {
		return true
	}
	return now >= d && b.downUntil.CompareAndSwap(d, now+int64(recoverAfter))
}

// status returns the backend's wire status; spec carries the snapshot's view of it.
func (b *backend) status(spec admin.BackendSpec, now time.Time, sessionIdle time.Duration) admin.BackendStatus {
	c := b.counters()
	st := admin.BackendStatus{
		BackendSpec: spec,
		Healthy:     b.healthy(),
		InFlight:    b.inFlight.Load(),
		Sessions:    b.sessions.live(now.UnixNano(), sessionIdle),
		Requests:    c.answered(),
		Errors:      c.TransportErrors,
	}
	st.Responses = admin.StatusClasses{
		Informational: c.Responses[0], Success: c.Responses[1], Redirection: c.Responses[2],
		ClientError: c.Responses[3], ServerError: c.Responses[4],
	}
	if p95, ok := c.sub(b.history.minuteAgo(now)).Latency.quantile(0.95); ok {
		st.P95Seconds = p95.Seconds()
	}
	if n := b.lastErr.Load(); n != nil {
		st.LastError, st.LastErrorAt = n.msg, n.at
	}
	return st
}
