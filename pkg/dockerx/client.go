// Package dockerx is roll's adapter to the Docker Engine API: it lists and
// creates the containers of compose services exactly as docker compose would,
// runs their lifecycle, and manages a project's networks, volumes and images.
//
// It is the only package of roll that imports the docker client, so moving to
// another client touches this folder alone.
//
// # What CreateForService honours
//
// Every key of a compose service is in one of three lists (support.go): the
// keys mapped to the Engine API (image, command, environment, volumes,
// networks and aliases, healthcheck, restart, stop_signal and
// stop_grace_period, limits, capabilities, logging, ports ...); the keys that
// do not concern creating one container, each with the reason (build,
// depends_on, profiles, env_file, pull_policy ...); and everything else, which
// is refused with ErrUnsupported naming the key when it is set (secrets,
// configs, links, volumes_from, lifecycle hooks, gpus ...). The check walks
// compose-go's own struct, so a key that a newer compose-go knows is refused
// until it is mapped, never dropped silently.
//
// Engines older than API 1.44 take one network at creation; the others are
// connected right after, before the container starts.
//
// # Swarm
//
// CreateService maps a compose service to the Swarm service of one of its
// containers (swarmspec.go and its neighbours): one replicated task, named
// and labelled as compose names and labels that container, resolved by DNS
// round robin to the task's own address. It shares the mapping of
// environment, healthcheck, command line, mounts, ulimits and network
// aliases with CreateForService; what a Swarm service cannot honour
// (swarmcheck.go) is refused, located in the compose file. CheckSwarm runs
// that mapping over a whole project before anything is created.
package dockerx

import (
	"context"
	"net"
	"net/url"
	"time"

	"github.com/docker/docker/client"
)

// pingTimeout bounds the first contact with the engine, so that a wrong
// DOCKER_HOST fails fast instead of hanging a deploy.
const pingTimeout = 10 * time.Second

// Client talks to one Docker engine.
type Client struct {
	api      *client.Client
	endpoint endpoint
}

// New connects to the engine that the docker CLI would use: DOCKER_HOST (and
// DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), else the current docker context
// (DOCKER_CONTEXT or the currentContext of ~/.docker/config.json), else the
// default socket. An ssh:// engine is reached as the docker CLI reaches it,
// through `ssh ... docker system dial-stdio` (one ssh process per
// connection, configured by the user's ssh settings). The API version is
// negotiated, so older engines work. An unreachable engine is ErrNoEngine.
func New(ctx context.Context) (*Client, error) {
	ep, err := resolveEndpoint()
	if err != nil {
		return nil, err
	}
	api, err := newAPIClient(ep)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if _, err := api.Ping(pingCtx); err != nil {
		_ = api.Close()
		return nil, noEngine("cannot reach the Docker engine at "+ep.describe(), err)
	}
	return &Client{api: api, endpoint: ep}, nil
}

// newAPIClient configures the docker client for ep without contacting the
// engine. With neither DOCKER_HOST nor a context, the client's own default is
// the docker CLI's: the unix socket, or Docker Desktop's named pipe
// npipe:////./pipe/docker_engine on Windows.
func newAPIClient(ep endpoint) (*client.Client, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	opts = append(opts, ep.options()...)
	api, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, noEngine("configuring the Docker client for "+ep.describe(), err)
	}
	return api, nil
}

// Close releases the client's connections.
func (c *Client) Close() error {
	return c.api.Close()
}

// Host returns the engine's address, such as unix:///var/run/docker.sock
// or ssh://deploy@build-host.
func (c *Client) Host() string {
	if c.endpoint.ssh != nil {
		return c.endpoint.ssh.url
	}
	return c.api.DaemonHost()
}

// IsLocal reports whether the engine runs on this machine, as far as its
// address tells: a unix socket, or tcp:// to a loopback address. Ports its
// containers publish on 127.0.0.1 are then reachable from roll. A socket
// forwarded from another machine looks local too; callers that dial a
// published port should be ready to find nothing there.
func (c *Client) IsLocal() bool {
	if c.endpoint.ssh != nil {
		return false
	}
	u, err := url.Parse(c.api.DaemonHost())
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "unix", "npipe":
		return true
	case "tcp", "http", "https":
		if u.Hostname() == "localhost" {
			return true
		}
		ip := net.ParseIP(u.Hostname())
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// hostName returns the host of a tcp:// or ssh:// engine, or "" for a local
// socket: published ports bound to all interfaces are reachable there.
func (c *Client) hostName() string {
	if c.endpoint.ssh != nil {
		return c.endpoint.ssh.host
	}
	u, err := url.Parse(c.api.DaemonHost())
	if err != nil || u.Scheme != "tcp" {
		return ""
	}
	return u.Hostname()
}
