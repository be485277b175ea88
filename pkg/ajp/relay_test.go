package ajp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

// recorder is a ReplyWriter that notes every call, in order.
type recorder struct {
	header      http.Header
	calls       []string // "status 200 -1", "write hello", "flush"
	body        bytes.Buffer
	statusErr   error         // returned by WriteStatus
	writeErr    error         // returned by Write
	flushed     chan struct{} // when set, receives at each Flush
	writeCalled chan struct{} // when set, receives at each Write
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteStatus(status int, length int64) error {
	r.calls = append(r.calls, "status "+itoa(status)+" "+itoa(int(length)))
	return r.statusErr
}

func (r *recorder) Write(p []byte) (int, error) {
	r.calls = append(r.calls, "write "+string(p))
	if r.writeCalled != nil {
		r.writeCalled <- struct{}{}
	}
	if r.writeErr != nil {
		return 0, r.writeErr
	}
	return r.body.Write(p)
}

func (r *recorder) Flush() error {
	r.calls = append(r.calls, "flush")
	if r.flushed != nil {
		r.flushed <- struct{}{}
	}
	return nil
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func forward(t *testing.T, tr *ajp.Transport, b *ajptest.Backend, req *http.Request, w ajp.ReplyWriter) error {
	t.Helper()
	return tr.Forward(context.Background(), b.Addr, req, ajp.RequestInfo{RemoteAddr: "192.0.2.1"}, w)
}

var sendHeadersOK = h("4142 000b 04 00c8 0003 323030 00 0000") // 200, no headers

// A reply that arrives in one piece is relayed without a Flush: the caller's end of the answer
// sends it. The connection goes back to the pool and carries the next request.
func TestTransportForwardRelaysInOnePiece(t *testing.T) {
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for {
			if _, _, err := c.ReadRequest(); err != nil {
				return
			}
			c.Send(slices.Concat(okHeaders, fiveBytes, fiveBytes, endReuse))
		}
	})
	tr := guarded()
	for range 2 {
		w := newRecorder()
		if err := forward(t, tr, b, newRequest(t, "GET", "/", nil), w); err != nil {
			t.Fatal(err)
		}
		if want := []string{"status 200 10", "write hello", "write hello"}; !reflect.DeepEqual(w.calls, want) {
			t.Errorf("calls %q, want %q", w.calls, want)
		}
		if got := w.header; !reflect.DeepEqual(got, http.Header{"Content-Length": {"10"}}) {
			t.Errorf("header %q", got)
		}
	}
	if b.Accepted() != 1 {
		t.Errorf("%d connections for two requests, want 1", b.Accepted())
	}
}

// Forward flushes when the backend flushes, and before it waits for the backend with body
// bytes written since: a streamed answer is never held back. Headers alone wait for the body.
// The backend here sends its next packet only once the previous bytes were flushed.
func TestTransportForwardFlushesBeforeWaiting(t *testing.T) {
	w := newRecorder()
	w.flushed = make(chan struct{}, 10)
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		if _, _, err := c.ReadRequest(); err != nil {
			return
		}
		for _, step := range [][][]byte{{sendHeadersOK, fiveBytes}, {h("4142 0004 03 0000 00")}, {fiveBytes}} {
			c.Send(step...)
			select {
			case <-w.flushed:
			case <-time.After(10 * time.Second):
				return // the test fails: the step was never flushed
			}
		}
		c.Send(endReuse)
	})
	if err := forward(t, guarded(), b, newRequest(t, "GET", "/", nil), w); err != nil {
		t.Fatal(err)
	}
	want := []string{"status 200 -1", "write hello", "flush", "flush", "write hello", "flush"}
	if !reflect.DeepEqual(w.calls, want) {
		t.Errorf("calls %q, want %q", w.calls, want)
	}
}

