package gateway

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// A burst of clients (a thousand keep-alive connections, each with a request waiting for Tomcat)
// needs tens of MiB; once it is over, the Go runtime keeps most of that memory for minutes before
// it gives it back. The gateway shares its machine with Tomcat, so when traffic stops it returns
// the free memory to the operating system at once.

// idleReleaseThreshold is how much free heap is worth a release (a garbage collection).
const idleReleaseThreshold = 8 << 20

// releaseIdleMemory checks every second whether traffic stopped (trafficStop) and, if more than
// idleReleaseThreshold of the heap is free, returns the free memory to the OS.
func (g *Gateway) releaseIdleMemory(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	stop := trafficStop{last: g.served.Load()}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !stop.tick(g.served.Load()) {
			continue
		}
		metrics.Read(sample)
		if free := sample[0].Value.Uint64(); free > idleReleaseThreshold {
			debug.FreeOSMemory()
			g.log.Debug("traffic stopped: free memory returned to the OS", "free_heap_bytes", free)
		}
	}
}

// trafficStop tells, from the count of requests served sampled at each tick, when traffic just
// stopped: the first tick without a request after ticks with some.
type trafficStop struct {
	last uint64
	busy bool
}

func (s *trafficStop) tick(served uint64) bool {
	if served != s.last {
		s.last, s.busy = served, true
		return false
	}
	stopped := s.busy
	s.busy = false
	return stopped
}
