package swarmengine

import (
	"context"
	"errors"

	"github.com/rollcd/roll/pkg/deploy"
)

// ListProject returns every service of the project, each as its container, and the running
// tasks of the stack named like the project.
func (e Engine) ListProject(ctx context.Context) ([]deploy.Container, error) {
	ss, err := e.Docker.ListServices(ctx, e.Project.Name, "")
	if err != nil {
		return nil, err
	}
	stack, err := e.listStack(ctx, "")
	if err != nil {
		return nil, err
	}
	return append(fromServices(ss), stack...), nil
}

// EnsureShared creates the project's networks as attachable overlay networks of the swarm,
// and its named volumes on this node (a local volume lives on the node that made it). The
// networks of a stack named like the project are the project's. A stack that runs the
// gateway service itself is refused.
func (e Engine) EnsureShared(ctx context.Context) error {
	if err := e.refuseStackGateway(ctx); err != nil {
		return err
	}
	if err := e.Docker.EnsureSwarmNetworks(ctx, e.Project); err != nil {
		return err
	}
	return e.Docker.EnsureVolumes(ctx, e.Project)
}

// RemoveShared removes the project's networks and, with volumes, its named volumes on this
// node; external ones stay.
func (e Engine) RemoveShared(ctx context.Context, volumes bool) error {
	err := e.Docker.RemoveSwarmNetworks(ctx, e.Project)
	if volumes {
		err = errors.Join(err, e.Docker.RemoveVolumes(ctx, e.Project))
	}
	return err
}
