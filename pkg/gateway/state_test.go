package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

func TestStateSurvivesAKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	a, b := startNameBackend(t, "a"), startNameBackend(t, "b")
	g1 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	spec := httpService("app")
	spec.Secret = "s3cret"
	spec.PathPrefixes = []string{"/app"}
	mustPut(t, g1, spec)
	mustAdd(t, g1, "app", admin.BackendSpec{Name: "a", Address: a.addr(), Weight: 3, Meta: map[string]string{"image": "app:1"}})
	// Stopped, not draining: a draining one would be drained and stopped by g2, whose saved
	// sessions say it has none.
	mustAdd(t, g1, "app", admin.BackendSpec{Name: "b", Address: b.addr(), Activation: admin.Stopped})
	if err := g1.RecordDeploy(t.Context(), admin.DeployRecord{Service: "app", Outcome: admin.OutcomeSucceeded}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v, mode %v, want 0600", err, fi.Mode())
	}
	// g1 is never closed before g2 reads the file: as after kill -9.
	g2 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	st, err := g2.Service(t.Context(), "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Backends) != 2 || st.Backends[0].Weight != 3 || st.Backends[0].Meta["image"] != "app:1" || st.Backends[1].Activation != admin.Stopped {
		t.Fatalf("restored backends: %+v", st.Backends)
	}
	if got := g2.services["app"].cfg.Load().spec.Secret; got != "s3cret" {
		t.Fatalf("restored secret %q", got)
	}
	if st.Secret != "" {
		t.Fatal("Service() returned the secret")
	}
	if d, _ := g2.Deploys(t.Context(), "app"); len(d) != 1 {
		t.Fatalf("restored history: %v", d)
	}
	if code, body := get(t, g2.URL+"/app/x", ""); code != 200 || body != "a" {
		t.Fatalf("restored gateway serves %d %q", code, body)
	}
}

func TestStateSkipsBadEntriesAndUnfinishedRollouts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	good := `{"spec":{"name":"good","protocol":"http","path_prefixes":["/good"]},"backends":[
		{"spec":{"name":"ok","address":"127.0.0.1:1"}},
		{"spec":{"name":"broken","address":42}},
		{"spec":{"name":"bad addr","address":"nowhere"}},
		{"spec":{"name":"new","address":"127.0.0.1:2","activation":"stopped"},"pending":true},
		{"spec":{"name":"old","address":"127.0.0.1:3","activation":"draining"}}]}`
	file := `{"version":1,"services":[` + good + `,
		{"spec":{"name":"bad","protocol":"gopher"}},
		"not an object",
		{"spec":{"name":"also","protocol":"http","path_prefixes":["/also"]},"backends":[]}]}`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	g := newTestGateway(t, func(c *Config) { c.StatePath = path })
	names := []string{}
	for _, s := range g.statuses() {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "also,good" {
		t.Fatalf("restored services %v, want also,good", names)
	}
	st, _ := g.Service(t.Context(), "good")
	var bs []string
	for _, b := range st.Backends {
		bs = append(bs, b.Name+":"+b.Activation.String())
	}
	if strings.Join(bs, ",") != "ok:active,old:draining" {
		t.Fatalf("restored backends %v, want ok:active,old:draining (the pending one dropped)", bs)
	}
	// The resumed drain runs (requests mode would end it at once; sessions mode waits, since
	// a file without saved sessions says nothing of them), as a rollout of its own.
	if st.Rollout == nil || st.Rollout.Step != admin.StepDraining || st.Rollout.ID == "" {
		t.Fatalf("no rollout resumed for the draining backend: %+v", st.Rollout)
	}
	// The file was rewritten without the bad entries.
	data, _ := os.ReadFile(path)
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil || len(f.Services) != 2 {
		t.Fatalf("rewritten state: %v, %d services", err, len(f.Services))
	}
}

func TestResumedDrainStopsTheOldBackend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	file := `{"version":1,"services":[{"spec":{"name":"app","protocol":"http","drain":{"mode":"requests"}},"backends":[
		{"spec":{"name":"new","address":"127.0.0.1:2"}},
		{"spec":{"name":"old","address":"127.0.0.1:3","activation":"draining"}}]}]}`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	g := newTestGateway(t, func(c *Config) { c.StatePath = path })
	eventually(t, 10*time.Second, "old stopped", func() bool { return backendOf(t, g, "app", "old").Activation == admin.Stopped })
}

func TestUnreadableStateFileIsMovedAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := os.WriteFile(path, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := newTestGateway(t, func(c *Config) { c.StatePath = path })
	if len(g.statuses()) != 0 {
		t.Fatal("services from a garbage file")
	}
	matches, _ := filepath.Glob(path + ".corrupt-*")
	if len(matches) != 1 {
		t.Fatalf("garbage file not kept aside: %v", matches)
	}
}

func TestRestartDuringRolloutDropsUnswitchedBackends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	old := startNameBackend(t, "old")
	g1 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	mustPut(t, g1, httpService("app"))
	mustAdd(t, g1, "app", admin.BackendSpec{Name: "old", Address: old.addr()})
	log := newEventLog()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g1.Rollout(ctx, "app", admin.RolloutRequest{
			Backends:     []admin.BackendSpec{{Name: "new", Address: freeAddr(t)}},
			ReadyTimeout: admin.Duration(time.Minute),
		}, log.add)
	}()
	// g1's rollout writes the state file until it ends: let it end before the temp dir goes.
	defer func() { cancel(); <-done }()
	log.wait(t, admin.StepProbing) // "new" is in the state file now, pending
	g2 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	st, _ := g2.Service(t.Context(), "app")
	if len(st.Backends) != 1 || st.Backends[0].Name != "old" || st.Backends[0].Activation != admin.Active {
		t.Fatalf("after a restart mid-rollout: %+v", st.Backends)
	}
}

func TestHistoryKeepsTheLast20(t *testing.T) {
	g := newTestGateway(t, nil)
	mustPut(t, g, httpService("app"))
	for i := range 25 {
		if err := g.RecordDeploy(t.Context(), admin.DeployRecord{ID: fmt.Sprint(i), Service: "app", Outcome: admin.OutcomeSucceeded}); err != nil {
			t.Fatal(err)
		}
	}
	d, _ := g.Deploys(t.Context(), "app")
	if len(d) != 20 || d[0].ID != "24" || d[19].ID != "5" {
		t.Fatalf("history: %d records, first %s, last %s", len(d), d[0].ID, d[len(d)-1].ID)
	}
	if err := g.RecordDeploy(t.Context(), admin.DeployRecord{Service: "nosuch", Outcome: admin.OutcomeFailed}); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("record for an unknown service: %v", err)
	}
}
