package frontdoor

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/gateway"
)

// truncated announces a body of 100,000 bytes, sends 1,000 and half-closes the connection.
func truncated(target string) []step {
	h := head("POST", target, "Content-Length: 100000")
	return []step{{data: []byte(h + repeat("t", 1000)), closeWrite: true}}
}

func TestAbuseTruncatedBody(t *testing.T) {
	roll := startRoll(t, tomcats(t), abuseConfig)
	// Tomcat must never take 1,000 bytes for the whole body: a page that answers 2xx would have.
	noShortBody := check{"Tomcat never saw a complete short body", func(ex exchange) bool {
		for _, r := range ex.Responses {
			if strings.Contains(string(r.Body), "body_bytes=1000\n") {
				return false
			}
		}
		return true
	}}
	cutChunked := func(target string) []step {
		h := head("POST", target, "Transfer-Encoding: chunked")
		return []step{{data: []byte(h + "3e8\r\n" + repeat("t", 1000) + "\r\n"), closeWrite: true}}
	}
	runAbuse(t, roll, []acase{
		{"Content-Length body cut, to echo.jsp", truncated("/app/echo.jsp"), []check{refused(400), never2xx(), noShortBody}},
		{"Content-Length body cut, to info.jsp", truncated("/app/info.jsp"), []check{refused(400), never2xx()}},
		{"chunked body cut, to echo.jsp", cutChunked("/app/echo.jsp"), []check{refused(400), never2xx(), noShortBody}},
		{"chunked body cut, to info.jsp", cutChunked("/app/info.jsp"), []check{refused(400), never2xx()}},
		{"body cut in the middle of a chunk size", []step{{data: []byte(head("POST", "/app/echo.jsp", "Transfer-Encoding: chunked") + "3"), closeWrite: true}},
			[]check{refused(400), never2xx(), noShortBody}},
	})
}

// upgradeBackend is an HTTP backend that switches to websocket whatever the client asked for, and holds
// the connection until the peer closes it.
func upgradeBackend(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijacking: %v", err)
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = buf.Flush()
		_, _ = io.Copy(io.Discard, buf) // until the gateway closes its side
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAbuseUpgradeMismatch(t *testing.T) {
	roll := startRoll(t, tomcats(t), abuseConfig)
	backend := upgradeBackend(t)
	if err := roll.PutService(t.Context(), admin.ServiceSpec{Name: "ws", Protocol: admin.HTTP, PathPrefixes: []string{"/ws"},
		Health: admin.HealthSpec{Check: "tcp"}}); err != nil {
		t.Fatalf("PutService(ws): %v", err)
	}
	if _, err := roll.AddBackend(t.Context(), "ws", admin.BackendSpec{Name: "ws1", Address: backend.Listener.Addr().String(), Activation: admin.Active}); err != nil {
		t.Fatalf("AddBackend(ws): %v", err)
	}
	upgrade := func(protocols string) []step {
		return []step{{data: []byte(head("GET", "/ws/chat", "Connection: Upgrade", "Upgrade: "+protocols,
			"Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="))}}
	}
	for _, c := range []acase{
		// The control case first: what was asked is what the backend switched to, and the tunnel
		// stops counting once the client leaves.
		{"asked websocket; switched to websocket", upgrade("websocket"), []check{status(101)}},
		{"asked websocket, foo; switched to websocket", upgrade("websocket, foo"), []check{refused(502)}},
		{"asked foo; switched to websocket", upgrade("foo"), []check{refused(502)}},
		{"asked h2c; switched to websocket", upgrade("h2c"), []check{refused(502)}},
		{"asked nothing; switched to websocket", get("/ws/chat"), []check{refused(502)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ex := roundTrip(roll.addr, c.send, methodsOf(c.send))
			for _, w := range c.wants {
				if !w.ok(ex) {
					t.Errorf("want %s; got %s", w.what, summary(ex))
				}
			}
			noneInFlight(t, roll, "ws")
			probe(t, roll)
		})
	}
}

// TestAbuseIdleConnections holds 500 connections that never finish a request head: roll still answers
// at once, and closes every one of them after ReadHeaderTimeout.
func TestAbuseIdleConnections(t *testing.T) {
	const n = 500
	const headerTimeout = time.Second
	roll := startRoll(t, tomcats(t), func(c *gateway.Config) { c.ReadHeaderTimeout = headerTimeout })
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	opened := time.Now()
	for i := range n {
		c, err := net.DialTimeout("tcp", roll.addr, dialTimeout)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if i%2 == 1 { // half of them are slowloris: a head begun, never ended
			if _, err := c.Write([]byte("GET /app/nosession.jsp HTTP/1.1\r\nHost: frontdoor.test\r\n")); err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
		}
		conns = append(conns, c)
	}
	probe(t, roll)

	// Each must be closed by roll (EOF or reset), not left open past a few timeouts.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open, answered int
	for _, c := range conns {
		wg.Go(func() {
			// Whatever roll says first (nothing, or a 408 or 400), the connection must end.
			_ = c.SetReadDeadline(opened.Add(5 * headerTimeout))
			said, err := io.ReadAll(bufio.NewReader(c))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case isTimeout(err):
				open++
			case strings.HasPrefix(string(said), "HTTP/1.1 2") || strings.HasPrefix(string(said), "HTTP/1.1 3"):
				answered++
			case err != nil && !isReset(err):
				t.Errorf("reading an idle connection: %q, %v", said, err)
			case len(said) > 0 && !strings.HasPrefix(string(said), "HTTP/1.1 408") && !strings.HasPrefix(string(said), "HTTP/1.1 400"):
				t.Errorf("an idle connection got %q, want nothing, 408 or 400", clipLine(string(said)))
			}
		})
	}
	wg.Wait()
	if open > 0 || answered > 0 {
		t.Fatalf("of %d idle connections, %d still open after %s and %d answered with a success", n, open, 5*headerTimeout, answered)
	}
	probe(t, roll)
}
