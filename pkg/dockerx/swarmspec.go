package dockerx

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/rollcd/roll/pkg/project"
)

// Labels roll adds to what it creates on Swarm, beside compose's.
const (
	// LabelEngine says which of roll's engines made a service: "swarm".
	LabelEngine = "org.rollcd.roll.engine"
	// LabelImageRef is the image as the compose file or the deploy named it; the
	// service's own image may carry a tag or digest the client added.
	LabelImageRef = "org.rollcd.roll.image"
)

// maxServiceName is Swarm's limit on a service name (a DNS label).
const maxServiceName = 63

// swarmSpec maps a compose service to the Swarm service of its container
// number n: one replicated service of one task, created with no replica (Start
// scales it to one), named and labelled as compose names and labels that
// container, its task's host name set to that name (the app derives its
// jvmRoute from it), resolving by DNS round robin to the task's own address so
// that the gateway reaches each task by the service's name. apiVersion is the
// negotiated one. Every key a Swarm service cannot honour is an error naming
// it.
func swarmSpec(p *project.Project, svc project.ServiceConfig, image string, n int, apiVersion string) (swarm.ServiceSpec, error) {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(checkSupported(svc))
	add(checkSwarmKeys(p, svc))
	name := fmt.Sprintf("%s-%s-%d", p.Name, svc.Name, n)
	if len(name) > maxServiceName {
		add(fmt.Errorf("%w: service %s: the Swarm service name %s is longer than %d characters: shorten the project or service name",
			ErrUnsupported, svc.Name, name, maxServiceName))
	}
	hostname := svc.Hostname
	if hostname == "" {
		hostname = name
	}
	cs := &swarm.ContainerSpec{
		Image:          image,
		Hostname:       hostname,
		Env:            environment(svc.Environment),
		Dir:            svc.WorkingDir,
		User:           svc.User,
		Groups:         slices.Clone(svc.GroupAdd),
		Init:           svc.Init,
		StopSignal:     svc.StopSignal,
		TTY:            svc.Tty,
		OpenStdin:      svc.StdinOpen,
		ReadOnly:       svc.ReadOnly,
		Hosts:          swarmHosts(svc),
		Isolation:      container.Isolation(svc.Isolation),
		Sysctls:        maps.Clone(map[string]string(svc.Sysctls)),
		CapabilityAdd:  slices.Clone(svc.CapAdd),
		CapabilityDrop: slices.Clone(svc.CapDrop),
		Ulimits:        ulimits(svc),
	}
	// A Swarm task takes the entrypoint as Command and the command as Args.
	cs.Command, cs.Args = commandLine(svc)
	if svc.Entrypoint != nil && len(svc.Entrypoint) == 0 {
		add(swarmRefusal(p, svc.Name, "entrypoint", "an empty entrypoint cannot clear the image's on Swarm (the task would keep it); name the program to run"))
	}
	if svc.StopGracePeriod != nil {
		d := time.Duration(*svc.StopGracePeriod)
		cs.StopGracePeriod = &d
	}
	if len(svc.DNS)+len(svc.DNSSearch)+len(svc.DNSOpts) > 0 {
		cs.DNSConfig = &swarm.DNSConfig{Nameservers: slices.Clone([]string(svc.DNS)),
			Search: slices.Clone([]string(svc.DNSSearch)), Options: slices.Clone(svc.DNSOpts)}
	}
	hc, err := healthcheck(svc, apiVersion)
	add(err)
	cs.Healthcheck = hc
	mounts, err := swarmMounts(p, svc)
	add(err)
	cs.Mounts = mounts

	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: name, Labels: map[string]string{}},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: cs,
		},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: new(uint64)}},
	}
	if lc := logConfig(svc); lc.Type != "" {
		spec.TaskTemplate.LogDriver = &swarm.Driver{Name: lc.Type, Options: lc.Config}
	}
	nets, err := swarmNetworks(p, svc)
	add(err)
	spec.TaskTemplate.Networks = nets
	ep, err := swarmEndpoint(p, svc)
	add(err)
	spec.EndpointSpec = ep
	add(swarmDeploy(p, svc, &spec))

	hash, err := configHash(svc)
	add(err)
	if len(errs) > 0 {
		return swarm.ServiceSpec{}, errors.Join(errs...)
	}
	labels := containerLabels(p, svc, n, hash, "")
	labels[LabelEngine] = "swarm"
	labels[LabelImageRef] = image
	// Both the service and its task's container carry compose's labels, so that
	// roll finds the one and the docker CLI (and roll's tunnel) the other.
	cs.Labels = maps.Clone(svc.Labels)
	if cs.Labels == nil {
		cs.Labels = map[string]string{}
	}
	maps.Copy(cs.Labels, labels)
	maps.Copy(spec.Labels, labels)
	return spec, nil
}

// swarmHosts renders extra_hosts as a Swarm service takes them: "IP host", sorted.
func swarmHosts(svc project.ServiceConfig) []string {
	var out []string
	for _, host := range sortedKeys(svc.ExtraHosts) {
		for _, ip := range svc.ExtraHosts[host] {
			out = append(out, ip+" "+host)
		}
	}
	return out
}
