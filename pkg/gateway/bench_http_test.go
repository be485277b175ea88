package gateway

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rollcd/roll/pkg/admin"
)

// cannedHTTPBackend answers every request head with the same small answer in one write,
// allocating nothing, so that a benchmark counts the gateway's own work. It reads heads
// only: the benchmarks' requests have no body.
func cannedHTTPBackend(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	reply := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html;charset=UTF-8\r\nContent-Length: 5\r\n\r\nhello")
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						return
					}
					if len(bytes.TrimRight(line, "\r\n")) > 0 {
						continue
					}
					if _, err := nc.Write(reply); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// BenchmarkGatewayHTTP is the gateway's own cost per HTTP request: one request (reused, with
// a cancellable context like the server's) through routing, balancing and the HTTP path to a
// canned backend, into a discarding writer.
func BenchmarkGatewayHTTP(b *testing.B) {
	g := newTestGateway(b, nil)
	mustPut(b, g, httpService("app"))
	mustAdd(b, g, "app", admin.BackendSpec{Name: "a", Address: cannedHTTPBackend(b)})
	h := g.Handler()
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}))
	defer cancel()
	req := httptest.NewRequest(http.MethodGet, "http://app.test/app/nosession.jsp", nil).WithContext(ctx)
	req.Header.Set("Cookie", "JSESSIONID=ABC.a")
	req.Header.Set("User-Agent", "wrk")
	req.RemoteAddr = "127.0.0.1:40624"
	w := &discardWriter{h: http.Header{}}
	serve := func() {
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("status %d", w.code)
		}
	}
	serve()
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}

// BenchmarkFrontDoorHTTP is BenchmarkFrontDoorAJP towards a canned HTTP backend: one
// keep-alive request per iteration through pkg/h1 on loopback, routing and the HTTP path.
func BenchmarkFrontDoorHTTP(b *testing.B) {
	g := newTestGateway(b, nil)
	mustPut(b, g, httpService("app"))
	mustAdd(b, g, "app", admin.BackendSpec{Name: "a", Address: cannedHTTPBackend(b)})
	const request = "GET /app/nosession.jsp HTTP/1.1\r\nHost: app.test\r\nUser-Agent: wrk\r\nCookie: JSESSIONID=ABC.a\r\n\r\n"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		nc, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
		if err != nil {
			b.Error(err)
			return
		}
		defer nc.Close()
		br := bufio.NewReader(nc)
		for pb.Next() {
			if _, err := io.WriteString(nc, request); err != nil {
				b.Error(err)
				return
			}
			if err := skipAnswer(br); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
