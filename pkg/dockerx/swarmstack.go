package dockerx

import (
	"context"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/rollcd/roll/pkg/project"
)

// The labels `docker stack deploy` puts on what it creates: its services
// (named <stack>_<service>), their tasks' containers and its networks.
const (
	LabelStackNamespace = "com.docker.stack.namespace"
	LabelStackImage     = "com.docker.stack.image"
)

// ListStackServices returns the services that `docker stack deploy` made for
// the stack named like the project, each with its tasks: those of one compose
// service (every one of the project's when service is ""). A service of the
// stack that no compose service of the project names is left out.
func (c *Client) ListStackServices(ctx context.Context, p *project.Project, service string) ([]Service, error) {
	args := filters.NewArgs(filters.Arg("label", LabelStackNamespace+"="+p.Name))
	if service != "" {
		args.Add("name", p.Name+"_"+service) // a prefix match: checked exactly below
	}
	list, err := c.api.ServiceList(ctx, swarm.ServiceListOptions{Filters: args})
	if err != nil {
		return nil, engineError("listing the Swarm services of stack "+p.Name, err)
	}
	known := p.ServiceNames()
	list = slices.DeleteFunc(list, func(s swarm.Service) bool {
		sv := fromSwarm(s)
		return sv.Stack == "" || !slices.Contains(known, sv.Service) || (service != "" && sv.Service != service)
	})
	out, err := c.withTasks(ctx, list)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Service) int { return byServiceAndNumber(a.Service, 0, b.Service, 0) })
	return out, nil
}

// StackTaskAddress is where the project's gateway reaches a task of a stack's
// service: its address on the first of the compose service's networks it is
// attached to (the stack's network <stack>_default is the project's default
// network, by compose's naming). "" when it has none yet.
func StackTaskAddress(p *project.Project, service string, t Task) string {
	svc, err := p.Service(service)
	if err != nil {
		return ""
	}
	addr := ""
	_ = eachNetwork(p, svc, func(_, name string, _ *project.ServiceNetworkConfig) error {
		if ip := t.Addresses[name]; ip != "" && addr == "" {
			addr = ip
		}
		return nil
	})
	return addr
}

// StackHostname is the host name of a stack task's container, the name an app
// derives its jvmRoute from: the service's own when it sets one without a
// template, else Docker's default, the container id's first 12 characters.
func StackHostname(s Service, t Task) string {
	if s.Hostname != "" && !strings.Contains(s.Hostname, "{{") {
		return s.Hostname
	}
	return shortID(t.ContainerID)
}

// StackNetworks returns the names of the networks `docker stack deploy` made
// for the stack named like the project.
func (c *Client) StackNetworks(ctx context.Context, p *project.Project) ([]string, error) {
	list, err := c.api.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelStackNamespace+"="+p.Name))})
	if err != nil {
		return nil, engineError("listing the networks of stack "+p.Name, err)
	}
	var out []string
	for _, n := range list {
		out = append(out, n.Name)
	}
	slices.Sort(out)
	return out, nil
}
