package deploy

import (
	"context"
	"errors"
	"slices"

	"github.com/rollcd/roll/pkg/admin"
)

// ContainerReport is one container joined with its backend in the gateway (nil when the gateway does not know it).
type ContainerReport struct {
	Container
	Backend *admin.BackendStatus `json:"backend,omitempty"`
}

// ServiceReport is what `roll status` shows for one service.
type ServiceReport struct {
	Service    string                `json:"service"`
	Rolled     bool                  `json:"rolled"` // deployed through the gateway
	Containers []ContainerReport     `json:"containers"`
	Orphans    []admin.BackendStatus `json:"orphan_backends,omitempty"` // gateway backends without a container
	Rollout    *admin.RolloutEvent   `json:"rollout,omitempty"`
	// Watch is the post-switch watch under way, with its figures so far.
	Watch *admin.WatchStatus `json:"watch,omitempty"`
	// Pause and Maintenance are the gateway's: the ones under way, or the last ones.
	Pause       *admin.PauseStatus       `json:"pause,omitempty"`
	Maintenance *admin.MaintenanceStatus `json:"maintenance,omitempty"`
	// Canary is the gateway's canary under way, live: share, time left, both sides, verdict so far.
	Canary     *admin.CanaryStatus  `json:"canary,omitempty"`
	Deploys    []admin.DeployRecord `json:"deploys,omitempty"`
	GatewayErr string               `json:"gateway_error,omitempty"`
}

// Report joins the containers of a service with the gateway's view and its last deploys.
// A gateway that cannot be reached is reported in the result, not as an error: the containers still show.
func Report(ctx context.Context, e Engine, g Gateway, service string, rolled bool, deploys int) (ServiceReport, error) {
	rep := ServiceReport{Service: service, Rolled: rolled}
	cs, err := e.List(ctx, service)
	if err != nil {
		return rep, err
	}
	slices.SortFunc(cs, func(a, b Container) int { return a.Number - b.Number })
	backends := map[string]admin.BackendStatus{}
	if rolled && g != nil {
		st, err := g.Service(ctx, service)
		switch {
		case err == nil:
			for _, b := range st.Backends {
				backends[b.Name] = b
			}
			rep.Rollout, rep.Pause, rep.Maintenance, rep.Canary = st.Rollout, st.Pause, st.Maintenance, st.Canary
			rep.Watch = st.Watch
		case errors.Is(err, admin.ErrNotFound):
			rep.GatewayErr = "the gateway does not know this service yet (run roll up or roll deploy)"
		default:
			rep.GatewayErr = err.Error()
		}
		if rep.GatewayErr == "" {
			if hist, err := g.Deploys(ctx, service); err == nil {
				rep.Deploys = hist[:min(deploys, len(hist))]
			}
		}
	}
	for _, c := range cs {
		cr := ContainerReport{Container: c}
		if b, ok := backends[c.Name]; ok {
			cr.Backend = &b
			delete(backends, c.Name)
		}
		rep.Containers = append(rep.Containers, cr)
	}
	for _, b := range backends {
		rep.Orphans = append(rep.Orphans, b)
	}
	slices.SortFunc(rep.Orphans, func(a, b admin.BackendStatus) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return rep, nil
}
