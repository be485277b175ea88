package deploy

import (
	"context"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// Container is what deploy needs to know of one container of the service.
type Container struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Service  string    `json:"service,omitempty"` // the compose service it belongs to
	Image    string    `json:"image"`
	Number   int       `json:"number"` // compose container number (the N of project-service-N)
	Hostname string    `json:"hostname,omitempty"`
	State    string    `json:"state"`            // running, exited, created, …
	Health   string    `json:"health,omitempty"` // healthy, unhealthy, starting, or "" without a healthcheck
	Node     string    `json:"node,omitempty"`   // the Swarm node its task runs on; "" on plain Docker
	Created  time.Time `json:"created"`
	// Address is where the gateway reaches the container when its name does not resolve to
	// it (a task of a stack's service, by its IP on the project's network); "" means by name.
	Address string `json:"address,omitempty"`
	// Stack names the stack (`docker stack deploy`) whose service runs this container's task:
	// roll adopted it rather than created it, so roll down leaves it (see Remainder).
	Stack string `json:"stack,omitempty"`
}

// Running reports whether the container's process is up.
func (c Container) Running() bool { return c.State == "running" }

// Engine is what a deploy needs of the container engine, for one compose project:
// pkg/deploy/dockerengine provides it on plain Docker. The core never learns which engine it runs on.
type Engine interface {
	// List returns the containers of one compose service, in any state.
	List(ctx context.Context, service string) ([]Container, error)
	// Create makes (but does not start) a container for the service from its compose configuration.
	Create(ctx context.Context, service, image string, number int) (Container, error)
	Start(ctx context.Context, id string) error
	Inspect(ctx context.Context, id string) (Container, error)
	// WaitStarted returns when the container runs and, if it has a healthcheck, is healthy;
	// it fails at once when the container exits.
	WaitStarted(ctx context.Context, id string) (Container, error)
	// Stop stops the container with the service's stop signal and grace period.
	Stop(ctx context.Context, id string) error
	Remove(ctx context.Context, id string) error
	// Logs returns the last n lines of the container's output.
	Logs(ctx context.Context, id string, n int) ([]string, error)
	// Exec runs cmd in the running container, as docker exec does, with env ("KEY=value")
	// added to its environment, until it ends or ctx does (a hook). An error means it did not
	// run to its end: the engine failed, cannot reach the container, or ctx ended.
	Exec(ctx context.Context, id string, cmd, env []string) (ExecResult, error)
}

// ExecResult is how a command run in a container ended.
type ExecResult struct {
	ExitCode int
	// Output is the end of what it wrote, standard output and error interleaved, by line.
	Output []string
}

// ProjectEngine is what `roll up` and `roll down` need beyond Engine: the project's shared
// resources and all of its containers.
type ProjectEngine interface {
	Engine
	// ListProject returns every container of the project, each with its Service.
	ListProject(ctx context.Context) ([]Container, error)
	// EnsureShared creates the project's networks and named volumes that are missing.
	EnsureShared(ctx context.Context) error
	// RemoveShared removes the project's networks and, with volumes, its named volumes.
	RemoveShared(ctx context.Context, volumes bool) error
}

// Remainder is implemented by a ProjectEngine that adopts what another tool made for the
// project (on Swarm: a stack of `docker stack deploy`). Down removes only what roll created
// and tells the person what it left and how to remove it.
type Remainder interface {
	// Remainder describes what of the project roll did not create and leaves in place; "" when nothing.
	Remainder(ctx context.Context) (string, error)
}

// Gateway is the part of the gateway's admin API a deploy uses. admin.Client provides it.
type Gateway interface {
	Service(ctx context.Context, name string) (admin.ServiceStatus, error)
	PutService(ctx context.Context, spec admin.ServiceSpec) error
	AddBackend(ctx context.Context, service string, spec admin.BackendSpec) (admin.BackendStatus, error)
	RemoveBackend(ctx context.Context, service, backend string) error
	Rollout(ctx context.Context, service string, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error)
	// Handoff answers a rollout's StepHandoff event.
	Handoff(ctx context.Context, service string, reply admin.HandoffReply) error
	// Switch answers the StepReady event of a rollout that holds its switch (pre_switch hooks).
	Switch(ctx context.Context, service string, reply admin.SwitchReply) error
	Deploys(ctx context.Context, service string) ([]admin.DeployRecord, error)
	RecordDeploy(ctx context.Context, rec admin.DeployRecord) error
}

// The admin API's client is the Gateway of a deploy run from another process: every call
// follows the deploy's context, so Ctrl-C cancels it at once.
var _ Gateway = (*admin.Client)(nil)
