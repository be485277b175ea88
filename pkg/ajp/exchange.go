package ajp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// aLongTimeAgo is a deadline in the past: setting it makes blocked I/O on a connection return.
var aLongTimeAgo = time.Unix(1, 0)

var errBodyClosed = errors.New("read on closed AJP response body")

// exchange is one request/response cycle on one connection. It drives the whole protocol from
// the caller's goroutine, in one of two modes:
//
//   - pulled (RoundTrip): start sends the request and reads until the headers arrive; the
//     exchange is then the response body, and Read drives the rest;
//   - pushed (Forward): relay sends the request and writes the whole reply to a ReplyWriter
//     before it returns.
//
// GET_BODY_CHUNK is answered wherever it arrives, by reading the request body.
//
// Ownership: until the headers arrived, the caller owns the write buffer and the request body (it
// may retry); from then on the exchange releases the connection exactly once, and, when pulled,
// the buffer and the request body too.
type exchange struct {
	t          *Transport
	c          *clientConn
	req        *http.Request
	ctx        context.Context
	addr       string
	buf        *[]byte // write buffer: FORWARD_REQUEST first, then request body packets
	packetSize int

	reply    ReplyWriter // pushed: where the reply goes; nil when pulled
	flushDue flushDue    // pushed: what was written to reply since its last Flush

	bodyLeft    int64 // request body bytes still to send; -1 while an unknown length lasts
	bodyTouched bool  // a byte of req.Body was read: the request can no longer be resent
	sent        bool  // a byte of the request was written: the backend may have received it
	received    bool  // a byte of the reply arrived: the request can no longer be resent

	abortFn   func()      // ex.abort, kept so that a pooled exchange builds it once
	stopAbort func() bool // unregisters the context watcher
	abortRan  bool        // the watcher ran or may still run: the exchange must not be reused
	aborted   atomic.Bool // the context ended; a past deadline was set on the connection

	contentLength int64 // of the response, -1 when unknown
	hasBody       bool  // the response has a body (not HEAD, 1xx, 204 or 304)
	delivered     int64 // response body bytes read so far
	pending       []byte
	err           error // sticky: the exchange failed and its connection is closed
	started       bool  // the headers arrived: the exchange releases what it owns
	released      bool

	// mu guards the fields below: Close may run in another goroutine while a Read is under way.
	// Only the goroutine in Read (or, with no Read under way, the one in Close) touches the rest.
	mu          sync.Mutex
	reading     bool // a Read is under way: it releases the exchange when Close ran meanwhile
	closed      bool
	interrupted bool // Close cut a Read short and closed the socket: the connection must not be reused
	done        bool // END_RESPONSE arrived: the connection may already be back in the pool
	reuse       bool // and allowed reuse
}

// start sends the request and reads until SEND_HEADERS (and, for responses without a body, until
// END_RESPONSE). On error the connection is closed; buffer and request body stay with the caller.
func (ex *exchange) start() (*http.Response, error) {
	ex.watch()
	if err := ex.sendAndReadHeaders(); err != nil {
		ex.unwatch()
		return nil, err
	}
	resp := ex.response()
	ex.started = true
	if ex.done { // a response without a body already ended
		ex.release(ex.reuse)
	}
	return resp, nil
}

// watch makes the end of the request context end the exchange: blocked I/O returns at once.
func (ex *exchange) watch() {
	if ex.ctx.Done() == nil {
		return
	}
	if ex.abortFn == nil {
		ex.abortFn = ex.abort
	}
	ex.stopAbort = context.AfterFunc(ex.ctx, ex.abortFn)
}

// unwatch stops the context watcher. It reports false when the watcher ran or is running, and so
// may still touch the connection.
func (ex *exchange) unwatch() bool {
	stop := ex.stopAbort
	if stop == nil {
		return !ex.abortRan
	}
	ex.stopAbort = nil
	if !stop() {
		ex.abortRan = true
	}
	return !ex.abortRan
}

