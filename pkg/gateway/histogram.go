package gateway

import (
	"sync/atomic"
	"time"
)

// latencyBuckets are the upper bounds, in seconds, of the request latency histogram.
var latencyBuckets = [...]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// histogram is a lock-free Prometheus-style latency histogram.
type histogram struct {
	counts [len(latencyBuckets) + 1]atomic.Uint64 // the last one is +Inf
	sumNs  atomic.Int64
}

// observe counts one request that took d.
func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(latencyBuckets) && s > latencyBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

// snapshot reads the histogram's buckets and sum. Concurrent observations may land between
// two loads: a snapshot is consistent per bucket, not across them, as a Prometheus scrape is.
func (h *histogram) snapshot() latencySnapshot {
	var l latencySnapshot
	for i := range h.counts {
		l.Buckets[i] = h.counts[i].Load()
	}
	l.SumNs = h.sumNs.Load()
	return l
}
