package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWriteHead(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  *http.Request
		body bool
		out  Outgoing
		want string
	}{
		{name: "GET with a raw query and a field",
			req:  &http.Request{Method: "GET", URL: &url.URL{Path: "/a b", RawPath: "/a%20b", RawQuery: "x=%zz;y"}, Header: http.Header{"Accept": {"*/*"}}},
			out:  Outgoing{Host: "app.test", Fields: []Field{{"X-Forwarded-For", "10.0.0.1"}}},
			want: "GET /a%20b?x=%zz;y HTTP/1.1\r\nHost: app.test\r\nAccept: */*\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n"},
		{name: "bare question mark, no path",
			req:  &http.Request{Method: "GET", URL: &url.URL{ForceQuery: true}, Header: http.Header{}},
			want: "GET /? HTTP/1.1\r\n\r\n"},
		{name: "framing fields of the client are not sent",
			req: &http.Request{Method: "PUT", URL: &url.URL{Path: "/p"}, ContentLength: 3,
				Header: http.Header{"Content-Length": {"0003"}, "Host": {"x"}, "Transfer-Encoding": {"chunked"}}},
			body: true, want: "PUT /p HTTP/1.1\r\nContent-Length: 3\r\n\r\n"},
		{name: "unknown length is chunked",
			req:  &http.Request{Method: "POST", URL: &url.URL{Path: "/p"}, ContentLength: -1, Header: http.Header{}},
			body: true, want: "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{name: "POST without a body says so",
			req:  &http.Request{Method: "POST", URL: &url.URL{Path: "/p"}, Header: http.Header{}},
			want: "POST /p HTTP/1.1\r\nContent-Length: 0\r\n\r\n"},
		{name: "DELETE without a body does not",
			req:  &http.Request{Method: "DELETE", URL: &url.URL{Path: "/p"}, Header: http.Header{}},
			want: "DELETE /p HTTP/1.1\r\n\r\n"},
		{name: "a field that could end the line is dropped",
			req:  &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, Header: http.Header{"X-A": {"a\r\nX-B: b"}, "Bad Name": {"v"}}},
			want: "GET / HTTP/1.1\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.out
			out.Req = tc.req
			if tc.body {
				out.Body = strings.NewReader("abc")
			}
			var b bytes.Buffer
			bw := bufio.NewWriter(&b)
			writeHead(bw, &out)
			_ = bw.Flush()
			if b.String() != tc.want {
				t.Errorf("wrote\n%q\nwant\n%q", b.String(), tc.want)
			}
		})
	}
}

func TestReadAnswerHead(t *testing.T) {
	for _, tc := range []struct {
		raw    string
		want   answerHead // status 0: ErrBadResponse
		fields http.Header
	}{
		{raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\n", want: answerHead{status: 200, length: 5},
			fields: http.Header{"Content-Length": {"5"}, "X-A": {"1", "2"}}},
		{raw: "HTTP/1.1 200\r\n\r\n", want: answerHead{status: 200, length: -1}, fields: http.Header{}},
		{raw: "HTTP/1.0 200 OK\r\n\r\n", want: answerHead{status: 200, length: -1, close: true}, fields: http.Header{}},
		{raw: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", want: answerHead{status: 200, length: -1}, fields: http.Header{"Connection": {"keep-alive"}}},
		{raw: "HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: Chunked\r\n\r\n", want: answerHead{status: 200, length: -1, chunked: true, close: true},
			fields: http.Header{"Connection": {"close"}, "Transfer-Encoding": {"Chunked"}}},
		{raw: "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n", want: answerHead{status: 204, length: 0}, fields: http.Header{"Content-Length": {"0"}}},
		{raw: "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"},
		{raw: "HTTP/1.1 200 OK\r\nX: 1\r\n folded\r\n\r\n"},
		{raw: "HTTP/1.1 200 OK\r\nX : 1\r\n\r\n"},
		{raw: "HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n"},
		{raw: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"},
		{raw: "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n"},
		{raw: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"},
		{raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{raw: "HTTP/1.1 099 Odd\r\n\r\n"},
		{raw: "HTTP/1.1 2000 OK\r\n\r\n"},
		{raw: "HTTP/1.1 20x OK\r\n\r\n"},
		{raw: "HTTP/2.0 200 OK\r\n\r\n"},
		{raw: "HTTP/1.1  200 OK\r\n\r\n"},
		{raw: "\r\nHTTP/1.1 200 OK\r\n\r\n"},
		{raw: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("x", MaxResponseHead) + "\r\n\r\n"},
	} {
		cc := &clientConn{br: bufio.NewReader(strings.NewReader(tc.raw))}
		h := http.Header{}
		ah, _, err := cc.readAnswerHead(h)
		name := tc.raw[:min(len(tc.raw), 60)]
		if tc.want.status == 0 {
			if !errors.Is(err, ErrBadResponse) {
				t.Errorf("%q: %v, want ErrBadResponse", name, err)
			}
			continue
		}
		if err != nil || ah != tc.want || !equalHeader(h, tc.fields) {
			t.Errorf("%q: %+v %v %v, want %+v %v", name, ah, h, err, tc.want, tc.fields)
		}
	}
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}

// recordingWriter is a ReplyWriter that keeps what it gets.
type recordingWriter struct {
	h       http.Header
	status  int
	length  int64
	interim []int
	body    bytes.Buffer
	flushes int
}

func (w *recordingWriter) Header() http.Header { return w.h }
func (w *recordingWriter) Interim(s int)       { w.interim = append(w.interim, s) }
func (w *recordingWriter) WriteStatus(s int, n int64) error {
	w.status, w.length = s, n
	return nil
}
func (w *recordingWriter) Write(p []byte) (int, error) { return w.body.Write(p) }
func (w *recordingWriter) Flush() error                { w.flushes++; return nil }

// scriptedBackend answers each connection's requests with answer(i, request head) for the
// i-th connection; it counts connections.
func scriptedBackend(t *testing.T, answer func(conn int, c net.Conn, br *bufio.Reader) bool) (string, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			i := int(n.Add(1))
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for answer(i, c, br) {
				}
			}()
		}
	}()
	return l.Addr().String(), &n
}

// readRequest reads a request head and a Content-Length body off br.
func readRequest(br *bufio.Reader) (string, error) {
	var head strings.Builder
	length := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		head.WriteString(line)
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			for _, c := range strings.TrimSpace(v) {
				length = length*10 + int(c-'0')
			}
		}
		if line == "\r\n" {
			break
		}
	}
	if _, err := io.CopyN(io.Discard, br, int64(length)); err != nil {
		return "", err
	}
	return head.String(), nil
}

