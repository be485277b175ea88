package dockerx

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/rollcd/roll/pkg/project"
)

// cleanupTimeout bounds the removal of a half-created container, which runs
// even when the caller's context is already cancelled.
const cleanupTimeout = 30 * time.Second

// CreateOptions adjust the container that CreateForService creates.
type CreateOptions struct {
	// Image replaces the service's image, for a deploy of a new tag.
	Image string
	// Number is the container number; 0 takes the next free one.
	Number int
}

// CreateForService creates (without starting) a container for a compose
// service exactly as docker compose would: same name pattern, labels, config
// hash and Engine API configuration, so compose commands treat it as theirs.
// A compose key roll cannot honour is an ErrUnsupported naming the key; the
// image must already be on the engine (ErrNotFound otherwise).
func (c *Client) CreateForService(ctx context.Context, p *project.Project, service string, opts CreateOptions) (Container, error) {
	svc, err := p.Service(service)
	if err != nil {
		return Container{}, err
	}
	if err := checkSupported(svc); err != nil {
		return Container{}, err
	}
	svc.Image = imageName(p, svc, opts.Image)
	img, err := c.api.ImageInspect(ctx, svc.Image)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return Container{}, &tagged{
				msg: fmt.Sprintf("image %s of service %s is not on the engine: build it (roll up --build) or pull it (docker pull %s)",
					svc.Image, service, svc.Image),
				sentinel: ErrNotFound,
			}
		}
		return Container{}, engineError("inspecting image "+svc.Image, err)
	}
	number := opts.Number
	if number == 0 {
		if number, err = c.nextNumber(ctx, p.Name, service); err != nil {
			return Container{}, err
		}
	}
	name := svc.ContainerName
	if name == "" {
		name = fmt.Sprintf("%s-%s-%d", p.Name, service, number)
	}
	hash, err := configHash(svc)
	if err != nil {
		return Container{}, err
	}
	sp, err := buildSpec(p, svc, svc.Image, c.api.ClientVersion())
	if err != nil {
		return Container{}, err
	}
	maps.Copy(sp.config.Labels, containerLabels(p, svc, number, hash, img.ID))
	return c.create(ctx, name, sp)
}

// create makes the container on its first network and connects the others.
func (c *Client) create(ctx context.Context, name string, sp spec) (Container, error) {
	var netCfg *network.NetworkingConfig
	if len(sp.endpoints) > 0 {
		first := sp.endpoints[0]
		netCfg = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{first.network: first.settings}}
	}
	created, err := c.api.ContainerCreate(ctx, sp.config, sp.host, netCfg, nil, name)
	if err != nil {
		if errdefs.IsConflict(err) {
			return Container{}, &tagged{msg: "creating container " + name + ": the name is taken", sentinel: ErrConflict, cause: err}
		}
		return Container{}, engineError("creating container "+name, err)
	}
	for _, ep := range sp.endpoints[min(1, len(sp.endpoints)):] {
		if err := c.api.NetworkConnect(ctx, ep.network, created.ID, ep.settings); err != nil {
			c.discard(created.ID, name)
			return Container{}, engineError(fmt.Sprintf("connecting container %s to network %s", name, ep.network), err)
		}
	}
	ctr, err := c.Inspect(ctx, created.ID)
	if err != nil {
		c.discard(created.ID, name)
		return Container{}, err
	}
	slog.Debug("container created", "name", name, "id", created.ID[:12], "image", sp.config.Image)
	return ctr, nil
}

// discard removes a container that could not be completed, so a failed
// create leaves nothing behind.
func (c *Client) discard(id, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := c.api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
		slog.Warn("removing half-created container failed", "name", name, "id", id, "err", err)
	}
}

// nextNumber returns one more than the highest number among the service's
// containers, as compose numbers them.
func (c *Client) nextNumber(ctx context.Context, projectName, service string) (int, error) {
	ctrs, err := c.List(ctx, projectName, service)
	if err != nil {
		return 0, err
	}
	highest := 0
	for _, ctr := range ctrs {
		highest = max(highest, ctr.Number)
	}
	return highest + 1, nil
}

// imageName is the image a service's container runs: the override, the
// service's image, or the name compose gives a built image.
func imageName(p *project.Project, svc project.ServiceConfig, override string) string {
	switch {
	case override != "":
		return override
	case svc.Image != "":
		return svc.Image
	default:
		return p.Name + "-" + svc.Name
	}
}
