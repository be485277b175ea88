package ajp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

func get(t *testing.T, tr http.RoundTripper, url string) string {
	t.Helper()
	resp, err := tr.RoundTrip(newRequest(t, "GET", url, nil))
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", url, err)
	}
	return string(body)
}

func TestPoolConcurrentReuse(t *testing.T) {
	b := startBackend(t, echo)
	var dials atomic.Int32
	tr := countingTransport(&dials)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				resp, err := tr.RoundTrip(newRequest(t, "POST", b.url("/c"), bytes.NewReader([]byte("body"))))
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := dials.Load(); n < 1 || n > workers {
		t.Errorf("%d requests from %d goroutines took %d connections, want at most %d", workers*each, workers, n, workers)
	}
}

// The backend closes idle connections; the next request must not notice. A request with a body is
// never retried, so it succeeds only if the dead connection was found before use.
func TestPoolBackendClosesIdle(t *testing.T) {
	b := startBackend(t, echo, func(s *ajp.Server) { s.IdleTimeout = 50 * time.Millisecond })
	var dials atomic.Int32
	tr := countingTransport(&dials)
	for i := range 4 {
		req := newRequest(t, "GET", b.url("/"), nil)
		if i%2 == 1 {
			req = newRequest(t, "POST", b.url("/"), bytes.NewReader([]byte("body")))
		}
		doEcho(t, &http.Client{Transport: tr}, req)
		b.waitClosed(t, 1)
		if n := dials.Load(); n != int32(i+1) {
			t.Errorf("request %d: %d dials", i, n)
		}
	}
}

// A pooled connection that dies only once the request is on it (the backend reads the request and
// closes) is retried once on a fresh connection for a GET without a body (retry_test.go has the
// other methods).
func TestPoolRetryOnDeadReusedConn(t *testing.T) {
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for n := 0; ; n++ {
			f, _, err := c.ReadRequest()
			if err != nil {
				return
			}
			if c.Index == 0 && n == 1 {
				return // close instead of answering the second request
			}
			c.SkipBody(f)
			c.Respond(200, "ok", true)
		}
	})
	tr := &ajp.Transport{PingAfterIdle: -1}
	if body := get(t, tr, b.URL("/1")); body != "ok" {
		t.Fatalf("first: %q", body)
	}
	if body := get(t, tr, b.URL("/2")); body != "ok" {
		t.Fatalf("second, retried: %q", body)
	}
	if b.Accepted() != 2 {
		t.Errorf("%d connections, want 2 (one retry)", b.Accepted())
	}
}

// With a body, the same failure is returned (the body was read), and it is not retryable.
func TestPoolNoRetryWithBody(t *testing.T) {
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for n := 0; ; n++ {
			f, _, err := c.ReadRequest()
			if err != nil || n == 1 {
				return
			}
			c.SkipBody(f)
			c.Respond(200, "ok", true)
		}
	})
	tr := &ajp.Transport{PingAfterIdle: -1}
	get(t, tr, b.URL("/1"))
	_, err := tr.RoundTrip(newRequest(t, "POST", b.URL("/2"), bytes.NewReader([]byte("data"))))
	if err == nil || ajp.IsRetryable(err) {
		t.Fatalf("err %v (retryable %v), want a non-retryable error", err, ajp.IsRetryable(err))
	}
	if b.Accepted() != 1 {
		t.Errorf("%d connections, want 1: no retry with a body", b.Accepted())
	}
}

// On a new connection the failure is returned as retryable, not retried internally.
func TestPoolFreshConnFailureIsRetryable(t *testing.T) {
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		c.ReadRequest() // and close without a reply
	})
	_, err := (&ajp.Transport{}).RoundTrip(newRequest(t, "GET", b.URL("/"), nil))
	if err == nil || !ajp.IsRetryable(err) {
		t.Fatalf("err %v, want retryable", err)
	}
	if b.Accepted() != 1 {
		t.Errorf("%d connections, want 1", b.Accepted())
	}
}

func TestPoolReuseZeroCloses(t *testing.T) {
	sawEOF := make(chan bool, 1)
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		if _, _, err := c.ReadRequest(); err != nil {
			return
		}
		c.Respond(200, "bye", false)
		if c.Index == 0 {
			_, err := c.ReadPacket()
			sawEOF <- errors.Is(err, io.EOF)
		}
	})
	tr := &ajp.Transport{}
	get(t, tr, b.URL("/1"))
	if !<-sawEOF {
		t.Error("the client did not close the connection after reuse=0")
	}
	get(t, tr, b.URL("/2"))
	if b.Accepted() != 2 {
		t.Errorf("%d connections, want 2", b.Accepted())
	}
}

func TestPoolMaxIdle(t *testing.T) {
	const n = 4
	var arrived sync.WaitGroup
	arrived.Add(n)
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		arrived.Wait() // all n requests in flight at once: n connections
	}))
	tr := &ajp.Transport{MaxIdleConnsPerHost: 1}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := tr.RoundTrip(newRequest(t, "GET", b.url("/"), nil))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	b.waitClosed(t, n-1) // the pool keeps one
}

