package gateway

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// TestRolloutUnderLoadLosesNothing runs a rollout while clients keep sending requests, some
// of them slow: no request fails, and once the rollout reports the old backend stopped, not
// one more request reaches it (admission and the end of the drain do not race).
func TestRolloutUnderLoadLosesNothing(t *testing.T) {
	g := newTestGateway(t, nil)
	countingOld, next := startNameBackend(t, "old"), startNameBackend(t, "new")
	spec := httpService("app")
	spec.Drain.Mode = "requests"
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "old", Address: countingOld.addr()})

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				url := g.URL + "/x"
				if (i+w)%4 == 0 {
					url += "?sleep=30ms"
				}
				code, body, err := tryGet(url)
				if err != nil || code != 200 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %q %v", code, body, err))
					continue
				}
				ok.Add(1)
			}
		}()
	}
	eventually(t, 10*time.Second, "traffic on old", func() bool { return ok.Load() >= 100 })
	res, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
	}, nil)
	if err != nil || !res.Switched || res.DrainTimedOut {
		t.Fatalf("rollout: %+v %v", res, err)
	}
	countingOld.mu.Lock()
	hitsAtStop := countingOld.n
	countingOld.mu.Unlock()
	after := ok.Load()
	eventually(t, 10*time.Second, "traffic after the rollout", func() bool { return ok.Load() >= after+200 })
	close(stop)
	wg.Wait()
	countingOld.mu.Lock()
	defer countingOld.mu.Unlock()
	if countingOld.n != hitsAtStop {
		t.Fatalf("old got %d requests after it was reported stopped", countingOld.n-hitsAtStop)
	}
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d requests failed during the rollout (first: %v)", n, firstErr.Load())
	}
}