func get(path string) *Outgoing {
	return &Outgoing{Req: &http.Request{Method: "GET", URL: &url.URL{Path: path}, Header: http.Header{}}, Host: "b"}
}

// A GET on a pooled connection the backend closed meanwhile is sent again on a new one, and
// the client never notices; a POST that may have reached the backend is not.
func TestClientResendsIdempotentOnDeadPooledConnection(t *testing.T) {
	addr, conns := scriptedBackend(t, func(i int, c net.Conn, br *bufio.Reader) bool {
		if _, err := readRequest(br); err != nil {
			return false
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		return false // close after every answer without saying so
	})
	c := &Client{}
	for i := range 3 {
		w := &recordingWriter{h: http.Header{}}
		if err := c.Forward(context.Background(), addr, get("/x"), w); err != nil || w.body.String() != "ok" {
			t.Fatalf("GET %d: %v %q", i, err, w.body.String())
		}
		// At once (within quickReuse, so without the liveness check): the GET goes on the dead
		// connection, or a new one when the close arrived first; it must never fail.
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections for 3 GETs, want 3", n)
	}
}

// The reply timeout bounds the wait for the head as a net.Error timeout; a refused connection
// is a dial *net.OpError.
func TestClientErrors(t *testing.T) {
	addr, _ := scriptedBackend(t, func(i int, c net.Conn, br *bufio.Reader) bool {
		_, _ = readRequest(br)
		_, _ = io.Copy(io.Discard, br)
		return false
	})
	c := &Client{ReplyTimeout: 100 * time.Millisecond}
	err := c.Forward(context.Background(), addr, get("/x"), &recordingWriter{h: http.Header{}})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("a backend that never answers: %v, want a timeout", err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().String()
	l.Close()
	err = c.Forward(context.Background(), closed, get("/x"), &recordingWriter{h: http.Header{}})
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		t.Errorf("a refused connection: %v, want a dial error", err)
	}
}

// With Expect: 100-continue the body waits for the backend's 100; a 103 goes to Interim; a
// chunked answer is decoded and its trailers dropped; the connection is reused after.
func TestClientExpectContinueInterimAndChunked(t *testing.T) {
	addr, conns := scriptedBackend(t, func(i int, c net.Conn, br *bufio.Reader) bool {
		head, err := readHead(br)
		if err != nil {
			return false
		}
		if strings.Contains(head, "Expect: 100-continue") {
			if br.Buffered() > 0 {
				_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") // the body came unasked
				return false
			}
			_, _ = io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
			body := make([]byte, 3)
			if _, err := io.ReadFull(br, body); err != nil || string(body) != "abc" {
				return false
			}
		}
		_, _ = io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\nX-T: 1\r\n\r\n")
		return true
	})
	c := &Client{}
	for _, expect := range []bool{true, false} {
		out := get("/x")
		if expect {
			out.Req.Method, out.Req.ContentLength = "PUT", 3
			out.Req.Header.Set("Expect", "100-continue")
			out.Body = strings.NewReader("abc")
		}
		w := &recordingWriter{h: http.Header{}}
		if err := c.Forward(context.Background(), addr, out, w); err != nil {
			t.Fatal(err)
		}
		if w.status != 200 || w.length != -1 || w.body.String() != "hello" || len(w.interim) != 1 || w.interim[0] != 103 {
			t.Errorf("expect %v: status %d length %d body %q interim %v", expect, w.status, w.length, w.body.String(), w.interim)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1 reused", n)
	}
}

func readHead(br *bufio.Reader) (string, error) {
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		head.WriteString(line)
		if line == "\r\n" {
			return head.String(), nil
		}
	}
}

// The pool keeps at most MaxIdleConnsPerHost idle connections and closes an idle one after
// IdleTimeout.
func TestClientPoolBounds(t *testing.T) {
	var closed atomic.Int32
	release := make(chan struct{})
	addr, conns := scriptedBackend(t, func(i int, c net.Conn, br *bufio.Reader) bool {
		if _, err := readRequest(br); err != nil {
			closed.Add(1) // the client closed the connection
			return false
		}
		<-release // both requests are in flight at once
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		return true
	})
	c := &Client{MaxIdleConnsPerHost: 1, IdleTimeout: 200 * time.Millisecond}
	done := make(chan error, 2)
	for range 2 {
		go func() { done <- c.Forward(context.Background(), addr, get("/x"), &recordingWriter{h: http.Header{}}) }()
	}
	for conns.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for closed.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := closed.Load(); n != 1 {
		t.Fatalf("%d connections closed after both answers, want 1: the pool keeps one idle", n)
	}
	for closed.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := closed.Load(); n != 2 {
		t.Fatalf("the idle connection was not closed after IdleTimeout (%d closed)", n)
	}
	if c.idle.Load() != 0 {
		t.Errorf("the pool counts %d idle connections, want 0", c.idle.Load())
	}
}
