package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
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
