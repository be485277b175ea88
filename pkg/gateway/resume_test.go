package gateway

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// switchedState is a state file as a gateway leaves it when it dies during the drain of
// rollout "r1" of service app ("sessions" mode, sessions idle after an hour): "new" active,
// "old" draining (or oldActivation), the drain of timeout started at drainStarted.
// oldExtra is added to old's backend entry (saved sessions).
type switchedState struct {
	newAddr, oldAddr string
	drainStarted     time.Time
	timeout          time.Duration
	oldActivation    string
	oldExtra         string
}

func (st switchedState) write(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.json")
	file := fmt.Sprintf(`{"version":1,"services":[{
		"spec":{"name":"app","protocol":"http","session_idle":"1h",
			"health":{"interval":"100ms","timeout":"1s","recover_after":"200ms"},"drain":{"mode":"sessions","timeout":"1h"}},
		"backends":[
			{"spec":{"name":"new","address":%q}},
			{"spec":{"name":"old","address":%q,"activation":%q}%s}],
		"rollout":{"id":"r1","started":%q,"meta":{"image":"app:2"},"new":["new"],"old":["old"],
			"drain_timeout":%q,"drain_started":%q}}]}`,
		st.newAddr, st.oldAddr, cmp.Or(st.oldActivation, "draining"), st.oldExtra, st.drainStarted.Add(-time.Second).Format(time.RFC3339Nano),
		st.timeout.String(), st.drainStarted.Format(time.RFC3339Nano))
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// deployByID returns the history record with id, once there is one with an outcome.
func deployByID(t *testing.T, g *testGateway, svc, id string) (admin.DeployRecord, bool) {
	t.Helper()
	deploys, err := g.Deploys(t.Context(), svc)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deploys {
		if d.ID == id {
			return d, true
		}
	}
	return admin.DeployRecord{}, false
}

func waitDeploy(t *testing.T, g *testGateway, svc, id string) admin.DeployRecord {
	t.Helper()
	var rec admin.DeployRecord
	eventually(t, 20*time.Second, "deploy record "+id+" in the history", func() bool {
		var ok bool
		rec, ok = deployByID(t, g, svc, id)
		return ok
	})
	return rec
}

// A rollout resumed after a restart is a rollout like a live one: a new rollout of the
// service takes its drain over instead of failing as busy, and drains both old sets.
func TestResumedRolloutIsSuperseded(t *testing.T) {
	v2, old, v3 := startNameBackend(t, "v2"), startNameBackend(t, "old"), startNameBackend(t, "v3")
	// "new" is v2 here: the file names it "new". old has a live session, which never idles.
	path := switchedState{newAddr: v2.addr(), oldAddr: old.addr(), drainStarted: time.Now(), timeout: time.Hour,
		oldExtra: withSavedSessions(fmt.Sprintf(`{"S1.old":%d}`, time.Now().UnixMilli()))}.write(t)
	g := newTestGateway(t, func(c *Config) { c.StatePath = path })
	st, _ := g.Service(t.Context(), "app")
	if st.Rollout == nil || st.Rollout.ID != "r1" || st.Rollout.Step != admin.StepDraining {
		t.Fatalf("status of the resumed rollout: %+v", st.Rollout)
	}
	log := newEventLog()
	res, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
		Backends:     []admin.BackendSpec{{Name: "v3", Address: v3.addr()}},
		DrainTimeout: admin.Duration(300 * time.Millisecond),
	}, log.add)
	if err != nil || !res.Switched || !res.DrainTimedOut {
		t.Fatalf("rollout over a resumed one: %+v %v, want switched and the drain timed out on old's session", res, err)
	}
	sw := log.wait(t, admin.StepSwitched)
	names := map[string]bool{}
	for _, b := range sw.Old {
		names[b.Name] = true
	}
	if !names["old"] || !names["new"] || len(names) != 2 {
		t.Fatalf("the new rollout drains %v, want old (taken over) and new (the resumed rollout's)", names)
	}
	rec := waitDeploy(t, g, "app", "r1")
	if rec.Outcome != admin.OutcomeSuperseded || rec.Meta["image"] != "app:2" || !strings.Contains(rec.Message, "resumed") {
		t.Fatalf("the resumed rollout's record: %+v", rec)
	}
	for name, want := range map[string]admin.Activation{"old": admin.Stopped, "new": admin.Stopped, "v3": admin.Active} {
		if b := backendOf(t, g, "app", name); b.Activation != want {
			t.Errorf("%s is %s, want %s", name, b.Activation, want)
		}
	}
}

