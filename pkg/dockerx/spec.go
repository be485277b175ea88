package dockerx

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/go-connections/nat"
	"github.com/rollcd/roll/pkg/project"
)

// spec is what the Engine API needs to create one container of a service.
type spec struct {
	config *container.Config
	host   *container.HostConfig
	// endpoints are the networks to join, the first at creation and the
	// others right after it: engines before API 1.44 take a single network
	// in the create call.
	endpoints []endpointSpec
}

// endpointSpec is one network attachment.
type endpointSpec struct {
	network  string // the engine-side network name
	settings *network.EndpointSettings
}

// buildSpec maps a service's compose configuration to the Engine API, the way
// docker compose does. apiVersion is the negotiated version, for the options
// that older engines lack.
func buildSpec(p *project.Project, svc project.ServiceConfig, image, apiVersion string) (spec, error) {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	cfg := &container.Config{
		Image:      image,
		Hostname:   svc.Hostname,
		Domainname: svc.DomainName,
		User:       svc.User,
		WorkingDir: svc.WorkingDir,
		Env:        environment(svc.Environment),
		Labels:     maps.Clone(svc.Labels),
		Tty:        svc.Tty,
		OpenStdin:  svc.StdinOpen,
		StopSignal: svc.StopSignal,
	}
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	cfg.Entrypoint, cfg.Cmd = commandLine(svc)
	if svc.Entrypoint != nil && len(cfg.Entrypoint) == 0 {
		cfg.Entrypoint = []string{""} // `entrypoint: []` clears the image's, as `--entrypoint ""` does
	}
	if svc.StopGracePeriod != nil {
		// The engine keeps whole seconds; round up so the grace is never shorter.
		secs := int(math.Ceil(time.Duration(*svc.StopGracePeriod).Seconds()))
		cfg.StopTimeout = &secs
	}
	hc, err := healthcheck(svc, apiVersion)
	add(err)
	cfg.Healthcheck = hc

	host := &container.HostConfig{
		CapAdd:         slices.Clone(svc.CapAdd),
		CapDrop:        slices.Clone(svc.CapDrop),
		DNS:            slices.Clone([]string(svc.DNS)),
		DNSOptions:     slices.Clone(svc.DNSOpts),
		DNSSearch:      slices.Clone([]string(svc.DNSSearch)),
		ExtraHosts:     svc.ExtraHosts.AsList(":"),
		GroupAdd:       slices.Clone(svc.GroupAdd),
		Privileged:     svc.Privileged,
		ReadonlyRootfs: svc.ReadOnly,
		SecurityOpt:    slices.Clone(svc.SecurityOpt),
		StorageOpt:     maps.Clone(svc.StorageOpt),
		Sysctls:        maps.Clone(map[string]string(svc.Sysctls)),
		ShmSize:        int64(svc.ShmSize),
		Runtime:        svc.Runtime,
		Isolation:      container.Isolation(svc.Isolation),
		Init:           svc.Init,
		VolumeDriver:   svc.VolumeDriver,
		OomScoreAdj:    int(svc.OomScoreAdj),
		UTSMode:        container.UTSMode(svc.Uts),
		UsernsMode:     container.UsernsMode(svc.UserNSMode),
		CgroupnsMode:   container.CgroupnsMode(svc.Cgroup),
		LogConfig:      logConfig(svc),
	}
	add(namespaces(svc, host))
	host.Tmpfs = tmpfs(svc.Tmpfs)
	rp, err := restartPolicy(svc)
	add(err)
	host.RestartPolicy = rp
	res, err := resources(svc)
	add(err)
	host.Resources = res
	exposed, bindings, err := ports(svc)
	add(err)
	cfg.ExposedPorts, host.PortBindings = exposed, bindings
	binds, mounts, err := volumes(p, svc)
	add(err)
	host.Binds, host.Mounts = binds, mounts
	eps, mode, err := networks(p, svc)
	add(err)
	host.NetworkMode = mode
	if len(errs) > 0 {
		return spec{}, errors.Join(errs...)
	}
	return spec{config: cfg, host: host, endpoints: eps}, nil
}

// commandLine is the service's entrypoint and command, nil where the image's own apply.
func commandLine(svc project.ServiceConfig) (entrypoint, cmd []string) {
	if svc.Command != nil {
		cmd = slices.Clone([]string(svc.Command))
	}
	if svc.Entrypoint != nil {
		entrypoint = slices.Clone([]string(svc.Entrypoint))
	}
	return entrypoint, cmd
}

// environment renders the resolved environment sorted, leaving out variables
// that have no value (a bare `- NAME` whose NAME is not set anywhere), as
// compose does.
func environment(env project.MappingWithEquals) []string {
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if v := env[k]; v != nil {
			out = append(out, k+"="+*v)
		}
	}
	return out
}

