package admin

import "context"

// Service is the control surface the gateway offers; Handler serves it over HTTP
// and Client calls it from another process. Errors wrap the sentinels of errors.go.
// Every call takes the caller's context first: over HTTP it bounds and cancels the call.
type Service interface {
	Services(ctx context.Context) ([]ServiceStatus, error)
	Service(ctx context.Context, name string) (ServiceStatus, error)
	PutService(ctx context.Context, spec ServiceSpec) error
	DeleteService(ctx context.Context, name string) error
	AddBackend(ctx context.Context, service string, spec BackendSpec) (BackendStatus, error)
	UpdateBackend(ctx context.Context, service, backend string, patch BackendPatch) (BackendStatus, error)
	RemoveBackend(ctx context.Context, service, backend string) error
	// Rollout runs a whole rollout, calling progress for every acknowledgement.
	// Cancelling ctx before the switch removes the new backends; after the switch it has no effect.
	Rollout(ctx context.Context, service string, req RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error)
	// Handoff answers the StepHandoff event of a running rollout (DrainHandoff).
	Handoff(ctx context.Context, service string, reply HandoffReply) error
	// Switch answers the StepReady event of a rollout that holds its switch (SwitchHold).
	Switch(ctx context.Context, service string, reply SwitchReply) error
	// Pause holds the service's new requests at the gateway until Resume or req.Max; on a
	// paused service it changes the pause's bounds, and the held requests stay.
	Pause(ctx context.Context, service string, req PauseRequest) (PauseStatus, error)
	// Resume releases the held requests in arrival order and returns the pause that ended;
	// on a service not paused it fails with ErrConflict (the status shows the last pause).
	Resume(ctx context.Context, service string) (PauseStatus, error)
	// StartMaintenance answers the service's requests with a 503 maintenance page, or
	// changes the one under way; a pause under way ends, its held requests get the page.
	StartMaintenance(ctx context.Context, service string, spec MaintenanceSpec) (MaintenanceStatus, error)
	// EndMaintenance lets requests through again and returns the maintenance that ended; on
	// a service not in maintenance it fails with ErrConflict.
	EndMaintenance(ctx context.Context, service string) (MaintenanceStatus, error)
	// PromoteCanary ends service's running canary with promote: the switch and the drain follow.
	PromoteCanary(ctx context.Context, service string, d CanaryDecision) (CanaryStatus, error)
	// AbortCanary ends service's running canary with abort: its users drain back to the old
	// backends and the rollout ends aborted. Both fail with ErrConflict when no canary runs.
	AbortCanary(ctx context.Context, service string, d CanaryDecision) (CanaryStatus, error)
	Deploys(ctx context.Context, service string) ([]DeployRecord, error)
	RecordDeploy(ctx context.Context, rec DeployRecord) error
}