// A resumed rollout reverts as a live one does when its new backends fail.
func TestResumedRolloutReverts(t *testing.T) {
	next, old := startKillable(t, "new"), startNameBackend(t, "old")
	path := switchedState{newAddr: next.addr, oldAddr: old.addr(), drainStarted: time.Now(), timeout: time.Hour,
		oldExtra: withSavedSessions(fmt.Sprintf(`{"S1.old":%d}`, time.Now().UnixMilli()))}.write(t)
	g := newTestGateway(t, func(c *Config) { c.StatePath = path })
	if st, _ := g.Service(t.Context(), "app"); st.Rollout == nil || st.Rollout.ID != "r1" {
		t.Fatalf("no resumed rollout in the status: %+v", st.Rollout)
	}
	next.kill()
	rec := waitDeploy(t, g, "app", "r1")
	if rec.Outcome != admin.OutcomeReverted {
		t.Fatalf("record: %+v, want reverted", rec)
	}
	if b := backendOf(t, g, "app", "old"); b.Activation != admin.Active {
		t.Fatalf("old is %s after the revert", b.Activation)
	}
	if b := backendOf(t, g, "app", "new"); b.Activation != admin.Stopped {
		t.Fatalf("new is %s after the revert", b.Activation)
	}
	if _, body := get(t, g.URL+"/", ""); body != "old" {
		t.Fatalf("after the revert: %q", body)
	}
	// The record is written before the rollout lets the service go: the status follows.
	eventually(t, 5*time.Second, "the status without the ended rollout", func() bool {
		st, _ := g.Service(t.Context(), "app")
		return st.Rollout == nil
	})
}

// The drain timeout of a resumed rollout counts from the original switch: a drain whose
// timeout passed while the gateway was down ends at once, though the old backend's
// sessions are unknown and would otherwise hold it for SessionIdle.
func TestResumedDrainTimeoutCountsFromTheSwitch(t *testing.T) {
	next, old := startNameBackend(t, "new"), startNameBackend(t, "old")
	path := switchedState{newAddr: next.addr(), oldAddr: old.addr(), drainStarted: time.Now().Add(-2 * time.Minute), timeout: time.Minute}.write(t)
	g := newTestGateway(t, func(c *Config) { c.StatePath = path })
	rec := waitDeploy(t, g, "app", "r1")
	if rec.Outcome != admin.OutcomeSucceeded || !strings.Contains(rec.Message, "drain timeout 1m0s passed") {
		t.Fatalf("record: %+v, want succeeded after the drain timeout", rec)
	}
	if b := backendOf(t, g, "app", "old"); b.Activation != admin.Stopped {
		t.Fatalf("old is %s", b.Activation)
	}
	// The outcome goes to the file in the same save that says the rollout is over.
	eventually(t, 10*time.Second, "the state file without the rollout in progress", func() bool {
		ss := savedService(t, path, "app")
		return len(ss.Rollout) == 0
	})
	if ss := savedService(t, path, "app"); len(ss.Deploys) != 1 || ss.Deploys[0].ID != "r1" || ss.Deploys[0].Outcome != admin.OutcomeSucceeded {
		t.Fatalf("saved history: %+v", ss.Deploys)
	}
}

// savedService reads one service's entry from the state file.
func savedService(t *testing.T, path, name string) stateService {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("state file: %v", err)
	}
	for _, raw := range f.Services {
		var ss stateService
		if err := json.Unmarshal(raw, &ss); err != nil {
			t.Fatalf("state file service: %v", err)
		}
		if ss.Spec.Name == name {
			return ss
		}
	}
	t.Fatalf("no service %s in the state file", name)
	return stateService{}
}

// A file that shows a rollout in progress while nothing drains any more comes from a
// gateway that ended the drain and died before it saved the outcome: the rollout goes to
// the history as interrupted, so a caller following it finds it there.
func TestRolloutEndedBeforeItsOutcomeWasSaved(t *testing.T) {
	next, old := startNameBackend(t, "new"), startNameBackend(t, "old")
	path := switchedState{newAddr: next.addr(), oldAddr: old.addr(), drainStarted: time.Now(), timeout: time.Hour, oldActivation: "stopped"}.write(t)
	g := newTestGateway(t, func(c *Config) { c.StatePath = path })
	rec, ok := deployByID(t, g, "app", "r1")
	if !ok || rec.Outcome != admin.OutcomeInterrupted || rec.Meta["image"] != "app:2" {
		t.Fatalf("record: %+v (%v), want r1 interrupted", rec, ok)
	}
	if st, _ := g.Service(t.Context(), "app"); st.Rollout != nil {
		t.Fatalf("a rollout shows as running: %+v", st.Rollout)
	}
	if ss := savedService(t, path, "app"); len(ss.Rollout) != 0 || len(ss.Deploys) != 1 {
		t.Fatalf("saved after the restart: rollout %s, history %+v", ss.Rollout, ss.Deploys)
	}
}
