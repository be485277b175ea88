package ajp_test

import (
	"bytes"
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
	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

// The conformance tests run pkg/ajp's Transport against a real Tomcat 10.1 (pkg/internal/tomcattest).
// Most share one instance; tests that kill, restart or reconfigure Tomcat start their own.
func TestMain(m *testing.M) { tomcattest.Main(m) }

// tomcatConformance is the shared Tomcat most tests talk to. maxHeaderCount is raised above Tomcat's default
// of 100 so that the many-headers case tests the Transport, not Tomcat's limit.
var tomcatConformance = tomcattest.Options{Route: "conformance", MaxHeaderCount: 256}

// tomcatWire counts what a Transport dials and writes, to prove pooling ("no new connection") and that a
// rejected request sent nothing.
type tomcatWire struct {
	dials   atomic.Int64
	written atomic.Int64
	// opaque hides the socket from the Transport (no SyscallConn), like a TLS or otherwise wrapped
	// connection: the Transport cannot peek at it before reuse and must cope with a dead one otherwise.
	opaque bool

	mu    sync.Mutex
	conns []net.Conn
}

func (w *tomcatWire) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	w.dials.Add(1)
	w.mu.Lock()
	w.conns = append(w.conns, c)
	w.mu.Unlock()
	counted := &tomcatCountingConn{Conn: c, w: w}
	if w.opaque {
		return counted, nil
	}
	return &tomcatSocketConn{counted}, nil
}

// lastConn is the most recently dialled connection.
func (w *tomcatWire) lastConn() net.Conn {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.conns[len(w.conns)-1]
}

// tomcatCountingConn counts the bytes written through it.
type tomcatCountingConn struct {
	net.Conn
	w *tomcatWire
}

func (c *tomcatCountingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.written.Add(int64(n))
	return n, err
}

// tomcatSocketConn is a counted connection that still exposes its socket, so the Transport peeks at it
// before reuse exactly as it does with a plain TCP connection.
type tomcatSocketConn struct{ *tomcatCountingConn }

func (c *tomcatSocketConn) SyscallConn() (syscall.RawConn, error) {
	return c.Conn.(syscall.Conn).SyscallConn()
}

// newTomcatTransport returns a Transport with tc's secret whose connections are counted by the returned tomcatWire.
func newTomcatTransport(tc *tomcattest.Tomcat) (*ajp.Transport, *tomcatWire) {
	w := &tomcatWire{}
	tr := &ajp.Transport{Secret: tc.Secret(), PacketSize: tc.Options().PacketSize, DialContext: w.dial}
	return tr, w
}

// newTomcatClient returns an http.Client over tr that never follows redirects: conformance looks at what
// Tomcat answered, not where it points.
func newTomcatClient(t testing.TB, tr *ajp.Transport) *http.Client {
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		Timeout:       2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// tomcatDo sends req and reads the whole answer.
func tomcatDo(t testing.TB, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s %s: %v", req.Method, req.URL, err)
	}
	return resp, body
}

// tomcatGet is tomcatDo for a GET of url.
func tomcatGet(t testing.TB, c *http.Client, url string) (*http.Response, []byte) {
	t.Helper()
	return tomcatDo(t, c, tomcatRequest(t, "GET", url, nil))
}

func tomcatRequest(t testing.TB, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatalf("building %s %s: %v", method, url, err)
	}
	return req
}

// page is the "key=value" answer of the test webapp's pages. Header names are lower-cased, because
// Tomcat reports coded headers (Host, Cookie, ...) in lower case and others as sent.
type tomcatPage struct {
	kv      map[string]string
	headers map[string][]string // header.<name> lines
	utf8    map[string][]string // header_utf8.<name> lines
}

func parseTomcatPage(body []byte) tomcatPage {
	p := tomcatPage{kv: map[string]string{}, headers: map[string][]string{}, utf8: map[string][]string{}}
	for line := range strings.Lines(string(body)) {
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(k, "header."):
			name := strings.ToLower(strings.TrimPrefix(k, "header."))
			p.headers[name] = append(p.headers[name], v)
		case strings.HasPrefix(k, "header_utf8."):
			name := strings.ToLower(strings.TrimPrefix(k, "header_utf8."))
			p.utf8[name] = append(p.utf8[name], v)
		default:
			p.kv[k] = v
		}
	}
	return p
}

// tomcatBigBody is what big.jsp?bytes=n writes: its 64-byte line repeated and cut at n.
func tomcatBigBody(n int) []byte {
	line := []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_\n")
	return bytes.Repeat(line, n/len(line)+1)[:n]
}
