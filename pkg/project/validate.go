package project

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// validator checks roll's settings against each other and against the compose
// model, before anything is created. Each rule says why, because the person
// reading the error usually wrote a compose file that works with
// `docker compose up` and must learn what a rolling deploy changes.
type validator struct {
	d        *decoder
	cp       *types.Project
	settings *Settings
	explicit map[string]map[string]bool
}

func (v *validator) run() {
	names := make([]string, 0, len(v.settings.Services))
	for name := range v.settings.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		ss := v.settings.Services[name]
		svc := v.cp.Services[name]
		v.protocol(&ss, svc)
		v.routes(ss)
		v.timings(ss)
		v.twoContainers(svc)
		v.replicas(&ss, svc)
		v.settings.Services[name] = ss
	}
	v.routeConflicts(names)
	v.gateway(names)
}

func xroll(service string, keys ...string) keyPath {
	return append(keyPath{"services", service, extensionKey}, keys...)
}

// protocol checks the keys that only one protocol understands and resolves
// the AJP secret from the service's own environment.
func (v *validator) protocol(ss *ServiceSettings, svc types.ServiceConfig) {
	set := v.explicit[ss.Service]
	// Tomcat's connectors listen on 8009 (AJP) and 8080 (HTTP) by default;
	// pointing one protocol at the other's port is almost always a slip, and
	// it fails only at the first deploy, with a confusing protocol error.
	other, otherPort := ProtocolHTTP, DefaultHTTPPort
	if ss.Protocol == ProtocolHTTP {
		other, otherPort = ProtocolAJP, DefaultAJPPort
	}
	if ss.Port == otherPort {
		v.d.addf(xroll(ss.Service, "port"), "%d is the usual %s port, but protocol is %s: set protocol: %s, or the port of the %s connector",
			ss.Port, other, ss.Protocol, other, ss.Protocol)
	}
	switch ss.Protocol {
	case ProtocolAJP:
		if ss.AJPSecretEnv == "" {
			if set["ajp_secret_env"] {
				return // the decoder already said what is wrong with it
			}
			v.d.addf(xroll(ss.Service, "ajp_secret_env"),
				"is required for protocol ajp: Tomcat 10.1 refuses AJP connections that carry no secret (secretRequired), "+
					"and a connector opened without one lets anyone who reaches the port pose as the proxy; "+
					"give the connector secret=\"${AJP_SECRET}\" and name that variable here")
			return
		}
		secret := svc.Environment[ss.AJPSecretEnv]
		if secret == nil || *secret == "" {
			v.d.addf(keyPath{"services", ss.Service, "environment"},
				"%s (named by x-roll.ajp_secret_env) is not set: the gateway must send the same secret as the Tomcat connector",
				ss.AJPSecretEnv)
			return
		}
		ss.AJPSecret = *secret
	case ProtocolHTTP:
		for _, key := range []string{"ajp_secret_env", "packet_size"} {
			if set[key] {
				v.d.addf(xroll(ss.Service, key), "only applies to protocol ajp, and this service speaks http")
			}
		}
		if ss.Ready.Check == ReadyCPing {
			v.d.addf(xroll(ss.Service, "ready", "check"), "cping is an AJP probe, and this service speaks http: use request or tcp")
		}
	}
}

// hostPattern accepts host names and a leading wildcard label (*.example.com).
var hostPattern = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)

func (v *validator) routes(ss ServiceSettings) {
	for i, p := range ss.Paths {
		at := xroll(ss.Service, "paths", fmt.Sprintf("[%d]", i))
		switch {
		case !strings.HasPrefix(p, "/"):
			v.d.addf(at, "%q must start with \"/\": it is a path prefix such as /app", p)
		case strings.ContainsAny(p, "?# \t*"):
			v.d.addf(at, "%q must be a plain path prefix, without query, fragment, spaces or wildcards (/app matches /app and /app/...)", p)
		case slices.Index(ss.Paths, p) < i:
			v.d.addf(at, "%q is listed twice", p)
		}
	}
	for i, h := range ss.Hosts {
		if !hostPattern.MatchString(h) {
			v.d.addf(xroll(ss.Service, "hosts", fmt.Sprintf("[%d]", i)),
				"%q is not a host name: write it in lower case, without scheme, port or path (example.com, *.example.com)", h)
		}
	}
	if c := ss.Drain.Check; c != "" && !strings.HasPrefix(c, "/") {
		v.d.addf(xroll(ss.Service, "drain", "check"), "%q must start with \"/\"", c)
	}
	if !strings.HasPrefix(ss.Ready.Path, "/") {
		v.d.addf(xroll(ss.Service, "ready", "path"), "%q must start with \"/\"", ss.Ready.Path)
	}
}

func (v *validator) timings(ss ServiceSettings) {
	if ss.Ready.Interval > ss.Ready.Timeout {
		v.d.addf(xroll(ss.Service, "ready", "interval"),
			"%s is longer than ready.timeout %s: readiness would get a single try", ss.Ready.Interval, ss.Ready.Timeout)
	}
	if ss.Health.Timeout > ss.Health.Interval {
		v.d.addf(xroll(ss.Service, "health", "timeout"),
			"%s is longer than health.interval %s: a check must end before the next one starts", ss.Health.Timeout, ss.Health.Interval)
	}
}

