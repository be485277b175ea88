package dockerx

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/docker/go-connections/nat"
)

// HostPort returns the host address ("127.0.0.1:49153") where a running
// container's TCP port is published, reachable from where roll runs: an
// all-interfaces binding is reached on loopback for a local engine and on the
// engine's host for a tcp:// one. ErrNotPublished when there is no binding.
func (c *Client) HostPort(ctx context.Context, id string, containerPort int) (string, error) {
	info, err := c.api.ContainerInspect(ctx, id)
	if err != nil {
		return "", engineError("inspecting container "+id, err)
	}
	var bindings []nat.PortBinding
	if info.NetworkSettings != nil {
		bindings = info.NetworkSettings.Ports[nat.Port(fmt.Sprintf("%d/tcp", containerPort))]
	}
	if len(bindings) == 0 {
		state := "unknown"
		if info.State != nil {
			state = string(info.State.Status)
		}
		return "", &tagged{
			msg: fmt.Sprintf("port %d of container %s (%s) is not published on the host: publish it in the compose file (ports: [\"127.0.0.1::%d\"])",
				containerPort, strings.TrimPrefix(info.Name, "/"), state, containerPort),
			sentinel: ErrNotPublished,
		}
	}
	// Prefer an IPv4 binding: the engine lists both families for one port.
	b := bindings[0]
	for _, cand := range bindings {
		if !strings.Contains(cand.HostIP, ":") {
			b = cand
			break
		}
	}
	return net.JoinHostPort(c.reachableIP(b.HostIP), b.HostPort), nil
}

// reachableIP turns a binding's host IP into an address roll can dial.
func (c *Client) reachableIP(hostIP string) string {
	switch hostIP {
	case "", "0.0.0.0":
		if h := c.hostName(); h != "" {
			return h
		}
		return "127.0.0.1"
	case "::":
		if h := c.hostName(); h != "" {
			return h
		}
		return "::1"
	default:
		return hostIP
	}
}
