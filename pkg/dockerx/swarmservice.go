package dockerx

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
)

// SwarmInfo is the engine's place in a swarm.
type SwarmInfo struct {
	// State is the node's swarm state: inactive, pending, active, error or locked.
	State string
	// Manager is true when the node is a manager that can take service calls.
	Manager bool
	// NodeID is the node's id in the swarm ("" outside one).
	NodeID string
}

// Active reports whether the engine is an active manager of a swarm: the
// engine on which roll can create services.
func (s SwarmInfo) Active() bool { return s.State == string(swarm.LocalNodeStateActive) && s.Manager }

// Swarm returns the engine's swarm state, as `docker info` shows it.
func (c *Client) Swarm(ctx context.Context) (SwarmInfo, error) {
	info, err := c.api.Info(ctx)
	if err != nil {
		return SwarmInfo{}, engineError("reading the engine's swarm state", err)
	}
	return SwarmInfo{State: string(info.Swarm.LocalNodeState), Manager: info.Swarm.ControlAvailable, NodeID: info.Swarm.NodeID}, nil
}

// Service is what roll needs to know of a Swarm service that runs one
// container of a compose service.
type Service struct {
	// ID is the service's id; Name its name (<project>-<service>-<n>).
	ID   string
	Name string
	// Image is the image the deploy named (the client may have added a tag).
	Image   string
	Created time.Time
	// Project, Service and Number come from the compose labels. For a service that
	// `docker stack deploy` made, Project is the stack, Service the compose service it
	// was made from (its name without the stack's prefix) and Number 0.
	Project string
	Service string
	Number  int
	// Stack is the stack's namespace when `docker stack deploy` made the service, "" when roll did.
	Stack  string
	Labels map[string]string
	// Hostname is the task's host name, the name the app takes its jvmRoute from.
	Hostname string
	// Replicas is the number of tasks the service asks for: 0 or 1 for roll's.
	Replicas uint64
	// StopGrace is how long Swarm waits after the stop signal before it kills.
	StopGrace time.Duration
	// Tasks are the service's tasks that Swarm still keeps, newest first.
	Tasks []Task
}

// Task is one task of a service: one run of its container on some node.
type Task struct {
	ID string
	// State is the task's state (new … running, complete, failed, shutdown,
	// rejected, orphaned, remove); Desired is the state Swarm wants it in.
	State   string
	Desired string
	// Message and Err are Swarm's account of the state ("started", "no suitable node …").
	Message string
	Err     string
	// Node is the host name of the node the task is assigned to ("" before).
	Node string
	// Local is true when the task runs on the node roll talks to, whose
	// containers roll can inspect.
	Local       bool
	ContainerID string
	ExitCode    int
	// Slot is the task's slot in its service (a stack's service runs slots 1 … replicas).
	Slot int
	// Addresses are the task's IPv4 addresses by network name, once Swarm allocated them.
	Addresses map[string]string
	// Health is the health of the task's container when the task runs and is
	// Local, and the container has a healthcheck (the service's or its
	// image's): starting, healthy or unhealthy; else "".
	Health  string
	Created time.Time
}

// Live reports whether the task has not reached a final state.
func (t Task) Live() bool {
	switch swarm.TaskState(t.State) {
	case swarm.TaskStateComplete, swarm.TaskStateFailed, swarm.TaskStateShutdown, swarm.TaskStateRejected,
		swarm.TaskStateOrphaned, swarm.TaskStateRemove:
		return false
	}
	return true
}

// ContainerState is the task's state in a container's terms: created until it starts,
// starting, running, then exited once it ended (whatever ended it).
func (t Task) ContainerState() string {
	switch {
	case t.State == string(swarm.TaskStateStarting):
		return "starting"
	case t.State == string(swarm.TaskStateRunning):
		return "running"
	case !t.Live():
		return "exited"
	default: // new, allocated, pending, assigned, accepted, preparing, ready
		return "created"
	}
}

// Failed reports whether the task ended on its own: its container exited (or
// could not be created), rather than being stopped by Swarm.
func (t Task) Failed() bool {
	switch swarm.TaskState(t.State) {
	case swarm.TaskStateComplete, swarm.TaskStateFailed, swarm.TaskStateRejected:
		return true
	}
	return false
}

// String describes the task for a person: "running on node-1", "failed on
// node-1: task: non-zero exit (137)".
func (t Task) String() string {
	out := t.State
	if t.Node != "" {
		out += " on " + t.Node
	}
	if t.Health != "" {
		out += " (" + t.Health + ")"
	}
	switch {
	case t.Err != "":
		out += ": " + t.Err
	case t.Failed() && t.Message != "":
		out += ": " + t.Message
	}
	return out
}

// Current is the task that stands for the service now: the newest one Swarm
// wants running, else the newest one; nil when it has none.
func (s Service) Current() *Task {
	for i := range s.Tasks {
		if s.Tasks[i].Desired == string(swarm.TaskStateRunning) {
			return &s.Tasks[i]
		}
	}
	if len(s.Tasks) > 0 {
		return &s.Tasks[0]
	}
	return nil
}

// LastFailure is the newest task that ended on its own, or nil.
func (s Service) LastFailure() *Task {
	for i := range s.Tasks {
		if s.Tasks[i].Failed() {
			return &s.Tasks[i]
		}
	}
	return nil
}

