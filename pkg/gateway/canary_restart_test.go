package gateway

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// TestRestartDuringACanaryAbortsIt: a gateway that dies during a canary leaves a file from
// which the next one serves the old version alone (the canary's backends were pending) and
// records the rollout aborted under its id; a graceful stop during the canary removes the
// canary backends and records it too.
func TestRestartDuringACanaryAbortsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	old, next := startNameBackend(t, "old"), startNameBackend(t, "new")
	g1 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	mustPut(t, g1, httpService("app"))
	mustAdd(t, g1, "app", admin.BackendSpec{Name: "old", Address: old.addr()})
	log := newEventLog()
	done := startRequest(g1, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
		Meta:     map[string]string{"image": "app:2"},
		Canary:   &admin.CanarySpec{Share: 0.5, Window: admin.Duration(time.Hour)},
	}, log)
	ev := log.wait(t, admin.StepCanary)
	if got := countBodies(t, g1, 10); got["200 new"] != 5 {
		t.Fatalf("during the canary: %v", got)
	}
	crashed := filepath.Join(t.TempDir(), "state.json")
	copyFile(t, path, crashed)
	g1.Close()
	if o := waitOutcome(t, done); o.err == nil || o.res.Switched {
		t.Fatalf("the canary of the closed gateway: %+v, %v", o.res, o.err)
	}
	for _, file := range []string{crashed, path} { // a SIGKILL's file, a graceful stop's
		g2 := newTestGateway(t, func(c *Config) { c.StatePath = file })
		st, err := g2.Service(t.Context(), "app")
		if err != nil || len(st.Backends) != 1 || st.Backends[0].Name != "old" || st.Backends[0].Activation != admin.Active || st.Canary != nil {
			t.Fatalf("%s: after the restart: %+v, %v", file, st.Backends, err)
		}
		if got := countBodies(t, g2, 10); got["200 old"] != 10 {
			t.Fatalf("%s: after the restart: %v", file, got)
		}
		h, _ := g2.Deploys(t.Context(), "app")
		if len(h) == 0 || h[0].ID != ev.ID || h[0].Outcome != admin.OutcomeAborted || h[0].Meta["image"] != "app:2" {
			t.Fatalf("%s: history after the restart: %+v", file, h)
		}
		if file == crashed && !strings.Contains(h[0].Message, "restarted during the canary") {
			t.Errorf("the record of a canary a restart caught: %q", h[0].Message)
		}
		g2.Close()
	}
}
