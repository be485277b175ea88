package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// statePause is a pause under way as the state file keeps it: a restart holds the service's
// requests again until the same Until (a pause whose Until passed while the gateway was down
// is over).
type statePause struct {
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
	MaxHeld int       `json:"max_held"`
}

// stateMaintenance is a maintenance under way as the state file keeps it.
type stateMaintenance struct {
	Message    string         `json:"message"`
	RetryAfter admin.Duration `json:"retry_after"`
	Since      time.Time      `json:"since"`
}

// encodeGate is what the state file keeps of s's gate: the pause or maintenance under way.
// A pause whose held requests are being released is over already. Caller holds g.mu.
func encodeGate(s *service) (pauseRaw, maintRaw json.RawMessage, err error) {
	gt := s.gate.Load()
	switch {
	case gt == nil:
		return nil, nil, nil
	case gt.maint != nil:
		m := gt.maint
		maintRaw, err = json.Marshal(stateMaintenance{Message: m.spec.Message, RetryAfter: m.spec.RetryAfter, Since: m.since})
	case !gt.pause.ended():
		st := gt.pause.snapshot()
		pauseRaw, err = json.Marshal(statePause{Since: st.Since, Until: st.Until, MaxHeld: st.MaxHeld})
	}
	return pauseRaw, maintRaw, err
}

// restoreGate puts back the pause or maintenance a service had when the state was saved. Both
// are read as untrusted input: an entry that the admin API would not have accepted is logged
// and dropped, and costs only itself. Caller holds g.mu.
func (g *Gateway) restoreGate(s *service, pauseRaw, maintRaw json.RawMessage, now time.Time) {
	if len(maintRaw) > 0 {
		m, err := decodeMaintenance(maintRaw)
		if err != nil {
			g.log.Error("state entry partly skipped: maintenance unreadable, the service serves", "service", s.name, "err", err)
		} else {
			s.gate.Store(&gate{maint: m})
			s.lastMaint.Store(m)
			g.log.Info("maintenance restored", "service", s.name, "since", m.since)
			return // a pause is never saved beside it; one that is would hold nothing
		}
	}
	if len(pauseRaw) == 0 {
		return
	}
	sp, err := decodePause(pauseRaw, now)
	if err != nil {
		g.log.Error("state entry partly skipped: pause unreadable, the service serves", "service", s.name, "err", err)
		return
	}
	if !sp.Until.After(now) {
		s.lastPause.Store(expiredPause(s, sp.Since, sp.Until, sp.MaxHeld))
		g.log.Warn("pause expired while the gateway was down", "service", s.name, "since", sp.Since, "until", sp.Until)
		return
	}
	p := newPause(s, sp.Since, sp.Until, sp.MaxHeld)
	s.gate.Store(&gate{pause: p})
	s.lastPause.Store(p)
	g.log.Info("pause restored: requests held", "service", s.name, "since", sp.Since, "until", sp.Until, "max_held", sp.MaxHeld)
}

// errGateEntry says what makes a saved pause or maintenance unusable.
var errGateEntry = errors.New("not what this gateway saves")

func decodePause(raw json.RawMessage, now time.Time) (statePause, error) {
	var sp statePause
	if err := json.Unmarshal(raw, &sp); err != nil {
		return sp, fmt.Errorf("reading the pause: %w", err)
	}
	switch {
	case sp.MaxHeld < 1 || sp.MaxHeld > admin.MaxPauseMaxHeld:
		return sp, fmt.Errorf("reading the pause: max_held %d: %w", sp.MaxHeld, errGateEntry)
	case sp.Since.IsZero() || !sp.Until.After(sp.Since):
		return sp, fmt.Errorf("reading the pause: since %s, until %s: %w", sp.Since, sp.Until, errGateEntry)
	case sp.Until.After(now.Add(admin.MaxPauseMax + time.Minute)):
		// Every pause ends within MaxPauseMax of its last change, which was before now.
		return sp, fmt.Errorf("reading the pause: until %s is further than %s away: %w", sp.Until, admin.MaxPauseMax, errGateEntry)
	}
	return sp, nil
}

func decodeMaintenance(raw json.RawMessage) (*maintenance, error) {
	var sm stateMaintenance
	if err := json.Unmarshal(raw, &sm); err != nil {
		return nil, fmt.Errorf("reading the maintenance: %w", err)
	}
	if sm.Since.IsZero() {
		return nil, fmt.Errorf("reading the maintenance: it has no start: %w", errGateEntry)
	}
	spec, err := admin.MaintenanceSpec{Message: sm.Message, RetryAfter: sm.RetryAfter}.Normalize()
	if err != nil {
		return nil, fmt.Errorf("reading the maintenance: %w", err)
	}
	return newMaintenance(spec, sm.Since), nil
}
