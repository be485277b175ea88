package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultClientTimeout bounds every Client call except Rollout, whose length
// is bounded by its context and by the gateway's own ready and drain timeouts.
const DefaultClientTimeout = 30 * time.Second

// Client calls a gateway's admin API. Its methods mirror Service and return
// the same sentinel errors, so errors.Is(err, ErrNotFound) reads the same on
// both sides of the wire. A Client is safe for concurrent use.
//
// Client does not satisfy Service: its Services must be able to fail, and the
// in-process interface has no error to return there.
type Client struct {
	base    string
	token   string
	hc      *http.Client
	timeout time.Duration
}

// ClientOption configures NewClient.
type ClientOption func(*Client)

// WithHTTPClient sets the http.Client the Client sends with. Leave its Timeout
// at zero: it would cut long rollout streams; use WithTimeout instead.
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithTimeout bounds each call but Rollout (default DefaultClientTimeout;
// zero means no bound).
func WithTimeout(d time.Duration) ClientOption {
	return func(c *Client) { c.timeout = d }
}

// NewClient returns a client for the admin API at baseURL
// ("http://127.0.0.1:9901"; a bare host:port means http) with the gateway's
// admin token. An unusable URL is reported by the first call.
func NewClient(baseURL, token string, opts ...ClientOption) *Client {
	base := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	if base != "" && !strings.Contains(base, "://") {
		base = "http://" + base
	}
	c := &Client{base: base, token: token, hc: http.DefaultClient, timeout: DefaultClientTimeout}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL returns the address the client calls, as its error messages name it.
func (c *Client) BaseURL() string { return c.base }

// Healthz returns nil when the gateway answers GET /healthz with 2xx. It sends no token.
func (c *Client) Healthz(ctx context.Context) error {
	return c.call(ctx, http.MethodGet, "/healthz", nil, nil, false)
}

// Services lists every service the gateway routes, without secrets.
func (c *Client) Services(ctx context.Context) ([]ServiceStatus, error) {
	var out []ServiceStatus
	if err := c.call(ctx, http.MethodGet, "/v1/services", nil, &out, true); err != nil {
		return nil, err
	}
	return out, nil
}

// Service returns one service's spec (without its secret) and backends.
func (c *Client) Service(ctx context.Context, name string) (ServiceStatus, error) {
	var out ServiceStatus
	p, err := servicePath(name, "getting a service")
	if err != nil {
		return out, err
	}
	err = c.call(ctx, http.MethodGet, p, nil, &out, true)
	return out, err
}

// PutService creates or replaces a service's routing; its backends are untouched.
func (c *Client) PutService(ctx context.Context, spec ServiceSpec) error {
	p, err := servicePath(spec.Name, "putting a service")
	if err != nil {
		return err
	}
	return c.call(ctx, http.MethodPut, p, spec, nil, true)
}

// DeleteService removes a service and its backends.
func (c *Client) DeleteService(ctx context.Context, name string) error {
	p, err := servicePath(name, "deleting a service")
	if err != nil {
		return err
	}
	return c.call(ctx, http.MethodDelete, p, nil, nil, true)
}

// AddBackend adds a backend to a service.
func (c *Client) AddBackend(ctx context.Context, service string, spec BackendSpec) (BackendStatus, error) {
	var out BackendStatus
	p, err := servicePath(service, "adding a backend")
	if err != nil {
		return out, err
	}
	err = c.call(ctx, http.MethodPost, p+"/backends", spec, &out, true)
	return out, err
}

// UpdateBackend changes a backend's activation, weight or route.
func (c *Client) UpdateBackend(ctx context.Context, service, backend string, patch BackendPatch) (BackendStatus, error) {
	var out BackendStatus
	p, err := backendPath(service, backend, "updating a backend")
	if err != nil {
		return out, err
	}
	err = c.call(ctx, http.MethodPatch, p, patch, &out, true)
	return out, err
}

// RemoveBackend removes a backend from a service at once, whatever it serves.
func (c *Client) RemoveBackend(ctx context.Context, service, backend string) error {
	p, err := backendPath(service, backend, "removing a backend")
	if err != nil {
		return err
	}
	return c.call(ctx, http.MethodDelete, p, nil, nil, true)
}

// Deploys returns a service's deploy history, newest first.
func (c *Client) Deploys(ctx context.Context, service string) ([]DeployRecord, error) {
	var out []DeployRecord
	p, err := servicePath(service, "listing deploys")
	if err != nil {
		return nil, err
	}
	if err := c.call(ctx, http.MethodGet, p+"/deploys", nil, &out, true); err != nil {
		return nil, err
	}
	return out, nil
}

// RecordDeploy adds an entry to rec.Service's deploy history.
func (c *Client) RecordDeploy(ctx context.Context, rec DeployRecord) error {
	p, err := servicePath(rec.Service, "recording a deploy")
	if err != nil {
		return err
	}
	return c.call(ctx, http.MethodPost, p+"/deploys", rec, nil, true)
}

// Handoff answers a rollout's StepHandoff event: the old containers stopped, or abort.
func (c *Client) Handoff(ctx context.Context, service string, reply HandoffReply) error {
	p, err := servicePath(service, "answering a handoff")
	if err != nil {
		return err
	}
	return c.call(ctx, http.MethodPost, p+"/handoff", reply, nil, true)
}

// Switch answers the StepReady event of a rollout that holds its switch: switch, or abort.
func (c *Client) Switch(ctx context.Context, service string, reply SwitchReply) error {
	p, err := servicePath(service, "answering a held switch")
	if err != nil {
		return err
	}
	return c.call(ctx, http.MethodPost, p+"/switch", reply, nil, true)
}

func servicePath(service, doing string) (string, error) {
	if service == "" {
		return "", withSentinel(ErrInvalid, "%s: no service name given", doing)
	}
	return "/v1/services/" + url.PathEscape(service), nil
}

func backendPath(service, backend, doing string) (string, error) {
	p, err := servicePath(service, doing)
	if err != nil {
		return "", err
	}
	if backend == "" {
		return "", withSentinel(ErrInvalid, "%s of %s: no backend name given", doing, service)
	}
	return p + "/backends/" + url.PathEscape(backend), nil
}

// call sends one JSON request within ctx and the client's timeout and decodes a 2xx
// answer into out (when out is not nil).
func (c *Client) call(ctx context.Context, method, path string, in, out any, auth bool) error {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, c.timeout, withSentinel(ErrUnavailable,
			"gateway admin API at %s did not answer within %s; is the gateway overloaded or stuck?", c.base, c.timeout))
		defer cancel()
	}
	resp, err := c.send(ctx, method, path, in, "application/json", auth)
	if err != nil {
		return err
	}
	defer closeBody(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.answerError(method, path, resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			return cause
		}
		return withSentinel(ErrUnavailable, "reading the answer of the gateway admin API at %s to %s %s: %w", c.base, method, path, err)
	}
	return nil
}

