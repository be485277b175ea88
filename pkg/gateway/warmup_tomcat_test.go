package gateway

import (
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

// A real Tomcat gets its warm-up requests over AJP before the switch: the first one makes
// Jasper compile the page, which is what the warm-up spares the first user (the figures are
// logged, not asserted: they depend on the machine).
func TestTomcatWarmupOverAJP(t *testing.T) {
	t1, _ := sharedTomcats(t)
	// A fresh Tomcat whose pages were never asked for (NoWait: no tomcattest warm-up either).
	fresh := tomcattest.Start(t, tomcattest.Options{Route: "fresh", Secret: tomcatSecret, NoWait: true})
	g := newTestGateway(t, nil)
	tomcatService(t, g, t1)
	log := newEventLog()
	res, err := g.Rollout(t.Context(), "app", admin.RolloutRequest{
		Backends:     []admin.BackendSpec{{Name: "fresh", Route: "fresh", Address: fresh.AJPAddr()}},
		ReadyTimeout: admin.Duration(2 * time.Minute),
		Warmup:       &admin.WarmupSpec{Path: "/app/nosession.jsp", Requests: 20},
		DrainTimeout: admin.Duration(time.Second),
	}, log.add)
	if err != nil || !res.Switched {
		t.Fatalf("rollout: %+v %v", res, err)
	}
	w := res.Warmup
	if w == nil || w.Requests != 20 || w.Failed != 0 {
		t.Fatalf("warm-up of a real Tomcat over AJP: %+v", w)
	}
	ev, _ := log.find(admin.StepWarmup)
	t.Logf("%s", ev.Message)
	if steps := log.steps(); len(steps) < 3 || steps[len(steps)-1] != admin.StepDrained {
		t.Errorf("steps %v", steps)
	}
}