func TestPoolIdleTimeoutAndCloseIdle(t *testing.T) {
	b := startBackend(t, echo)
	tr := &ajp.Transport{IdleTimeout: 30 * time.Millisecond}
	doEcho(t, &http.Client{Transport: tr}, newRequest(t, "GET", b.url("/"), nil))
	b.waitClosed(t, 1) // closed by the Transport's idle timer

	tr2 := &ajp.Transport{}
	doEcho(t, &http.Client{Transport: tr2}, newRequest(t, "GET", b.url("/"), nil))
	tr2.CloseIdleConnections()
	b.waitClosed(t, 1)
}

// countCPings serves requests and reports every CPING it answered.
func countCPings(pings *atomic.Int32) func(*ajptest.Conn) {
	return func(c *ajptest.Conn) {
		for {
			p, err := c.ReadPacket()
			if err != nil {
				return
			}
			if len(p) == 1 && ajp.MessageType(p[0]) == ajp.TypeCPing {
				pings.Add(1)
				c.Send(ajp.AppendCPong(nil))
				continue
			}
			c.Respond(200, "ok", true)
		}
	}
}

func TestPoolPingModes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tr        *ajp.Transport
		wantPings int32
	}{
		{"on connect only", &ajp.Transport{PingAfterIdle: time.Hour}, 1},
		{"every request", &ajp.Transport{PingEveryRequest: true}, 1 + 2},
		{"after any idle time", &ajp.Transport{PingAfterIdle: time.Nanosecond}, 1 + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var pings atomic.Int32
			b := ajptest.NewBackend(t, countCPings(&pings))
			for range 3 {
				get(t, tc.tr, b.URL("/"))
			}
			if pings.Load() != tc.wantPings || b.Accepted() != 1 {
				t.Errorf("%d CPings on %d connections, want %d on 1", pings.Load(), b.Accepted(), tc.wantPings)
			}
		})
	}
}

func TestPing(t *testing.T) {
	b := startBackend(t, echo)
	var dials atomic.Int32
	tr := countingTransport(&dials)
	for range 2 {
		if err := tr.Ping(context.Background(), b.addr); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	}
	if dials.Load() != 1 {
		t.Errorf("two Pings took %d connections, want 1 (pooled)", dials.Load())
	}
	silent := ajptest.NewBackend(t, func(c *ajptest.Conn) { c.ReadPacket(); c.ReadPacket() })
	err := (&ajp.Transport{PingTimeout: 50 * time.Millisecond}).Ping(context.Background(), silent.Addr)
	if err == nil || !ajp.IsRetryable(err) {
		t.Errorf("Ping of a backend that never answers: %v", err)
	}
	garbage := ajptest.NewBackend(t, func(c *ajptest.Conn) { c.ReadPacket(); c.Send([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) })
	err = (&ajp.Transport{}).Ping(context.Background(), garbage.Addr)
	if !errors.Is(err, ajp.ErrProtocol) || !ajp.IsRetryable(err) {
		t.Errorf("Ping of an HTTP server: %v", err)
	}
}

// A connection in use when CloseIdleConnections runs is closed when its exchange ends.
func TestPoolCloseIdleWithRequestInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		io.WriteString(w, "ok")
	}))
	var dials atomic.Int32
	tr := countingTransport(&dials)
	done := make(chan string, 1)
	go func() {
		resp, err := tr.RoundTrip(newRequest(t, "GET", b.url("/slow"), nil))
		if err != nil {
			done <- err.Error()
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- string(body)
	}()
	<-entered
	tr.CloseIdleConnections()
	close(release)
	if body := <-done; body != "ok" {
		t.Fatalf("in-flight request: %q", body)
	}
	b.waitClosed(t, 1)
	if body := get(t, tr, b.url("/next")); body != "ok" || dials.Load() != 2 {
		t.Errorf("next request: %q after %d dials, want a new connection", body, dials.Load())
	}
}

// A backend that closes a connection right after its reply never fails the next request: a GET
// taken back at once (which skips the idle check) is resent on a new connection, a POST is
// always checked, and finds the connection closed before using it.
func TestPoolQuickReuseOfAClosedConnection(t *testing.T) {
	closed := make(chan struct{}, 4)
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for n := 0; ; n++ {
			f, _, err := c.ReadRequest()
			if err != nil {
				return
			}
			c.SkipBody(f)
			c.Respond(200, "ok", true)
			if c.Index%2 == 0 && n == 0 { // every other connection closes after its first reply
				c.Conn.Close()
				closed <- struct{}{}
				return
			}
		}
	})
	for _, method := range []string{"GET", "POST"} {
		tr := &ajp.Transport{PingAfterIdle: -1} // whose first connection closes
		accepted := b.Accepted()
		if body := get(t, tr, b.URL("/first")); body != "ok" {
			t.Fatalf("%s: first request: %q", method, body)
		}
		<-closed
		resp, err := tr.RoundTrip(newRequest(t, method, b.URL("/second"), nil))
		if err != nil {
			t.Fatalf("%s on a connection the backend closed: %v", method, err)
		}
		resp.Body.Close()
		if n := b.Accepted() - accepted; n != 2 {
			t.Errorf("%s: %d connections, want 2", method, n)
		}
	}
}
