package gateway

import (
	"context"
	"math"
	"sync"
	"time"
)

// What the status page charts: each backend's counters sampled every historyEvery, the last
// historyLen samples kept (six minutes), so that a person sees requests/s and the error rate of
// every backend, the old and the new version side by side during a deploy, without a Prometheus.
const (
	historyEvery = 5 * time.Second
	historyLen   = 73 // 72 intervals
)

// trafficSample is a backend's cumulative counters at one moment.
type trafficSample struct {
	at       int64 // unix nanoseconds; 0: no sample
	requests uint64
	failed   uint64 // requests that got no answer (transport errors)
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

// trafficSeries are a backend's figures per interval between samples, oldest first, aligned
// to the right: the last value is the latest interval, and intervals before the backend's first
// sample are NaN.
type trafficSeries struct {
	perSecond []float64 // requests/s
	errorRate []float64 // failed ÷ requests, in %; NaN without requests
}

// series computes the figures of the last historyLen-1 intervals.
func (h *trafficHistory) series() trafficSeries {
	h.mu.Lock()
	var samples [historyLen]trafficSample
	for i := range samples {
		samples[i] = h.ring[(h.next+i)%historyLen]
	}
	h.mu.Unlock()
	out := trafficSeries{perSecond: make([]float64, historyLen-1), errorRate: make([]float64, historyLen-1)}
	for i := 1; i < historyLen; i++ {
		prev, cur := samples[i-1], samples[i]
		rate, errs := math.NaN(), math.NaN()
		// A counter that went down is a backend that came back under the same name: no figure.
		if prev.at != 0 && cur.at > prev.at && cur.requests >= prev.requests && cur.failed >= prev.failed {
			reqs := float64(cur.requests - prev.requests)
			rate = reqs / (float64(cur.at-prev.at) / float64(time.Second))
			if reqs > 0 {
				errs = 100 * min(float64(cur.failed-prev.failed)/reqs, 1)
			}
		}
		out.perSecond[i-1], out.errorRate[i-1] = rate, errs
	}
	return out
}

// sampleOf reads a backend's counters for its history.
func sampleOf(b *backend, now time.Time) trafficSample {
	return trafficSample{at: now.UnixNano(), requests: b.requests.Load(), failed: b.errors.Load()}
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