// ListServices returns the Swarm services of a compose service (every one of
// the project when service is ""), each with its tasks, ordered by service
// and number.
func (c *Client) ListServices(ctx context.Context, project, service string) ([]Service, error) {
	list, err := c.api.ServiceList(ctx, swarm.ServiceListOptions{Filters: composeFilters(project, service)})
	if err != nil {
		return nil, engineError("listing the Swarm services of "+describeService(project, service), err)
	}
	out, err := c.withTasks(ctx, list)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Service) int { return byServiceAndNumber(a.Service, a.Number, b.Service, b.Number) })
	return out, nil
}

// InspectService returns one service by id or name, with its tasks;
// ErrNotFound if it does not exist.
func (c *Client) InspectService(ctx context.Context, id string) (Service, error) {
	s, _, err := c.api.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if err != nil {
		return Service{}, engineError("inspecting Swarm service "+id, err)
	}
	out, err := c.withTasks(ctx, []swarm.Service{s})
	if err != nil {
		return Service{}, err
	}
	return out[0], nil
}

// withTasks turns the engine's services into roll's, with their tasks, the
// nodes they run on and, for tasks on this node, their containers' health.
func (c *Client) withTasks(ctx context.Context, list []swarm.Service) ([]Service, error) {
	out := make([]Service, len(list))
	if len(list) == 0 {
		return out, nil
	}
	args := filters.NewArgs()
	for i, s := range list {
		out[i] = fromSwarm(s)
		args.Add("service", s.ID)
	}
	tasks, err := c.api.TaskList(ctx, swarm.TaskListOptions{Filters: args})
	if err != nil {
		return nil, engineError("listing the tasks of the Swarm services", err)
	}
	nodes, local, err := c.nodeNames(ctx)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, s := range out {
		index[s.ID] = i
	}
	for _, t := range tasks {
		i, ok := index[t.ServiceID]
		if !ok {
			continue
		}
		task := Task{ID: t.ID, State: string(t.Status.State), Desired: string(t.DesiredState), Message: t.Status.Message,
			Err: t.Status.Err, Node: nodes[t.NodeID], Local: t.NodeID != "" && t.NodeID == local, Created: t.CreatedAt}
		if cs := t.Status.ContainerStatus; cs != nil {
			task.ContainerID, task.ExitCode = cs.ContainerID, cs.ExitCode
		}
		task.Slot, task.Addresses = t.Slot, taskAddresses(t)
		out[i].Tasks = append(out[i].Tasks, task)
	}
	for i := range out {
		s := &out[i]
		slices.SortFunc(s.Tasks, func(a, b Task) int { return b.Created.Compare(a.Created) })
		for j := range s.Tasks { // roll's services want one task running, a stack's service one per slot
			if t := &s.Tasks[j]; t.Desired == string(swarm.TaskStateRunning) && t.Local && t.ContainerID != "" && t.State == string(swarm.TaskStateRunning) {
				if st, err := c.State(ctx, t.ContainerID); err == nil {
					t.Health = st.Health
				}
			}
		}
	}
	return out, nil
}

// taskAddresses are a task's IPv4 addresses by network name, without their prefix length.
func taskAddresses(t swarm.Task) map[string]string {
	out := map[string]string{}
	for _, na := range t.NetworksAttachments {
		for _, a := range na.Addresses {
			if ip, _, ok := strings.Cut(a, "/"); ok && !strings.Contains(ip, ":") {
				out[na.Network.Spec.Name] = ip
				break
			}
		}
	}
	return out
}

// nodeNames maps the swarm's node ids to host names, and says which node is this one.
func (c *Client) nodeNames(ctx context.Context) (map[string]string, string, error) {
	nodes, err := c.api.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, "", engineError("listing the swarm's nodes", err)
	}
	names := make(map[string]string, len(nodes))
	for _, n := range nodes {
		names[n.ID] = n.Description.Hostname
	}
	info, err := c.Swarm(ctx)
	if err != nil {
		return nil, "", err
	}
	return names, info.NodeID, nil
}

func fromSwarm(s swarm.Service) Service {
	out := Service{ID: s.ID, Name: s.Spec.Name, Created: s.CreatedAt, Labels: s.Spec.Labels}
	out.Project, out.Service = s.Spec.Labels[LabelProject], s.Spec.Labels[LabelService]
	out.Number, _ = strconv.Atoi(s.Spec.Labels[LabelNumber])
	if ns := s.Spec.Labels[LabelStackNamespace]; ns != "" && out.Project == "" {
		out.Project, out.Service, out.Stack = ns, strings.TrimPrefix(s.Spec.Name, ns+"_"), ns
	}
	if m := s.Spec.Mode.Replicated; m != nil && m.Replicas != nil {
		out.Replicas = *m.Replicas
	}
	out.StopGrace = defaultStopGrace
	if cs := s.Spec.TaskTemplate.ContainerSpec; cs != nil {
		out.Image, out.Hostname = cs.Image, cs.Hostname
		if cs.StopGracePeriod != nil {
			out.StopGrace = *cs.StopGracePeriod
		}
	}
	if ref := s.Spec.Labels[LabelImageRef]; ref != "" {
		out.Image = ref
	} else if ref := s.Spec.Labels[LabelStackImage]; ref != "" {
		out.Image = ref // as the stack's compose file named it, before the digest
	}
	return out
}

// defaultStopGrace is how long Swarm (like docker stop) waits before it kills.
const defaultStopGrace = 10 * time.Second

func (s Service) String() string {
	if cur := s.Current(); cur != nil {
		return fmt.Sprintf("%s (task %s)", s.Name, cur)
	}
	return s.Name + " (no task)"
}
