package ajp_test

import (
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

// pausingConn holds the first Read, SetDeadline or SetReadDeadline made after arm until the test
// lets it go, so that a test can run Close exactly while a body Read is under way.
type pausingConn struct {
	net.Conn
	armed   atomic.Bool
	reached chan struct{}
	proceed chan struct{}
}

func newPausingConn(nc net.Conn) *pausingConn {
	return &pausingConn{Conn: nc, reached: make(chan struct{}), proceed: make(chan struct{})}
}

func (c *pausingConn) pause() {
	if c.armed.CompareAndSwap(true, false) {
		close(c.reached)
		<-c.proceed
	}
}

func (c *pausingConn) Read(p []byte) (int, error)         { c.pause(); return c.Conn.Read(p) }
func (c *pausingConn) SetDeadline(t time.Time) error      { c.pause(); return c.Conn.SetDeadline(t) }
func (c *pausingConn) SetReadDeadline(t time.Time) error  { c.pause(); return c.Conn.SetReadDeadline(t) }
func (c *pausingConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(t) }

// pausingBody is a request body whose Close, once armed, waits like pausingConn. The exchange
// closes the request body as it gives its connection back, so this holds a Read that has just
// consumed END_RESPONSE.
type pausingBody struct {
	io.Reader
	armed   atomic.Bool
	reached chan struct{}
	proceed chan struct{}
}

func (b *pausingBody) Close() error {
	if b.armed.CompareAndSwap(true, false) {
		close(b.reached)
		<-b.proceed
	}
	return nil
}

// waitFor fails the test when ch stays open for 10 s: a hang, never a timing assertion.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting until %s", what)
	}
}

// Close from another goroutine ends a body Read that waits for a stalled backend: at once, without
// a data race, with or without a ReplyTimeout (a Read must not re-arm a deadline that Close set),
// and the connection cut mid-exchange is closed, never pooled. A Close that comes once
// END_RESPONSE is in has nothing to cut: that connection stays pooled.
func TestBodyCloseRacingRead(t *testing.T) {
	for _, replyTimeout := range []time.Duration{0, 30 * time.Second} {
		for _, when := range []string{"as the Read starts", "while the Read waits", "as the Read ends"} {
			t.Run(when+" ReplyTimeout="+replyTimeout.String(), func(t *testing.T) {
				testBodyCloseRacingRead(t, replyTimeout, when)
			})
		}
	}
}

func testBodyCloseRacingRead(t *testing.T, replyTimeout time.Duration, when string) {
	stalled, sendEnd, backendSaw := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		if c.Index > 0 {
			ajptest.Serve("ok")(c)
			return
		}
		if _, _, err := c.ReadRequest(); err != nil {
			backendSaw <- err
			return
		}
		c.Send(unkHeader)
		close(stalled)
		if when == "as the Read ends" {
			<-sendEnd
			c.Send(endReuse)
			ajptest.Serve("ok")(c)
			return
		}
		_, err := c.ReadPacket() // nothing comes: this returns when the client closes
		backendSaw <- err
	})
	var conn atomic.Pointer[pausingConn]
	tr := &ajp.Transport{ReplyTimeout: replyTimeout, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		pc := newPausingConn(nc)
		conn.CompareAndSwap(nil, pc)
		return pc, nil
	}}
	defer tr.CloseIdleConnections()
	body := &pausingBody{Reader: strings.NewReader(""), reached: make(chan struct{}), proceed: make(chan struct{})}
	req := newRequest(t, "GET", b.URL("/"), nil)
	req.Body = body // of unknown length: the backend never asks for it, the exchange closes it at the end
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, stalled, "the backend sent the headers")

	pc := conn.Load()
	reached, proceed := pc.reached, pc.proceed
	if when == "as the Read ends" {
		reached, proceed = body.reached, body.proceed
		body.armed.Store(true)
	} else {
		pc.armed.Store(true)
	}
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		io.Copy(io.Discard, resp.Body)
	}()
	switch when {
	case "as the Read starts":
		waitFor(t, reached, "the Read reached the connection")
		resp.Body.Close()
		close(proceed)
	case "while the Read waits":
		waitFor(t, reached, "the Read reached the connection")
		close(proceed)
		resp.Body.Close()
	case "as the Read ends":
		close(sendEnd)
		waitFor(t, reached, "the Read gave the connection back")
		resp.Body.Close()
		close(proceed)
	}
	select {
	case <-readDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the Read stayed blocked after Close")
	}

	if when == "as the Read ends" {
		if got := get(t, tr, b.URL("/next")); got != "ok" || b.Accepted() != 1 {
			t.Errorf("next request: %q on %d connections, want the ended exchange's connection reused", got, b.Accepted())
		}
		return
	}
	select {
	case err := <-backendSaw:
		if err == nil {
			t.Fatal("the backend read a packet after the headers; want the connection closed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not close the connection its Close cut")
	}
	if got := get(t, tr, b.URL("/next")); got != "ok" || b.Accepted() != 2 {
		t.Errorf("next request: %q on %d connections, want a new one", got, b.Accepted())
	}
}

// The same race without a hook: Close and END_RESPONSE arrive together, many times, at shifting
// moments. Under -race, a Close that touches what the Read still owns is reported.
func TestBodyCloseRacingEndResponse(t *testing.T) {
	const rounds = 300
	next := make(chan struct{})
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for {
			if _, _, err := c.ReadRequest(); err != nil {
				return
			}
			if c.Send(unkHeader, fiveBytes) != nil {
				return
			}
			<-next
			if c.Send(endReuse) != nil {
				return
			}
		}
	})
	tr := &ajp.Transport{}
	defer tr.CloseIdleConnections()
	buf := make([]byte, 5)
	for i := range rounds {
		resp, err := tr.RoundTrip(newRequest(t, "GET", b.URL("/"), nil))
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			t.Fatalf("round %d: reading the body: %v", i, err)
		}
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			resp.Body.Read(buf) // END_RESPONSE, or cut short by Close
		}()
		next <- struct{}{}
		for range i % 50 { // Close lands at a different point of the Read each round
			runtime.Gosched()
		}
		resp.Body.Close()
		select {
		case <-readDone:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: the Read stayed blocked after Close", i)
		}
	}
}
