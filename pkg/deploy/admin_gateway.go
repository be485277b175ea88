package deploy

import (
	"context"

	"github.com/rollcd/roll/pkg/admin"
)

// AdminGateway is the Gateway of a deploy reached through the admin API.
// Plain calls are bounded by the client's own timeout; the rollout follows ctx.
type AdminGateway struct {
	Client *admin.Client
}

var _ Gateway = AdminGateway{}

// Service returns the gateway's view of a service.
func (g AdminGateway) Service(_ context.Context, name string) (admin.ServiceStatus, error) {
	return g.Client.Service(name)
}

// PutService registers or updates a service's routing.
func (g AdminGateway) PutService(_ context.Context, spec admin.ServiceSpec) error {
	return g.Client.PutService(spec)
}

// AddBackend adds a backend to a service.
func (g AdminGateway) AddBackend(_ context.Context, service string, spec admin.BackendSpec) (admin.BackendStatus, error) {
	return g.Client.AddBackend(service, spec)
}

// RemoveBackend removes a backend from a service.
func (g AdminGateway) RemoveBackend(_ context.Context, service, backend string) error {
	return g.Client.RemoveBackend(service, backend)
}

// Rollout runs a rollout and streams its acknowledgements.
func (g AdminGateway) Rollout(ctx context.Context, service string, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
	return g.Client.Rollout(ctx, service, req, progress)
}

// Deploys returns the service's deploy history, newest first.
func (g AdminGateway) Deploys(_ context.Context, service string) ([]admin.DeployRecord, error) {
	return g.Client.Deploys(service)
}

// RecordDeploy adds a record to the history.
func (g AdminGateway) RecordDeploy(_ context.Context, rec admin.DeployRecord) error {
	return g.Client.RecordDeploy(rec)
}
