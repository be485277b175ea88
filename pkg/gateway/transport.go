package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// ErrNoBackend means no backend of the service may take the request: none is active and
// healthy (and, for a sticky request, its own backend is out too). Answered with 503.
var ErrNoBackend = errors.New("no usable backend")

// maxAttempts bounds how many backends one request tries.
const maxAttempts = 3

// RoundTrip chooses a backend for one proxied request and sends it there. A failure that
// proves the backend never saw the request (a refused connection, ajp.IsRetryable) marks the
// backend down and, when the request body was not read, tries another backend. The
// response body is wrapped so the request counts as in flight until it is fully relayed.
func (s *service) RoundTrip(req *http.Request) (*http.Response, error) {
	cfg := s.cfg.Load()
	sid := stickyID(req, cfg.spec.StickyCookie, cfg.spec.StickyPathParam)
	route := routeOf(sid)
	var guard *bodyGuard
	if req.Body != nil && req.Body != http.NoBody {
		guard = &bodyGuard{rc: req.Body}
		req.Body = guard
	}
	var exclude [maxAttempts * 2]*backend
	tried := exclude[:0]
	var lastErr error
	for attempt := range maxAttempts {
		now := time.Now().UnixNano()
		var m member
		var sticky, ok bool
		m, sticky, ok, tried = s.choose(route, tried, now, cfg.recoverAfter)
		if !ok {
			break
		}
		resp, err := cfg.client.forward(req, m, attempt == 0)
		if err == nil {
			return s.received(resp, m, sid, sticky, cfg), nil
		}
		m.b.inFlight.Add(-1)
		if req.Context().Err() != nil {
			return nil, err // the client went away: not the backend's fault
		}
		if isClientError(err) {
			s.clientErrors.Add(1) // the client's own fault: the backend stays in good standing
			return nil, err
		}
		m.b.noteError(err)
		lastErr = err
		if !cfg.client.retryable(req, err) {
			return nil, err
		}
		m.b.markDown(now, cfg.recoverAfter)
		s.g.log.Warn("backend marked down", "service", s.name, "backend", m.spec.Name, "err", err, "recover_after", cfg.recoverAfter)
		if guard != nil && guard.touched.Load() {
			return nil, err
		}
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, fmt.Errorf("service %s: %w", s.name, ErrNoBackend)
}

// choose finds the backend for one attempt and admits the request there. It tries the
// sticky route first; a sticky backend that is stopped, down or already tried falls back to
// normal balancing (the user gets a new session, as with mod_jk). The returned tried has
// every backend chosen or found unavailable added; passing it by value keeps it on the stack.
func (s *service) choose(route string, tried []*backend, now int64, recoverAfter time.Duration) (member, bool, bool, []*backend) {
	for range 8 { // admission loses only to a concurrent switch; then look again
		snap := s.snap.Load()
		if route != "" {
			if m, ok := snap.byRoute(route); ok && m.spec.Activation != admin.Stopped && !excluded(m.b, tried) && m.b.usable(now) {
				if m.b.claimProbe(now, recoverAfter) {
					if m, ok := s.admit(m, true, snap); ok {
						return m, true, true, append(tried, m.b)
					}
					continue
				}
			}
		}
		i, forced := pick(snap, s.rot.Add(1), now, tried, false), false
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

// received does the bookkeeping of an answered request: counts, recovery of a probed
// backend, live sessions seen in the request or set by the response.
func (s *service) received(resp *http.Response, m member, sid string, sticky bool, cfg *serviceConfig) *http.Response {
	b := m.b
	b.requests.Add(1)
	if b.downUntil.Load() != 0 {
		b.downUntil.Store(0)
		catchUp(s.snap.Load(), b)
		s.g.log.Info("backend recovered", "service", s.name, "backend", m.spec.Name)
	}
	now := time.Now().UnixNano()
	if sticky {
		b.sessions.used(sid, now)
	}
	for _, line := range resp.Header["Set-Cookie"] {
		if id, deleted := setCookieSession(line, cfg.spec.StickyCookie); deleted {
			b.sessions.forget(id)
		} else if id != "" {
			b.sessions.issued(id, now)
		}
	}
	// A container that rewrites URLs instead of setting a cookie shows the id in redirects.
	for _, loc := range resp.Header["Location"] {
		if id := pathParamValue(loc, cfg.spec.StickyPathParam); id != "" && routeOf(id) == m.spec.Route {
			b.sessions.issued(id, now)
		}
	}
	if resp.Body == nil {
		b.inFlight.Add(-1)
		return resp
	}
	if rwc, ok := resp.Body.(io.ReadWriteCloser); ok && resp.StatusCode == http.StatusSwitchingProtocols {
		resp.Body = &trackedConn{trackedBody{ReadCloser: rwc, b: b}, rwc}
	} else {
		resp.Body = &trackedBody{ReadCloser: resp.Body, b: b}
	}
	return resp
}

// trackedBody ends the request's in-flight count when the proxy closes the response body,
// that is, after the whole answer was relayed.
type trackedBody struct {
	io.ReadCloser
	b    *backend
	done atomic.Bool
}

func (t *trackedBody) Close() error {
	err := t.ReadCloser.Close()
	if t.done.CompareAndSwap(false, true) {
		t.b.inFlight.Add(-1)
	}
	return err
}

// trackedConn is the trackedBody of a 101 Switching Protocols answer: ReverseProxy needs the
// body to be writable to relay a WebSocket both ways.
type trackedConn struct {
	trackedBody
	w io.Writer
}

func (t *trackedConn) Write(p []byte) (int, error) { return t.w.Write(p) }

// bodyGuard lets a request body survive a failed attempt: transports close the body on
// every error, and a retry needs it untouched. It remembers whether anything was read,
// because then a retry would send a truncated body.
type bodyGuard struct {
	rc      io.ReadCloser
	touched atomic.Bool
}

func (g *bodyGuard) Read(p []byte) (int, error) {
	g.touched.Store(true)
	return g.rc.Read(p)
}

// Close does nothing: the server closes the client's body when the handler returns.
func (g *bodyGuard) Close() error { return nil }
