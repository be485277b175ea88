package dockerx

import (
	"errors"
	"reflect"
	"strings"

	"github.com/rollcd/roll/pkg/project"
)

// handledKeys are the compose service keys that CreateForService maps to the
// Engine API. Some of them have sub-keys roll refuses; spec.go checks those
// where it maps them.
var handledKeys = map[string]bool{
	"image": true, "command": true, "entrypoint": true, "environment": true, "working_dir": true, "user": true,
	"labels": true, "container_name": true, "hostname": true, "domainname": true,
	"volumes": true, "tmpfs": true, "volume_driver": true,
	"networks": true, "network_mode": true, "expose": true, "ports": true,
	"dns": true, "dns_opt": true, "dns_search": true, "extra_hosts": true,
	"healthcheck": true, "restart": true, "stop_signal": true, "stop_grace_period": true,
	"cap_add": true, "cap_drop": true, "privileged": true, "security_opt": true, "group_add": true,
	"init": true, "read_only": true, "tty": true, "stdin_open": true,
	"sysctls": true, "ulimits": true, "shm_size": true, "storage_opt": true, "runtime": true, "isolation": true,
	"ipc": true, "pid": true, "uts": true, "userns_mode": true, "cgroup": true, "cgroup_parent": true,
	"mem_limit": true, "mem_reservation": true, "memswap_limit": true, "mem_swappiness": true,
	"oom_kill_disable": true, "oom_score_adj": true, "pids_limit": true,
	"cpus": true, "cpu_shares": true, "cpu_period": true, "cpu_quota": true, "cpu_rt_period": true,
	"cpu_rt_runtime": true, "cpuset": true,
	"devices": true, "device_cgroup_rules": true,
	"logging": true, "log_driver": true, "log_opt": true,
	"deploy": true,
}

// ignoredKeys do not concern the creation of one container; each says why it
// is safe to leave out.
var ignoredKeys = map[string]string{
	"name":               "the service's name, set from its key",
	"build":              "images are built before a deploy (BuildImage); the container uses the built image",
	"dockerfile":         "part of how the image is built, not of the container",
	"pull_policy":        "roll never pulls: the image must already be on the engine",
	"pull_refresh_after": "roll never pulls: the image must already be on the engine",
	"depends_on":         "start order is the concern of bringing the whole project up; a deploy replaces one service while the others run",
	"profiles":           "already applied when the project was loaded",
	"env_file":           "already merged into environment when the project was loaded",
	"label_file":         "already merged into labels when the project was loaded",
	"extends":            "already resolved when the project was loaded",
	"attach":             "concerns the log output of `docker compose up`",
	"scale":              "roll creates one container at a time; pkg/project refuses scale > 1 on rolled services",
	"develop":            "concerns `docker compose watch`",
}

// unsupportedWhy explains the refusal of the keys people are likely to meet;
// any other key outside the two lists above gets a generic reason.
var unsupportedWhy = map[string]string{
	"secrets":         "roll does not mount compose secrets yet; bind-mount the file under volumes instead",
	"configs":         "roll does not mount compose configs yet; bind-mount the file under volumes instead",
	"links":           "legacy links are not supported; containers reach each other by service name on a shared network",
	"external_links":  "legacy links are not supported; containers reach each other by name on a shared network",
	"volumes_from":    "it would tie the new container to another container, which a deploy may replace",
	"mac_address":     "a fixed MAC address clashes when the old and the new container run side by side",
	"platform":        "roll creates containers from images already on the engine; remove platform",
	"pre_start":       "lifecycle hooks are run by docker compose itself, not by the engine",
	"post_start":      "lifecycle hooks are run by docker compose itself, not by the engine",
	"pre_stop":        "lifecycle hooks are run by docker compose itself, not by the engine",
	"gpus":            "roll does not request devices from device drivers",
	"blkio_config":    "roll does not map block-IO limits",
	"annotations":     "container annotations need Engine API 1.43",
	"use_api_socket":  "roll does not share the engine socket with containers",
	"provider":        "provider services are run by docker compose plugins, not by the engine",
	"models":          "models are provided by docker compose, not by the engine",
	"net":             "net is the legacy spelling of network_mode; use network_mode or networks",
	"cpu_count":       "a Windows-only limit",
	"cpu_percent":     "a Windows-only limit",
	"credential_spec": "a Windows-only setting",
	"umask":           "the Engine API has no umask setting",
}

// checkSupported refuses every key of svc that is set and neither handled nor
// ignored. It walks the compose-go struct itself, so a key that compose-go
// learns later is refused until someone maps it, never silently dropped.
func checkSupported(svc project.ServiceConfig) error {
	var errs []error
	walkKeys(reflect.ValueOf(svc), func(key string, v reflect.Value) {
		if handledKeys[key] || ignoredKeys[key] != "" || isEmpty(v) {
			return
		}
		why := unsupportedWhy[key]
		if why == "" {
			why = "roll cannot map it to the Engine API"
		}
		errs = append(errs, unsupported(svc.Name, key, why))
	})
	return errors.Join(errs...)
}

// walkKeys calls fn for each field of a compose struct under its YAML key,
// descending into inlined structs and skipping extensions and internal fields.
func walkKeys(v reflect.Value, fn func(key string, v reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case name == "-" || strings.HasPrefix(name, "#"):
			continue
		case name == "" && strings.Contains(opts, "inline"):
			walkKeys(v.Field(i), fn)
		case name != "":
			fn(name, v.Field(i))
		}
	}
}

// isEmpty treats empty (not only nil) lists and maps as unset.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	default:
		return v.IsZero()
	}
}
