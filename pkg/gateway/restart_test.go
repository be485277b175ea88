package gateway

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// copyFile copies the state file as it is now, as a SIGKILL would leave it.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A gateway that dies during a drain leaves a rollout the next one resumes as itself: the
// same id in the status, the old backend's live session still counted, the drain ending on
// its own once that session idles, the outcome in the history under the same id. The next
// gateway reads the file as the switch saved it, not as a graceful shutdown would.
func TestRestartDuringADrainResumesTheRollout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	old, next := startNameBackend(t, "old"), startNameBackend(t, "new")
	g1 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	spec := httpService("app")
	spec.Drain.Timeout = admin.Duration(time.Hour)
	mustPut(t, g1, spec)
	mustAdd(t, g1, "app", admin.BackendSpec{Name: "old", Address: old.addr()})
	cookie, owner := login(t, g1)
	if owner != "old" {
		t.Fatalf("session on %s", owner)
	}
	log := newEventLog()
	done := make(chan error, 1)
	go func() {
		_, err := g1.Rollout(context.Background(), "app", admin.RolloutRequest{
			Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}},
			Meta:     map[string]string{"image": "app:2"},
		}, log.add)
		done <- err
	}()
	sw := log.wait(t, admin.StepSwitched)
	crashed := filepath.Join(t.TempDir(), "state.json")
	copyFile(t, path, crashed)
	g1.Close() // its own file gets the graceful save; g2 reads the crashed copy
	if err := <-done; err == nil {
		t.Fatal("the rollout of the closed gateway ended without error")
	}

	g2 := newTestGateway(t, func(c *Config) { c.StatePath = crashed })
	st, _ := g2.Service(t.Context(), "app")
	if st.Rollout == nil || st.Rollout.ID != sw.ID || st.Rollout.Step != admin.StepDraining {
		t.Fatalf("status after the restart: %+v, want rollout %s draining", st.Rollout, sw.ID)
	}
	if b := backendOf(t, g2, "app", "old"); b.Sessions != 1 || b.Activation != admin.Draining {
		t.Fatalf("old after the restart: %+v, want draining with its 1 session", b)
	}
	if _, body := get(t, g2.URL+"/page", cookie); body != "old" {
		t.Fatalf("the old session went to %s after the restart", body)
	}
	// The session idles out: the drain ends by itself.
	spec.SessionIdle = admin.Duration(300 * time.Millisecond)
	mustPut(t, g2, spec)
	rec := waitDeploy(t, g2, "app", sw.ID)
	if rec.Outcome != admin.OutcomeSucceeded || rec.Meta["image"] != "app:2" || !strings.Contains(rec.Message, "drained and stopped") {
		t.Fatalf("record of the resumed rollout: %+v", rec)
	}
	if b := backendOf(t, g2, "app", "old"); b.Activation != admin.Stopped {
		t.Fatalf("old is %s after the resumed drain", b.Activation)
	}
	if b := backendOf(t, g2, "app", "new"); b.Activation != admin.Active {
		t.Fatalf("new is %s after the resumed drain", b.Activation)
	}
}
