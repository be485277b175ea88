package gateway

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// roundTripper is the Transport of an HTTP service's ReverseProxy: backend choice and failover
// happen per attempt, below the proxy.
type roundTripper struct {
	s *service
	c *httpClient
}

// RoundTrip chooses a backend for one proxied request and sends it there. A failure that
// proves the backend never saw the request marks the backend down and, when the request body
// was not read, tries another backend. The response body is wrapped so the request counts as
// in flight, and its latency runs, until it is fully relayed.
func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	s := rt.s
	cfg := s.cfg.Load()
	sid := stickyID(req, cfg.spec.StickyCookie, cfg.spec.StickyPathParam)
	var guard *bodyGuard
	if req.Body != nil && req.Body != http.NoBody {
		guard = &bodyGuard{rc: req.Body}
		req.Body = guard
	}
	a := s.attempts(cfg, routeOf(sid))
	for {
		m, sticky, ok := a.next()
		if !ok {
			return nil, a.err()
		}
		resp, err := rt.c.forward(req, m, a.first())
		if err == nil {
			return s.received(resp, m, sid, sticky, cfg, start), nil
		}
		if !a.failed(req.Context(), m, err, rt.c.retryable(req, err), guard == nil || !guard.touched.Load()) {
			return nil, a.err()
		}
	}
}

// received does the bookkeeping of an answered request (answered) and wraps the response
// body to end the in-flight count, and observe the latency since start, once it was relayed.
// A protocol switch (101) is all answered with its header: the connection that follows is
// no part of its latency.
func (s *service) received(resp *http.Response, m member, sid string, sticky bool, cfg *serviceConfig, start time.Time) *http.Response {
	s.answered(resp.StatusCode, resp.Header, m, sid, sticky, cfg)
	b := m.b
	if resp.Body == nil {
		b.inFlight.Add(-1)
		b.latency.observe(time.Since(start))
		return resp
	}
	if rwc, ok := resp.Body.(io.ReadWriteCloser); ok && resp.StatusCode == http.StatusSwitchingProtocols {
		b.latency.observe(time.Since(start))
		resp.Body = &trackedConn{trackedBody{ReadCloser: rwc, b: b}, rwc}
	} else {
		resp.Body = &trackedBody{ReadCloser: resp.Body, b: b, start: start}
	}
	return resp
}

// trackedBody ends the request's in-flight count when the proxy closes the response body,
// that is, after the whole answer was relayed, and observes its latency unless start is zero.
type trackedBody struct {
	io.ReadCloser
	b     *backend
	start time.Time
	done  atomic.Bool
}

func (t *trackedBody) Close() error {
	err := t.ReadCloser.Close()
	if t.done.CompareAndSwap(false, true) {
		t.b.inFlight.Add(-1)
		if !t.start.IsZero() {
			t.b.latency.observe(time.Since(t.start))
		}
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