// Before Forward reads the request body for GET_BODY_CHUNK (the client may be slow to send it),
// what was relayed is flushed; the body is read but never closed.
func TestTransportForwardRequestBody(t *testing.T) {
	body := &closeCounter{Reader: strings.NewReader(strings.Repeat("b", 10000))}
	got := make(chan int, 1)
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		if _, _, err := c.ReadRequest(); err != nil {
			return
		}
		p, _ := c.ReadPacket() // the first body packet, unprompted
		n := len(p) - 2
		c.Send(slices.Concat(sendHeadersOK, fiveBytes, ajp.AppendGetBodyChunk(nil, 8186))) // in one piece: no flush before the body is asked for
		p, _ = c.ReadPacket()
		got <- n + len(p) - 2
		c.Send(endReuse)
	})
	w := newRecorder()
	req := newRequest(t, "POST", "/", nil)
	req.Body, req.ContentLength = body, 10000
	if err := forward(t, guarded(), b, req, w); err != nil {
		t.Fatal(err)
	}
	if n := <-got; n != 10000 {
		t.Errorf("the backend got %d body bytes, want 10000", n)
	}
	if want := []string{"status 200 -1", "write hello", "flush"}; !reflect.DeepEqual(w.calls, want) {
		t.Errorf("calls %q, want %q", w.calls, want)
	}
	if body.closed.Load() != 0 {
		t.Error("Forward closed the request body")
	}
}

type closeCounter struct {
	io.Reader
	closed atomic.Int32
}

func (c *closeCounter) Close() error { c.closed.Add(1); return nil }

// A refused reply (WriteStatus fails) and a writer that fails mid-body close the connection:
// the next request dials anew. WriteStatus's error comes back as it is.
func TestTransportForwardWriterFailures(t *testing.T) {
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for {
			if _, _, err := c.ReadRequest(); err != nil {
				return
			}
			c.Send(okHeaders, fiveBytes, fiveBytes, endReuse)
		}
	})
	tr := guarded()
	refused := errors.New("refused")
	w := newRecorder()
	w.statusErr = refused
	if err := forward(t, tr, b, newRequest(t, "GET", "/", nil), w); err != refused {
		t.Errorf("refused reply: %v, want the writer's own error", err)
	}
	gone := errors.New("client gone")
	w = newRecorder()
	w.writeErr = gone
	if err := forward(t, tr, b, newRequest(t, "GET", "/", nil), w); !errors.Is(err, gone) || ajp.IsRetryable(err) {
		t.Errorf("failed write: %v (retryable %v), want it wrapped, not retryable", err, ajp.IsRetryable(err))
	}
	if err := forward(t, tr, b, newRequest(t, "GET", "/", nil), newRecorder()); err != nil {
		t.Fatal(err)
	}
	if b.Accepted() != 3 {
		t.Errorf("%d connections, want 3: neither failure may leave its connection in the pool", b.Accepted())
	}
}

// A pooled connection that died while idle is retried once on a new one, as RoundTrip does.
func TestTransportForwardRetriesADeadPooledConnection(t *testing.T) {
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for n := 0; ; n++ {
			if _, _, err := c.ReadRequest(); err != nil || (c.Index == 0 && n == 1) {
				return
			}
			c.Respond(200, "ok", true)
		}
	})
	tr := &ajp.Transport{PingAfterIdle: -1}
	for i := range 2 {
		w := newRecorder()
		if err := forward(t, tr, b, newRequest(t, "GET", "/", nil), w); err != nil || w.body.String() != "ok" {
			t.Fatalf("request %d: %q %v", i, w.body.String(), err)
		}
	}
	if b.Accepted() != 2 {
		t.Errorf("%d connections, want 2 (one retry)", b.Accepted())
	}
}

