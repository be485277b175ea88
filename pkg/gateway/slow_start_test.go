package gateway

import (
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// TestSlowStartRampsTheNewShare: over a slow start the new backend's share of anonymous
// requests rises (each quarter of the ramp gives it more than the one before), the old
// user stays on old, and at the ramp's end the normal switch sends everything new to new.
func TestSlowStartRampsTheNewShare(t *testing.T) {
	g, _ := rolloutService(t, "sessions", time.Second)
	next := startNameBackend(t, "new")
	oldUser, _ := login(t, g)
	log := newEventLog()
	ramp := 4 * time.Second
	done := startRequest(g, admin.RolloutRequest{
		Backends:  []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		SlowStart: admin.Duration(ramp),
	}, log)
	ev := log.wait(t, admin.StepRamping)
	start := ev.Time
	var quarters [4]struct{ new, all int }
	for {
		if _, ok := log.find(admin.StepSwitched); ok {
			break
		}
		_, body := get(t, g.URL+"/page", "")
		q := int(time.Since(start) * 4 / ramp)
		if q > 3 {
			continue // the ramp ended; the switch comes
		}
		quarters[q].all++
		if body == "new" {
			quarters[q].new++
		}
		if _, body := get(t, g.URL+"/page", oldUser); body != "old" {
			t.Fatalf("the old user went to %s during the slow start", body)
		}
	}
	share := func(q int) float64 { return float64(quarters[q].new) / float64(max(1, quarters[q].all)) }
	for q := 1; q < 4; q++ {
		if quarters[q].all < 10 || share(q) <= share(q-1) {
			t.Fatalf("new share by quarter of the ramp: %.2f %.2f %.2f %.2f (%v): want it rising", share(0), share(1), share(2), share(3), quarters)
		}
	}
	if share(0) > 0.3 || share(3) < 0.7 {
		t.Fatalf("new share by quarter of the ramp: %.2f … %.2f, want about 0.125 … 0.875", share(0), share(3))
	}
	t.Logf("new share by quarter of the ramp: %.2f %.2f %.2f %.2f", share(0), share(1), share(2), share(3))
	if got := countBodies(t, g, 20); got["200 new"] != 20 {
		t.Fatalf("after the ramp: %v", got)
	}
	if o := waitOutcome(t, done); o.err != nil || !o.res.Switched {
		t.Fatalf("rollout: %+v, %v", o.res, o.err)
	}
}
