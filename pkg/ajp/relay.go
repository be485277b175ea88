package ajp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// ReplyWriter receives the reply that Transport.Forward relays: the headers, then the body as it
// arrives. A gateway's implementation writes it straight to its own client.
type ReplyWriter interface {
	// Header is the map the reply's header fields are added to, under net/http's canonical
	// names, before WriteStatus. A Transfer-Encoding of the backend is left out: AJP frames the
	// body itself.
	Header() http.Header
	// WriteStatus is called once, when the status and the headers are known (for a reply without
	// a body, once it ended). length is the body length the backend announced, -1 when none (0
	// for a status without a body). An error refuses the reply: Forward closes the connection if
	// the reply had not ended and returns the error as it is.
	WriteStatus(status int, length int64) error
	// Write is called with each chunk of the body, as it arrives. An error (the client went away)
	// ends the exchange: Forward closes the connection and returns it.
	Write(p []byte) (int, error)
	// Flush is called when the backend flushed (an empty SEND_BODY_CHUNK: Tomcat sends one
	// whenever the application flushes), before Forward waits for the backend after body bytes
	// it wrote since the last Flush, and before it reads the request body for the backend after
	// anything it wrote. So body bytes never wait in a buffer for the next packet, while bytes
	// that arrived together go out together, and a small reply in one write: headers alone wait
	// for their body (or the backend's flush), and Forward does not flush at the end.
	Flush() error
}

// Forward sends req to the backend at addr ("host:port"; the port defaults to 8009) and relays the
// reply to w, from the caller's goroutine: it returns when the reply ended (the connection is then
// back in the pool), or failed. req is a request a server received: its URL's path and query, Host,
// header fields and body are forwarded as RoundTrip forwards them, and info says what the backend
// must know about the client (see WithRequestInfo); the request context is not consulted for it.
// Forward reads req.Body when the backend asks for it, and never closes it. ctx ends the exchange
// early when it is done (its Done channel costs a watcher per request).
//
// Before w.WriteStatus, errors are RoundTrip's: see IsRetryable, IsUnsent and IsClientError; as
// RoundTrip does, Forward resends a request without a body once on a new connection when a pooled
// one failed and that cannot run it twice. Once WriteStatus was called, an error means that the
// reply broke off (the backend failed, or w did): the connection is closed, and what w relayed is
// all the client will get.
func (t *Transport) Forward(ctx context.Context, addr string, req *http.Request, info RequestInfo, w ReplyWriter) error {
	addr = withDefaultPort(addr)
	if err := t.checkPacketSize(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("forwarding to AJP backend %s: %w", addr, context.Cause(ctx))
	}
	bodyLen := requestBodyLen(req)
	buf, err := t.encode(req, &info, addr, bodyLen)
	if err != nil {
		return err
	}
	defer putBuffer(buf)
	return t.onConn(ctx, addr, req.Method, bodyLen, func(c *clientConn) (bool, error) {
		ex := exchangePool.Get().(*exchange)
		ex.init(t, c, req, ctx, addr, buf, bodyLen)
		ex.reply = w
		err := ex.relay()
		started := ex.started
		putExchange(ex)
		return started, err
	})
}

// relay runs a pushed exchange: the request, the headers to ex.reply, then the body.
func (ex *exchange) relay() error {
	ex.watch()
	if err := ex.sendAndReadHeaders(); err != nil {
		ex.unwatch()
		return err
	}
	w := ex.reply
	// Everything of ex.c.sh is read before the connection may go back to the pool: from then on
	// the next request may be reading its own headers into it.
	ex.c.sh.addTo(w.Header())
	status := ex.c.sh.Status
	ex.started = true
	if ex.done { // a reply without a body already ended
		ex.release(ex.reuse)
	}
	if err := w.WriteStatus(status, ex.contentLength); err != nil {
		ex.abandon(err)
		return err
	}
	ex.flushDue = flushHeader
	for !ex.done {
		if ex.flushDue == flushBody && !ex.c.pr.packetBuffered() {
			if err := ex.flushReply(); err != nil {
				return err
			}
		}
		data, chunk, err := ex.step()
		switch {
		case err != nil:
			return err
		case chunk && len(data) == 0: // the backend flushed
			if err := ex.flushReply(); err != nil {
				return err
			}
		case chunk:
			n, err := w.Write(data)
			if err == nil && n < len(data) {
				err = io.ErrShortWrite
			}
			if err != nil {
				return ex.abandon(fmt.Errorf("relaying the reply of AJP backend %s: %w", ex.addr, err))
			}
			ex.flushDue = flushBody
		}
	}
	return nil
}

// flushDue is what a pushed exchange wrote to its ReplyWriter since the last Flush.
type flushDue uint8

const (
	flushNone   flushDue = iota
	flushHeader          // the status and headers
	flushBody            // body bytes too
)

// flushReply flushes the reply of a pushed exchange (a no-op when pulled).
func (ex *exchange) flushReply() error {
	if ex.reply == nil {
		return nil
	}
	ex.flushDue = flushNone
	if err := ex.reply.Flush(); err != nil {
		return ex.abandon(fmt.Errorf("relaying the reply of AJP backend %s: %w", ex.addr, err))
	}
	return nil
}

// abandon ends an exchange whose reply nobody can take any more: the connection, if the reply
// has not ended, is closed.
func (ex *exchange) abandon(err error) error {
	if ex.err == nil {
		ex.err = err
	}
	ex.release(false) // a no-op once END_RESPONSE gave the connection back
	return err
}

// init prepares ex for one exchange of req on c.
func (ex *exchange) init(t *Transport, c *clientConn, req *http.Request, ctx context.Context, addr string, buf *[]byte, bodyLen int64) {
	ex.t, ex.c, ex.req, ex.ctx, ex.addr, ex.buf = t, c, req, ctx, addr, buf
	ex.packetSize, ex.bodyLeft = t.packetSizeOrDefault(), bodyLen
}

// Forward's exchanges are pooled: one lives only while Forward runs.
var exchangePool = sync.Pool{New: func() any { return new(exchange) }}

// putExchange clears ex and pools it, unless its context watcher may still run.
func putExchange(ex *exchange) {
	if ex.abortRan {
		return
	}
	abort := ex.abortFn
	*ex = exchange{abortFn: abort}
	exchangePool.Put(ex)
}