// sendAndReadHeaders sends the request, reads until SEND_HEADERS and checks them (ex.c.sh); for a
// reply without a body it reads on to END_RESPONSE.
func (ex *exchange) sendAndReadHeaders() error {
	if err := ex.send(); err != nil {
		return err
	}
	for {
		p, err := ex.next()
		if err != nil {
			return err
		}
		switch MessageType(p[0]) {
		case TypeSendHeaders:
			sh := &ex.c.sh
			if err := sh.parse(p); err != nil {
				return ex.fail("reading the reply of", err)
			}
			if ex.contentLength, ex.hasBody, err = sh.check(ex.req.Method); err != nil {
				return ex.fail("reading the reply of", err)
			}
			if !ex.hasBody {
				return ex.skipToEnd()
			}
			return nil
		case TypeGetBodyChunk:
			if err := ex.sendBodyChunk(p); err != nil {
				return err
			}
		case TypeSendBodyChunk:
			// A flush before the headers is tolerated (some containers send left-overs); data is not.
			if data, err := ParseBodyChunk(p); err != nil || len(data) > 0 {
				if err == nil {
					err = protocolErrorf("%d body bytes before SEND_HEADERS", len(data))
				}
				return ex.fail("reading the reply of", err)
			}
		default:
			return ex.fail("reading the reply of", protocolErrorf("unexpected %v before SEND_HEADERS", MessageType(p[0])))
		}
	}
}

// next reads the next packet, bounded by ReplyTimeout.
func (ex *exchange) next() ([]byte, error) {
	if rt := ex.t.ReplyTimeout; rt > 0 {
		ex.c.deadline = true
		_ = ex.c.nc.SetReadDeadline(time.Now().Add(rt))
		if ex.aborted.Load() { // the new deadline may have replaced the one abort set
			return nil, ex.fail("reading the reply of", context.Canceled)
		}
	}
	p, err := ex.c.pr.Next()
	if err != nil {
		if err == io.EOF {
			err = errors.New("connection closed by the backend")
		}
		return nil, ex.fail("reading the reply of", err)
	}
	ex.received = true
	if len(p) == 0 {
		return nil, ex.fail("reading the reply of", protocolErrorf("empty packet"))
	}
	return p, nil
}

// skipToEnd reads a response that must not have a body up to END_RESPONSE, dropping any data.
func (ex *exchange) skipToEnd() error {
	for {
		p, err := ex.next()
		if err != nil {
			return err
		}
		switch MessageType(p[0]) {
		case TypeSendBodyChunk:
			if _, err := ParseBodyChunk(p); err != nil {
				return ex.fail("reading the reply of", err)
			}
		case TypeGetBodyChunk:
			if err := ex.sendBodyChunk(p); err != nil {
				return err
			}
		case TypeEndResponse:
			reuse, err := ParseEndResponse(p)
			if err != nil {
				return ex.fail("reading the reply of", err)
			}
			ex.end(reuse)
			return nil
		default:
			return ex.fail("reading the reply of", protocolErrorf("unexpected %v after SEND_HEADERS", MessageType(p[0])))
		}
	}
}

// step reads and handles one packet of the body phase. For SEND_BODY_CHUNK it returns the data
// (a view of the read buffer, valid until the next read; empty for a flush) and chunk true; it
// answers GET_BODY_CHUNK and handles END_RESPONSE itself.
func (ex *exchange) step() (data []byte, chunk bool, err error) {
	p, err := ex.next()
	if err != nil {
		return nil, false, err
	}
	switch MessageType(p[0]) {
	case TypeSendBodyChunk:
		data, err := ParseBodyChunk(p)
		if err != nil {
			return nil, false, ex.fail("reading the reply of", err)
		}
		ex.delivered += int64(len(data))
		if ex.contentLength >= 0 && ex.delivered > ex.contentLength {
			return nil, false, ex.fail("reading the reply of", protocolErrorf("body longer than its Content-Length %d", ex.contentLength))
		}
		return data, true, nil
	case TypeGetBodyChunk:
		return nil, false, ex.sendBodyChunk(p)
	case TypeEndResponse:
		return nil, false, ex.endResponse(p)
	case TypeSendHeaders:
		return nil, false, ex.fail("reading the reply of", protocolErrorf("a second SEND_HEADERS"))
	default:
		return nil, false, ex.fail("reading the reply of", protocolErrorf("unexpected %v in the body", MessageType(p[0])))
	}
}

