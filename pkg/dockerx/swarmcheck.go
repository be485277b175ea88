package dockerx

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/rollcd/roll/pkg/project"
)

// swarmRefused are the compose service keys that CreateForService maps for a
// plain container but a Swarm service cannot honour: its container spec has no
// such setting (Engine API 1.41), or the setting contradicts what a task is.
var swarmRefused = map[string]string{
	"container_name":      "Swarm names a task's container itself (<service>.<slot>.<task>); roll names the service <project>-<service>-<n>",
	"privileged":          "a Swarm service cannot run a privileged container; grant what it needs with cap_add",
	"devices":             "a Swarm service cannot map host devices into its containers",
	"device_cgroup_rules": "a Swarm service cannot map host devices into its containers",
	"network_mode":        "a Swarm task joins networks, never another network stack; use networks",
	"pid":                 "a Swarm service cannot share the PID namespace of the host or of another container",
	"ipc":                 "a Swarm service cannot share the IPC namespace of the host or of another container",
	"uts":                 "a Swarm service cannot share the host's UTS namespace",
	"userns_mode":         "a Swarm service has no user namespace setting",
	"cgroup":              "a Swarm service has no cgroup namespace setting",
	"cgroup_parent":       "Swarm places its tasks' cgroups itself",
	"domainname":          "a Swarm service's container has no domain name setting",
	"security_opt":        "a Swarm service takes no security options; use cap_add and cap_drop",
	"shm_size":            "a Swarm service has no shm size; mount a tmpfs volume at /dev/shm instead",
	"storage_opt":         "a Swarm service has no storage options",
	"runtime":             "a Swarm service runs its containers with the engine's default runtime",
	"volume_driver":       "a Swarm service names a volume driver per volume, under the top-level volumes",
	"oom_kill_disable":    "a Swarm service limits memory only through mem_limit or deploy.resources",
	"oom_score_adj":       "a Swarm service's oom_score_adj needs Engine API 1.46",
	"mem_swappiness":      "a Swarm service limits memory only through mem_limit or deploy.resources",
	"memswap_limit":       "a Swarm service limits memory only through mem_limit or deploy.resources",
	"cpu_shares":          "a Swarm service limits CPU only through cpus or deploy.resources",
	"cpu_period":          "a Swarm service limits CPU only through cpus or deploy.resources",
	"cpu_quota":           "a Swarm service limits CPU only through cpus or deploy.resources",
	"cpu_rt_period":       "a Swarm service limits CPU only through cpus or deploy.resources",
	"cpu_rt_runtime":      "a Swarm service limits CPU only through cpus or deploy.resources",
	"cpuset":              "a Swarm service limits CPU only through cpus or deploy.resources",
}

// checkSwarmKeys refuses, each located in the compose files, the keys of svc
// that are set and that a Swarm service cannot honour.
func checkSwarmKeys(p *project.Project, svc project.ServiceConfig) error {
	var errs []error
	walkKeys(reflect.ValueOf(svc), func(key string, v reflect.Value) {
		if why, refused := swarmRefused[key]; refused && !isEmpty(v) {
			errs = append(errs, swarmRefusal(p, svc.Name, key, why))
		}
	})
	return errors.Join(errs...)
}

// swarmRefusal is a compose key that a Swarm service cannot honour, located
// in the compose files: key is a path under the service (volumes[0].bind.selinux),
// or under the top level when service is "". It matches ErrUnsupported and
// project.ErrInvalidProject.
func swarmRefusal(p *project.Project, service, key, why string) error {
	var path []string
	if service != "" {
		path = []string{"services", service}
	}
	for _, part := range strings.Split(key, ".") {
		name, index, isIndex := strings.Cut(part, "[")
		if name != "" {
			path = append(path, name)
		}
		if isIndex {
			path = append(path, "["+index)
		}
	}
	return unsupportedSetting{p.KeyError("is not supported on Swarm: "+why, path...)}
}

// CheckSwarm refuses, before anything is created, every compose key of the
// project that its Swarm services and overlay networks cannot honour, each
// error naming the file, line, service and key.
func (c *Client) CheckSwarm(p *project.Project) error {
	return checkSwarm(p, c.api.ClientVersion())
}

func checkSwarm(p *project.Project, apiVersion string) error {
	var errs []error
	for _, key := range sortedKeys(p.Networks()) {
		n := p.Networks()[key]
		if !bool(n.External) && n.Driver != "" && n.Driver != "overlay" {
			errs = append(errs, swarmRefusal(p, "", "networks."+key+".driver",
				fmt.Sprintf("%q networks are local to one engine; a Swarm project's networks are overlay networks (leave driver out)", n.Driver)))
		}
	}
	for _, name := range p.ServiceNames() {
		svc, err := p.Service(name)
		if err != nil {
			return err
		}
		if _, err := swarmSpec(p, svc, imageName(p, svc, ""), 1, apiVersion); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
