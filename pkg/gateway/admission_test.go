package gateway

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// TestAdmissionNeverOutlivesTheDrain hammers admission of sticky requests to a draining
// backend while its drain stops it: once stopOld has returned, no request may be admitted
// there any more. Requests hold their admission while they look at the flag, as a real
// request holds it while it runs.
func TestAdmissionNeverOutlivesTheDrain(t *testing.T) {
	g := newTestGateway(t, nil)
	spec := httpService("app")
	spec.Health.Interval = admin.Duration(time.Hour)
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "old", Address: "127.0.0.1:1"})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "new", Address: "127.0.0.1:2"})
	s := g.services["app"]
	for round := range 50 {
		mustPatch(t, g, "app", "old", admin.Draining)
		var stopped atomic.Bool
		var violations, admitted, triedAfter atomic.Int64
		done := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var buf [maxAttempts * 2]*backend
				for {
					select {
					case <-done:
						return
					default:
					}
					after := stopped.Load()
					m, sticky, ok, _ := s.choose("old", buf[:0], time.Now().UnixNano(), time.Second)
					if after {
						triedAfter.Add(1)
					}
					if !ok {
						continue
					}
					if sticky && m.spec.Name == "old" {
						admitted.Add(1)
						if stopped.Load() {
							violations.Add(1)
						}
					}
					m.b.inFlight.Add(-1)
				}
			}()
		}
		eventually(t, 5*time.Second, "admissions on old", func() bool { return admitted.Load() > 10 })
		drain{s: s, old: []string{"old"}}.stopOld()
		stopped.Store(true)
		eventually(t, 5*time.Second, "attempts after the stop", func() bool { return triedAfter.Load() > 100 })
		close(done)
		wg.Wait()
		if n := violations.Load(); n != 0 {
			t.Fatalf("round %d: %d requests admitted to old after its drain ended", round, n)
		}
	}
}
