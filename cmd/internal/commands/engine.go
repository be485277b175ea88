package commands

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/deploy/dockerengine"
	"github.com/rollcd/roll/pkg/deploy/swarmengine"
	"github.com/rollcd/roll/pkg/dockerx"
	"github.com/rollcd/roll/pkg/project"
)

// pickEngine chooses what runs the project (x-roll.engine): plain containers on the engine,
// or Swarm services through it (useSwarm). On Swarm, for a command that may create or change
// containers (checksSwarmKeys), every key of the project that Swarm cannot honour is refused
// before anything is touched.
func pickEngine(ctx context.Context, d *dockerx.Client, p *project.Project, command string) (deploy.ProjectEngine, error) {
	plain := dockerengine.Engine{Docker: d, Project: p}
	if p.Settings.Engine == project.EngineDocker {
		return plain, nil
	}
	info, err := d.Swarm(ctx)
	if err != nil {
		return nil, err
	}
	runsPlain := func() (bool, error) {
		cs, err := d.List(ctx, p.Name, "")
		return slices.ContainsFunc(cs, func(c dockerx.Container) bool { return !c.SwarmTask() }), err
	}
	swarm, err := useSwarm(p, d.Host(), info, runsPlain)
	if err != nil || !swarm {
		return plain, err
	}
	if checksSwarmKeys(command) {
		if err := d.CheckSwarm(p); err != nil {
			return nil, err
		}
	}
	slog.Debug("deploying on Swarm", "project", p.Name, "node", info.NodeID)
	return swarmengine.Engine{Docker: d, Project: p}, nil
}

// useSwarm decides between plain containers and Swarm services. auto takes Swarm on an
// active Swarm manager, unless the project already runs there as plain containers
// (runsPlain): a swarm made on a machine does not move the projects that run on it. swarm
// on an engine that is not a manager is an error naming x-roll.engine.
func useSwarm(p *project.Project, host string, info dockerx.SwarmInfo, runsPlain func() (bool, error)) (bool, error) {
	switch choice := p.Settings.Engine; {
	case choice == project.EngineDocker:
		return false, nil
	case !info.Active() && choice == project.EngineSwarm:
		state := info.State
		if info.State == "active" && !info.Manager {
			state += ", as a worker"
		}
		return false, p.KeyError(fmt.Sprintf("is swarm, but the engine at %s is not a Swarm manager (its swarm state is %s): "+
			"point roll at a manager (DOCKER_HOST or a docker context), run docker swarm init there, or set engine: docker",
			host, state), "x-roll", "engine")
	case !info.Active():
		return false, nil
	case choice == project.EngineSwarm:
		return true, nil
	}
	plain, err := runsPlain()
	if err != nil {
		return false, err
	}
	if plain {
		slog.Info("the engine is a Swarm manager, but the project runs there as plain containers: deploying them as plain containers (x-roll.engine chooses)",
			"project", p.Name)
	}
	return !plain, nil
}

// createsNothing are the commands that only read the project's containers or remove them
// (or talk to the gateway alone: pause, resume, maintenance, promote, abort).
// The Swarm key check guards what roll would create; it must not stand in their way: a
// project whose compose file gained a key Swarm cannot honour can still be shown and taken
// down.
var createsNothing = map[string]bool{"status": true, "down": true, "pause": true, "resume": true, "maintenance": true,
	"promote": true, "abort": true}

// checksSwarmKeys reports whether command refuses, on Swarm, a project with keys Swarm
// cannot honour. Every command not known to create nothing is checked, so a new command that
// creates containers is guarded until someone decides otherwise.
func checksSwarmKeys(command string) bool { return !createsNothing[command] }
