package ajp_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

// A wrong or missing secret is an ordinary 403 answer (with reuse=0): the Transport returns it as a
// response and closes the connection, so every such request dials anew.
func TestTomcatWrongSecret(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	for _, secret := range []string{"wrong-secret", ""} {
		t.Run(fmt.Sprintf("secret %q", secret), func(t *testing.T) {
			tr, w := newTomcatTransport(tc)
			tr.Secret = secret
			c := newTomcatClient(t, tr)
			for i := 1; i <= 2; i++ {
				resp, body := tomcatGet(t, c, tc.AJPURL("/app/nosession.jsp"))
				if resp.StatusCode != http.StatusForbidden || bytes.Contains(body, []byte("hello")) {
					t.Fatalf("request %d with secret %q = %d %q, want 403 without the page", i, secret, resp.StatusCode, body)
				}
				if got := w.dials.Load(); got != int64(i) {
					t.Fatalf("after %d refused requests %d dials: the connection was kept despite reuse=0", i, got)
				}
			}
		})
	}
}

// tcpState returns the kernel's state of the IPv4 TCP socket with this local address, from
// /proc/net/tcp ("01" ESTABLISHED, "08" CLOSE_WAIT: the peer closed, we did not yet), or "" when
// there is none.
func tcpState(t *testing.T, local, remote *net.TCPAddr) string {
	t.Helper()
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		t.Fatalf("reading /proc/net/tcp to watch the connection: %v", err)
	}
	defer f.Close()
	hex := func(a *net.TCPAddr) string {
		ip := a.IP.To4()
		return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], a.Port)
	}
	// The same local port can also name old sockets (TIME_WAIT) to other peers: match both ends.
	wantLocal, wantRemote := hex(local), hex(remote)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 3 && fields[1] == wantLocal && fields[2] == wantRemote {
			return fields[3]
		}
	}
	return ""
}

