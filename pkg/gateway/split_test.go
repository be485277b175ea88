package gateway

import (
	"testing"
	"time"
)

// TestSplitIsExact: at a fixed share, any run of consecutive requests gives the new side
// its share to within one request.
func TestSplitIsExact(t *testing.T) {
	for _, share := range []float64{0.01, 0.1, 0.2, 0.25, 0.5, 0.9} {
		sp := newSplit(share, share, time.Now(), 0)
		var toNew []bool
		for range 5000 {
			toNew = append(toNew, sp.toNew(0))
		}
		for _, run := range [][2]int{{0, 100}, {0, 5000}, {1234, 1234 + 777}, {4000, 5000}} {
			n := 0
			for _, v := range toNew[run[0]:run[1]] {
				if v {
					n++
				}
			}
			want := share * float64(run[1]-run[0])
			if float64(n) < want-1 || float64(n) > want+1 {
				t.Errorf("share %v, requests %d..%d: %d to the new side, want %.1f ± 1", share, run[0], run[1], n, want)
			}
		}
	}
}

// TestSplitRamps: a slow start's share rises linearly from its start to 100 % at the ramp's end.
func TestSplitRamps(t *testing.T) {
	start := time.Unix(1000, 0)
	sp := newSplit(0.1, 1, start, 10*time.Second)
	at := func(d time.Duration) float64 { return float64(sp.share(start.Add(d).UnixNano())) / splitScale }
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{{-time.Second, 0.1}, {0, 0.1}, {5 * time.Second, 0.55}, {10 * time.Second, 1}, {time.Hour, 1}} {
		if got := at(c.at); got < c.want-0.001 || got > c.want+0.001 {
			t.Errorf("share at %s: %.4f, want %.4f", c.at, got, c.want)
		}
	}
	if !sp.toNew(start.Add(10 * time.Second).UnixNano()) {
		t.Error("at 100 % a request went to the old side")
	}
	none := newSplit(0, 0, start, 0)
	for range 1000 {
		if none.toNew(0) {
			t.Fatal("at 0 % a request went to the new side")
		}
	}
}
