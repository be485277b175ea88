package memtarget

import (
	"io"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

const mib = 1 << 20

// The target is a floor: the limit rises with the live heap, leaving it half again as much to grow
// into beside what is not heap, so the collector never has to run back to back.
func TestLimitFollowsTheLiveHeap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target int64
		u      Usage
		want   int64
	}{
		{"small heap: the target", 40 * mib, Usage{Live: 4 * mib, NonGC: 10 * mib}, 40 * mib},
		{"just under", 40 * mib, Usage{Live: 20 * mib, NonGC: 10 * mib}, 40 * mib},
		{"past the target: live × 1.5 + the rest", 40 * mib, Usage{Live: 40 * mib, NonGC: 12 * mib}, 72 * mib},
		{"no headroom overflow", 1, Usage{Live: math.MaxUint64 / 2, NonGC: math.MaxUint64 / 2}, math.MaxInt64},
	} {
		if got := Limit(tc.target, tc.u); got != tc.want {
			t.Errorf("%s: Limit = %d MiB, want %d MiB", tc.name, got/mib, tc.want/mib)
		}
	}
}

// With the real runtime: the limit is the target while little is live, rises when much more is
// live than the target allows, and comes back down once it is freed. Garbage counts as
// held until a collection.
func TestKeeperWithTheRuntime(t *testing.T) {
	t.Cleanup(func() { debug.SetMemoryLimit(math.MaxInt64) })
	runtime.GC()
	k := New(32*mib, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if got := debug.SetMemoryLimit(-1); got != 32*mib {
		t.Fatalf("limit after New: %d MiB, want the 32 MiB target", got/mib)
	}

	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, mib)
	}
	runtime.GC()
	if got := k.Adjust(); got < 96*mib || debug.SetMemoryLimit(-1) != got {
		t.Errorf("with 64 MiB live: limit %d MiB (runtime %d MiB), want ≥ 96 MiB", got/mib, debug.SetMemoryLimit(-1)/mib)
	}
	if u := Read(); u.Live < 64*mib || u.Mapped < u.Live || u.NonGC == 0 {
		t.Errorf("Read with 64 MiB live: %+v", u)
	}

	runtime.KeepAlive(live)
	live = nil
	if h := Read().Held(); h < 64*mib {
		t.Errorf("64 MiB freed, not yet collected: the heap holds %d MiB, want ≥ 64", h/mib)
	}
	debug.FreeOSMemory()
	if h := Read().Held(); h > 16*mib {
		t.Errorf("after a collection and a release the heap still holds %d MiB", h/mib)
	}
	if got := k.Adjust(); got != 32*mib {
		t.Errorf("after freeing: limit %d MiB, want the 32 MiB target back", got/mib)
	}
}
