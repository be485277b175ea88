package gateway

import (
	"net/http"
	"strings"

	"github.com/rollcd/roll/pkg/admin"
)

// gate stands between a service's route and its backends while the service is paused (its
// requests wait at the gateway) or in maintenance (they get a 503 page). It is immutable and
// replaced whole under g.mu; a service without one (the common case) costs the request path
// one atomic load (service.gate).
type gate struct {
	pause *pause       // set while paused
	maint *maintenance // set while in maintenance; never together with pause
}

// intercept answers r, or holds it until the pause ends, when the service's gate stops it.
// It reports whether r was answered here; broken says the client left while held, whose
// connection is cut without an answer. The service's health path always passes: monitors see
// the backends as they are, and the gateway's own probes never come this way.
func (s *service) intercept(gt *gate, w http.ResponseWriter, r *http.Request) (answered, broken bool) {
	if exempt(r.URL.Path, s.cfg.Load().spec) {
		return false, false
	}
	// A held request that a maintenance released looks at the gate again, which says
	// maintenance by then; a pause that ended by itself lets the request on. Bounded: a gate
	// changes only by an admin call.
	for range 4 {
		switch {
		case gt == nil:
			return false, false
		case gt.maint != nil:
			gt.maint.answer(w, r)
			return true, false
		}
		v, leave := gt.pause.hold(w, r)
		leave()
		switch v {
		case heldGoOn:
			return false, false
		case heldAnswered:
			return true, false
		case heldGone:
			return true, true
		}
		gt = s.gate.Load()
	}
	return false, false
}

// exempt reports whether a request for path passes the gate: the service's health path,
// unless that path is the root of one of the service's routes (then it is the app itself,
// which maintenance must cover).
func exempt(path string, spec admin.ServiceSpec) bool {
	hp := spec.Health.Path
	if hp == "" || path != hp || hp == "/" {
		return false
	}
	for _, p := range spec.PathPrefixes {
		if strings.TrimSuffix(p, "/") == strings.TrimSuffix(hp, "/") {
			return false
		}
	}
	return true
}
