package gateway

import (
	"net/http"
	"time"
)

// answered does the bookkeeping of a request that backend m answered, with the answer's
// status and header h: counts by status class, recovery of a probed backend, live sessions seen in the request (sid, when
// it was routed by it) or set by the answer.
func (s *service) answered(status int, h http.Header, m member, sid string, sticky bool, cfg *serviceConfig) {
	b := m.b
	b.responses[statusClass(status)].Add(1)
	if b.downUntil.Load() != 0 {
		b.downUntil.Store(0)
		catchUp(s.snap.Load(), b)
		s.g.log.Info("backend recovered", "service", s.name, "backend", m.spec.Name)
	}
	now := time.Now().UnixNano()
	if sticky {
		b.sessions.used(sid, now)
	}
	for _, line := range h["Set-Cookie"] {
		if id, deleted := setCookieSession(line, cfg.spec.StickyCookie); deleted {
			b.sessions.forget(id)
		} else if id != "" {
			b.sessions.issued(id, now)
		}
	}
	// A container that rewrites URLs instead of setting a cookie shows the id in redirects.
	for _, loc := range h["Location"] {
		if id := pathParamValue(loc, cfg.spec.StickyPathParam); id != "" && routeOf(id) == m.spec.Route {
			b.sessions.issued(id, now)
		}
	}
}
