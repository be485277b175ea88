package dockerx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/swarm"
	"github.com/rollcd/roll/pkg/project"
)

// swarmNetworks attaches the task to the service's networks, in priority
// order, with the same aliases a plain container gets: the service's name and
// the attachment's aliases, so the other services find it as before.
func swarmNetworks(p *project.Project, svc project.ServiceConfig) ([]swarm.NetworkAttachmentConfig, error) {
	var out []swarm.NetworkAttachmentConfig
	err := eachNetwork(p, svc, func(key, name string, n *project.ServiceNetworkConfig) error {
		if n != nil {
			fixed := []struct {
				key string
				set bool
			}{{"ipv4_address", n.Ipv4Address != ""}, {"ipv6_address", n.Ipv6Address != ""}, {"link_local_ips", len(n.LinkLocalIPs) > 0}}
			var errs []error
			for _, f := range fixed {
				if f.set {
					errs = append(errs, swarmRefusal(p, svc.Name, "networks."+key+"."+f.key, "a Swarm task takes its address from the overlay network"))
				}
			}
			if len(errs) > 0 {
				return errors.Join(errs...)
			}
		}
		out = append(out, swarm.NetworkAttachmentConfig{Target: name, Aliases: aliases(svc.Name, n)})
		return nil
	})
	return out, err
}

// swarmEndpoint is how the service's tasks are found and published. A
// service's name resolves by DNS round robin to its task's own address, which
// is how the gateway reaches each task of a rolled service, one service per
// container; a service that publishes a port through Swarm's ingress needs a
// virtual IP instead. Only services that roll does not roll (the gateway)
// publish ports. expose needs nothing: every port of a task is reachable on
// its overlay networks.
func swarmEndpoint(p *project.Project, svc project.ServiceConfig) (*swarm.EndpointSpec, error) {
	_, rolled := p.Rolled(svc.Name)
	var errs []error
	refuse := func(key, why string) { errs = append(errs, swarmRefusal(p, svc.Name, key, why)) }
	ep := &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR}
	explicit := ""
	if svc.Deploy != nil {
		explicit = svc.Deploy.EndpointMode
	}
	switch {
	case explicit == "" || explicit == "dnsrr":
	case explicit == "vip" && rolled:
		refuse("deploy.endpoint_mode", "the gateway reaches each task of a rolled service by its service's name, which must resolve to the task itself (dnsrr)")
	case explicit == "vip":
		ep.Mode = swarm.ResolutionModeVIP
	default:
		refuse("deploy.endpoint_mode", fmt.Sprintf("%q is not vip or dnsrr", explicit))
	}
	if rolled && len(svc.Ports) > 0 {
		refuse("ports", "a rolled service is reached through the gateway, and on Swarm each of its containers is a service of its own; only the gateway and other services roll does not roll publish ports")
		return ep, errors.Join(errs...)
	}
	for i, port := range svc.Ports {
		key := fmt.Sprintf("ports[%d]", i)
		pc, bad := swarmPort(port)
		if bad != nil {
			refuse(key+"."+bad.key, bad.why)
			continue
		}
		if pc.PublishMode == swarm.PortConfigPublishModeIngress {
			if explicit == "dnsrr" {
				refuse(key+".mode", "Swarm's ingress cannot publish a port of a service resolved by DNS round robin (deploy.endpoint_mode: dnsrr); publish it in mode: host")
				continue
			}
			ep.Mode = swarm.ResolutionModeVIP
		}
		ep.Ports = append(ep.Ports, pc)
	}
	return ep, errors.Join(errs...)
}

// portRefusal names the sub-key of a port that Swarm cannot publish.
type portRefusal struct{ key, why string }

// swarmPort maps one published port. Swarm publishes on every address of a
// node (ingress: of every node), so a host address cannot be honoured.
func swarmPort(port project.ServicePortConfig) (swarm.PortConfig, *portRefusal) {
	pc := swarm.PortConfig{Name: port.Name, TargetPort: port.Target, PublishMode: swarm.PortConfigPublishModeIngress,
		Protocol: swarm.PortConfigProtocolTCP}
	if port.HostIP != "" {
		return pc, &portRefusal{"host_ip", fmt.Sprintf("Swarm publishes a port on every address of the node and cannot bind it to %s alone: "+
			"publish it without an address, and keep the gateway's admin port unpublished (roll reaches it through the engine, token-protected)", port.HostIP)}
	}
	switch port.Mode {
	case "", "ingress":
	case "host":
		pc.PublishMode = swarm.PortConfigPublishModeHost
	default:
		return pc, &portRefusal{"mode", fmt.Sprintf("%q is not ingress or host", port.Mode)}
	}
	switch port.Protocol {
	case "", "tcp":
	case "udp", "sctp":
		pc.Protocol = swarm.PortConfigProtocol(port.Protocol)
	default:
		return pc, &portRefusal{"protocol", fmt.Sprintf("%q is not tcp, udp or sctp", port.Protocol)}
	}
	if port.Published != "" {
		if strings.Contains(port.Published, "-") {
			return pc, &portRefusal{"published", fmt.Sprintf("%s is a range, and Swarm publishes single ports", port.Published)}
		}
		n, err := strconv.ParseUint(port.Published, 10, 16)
		if err != nil {
			return pc, &portRefusal{"published", fmt.Sprintf("%q is not a port number", port.Published)}
		}
		pc.PublishedPort = uint32(n)
	}
	return pc, nil
}
