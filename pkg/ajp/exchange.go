package ajp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// aLongTimeAgo is a deadline in the past: setting it makes blocked I/O on a connection return.
var aLongTimeAgo = time.Unix(1, 0)

var errBodyClosed = errors.New("read on closed AJP response body")

// exchange is one request/response cycle on one connection. It drives the whole protocol from
// the caller's goroutine: RoundTrip until the headers arrive, then Read on the response body,
// which it is. GET_BODY_CHUNK is answered wherever it arrives, by reading the request body.
//
// Ownership: until start returns a response, RoundTrip owns the write buffer and the request body
// (it may retry); from then on the exchange releases them, and the connection, exactly once.
type exchange struct {
	t          *Transport
	c          *clientConn
	req        *http.Request
	ctx        context.Context
	addr       string
	buf        *[]byte // write buffer: FORWARD_REQUEST first, then request body packets
	packetSize int

	bodyLeft    int64 // request body bytes still to send; -1 while an unknown length lasts
	bodyTouched bool  // a byte of req.Body was read: the request can no longer be resent
	sent        bool  // a byte of the request was written: the backend may have received it
	received    bool  // a byte of the reply arrived: the request can no longer be resent

	stopAbort func() bool // unregisters the context watcher
	aborted   atomic.Bool // the context ended; a past deadline was set on the connection

	contentLength int64 // of the response, -1 when unknown
	delivered     int64 // response body bytes read so far
	pending       []byte
	err           error // sticky: the exchange failed and its connection is closed
	started       bool  // start returned a response: the exchange owns buffer and request body
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
	if ex.ctx.Done() != nil {
		ex.stopAbort = context.AfterFunc(ex.ctx, ex.abort)
	}
	resp, err := ex.sendAndReadHeaders()
	if err != nil {
		if ex.stopAbort != nil {
			ex.stopAbort()
		}
		return nil, err
	}
	ex.started = true
	if ex.done { // a response without a body already ended
		ex.release(ex.reuse)
	}
	return resp, nil
}

func (ex *exchange) sendAndReadHeaders() (*http.Response, error) {
	if err := ex.send(); err != nil {
		return nil, err
	}
	for {
		p, err := ex.next()
		if err != nil {
			return nil, err
		}
		switch MessageType(p[0]) {
		case TypeSendHeaders:
			resp, err := ex.response(p)
			if err != nil {
				return nil, ex.fail("reading the reply of", err)
			}
			if resp.Body == http.NoBody {
				if err := ex.skipToEnd(); err != nil {
					return nil, err
				}
			}
			return resp, nil
		case TypeGetBodyChunk:
			if err := ex.sendBodyChunk(p); err != nil {
				return nil, err
			}
		case TypeSendBodyChunk:
			// A flush before the headers is tolerated (some containers send left-overs); data is not.
			if data, err := ParseBodyChunk(p); err != nil || len(data) > 0 {
				if err == nil {
					err = protocolErrorf("%d body bytes before SEND_HEADERS", len(data))
				}
				return nil, ex.fail("reading the reply of", err)
			}
		default:
			return nil, ex.fail("reading the reply of", protocolErrorf("unexpected %v before SEND_HEADERS", MessageType(p[0])))
		}
	}
}

// send writes FORWARD_REQUEST and, for a body of known length, its first packet unprompted, in one
// write, as Tomcat expects.
func (ex *exchange) send() error {
	b := *ex.buf
	if ex.bodyLeft > 0 {
		n := int(min(ex.bodyLeft, int64(MaxRequestChunk(ex.packetSize))))
		at := len(b)
		b = slices.Grow(b, 6+n)[:at+6+n]
		*ex.buf = b[:at] // the FORWARD_REQUEST bytes stay intact whatever happens next
		ex.bodyTouched = true
		if _, err := io.ReadFull(ex.req.Body, b[at+6:]); err != nil {
			return ex.failBody(err)
		}
		putBodyHeader(b[at:], n)
		ex.bodyLeft -= int64(n)
	}
	n, err := ex.c.nc.Write(b)
	ex.sent = n > 0
	if err != nil {
		return ex.fail("sending the request to", err)
	}
	return nil
}

// sendBodyChunk answers GET_BODY_CHUNK with min(requested, packet room, bytes left) request body
// bytes, or with the empty end-of-body packet once the body is over.
func (ex *exchange) sendBodyChunk(p []byte) error {
	requested, err := ParseGetBodyChunk(p)
	if err != nil {
		return ex.fail("reading the reply of", err)
	}
	room := MaxRequestChunk(ex.packetSize)
	if requested <= 0 || requested > room {
		requested = room
	}
	if ex.bodyLeft >= 0 && int64(requested) > ex.bodyLeft {
		requested = int(ex.bodyLeft)
	}
	b := (*ex.buf)[:0]
	if requested == 0 {
		b = AppendRequestBody(b, nil)
	} else {
		b = slices.Grow(b, 6+requested)[:6+requested]
		ex.bodyTouched = true
		var got int
		if ex.bodyLeft > 0 {
			got, err = io.ReadFull(ex.req.Body, b[6:])
		} else {
			for got == 0 && err == nil {
				got, err = ex.req.Body.Read(b[6:])
			}
			if err == io.EOF {
				err, ex.bodyLeft = nil, 0 // the next GET_BODY_CHUNK gets the end packet
			}
		}
		if err != nil {
			*ex.buf = b[:0]
			return ex.failBody(err)
		}
		if ex.bodyLeft > 0 {
			ex.bodyLeft -= int64(got)
		}
		b = b[:6+got]
		putBodyHeader(b, got)
		if got == 0 {
			b = AppendRequestBody(b[:0], nil)
		}
	}
	*ex.buf = b[:0]
	if _, err := ex.c.nc.Write(b); err != nil {
		return ex.fail("sending the request body to", err)
	}
	return nil
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

// release gives back the connection (to the pool when reuse), the write buffer and the request
// body. It runs once.
func (ex *exchange) release(reuse bool) {
	if ex.released {
		return
	}
	ex.released = true
	if ex.stopAbort != nil && !ex.stopAbort() {
		reuse = false // the context watcher ran or is running: it may touch the connection
	}
	if reuse && ex.err == nil && ex.c.pr.Buffered() == 0 {
		ex.t.putConn(ex.c)
	} else {
		ex.c.close()
	}
	closeRequestBody(ex.req)
	putBuffer(ex.buf)
	ex.buf = nil
}

// putBodyHeader writes the header of a request body packet of n data bytes into b[:6].
func putBodyHeader(b []byte, n int) {
	b[0], b[1] = byte(MagicToContainer>>8), byte(MagicToContainer&0xFF)
	b[2], b[3], b[4], b[5] = byte((n+2)>>8), byte(n+2), byte(n>>8), byte(n)
}
