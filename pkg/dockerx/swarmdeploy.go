package dockerx

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/rollcd/roll/pkg/project"
)

// swarmRestartDelay is Swarm's own default pause before it restarts a task.
const swarmRestartDelay = 5 * time.Second

// gatewayConstraint pins the gateway to a manager unless the compose file
// places it: its state lives on a local volume of the node its task runs on.
const gatewayConstraint = "node.role==manager"

// swarmDeploy applies the deploy section (and the service-level limits and
// restart) to a service's spec: labels, resources, restart policy and
// placement. Replicas are roll's: every container is a service of its own.
func swarmDeploy(p *project.Project, svc project.ServiceConfig, spec *swarm.ServiceSpec) error {
	var errs []error
	refuse := func(key, why string) { errs = append(errs, swarmRefusal(p, svc.Name, key, why)) }
	const ownDeploy = "roll deploys by starting each new container as a Swarm service beside the old ones and draining the old through the gateway, " +
		"never through Swarm's service update (which stops tasks without a sticky drain); roll's deploy settings are under x-roll"
	if d := svc.Deploy; d != nil {
		if d.Mode != "" && d.Mode != "replicated" {
			refuse("deploy.mode", fmt.Sprintf("%q: roll runs each container of a service as a replicated Swarm service of one task", d.Mode))
		}
		if d.UpdateConfig != nil {
			refuse("deploy.update_config", ownDeploy)
		}
		if d.RollbackConfig != nil {
			refuse("deploy.rollback_config", ownDeploy)
		}
		maps.Copy(spec.Labels, d.Labels)
	}
	res, err := swarmResources(p, svc)
	errs = append(errs, err)
	spec.TaskTemplate.Resources = res
	rp, err := swarmRestart(p, svc)
	errs = append(errs, err)
	spec.TaskTemplate.RestartPolicy = rp
	spec.TaskTemplate.Placement = swarmPlacement(p, svc)
	return errors.Join(errs...)
}

// swarmResources maps the limits and reservations: the service-level keys
// (cpus, mem_limit, mem_reservation, pids_limit) win over deploy.resources,
// as for a plain container.
func swarmResources(p *project.Project, svc project.ServiceConfig) (*swarm.ResourceRequirements, error) {
	lim := swarm.Limit{MemoryBytes: int64(svc.MemLimit)}
	if svc.CPUS > 0 {
		lim.NanoCPUs = int64(float64(svc.CPUS) * 1e9)
	}
	if svc.PidsLimit > 0 {
		lim.Pids = svc.PidsLimit
	}
	rsv := swarm.Resources{MemoryBytes: int64(svc.MemReservation)}
	var errs []error
	refuse := func(key, why string) { errs = append(errs, swarmRefusal(p, svc.Name, key, why)) }
	const noDevices = "roll does not request devices or generic resources from Swarm"
	if d := svc.Deploy; d != nil {
		if l := d.Resources.Limits; l != nil {
			if lim.NanoCPUs == 0 {
				lim.NanoCPUs = int64(float64(l.NanoCPUs) * 1e9)
			}
			if lim.MemoryBytes == 0 {
				lim.MemoryBytes = int64(l.MemoryBytes)
			}
			if lim.Pids == 0 {
				lim.Pids = l.Pids
			}
			if len(l.Devices) > 0 || len(l.GenericResources) > 0 {
				refuse("deploy.resources.limits.devices", noDevices)
			}
		}
		if r := d.Resources.Reservations; r != nil {
			rsv.NanoCPUs = int64(float64(r.NanoCPUs) * 1e9)
			if rsv.MemoryBytes == 0 {
				rsv.MemoryBytes = int64(r.MemoryBytes)
			}
			if len(r.Devices) > 0 || len(r.GenericResources) > 0 {
				refuse("deploy.resources.reservations.devices", noDevices)
			}
		}
	}
	out := &swarm.ResourceRequirements{}
	if lim != (swarm.Limit{}) {
		out.Limits = &lim
	}
	if rsv.NanoCPUs != 0 || rsv.MemoryBytes != 0 {
		out.Reservations = &rsv
	}
	if out.Limits == nil && out.Reservations == nil {
		out = nil
	}
	return out, errors.Join(errs...)
}

// swarmRestart is deploy.restart_policy, else restart read as Swarm would
// mean it, else Swarm's default: restart on any exit after 5 s.
func swarmRestart(p *project.Project, svc project.ServiceConfig) (*swarm.RestartPolicy, error) {
	delay := swarmRestartDelay
	rp := &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, Delay: &delay}
	if svc.Deploy != nil && svc.Deploy.RestartPolicy != nil {
		drp := svc.Deploy.RestartPolicy
		switch drp.Condition {
		case "", "any":
		case "on-failure", "none":
			rp.Condition = swarm.RestartPolicyCondition(drp.Condition)
		default:
			return nil, swarmRefusal(p, svc.Name, "deploy.restart_policy.condition", fmt.Sprintf("%q is not none, on-failure or any", drp.Condition))
		}
		if drp.Delay != nil {
			d := time.Duration(*drp.Delay)
			rp.Delay = &d
		}
		if drp.MaxAttempts != nil {
			n := *drp.MaxAttempts
			rp.MaxAttempts = &n
		}
		if drp.Window != nil {
			w := time.Duration(*drp.Window)
			rp.Window = &w
		}
		return rp, nil
	}
	if svc.Restart == "" {
		return rp, nil
	}
	name, count, _ := strings.Cut(svc.Restart, ":")
	switch name {
	case "no":
		rp.Condition = swarm.RestartPolicyConditionNone
	case "always", "unless-stopped":
	case "on-failure":
		rp.Condition = swarm.RestartPolicyConditionOnFailure
		if count != "" {
			n, err := strconv.ParseUint(count, 10, 64)
			if err != nil {
				return nil, swarmRefusal(p, svc.Name, "restart", fmt.Sprintf("%q: the retry count must be a number", svc.Restart))
			}
			rp.MaxAttempts = &n
		}
	default:
		return nil, swarmRefusal(p, svc.Name, "restart", fmt.Sprintf("%q is not no, always, unless-stopped or on-failure", svc.Restart))
	}
	return rp, nil
}

// swarmPlacement is deploy.placement; the gateway goes on a manager unless
// the compose file constrains it.
func swarmPlacement(p *project.Project, svc project.ServiceConfig) *swarm.Placement {
	pl := &swarm.Placement{}
	if d := svc.Deploy; d != nil {
		pl.Constraints = slices.Clone(d.Placement.Constraints)
		pl.MaxReplicas = d.Placement.MaxReplicas
		for _, pref := range d.Placement.Preferences {
			pl.Preferences = append(pl.Preferences, swarm.PlacementPreference{Spread: &swarm.SpreadOver{SpreadDescriptor: pref.Spread}})
		}
	}
	if svc.Name == p.Settings.Gateway && len(pl.Constraints) == 0 {
		pl.Constraints = []string{gatewayConstraint}
	}
	if len(pl.Constraints) == 0 && len(pl.Preferences) == 0 && pl.MaxReplicas == 0 {
		return nil
	}
	return pl
}
