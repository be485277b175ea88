package gateway

import (
	"context"
	"math"
	"sync"
	"time"
)

// What the status page charts: each backend's counters sampled every historyEvery, the last
// historyLen samples kept (six minutes), so that a person sees requests/s, the error rate and
// the p95 latency of every backend, the old and the new version side by side during a deploy, without a Prometheus.
const (
	historyEvery = 5 * time.Second
	historyLen   = 73 // 72 intervals
)

// trafficSample is a backend's cumulative counters at one moment.
type trafficSample struct {
	at int64 // unix nanoseconds; 0: no sample
	backendCounters
}

// trafficHistory is a ring of a backend's samples, oldest first once full.
type trafficHistory struct {
	mu   sync.Mutex
	ring [historyLen]trafficSample
	next int // where the next sample goes
}

func (h *trafficHistory) add(s trafficSample) {
	h.mu.Lock()
	h.ring[h.next] = s
	h.next = (h.next + 1) % historyLen
	h.mu.Unlock()
}

// minuteAgo returns the counters a minute before now, for figures over the last minute: those
// of the newest sample at least a minute old, else of the oldest one (a backend younger than a
// minute, or the ring not yet round), else zero (no sample yet: since the backend came).
func (h *trafficHistory) minuteAgo(now time.Time) backendCounters {
	limit := now.Add(-time.Minute).UnixNano()
	h.mu.Lock()
	defer h.mu.Unlock()
	var best, oldest *trafficSample
	for i := range h.ring {
		s := &h.ring[i]
		if s.at == 0 || s.at > now.UnixNano() {
			continue
		}
		if s.at <= limit && (best == nil || s.at > best.at) {
			best = s
		}
		if oldest == nil || s.at < oldest.at {
			oldest = s
		}
	}
	switch {
	case best != nil:
		return best.backendCounters
	case oldest != nil:
		return oldest.backendCounters
	}
	return backendCounters{}
}

// trafficSeries are a backend's figures per interval between samples, oldest first, aligned
// to the right: the last value is the latest interval, and intervals before the backend's first
// sample are NaN.
type trafficSeries struct {
	perSecond []float64 // requests/s, answered or failed
	errorRate []float64 // failed (5xx or no answer) ÷ requests, in %; NaN without requests
	p95       []float64 // the answers' 95th percentile latency, in ms; NaN without answers
}

// series computes the figures of the last historyLen-1 intervals.
func (h *trafficHistory) series() trafficSeries {
	h.mu.Lock()
	var samples [historyLen]trafficSample
	for i := range samples {
		samples[i] = h.ring[(h.next+i)%historyLen]
	}
	h.mu.Unlock()
	const n = historyLen - 1
	out := trafficSeries{perSecond: make([]float64, n), errorRate: make([]float64, n), p95: make([]float64, n)}
	for i := 1; i < historyLen; i++ {
		out.perSecond[i-1], out.errorRate[i-1], out.p95[i-1] = interval(samples[i-1], samples[i])
	}
	return out
}

// interval computes the figures between two samples; NaN where there is none.
func interval(prev, cur trafficSample) (perSecond, errorRate, p95 float64) {
	perSecond, errorRate, p95 = math.NaN(), math.NaN(), math.NaN()
	// A counter that went down is a backend that came back under the same name: no figure.
	if prev.at == 0 || cur.at <= prev.at || !cur.covers(prev.backendCounters) {
		return perSecond, errorRate, p95
	}
	d := cur.sub(prev.backendCounters)
	reqs := float64(d.requests())
	perSecond = reqs / (float64(cur.at-prev.at) / float64(time.Second))
	if reqs > 0 {
		errorRate = 100 * min(float64(d.failed())/reqs, 1)
	}
	if q, ok := d.Latency.quantile(0.95); ok {
		p95 = float64(q) / float64(time.Millisecond)
	}
	return perSecond, errorRate, p95
}

// sampleOf reads a backend's counters for its history.
func sampleOf(b *backend, now time.Time) trafficSample {
	return trafficSample{at: now.UnixNano(), backendCounters: b.counters()}
}

// recordTraffic samples every backend of every service each historyEvery.
func (g *Gateway) recordTraffic(ctx context.Context) {
	every(ctx, g.cfg.historyEvery, g.sampleTraffic)
}

func (g *Gateway) sampleTraffic(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.services {
		for _, m := range s.snap.Load().members {
			m.b.history.add(sampleOf(m.b, now))
		}
	}
}
