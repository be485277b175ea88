package gateway

import (
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rollcd/roll/pkg/admin"
)

// scrape reads /metrics with Prometheus's own text parser, which refuses a malformed line, a
// family written twice or samples of one family apart.
func scrape(t *testing.T, g *testGateway) map[string]*dto.MetricFamily {
	t.Helper()
	code, body, _ := adminDo(t, "GET", g.AdminURL+"/metrics", testToken, "")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return mfs
}

// value is the value of the sample of family name whose labels include want (pairs), or of its
// _count for a histogram; -1 if there is none.
func value(mfs map[string]*dto.MetricFamily, name string, want ...string) float64 {
	mf := mfs[name]
	if mf == nil {
		return -1
	}
next:
	for _, m := range mf.GetMetric() {
		for i := 0; i < len(want); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == want[i] && l.GetValue() == want[i+1])
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		case m.Summary != nil:
			return float64(m.Summary.GetSampleCount())
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
	}
	return -1
}

// histogramOf is the histogram of family name with the labels (pairs), or nil.
func histogramOf(mfs map[string]*dto.MetricFamily, name string, want ...string) *dto.Histogram {
	mf := mfs[name]
	if mf == nil {
		return nil
	}
	for _, m := range mf.GetMetric() {
		ok := true
		for i := 0; i < len(want); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == want[i] && l.GetValue() == want[i+1])
			}
			ok = ok && found
		}
		if ok {
			return m.Histogram
		}
	}
	return nil
}

// /metrics, read by Prometheus's parser, has every family with its type (roll's own and the
// standard process and Go runtime ones), and the per-backend families move with real traffic
// through a real backend on loopback: answers by status class, the latency histogram, and
// transport errors apart from answers.
func TestMetricsParseAndMoveWithTraffic(t *testing.T) {
	g := newTestGateway(t, nil)
	mustPut(t, g, httpService("app"))
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: startStatusBackend(t, admin.HTTP)})
	before := scrape(t, g)
	for _, f := range []struct {
		name string
		typ  dto.MetricType
	}{
		{"roll_backend_requests_total", dto.MetricType_COUNTER},
		{"roll_backend_responses_total", dto.MetricType_COUNTER},
		{"roll_backend_errors_total", dto.MetricType_COUNTER},
		{"roll_backend_request_duration_seconds", dto.MetricType_HISTOGRAM},
		{"roll_backend_in_flight", dto.MetricType_GAUGE},
		{"roll_backend_sessions", dto.MetricType_GAUGE},
		{"roll_backend_healthy", dto.MetricType_GAUGE},
		{"roll_backend_activation", dto.MetricType_GAUGE},
		{"roll_client_errors_total", dto.MetricType_COUNTER},
		{"roll_request_duration_seconds", dto.MetricType_HISTOGRAM},
		{"process_cpu_seconds_total", dto.MetricType_COUNTER},
		{"process_resident_memory_bytes", dto.MetricType_GAUGE},
		{"process_virtual_memory_bytes", dto.MetricType_GAUGE},
		{"process_open_fds", dto.MetricType_GAUGE},
		{"process_max_fds", dto.MetricType_GAUGE},
		{"process_start_time_seconds", dto.MetricType_GAUGE},
		{"go_goroutines", dto.MetricType_GAUGE},
		{"go_threads", dto.MetricType_GAUGE},
		{"go_gc_duration_seconds", dto.MetricType_SUMMARY},
		{"go_info", dto.MetricType_GAUGE},
		{"go_memstats_alloc_bytes", dto.MetricType_GAUGE},
		{"go_memstats_heap_inuse_bytes", dto.MetricType_GAUGE},
		{"go_memstats_sys_bytes", dto.MetricType_GAUGE},
	} {
		mf := before[f.name]
		if mf == nil {
			t.Errorf("/metrics lacks the family %s", f.name)
			continue
		}
		if mf.GetType() != f.typ {
			t.Errorf("%s is a %v, want a %v", f.name, mf.GetType(), f.typ)
		}
	}
	for _, name := range []string{"process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds", "go_goroutines", "go_memstats_heap_inuse_bytes"} {
		if v := value(before, name); v <= 0 {
			t.Errorf("%s = %v, want a positive reading", name, v)
		}
	}

	sent := map[string]int{"": 5, "?status=404": 2, "?status=500": 3, "?sleep=300ms": 1}
	for q, n := range sent {
		for range n {
			get(t, g.URL+"/page"+q, "")
		}
	}
	ab := []string{"service", "app", "backend", "a"}
	var after map[string]*dto.MetricFamily
	eventually(t, 10*time.Second, "11 answers timed", func() bool {
		after = scrape(t, g)
		return value(after, "roll_backend_request_duration_seconds", ab...) == 11
	})
	moved := func(name string, labels ...string) float64 {
		return value(after, name, labels...) - value(before, name, labels...)
	}
	for code, want := range map[string]float64{"1xx": 0, "2xx": 6, "3xx": 0, "4xx": 2, "5xx": 3} {
		if got := moved("roll_backend_responses_total", append(ab, "code", code)...); got != want {
			t.Errorf("roll_backend_responses_total{code=%q} moved by %v, want %v", code, got, want)
		}
	}
	if got := moved("roll_backend_requests_total", ab...); got != 11 {
		t.Errorf("roll_backend_requests_total moved by %v, want 11", got)
	}
	if got := moved("roll_backend_errors_total", ab...); got != 0 {
		t.Errorf("roll_backend_errors_total moved by %v without a transport error", got)
	}
	h := histogramOf(after, "roll_backend_request_duration_seconds", ab...)
	if h.GetSampleSum() < 0.3 {
		t.Errorf("latency sum %v s, want at least the slow answer's 0.3 s", h.GetSampleSum())
	}
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == 0.25 && b.GetCumulativeCount() != 10 {
			t.Errorf("%d answers within 250 ms, want the 10 fast ones", b.GetCumulativeCount())
		}
	}

	// An unreachable backend: a transport error, no answer, nothing timed.
	mustAdd(t, g, "app", admin.BackendSpec{Name: "gone", Address: freeAddr(t)})
	mustPatch(t, g, "app", "a", admin.Stopped)
	if code, _ := get(t, g.URL+"/page", ""); code != http.StatusServiceUnavailable {
		t.Fatalf("GET with only an unreachable backend: %d, want 503", code)
	}
	last := scrape(t, g)
	gone := []string{"service", "app", "backend", "gone"}
	if v := value(last, "roll_backend_errors_total", gone...); v != 1 {
		t.Errorf("roll_backend_errors_total of the unreachable backend: %v, want 1", v)
	}
	if v := value(last, "roll_backend_responses_total", append(gone, "code", "5xx")...); v != 0 {
		t.Errorf("an unreachable backend's transport error counted as a 5xx answer: %v", v)
	}
	if v := value(last, "roll_backend_request_duration_seconds", gone...); v != 0 {
		t.Errorf("an unreachable backend has %v timed answers", v)
	}
	if v := value(last, "process_cpu_seconds_total"); v <= 0 {
		t.Errorf("process_cpu_seconds_total = %v after the traffic", v)
	}
}