// twoContainers refuses compose keys that cannot hold while the old and the
// new container of a rolled service run side by side during a deploy.
func (v *validator) twoContainers(svc types.ServiceConfig) {
	at := func(keys ...string) keyPath { return append(keyPath{"services", svc.Name}, keys...) }
	for i, port := range svc.Ports {
		if port.Published != "" && port.Published != "0" && !strings.Contains(port.Published, "-") {
			v.d.addf(at("ports", fmt.Sprintf("[%d]", i)),
				"publishes the fixed host port %s: during a deploy the old and the new container would fight over it, "+
					"and the second one would fail to start; traffic reaches a rolled service through the gateway, so remove the host port "+
					"(keep \"%d\" alone if you need it published on a random port)", port.Published, port.Target)
		}
	}
	if svc.ContainerName != "" {
		v.d.addf(at("container_name"),
			"is set to %q: a deploy runs the old and the new container at once, and two containers cannot share a name; "+
				"roll names them <project>-<service>-<n> like docker compose", svc.ContainerName)
	}
	if svc.Hostname != "" {
		v.d.addf(at("hostname"),
			"is set to %q: the old and the new container would carry the same host name, so logs, metrics and "+
				"anything that derives an identity from it (such as a jvmRoute) could not tell them apart", svc.Hostname)
	}
	if svc.NetworkMode != "" {
		v.d.addf(at("network_mode"),
			"is %q: the gateway reaches a rolled service's containers over a network they share, so the service must use networks", svc.NetworkMode)
	}
	if svc.MacAddress != "" {
		v.d.addf(at("mac_address"), "is fixed: the old and the new container would clash on the network")
	}
	for _, name := range sortedKeys(svc.Networks) {
		n := svc.Networks[name]
		if n == nil {
			continue
		}
		fixed := []struct{ key, val string }{
			{"ipv4_address", n.Ipv4Address}, {"ipv6_address", n.Ipv6Address}, {"mac_address", n.MacAddress},
		}
		for _, f := range fixed {
			if f.val != "" {
				v.d.addf(at("networks", name, f.key),
					"is fixed to %s: the old and the new container would clash on the network; the gateway finds containers without it", f.val)
			}
		}
	}
}

// routeConflicts refuses two services that claim the same host and path: the
// gateway could not tell which one a request is for.
// MaxReplicas bounds the containers of one version of a rolled service: a deploy runs twice
// as many for a while.
const MaxReplicas = 32

// replicas reads how many containers of each version run: deploy.replicas, or scale (which
// compose treats the same and refuses to differ), 1 when neither is set.
func (v *validator) replicas(ss *ServiceSettings, svc types.ServiceConfig) {
	at := func(keys ...string) keyPath { return append(keyPath{"services", svc.Name}, keys...) }
	n, key := 1, keyPath(nil)
	switch {
	case svc.Scale != nil:
		n, key = *svc.Scale, at("scale")
	case svc.Deploy != nil && svc.Deploy.Replicas != nil:
		n, key = *svc.Deploy.Replicas, at("deploy", "replicas")
	}
	if n < 1 || n > MaxReplicas {
		v.d.addf(key, "is %d: a rolled service runs 1 to %d containers of each version (a deploy runs twice as many for a while)", n, MaxReplicas)
		return
	}
	ss.Replicas = n
}

func (v *validator) routeConflicts(names []string) {
	owner := map[string]string{}
	for _, name := range names {
		ss := v.settings.Services[name]
		hosts := ss.Hosts
		if len(hosts) == 0 {
			hosts = []string{"*"}
		}
		for i, p := range ss.Paths {
			for _, h := range hosts {
				key := h + " " + p
				if other, taken := owner[key]; taken && other != name {
					v.d.addf(xroll(name, "paths", fmt.Sprintf("[%d]", i)), "%s (host %s) is already routed to service %s", p, h, other)
					continue
				}
				owner[key] = name
			}
		}
	}
}

// gateway checks the top-level settings against the gateway service.
func (v *validator) gateway(rolled []string) {
	s := v.settings
	if s.Gateway == "" {
		if len(rolled) > 0 {
			v.d.addf(keyPath{extensionKey, "gateway"},
				"is required: services %s have x-roll settings, and roll deploys them behind the gateway; "+
					"add a top-level x-roll: {gateway: <service>} naming the service that runs `roll gateway`", strings.Join(rolled, ", "))
		}
		return
	}
	at := keyPath{extensionKey, "gateway"}
	gw, ok := v.cp.Services[s.Gateway]
	if !ok {
		if _, disabled := v.cp.DisabledServices[s.Gateway]; disabled {
			v.d.addf(at, "names service %q, which is disabled by the active profiles", s.Gateway)
		} else {
			v.d.addf(at, "names service %q, which is not in the project; services: %s", s.Gateway, strings.Join(v.cp.ServiceNames(), ", "))
		}
		return
	}
	if _, isRolled := s.Services[s.Gateway]; isRolled {
		v.d.addf(keyPath{"services", s.Gateway, extensionKey},
			"the gateway service %s cannot itself be rolled: it is the front door that switches traffic, so remove its x-roll", s.Gateway)
	}
	// The admin port may be published or not: roll dials a published port
	// when the engine is local, and otherwise reaches the port through the
	// engine (roll dial run in the gateway container), so it is no rule here.
	token := gw.Environment[s.AdminTokenEnv]
	if token == nil || *token == "" {
		v.d.addf(keyPath{"services", s.Gateway, "environment"},
			"%s is not set: the gateway refuses admin calls without this token and roll reads it here to make them", s.AdminTokenEnv)
	} else {
		s.AdminToken = *token
	}
	for _, name := range rolled {
		if svc := v.cp.Services[name]; svc.NetworkMode == "" && !sharesNetwork(svc, gw) {
			v.d.addf(keyPath{"services", name, "networks"},
				"shares no network with the gateway service %s, which must reach this service's containers", s.Gateway)
		}
	}
}

func sharesNetwork(a, b types.ServiceConfig) bool {
	for n := range a.Networks {
		if _, ok := b.Networks[n]; ok {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
