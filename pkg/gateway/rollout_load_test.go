package gateway

import (
	"context"
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

	tr := startTraffic(t, 6, func(w, i int) string {
		if (i+w)%4 == 0 {
			return g.URL + "/x?sleep=30ms"
		}
		return g.URL + "/x"
	})
	eventually(t, 10*time.Second, "traffic on old", func() bool { return tr.ok.Load() >= 100 })
	res, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
	}, nil)
	if err != nil || !res.Switched || res.DrainTimedOut {
		t.Fatalf("rollout: %+v %v", res, err)
	}
	countingOld.mu.Lock()
	hitsAtStop := countingOld.n
	countingOld.mu.Unlock()
	tr.mark()
	eventually(t, 10*time.Second, "traffic after the rollout", func() bool { return tr.marked.Load() >= 200 })
	tr.noFailures(t, "during the rollout")
	countingOld.mu.Lock()
	defer countingOld.mu.Unlock()
	if countingOld.n != hitsAtStop {
		t.Fatalf("old got %d requests after it was reported stopped", countingOld.n-hitsAtStop)
	}
}
