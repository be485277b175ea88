package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// The admin side of a service's gate: pause and resume, maintenance on and off. Every change
// swaps the gate under g.mu and is saved, so that a restart finds the service as it was.

// Pause holds the service's new requests until Resume or req.Max. On a paused service it
// sets the new bound (from now) and cap; the held requests stay where they are.
func (g *Gateway) Pause(_ context.Context, service string, req admin.PauseRequest) (admin.PauseStatus, error) {
	req, err := req.Normalize()
	if err != nil {
		return admin.PauseStatus{}, err
	}
	now := time.Now()
	until := now.Add(time.Duration(req.Max))
	g.mu.Lock()
	s, err := g.lookupLocked(service, false)
	if err != nil {
		g.mu.Unlock()
		return admin.PauseStatus{}, err
	}
	gt := s.gate.Load()
	if gt != nil && gt.maint != nil {
		g.mu.Unlock()
		return admin.PauseStatus{}, fmt.Errorf("%w: pausing service %q: it is in maintenance, and a pause would hold no request; end the maintenance first", admin.ErrConflict, service)
	}
	p, extended := (*pause)(nil), false
	if gt != nil && !gt.pause.ended() {
		p, extended = gt.pause, true
		p.extend(until, req.MaxHeld)
	} else {
		p = newPause(s, now, until, req.MaxHeld)
		s.gate.Store(&gate{pause: p})
		s.lastPause.Store(p)
	}
	g.mu.Unlock()
	g.log.Info("service paused", "service", service, "until", until.UTC(), "max_held", req.MaxHeld, "extended", extended)
	g.persist()
	return p.snapshot(), nil
}

// Resume ends the service's pause: its held requests go on in arrival order. It returns
// once they all left. A service not paused is a conflict.
func (g *Gateway) Resume(_ context.Context, service string) (admin.PauseStatus, error) {
	g.mu.Lock()
	s, err := g.lookupLocked(service, false)
	if err != nil {
		g.mu.Unlock()
		return admin.PauseStatus{}, err
	}
	gt := s.gate.Load()
	g.mu.Unlock()
	if gt == nil || gt.pause == nil || gt.pause.ended() {
		return admin.PauseStatus{}, fmt.Errorf("%w: resuming service %q: it is not paused", admin.ErrConflict, service)
	}
	return g.endPause(s, gt.pause, admin.PauseEndedByResume), nil
}

// expirePause ends p when its Max passed (its timer). A pause extended meanwhile, or ended,
// stays as it is; so does everything once the gateway closes (its state file keeps the pause).
func (g *Gateway) expirePause(s *service, p *pause) {
	p.mu.Lock()
	early := time.Until(p.status.Until) > 50*time.Millisecond // its timer was reset: it fires again then
	p.mu.Unlock()
	if early || p.ended() || g.ctx.Err() != nil {
		return
	}
	g.endPause(s, p, admin.PauseEndedByMax)
}

// endPause releases p's held requests to the backends, then takes p out of the gate.
func (g *Gateway) endPause(s *service, p *pause, by string) admin.PauseStatus {
	p.end(by, heldGoOn)
	g.mu.Lock()
	if gt := s.gate.Load(); gt != nil && gt.pause == p {
		s.gate.Store(nil)
	}
	g.mu.Unlock()
	st := p.snapshot()
	if by == admin.PauseEndedByMax {
		g.log.Warn("pause expired: its max passed, held requests released", "service", s.name, "since", st.Since, "released", st.Released, "gone", st.Gone, "refused", st.Refused)
	} else {
		g.log.Info("service resumed", "service", s.name, "paused_for", st.Ended.Sub(st.Since).Round(time.Millisecond), "released", st.Released, "gone", st.Gone, "refused", st.Refused)
	}
	g.persist()
	return st
}

// StartMaintenance answers the service's requests with the maintenance page, or changes the
// message of the maintenance under way. A pause under way ends: its held requests get the page.
func (g *Gateway) StartMaintenance(_ context.Context, service string, spec admin.MaintenanceSpec) (admin.MaintenanceStatus, error) {
	spec, err := spec.Normalize()
	if err != nil {
		return admin.MaintenanceStatus{}, err
	}
	g.mu.Lock()
	s, err := g.lookupLocked(service, false)
	if err != nil {
		g.mu.Unlock()
		return admin.MaintenanceStatus{}, err
	}
	since := time.Now()
	old := s.gate.Load()
	if old != nil && old.maint != nil {
		since = old.maint.since // a new message, the same maintenance
	}
	m := newMaintenance(spec, since)
	s.gate.Store(&gate{maint: m})
	s.lastMaint.Store(m)
	if old != nil && old.maint != nil {
		m.answered.Store(old.maint.answered.Load())
	}
	g.mu.Unlock()
	if old != nil && old.pause != nil {
		old.pause.end(admin.PauseEndedByMaintenance, heldMaintenance)
	}
	g.log.Info("maintenance on", "service", service, "retry_after", time.Duration(spec.RetryAfter))
	g.persist()
	return m.status(), nil
}

// EndMaintenance lets the service's requests through again. A service not in maintenance is
// a conflict.
func (g *Gateway) EndMaintenance(_ context.Context, service string) (admin.MaintenanceStatus, error) {
	g.mu.Lock()
	s, err := g.lookupLocked(service, false)
	if err != nil {
		g.mu.Unlock()
		return admin.MaintenanceStatus{}, err
	}
	gt := s.gate.Load()
	if gt == nil || gt.maint == nil {
		g.mu.Unlock()
		return admin.MaintenanceStatus{}, fmt.Errorf("%w: ending the maintenance of service %q: it is not in maintenance", admin.ErrConflict, service)
	}
	s.gate.Store(nil)
	gt.maint.ended.Store(time.Now().UnixNano())
	g.mu.Unlock()
	st := gt.maint.status()
	g.log.Info("maintenance off", "service", service, "lasted", st.Ended.Sub(st.Since).Round(time.Millisecond), "answered", st.Answered)
	g.persist()
	return st, nil
}

// releaseHeld begins the shutdown of the gates: every held request is answered 503 (retry in
// a second) at once, and so is every request a pause would hold from now on, so that held
// requests do not keep the gateway from stopping. The pauses stay in the state file.
func (g *Gateway) releaseHeld() {
	g.stopping.Store(true)
	g.mu.Lock()
	var pauses []*pause
	for _, s := range g.services {
		if gt := s.gate.Load(); gt != nil && gt.pause != nil {
			pauses = append(pauses, gt.pause)
		}
	}
	g.mu.Unlock()
	for _, p := range pauses {
		p.flush()
	}
}
