package gateway

import (
	"context"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/rollcd/roll/pkg/internal/memtarget"
)

// A burst of clients (a thousand keep-alive connections, each with a request waiting for Tomcat)
// needs tens of MiB; once it is over, the Go runtime keeps most of that memory for minutes before
// it gives it back. The gateway shares its machine with Tomcat, so when traffic stops it returns
// the free memory to the operating system at once.

// idleReleaseThreshold is how much heap held from the OS is worth a release (two collections):
// a gateway that served a little holds 4–6 MiB.
const idleReleaseThreshold = 8 << 20

// releaseIdleMemory checks every second whether traffic stopped (trafficStop) and, if more than
// idleReleaseThreshold of heap is held (live or not: right after a burst most of it is garbage and
// buffers pooled for the burst's connections, which count as in use until collections that a
// quiet gateway allocates too little to trigger), collects and returns what is free to the OS.
func (g *Gateway) releaseIdleMemory(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
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
		if held := memtarget.Read().Held(); held > idleReleaseThreshold {
			// The first collection moves the pooled buffers of the burst (sync.Pool: a 4 KiB reader
			// per client connection it had) to the pools' victim caches; the second frees them.
			runtime.GC()
			debug.FreeOSMemory()
			g.log.Debug("traffic stopped: free memory returned to the OS", "heap_held_bytes", held)
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
