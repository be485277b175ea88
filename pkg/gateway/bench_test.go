package gateway

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/ajp"
)

// discardWriter is the cheapest ResponseWriter, so a benchmark measures the gateway's
// request path (routing, pick, proxy, backend round trip) and not a client.
type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }
func (d *discardWriter) Flush()                      {}

func benchPath(b *testing.B, g *testGateway) {
	h := g.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			req := httptest.NewRequest(http.MethodGet, "http://app.test/app/x", nil)
			req.Header.Set("Cookie", "JSESSIONID=ABC.a")
			clear(w.h)
			h.ServeHTTP(w, req)
			if w.code != 0 && w.code != 200 {
				b.Fatalf("status %d", w.code)
			}
		}
	})
}

// BenchmarkRequestPathHTTP: gateway → HTTP backend on loopback (both in this process).
func BenchmarkRequestPathHTTP(b *testing.B) {
	g := newTestGateway(b, nil)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	b.Cleanup(backend.Close)
	mustPut(b, g, httpService("app"))
	mustAdd(b, g, "app", admin.BackendSpec{Name: "a", Address: backend.Listener.Addr().String()})
	benchPath(b, g)
}

// BenchmarkRequestPathKnownSession: as BenchmarkRequestPathHTTP, but the request's session
// is one the backend issued, so every request updates its last-seen time.
func BenchmarkRequestPathKnownSession(b *testing.B) {
	g := newTestGateway(b, nil)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	b.Cleanup(backend.Close)
	mustPut(b, g, httpService("app"))
	mustAdd(b, g, "app", admin.BackendSpec{Name: "a", Address: backend.Listener.Addr().String()})
	g.services["app"].snap.Load().members[0].b.sessions.issued("ABC.a", time.Now().UnixNano())
	benchPath(b, g)
}

// BenchmarkRequestPathAJP: gateway → Go AJP backend (ajp.Server) on loopback.
func BenchmarkRequestPathAJP(b *testing.B) {
	g := newTestGateway(b, nil)
	a := startAJPBackend(b, "a")
	mustPut(b, g, ajpService("app"))
	mustAdd(b, g, "app", admin.BackendSpec{Name: "a", Address: a.addr})
	benchPath(b, g)
}

func BenchmarkPick(b *testing.B) {
	snap := &snapshot{}
	for i, name := range []string{"a", "b", "c", "d"} {
		snap.members = append(snap.members, member{b: newBackend(name, "x:1"), spec: admin.BackendSpec{Name: name, Route: name, Weight: i + 1}})
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if j := pick(snap, uint32(i), 0, nil, false); j >= 0 {
			charge(snap.members[j].b, snap.members[j].spec.Weight)
		}
	}
}

func BenchmarkStickyParse(b *testing.B) {
	r := &http.Request{URL: &url.URL{Path: "/app/page.jsp"}, Header: http.Header{"Cookie": {"theme=dark; JSESSIONID=9F1C2B7D4E0A4C3A8B1D2E3F4A5B6C7D.tomcat2; lang=en"}}}
	b.ReportAllocs()
	for b.Loop() {
		if routeOf(stickyID(r, "JSESSIONID", "jsessionid")) != "tomcat2" {
			b.Fatal("wrong route")
		}
	}
}

// cannedAJPBackend answers every FORWARD_REQUEST with the same small reply (status, two
// headers, a 5-byte body, END_RESPONSE) in one write, allocating nothing, so that a benchmark
// counts the gateway's own work. It answers CPING too.
func cannedAJPBackend(b *testing.B) string {
	b.Helper()
	sh := ajp.SendHeaders{Status: 200, Reason: "200", Headers: []ajp.Header{
		{Name: "Content-Type", Value: "text/html;charset=UTF-8"}, {Name: "Content-Length", Value: "5"}}}
	reply, err := sh.AppendPacket(nil, ajp.DefaultPacketSize)
	if err != nil {
		b.Fatal(err)
	}
	reply = ajp.AppendEndResponse(ajp.AppendBodyChunk(reply, []byte("hello")), true)
	cpong := ajp.AppendCPong(nil)
	return cannedBackend(b, func(nc net.Conn) {
		pr := ajp.NewPacketReader(nc, ajp.MagicToContainer, ajp.DefaultPacketSize)
		for {
			p, err := pr.Next()
			if err != nil {
				return
			}
			out := reply
			if len(p) == 1 && ajp.MessageType(p[0]) == ajp.TypeCPing {
				out = cpong
			}
			if _, err := nc.Write(out); err != nil {
				return
			}
		}
	})
}

// cannedBackend serves each connection of a loopback listener with serve, which need not close it.
func cannedBackend(b *testing.B, serve func(nc net.Conn)) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				serve(nc)
			}()
		}
	}()
	return l.Addr().String()
}

// BenchmarkGatewayAJP is the gateway's own cost per AJP request: one request (reused, with a
// cancellable context like the server's) through routing, balancing and the AJP relay to a
// canned backend, into a discarding writer.
func BenchmarkGatewayAJP(b *testing.B) { benchGateway(b, ajpService("app"), cannedAJPBackend(b)) }

// BenchmarkFrontDoorAJP is one keep-alive request per iteration through the whole gateway as
// it runs: the public server (pkg/h1) on loopback, routing, the AJP relay, a canned backend.
// The client writes a fixed request and reads the answer without allocating, so allocs/op is
// the gateway's: its server's and its AJP path's.
func BenchmarkFrontDoorAJP(b *testing.B) { benchFrontDoor(b, ajpService("app"), cannedAJPBackend(b)) }

// benchGateway measures the gateway's own work per request of service spec ("app") with one
// backend at addr; see BenchmarkGatewayAJP.
func benchGateway(b *testing.B, spec admin.ServiceSpec, addr string) {
	g := newTestGateway(b, nil)
	mustPut(b, g, spec)
	mustAdd(b, g, "app", admin.BackendSpec{Name: "a", Address: addr})
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

// benchFrontDoor measures one keep-alive request through the whole gateway to service spec
// ("app") with one backend at addr; see BenchmarkFrontDoorAJP.
func benchFrontDoor(b *testing.B, spec admin.ServiceSpec, addr string) {
	g := newTestGateway(b, nil)
	mustPut(b, g, spec)
	mustAdd(b, g, "app", admin.BackendSpec{Name: "a", Address: addr})
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

// skipAnswer reads one answer with a Content-Length body off br, allocating nothing.
func skipAnswer(br *bufio.Reader) error {
	length := -1
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if first && !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
			return fmt.Errorf("answer %q", line)
		}
		if len(line) <= 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			length = 0
			for _, c := range bytes.TrimSpace(v) {
				length = length*10 + int(c-'0')
			}
		}
	}
	if length < 0 {
		return errors.New("an answer without Content-Length")
	}
	_, err := br.Discard(length)
	return err
}
