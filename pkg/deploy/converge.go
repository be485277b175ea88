package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/rollcd/roll/pkg/admin"
)

// converge registers the service, adopts containers the gateway does not know, then removes
// what earlier, interrupted deploys left behind — after adoption, so that replacing a stale
// backend by an adopted one never leaves the service empty.
func (r *run) converge(ctx context.Context, plan Plan) error {
	spec := r.t.Spec
	spec.Name = r.t.Service
	if err := r.d.Gateway.PutService(ctx, spec); err != nil {
		return stepErr(StepObserve, ErrGateway, fmt.Errorf("registering the service with the gateway: %w", err))
	}
	if err := adopt(ctx, r.d.Gateway, r.t, plan.Adopt); err != nil {
		return stepErr(StepObserve, ErrGateway, err)
	}
	return r.cleanup(ctx, plan)
}

// cleanup removes leftovers of interrupted deploys and backends whose container is gone.
func (r *run) cleanup(ctx context.Context, plan Plan) error {
	for _, name := range plan.StaleBackends {
		if err := r.d.Gateway.RemoveBackend(ctx, r.t.Service, name); err != nil && !errors.Is(err, admin.ErrNotFound) {
			return stepErr(StepCleanup, ErrGateway, fmt.Errorf("forgetting backend %s: %w", name, err))
		}
	}
	for _, c := range plan.Leftovers {
		if err := r.d.Engine.Remove(ctx, c.ID); err != nil {
			return stepErr(StepCleanup, ErrDocker, fmt.Errorf("removing leftover %s: %w", c.Name, err))
		}
		if err := r.d.Gateway.RemoveBackend(ctx, r.t.Service, c.Name); err != nil && !errors.Is(err, admin.ErrNotFound) {
			return stepErr(StepCleanup, ErrGateway, fmt.Errorf("forgetting backend %s: %w", c.Name, err))
		}
	}
	if len(plan.Leftovers)+len(plan.StaleBackends) > 0 {
		r.done(StepCleanup, "", fmt.Sprintf("removed %d leftover container(s), %d stale backend(s)", len(plan.Leftovers), len(plan.StaleBackends)))
	}
	return nil
}

// adopt registers running containers the gateway does not know as active backends (started
// by docker compose, or a gateway that lost its state). One it already has is fine.
func adopt(ctx context.Context, gw Gateway, t Target, cs []Container) error {
	for _, c := range cs {
		b := backendFor(t, c)
		b.Activation = admin.Active
		if _, err := gw.AddBackend(ctx, t.Service, b); err != nil && !errors.Is(err, admin.ErrConflict) {
			return fmt.Errorf("registering %s with the gateway: %w", c.Name, err)
		}
	}
	return nil
}

// backendFor is the gateway backend of container c: reached by name (or its Address) on the project network,
// sticky by its hostname (the jvmRoute each container derives from it).
func backendFor(t Target, c Container) admin.BackendSpec {
	route := c.Hostname
	if route == "" {
		route = c.Name
	}
	host := c.Name
	if c.Address != "" {
		host = c.Address
	}
	return admin.BackendSpec{
		Name:    c.Name,
		Address: net.JoinHostPort(host, strconv.Itoa(t.Port)),
		Route:   route,
		Weight:  max(t.Weight, admin.DefaultWeight),
		Meta:    map[string]string{"image": c.Image, "container_id": c.ID},
	}
}
