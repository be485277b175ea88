package commands

import (
	"errors"
	"strings"
	"testing"

	"github.com/rollcd/roll/pkg/dockerx"
	"github.com/rollcd/roll/pkg/project"
	"github.com/rollcd/roll/pkg/project/projecttest"
)

func engineProject(t *testing.T, engine string) *project.Project {
	t.Helper()
	compose := "services:\n  web:\n    image: web:1\n"
	if engine != "" {
		compose = "x-roll:\n  engine: " + engine + "\n" + compose
	}
	return projecttest.Load(t, compose)
}

// TestTheEngineIsChosenFromTheSettingAndTheSwarmState: auto runs on Swarm exactly when the
// engine is an active manager and the project does not run there as plain containers
// already; docker never does; swarm on an engine that is no manager says so, naming the key.
func TestTheEngineIsChosenFromTheSettingAndTheSwarmState(t *testing.T) {
	manager := dockerx.SwarmInfo{State: "active", Manager: true, NodeID: "n1"}
	worker := dockerx.SwarmInfo{State: "active", NodeID: "n2"}
	none := dockerx.SwarmInfo{State: "inactive"}
	no := func() (bool, error) { return false, nil }
	yes := func() (bool, error) { return true, nil }
	for _, tt := range []struct {
		name      string
		engine    string
		info      dockerx.SwarmInfo
		runsPlain func() (bool, error)
		want      bool
	}{
		{"auto by default, on a manager", "", manager, no, true},
		{"auto, on a manager where the project runs as containers", "auto", manager, yes, false},
		{"auto, no swarm", "auto", none, no, false},
		{"auto, on a worker", "auto", worker, no, false},
		{"docker on a manager", "docker", manager, no, false},
		{"swarm on a manager, whatever runs", "swarm", manager, yes, true},
	} {
		got, err := useSwarm(engineProject(t, tt.engine), "unix:///var/run/docker.sock", tt.info, tt.runsPlain)
		if err != nil || got != tt.want {
			t.Errorf("%s: swarm %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	for _, info := range []dockerx.SwarmInfo{none, worker} {
		_, err := useSwarm(engineProject(t, "swarm"), "unix:///var/run/docker.sock", info, no)
		if !errors.Is(err, project.ErrInvalidProject) || !strings.Contains(err.Error(), "compose.yaml:2: x-roll.engine: is swarm") ||
			!strings.Contains(err.Error(), "not a Swarm manager") {
			t.Errorf("engine: swarm on a %s engine: %v; want an error naming compose.yaml, x-roll.engine and why", info.State, err)
		}
	}
	if _, err := useSwarm(engineProject(t, "swarm"), "unix:///var/run/docker.sock", worker, no); err == nil || !strings.Contains(err.Error(), "as a worker") {
		t.Errorf("engine: swarm on a worker: %v; want it to say the engine is a worker", err)
	}
}

// TestOnlyCommandsThatCreateCheckTheSwarmKeys: up, deploy and rollback create or change
// containers and refuse a key Swarm cannot honour; status and down only read or remove and
// must work on such a project. Every registered command is in the table, so a new one gets
// a decision here; one the table does not know is checked.
func TestOnlyCommandsThatCreateCheckTheSwarmKeys(t *testing.T) {
	want := map[string]bool{"up": true, "deploy": true, "rollback": true, "status": false, "down": false,
		"pause": false, "resume": false, "maintenance": false, "promote": false, "abort": false,
		"gateway": true, "dial": true, "completion": true} // the last three open no project
	for _, c := range commandList() {
		w, ok := want[c.Name]
		if !ok {
			t.Errorf("command %s: decide whether it creates containers (createsNothing) and add it here", c.Name)
			continue
		}
		if got := checksSwarmKeys(c.Name); got != w {
			t.Errorf("command %s: checks the Swarm keys %v, want %v", c.Name, got, w)
		}
	}
	if !checksSwarmKeys("a-new-command") {
		t.Error("a command nobody classified skips the Swarm key check; it must be checked")
	}
}
