package dockerx

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// Container is what roll needs to know about one container.
type Container struct {
	// ID is the full container ID.
	ID string
	// Name is the container name without the leading slash.
	Name string
	// Image is the image reference the container was created from.
	Image string
	// Created is when the container was created.
	Created time.Time
	// State is the engine's status: created, running, paused, restarting,
	// removing, exited or dead.
	State string
	// Health is the healthcheck status: starting, healthy, unhealthy, or ""
	// when the container has no healthcheck.
	Health string
	// Project, Service and Number come from the compose labels.
	Project string
	Service string
	Number  int
	// Labels are all the container's labels.
	Labels map[string]string
	// Networks are the container's networks by engine-side name.
	Networks map[string]NetworkInfo
	// Hostname is the container's host name.
	Hostname string
}

// NetworkInfo is a container's attachment to one network.
type NetworkInfo struct {
	// IP is the container's IPv4 address on the network ("" when not running).
	IP string
	// Aliases are the names other containers on the network can resolve.
	Aliases []string
}

// Running reports whether the container's process runs.
func (c Container) Running() bool { return c.State == "running" }

// SwarmTask reports whether the container runs a task of a Swarm service.
func (c Container) SwarmTask() bool { return c.Labels["com.docker.swarm.task.id"] != "" }

// List returns the containers of a compose service, as `docker compose ps -a`
// would list them (one-off `run` containers excluded), ordered by number.
// An empty service lists every container of the project.
func (c *Client) List(ctx context.Context, project, service string) ([]Container, error) {
	summaries, err := c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: composeFilters(project, service)})
	if err != nil {
		return nil, engineError(fmt.Sprintf("listing the containers of %s", describeService(project, service)), err)
	}
	out := make([]Container, 0, len(summaries))
	for _, s := range summaries {
		ctr, err := c.Inspect(ctx, s.ID)
		if isNotFound(err) {
			continue // removed between the list and the inspect
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ctr)
	}
	slices.SortFunc(out, func(a, b Container) int { return byServiceAndNumber(a.Service, a.Number, b.Service, b.Number) })
	return out, nil
}

// composeFilters select what compose made for a service (every service of the project for
// ""), one-off `run` containers left out.
func composeFilters(project, service string) filters.Args {
	args := filters.NewArgs(
		filters.Arg("label", LabelProject+"="+project),
		filters.Arg("label", LabelOneoff+"=False"),
	)
	if service != "" {
		args.Add("label", LabelService+"="+service)
	}
	return args
}

// byServiceAndNumber orders by compose service, then by container number.
func byServiceAndNumber(serviceA string, a int, serviceB string, b int) int {
	if serviceA != serviceB {
		return strings.Compare(serviceA, serviceB)
	}
	return a - b
}

// Inspect returns one container by ID or name; ErrNotFound if it does not exist.
func (c *Client) Inspect(ctx context.Context, id string) (Container, error) {
	info, err := c.api.ContainerInspect(ctx, id)
	if err != nil {
		return Container{}, engineError(fmt.Sprintf("inspecting container %s", id), err)
	}
	return fromInspect(info), nil
}

func fromInspect(info container.InspectResponse) Container {
	ctr := Container{
		ID:       info.ID,
		Name:     strings.TrimPrefix(info.Name, "/"),
		Networks: map[string]NetworkInfo{},
	}
	if info.Config != nil {
		ctr.Image = info.Config.Image
		ctr.Labels = info.Config.Labels
		ctr.Hostname = info.Config.Hostname
	}
	ctr.Created, _ = time.Parse(time.RFC3339Nano, info.Created)
	if st := info.State; st != nil {
		ctr.State = string(st.Status)
		if st.Health != nil {
			ctr.Health = string(st.Health.Status)
		}
	}
	ctr.Project = ctr.Labels[LabelProject]
	ctr.Service = ctr.Labels[LabelService]
	ctr.Number, _ = strconv.Atoi(ctr.Labels[LabelNumber])
	if info.NetworkSettings != nil {
		for name, ep := range info.NetworkSettings.Networks {
			if ep == nil {
				continue
			}
			ctr.Networks[name] = NetworkInfo{IP: ep.IPAddress, Aliases: slices.Clone(ep.Aliases)}
		}
	}
	return ctr
}

func describeService(project, service string) string {
	if service == "" {
		return "project " + project
	}
	return fmt.Sprintf("service %s of project %s", service, project)
}
