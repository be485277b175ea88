package dockerengine

import (
	"context"
	"errors"

	"github.com/rollcd/roll/pkg/deploy"
)

// ListProject returns every container of the project, each with its service.
func (e Engine) ListProject(ctx context.Context) ([]deploy.Container, error) {
	cs, err := e.Docker.List(ctx, e.Project.Name, "")
	if err != nil {
		return nil, err
	}
	return fromDockerList(cs), nil
}

// EnsureShared creates the project's networks and named volumes that do not exist yet.
func (e Engine) EnsureShared(ctx context.Context) error {
	if err := e.Docker.EnsureNetworks(ctx, e.Project); err != nil {
		return err
	}
	return e.Docker.EnsureVolumes(ctx, e.Project)
}

// RemoveShared removes the project's networks and, with volumes, its named volumes;
// external ones stay.
func (e Engine) RemoveShared(ctx context.Context, volumes bool) error {
	err := e.Docker.RemoveNetworks(ctx, e.Project)
	if volumes {
		err = errors.Join(err, e.Docker.RemoveVolumes(ctx, e.Project))
	}
	return err
}
