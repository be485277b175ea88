package admin

import (
	"context"
	"net/http"
)

// Pause holds the service's new requests at the gateway until Resume or req.Max passes.
func (c *Client) Pause(ctx context.Context, service string, req PauseRequest) (PauseStatus, error) {
	var out PauseStatus
	p, err := servicePath(service, "pausing a service")
	if err != nil {
		return out, err
	}
	err = c.call(ctx, http.MethodPut, p+"/pause", req, &out, true)
	return out, err
}

// Resume releases the service's held requests in arrival order and returns the pause that ended.
func (c *Client) Resume(ctx context.Context, service string) (PauseStatus, error) {
	var out PauseStatus
	p, err := servicePath(service, "resuming a service")
	if err != nil {
		return out, err
	}
	err = c.call(ctx, http.MethodDelete, p+"/pause", nil, &out, true)
	return out, err
}

// StartMaintenance answers the service's requests with the maintenance page.
func (c *Client) StartMaintenance(ctx context.Context, service string, spec MaintenanceSpec) (MaintenanceStatus, error) {
	var out MaintenanceStatus
	p, err := servicePath(service, "starting maintenance")
	if err != nil {
		return out, err
	}
	err = c.call(ctx, http.MethodPut, p+"/maintenance", spec, &out, true)
	return out, err
}

// EndMaintenance lets the service's requests through again and returns the maintenance that ended.
func (c *Client) EndMaintenance(ctx context.Context, service string) (MaintenanceStatus, error) {
	var out MaintenanceStatus
	p, err := servicePath(service, "ending maintenance")
	if err != nil {
		return out, err
	}
	err = c.call(ctx, http.MethodDelete, p+"/maintenance", nil, &out, true)
	return out, err
}