func (ex *exchange) endResponse(p []byte) error {
	reuse, err := ParseEndResponse(p)
	if err != nil {
		return ex.fail("reading the reply of", err)
	}
	if ex.contentLength >= 0 && ex.delivered < ex.contentLength {
		return ex.fail("reading the reply of", protocolErrorf("body of %d bytes shorter than its Content-Length %d", ex.delivered, ex.contentLength))
	}
	ex.end(reuse)
	return nil
}

// abort runs when the request context ends: blocked I/O returns at once and fails the exchange.
func (ex *exchange) abort() {
	ex.aborted.Store(true)
	_ = ex.c.nc.SetDeadline(aLongTimeAgo)
}

// fail closes the connection and returns err described for a person: a cancelled context, a
// reply timeout, or (when nothing was received and the body untouched) a retryable failure,
// unsent too when not a byte of the request was written.
func (ex *exchange) fail(op string, err error) error {
	if ex.err != nil {
		return ex.err
	}
	if ex.c.pr.Buffered() > 0 {
		ex.received = true // part of a packet arrived
	}
	switch {
	case ex.aborted.Load():
		err = fmt.Errorf("%s AJP backend %s: %w", op, ex.addr, context.Cause(ex.ctx))
	case isTimeout(err) && ex.t.ReplyTimeout > 0:
		err = fmt.Errorf("%s AJP backend %s: %w: nothing for %v: %w", op, ex.addr, ErrReplyTimeout, ex.t.ReplyTimeout, err)
	default:
		err = fmt.Errorf("%s AJP backend %s: %w", op, ex.addr, err)
		if !ex.received && !ex.bodyTouched && !errors.Is(err, ErrProtocol) {
			err = &retryableError{err: err, unsent: !ex.sent}
		}
	}
	ex.err = err
	ex.c.close()
	if ex.started {
		ex.release(false)
	}
	return err
}

// failBody ends the exchange because the request body could not be read (the client went away,
// or sent less than its Content-Length): the backend waits for bytes that will never come. The
// connection is closed, never completed with an end-of-body packet, so that the backend's read
// fails instead of returning a shorter body as if it were whole.
func (ex *exchange) failBody(err error) error {
	if ex.err != nil {
		return ex.err
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) && ex.bodyLeft >= 0 {
		err = fmt.Errorf("%w before its Content-Length", io.ErrUnexpectedEOF)
	}
	ex.err = fmt.Errorf("reading the request body for AJP backend %s: %w: %w", ex.addr, ErrClientBody, err)
	ex.c.close()
	if ex.started {
		ex.release(false)
	}
	return ex.err
}

// end handles END_RESPONSE: the connection goes back to the pool unless the backend or a Close
// that interrupted a Read says otherwise.
func (ex *exchange) end(reuse bool) {
	ex.mu.Lock()
	ex.done = true
	ex.reuse = reuse && !ex.interrupted
	ex.mu.Unlock()
	if ex.started {
		ex.release(ex.reuse)
	}
}

// testHookPooled, set only by tests, runs each time release has put a connection back in the
// pool: from then on another request may be using it.
var testHookPooled func()

// release gives back the connection (to the pool when reuse) and, when pulled, the write buffer and
// the request body. It runs once.
func (ex *exchange) release(reuse bool) {
	if ex.released {
		return
	}
	ex.released = true
	if !ex.unwatch() {
		reuse = false // the context watcher ran or is running: it may touch the connection
	}
	if reuse && ex.err == nil && ex.c.pr.Buffered() == 0 {
		ex.t.putConn(ex.c)
		if testHookPooled != nil {
			testHookPooled()
		}
	} else {
		ex.c.close()
	}
	if ex.reply == nil { // pulled: the caller has nothing left to release
		closeRequestBody(ex.req)
		putBuffer(ex.buf)
		ex.buf = nil
	}
}
