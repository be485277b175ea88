package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/h1"
)

// protocolClient is how a service talks to its backends: AJP13 or plain HTTP.
type protocolClient interface {
	// serve answers r from the backends of s: it chooses one, sends the request (trying
	// others as the failure allows) and relays the answer to w. It returns the backend that
	// answered, for its latency (nil when none did, or when the answer times itself: the
	// ReverseProxy path, trackedBody), and reports whether the answer broke off after it
	// began, when the client connection must be cut for the client to see an incomplete
	// answer as such.
	serve(s *service, cfg *serviceConfig, w http.ResponseWriter, r *http.Request) (by *backend, broken bool)
	// check runs one health check (spec.Health) against the backend of m.
	check(ctx context.Context, spec admin.ServiceSpec, m member) error
	// warm sends one warm-up GET of path to the backend of m and returns its status (warmup.go).
	warm(ctx context.Context, spec admin.ServiceSpec, m member, path string) (int, error)
	// closeIdle releases pooled connections when the service's settings change.
	closeIdle()
}

// activationHeader tells an HTTP backend its activation, as JK_LB_ACTIVATION tells Tomcat.
const activationHeader = "X-Roll-Activation"

// activationValues are shared, never-modified header values, so setting the header per
// request does not allocate.
var activationValues = [...][]string{admin.Active: {"ACT"}, admin.Draining: {"DIS"}, admin.Stopped: {"STP"}}

// protocolClient returns the client of service s for spec's protocol.
func (g *Gateway) protocolClient(s *service, spec admin.ServiceSpec) protocolClient {
	if spec.Protocol == admin.AJP {
		return g.newAJPClient(spec)
	}
	c := &httpClient{rt: g.httpTransport, cl: g.h1Client, g: g}
	c.proxy = g.newProxy(s, c)
	return c
}

// newHTTPTransport is the one pooled transport of every HTTP service, tuned for a proxy:
// no compression (the client negotiates its own), no HTTP/2 to backends, no proxy from env.
func newHTTPTransport(cfg Config) *http.Transport {
	d := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           d.DialContext,
		MaxIdleConns:          cfg.MaxIdleConnsPerHost * 16,
		MaxIdleConnsPerHost:   cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: cfg.ReplyTimeout,
	}
}

// newH1Client is the one pooled client of the direct HTTP relay of every HTTP service, with
// the settings of newHTTPTransport, each in the same meaning.
func newH1Client(cfg Config) *h1.Client {
	return &h1.Client{
		DialTimeout:           cfg.DialTimeout,
		ReplyTimeout:          cfg.ReplyTimeout,
		ExpectContinueTimeout: time.Second,
		IdleTimeout:           90 * time.Second,
		MaxIdleConnsPerHost:   cfg.MaxIdleConnsPerHost,
		MaxIdleConns:          cfg.MaxIdleConnsPerHost * 16,
	}
}

// httpClient forwards to HTTP/1.1 backends: directly through the shared h1.Client (serve), and
// requests that ask for a protocol switch through a ReverseProxy on the shared http.Transport,
// whose Transport (roundTripper) chooses the backend of each attempt.
type httpClient struct {
	rt    *http.Transport
	cl    *h1.Client
	g     *Gateway
	proxy *httputil.ReverseProxy
}

// forward sends req to the backend of m. req belongs to the caller's current attempt and may be
// changed; fresh is false on a retry, when the previous attempt's request must not be touched
// again.
func (c *httpClient) forward(req *http.Request, m member, fresh bool) (*http.Response, error) {
	if !fresh {
		req = retryCopy(req)
	}
	req.URL.Scheme = "http"
	req.URL.Host = m.spec.Address
	if req.Host == "" {
		// An HTTP/1.0 client sent no Host; the backend needs one, and its own address would
		// be a lie about what the client asked for. Use the gateway's, as Apache uses its name.
		req.Host = localHost(req)
	}
	req.Header[activationHeader] = activationValues[m.spec.Activation]
	return c.rt.RoundTrip(req)
}

// retryable reports whether req may go to another backend after err: a refused connection
// never reached the backend; an idempotent request that got no response (the backend died or
// reset the connection) may safely run again elsewhere, as mod_jk's recovery options for GET
// and HEAD do. Timeouts are not retried: the backend may still be working, and another would
// only wait as long.
func (c *httpClient) retryable(req *http.Request, err error) bool {
	if isDialError(err) {
		return true
	}
	return idempotent(req.Method) && !isTimeout(err) && !errors.Is(err, context.Canceled)
}

// isTimeout reports a backend that did not answer in time (not a client that went away).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// idempotent methods may be sent twice without harm.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

func (c *httpClient) check(ctx context.Context, spec admin.ServiceSpec, m member) error {
	if spec.Health.Check == admin.CheckTCP {
		return dialCheck(ctx, m.spec.Address)
	}
	resp, err := c.get(ctx, spec, m, spec.Health.Path, "roll-gateway-health")
	if err != nil {
		return fmt.Errorf("GET %s: %w", spec.Health.Path, err)
	}
	return checkAnswer(resp, spec.Health.Path)
}

// get sends the gateway's own GET of path to the backend of m, as a health check or a
// warm-up request: the service's Host, the backend's activation, userAgent.
func (c *httpClient) get(ctx context.Context, spec admin.ServiceSpec, m member, path, userAgent string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+m.spec.Address+path, nil)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Host = healthHost(spec, m)
	req.Header.Set("User-Agent", userAgent)
	req.Header[activationHeader] = activationValues[m.spec.Activation]
	return c.rt.RoundTrip(req)
}

// closeIdle does nothing: the HTTP transport is shared by every service.
func (c *httpClient) closeIdle() {}

// checkAnswer accepts 2xx and 3xx, the answer of an app that is up.
// A failed check quotes the start of the answer: the app's own words ("database
// unreachable") are what the person running the deploy needs to see.
func checkAnswer(resp *http.Response, path string) error {
	head := make([]byte, 160)
	n, _ := io.ReadFull(resp.Body, head)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		msg := fmt.Sprintf("GET %s answered %d, want 2xx or 3xx", path, resp.StatusCode)
		if text := printableLine(head[:n]); text != "" && !strings.Contains(strings.ToLower(text), "<html") && !strings.HasPrefix(text, "<!") {
			msg += ": " + text
		}
		return errors.New(msg)
	}
	return nil
}

// printableLine is the first line of b when it is plain text, else "".
func printableLine(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	for _, r := range line {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ""
		}
	}
	return line
}

// healthHost is the Host a health request carries: the service's first exact host name, so
// name-based virtual hosts answer, else the backend address.
func healthHost(spec admin.ServiceSpec, m member) string {
	for _, h := range spec.Hosts {
		if h[0] != '*' {
			return h
		}
	}
	return m.spec.Address
}

// dialCheck proves only that something accepts connections on addr.
func dialCheck(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	return c.Close()
}

// isDialError reports whether err is a failure to connect, before anything was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// retryCopy returns a shallow copy of req with its own URL, for a second attempt: the first
// attempt's transport may still hold the original.
func retryCopy(req *http.Request) *http.Request {
	r := *req
	u := *req.URL
	r.URL = &u
	return &r
}
