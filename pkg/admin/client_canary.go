package admin

import (
	"context"
	"net/http"
)

// PromoteCanary ends the service's running canary with promote; it returns the canary's
// figures at that moment.
func (c *Client) PromoteCanary(ctx context.Context, service string, d CanaryDecision) (CanaryStatus, error) {
	return c.decideCanary(ctx, service, "/promote", "promoting a canary", d)
}

// AbortCanary ends the service's running canary with abort; it returns the canary's
// figures at that moment.
func (c *Client) AbortCanary(ctx context.Context, service string, d CanaryDecision) (CanaryStatus, error) {
	return c.decideCanary(ctx, service, "/abort", "aborting a canary", d)
}

func (c *Client) decideCanary(ctx context.Context, service, suffix, doing string, d CanaryDecision) (CanaryStatus, error) {
	var out CanaryStatus
	p, err := servicePath(service, doing)
	if err != nil {
		return out, err
	}
	err = c.call(ctx, http.MethodPost, p+suffix, d, &out, true)
	return out, err
}
