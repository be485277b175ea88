// Package dockerengine runs deploys on one Docker engine, as docker compose would: it is
// the deploy core's Engine and ProjectEngine for a compose project on plain Docker. The
// core (pkg/deploy) does not import it; the CLI plugs it in.
package dockerengine

import (
	"context"
	"fmt"

	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/dockerx"
	"github.com/rollcd/roll/pkg/project"
)

// Engine is a compose project on a Docker engine.
type Engine struct {
	Docker  *dockerx.Client
	Project *project.Project
}

var _ deploy.ProjectEngine = Engine{}

func fromDocker(c dockerx.Container) deploy.Container {
	return deploy.Container{ID: c.ID, Name: c.Name, Service: c.Service, Image: c.Image, Number: c.Number,
		Hostname: c.Hostname, State: c.State, Health: c.Health, Created: c.Created}
}

func fromDockerList(cs []dockerx.Container) []deploy.Container {
	out := make([]deploy.Container, len(cs))
	for i, c := range cs {
		out[i] = fromDocker(c)
	}
	return out
}

// List returns the service's containers.
func (e Engine) List(ctx context.Context, service string) ([]deploy.Container, error) {
	cs, err := e.Docker.List(ctx, e.Project.Name, service)
	if err != nil {
		return nil, err
	}
	return fromDockerList(cs), nil
}

// Create creates a container for the service as compose would, with image and number.
func (e Engine) Create(ctx context.Context, service, image string, number int) (deploy.Container, error) {
	c, err := e.Docker.CreateForService(ctx, e.Project, service, dockerx.CreateOptions{Image: image, Number: number})
	if err != nil {
		return deploy.Container{}, err
	}
	return fromDocker(c), nil
}

// Start starts a container.
func (e Engine) Start(ctx context.Context, id string) error { return e.Docker.Start(ctx, id) }

// Inspect returns a container's current view.
func (e Engine) Inspect(ctx context.Context, id string) (deploy.Container, error) {
	c, err := e.Docker.Inspect(ctx, id)
	if err != nil {
		return deploy.Container{}, err
	}
	return fromDocker(c), nil
}

// WaitStarted waits for running and, with a healthcheck, healthy.
func (e Engine) WaitStarted(ctx context.Context, id string) (deploy.Container, error) {
	st, err := e.Docker.WaitHealthy(ctx, id)
	c, ierr := e.Inspect(context.WithoutCancel(ctx), id)
	if ierr != nil {
		c = deploy.Container{ID: id, State: st.Status, Health: st.Health}
	}
	if err != nil {
		return c, fmt.Errorf("%s is %s: %w", c.Name, st, err)
	}
	return c, nil
}

// Stop stops a container with its service's stop signal and grace period.
func (e Engine) Stop(ctx context.Context, id string) error { return e.Docker.Stop(ctx, id, 0) }

// Remove removes a container.
func (e Engine) Remove(ctx context.Context, id string) error { return e.Docker.Remove(ctx, id) }

// Logs returns the container's last n lines.
func (e Engine) Logs(ctx context.Context, id string, n int) ([]string, error) {
	s, err := e.Docker.Logs(ctx, id, n)
	if err != nil {
		return nil, err
	}
	return dockerx.Lines(s), nil
}

// Build builds the service's image (compose build:) and tags it image.
func (e Engine) Build(ctx context.Context, service, image string) error {
	svc, err := e.Project.Service(service)
	if err != nil {
		return err
	}
	if svc.Build == nil {
		return fmt.Errorf("%w: service %q has no build: section; --build needs one", project.ErrInvalidProject, service)
	}
	// BuildService refuses the build keys the engine's builder cannot honour, naming the key.
	_, err = e.Docker.BuildService(ctx, e.Project, service, image)
	return err
}

// Exec runs cmd in the container (docker exec).
func (e Engine) Exec(ctx context.Context, id string, cmd, env []string) (deploy.ExecResult, error) {
	res, err := e.Docker.Exec(ctx, id, cmd, env)
	return deploy.ExecResult{ExitCode: res.ExitCode, Output: dockerx.Lines(res.Output)}, err
}
