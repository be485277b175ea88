package gateway

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// service is one routed application: its settings, its backends and its proxy.
type service struct {
	name string
	g    *Gateway

	cfg  atomic.Pointer[serviceConfig]
	snap atomic.Pointer[snapshot]
	rot  atomic.Uint32 // rotating start of the balancer's tie-break

	latency histogram

	clientErrors atomic.Uint64 // requests that failed by the client's fault (see isClientError)

	// gate is set while the service is paused or in maintenance (gate.go); lastPause and
	// lastMaint are the pause and maintenance under way or the last ones, for the status.
	gate      atomic.Pointer[gate]
	lastPause atomic.Pointer[pause]
	lastMaint atomic.Pointer[maintenance]

	busy     atomic.Bool // a rollout is running (rollouts has it)
	rollouts rolloutSlots
	// hold is the hold of a handoff under way, handoff its wait for the deploy's answer.
	hold    atomic.Pointer[handoffHold]
	handoff atomic.Pointer[handoffWait]
	// switchWait is a rollout that holds its switch for the deploy's answer (rollout_switch.go).
	switchWait atomic.Pointer[switchWait]
	// canary is the canary under way (canary.go), for decisions by hand and the status.
	canary atomic.Pointer[canaryRun]

	deploys []admin.DeployRecord // newest first; guarded by g.mu
	// switched is the rollout that switched and drains, as the state file keeps it, from
	// the switch until its outcome is recorded; guarded by g.mu.
	switched *stateRollout
	// splitting is the rollout whose canary or slow start runs, as the state file keeps it
	// (state_canary.go); guarded by g.mu.
	splitting *stateCanary
}

// serviceConfig is a service's normalized spec and what follows from it. Replaced whole.
type serviceConfig struct {
	spec         admin.ServiceSpec // with secret and defaults
	client       protocolClient
	sessionIdle  time.Duration
	recoverAfter time.Duration
}

func (g *Gateway) newService(spec admin.ServiceSpec) *service {
	s := &service{name: spec.Name, g: g}
	s.snap.Store(&snapshot{})
	s.setSpec(spec)
	return s
}

// setSpec installs a normalized spec. In-flight requests finish with the config they started with.
func (s *service) setSpec(spec admin.ServiceSpec) {
	old := s.cfg.Swap(&serviceConfig{
		spec:         spec,
		client:       s.g.protocolClient(s, spec),
		sessionIdle:  time.Duration(spec.SessionIdle),
		recoverAfter: time.Duration(spec.Health.RecoverAfter),
	})
	if old != nil {
		old.client.closeIdle()
	}
}

// ServeHTTP proxies one request that the routing table sent to this service. An answer that
// broke off after it began aborts the client connection (http.ErrAbortHandler), so that the
// client cannot take it for a whole one.
func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serve(w, r) {
		panic(http.ErrAbortHandler)
	}
}

// serve proxies r and observes its duration, the service's and that of the backend that
// answered; it reports whether the answer broke off.
func (s *service) serve(w http.ResponseWriter, r *http.Request) (broken bool) {
	if gt := s.gate.Load(); gt != nil {
		if answered, broken := s.intercept(gt, w, r); answered {
			return broken
		}
	}
	start := time.Now()
	cfg := s.cfg.Load()
	by, broken := cfg.client.serve(s, cfg, w, r)
	d := time.Since(start)
	s.latency.observe(d)
	if by != nil {
		by.latency.observe(d)
	}
	return broken
}

// admit counts a request in flight on b, then checks the snapshot again: if a switch or a
// drain ended between the pick and now, the backend may no longer take this request. A
// drain that stops a backend swaps the snapshot first and then waits for in-flight to reach
// zero, so a request is either refused here or counted by that wait; never lost between.
func (s *service) admit(m member, sticky bool, picked *snapshot) (member, bool) {
	m.b.inFlight.Add(1)
	cur := s.snap.Load()
	if cur == picked {
		return m, true
	}
	if now, ok := cur.find(m.b); ok && admits(now, sticky) {
		return now, true
	}
	m.b.inFlight.Add(-1)
	return member{}, false
}

// status returns the wire view of the service: spec without secret, backends with counters.
func (s *service) status() admin.ServiceStatus {
	cfg := s.cfg.Load()
	spec := cfg.spec
	spec.Secret = ""
	st := admin.ServiceStatus{ServiceSpec: spec, Backends: []admin.BackendStatus{}, ClientErrors: s.clientErrors.Load()}
	now := time.Now()
	for _, m := range s.snap.Load().members {
		st.Backends = append(st.Backends, m.b.status(m.spec, now, cfg.sessionIdle))
	}
	if s.busy.Load() {
		st.Rollout = s.rollouts.current()
		st.Canary = s.canaryStatus()
		st.Watch = s.rollouts.watching()
	}
	if p := s.lastPause.Load(); p != nil {
		ps := p.snapshot()
		st.Pause = &ps
	}
	if m := s.lastMaint.Load(); m != nil {
		ms := m.status()
		st.Maintenance = &ms
	}
	return st
}

// backendStatus returns one backend's status, by name.
func (s *service) backendStatus(name string) (admin.BackendStatus, bool) {
	snap := s.snap.Load()
	i := snap.byName(name)
	if i < 0 {
		return admin.BackendStatus{}, false
	}
	m := snap.members[i]
	return m.b.status(m.spec, time.Now(), s.cfg.Load().sessionIdle), true
}
