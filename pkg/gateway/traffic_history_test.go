package gateway

import (
	"math"
	"testing"
	"time"
)

func TestTrafficHistorySeries(t *testing.T) {
	var h trafficHistory
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC).UnixNano()
	at := func(i int) int64 { return t0 + int64(i)*int64(historyEvery) }
	h.add(trafficSample{at: at(0), requests: 1000, failed: 10})
	h.add(trafficSample{at: at(1), requests: 1500, failed: 10}) // 100 req/s, 0 %
	h.add(trafficSample{at: at(2), requests: 2000, failed: 60}) // 100 req/s, 10 %
	h.add(trafficSample{at: at(3), requests: 2000, failed: 60}) // idle: 0 req/s, no rate
	h.add(trafficSample{at: at(4), requests: 5, failed: 0})     // came back: no figure
	h.add(trafficSample{at: at(5), requests: 30, failed: 30})   // 5 req/s, all failed
	s := h.series()
	n := historyLen - 1
	if len(s.perSecond) != n || len(s.errorRate) != n {
		t.Fatalf("series of %d and %d intervals, want %d", len(s.perSecond), len(s.errorRate), n)
	}
	wantRate := []float64{100, 100, 0, math.NaN(), 5}
	wantErr := []float64{0, 10, math.NaN(), math.NaN(), 100}
	for i := range wantRate {
		j := n - len(wantRate) + i
		if !same(s.perSecond[j], wantRate[i]) || !same(s.errorRate[j], wantErr[i]) {
			t.Errorf("interval %d: %v req/s, %v %% failed; want %v, %v", i, s.perSecond[j], s.errorRate[j], wantRate[i], wantErr[i])
		}
	}
	for j := 0; j < n-len(wantRate); j++ {
		if !math.IsNaN(s.perSecond[j]) || !math.IsNaN(s.errorRate[j]) {
			t.Fatalf("interval %d before the first sample has figures %v, %v", j, s.perSecond[j], s.errorRate[j])
		}
	}
	// The ring keeps the newest: after many more samples the oldest are gone.
	for i := 6; i < 6+historyLen; i++ {
		h.add(trafficSample{at: at(i), requests: uint64(30 + 50*(i-5))})
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
