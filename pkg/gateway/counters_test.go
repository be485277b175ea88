package gateway

import (
	"math"
	"testing"
	"time"
)

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]int{100: 0, 101: 0, 103: 0, 200: 1, 204: 1, 299: 1, 301: 2, 304: 2, 404: 3, 499: 3, 500: 4, 503: 4, 599: 4, 600: 4, 999: 4} {
		if got := statusClass(status); got != want {
			t.Errorf("statusClass(%d) = %d, want %d", status, got, want)
		}
	}
}

// latencyOf records the given durations in a histogram and returns its snapshot.
func latencyOf(ds ...time.Duration) latencySnapshot {
	var h histogram
	for _, d := range ds {
		h.observe(d)
	}
	return h.snapshot()
}

// repeat returns n copies of d.
func repeat(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestLatencyQuantile(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name    string
		samples []time.Duration
		q       float64
		want    time.Duration
	}{
		// 100 samples in (5 ms, 10 ms]: the 95th is 95 % of the way through the bucket.
		{"within one bucket", repeat(100, 7*ms), 0.95, 9750 * time.Microsecond},
		// 90 fast (≤ 1 ms) and 10 in (250 ms, 500 ms]: the 95th is half-way through the slow bucket.
		{"in the slow tail", append(repeat(90, ms/2), repeat(10, 300*ms)...), 0.95, 375 * ms},
		// The median of the same lies in the first bucket, interpolated from 0.
		{"the first bucket starts at 0", append(repeat(90, ms/2), repeat(10, 300*ms)...), 0.5, 555555 * time.Nanosecond},
		{"everything past the last bound", repeat(3, time.Minute), 0.95, 30 * time.Second},
		{"q of 1 is the top of the highest bucket", append(repeat(9, ms/2), 40*ms), 1, 50 * ms},
		{"a q above 1 is 1", append(repeat(9, ms/2), 40*ms), 7, 50 * ms},
		{"a bound belongs to its bucket", repeat(4, 10*ms), 0.5, 7500 * time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := latencyOf(tc.samples...).quantile(tc.q)
			if !ok {
				t.Fatalf("quantile(%v) of %d samples: none", tc.q, len(tc.samples))
			}
			if diff := got - tc.want; diff < -time.Microsecond || diff > time.Microsecond {
				t.Fatalf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
	if d, ok := (latencySnapshot{}).quantile(0.95); ok {
		t.Errorf("quantile of no samples = %v, true; want false", d)
	}
	if d, ok := latencyOf(ms).quantile(math.NaN()); ok {
		t.Errorf("quantile(NaN) = %v, true; want false", d)
	}
}

func TestBackendCounters(t *testing.T) {
	b := newBackend("a", "127.0.0.1:1")
	if c := b.counters(); c.requests() != 0 || c.failed() != 0 {
		t.Fatalf("a new backend's counters: %+v", c)
	}
	answer := func(status int, d time.Duration) {
		b.responses[statusClass(status)].Add(1)
		b.latency.observe(d)
	}
	answer(200, 2*time.Millisecond)
	answer(101, time.Millisecond)
	old := b.counters()
	for range 6 {
		answer(200, 3*time.Millisecond)
	}
	answer(302, 3*time.Millisecond)
	answer(404, 3*time.Millisecond)
	answer(500, 400*time.Millisecond)
	answer(503, 400*time.Millisecond)
	b.errors.Add(2)
	cur := b.counters()
	if cur.Responses != [5]uint64{1, 7, 1, 1, 2} || cur.TransportErrors != 2 {
		t.Fatalf("counters %+v, want responses [1 7 1 1 2] and 2 transport errors", cur)
	}
	if got := cur.requests(); got != 14 {
		t.Errorf("requests() = %d, want 14 (12 answers and 2 failures)", got)
	}
	if got := cur.failed(); got != 4 {
		t.Errorf("failed() = %d, want 4 (two 5xx, two without an answer)", got)
	}

	d := cur.sub(old)
	if d.Responses != [5]uint64{0, 6, 1, 1, 2} || d.TransportErrors != 2 || d.requests() != 12 || d.failed() != 4 {
		t.Fatalf("between the snapshots: %+v, want responses [0 6 1 1 2], 2 transport errors", d)
	}
	if n, want := d.Latency.count(), uint64(10); n != want {
		t.Errorf("latency samples between the snapshots: %d, want %d", n, want)
	}
	if sum, want := time.Duration(d.Latency.SumNs), 8*3*time.Millisecond+800*time.Millisecond; sum != want {
		t.Errorf("latency sum between the snapshots: %v, want %v", sum, want)
	}
	// 8 of 10 in (2.5 ms, 5 ms], 2 in (250 ms, 500 ms]: the 95th is 75 % into the slow bucket.
	if p95, ok := d.Latency.quantile(0.95); !ok || p95 != 437500*time.Microsecond {
		t.Errorf("p95 between the snapshots = %v, %v; want 437.5ms", p95, ok)
	}

	// A backend that came back under the same name has smaller counters: nothing, not a wrap.
	back := old.sub(cur)
	if back.requests() != 0 || back.failed() != 0 || back.Latency.count() != 0 || back.Latency.SumNs != 0 {
		t.Errorf("old.sub(newer) = %+v, want all zero", back)
	}
	if _, ok := back.Latency.quantile(0.95); ok {
		t.Errorf("a quantile of an empty difference")
	}
	if !cur.covers(old) || old.covers(cur) {
		t.Errorf("covers: the newer covers the older, not the other way round")
	}
}

// The request path's bookkeeping does not allocate: a few atomic adds per answer.
func TestCountersDoNotAllocate(t *testing.T) {
	b := newBackend("a", "127.0.0.1:1")
	if n := testing.AllocsPerRun(100, func() {
		b.responses[statusClass(200)].Add(1)
		b.latency.observe(3 * time.Millisecond)
	}); n != 0 {
		t.Errorf("counting an answer allocates %v times", n)
	}
}
