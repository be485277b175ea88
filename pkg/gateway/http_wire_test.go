package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The HTTP wire tests pin, as the AJP ones do, what the gateway sends an HTTP backend for the
// table of client requests (http_requests.golden) and what its client gets for a table of raw
// backend answers (http_replies.golden). They were first recorded from the ReverseProxy +
// net/http.Transport path.

// httpWireBackend is a scripted HTTP/1.1 backend on loopback: it records the head and the
// decoded body of every request and answers each with its script. A GET of /app/probe is
// answered 200 "probe" and not recorded.
type httpWireBackend struct {
	addr string
	name string
	mu   sync.Mutex
	seen []string
}

// httpWireReply answers one recorded request (its head lines) on c; it reports false to close
// the connection.
type httpWireReply func(c net.Conn, br *bufio.Reader, head []string) bool

func startHTTPWireBackend(t *testing.T, name string, reply httpWireReply) *httpWireBackend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wb := &httpWireBackend{addr: l.Addr().String(), name: name}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close() // the gateway keeps idle connections open
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				defer c.Close()
				wb.serve(c, reply)
			}()
		}
	}()
	return wb
}

func (wb *httpWireBackend) serve(c net.Conn, reply httpWireReply) {
	br := bufio.NewReader(c)
	for {
		head, err := readHTTPHead(br)
		if err != nil {
			return
		}
		if strings.HasPrefix(head[0], "GET /app/probe ") {
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nprobe"); err != nil {
				return
			}
			continue
		}
		body, err := readHTTPBody(c, br, head)
		wb.mu.Lock()
		wb.seen = append(wb.seen, renderHTTPRequest(wb.name, head, body, err))
		wb.mu.Unlock()
		if err != nil || !reply(c, br, head) {
			return
		}
	}
}

func (wb *httpWireBackend) requests() []string {
	wb.mu.Lock()
	defer wb.mu.Unlock()
	return slices.Clone(wb.seen)
}

// readHTTPHead reads a request head up to its empty line, CRLFs removed.
func readHTTPHead(br *bufio.Reader) ([]string, error) {
	var head []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" && len(head) > 0 {
			return head, nil
		}
		if line == "" {
			continue // an empty line before a request, as RFC 9112 §2.2 allows
		}
		head = append(head, line)
	}
}

// field is the value of the head's first field called name, and whether there is one.
func field(head []string, name string) (string, bool) {
	for _, line := range head[1:] {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// readHTTPBody reads the body as its framing says, after a 100 Continue when the request
// expects one; of a request for …/unread, nothing.
func readHTTPBody(c net.Conn, br *bufio.Reader, head []string) ([]byte, error) {
	if strings.Contains(head[0], "/unread ") {
		return nil, nil
	}
	if e, _ := field(head, "Expect"); strings.EqualFold(e, "100-continue") {
		if _, err := io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
			return nil, err
		}
	}
	if te, ok := field(head, "Transfer-Encoding"); ok && strings.EqualFold(te, "chunked") {
		return io.ReadAll(httputil.NewChunkedReader(br))
	}
	if cl, ok := field(head, "Content-Length"); ok {
		n, err := strconv.Atoi(cl)
		if err != nil {
			return nil, err
		}
		body := make([]byte, n)
		_, err = io.ReadFull(br, body)
		return body, err
	}
	return nil, nil
}

// renderHTTPRequest writes the request line and the fields sorted by name (their order carries
// no meaning; repeated fields keep theirs), then the decoded body.
func renderHTTPRequest(backend string, head []string, body []byte, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "backend %s\n%q\n", backend, head[0])
	fields := slices.Clone(head[1:])
	slices.SortStableFunc(fields, func(x, y string) int {
		kx, _, _ := strings.Cut(x, ":")
		ky, _, _ := strings.Cut(y, ":")
		return strings.Compare(strings.ToLower(kx), strings.ToLower(ky))
	})
	for _, f := range fields {
		fmt.Fprintf(&b, "field %q\n", f)
	}
	fmt.Fprintf(&b, "body %s", renderBody(body))
	if err != nil {
		fmt.Fprintf(&b, " (broke off: %v)", err)
	}
	return b.String()
}

// httpWireGateway is wireGateway with HTTP services and backends.
func httpWireGateway(t *testing.T, mod func(*Config), reply httpWireReply) (*testGateway, []*httpWireBackend) {
	t.Helper()
	var backends []*httpWireBackend
	g := wireServices(t, mod, httpService, func(name string) string {
		wb := startHTTPWireBackend(t, name, reply)
		backends = append(backends, wb)
		return wb.addr
	})
	return g, backends
}
