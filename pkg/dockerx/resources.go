package dockerx

import (
	"errors"
	"reflect"
	"slices"

	"github.com/docker/docker/api/types/container"
	"github.com/rollcd/roll/pkg/project"
)

// resources maps the service's limits: the service-level keys (mem_limit,
// cpus, pids_limit ...) and deploy.resources, the service-level key winning
// when both are set. deploy keys that only a swarm understands are refused.
func resources(svc project.ServiceConfig) (container.Resources, error) {
	r := container.Resources{
		CPUShares:          svc.CPUShares,
		CPUPeriod:          svc.CPUPeriod,
		CPUQuota:           svc.CPUQuota,
		CPURealtimePeriod:  svc.CPURTPeriod,
		CPURealtimeRuntime: svc.CPURTRuntime,
		CpusetCpus:         svc.CPUSet,
		Memory:             int64(svc.MemLimit),
		MemoryReservation:  int64(svc.MemReservation),
		MemorySwap:         int64(svc.MemSwapLimit),
		DeviceCgroupRules:  slices.Clone(svc.DeviceCgroupRules),
	}
	if svc.CPUS > 0 {
		r.NanoCPUs = int64(float64(svc.CPUS) * 1e9)
	}
	if svc.MemSwappiness != 0 {
		v := int64(svc.MemSwappiness)
		r.MemorySwappiness = &v
	}
	if svc.OomKillDisable {
		v := true
		r.OomKillDisable = &v
	}
	if svc.PidsLimit != 0 {
		v := svc.PidsLimit
		r.PidsLimit = &v
	}
	for _, d := range svc.Devices {
		target := d.Target
		if target == "" {
			target = d.Source
		}
		perms := d.Permissions
		if perms == "" {
			perms = "rwm"
		}
		r.Devices = append(r.Devices, container.DeviceMapping{PathOnHost: d.Source, PathInContainer: target, CgroupPermissions: perms})
	}
	r.Ulimits = ulimits(svc)
	return r, deployResources(svc, &r)
}

// ulimits maps the service's ulimits, sorted by name; a single number is both limits.
func ulimits(svc project.ServiceConfig) []*container.Ulimit {
	var out []*container.Ulimit
	for _, name := range sortedKeys(svc.Ulimits) {
		u := svc.Ulimits[name]
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		out = append(out, &container.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	return out
}

// deployResources applies deploy.resources and refuses the rest of deploy
// that a single engine cannot honour.
func deployResources(svc project.ServiceConfig, r *container.Resources) error {
	d := svc.Deploy
	if d == nil {
		return nil
	}
	var errs []error
	refuse := func(key, why string) { errs = append(errs, unsupported(svc.Name, "deploy."+key, why)) }
	const swarm = "it configures a swarm service, and roll deploys to one engine"
	if d.Mode != "" && d.Mode != "replicated" {
		refuse("mode", swarm)
	}
	if len(d.Labels) > 0 {
		refuse("labels", "these label the swarm service, not the container; use labels")
	}
	if d.UpdateConfig != nil {
		refuse("update_config", swarm+"; roll's own deploy settings are under x-roll")
	}
	if d.RollbackConfig != nil {
		refuse("rollback_config", swarm)
	}
	if !reflect.ValueOf(d.Placement).IsZero() {
		refuse("placement", swarm)
	}
	if d.EndpointMode != "" {
		refuse("endpoint_mode", swarm)
	}
	if l := d.Resources.Limits; l != nil {
		if r.NanoCPUs == 0 {
			r.NanoCPUs = int64(float64(l.NanoCPUs) * 1e9)
		}
		if r.Memory == 0 {
			r.Memory = int64(l.MemoryBytes)
		}
		if r.PidsLimit == nil && l.Pids != 0 {
			v := l.Pids
			r.PidsLimit = &v
		}
		if len(l.Devices) > 0 || len(l.GenericResources) > 0 {
			refuse("resources.limits.devices", "roll does not request devices from device drivers")
		}
	}
	if rv := d.Resources.Reservations; rv != nil {
		if r.MemoryReservation == 0 {
			r.MemoryReservation = int64(rv.MemoryBytes)
		}
		if rv.NanoCPUs != 0 || rv.Pids != 0 {
			refuse("resources.reservations", "the engine reserves memory only; use cpu_shares to weigh CPU")
		}
		if len(rv.Devices) > 0 || len(rv.GenericResources) > 0 {
			refuse("resources.reservations.devices", "roll does not request devices from device drivers")
		}
	}
	return errors.Join(errs...)
}
