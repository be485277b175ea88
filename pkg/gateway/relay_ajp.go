package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/rollcd/roll/pkg/ajp"
)

// serve answers r over AJP without ReverseProxy: ajp.Transport.Forward encodes the client's
// request straight into FORWARD_REQUEST and writes the reply straight to w (ajpRelay). It
// sends and answers what ReverseProxy and ajp.Transport.RoundTrip did (the golden AJP wire
// tests pin both), with the same choice of backend, failover and bookkeeping (attempts).
func (c *ajpClient) serve(s *service, cfg *serviceConfig, w http.ResponseWriter, r *http.Request) (broken bool) {
	if up := requestedUpgrade(r.Header); up != "" && !printableASCII(up) {
		c.g.proxyError(w, r, fmt.Errorf("client tried to switch to invalid protocol %q", up))
		return false
	}
	sid := stickyID(r, cfg.spec.StickyCookie, cfg.spec.StickyPathParam)
	info := c.g.ajpRequest(r)
	rl := relayPool.Get().(*ajpRelay)
	defer rl.release()
	rl.s, rl.cfg, rl.w, rl.r, rl.sid, rl.length = s, cfg, w, r, sid, -1
	rl.flusher = flusherOf(w)
	ctx := r.Context()
	a := s.attempts(cfg, routeOf(sid))
	for {
		m, sticky, ok := a.next()
		if !ok {
			c.g.proxyError(w, r, a.err())
			return false
		}
		info.Route, info.Activation = m.spec.Route, m.spec.Activation.JK()
		rl.m, rl.sticky = m, sticky
		// Not ctx: the public server (pkg/h1) ends a request's context only once its handler
		// returned, so watching it could never end an exchange early and would cost a context
		// watcher per request; the reply timeout bounds the wait, as with mod_jk. (Were the
		// server to end contexts when a client leaves, ctx would belong here.)
		err := c.tr.Forward(context.Background(), m.spec.Address, r, info, rl)
		began := rl.started
		if began && !rl.unanswered(err) { // the backend answered: its request ends with the relay
			m.b.inFlight.Add(-1)
			return rl.finish(err)
		}
		// No answer: a failure before the reply, retryable only when the request body is
		// untouched (ajp.IsRetryable), or an answer that broke off before reaching the client.
		if !a.failed(ctx, m, err, began || c.retryable(r, err), true) {
			c.g.proxyError(w, r, a.err())
			return false
		}
	}
}

// ajpRequest readies r to go to Tomcat as it is, as rewrite and ReverseProxy did: it returns
// what Tomcat must know about the client connection (clientInfo, or a trusted proxy's word)
// and removes from r.Header what must not reach Tomcat: the forwarding fields, once read
// (over AJP the client's address, scheme and host travel in the request itself, as mod_jk
// sends them; the fields would only add to Tomcat's maxHeaderCount), what only the gateway
// may set, the status cookies, and an empty User-Agent (a field the client did not send, for
// Tomcat). Hop-by-hop fields are left out by ajp.Transport. The request is the gateway's to
// change: nothing reads these fields afterwards.
func (g *Gateway) ajpRequest(r *http.Request) ajp.RequestInfo {
	info := clientInfo(r)
	if ip, ok := g.forwardedClient(r); ok {
		info.RemoteAddr, info.RemotePort = ip, 0
		if p := r.Header["X-Forwarded-Proto"]; len(p) > 0 && p[len(p)-1] == "https" && !info.IsSSL {
			info.IsSSL = true
			if !strings.Contains(r.Host, ":") {
				info.ServerPort = 443
			}
		}
	}
	for _, k := range forwardingHeaders {
		delete(r.Header, k)
	}
	dropGatewayOwned(r.Header)
	if ua := r.Header["User-Agent"]; len(ua) == 1 && ua[0] == "" {
		delete(r.Header, "User-Agent")
	}
	return info
}

// forwardingHeaders say who the client is and what it asked for; ReverseProxy drops the
// client's own before a Rewrite.
var forwardingHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"}

// ajpRelay is the ajp.ReplyWriter of one request: it does the bookkeeping of the answer
// (answered), refuses a protocol switch AJP cannot carry, drops hop-by-hop fields, and writes
// the rest to the client as it arrives, flushing when ajp.Transport says so. Pooled.
type ajpRelay struct {
	s       *service
	cfg     *serviceConfig
	w       http.ResponseWriter
	flusher http.ResponseWriter // w or the writer it wraps that can flush; nil if none
	r       *http.Request
	sid     string
	m       member
	sticky  bool

	started      bool  // WriteStatus was called: the backend answered
	refused      bool  // and the answer was refused (101); nothing was written
	committed    bool  // the status went to w (commit): the answer can no longer be taken back
	clientFailed bool  // a write or flush to the client failed
	status       int   // the answer's, written at commit
	noContent    bool  // the client's answer has no content, whatever the backend sends
	length       int64 // the answer's Content-Length, -1 when none
	written      int64 // body bytes written to w
}

