package gateway

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// hostileGateway serves shop.test over TLS in front of a backend, for the abuse cases.
func hostileGateway(t *testing.T, mod func(*Config)) *tlsGateway {
	t.Helper()
	g := shopGateway(t, mod)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "healthy") }))
	t.Cleanup(backend.Close)
	mustPut(t, g.testGateway, httpService("web"))
	mustAdd(t, g.testGateway, "web", admin.BackendSpec{Name: "w", Address: backend.Listener.Addr().String()})
	return g
}

// probe is the health check after each attack: a whole HTTPS request over a new connection,
// over HTTP/1.1 and HTTP/2, that must succeed within the time given.
func (g *tlsGateway) probe(t *testing.T, within time.Duration) {
	t.Helper()
	for _, h2 := range []bool{false, true} {
		c := g.client(t, h2)
		c.Timeout = within
		resp, err := c.Get("https://shop.test/")
		if err != nil {
			t.Fatalf("health probe (h2 %v): %v", h2, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "healthy" {
			t.Fatalf("health probe (h2 %v): %d %q", h2, resp.StatusCode, body)
		}
	}
}

// clientHello returns the first flight of a real TLS client: its ClientHello record(s).
func clientHello(t *testing.T) []byte {
	t.Helper()
	client, server := net.Pipe()
	go func() {
		c := tls.Client(client, &tls.Config{ServerName: "shop.test"})
		c.Handshake() // ends when server closes
	}()
	buf := make([]byte, 64<<10)
	_ = server.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := server.Read(buf)
	server.Close()
	if err != nil {
		t.Fatalf("capturing a ClientHello: %v", err)
	}
	return buf[:n]
}

// closedByServer reports how long the server took to close nc (EOF or reset), up to limit.
func closedByServer(t *testing.T, nc net.Conn, limit time.Duration) (time.Duration, bool) {
	t.Helper()
	start := time.Now()
	_ = nc.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, nc) // what the server answers (an alert), until it closes
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return time.Since(start), false
	}
	return time.Since(start), true
}

// Garbage where a ClientHello belongs ends the connection at once (plain HTTP gets a word on
// what to use instead), and the gateway serves on.
func TestTLSGarbageBeforeTheHandshake(t *testing.T) {
	g := hostileGateway(t, nil)
	for _, tc := range []struct{ name, send, answer string }{
		{"plain HTTP", "GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n", "HTTP/1.0 400 Bad Request"},
		{"binary garbage", "\x00\xff\x13\x37garbage garbage garbage\r\n", ""},
		{"a record header announcing 16 MiB", "\x16\x03\x01\xff\xff", ""},
		{"a TLS alert first", "\x15\x03\x03\x00\x02\x02\x28", ""},
		{"SSLv2 hello", "\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", g.TLSAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			io.WriteString(nc, tc.send)
			if tc.answer != "" {
				_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
				line, _ := bufio.NewReader(nc).ReadString('\n')
				if !strings.HasPrefix(line, tc.answer) {
					t.Errorf("answer %q, want %q", line, tc.answer)
				}
			}
			if d, closed := closedByServer(t, nc, 5*time.Second); !closed {
				t.Errorf("connection still open after %s", d)
			}
			g.probe(t, 5*time.Second)
		})
	}
}

// A client that stops halfway through its ClientHello is cut off at the handshake timeout.
func TestTLSStalledHandshakeTimesOut(t *testing.T) {
	g := hostileGateway(t, func(c *Config) { c.TLS.HandshakeTimeout = 400 * time.Millisecond })
	hello := clientHello(t)
	for _, part := range []struct {
		name string
		data []byte
	}{{"nothing", nil}, {"half a ClientHello", hello[:len(hello)/2]}, {"a whole ClientHello, then silence", hello}} {
		nc, err := net.Dial("tcp", g.TLSAddr)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(part.data)
		d, closed := closedByServer(t, nc, 5*time.Second)
		nc.Close()
		if !closed || d < 300*time.Millisecond {
			t.Errorf("%s: closed %v after %s, want closed after the 400 ms handshake timeout", part.name, closed, d)
		}
		g.probe(t, 5*time.Second)
	}
}

// Many half-open handshakes cost at most MaxHandshakes of them at a time: past it the oldest
// are cut, and a newcomer is served at once, long before the handshake timeout frees anything.
func TestTLSManyHalfOpenHandshakes(t *testing.T) {
	g := hostileGateway(t, func(c *Config) {
		c.TLS.MaxHandshakes = 16
		c.TLS.HandshakeTimeout = time.Minute
	})
	hello := clientHello(t)
	const n = 200
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()
	for range n {
		nc, err := net.Dial("tcp", g.TLSAddr)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(hello[:len(hello)/2])
		conns = append(conns, nc)
	}
	open := 0
	for _, nc := range conns {
		if _, closed := closedByServer(t, nc, 100*time.Millisecond); !closed {
			open++
		}
	}
	if open > 16 {
		t.Errorf("%d of %d half-open handshakes still held, want at most MaxHandshakes (16)", open, n)
	}
	g.probe(t, 5*time.Second)
	t.Logf("%d half-open handshakes kept of %d", open, n)
}
