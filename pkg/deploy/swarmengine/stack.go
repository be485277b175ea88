package swarmengine

import (
	"context"
	"fmt"
	"strings"

	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/dockerx"
)

// Adopting a stack (docs/architecture.md, Swarm, "A stack that docker stack deploy made"):
// the services `docker stack deploy` made for the stack named like the project run the
// project's release before roll's first deploy. Each of their running tasks is one
// container of its compose service, reached by its address on the project's network; the
// deploy that replaces them scales the stack's service to none, and nothing of the stack is
// ever removed by roll.

// stackSep joins a stack service's id and one of its task's ids into the id of the
// container the task stands for; Swarm's ids never hold it.
const stackSep = "/"

// stackService returns the stack's service id in the id of a container that is a stack's
// task, and whether it is one.
func stackService(id string) (string, bool) {
	service, _, ok := strings.Cut(id, stackSep)
	return service, ok
}

// stackContainers are the running tasks of the stack's services, each as a container of its
// compose service: named like `docker service ps` names it (<stack>_<service>.<slot>).
func (e Engine) stackContainers(ss []dockerx.Service) []deploy.Container {
	var out []deploy.Container
	for _, s := range ss {
		for _, t := range s.Tasks {
			if t.Desired != "running" || !t.Live() {
				continue
			}
			out = append(out, deploy.Container{ID: s.ID + stackSep + t.ID, Name: fmt.Sprintf("%s.%d", s.Name, t.Slot),
				Service: s.Service, Image: s.Image, Hostname: dockerx.StackHostname(s, t), State: t.ContainerState(),
				Health: t.Health, Node: t.Node, Created: t.Created, Address: dockerx.StackTaskAddress(e.Project, s.Service, t), Stack: s.Stack})
		}
	}
	return out
}

// listStack returns the containers of the stack's services of a compose service (all of
// them for "").
func (e Engine) listStack(ctx context.Context, service string) ([]deploy.Container, error) {
	ss, err := e.Docker.ListStackServices(ctx, e.Project, service)
	if err != nil {
		return nil, err
	}
	return e.stackContainers(ss), nil
}

// inspectStackTask returns the container of one task of a stack's service.
func (e Engine) inspectStackTask(ctx context.Context, id string) (deploy.Container, error) {
	service, _ := stackService(id)
	s, err := e.Docker.InspectService(ctx, service)
	if err != nil {
		return deploy.Container{}, err
	}
	for _, c := range e.stackContainers([]dockerx.Service{s}) {
		if c.ID == id {
			return c, nil
		}
	}
	return deploy.Container{ID: id, Name: s.Name, Service: s.Service, Image: s.Image, State: "exited", Stack: s.Stack}, nil
}

// refuseStackGateway refuses a stack that runs the project's gateway service itself: roll
// runs its own gateway, found by compose's labels, and the stack's would hold its ports.
func (e Engine) refuseStackGateway(ctx context.Context) error {
	gw := e.Project.Settings.Gateway
	if gw == "" {
		return nil
	}
	ss, err := e.Docker.ListStackServices(ctx, e.Project, gw)
	if err != nil || len(ss) == 0 {
		return err
	}
	return fmt.Errorf("%w: stack %s runs the gateway service %s itself (Swarm service %s), and roll runs its own gateway: "+
		"remove the stack's (docker service rm %s), then run roll up again", dockerx.ErrConflict, e.Project.Name, gw, ss[0].Name, ss[0].Name)
}

// Remainder says what of the stack named like the project roll leaves: its services (at
// their scale) and networks, which `docker stack rm` removes.
func (e Engine) Remainder(ctx context.Context) (string, error) {
	ss, err := e.Docker.ListStackServices(ctx, e.Project, "")
	if err != nil {
		return "", err
	}
	nets, err := e.Docker.StackNetworks(ctx, e.Project)
	if err != nil || len(ss)+len(nets) == 0 {
		return "", err
	}
	var parts []string
	for _, s := range ss {
		parts = append(parts, fmt.Sprintf("service %s (%d replica(s))", s.Name, s.Replicas))
	}
	for _, n := range nets {
		parts = append(parts, "network "+n)
	}
	return fmt.Sprintf("left what docker stack deploy made for stack %s: %s; docker stack rm %s removes it",
		e.Project.Name, strings.Join(parts, ", "), e.Project.Name), nil
}
