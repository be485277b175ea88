package admin

import "context"

// Service is the control surface the gateway offers; Handler serves it over HTTP
// and Client calls it from another process. Errors wrap the sentinels of errors.go.
type Service interface {
	Services() []ServiceStatus
	Service(name string) (ServiceStatus, error)
	PutService(spec ServiceSpec) error
	DeleteService(name string) error
	AddBackend(service string, spec BackendSpec) (BackendStatus, error)
	UpdateBackend(service, backend string, patch BackendPatch) (BackendStatus, error)
	RemoveBackend(service, backend string) error
	// Rollout runs a whole rollout, calling progress for every acknowledgement.
	// Cancelling ctx before the switch removes the new backends; after the switch it has no effect.
	Rollout(ctx context.Context, service string, req RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error)
	Deploys(service string) ([]DeployRecord, error)
	RecordDeploy(rec DeployRecord) error
}