var relayPool = sync.Pool{New: func() any { return new(ajpRelay) }}

func (rl *ajpRelay) release() {
	*rl = ajpRelay{}
	relayPool.Put(rl)
}

func (rl *ajpRelay) Header() http.Header { return rl.w.Header() }

// WriteStatus takes the status; the header fields are in w.Header() already. The answer goes to
// the client (commit) with its first body byte, a flush or its end, so that a backend that breaks
// off before leaves nothing sent: another backend may answer instead (unanswered). A 101 is
// refused, after its bookkeeping, as ReverseProxy's ModifyResponse (checkUpgrade) refused it: over
// AJP no protocol switch can be carried out.
func (rl *ajpRelay) WriteStatus(status int, length int64) error {
	rl.started = true
	if status == http.StatusSwitchingProtocols {
		h := rl.w.Header()
		rl.s.answered(h, rl.m, rl.sid, rl.sticky, rl.cfg)
		rl.refused = true
		return refusedUpgrade(requestedUpgrade(rl.r.Header), upgradeType(h), false)
	}
	rl.status, rl.length = status, length
	// RFC 9110: whatever the backend announces, these answers have no content for the client
	// (Tomcat gives a 205 the length of the page it does not send).
	rl.noContent = status == http.StatusNoContent || status == http.StatusResetContent ||
		status == http.StatusNotModified || rl.r.Method == http.MethodHead
	return nil
}

// commit counts the answer and its sessions, drops its hop-by-hop fields and writes its status.
func (rl *ajpRelay) commit() {
	if rl.committed {
		return
	}
	rl.committed = true
	h := rl.w.Header()
	rl.s.answered(h, rl.m, rl.sid, rl.sticky, rl.cfg)
	dropHopByHop(h)
	rl.w.WriteHeader(rl.status)
}

// unanswered reports whether an answer that began failed with err before any of it went to the
// client, one that has content for the client (else the status was all of it), for a request
// another backend may answer: of an idempotent method, without a body (so untouched), and not a
// reply timeout (the backend may still be working: another would only wait as long). The
// backend's fields are dropped, and the answer is as if it had not begun.
func (rl *ajpRelay) unanswered(err error) bool {
	if err == nil || rl.committed || rl.refused || rl.noContent || !idempotent(rl.r.Method) ||
		(rl.r.Body != nil && rl.r.Body != http.NoBody) || errors.Is(err, ajp.ErrReplyTimeout) {
		return false
	}
	clear(rl.w.Header())
	rl.started = false
	return true
}

// Write relays body bytes. Those of a status that has no body on the client's side (a 205:
// Tomcat sends one, HTTP forbids it) are dropped, as ReverseProxy's copy ended there, and the
// exchange reads on to its end.
func (rl *ajpRelay) Write(p []byte) (int, error) {
	rl.commit()
	n, err := rl.w.Write(p)
	rl.written += int64(n)
	switch {
	case err == http.ErrBodyNotAllowed:
		return len(p), nil
	case err != nil:
		rl.clientFailed = true
	}
	return n, err
}

func (rl *ajpRelay) Flush() error {
	rl.commit()
	var err error
	switch f := rl.flusher.(type) {
	case interface{ FlushError() error }:
		err = f.FlushError()
	case http.Flusher:
		f.Flush()
	}
	if err != nil {
		rl.clientFailed = true
	}
	return err
}

// finish ends an answer the backend gave, after Forward returned err. A refused answer gets
// the error answer ReverseProxy gave (502). An answer that broke off is logged and what was
// relayed flushed; it is broken unless the client already has all of it: no content is due,
// or all its Content-Length announced (the connection can then stay).
func (rl *ajpRelay) finish(err error) (broken bool) {
	switch {
	case err == nil:
		rl.commit() // an answer without a body
		return false
	case rl.refused:
		clear(rl.w.Header()) // the backend's fields of the refused answer
		rl.s.g.proxyError(rl.w, rl.r, err)
		return false
	case rl.clientFailed:
		rl.s.g.log.Debug("client went away during the answer", "service", rl.s.name, "backend", rl.m.spec.Name, "err", err)
	default:
		rl.s.g.log.Warn("backend answer broke off", "service", rl.s.name, "backend", rl.m.spec.Name, "err", err)
	}
	_ = rl.Flush() // what arrived reaches the client before the connection is cut
	return !rl.noContent && (rl.length < 0 || rl.written < rl.length)
}

// flusherOf returns w, or the writer it wraps, that can flush, as http.ResponseController
// finds it (the access log wraps the writer); nil if none can.
func flusherOf(w http.ResponseWriter) http.ResponseWriter {
	for {
		switch w.(type) {
		case interface{ FlushError() error }, http.Flusher:
			return w
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
}
