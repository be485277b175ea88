package gateway

import (
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
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

// TestChoosingUnderASplitDoesNotAllocate: the split costs the request path one atomic add,
// no allocation and no lock; and choose honours it (a 25 % split gives the fresh backend a
// quarter of 400 unrouted requests, to within one).
func TestChoosingUnderASplitDoesNotAllocate(t *testing.T) {
	g := newTestGateway(t, nil)
	mustPut(t, g, httpService("app"))
	s, err := g.lookup("app")
	if err != nil {
		t.Fatal(err)
	}
	old, fresh := newBackend("old", "x:1"), newBackend("new", "x:2")
	s.snap.Store(&snapshot{members: []member{
		{b: old, spec: admin.BackendSpec{Name: "old", Route: "old", Weight: 1}},
		{b: fresh, spec: admin.BackendSpec{Name: "new", Route: "new", Weight: 1}, fresh: true, pending: true},
	}, split: newSplit(0.25, 0.25, time.Now(), 0)})
	toNew := 0
	for range 400 {
		m, _, ok, _ := s.choose("", nil, time.Now().UnixNano(), time.Second)
		if !ok {
			t.Fatal("no backend chosen")
		}
		m.b.inFlight.Add(-1)
		if m.b == fresh {
			toNew++
		}
	}
	if toNew < 99 || toNew > 101 {
		t.Errorf("%d of 400 unrouted requests to the fresh side of a 25%% split", toNew)
	}
	var tried [maxAttempts * 2]*backend
	if n := testing.AllocsPerRun(200, func() {
		m, _, _, _ := s.choose("", tried[:0], 1, time.Second)
		m.b.inFlight.Add(-1)
	}); n != 0 {
		t.Errorf("choosing under a split allocates %v times", n)
	}
}

// BenchmarkChoose measures what a traffic split adds to choosing a backend for an unrouted
// request: go test -run '^$' -bench 'BenchmarkChoose' ./pkg/gateway/
func BenchmarkChoose(b *testing.B) {
	for _, split := range []bool{false, true} {
		name := "plain"
		if split {
			name = "split"
		}
		b.Run(name, func(b *testing.B) {
			g := newTestGateway(b, nil)
			mustPut(b, g, httpService("app"))
			s, err := g.lookup("app")
			if err != nil {
				b.Fatal(err)
			}
			snap := &snapshot{members: []member{
				{b: newBackend("old", "x:1"), spec: admin.BackendSpec{Name: "old", Route: "old", Weight: 1}},
				{b: newBackend("new", "x:2"), spec: admin.BackendSpec{Name: "new", Route: "new", Weight: 1}, fresh: split},
			}}
			if split {
				snap.split = newSplit(0.1, 0.1, time.Now(), 0)
			}
			s.snap.Store(snap)
			var tried [maxAttempts * 2]*backend
			b.ReportAllocs()
			for b.Loop() {
				m, _, _, _ := s.choose("", tried[:0], 1, time.Second)
				m.b.inFlight.Add(-1)
			}
		})
	}
}
