// Package swarmengine runs deploys on Docker Swarm: it is the deploy core's Engine and
// ProjectEngine for a compose project whose containers are Swarm services, one service of
// one task per container (docs/architecture.md, Swarm). A container's id is its service's
// id, its name the service's name (<project>-<service>-<n>, as on plain Docker), its state
// that of the service's current task. The core (pkg/deploy) does not import it; the CLI
// plugs it in.
package swarmengine

import (
	"context"
	"fmt"

	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/dockerx"
	"github.com/rollcd/roll/pkg/project"
)

// Engine is a compose project on a swarm, driven through a manager.
type Engine struct {
	Docker  *dockerx.Client
	Project *project.Project
}

var _ deploy.ProjectEngine = Engine{}

// fromService is the container a service stands for: its current task's state.
func fromService(s dockerx.Service) deploy.Container {
	c := deploy.Container{ID: s.ID, Name: s.Name, Service: s.Service, Image: s.Image, Number: s.Number,
		Hostname: s.Hostname, State: "created", Created: s.Created}
	if t := s.Current(); t != nil {
		c.State, c.Health, c.Node = t.ContainerState(), t.Health, t.Node
	}
	return c
}

func fromServices(ss []dockerx.Service) []deploy.Container {
	out := make([]deploy.Container, len(ss))
	for i, s := range ss {
		out[i] = fromService(s)
	}
	return out
}

// List returns the services of a compose service, each as the container it runs, and the
// running tasks of the stack's service of that name (see stack.go).
func (e Engine) List(ctx context.Context, service string) ([]deploy.Container, error) {
	ss, err := e.Docker.ListServices(ctx, e.Project.Name, service)
	if err != nil {
		return nil, err
	}
	stack, err := e.listStack(ctx, service)
	if err != nil {
		return nil, err
	}
	return append(fromServices(ss), stack...), nil
}

// Create creates the service of container number of the compose service, from image, with no task yet.
func (e Engine) Create(ctx context.Context, service, image string, number int) (deploy.Container, error) {
	s, err := e.Docker.CreateService(ctx, e.Project, service, dockerx.CreateOptions{Image: image, Number: number})
	if err != nil {
		return deploy.Container{}, err
	}
	return fromService(s), nil
}

// Start scales the service to its one task. A stack's task is never started by roll.
func (e Engine) Start(ctx context.Context, id string) error {
	if _, ok := stackService(id); ok {
		return fmt.Errorf("starting %s: it is a task of a stack's service, which roll does not start", id)
	}
	return e.Docker.ScaleService(ctx, id, 1)
}

// Inspect returns a service (or a stack's task) as its container.
func (e Engine) Inspect(ctx context.Context, id string) (deploy.Container, error) {
	if _, ok := stackService(id); ok {
		return e.inspectStackTask(ctx, id)
	}
	s, err := e.Docker.InspectService(ctx, id)
	if err != nil {
		return deploy.Container{}, err
	}
	return fromService(s), nil
}

// WaitStarted waits until the service's task runs (and, with a healthcheck on this node, is
// healthy); it fails at once when a task fails or Swarm rejects it, with Swarm's reason.
func (e Engine) WaitStarted(ctx context.Context, id string) (deploy.Container, error) {
	if _, ok := stackService(id); ok {
		return e.inspectStackTask(ctx, id)
	}
	s, err := e.Docker.WaitServiceRunning(ctx, id)
	return fromService(s), err
}

// Stop scales the service to no task: Swarm stops the container with the service's stop
// signal and grace period. A stack's task stops with every task of its service: the stack's
// service is scaled to none, and kept (its spec is the stack's record; docker stack rm
// removes it).
func (e Engine) Stop(ctx context.Context, id string) error {
	if service, ok := stackService(id); ok {
		id = service
	}
	return e.Docker.StopService(ctx, id)
}

// Remove removes the service, and its task with it. A stack's task is stopped as Stop
// stops it; the stack's service stays.
func (e Engine) Remove(ctx context.Context, id string) error {
	if _, ok := stackService(id); ok {
		return e.Stop(ctx, id)
	}
	return e.Docker.RemoveService(ctx, id)
}

// Logs returns the last n lines of the service's tasks, wherever they ran.
func (e Engine) Logs(ctx context.Context, id string, n int) ([]string, error) {
	if service, ok := stackService(id); ok {
		id = service
	}
	s, err := e.Docker.ServiceLogs(ctx, id, n)
	if err != nil {
		return nil, err
	}
	return dockerx.Lines(s), nil
}

// Exec runs cmd in the container of the service's running task, with docker exec on the
// node roll talks to: a task that runs on another node is out of reach, and Exec says so
// rather than guess (a local hook, run: local, works wherever the task runs).
func (e Engine) Exec(ctx context.Context, id string, cmd, env []string) (deploy.ExecResult, error) {
	if _, ok := stackService(id); ok {
		return deploy.ExecResult{}, fmt.Errorf("running %v in %s: it is a task of a stack's service, which roll runs no command in", cmd, id)
	}
	s, err := e.Docker.InspectService(ctx, id)
	if err != nil {
		return deploy.ExecResult{}, err
	}
	t := s.Current()
	switch {
	case t == nil || t.ContainerState() != "running":
		return deploy.ExecResult{}, fmt.Errorf("running %v in %s: its task does not run", cmd, s.Name)
	case !t.Local || t.ContainerID == "":
		return deploy.ExecResult{}, fmt.Errorf("%w: running %v in %s: its task runs on node %s, and roll reaches containers with docker exec "+
			"only on the node it talks to; point DOCKER_HOST at that node, pin the service there (deploy.placement), or make the hook run: local",
			dockerx.ErrUnsupported, cmd, s.Name, t.Node)
	}
	res, err := e.Docker.Exec(ctx, t.ContainerID, cmd, env)
	return deploy.ExecResult{ExitCode: res.ExitCode, Output: dockerx.Lines(res.Output)}, err
}