// Tomcat closes idle AJP connections after keepAliveTimeout. The Transport must notice and not fail the
// next request.
func TestTomcatClosesIdleConnections(t *testing.T) {
	tc := tomcattest.Shared(t, tomcattest.Options{Route: "idle", AJPKeepAlive: time.Second})
	tr, w := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	tomcatGet(t, c, tc.AJPURL("/app/nosession.jsp"))
	local := w.lastConn().LocalAddr().(*net.TCPAddr)
	remote := w.lastConn().RemoteAddr().(*net.TCPAddr)

	// Wait, bounded, until the kernel shows that Tomcat closed the pooled connection: it leaves
	// ESTABLISHED ("01") for CLOSE_WAIT, or disappears if the Transport noticed and closed its end.
	deadline := time.Now().Add(30 * time.Second)
	for tcpState(t, local, remote) == "01" {
		if time.Now().After(deadline) {
			t.Fatalf("Tomcat did not close the idle connection from %s within 30 s (state %q)", local, tcpState(t, local, remote))
		}
		time.Sleep(50 * time.Millisecond) // polling the kernel's table: it has nothing to wait on
	}
	for i := range 3 {
		resp, err := c.Get(tc.AJPURL("/app/nosession.jsp"))
		if err != nil {
			t.Fatalf("request %d after Tomcat closed the idle connection: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body) // read to the end: closing a body early closes its connection
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || !bytes.Contains(body, []byte("hello")) {
			t.Fatalf("request %d after Tomcat closed the idle connection = %d %q, %v", i, resp.StatusCode, body, err)
		}
	}
	if got := w.dials.Load(); got != 2 {
		t.Errorf("%d dials, want 2: the first connection, and one after Tomcat closed it", got)
	}
}

// The contract when Tomcat dies under a pool of idle connections and comes back on the same port:
//   - while it is down, a request fails with a retryable error (the dial is refused);
//   - once it is back, every request succeeds at the first try, with or without a body: the dead
//     pooled connections are found by peeking at their sockets before reuse, and dropped;
//   - when the Transport cannot peek (a wrapped connection), a request without a body still succeeds
//     at the first try (the Transport retries it once on a new connection); a request with a body may
//     fail once, not retryably, since its body was already read; the pool then heals and the next
//     request succeeds.
func TestTomcatKilledAndRestarted(t *testing.T) {
	tc := tomcattest.Start(t, tomcattest.Options{Route: "phoenix"})
	tr, w := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	opaqueTr, opaqueWire := newTomcatTransport(tc)
	opaqueWire.opaque = true
	opaque := newTomcatClient(t, opaqueTr)

	// Two pooled connections: flush.jsp holds the first until release.jsp arrives on a second one.
	held, err := c.Get(tc.AJPURL("/app/flush.jsp?id=phoenix"))
	if err != nil {
		t.Fatal(err)
	}
	tomcatGet(t, c, tc.AJPURL("/app/release.jsp?id=phoenix"))
	if _, err := io.ReadAll(held.Body); err != nil {
		t.Fatal(err)
	}
	held.Body.Close()
	if got := w.dials.Load(); got != 2 {
		t.Fatalf("%d dials before the kill, want 2 pooled connections", got)
	}
	tomcatGet(t, opaque, tc.AJPURL("/app/nosession.jsp"))

	tc.Kill()
	resp, err := c.Get(tc.AJPURL("/app/nosession.jsp"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a request to a killed Tomcat answered %d", resp.StatusCode)
	}
	if !ajp.IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = false for a request to a killed Tomcat, want true", err)
	}

	tc.Restart(t)
	// The failed request above already dropped the dead connections it peeked at; refill the pool
	// with two dead ones to test the case that matters: a pool full of corpses after a restart.
	tr.CloseIdleConnections()
	held, err = c.Get(tc.AJPURL("/app/flush.jsp?id=phoenix-2"))
	if err != nil {
		t.Fatal(err)
	}
	tomcatGet(t, c, tc.AJPURL("/app/release.jsp?id=phoenix-2"))
	if _, err := io.ReadAll(held.Body); err != nil {
		t.Fatal(err)
	}
	held.Body.Close()
	tc.Kill()
	tc.Restart(t)
	dials := w.dials.Load()
	for i := range 2 {
		resp, body := tomcatGet(t, c, tc.AJPURL("/app/nosession.jsp"))
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte("route=phoenix")) {
			t.Fatalf("GET %d after the restart = %d %q", i, resp.StatusCode, body)
		}
		resp, body = tomcatDo(t, c, tomcatRequest(t, "POST", tc.AJPURL("/app/echo.jsp"), strings.NewReader("after the restart")))
		if resp.StatusCode != 200 || parseTomcatPage(body).kv["body_bytes"] != "17" {
			t.Fatalf("POST %d after the restart = %d %q", i, resp.StatusCode, body)
		}
	}
	if got := w.dials.Load() - dials; got != 1 {
		t.Errorf("%d dials for 4 requests after the restart, want 1 (the dead connections dropped, one new reused)", got)
	}

	// The opaque pool still holds its connection from before the first kill.
	dials = opaqueWire.dials.Load()
	if resp, body := tomcatGet(t, opaque, tc.AJPURL("/app/nosession.jsp")); resp.StatusCode != 200 {
		t.Fatalf("GET on a dead connection the Transport cannot peek at = %d %q", resp.StatusCode, body)
	}
	if got := opaqueWire.dials.Load() - dials; got != 1 {
		t.Errorf("%d dials for a GET on a dead opaque connection, want 1 (the internal retry)", got)
	}
	tc.Kill()
	tc.Restart(t)
	post := func() (*http.Response, error) {
		return opaque.Post(tc.AJPURL("/app/echo.jsp"), "application/octet-stream", strings.NewReader("after the restart"))
	}
	resp, err = post()
	if err != nil {
		if ajp.IsRetryable(err) {
			t.Errorf("IsRetryable(%v) = true, but the body was already read from the request", err)
		}
		t.Logf("POST on a dead opaque connection failed once, as allowed: %v", err)
		resp, err = post()
		if err != nil {
			t.Fatalf("POST after the pool healed: %v", err)
		}
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || parseTomcatPage(body).kv["body_bytes"] != "17" {
		t.Fatalf("POST after the restart = %d %q, %v", resp.StatusCode, body, err)
	}
}

func TestTomcatPing(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, _ := newTomcatTransport(tc)
	t.Cleanup(tr.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Ping(ctx, tc.AJPAddr()); err != nil {
		t.Fatalf("Ping(%s) = %v", tc.AJPAddr(), err)
	}
	// Nothing listens on a port we just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if err := tr.Ping(ctx, closed); err == nil {
		t.Fatalf("Ping(%s) with nothing listening = nil", closed)
	}
}

// CPong proves the connector, not the application: a webapp that failed to deploy still answers CPing,
// while its health page is 404.
func TestTomcatPingDoesNotProveTheApp(t *testing.T) {
	tc := tomcattest.Start(t, tomcattest.Options{Route: "broken", BrokenApp: true, NoWait: true})
	tr, _ := newTomcatTransport(tc)
	tr.PingTimeout = time.Minute // the connectors start only after the (failed) deployment
	c := newTomcatClient(t, tr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := tr.Ping(ctx, tc.AJPAddr()); err != nil {
		t.Fatalf("Ping of a Tomcat with a broken webapp = %v, want nil", err)
	}
	if resp, _ := tomcatGet(t, c, tc.AJPURL("/app/health.jsp")); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("health.jsp of a broken webapp = %d, want 404", resp.StatusCode)
	}
}

// A page that answers nothing for longer than ReplyTimeout ends the exchange with ErrReplyTimeout.
func TestTomcatReplyTimeout(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, _ := newTomcatTransport(tc)
	tr.ReplyTimeout = 300 * time.Millisecond
	c := newTomcatClient(t, tr)
	resp, err := c.Get(tc.AJPURL("/app/sleep.jsp?ms=20000"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a page silent for 20 s answered %d within a 300 ms reply timeout", resp.StatusCode)
	}
	if !errors.Is(err, ajp.ErrReplyTimeout) || ajp.IsRetryable(err) {
		t.Fatalf("error %v (retryable %v), want ErrReplyTimeout, not retryable", err, ajp.IsRetryable(err))
	}
}

// Every request CPings first (mod_jk ping_mode P): slower, but must behave the same.
func TestTomcatPingEveryRequest(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, w := newTomcatTransport(tc)
	tr.PingEveryRequest = true
	c := newTomcatClient(t, tr)
	for i := range 5 {
		if resp, body := tomcatGet(t, c, tc.AJPURL("/app/nosession.jsp")); resp.StatusCode != 200 || !bytes.Contains(body, []byte("hello")) {
			t.Fatalf("request %d = %d %q", i, resp.StatusCode, body)
		}
	}
	if got := w.dials.Load(); got != 1 {
		t.Errorf("%d dials, want 1", got)
	}
}

// A larger packet size on both sides carries larger headers and chunks.
func TestTomcatLargePacketSize(t *testing.T) {
	tc := tomcattest.Shared(t, tomcattest.Options{Route: "bigpackets", PacketSize: 65536})
	tr, _ := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	req := tomcatRequest(t, "GET", tc.AJPURL("/app/info.jsp"), nil)
	req.Header.Set("X-Large", strings.Repeat("l", 60000))
	resp, body := tomcatDo(t, c, req)
	if got := parseTomcatPage(body).headers["x-large"]; resp.StatusCode != 200 || len(got) != 1 || len(got[0]) != 60000 {
		t.Fatalf("a 60000-byte header with packetSize 65536: status %d, Tomcat saw %d values", resp.StatusCode, len(got))
	}
	resp, body = tomcatGet(t, c, tc.AJPURL("/app/big.jsp?bytes=1000000"))
	if resp.StatusCode != 200 || !bytes.Equal(body, tomcatBigBody(1000000)) {
		t.Fatalf("1 MB with packetSize 65536: status %d, %d bytes", resp.StatusCode, len(body))
	}
	payload := tomcatRandomBytes(300000)
	resp, body = tomcatDo(t, c, tomcatRequest(t, "POST", tc.AJPURL("/app/echo.jsp"), bytes.NewReader(payload)))
	if p := parseTomcatPage(body); resp.StatusCode != 200 || p.kv["body_bytes"] != "300000" {
		t.Fatalf("300000-byte body with packetSize 65536: status %d, Tomcat read %s", resp.StatusCode, p.kv["body_bytes"])
	}
}