func healthcheck(svc project.ServiceConfig, apiVersion string) (*container.HealthConfig, error) {
	h := svc.HealthCheck
	if h == nil {
		return nil, nil
	}
	if h.Disable {
		return &container.HealthConfig{Test: []string{"NONE"}}, nil
	}
	out := &container.HealthConfig{Test: slices.Clone([]string(h.Test))}
	if h.Interval != nil {
		out.Interval = time.Duration(*h.Interval)
	}
	if h.Timeout != nil {
		out.Timeout = time.Duration(*h.Timeout)
	}
	if h.StartPeriod != nil {
		out.StartPeriod = time.Duration(*h.StartPeriod)
	}
	if h.StartInterval != nil {
		if versions.LessThan(apiVersion, "1.44") {
			return nil, unsupported(svc.Name, "healthcheck.start_interval",
				fmt.Sprintf("the engine speaks API %s and start_interval needs 1.44", apiVersion))
		}
		out.StartInterval = time.Duration(*h.StartInterval)
	}
	if h.Retries != nil {
		out.Retries = int(*h.Retries)
	}
	return out, nil
}

func logConfig(svc project.ServiceConfig) container.LogConfig {
	if svc.Logging != nil {
		return container.LogConfig{Type: svc.Logging.Driver, Config: maps.Clone(map[string]string(svc.Logging.Options))}
	}
	return container.LogConfig{Type: svc.LogDriver, Config: maps.Clone(svc.LogOpt)}
}

// namespaces maps ipc, pid and cgroup_parent, refusing the forms that point
// at another service's container: a deploy may replace that container.
func namespaces(svc project.ServiceConfig, host *container.HostConfig) error {
	var errs []error
	for _, ns := range []struct{ key, value string }{{"ipc", svc.Ipc}, {"pid", svc.Pid}} {
		if strings.HasPrefix(ns.value, "service:") || strings.HasPrefix(ns.value, "container:") {
			errs = append(errs, unsupported(svc.Name, ns.key,
				fmt.Sprintf("%q shares a namespace with another container, which a deploy may replace", ns.value)))
		}
	}
	host.IpcMode = container.IpcMode(svc.Ipc)
	host.PidMode = container.PidMode(svc.Pid)
	host.CgroupParent = svc.CgroupParent
	return errors.Join(errs...)
}

// tmpfs turns "path:options" entries into the engine's map.
func tmpfs(entries project.StringList) map[string]string {
	if len(entries) == 0 {
		return nil
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		path, opts, _ := strings.Cut(e, ":")
		out[path] = opts
	}
	return out
}

// restartPolicy uses restart, or deploy.restart_policy when restart is unset.
func restartPolicy(svc project.ServiceConfig) (container.RestartPolicy, error) {
	if svc.Restart != "" {
		name, count, _ := strings.Cut(svc.Restart, ":")
		rp := container.RestartPolicy{Name: container.RestartPolicyMode(name)}
		if count != "" {
			n, err := strconv.Atoi(count)
			if err != nil {
				return rp, unsupported(svc.Name, "restart", fmt.Sprintf("%q: the retry count must be a number", svc.Restart))
			}
			rp.MaximumRetryCount = n
		}
		return rp, nil
	}
	if svc.Deploy == nil || svc.Deploy.RestartPolicy == nil {
		return container.RestartPolicy{}, nil
	}
	drp := svc.Deploy.RestartPolicy
	if drp.Delay != nil || drp.Window != nil {
		return container.RestartPolicy{}, unsupported(svc.Name, "deploy.restart_policy.delay/window",
			"the engine's restart policy has no delay or window; use restart: on-failure or always")
	}
	rp := container.RestartPolicy{}
	switch drp.Condition {
	case "none", "":
		rp.Name = container.RestartPolicyDisabled
	case "on-failure":
		rp.Name = container.RestartPolicyOnFailure
	case "any":
		rp.Name = container.RestartPolicyAlways
	default:
		return rp, unsupported(svc.Name, "deploy.restart_policy.condition", fmt.Sprintf("%q is not none, on-failure or any", drp.Condition))
	}
	if drp.MaxAttempts != nil {
		rp.MaximumRetryCount = int(*drp.MaxAttempts)
	}
	return rp, nil
}

// ports maps expose and ports. Every target port is exposed, as the engine
// requires for a binding.
func ports(svc project.ServiceConfig) (nat.PortSet, nat.PortMap, error) {
	exposed := nat.PortSet{}
	bindings := nat.PortMap{}
	var errs []error
	for _, e := range svc.Expose {
		proto, rng := nat.SplitProtoPort(e)
		lo, hi, err := nat.ParsePortRangeToInt(rng)
		if err != nil {
			errs = append(errs, unsupported(svc.Name, "expose", fmt.Sprintf("%q is not a port or a port range", e)))
			continue
		}
		for port := lo; port <= hi; port++ {
			exposed[nat.Port(fmt.Sprintf("%d/%s", port, proto))] = struct{}{}
		}
	}
	for _, p := range svc.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		port := nat.Port(fmt.Sprintf("%d/%s", p.Target, proto))
		exposed[port] = struct{}{}
		bindings[port] = append(bindings[port], nat.PortBinding{HostIP: p.HostIP, HostPort: p.Published})
	}
	if len(exposed) == 0 {
		exposed = nil
	}
	if len(bindings) == 0 {
		bindings = nil
	}
	return exposed, bindings, errors.Join(errs...)
}
