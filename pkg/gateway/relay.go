package gateway

import (
	"errors"
	"net/http"
	"sync"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/h1"
)

// relay is the ajp.ReplyWriter or h1.ReplyWriter of one request, its answer from Tomcat over
// AJP or from an HTTP backend: it does the bookkeeping of the answer (answered), refuses a
// protocol switch it cannot carry, drops hop-by-hop fields, and writes the rest to the client
// as it arrives, flushing when the client of the backend says so. Pooled.
type relay struct {
	s       *service
	cfg     *serviceConfig
	w       http.ResponseWriter
	flusher http.ResponseWriter // w or the writer it wraps that can flush; nil if none
	r       *http.Request
	sid     string
	m       member
	sticky  bool
	guard   bodyGuard // the request body as the backend's client reads it (HTTP): touched or not
	out     h1.Outgoing
	fields  [4]h1.Field // out.Fields: the forwarding fields and the activation (HTTP)

	started      bool  // WriteStatus was called: the backend answered
	refused      bool  // and the answer was refused (101); nothing was written
	committed    bool  // the status went to w (commit): the answer can no longer be taken back
	clientFailed bool  // a write or flush to the client failed
	status       int   // the answer's, written at commit
	noContent    bool  // the client's answer has no content, whatever the backend sends
	length       int64 // the answer's Content-Length, -1 when none
	written      int64 // body bytes written to w
}

var relayPool = sync.Pool{New: func() any { return new(relay) }}

// newRelay takes a relay from the pool for r, to be released when its answer is done.
func newRelay(s *service, cfg *serviceConfig, w http.ResponseWriter, r *http.Request, sid string) *relay {
	rl := relayPool.Get().(*relay)
	rl.s, rl.cfg, rl.w, rl.r, rl.sid, rl.length = s, cfg, w, r, sid, -1
	rl.flusher = flusherOf(w)
	return rl
}

func (rl *relay) release() {
	*rl = relay{}
	relayPool.Put(rl)
}

func (rl *relay) Header() http.Header { return rl.w.Header() }

// WriteStatus takes the status; the header fields are in w.Header() already. The answer goes to
// the client (commit) with its first body byte, a flush or its end, so that a backend that breaks
// off before leaves nothing sent: another backend may answer instead (unanswered). A 101 is
// refused, after its bookkeeping, as ReverseProxy's ModifyResponse (checkUpgrade) refused it: over
// AJP no protocol switch can be carried out, and HTTP requests that ask for one take the
// ReverseProxy path.
func (rl *relay) WriteStatus(status int, length int64) error {
	rl.started = true
	if status == http.StatusSwitchingProtocols {
		h := rl.w.Header()
		rl.s.answered(status, h, rl.m, rl.sid, rl.sticky, rl.cfg)
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
func (rl *relay) commit() {
	if rl.committed {
		return
	}
	rl.committed = true
	h := rl.w.Header()
	rl.s.answered(rl.status, h, rl.m, rl.sid, rl.sticky, rl.cfg)
	dropHopByHop(h)
	rl.w.WriteHeader(rl.status)
}

// next admits the request at the backend of its next attempt (rl.m, rl.sticky). When there is
// none, the client gets the error answer (proxyError) and next reports false.
func (rl *relay) next(a *attempts) bool {
	m, sticky, ok := a.next()
	if !ok {
		rl.s.g.proxyError(rl.w, rl.r, a.err())
		return false
	}
	rl.m, rl.sticky = m, sticky
	return true
}

// settle ends the attempt at rl.m that Forward ended with err. done says the request is over:
// the backend answered (its in-flight count ends; broken as finish says), or it got no answer
// and may go nowhere else, and the client got the error answer (proxyError). Otherwise the next
// attempt follows: the failure was retryable (a failure before the reply, or an answer that broke
// off before reaching the client, see unanswered) and the body untouched.
func (rl *relay) settle(a *attempts, err error, retryable func(*http.Request, error) bool, untouched bool) (done, broken bool) {
	began := rl.started
	if began && !rl.unanswered(err) {
		rl.m.b.inFlight.Add(-1)
		return true, rl.finish(err)
	}
	if !a.failed(rl.r.Context(), rl.m, err, began || retryable(rl.r, err), untouched) {
		rl.s.g.proxyError(rl.w, rl.r, a.err())
		return true, false
	}
	return false, false
}

// answerer is the backend that answered, once settle said the request is done; nil when the
// client got the gateway's error answer instead.
func (rl *relay) answerer() *backend {
	if rl.started {
		return rl.m.b
	}
	return nil
}

// unanswered reports whether an answer that began failed with err before any of it went to the
// client, one that has content for the client (else the status was all of it), for a request
// another backend may answer: of an idempotent method, without a body (so untouched), and not a
// reply timeout (the backend may still be working: another would only wait as long). The
// backend's fields are dropped, and the answer is as if it had not begun.
func (rl *relay) unanswered(err error) bool {
	if err == nil || rl.committed || rl.refused || rl.noContent || !idempotent(rl.r.Method) ||
		(rl.r.Body != nil && rl.r.Body != http.NoBody) || errors.Is(err, ajp.ErrReplyTimeout) || isTimeout(err) {
		return false
	}
	clear(rl.w.Header())
	rl.started = false
	return true
}

// Interim relays a 1xx answer other than 100 and 101 (103 Early Hints), as ReverseProxy did;
// its fields, in w.Header(), are cleared by the caller.
func (rl *relay) Interim(status int) { rl.w.WriteHeader(status) }

// Write relays body bytes. Those of a status that has no body on the client's side (a 205:
// Tomcat sends one, HTTP forbids it) are dropped, as ReverseProxy's copy ended there, and the
// exchange reads on to its end.
func (rl *relay) Write(p []byte) (int, error) {
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

func (rl *relay) Flush() error {
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
func (rl *relay) finish(err error) (broken bool) {
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
