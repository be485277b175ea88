package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/ajp"
)

// ajpClient forwards to Tomcat over AJP13 with a pooled ajp.Transport per service, because
// the secret and packet size are per service.
type ajpClient struct {
	tr *ajp.Transport
	g  *Gateway
}

func (g *Gateway) newAJPClient(spec admin.ServiceSpec) protocolClient {
	return &ajpClient{g: g, tr: &ajp.Transport{
		Secret:              spec.Secret,
		PacketSize:          spec.PacketSize,
		DialTimeout:         g.cfg.DialTimeout,
		ReplyTimeout:        g.cfg.ReplyTimeout,
		MaxIdleConnsPerHost: g.cfg.MaxIdleConnsPerHost,
	}}
}

// retryable: ajp.IsRetryable proves nothing past the first packet went out and nothing came
// back; a non-idempotent request is still sent again only when the connection itself failed,
// because a backend that died while serving it looks the same.
func (c *ajpClient) retryable(req *http.Request, err error) bool {
	return ajp.IsRetryable(err) && (idempotent(req.Method) || ajp.IsUnsent(err))
}

func (c *ajpClient) check(ctx context.Context, spec admin.ServiceSpec, m member) error {
	switch spec.Health.Check {
	case admin.CheckTCP:
		return dialCheck(ctx, m.spec.Address)
	case admin.CheckCPing:
		return c.tr.Ping(ctx, m.spec.Address)
	}
	// CPong proves Tomcat's connector, not the webapp (it answers while the context failed
	// to deploy), so a real request follows.
	if err := c.tr.Ping(ctx, m.spec.Address); err != nil {
		return fmt.Errorf("CPing: %w", err)
	}
	resp, err := c.get(ctx, spec, m, spec.Health.Path, "roll-gateway-health")
	if err != nil {
		return fmt.Errorf("GET %s: %w", spec.Health.Path, err)
	}
	return checkAnswer(resp, spec.Health.Path)
}

// get sends the gateway's own GET of path to the backend of m over AJP, as a health check or
// a warm-up request: the service's Host, the backend's route and activation, userAgent.
func (c *ajpClient) get(ctx context.Context, spec admin.ServiceSpec, m member, path, userAgent string) (*http.Response, error) {
	host := healthHost(spec, m)
	ctx = ajp.WithRequestInfo(ctx, ajp.RequestInfo{RemoteAddr: "127.0.0.1", ServerName: stripPort(host), ServerPort: 80,
		Route: m.spec.Route, Activation: m.spec.Activation.JK()})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "ajp://"+m.spec.Address+path, nil)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Host = host
	req.Header.Set("User-Agent", userAgent)
	return c.tr.RoundTrip(req)
}

func (c *ajpClient) closeIdle() { c.tr.CloseIdleConnections() }

// clientInfo derives what Tomcat's request must say about the client connection: the
// client's address and port, the gateway's own address, and the host and port asked for.
func clientInfo(r *http.Request) ajp.RequestInfo {
	var info ajp.RequestInfo
	host, port := splitHostPort(r.RemoteAddr)
	info.RemoteAddr = host
	info.RemotePort, _ = strconv.Atoi(port)
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if tcp, ok := la.(*net.TCPAddr); ok {
			info.LocalAddr = localIPString(tcp.IP)
		}
	}
	if r.TLS != nil {
		info.IsSSL = true
		addTLSDetails(r, &info)
	}
	// The port Tomcat builds absolute URLs with is the one the client asked for: the Host
	// header's, or the scheme's default. The gateway's own listening port is usually not what
	// the client sees (a published container port).
	name, hport := splitHostPort(r.Host)
	if r.Host == "" {
		// No Host (HTTP/1.0): the server is the gateway's own address, as Apache falls back to
		// its ServerName; the backend's address would be a lie.
		name, hport = splitHostPort(localHost(r))
	}
	info.ServerName = name
	if p, ok := parsePort(hport); ok {
		info.ServerPort = p
	} else if info.IsSSL {
		info.ServerPort = 443
	} else {
		info.ServerPort = 80
	}
	return info
}

// parsePort parses a port number; "" (no port) is no number, without the allocation of
// strconv's error.
func parsePort(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	p, err := strconv.Atoi(s)
	return p, err == nil
}

// lastLocalIP caches the text of the gateway's own address: it is the same for nearly every
// request, and formatting it would allocate on each.
var lastLocalIP atomic.Pointer[localIP]

type localIP struct {
	ip   net.IP
	text string
}

func localIPString(ip net.IP) string {
	if c := lastLocalIP.Load(); c != nil && c.ip.Equal(ip) {
		return c.text
	}
	c := &localIP{ip: slices.Clone(ip), text: ip.String()}
	lastLocalIP.Store(c)
	return c.text
}

// splitHostPort is net.SplitHostPort without its errors and allocations: a missing port
// gives "", brackets of IPv6 literals go.
func splitHostPort(s string) (host, port string) {
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s[i:], "]") {
		host, port = s[:i], s[i+1:]
	} else {
		host = s
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), port
}

// protocolErrorStatus maps AJP failures to what mod_jk answers: 504 reply timeout, 431/414/413
// request that does not fit a packet (nothing was sent), 502 protocol error, 503 when the
// connection or its CPing failed before the request went out.
func protocolErrorStatus(err error) (int, string, bool) {
	switch {
	case errors.Is(err, ajp.ErrReplyTimeout):
		return http.StatusGatewayTimeout, "504 gateway timeout: the backend did not answer in time\n", true
	case errors.Is(err, ajp.ErrHeadersTooLarge):
		return http.StatusRequestHeaderFieldsTooLarge, "431 request header fields too large for the backend's AJP packet size\n", true
	case errors.Is(err, ajp.ErrURITooLong):
		return http.StatusRequestURITooLong, "414 URI too long for the backend's AJP packet size\n", true
	case errors.Is(err, ajp.ErrClientBody):
		return http.StatusBadRequest, "400 bad request: the request body did not arrive whole\n", true
	case errors.Is(err, ajp.ErrRequestTooLarge):
		return http.StatusRequestEntityTooLarge, "413 request too large for the backend's AJP packet size\n", true
	case errors.Is(err, ajp.ErrProtocol):
		return http.StatusBadGateway, "502 bad gateway: the backend broke the AJP protocol\n", true
	case ajp.IsRetryable(err):
		return http.StatusServiceUnavailable, "503 service unavailable: no backend can take this request now\n", true
	}
	return 0, "", false
}
