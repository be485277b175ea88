package gateway

import (
	"math"
	"testing"
	"time"
)

// trafficAt is a sample at t of a backend that answered ok 2xx in 2 ms each and fiveXX 5xx in
// 400 ms each, and failed without an answer errs times.
func trafficAt(t int64, ok, fiveXX, errs uint64) trafficSample {
	s := trafficSample{at: t}
	s.Responses[1], s.Responses[4], s.TransportErrors = ok, fiveXX, errs
	s.Latency.Buckets[1], s.Latency.Buckets[8] = ok, fiveXX // (1 ms, 2.5 ms] and (250 ms, 500 ms]
	s.Latency.SumNs = int64(ok)*int64(2*time.Millisecond) + int64(fiveXX)*int64(400*time.Millisecond)
	return s
}

func TestTrafficHistorySeries(t *testing.T) {
	var h trafficHistory
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC).UnixNano()
	at := func(i int) int64 { return t0 + int64(i)*int64(historyEvery) }
	h.add(trafficAt(at(0), 1000, 0, 10))
	h.add(trafficAt(at(1), 1500, 0, 10))  // 100 req/s, 0 %, p95 in the 2 ms bucket
	h.add(trafficAt(at(2), 1950, 25, 35)) // 100 req/s, 10 % (5xx and transport errors), p95 in the slow bucket
	h.add(trafficAt(at(3), 1950, 25, 35)) // idle: 0 req/s, no rate, no p95
	h.add(trafficAt(at(4), 5, 0, 0))      // came back: no figure
	h.add(trafficAt(at(5), 5, 0, 25))     // 5 req/s, all failed, no answer so no p95
	s := h.series()
	n := historyLen - 1
	if len(s.perSecond) != n || len(s.errorRate) != n || len(s.p95) != n {
		t.Fatalf("series of %d, %d and %d intervals, want %d", len(s.perSecond), len(s.errorRate), len(s.p95), n)
	}
	nan := math.NaN()
	wantRate := []float64{100, 100, 0, nan, 5}
	wantErr := []float64{0, 10, nan, nan, 100}
	// 500 in (1, 2.5] ms: 95 % through it; then 450 fast, 25 slow: rank 451.25 is 1.25 of 25 into (250, 500] ms.
	wantP95 := []float64{1 + 1.5*0.95, 250 + 250*1.25/25, nan, nan, nan}
	for i := range wantRate {
		j := n - len(wantRate) + i
		if !same(s.perSecond[j], wantRate[i]) || !same(s.errorRate[j], wantErr[i]) || !same(s.p95[j], wantP95[i]) {
			t.Errorf("interval %d: %v req/s, %v %% failed, p95 %v ms; want %v, %v, %v", i, s.perSecond[j], s.errorRate[j], s.p95[j], wantRate[i], wantErr[i], wantP95[i])
		}
	}
	for j := 0; j < n-len(wantRate); j++ {
		if !math.IsNaN(s.perSecond[j]) || !math.IsNaN(s.errorRate[j]) || !math.IsNaN(s.p95[j]) {
			t.Fatalf("interval %d before the first sample has figures %v, %v, %v", j, s.perSecond[j], s.errorRate[j], s.p95[j])
		}
	}
	// The ring keeps the newest: after many more samples the oldest are gone.
	for i := 6; i < 6+historyLen; i++ {
		h.add(trafficAt(at(i), uint64(5+50*(i-5)), 0, 25))
	}
	s = h.series()
	for j, v := range s.perSecond {
		if v != 10 {
			t.Fatalf("after the ring turned, interval %d is %v req/s, want 10", j, v)
		}
	}
}

func same(a, b float64) bool {
	return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) < 1e-9
}

// The figures over the last minute start from the newest sample at least a minute old, else
// the oldest there is, else the backend's start.
func TestTrafficHistoryMinuteAgo(t *testing.T) {
	var h trafficHistory
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * historyEvery) }
	if c := h.minuteAgo(t0); c.requests() != 0 {
		t.Fatalf("without samples: %+v, want zero", c)
	}
	h.add(trafficAt(at(14).UnixNano(), 140, 0, 0))
	h.add(trafficAt(at(15).UnixNano(), 150, 0, 0))
	if c := h.minuteAgo(at(15).Add(2 * time.Second)); c.Responses[1] != 140 {
		t.Fatalf("a backend younger than a minute: from %d answers, want the oldest sample's 140", c.Responses[1])
	}
	h = trafficHistory{}
	for i := range 16 {
		h.add(trafficAt(at(i).UnixNano(), uint64(10*i), 0, 0))
	}
	// 77 s after t0: a minute back is 17 s, and the newest sample before is the one at 15 s.
	if c := h.minuteAgo(at(15).Add(2 * time.Second)); c.Responses[1] != 30 {
		t.Fatalf("from %d answers, want the sample at 15 s (30)", c.Responses[1])
	}
}
