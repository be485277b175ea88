package h1

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Forward sends out to the backend at addr over a pooled connection and relays the answer to
// rw. A bodiless request that fails on a reused connection before any answer arrived is sent
// once more on a new connection when it is idempotent or could not be written: the backend
// closed an idle connection. Errors:
//   - connecting: a *net.OpError with Op "dial" in the chain, nothing was sent;
//   - the client's body failing: the Server's body error (BodyStatus) in the chain;
//   - the reply timeout: a net.Error whose Timeout() is true;
//   - ErrBadResponse: the backend answered something invalid;
//   - otherwise the backend's connection failed, before the answer or in its body.
//
// rw.WriteStatus tells whether the answer began; after it, the client has had part of it.
func (c *Client) Forward(ctx context.Context, addr string, out *Outgoing, rw ReplyWriter) error {
	resendable := out.Body == nil && idempotentMethod(out.Req.Method)
	for fresh := false; ; fresh = true {
		cc, reused, err := c.getConn(ctx, addr, fresh, resendable)
		if err != nil {
			return err
		}
		again, err := c.exchange(cc, out, rw)
		if !again || !reused {
			if err != nil {
				return fmt.Errorf("HTTP backend %s: %w", addr, err)
			}
			return nil
		}
	}
}

func idempotentMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// exchange sends the request on cc and relays the answer; cc goes back to the pool or is
// closed. again says that the request may be sent again on a new connection, had cc been
// reused: nothing was answered and it has no body, and it is idempotent or was not written.
func (c *Client) exchange(cc *clientConn, out *Outgoing, rw ReplyWriter) (again bool, err error) {
	expect := expectsContinue(out)
	if err := c.send(cc, out, !expect); err != nil {
		cc.close()
		var be *clientBodyError
		if errors.As(err, &be) {
			return false, be.err
		}
		return out.Body == nil, fmt.Errorf("sending the request: %w", err)
	}
	reuse, again, err := c.receive(cc, out, rw, expect)
	if reuse {
		cc.pool.put(c, cc)
	} else {
		cc.close()
	}
	return again, err
}

// send writes the request head and, with body, its body, in as few writes as the buffer allows.
func (c *Client) send(cc *clientConn, out *Outgoing, body bool) error {
	bw := getWriter(cc.writer())
	defer putWriter(bw)
	writeHead(bw, out)
	if body {
		if err := writeBody(bw, out); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// sendBody writes the body of a request whose head went first (Expect: 100-continue).
func (c *Client) sendBody(cc *clientConn, out *Outgoing) error {
	bw := getWriter(cc.writer())
	defer putWriter(bw)
	if err := writeBody(bw, out); err != nil {
		return err
	}
	return bw.Flush()
}

// receive reads the answer's heads (skipping 100 Continue, passing other 1xx on) and relays
// the final one and its body. reuse tells whether cc can carry another request.
func (c *Client) receive(cc *clientConn, out *Outgoing, rw ReplyWriter, bodyPending bool) (reuse, again bool, err error) {
	replyDeadline := func() {
		if c.ReplyTimeout > 0 {
			_ = cc.nc.SetReadDeadline(time.Now().Add(c.ReplyTimeout))
		}
	}
	if bodyPending {
		// Wait for 100 Continue, or a final answer, as long as the expectation allows; then send the body.
		_ = cc.nc.SetReadDeadline(time.Now().Add(c.expectContinueTimeout()))
		if _, err := cc.br.Peek(1); err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				return false, false, fmt.Errorf("waiting for 100 Continue: %w", err)
			}
			if err := c.sendBody(cc, out); err != nil {
				return false, false, sendError(err)
			}
			bodyPending = false
		}
	}
	replyDeadline()
	h := rw.Header()
	for interim := 0; ; {
		ah, received, err := cc.readAnswerHead(h)
		if err != nil {
			clear(h) // the fields of an answer that is not one must not reach the client
			var ne net.Error
			timeout := errors.As(err, &ne) && ne.Timeout()
			if !received && !errors.Is(err, ErrBadResponse) {
				err = fmt.Errorf("waiting for the answer: %w", err)
			}
			return false, !received && !timeout && out.Body == nil && idempotentMethod(out.Req.Method), err
		}
		switch {
		case ah.status == http.StatusContinue:
			clear(h)
			if bodyPending {
				if err := c.sendBody(cc, out); err != nil {
					return false, false, sendError(err)
				}
				bodyPending = false
				replyDeadline()
			}
			continue
		case ah.status == http.StatusSwitchingProtocols:
			if err := rw.WriteStatus(ah.status, -1); err != nil {
				return false, false, err
			}
			return false, false, badResponse("a protocol switch cannot be relayed")
		case ah.status < 200:
			if interim++; interim > maxInterim {
				return false, false, badResponse("more than %d interim answers", maxInterim)
			}
			rw.Interim(ah.status)
			clear(h)
			continue
		}
		_ = cc.nc.SetReadDeadline(time.Time{})
		return c.relayFinal(cc, out, rw, ah, bodyPending)
	}
}

// relayFinal relays a final answer and its body.
func (c *Client) relayFinal(cc *clientConn, out *Outgoing, rw ReplyWriter, ah answerHead, bodyPending bool) (reuse, again bool, err error) {
	body := hasBody(out.Req.Method, ah.status)
	length := ah.length
	if err := rw.WriteStatus(ah.status, length); err != nil {
		return false, false, err
	}
	if !body {
		return !ah.close && !bodyPending && cc.br.Buffered() == 0, false, nil
	}
	b := bodyRelay{br: cc.br, rw: rw}
	switch {
	case ah.chunked:
		err = b.copyChunked()
	case length >= 0:
		err = b.copyN(length)
	default:
		return false, false, b.copyToEOF()
	}
	return err == nil && !ah.close && !bodyPending && cc.br.Buffered() == 0, false, err
}

func sendError(err error) error {
	var be *clientBodyError
	if errors.As(err, &be) {
		return be.err
	}
	return fmt.Errorf("sending the request body: %w", err)
}

// writer is cc's connection as a plain writer: bufio.Writer.ReadFrom then fills its own buffer
// instead of handing the body to net.TCPConn.ReadFrom, which would allocate a copy buffer.
func (cc *clientConn) writer() *plainWriter {
	if cc.w.nc == nil {
		cc.w.nc = cc.nc
	}
	return &cc.w
}

type plainWriter struct{ nc net.Conn }

func (w *plainWriter) Write(p []byte) (int, error) { return w.nc.Write(p) }
