package gateway

import (
	"math"
	"time"
)

// backendCounters is a backend's cumulative counters at one moment.
type backendCounters struct {
	Responses       [5]uint64 // by status class: [0] 1xx … [4] 5xx
	TransportErrors uint64    // requests the backend failed (no answer)
	Latency         latencySnapshot
}

// latencySnapshot is a latency histogram at one moment.
type latencySnapshot struct {
	Buckets [len(latencyBuckets) + 1]uint64 // per bucket, not cumulative; the last is +Inf
	SumNs   int64
}

// statusClass is the index in backendCounters.Responses of an answer's status: 1xx … 5xx. A
// status past 599 (the wire allows up to 999) is no answer a client can act on: it counts as
// a 5xx, a failure of the backend.
func statusClass(status int) int {
	return min(max(status/100-1, 0), 4)
}

// counters reads b's counters.
func (b *backend) counters() backendCounters {
	var c backendCounters
	for i := range b.responses {
		c.Responses[i] = b.responses[i].Load()
	}
	c.TransportErrors = b.errors.Load()
	c.Latency = b.latency.snapshot()
	return c
}

// sub is what happened between old and c, two snapshots of one backend. A counter that went
// down (a backend that came back under the same name) gives 0 rather than wrapping around.
func (c backendCounters) sub(old backendCounters) backendCounters {
	var d backendCounters
	for i := range c.Responses {
		d.Responses[i] = minus(c.Responses[i], old.Responses[i])
	}
	d.TransportErrors = minus(c.TransportErrors, old.TransportErrors)
	d.Latency = c.Latency.sub(old.Latency)
	return d
}

// add sums two backends' counters (a side of a canary).
func (c backendCounters) add(o backendCounters) backendCounters {
	for i := range c.Responses {
		c.Responses[i] += o.Responses[i]
	}
	c.TransportErrors += o.TransportErrors
	for i := range c.Latency.Buckets {
		c.Latency.Buckets[i] += o.Latency.Buckets[i]
	}
	c.Latency.SumNs += o.Latency.SumNs
	return c
}

// covers reports whether no counter of c is below old's: c can follow old, in one backend's life.
func (c backendCounters) covers(old backendCounters) bool {
	for i := range c.Responses {
		if c.Responses[i] < old.Responses[i] {
			return false
		}
	}
	for i := range c.Latency.Buckets {
		if c.Latency.Buckets[i] < old.Latency.Buckets[i] {
			return false
		}
	}
	return c.TransportErrors >= old.TransportErrors
}

// requests counts the requests the backend took: answered or failed.
func (c backendCounters) requests() uint64 { return c.answered() + c.TransportErrors }

// answered counts the requests the backend answered, whatever the status.
func (c backendCounters) answered() uint64 {
	var n uint64
	for _, v := range c.Responses {
		n += v
	}
	return n
}

// failed counts the requests the backend failed: a 5xx answer or none.
func (c backendCounters) failed() uint64 { return c.Responses[4] + c.TransportErrors }

func (l latencySnapshot) sub(old latencySnapshot) latencySnapshot {
	var d latencySnapshot
	for i := range l.Buckets {
		d.Buckets[i] = minus(l.Buckets[i], old.Buckets[i])
	}
	d.SumNs = max(l.SumNs-old.SumNs, 0)
	return d
}

// count is the number of samples.
func (l latencySnapshot) count() uint64 {
	var n uint64
	for _, v := range l.Buckets {
		n += v
	}
	return n
}

// cumulative returns the count of each bucket including all smaller ones, and the total, as
// Prometheus writes a histogram.
func (l latencySnapshot) cumulative() (buckets [len(latencyBuckets)]uint64, total uint64, sum time.Duration) {
	for i := range latencyBuckets {
		total += l.Buckets[i]
		buckets[i] = total
	}
	total += l.Buckets[len(latencyBuckets)]
	return buckets, total, time.Duration(l.SumNs)
}

// quantile estimates the q-quantile (0 ≤ q ≤ 1) of the samples as Prometheus's
// histogram_quantile does: linearly within the bucket it falls in, from 0 for the first
// bucket. A quantile that falls in +Inf is the largest finite bound, the most that can be
// said. ok is false without samples.
func (l latencySnapshot) quantile(q float64) (d time.Duration, ok bool) {
	total := l.count()
	if total == 0 || math.IsNaN(q) {
		return 0, false
	}
	rank := min(max(q, 0), 1) * float64(total)
	var below uint64
	for i, n := range l.Buckets {
		if n == 0 || float64(below+n) < rank {
			below += n
			continue
		}
		if i == len(latencyBuckets) {
			break
		}
		lower := 0.0
		if i > 0 {
			lower = latencyBuckets[i-1]
		}
		s := lower + (latencyBuckets[i]-lower)*(rank-float64(below))/float64(n)
		return time.Duration(s * float64(time.Second)), true
	}
	return time.Duration(latencyBuckets[len(latencyBuckets)-1] * float64(time.Second)), true
}

// minus is a-b, or 0 when b is larger.
func minus(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}