// send builds and sends a request; a transport failure is explained.
func (c *Client) send(ctx context.Context, method, path string, in any, accept string, auth bool) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encoding the request %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, withSentinel(ErrInvalid, "calling the gateway admin API at %q: the address is not a usable URL: %w", c.base, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "roll-admin-client")
	if auth {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, method, path, err)
	}
	return resp, nil
}

// transportError explains a call that got no answer: the caller gave up, the
// call timed out, or the gateway could not be reached.
func (c *Client) transportError(ctx context.Context, method, path string, err error) error {
	if cause := context.Cause(ctx); cause != nil {
		if errors.Is(cause, ErrUnavailable) { // our own timeout
			return cause
		}
		return fmt.Errorf("calling %s %s on the gateway admin API at %s: %w", method, path, c.base, cause)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return withSentinel(ErrUnavailable, "gateway admin API at %s is unreachable: %w; is the gateway running and is this its admin address (roll status shows it)?", c.base, err)
}

// answerError turns a non-2xx answer into the wire Error it carries (which
// unwraps to its sentinel). A 401 also says what to check; an answer that is
// not an admin error means the address is not the admin API.
func (c *Client) answerError(method, path string, resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body errorBody
	var wire *Error
	if json.Unmarshal(raw, &body) == nil && body.Error != nil && body.Error.Code != "" {
		wire = body.Error
	}
	if resp.StatusCode == http.StatusUnauthorized || (wire != nil && wire.Code == "unauthorized") {
		if wire == nil {
			wire = &Error{Code: "unauthorized", Message: ErrUnauthorized.Error()}
		}
		return withSentinel(ErrUnauthorized, "gateway admin API at %s refused the call: %w; check ROLL_ADMIN_TOKEN", c.base, wire)
	}
	if wire != nil {
		return wire
	}
	snippet := strings.TrimSpace(string(raw))
	if len(snippet) > 200 {
		snippet = snippet[:200] + "…"
	}
	return withSentinel(ErrUnavailable, "gateway admin API at %s answered %s %s with %q and no admin error (body %q); is that address the roll gateway's admin port?",
		c.base, method, path, resp.Status, snippet)
}

// closeBody drains a little of what is left so the connection can be reused.
func closeBody(b io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(b, 64<<10))
	_ = b.Close()
}