// Forward describes a request exactly as RoundTrip does with the same RequestInfo.
func TestTransportForwardSendsWhatRoundTripSends(t *testing.T) {
	packets := make(chan *ajp.ForwardRequest, 2)
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for {
			f, _, err := c.ReadRequest()
			if err != nil {
				return
			}
			packets <- f
			c.Respond(200, "", true)
		}
	})
	info := ajp.RequestInfo{RemoteAddr: "203.0.113.7", RemotePort: 4711, LocalAddr: "192.0.2.9", ServerName: "shop.test",
		ServerPort: 8443, IsSSL: true, Route: "r1", Activation: "DIS"}
	tr := &ajp.Transport{Secret: "s3cret"}
	build := func() *http.Request {
		req := newRequest(t, "GET", "ajp://"+b.Addr+"/app/a%20b?x=1&y", nil)
		req.Header = http.Header{"Cookie": {"a=1", "b=2"}, "Accept": {"*/*"}, "Connection": {"X-Hop"}, "X-Hop": {"1"}}
		req.Host, req.RemoteAddr = "shop.test:8443", "127.0.0.1:5555"
		return req
	}
	resp, err := tr.RoundTrip(build().WithContext(ajp.WithRequestInfo(context.Background(), info)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := tr.Forward(context.Background(), b.Addr, build(), info, newRecorder()); err != nil {
		t.Fatal(err)
	}
	viaRoundTrip, viaForward := <-packets, <-packets
	for _, f := range []*ajp.ForwardRequest{viaRoundTrip, viaForward} {
		slices.SortFunc(f.Headers, func(a, b ajp.Header) int { return strings.Compare(a.Name, b.Name) })
	}
	if !reflect.DeepEqual(viaRoundTrip, viaForward) {
		t.Errorf("Forward sent\n%+v\nRoundTrip sent\n%+v", viaForward, viaRoundTrip)
	}
}

// A cancelled context ends a Forward waiting for the backend.
func TestTransportForwardContextEnds(t *testing.T) {
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		if _, _, err := c.ReadRequest(); err == nil {
			c.ReadPacket() // until the client closes
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	w := newRecorder()
	go func() {
		errc <- (&ajp.Transport{}).Forward(ctx, b.Addr, newRequest(t, "GET", "/", nil), ajp.RequestInfo{}, w)
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) || ajp.IsRetryable(err) {
		t.Errorf("err %v (retryable %v), want context.Canceled, not retryable", err, ajp.IsRetryable(err))
	}
	if len(w.calls) != 0 {
		t.Errorf("calls %q, want none", w.calls)
	}
}

// A reply without a body ends as its headers arrive, and its connection goes back to the pool
// before the status is written to the caller. The next request may take that connection at once
// and read its own headers into it: the first caller must still get its own status. The hook
// runs that next request in the moment between the two.
func TestTransportForwardBodilessReplyKeepsItsStatus(t *testing.T) {
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for {
			f, _, err := c.ReadRequest()
			if err != nil {
				return
			}
			status, _ := strconv.Atoi(strings.TrimPrefix(f.URI, "/"))
			if c.Respond(status, "", true) != nil {
				return
			}
		}
	})
	tr := guarded()
	var next *recorder
	var once atomic.Bool
	defer ajp.SetTestHookPooled(func() {
		if once.CompareAndSwap(false, true) {
			next = newRecorder()
			if err := forward(t, tr, b, newRequest(t, "GET", "http://backend/404", nil), next); err != nil {
				t.Errorf("the request in between: %v", err)
			}
		}
	})()
	for _, method := range []string{"GET", "HEAD"} {
		once.Store(false)
		w := newRecorder()
		path, want := "/204", "status 204 0"
		if method == "HEAD" {
			path, want = "/200", "status 200 0"
		}
		if err := forward(t, tr, b, newRequest(t, method, "http://backend"+path, nil), w); err != nil {
			t.Fatal(err)
		}
		if !once.Load() || next == nil || len(next.calls) == 0 || next.calls[0] != "status 404 0" {
			t.Fatalf("%s %s: the request in between did not run on the pooled connection: %v", method, path, next)
		}
		if len(w.calls) == 0 || w.calls[0] != want {
			t.Errorf("%s %s: calls %q, want %q first", method, path, w.calls, want)
		}
	}
	if b.Accepted() != 1 {
		t.Errorf("%d connections, want 1: the request in between must reuse the first one's", b.Accepted())
	}
}
