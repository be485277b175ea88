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
// or Swarm services through it. auto takes Swarm on an active Swarm manager, unless the
// project already runs there as plain containers: a swarm made on a machine does not move
// the projects that run on it. On Swarm every key of the project that Swarm cannot honour
// is refused before anything is touched.
func pickEngine(ctx context.Context, d *dockerx.Client, p *project.Project) (deploy.ProjectEngine, error) {
	plain := dockerengine.Engine{Docker: d, Project: p}
	choice := p.Settings.Engine
	if choice == project.EngineDocker {
		return plain, nil
	}
	info, err := d.Swarm(ctx)
	if err != nil {
		return nil, err
	}
	if !info.Active() {
		if choice == project.EngineSwarm {
			return nil, p.KeyError(fmt.Sprintf("is swarm, but the engine at %s is not a Swarm manager (its swarm state is %s%s): "+
				"point roll at a manager (DOCKER_HOST or a docker context), run docker swarm init there, or set engine: docker",
				d.Host(), info.State, workerNote(info)), "x-roll", "engine")
		}
		return plain, nil
	}
	if choice == project.EngineAuto {
		cs, err := d.List(ctx, p.Name, "")
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(cs, func(c dockerx.Container) bool { return !c.SwarmTask() }) {
			slog.Info("the engine is a Swarm manager, but the project runs as plain containers there: deploying them as plain containers (set x-roll.engine to choose)",
				"project", p.Name)
			return plain, nil
		}
	}
	if err := d.CheckSwarm(p); err != nil {
		return nil, err
	}
	slog.Debug("deploying on Swarm", "project", p.Name, "node", info.NodeID)
	return swarmengine.Engine{Docker: d, Project: p}, nil
}

func workerNote(info dockerx.SwarmInfo) string {
	if info.State == "active" && !info.Manager {
		return ", as a worker"
	}
	return ""
}
