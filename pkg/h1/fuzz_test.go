package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fakeConn is a net.Conn over fixed input, for fuzzing the parser without sockets.
type fakeConn struct {
	r io.Reader
	net.Conn
}

func (f *fakeConn) Read(p []byte) (int, error)       { return f.r.Read(p) }
func (f *fakeConn) Write(p []byte) (int, error)      { return len(p), nil }
func (f *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (f *fakeConn) SetWriteDeadline(time.Time) error { return nil }
func (f *fakeConn) SetDeadline(time.Time) error      { return nil }
func (f *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (f *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2} }

// FuzzRequestHead: whatever the bytes, the parser never panics, and a request it accepts
// keeps the promises the gateway relies on: one framing, a token method, a valid Host, a
// path that starts with '/' (or "*"), and a head within its limits.
func FuzzRequestHead(f *testing.F) {
	for _, seed := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /x?y HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET http://h:1/p HTTP/1.1\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /\r\n",
		"\r\nGET / HTTP/1.1\r\nhost: a\r\nX: a\r\n b\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s := &Server{Handler: http.NotFoundHandler(), MaxHeaderBytes: 4096, MaxRequestLine: 1024}
		c := s.newConn(&fakeConn{r: bytes.NewReader(in)}, t.Context())
		c.br = bufio.NewReaderSize(c.nc, bufferSize)
		req, fr, err := c.readRequest(context.Background())
		if err != nil {
			var re *requestError
			if errors.As(err, &re) && (re.status < 400 || re.status > 599) {
				t.Fatalf("refusal with status %d", re.status)
			}
			return
		}
		if len(c.head) > c.limit() {
			t.Fatalf("head of %d bytes accepted, limit %d", len(c.head), c.limit())
		}
		if !isToken(req.Method) {
			t.Fatalf("method %q", req.Method)
		}
		if !validHost(req.Host) || strings.ContainsAny(req.Host, " \r\n/") {
			t.Fatalf("host %q", req.Host)
		}
		if req.URL.Path != "*" && !strings.HasPrefix(req.URL.Path, "/") {
			t.Fatalf("path %q", req.URL.Path)
		}
		if fr.contentLength < -1 {
			t.Fatalf("content length %d", fr.contentLength)
		}
		if fr.contentLength == -1 && (len(req.Header["Content-Length"]) > 0 || req.ProtoMinor == 0) {
			t.Fatalf("chunked with a Content-Length or on HTTP/1.0: %v", req.Header)
		}
		if len(req.Header["Content-Length"]) > 1 || len(req.Header["Host"]) > 1 {
			t.Fatalf("repeated framing headers accepted: %v", req.Header)
		}
		for k, vs := range req.Header {
			for _, v := range vs {
				if !validFieldValue(v) || strings.ContainsAny(k, " :\r\n") {
					t.Fatalf("field %q: %q", k, v)
				}
			}
		}
		// The body reader, too, never panics and ends.
		b := &body{c: c, chunked: fr.contentLength < 0, remaining: max(fr.contentLength, 0)}
		n, _ := io.Copy(io.Discard, io.LimitReader(b, 1<<20))
		if fr.contentLength > 0 && n > fr.contentLength {
			t.Fatalf("read %d body bytes of %d", n, fr.contentLength)
		}
	})
}
