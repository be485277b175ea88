// Package memtarget keeps a process's Go memory near a target: a soft memory limit for the
// runtime that never makes the garbage collector run without pause.
//
// The gateway shares its machine with Tomcat. Left to GOGC=100 alone, a burst of a thousand
// clients lets the heap grow to twice what is live, and the runtime keeps most of it for minutes.
// A memory limit (debug.SetMemoryLimit) makes the collector run earlier instead, as the process
// nears the target. But a fixed limit below what is live makes the collector run back to back
// (the runtime then caps it at half the CPU): so the limit follows the live heap, never less
// than live × 1.5 plus what is not heap, and the target is a floor, not a ceiling.
package memtarget

import (
	"context"
	"log/slog"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// interval is how often the limit follows the live heap.
const interval = time.Second

// Usage is what the limit is computed from, in bytes.
type Usage struct {
	Live   uint64 // heap marked live by the last collection
	NonGC  uint64 // mapped and not released, outside the heap's objects: stacks, runtime metadata
	Mapped uint64 // all the runtime holds from the OS and has not released
	Free   uint64 // heap spans free and not released
	Heap   uint64 // heap objects, live or dead but not yet collected
}

// Held is the heap held from the OS: its objects, dead or alive, and its free spans not released.
func (u Usage) Held() uint64 { return u.Heap + u.Free }

// Limit is the memory limit for target (bytes) at u: the target, or more when the live heap
// with its headroom and what is not heap need more.
func Limit(target int64, u Usage) int64 {
	// Half the live heap again for new allocations: the collector never runs more often than
	// GOGC=50 would make it.
	if u.Live > math.MaxInt64/3 || u.NonGC > math.MaxInt64-u.Live-u.Live/2 {
		return math.MaxInt64
	}
	need := u.Live + u.Live/2
	return max(target, int64(u.NonGC+need))
}

var sampleNames = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
}

// Read samples the runtime's memory figures.
func Read() Usage {
	s := make([]metrics.Sample, len(sampleNames))
	for i, n := range sampleNames {
		s[i].Name = n
	}
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	live, total, released, objects, unused, free := v(0), v(1), v(2), v(3), v(4), v(5)
	mapped := sub(total, released)
	return Usage{Live: live, Mapped: mapped, NonGC: sub(mapped, objects+unused+free), Free: free, Heap: objects}
}

func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// Keeper holds the limit of one process.
type Keeper struct {
	target int64
	limit  int64
	log    *slog.Logger
}

// New returns a Keeper for target bytes (> 0) and sets the first limit.
func New(target int64, log *slog.Logger) *Keeper {
	k := &Keeper{target: target, log: log}
	k.Adjust()
	return k
}

// Adjust sets the limit for the memory in use now and returns it.
func (k *Keeper) Adjust() int64 {
	limit := Limit(k.target, Read())
	if limit != k.limit {
		debug.SetMemoryLimit(limit)
		if k.limit != 0 && (limit == k.target) != (k.limit == k.target) {
			k.log.Debug("Go memory limit follows the live heap", "limit_bytes", limit, "target_bytes", k.target)
		}
		k.limit = limit
	}
	return limit
}

// Run adjusts the limit every second until ctx ends, then lifts it.
func (k *Keeper) Run(ctx context.Context) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			debug.SetMemoryLimit(math.MaxInt64)
			return
		case <-t.C:
			k.Adjust()
		}
	}
}
