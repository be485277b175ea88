package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/internal/procmetrics"
)

// BenchmarkMetricsScrape: one scrape of /metrics (a service with two backends), written to a
// discarding writer: the gateway's own families and the process and Go runtime collectors.
func BenchmarkMetricsScrape(b *testing.B) {
	g := newTestGateway(b, nil)
	mustPut(b, g, httpService("app"))
	mustAdd(b, g, "app", admin.BackendSpec{Name: "a", Address: startStatusBackend(b, admin.HTTP)})
	mustAdd(b, g, "app", admin.BackendSpec{Name: "b", Address: startStatusBackend(b, admin.HTTP)})
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	b.ReportAllocs()
	for b.Loop() {
		g.serveMetrics(&discardWriter{h: http.Header{}}, req)
	}
}

// BenchmarkProcessMetrics: the process and Go runtime collectors alone, as a scrape runs them.
func BenchmarkProcessMetrics(b *testing.B) {
	r := procmetrics.New()
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Write(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
