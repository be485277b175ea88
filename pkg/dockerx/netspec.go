package dockerx

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/rollcd/roll/pkg/project"
)

// networks maps network_mode or the service's networks, in priority order.
// Like compose, the service name is an alias on every network, so the other
// services find the new container under the same name as the old one.
func networks(p *project.Project, svc project.ServiceConfig) ([]endpointSpec, container.NetworkMode, error) {
	if mode := svc.NetworkMode; mode != "" {
		if strings.HasPrefix(mode, "service:") || strings.HasPrefix(mode, "container:") {
			return nil, "", unsupported(svc.Name, "network_mode",
				fmt.Sprintf("%q joins another container's network stack, which a deploy may replace", mode))
		}
		return nil, container.NetworkMode(mode), nil
	}
	var eps []endpointSpec
	err := eachNetwork(p, svc, func(key, name string, n *project.ServiceNetworkConfig) error {
		settings := &network.EndpointSettings{Aliases: aliases(svc.Name, n)}
		if n != nil && (n.Ipv4Address != "" || n.Ipv6Address != "" || len(n.LinkLocalIPs) > 0) {
			settings.IPAMConfig = &network.EndpointIPAMConfig{
				IPv4Address: n.Ipv4Address, IPv6Address: n.Ipv6Address, LinkLocalIPs: slices.Clone(n.LinkLocalIPs),
			}
		}
		eps = append(eps, endpointSpec{network: name, settings: settings})
		return nil
	})
	if len(eps) == 0 {
		return nil, "", err
	}
	// The first network is the container's network mode, as compose sets it.
	return eps, container.NetworkMode(eps[0].network), err
}

// eachNetwork calls attach for each of the service's networks in priority
// order, with its key, its engine-side name and the service's settings for it
// (nil when none), once the network is known to be declared and the settings
// to be ones roll can honour.
func eachNetwork(p *project.Project, svc project.ServiceConfig, attach func(key, name string, n *project.ServiceNetworkConfig) error) error {
	var errs []error
	for _, key := range svc.NetworksByPriority() {
		top, ok := p.Networks()[key]
		if !ok {
			errs = append(errs, unsupported(svc.Name, "networks."+key, "the network is not declared under the top-level networks"))
			continue
		}
		n := svc.Networks[key]
		if n != nil {
			if err := checkEndpoint(svc.Name, key, n); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if err := attach(key, top.Name, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// aliases are the names of a service's container on one network: the service's
// name (unless the attachment turns it off) and the attachment's aliases.
func aliases(service string, n *project.ServiceNetworkConfig) []string {
	out := []string{service}
	if n == nil {
		return out
	}
	if n.UseServiceNameAlias != nil && !*n.UseServiceNameAlias {
		out = nil
	}
	for _, a := range n.Aliases {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// checkEndpoint refuses the per-network keys that need Engine API 1.44 or later.
func checkEndpoint(service, key string, n *project.ServiceNetworkConfig) error {
	var errs []error
	refuse := func(sub, why string) {
		errs = append(errs, unsupported(service, "networks."+key+"."+sub, why))
	}
	if n.MacAddress != "" {
		refuse("mac_address", "a fixed MAC address clashes when the old and the new container run side by side")
	}
	if len(n.DriverOpts) > 0 {
		refuse("driver_opts", "per-endpoint driver options need Engine API 1.44")
	}
	if n.GatewayPriority != 0 {
		refuse("gw_priority", "it needs Engine API 1.48")
	}
	if n.InterfaceName != "" {
		refuse("interface_name", "it needs Engine API 1.50")
	}
	return errors.Join(errs...)
}
