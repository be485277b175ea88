package gateway

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// runGateway serves g with Serve on loopback listeners until the returned cancel is called;
// done receives Serve's result.
func runGateway(t *testing.T, cfg Config) (g *Gateway, url string, cancel context.CancelFunc, done chan error) {
	t.Helper()
	cfg.AdminToken = testToken
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adm, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() { done <- g.Serve(ctx, pub, adm) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return g, "http://" + pub.Addr().String(), cancel, done
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	}))
	defer slow.Close()
	g, url, cancel, done := runGateway(t, Config{ShutdownTimeout: 10 * time.Second})
	spec := httpService("app")
	if err := g.PutService(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	if _, err := g.AddBackend(t.Context(), "app", admin.BackendSpec{Name: "slow", Address: slow.Listener.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	type result struct {
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(url + "/")
		if err != nil {
			res <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{string(b), err}
	}()
	<-entered
	cancel() // SIGTERM while the request is in flight
	// New connections are refused once shutdown began.
	eventually(t, 5*time.Second, "listener closed", func() bool {
		c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	close(release)
	r := <-res
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	done <- nil // for the cleanup
}

func TestWebSocketThroughHTTPBackend(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "want an upgrade", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			base64.StdEncoding.EncodeToString(sum[:]))
		brw.Flush()
		io.Copy(conn, brw) // echo raw bytes: enough to prove both directions
	}))
	defer echo.Close()
	g := newTestGateway(t, func(c *Config) { c.AccessLog = true })
	mustPut(t, g, httpService("ws"))
	mustAdd(t, g, "ws", admin.BackendSpec{Name: "echo", Address: echo.Listener.Addr().String()})

	conn, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-Websocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("handshake: %d %v", resp.StatusCode, resp.Header)
	}
	if backendOf(t, g, "ws", "echo").InFlight != 1 {
		t.Fatal("an open WebSocket does not count as in flight")
	}
	for _, msg := range []string{"hello", "world"} {
		io.WriteString(conn, msg)
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(br, buf); err != nil || string(buf) != msg {
			t.Fatalf("echo %q: %q %v", msg, buf, err)
		}
	}
	conn.Close()
	eventually(t, 5*time.Second, "in flight back to 0", func() bool { return backendOf(t, g, "ws", "echo").InFlight == 0 })
}

func TestBadClientInput(t *testing.T) {
	_, url, _, _ := runGateway(t, Config{ReadHeaderTimeout: 300 * time.Millisecond, MaxHeaderBytes: 4096})
	addr := strings.TrimPrefix(url, "http://")
	raw := func(req string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, req)
		line, _ := bufio.NewReader(c).ReadString('\n')
		return line
	}
	if line := raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n"); !strings.Contains(line, " 431 ") {
		t.Errorf("oversize headers: %q, want 431", line)
	}
	if line := raw("GET / HTTP/1.1\r\nHost x\r\n\r\n"); !strings.Contains(line, " 400 ") {
		t.Errorf("malformed header: %q, want 400", line)
	}
	if line := raw("BLAH\r\n\r\n"); !strings.Contains(line, " 400 ") {
		t.Errorf("malformed request line: %q, want 400", line)
	}
	// Slowloris: a header that never ends is cut off by ReadHeaderTimeout.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("a slow client kept its connection open past ReadHeaderTimeout")
	}
}

func TestGarbageBackendIs502(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, "\x00\x01garbage that is not HTTP\r\n\r\n")
			}()
		}
	}()
	g := newTestGateway(t, nil)
	spec := httpService("app")
	spec.Health.Check = "tcp"
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "junk", Address: l.Addr().String()})
	if code, body := get(t, g.URL+"/", ""); code != http.StatusBadGateway || !strings.Contains(body, "502") {
		t.Fatalf("garbage backend: %d %q, want 502", code, body)
	}
	// The gateway is fine: a good backend added next serves (the junk one is now down).
	good := startNameBackend(t, "good")
	mustAdd(t, g, "app", admin.BackendSpec{Name: "good", Address: good.addr()})
	if code, body := get(t, g.URL+"/", ""); code != 200 || body != "good" {
		t.Fatalf("after garbage: %d %q", code, body)
	}
}
