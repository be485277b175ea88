package ajp_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

// methodLog counts the FORWARD_REQUESTs a backend read, by "METHOD /path".
type methodLog struct {
	mu   sync.Mutex
	seen map[string]int
}

func (l *methodLog) add(f *ajp.ForwardRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]int{}
	}
	l.seen[f.Method+" "+f.URI]++
}

func (l *methodLog) count(request string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[request]
}

// A pooled connection that Tomcat closes after it received the request looks exactly like one it
// closed before: nothing comes back. Only an idempotent request may then be sent again; a POST
// the application may have run must not run twice.
func TestRetrySentRequestOnlyWhenIdempotent(t *testing.T) {
	for _, tc := range []struct {
		method  string
		retried bool
	}{
		{"GET", true}, {"HEAD", true}, {"OPTIONS", true}, {"TRACE", true},
		{"POST", false}, {"PUT", false}, {"PATCH", false}, {"DELETE", false},
	} {
		t.Run(tc.method, func(t *testing.T) {
			var log methodLog
			b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
				for n := 0; ; n++ {
					f, _, err := c.ReadRequest()
					if err != nil {
						return
					}
					log.add(f)
					if c.Index == 0 && n == 1 {
						return // it got the request, then closes without a word
					}
					c.Respond(200, "ok", true)
				}
			})
			tr := &ajp.Transport{PingAfterIdle: -1}
			defer tr.CloseIdleConnections()
			get(t, tr, b.URL("/warm-up")) // pools the connection the backend will drop

			resp, err := tr.RoundTrip(newRequest(t, tc.method, b.URL("/"), nil))
			if resp != nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if tc.retried {
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("%s: %v, want it answered on a new connection", tc.method, err)
				}
				if got := log.count(tc.method + " /"); got != 2 || b.Accepted() != 2 {
					t.Errorf("the backend read %d %s requests on %d connections, want 2 on 2 (one retry)", got, tc.method, b.Accepted())
				}
				return
			}
			if err == nil {
				t.Fatalf("%s answered %d: it was sent again after the backend had received it", tc.method, resp.StatusCode)
			}
			if got := log.count(tc.method + " /"); got != 1 || b.Accepted() != 1 {
				t.Errorf("the backend read %d %s requests on %d connections, want exactly 1 on 1", got, tc.method, b.Accepted())
			}
			// IsRetryable keeps its meaning (nothing received, body untouched); IsUnsent tells the
			// caller that the backend may have run it.
			if !ajp.IsRetryable(err) || ajp.IsUnsent(err) {
				t.Errorf("IsRetryable %v IsUnsent %v for %v, want true and false", ajp.IsRetryable(err), ajp.IsUnsent(err), err)
			}
		})
	}
}

// writeFailConn fails the write number failAt (counting from 1; the CPing is the first) after
// accepting keep bytes of it, and closes the socket, as a reset connection would.
type writeFailConn struct {
	net.Conn
	failAt, keep int
	writes       int
}

func (c *writeFailConn) Write(p []byte) (int, error) {
	c.writes++
	if c.writes != c.failAt {
		return c.Conn.Write(p)
	}
	n, _ := c.Conn.Write(p[:c.keep])
	c.Conn.Close()
	return n, &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}
}

// writeFailing returns a Transport whose connection number conn (from 0) fails its write failAt.
func writeFailing(conn, failAt, keep int) *ajp.Transport {
	var dials atomic.Int32
	return &ajp.Transport{PingAfterIdle: -1, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil || int(dials.Add(1))-1 != conn {
			return nc, err
		}
		return &writeFailConn{Conn: nc, failAt: failAt, keep: keep}, nil
	}}
}

// A request whose write failed before its first byte was accepted never reached the backend: it is
// sent again on a new connection whatever its method, and the backend runs it once.
func TestRetryUnsentAnyMethod(t *testing.T) {
	var log methodLog
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for {
			f, _, err := c.ReadRequest()
			if err != nil {
				return
			}
			log.add(f)
			c.Respond(200, "ok", true)
		}
	})
	tr := writeFailing(0, 3, 0) // CPing, the warm-up GET, then the POST fails to go out
	defer tr.CloseIdleConnections()
	get(t, tr, b.URL("/warm-up"))
	resp, err := tr.RoundTrip(newRequest(t, "POST", b.URL("/"), nil))
	if err != nil {
		t.Fatalf("POST whose write failed unsent: %v, want it sent on a new connection", err)
	}
	resp.Body.Close()
	if got := log.count("POST /"); got != 1 || b.Accepted() != 2 {
		t.Errorf("the backend read %d POSTs on %d connections, want 1 on the second", got, b.Accepted())
	}
}

// What IsUnsent says about each way a request fails. It implies IsRetryable.
func TestIsUnsent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	l.Close()
	silent := ajptest.NewBackend(t, func(c *ajptest.Conn) { c.ReadPacket(); c.ReadPacket() })
	hangUp := ajptest.NewBackend(t, func(c *ajptest.Conn) { c.ReadRequest() })
	garbage := ajptest.NewBackend(t, func(c *ajptest.Conn) { c.ReadRequest(); c.Send([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) })
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	for _, tc := range []struct {
		name              string
		tr                *ajp.Transport
		req               *http.Request
		unsent, retryable bool
	}{
		{"connection refused", &ajp.Transport{}, newRequest(t, "POST", "ajp://"+refused+"/", nil), true, true},
		{"no CPONG on a new connection", &ajp.Transport{PingTimeout: 50 * time.Millisecond}, newRequest(t, "POST", silent.URL("/"), nil), true, true},
		{"write failed before its first byte", writeFailing(0, 2, 0), newRequest(t, "POST", hangUp.URL("/"), nil), true, true},
		{"write failed half-way", writeFailing(0, 2, 10), newRequest(t, "POST", hangUp.URL("/"), nil), false, true},
		{"sent, then closed without a reply", &ajp.Transport{}, newRequest(t, "POST", hangUp.URL("/"), nil), false, true},
		{"garbage reply", &ajp.Transport{}, newRequest(t, "GET", garbage.URL("/"), nil), false, false},
		{"request too large", &ajp.Transport{}, newRequest(t, "GET", "ajp://"+refused+"/"+strings.Repeat("x", 9000), nil), false, false},
		{"cancelled context", &ajp.Transport{}, newRequest(t, "GET", silent.URL("/"), nil).WithContext(cancelled), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.tr.CloseIdleConnections()
			resp, err := tc.tr.RoundTrip(tc.req)
			if err == nil {
				resp.Body.Close()
				t.Fatal("no error")
			}
			if ajp.IsUnsent(err) != tc.unsent || ajp.IsRetryable(err) != tc.retryable {
				t.Errorf("IsUnsent %v IsRetryable %v for %v, want %v %v", ajp.IsUnsent(err), ajp.IsRetryable(err), err, tc.unsent, tc.retryable)
			}
		})
	}
	if ajp.IsUnsent(nil) || ajp.IsUnsent(ajp.ErrProtocol) {
		t.Error("IsUnsent of nil or a bare sentinel is true")
	}
}
