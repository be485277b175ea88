package dockerx

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"
	"github.com/rollcd/roll/pkg/project"
)

// swarmProject is a project with a gateway and a rolled service app whose
// extra keys are appKeys (indented under app) and extra top-level keys top.
func swarmProject(t *testing.T, appKeys, top string) *project.Project {
	t.Helper()
	if !strings.Contains(appKeys, "environment:") {
		appKeys += "\nenvironment: {AJP_SECRET: s}"
	}
	return loadProject(t, "shop", `x-roll:
  gateway: gateway
services:
  gateway:
    image: roll:dev
    environment: {ROLL_ADMIN_TOKEN: tok}
  app:
    image: app:1
`+indent(strings.TrimSpace(appKeys), "    ")+`    x-roll: {ajp_secret_env: AJP_SECRET}
`+top)
}

// swarmWorker is a project with a service worker that roll does not roll, with keys.
func swarmWorker(t *testing.T, keys, top string) *project.Project {
	t.Helper()
	return loadProject(t, "shop", "services:\n  worker:\n    image: worker:1\n"+indent(strings.TrimSpace(keys), "    ")+top)
}

func mustSwarmSpec(t *testing.T, p *project.Project, service, image string, n int) swarm.ServiceSpec {
	t.Helper()
	svc, err := p.Service(service)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := swarmSpec(p, svc, image, n, "1.41")
	if err != nil {
		t.Fatalf("swarmSpec: %v", err)
	}
	return spec
}

func TestSwarmSpecMapsTheService(t *testing.T) {
	p := swarmProject(t, `
command: ["catalina.sh", "run"]
entrypoint: ["/docker-entrypoint.sh"]
environment:
  B: two
  A: one
  AJP_SECRET: s
working_dir: /usr/local/tomcat
user: "1000:1000"
group_add: [audio]
labels: {team: web}
stop_signal: SIGUSR1
stop_grace_period: 1500ms
healthcheck:
  test: ["CMD", "/probe", "health"]
  interval: 2s
  timeout: 1s
  retries: 3
  start_period: 5s
cap_add: [NET_ADMIN]
cap_drop: [ALL]
extra_hosts: ["db.local:10.0.0.5"]
dns: [10.0.0.53]
dns_search: [shop.local]
dns_opt: [ndots:1]
sysctls: {net.core.somaxconn: "1024"}
ulimits:
  nofile: {soft: 1024, hard: 2048}
init: true
read_only: true
tty: true
stdin_open: true
tmpfs: ["/run:size=1m,mode=1777"]
logging: {driver: json-file, options: {max-size: 1m}}
expose: ["8009"]
volumes:
  - ./conf:/conf:ro
  - data:/data
  - type: tmpfs
    target: /scratch
    tmpfs: {size: 1048576}
networks:
  default: {}
  back:
    aliases: [shop-app]
    priority: 10
deploy:
  labels: {tier: front}
  resources:
    limits: {cpus: "0.5", memory: 256m, pids: 100}
    reservations: {cpus: "0.25", memory: 128m}
  placement:
    constraints: [node.labels.zone==a]
    preferences: [{spread: node.labels.rack}]
    max_replicas_per_node: 2
  restart_policy: {condition: on-failure, delay: 2s, max_attempts: 3, window: 30s}
`, "networks:\n  back: {}\nvolumes:\n  data: {}\n")
	spec := mustSwarmSpec(t, p, "app", "app:2", 3)
	cs := spec.TaskTemplate.ContainerSpec
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}
	check("name", spec.Name, "shop-app-3")
	check("replicas at creation", *spec.Mode.Replicated.Replicas, uint64(0))
	check("endpoint mode", spec.EndpointSpec.Mode, swarm.ResolutionModeDNSRR)
	check("published ports", len(spec.EndpointSpec.Ports), 0)
	check("image", cs.Image, "app:2")
	check("hostname (the jvmRoute)", cs.Hostname, "shop-app-3")
	check("entrypoint", cs.Command, []string{"/docker-entrypoint.sh"})
	check("command", cs.Args, []string{"catalina.sh", "run"})
	check("env", cs.Env, []string{"A=one", "AJP_SECRET=s", "B=two"})
	check("dir", cs.Dir, "/usr/local/tomcat")
	check("user", cs.User, "1000:1000")
	check("groups", cs.Groups, []string{"audio"})
	check("stop signal", cs.StopSignal, "SIGUSR1")
	check("stop grace", *cs.StopGracePeriod, 1500*time.Millisecond)
	check("healthcheck", *cs.Healthcheck, container.HealthConfig{
		Test: []string{"CMD", "/probe", "health"}, Interval: 2 * time.Second, Timeout: time.Second, StartPeriod: 5 * time.Second, Retries: 3,
	})
	check("cap add", cs.CapabilityAdd, []string{"NET_ADMIN"})
	check("cap drop", cs.CapabilityDrop, []string{"ALL"})
	check("hosts", cs.Hosts, []string{"10.0.0.5 db.local"})
	check("dns", *cs.DNSConfig, swarm.DNSConfig{Nameservers: []string{"10.0.0.53"}, Search: []string{"shop.local"}, Options: []string{"ndots:1"}})
	check("sysctls", cs.Sysctls, map[string]string{"net.core.somaxconn": "1024"})
	check("ulimits", cs.Ulimits, []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}})
	check("init", *cs.Init, true)
	check("read only, tty, stdin", cs.ReadOnly && cs.TTY && cs.OpenStdin, true)
	check("mounts", cs.Mounts, []mount.Mount{
		{Type: mount.TypeBind, Source: filepath.Join(p.WorkingDir, "conf"), Target: "/conf", ReadOnly: true},
		{Type: mount.TypeVolume, Source: "shop_data", Target: "/data"},
		{Type: mount.TypeTmpfs, Target: "/scratch", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20}},
		{Type: mount.TypeTmpfs, Target: "/run", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o1777}},
	})
	check("networks (priority first)", spec.TaskTemplate.Networks, []swarm.NetworkAttachmentConfig{
		{Target: "shop_back", Aliases: []string{"app", "shop-app"}},
		{Target: "shop_default", Aliases: []string{"app"}},
	})
	check("log driver", *spec.TaskTemplate.LogDriver, swarm.Driver{Name: "json-file", Options: map[string]string{"max-size": "1m"}})
	check("limits", *spec.TaskTemplate.Resources.Limits, swarm.Limit{NanoCPUs: 5e8, MemoryBytes: 256 << 20, Pids: 100})
	check("reservations", *spec.TaskTemplate.Resources.Reservations, swarm.Resources{NanoCPUs: 25e7, MemoryBytes: 128 << 20})
	check("placement", *spec.TaskTemplate.Placement, swarm.Placement{
		Constraints: []string{"node.labels.zone==a"},
		Preferences: []swarm.PlacementPreference{{Spread: &swarm.SpreadOver{SpreadDescriptor: "node.labels.rack"}}},
		MaxReplicas: 2,
	})
	delay, window, attempts := 2*time.Second, 30*time.Second, uint64(3)
	check("restart", *spec.TaskTemplate.RestartPolicy, swarm.RestartPolicy{
		Condition: swarm.RestartPolicyConditionOnFailure, Delay: &delay, MaxAttempts: &attempts, Window: &window,
	})
	// compose's labels on the service (found by roll) and on its task's container (found by
	// the docker CLI and roll's tunnel), the service's own labels on the container, deploy's
	// on the service.
	for what, labels := range map[string]map[string]string{"service": spec.Labels, "container": cs.Labels} {
		for k, v := range map[string]string{LabelProject: "shop", LabelService: "app", LabelNumber: "3", LabelOneoff: "False",
			LabelEngine: "swarm", LabelImageRef: "app:2"} {
			if labels[k] != v {
				t.Errorf("%s label %s = %q, want %q", what, k, labels[k], v)
			}
		}
	}
	check("container's own label", cs.Labels["team"], "web")
	check("deploy label on the service", spec.Labels["tier"], "front")
	if _, ok := cs.Labels["tier"]; ok {
		t.Error("deploy.labels reached the container; they label the service")
	}
}

func TestSwarmSpecDefaults(t *testing.T) {
	p := swarmProject(t, "", "")
	app := mustSwarmSpec(t, p, "app", "app:1", 1)
	delay := 5 * time.Second
	if rp := app.TaskTemplate.RestartPolicy; rp == nil || rp.Condition != swarm.RestartPolicyConditionAny || *rp.Delay != delay {
		t.Errorf("default restart policy %+v, want any after 5s", rp)
	}
	if app.TaskTemplate.Placement != nil || app.TaskTemplate.Resources != nil {
		t.Errorf("an app without placement or limits got %+v, %+v", app.TaskTemplate.Placement, app.TaskTemplate.Resources)
	}
	gw := mustSwarmSpec(t, p, "gateway", "roll:dev", 1)
	if pl := gw.TaskTemplate.Placement; pl == nil || !reflect.DeepEqual(pl.Constraints, []string{"node.role==manager"}) {
		t.Errorf("gateway placement %+v, want node.role==manager: its state volume lives on one node", pl)
	}
	pinned := loadProject(t, "shop", "x-roll: {gateway: gateway}\nservices:\n  gateway:\n    image: roll:dev\n"+
		"    environment: {ROLL_ADMIN_TOKEN: tok}\n    deploy: {placement: {constraints: [node.hostname==edge-1]}}\n")
	gw = mustSwarmSpec(t, pinned, "gateway", "roll:dev", 1)
	if pl := gw.TaskTemplate.Placement; !reflect.DeepEqual(pl.Constraints, []string{"node.hostname==edge-1"}) {
		t.Errorf("pinned gateway placement %+v, want the compose file's constraint alone", pl)
	}
}

func TestSwarmSpecRestartFromRestart(t *testing.T) {
	for restart, want := range map[string]swarm.RestartPolicyCondition{
		"no": swarm.RestartPolicyConditionNone, "always": swarm.RestartPolicyConditionAny,
		"unless-stopped": swarm.RestartPolicyConditionAny, "on-failure:4": swarm.RestartPolicyConditionOnFailure,
	} {
		spec := mustSwarmSpec(t, swarmProject(t, "restart: "+restart, ""), "app", "app:1", 1)
		rp := spec.TaskTemplate.RestartPolicy
		if rp.Condition != want {
			t.Errorf("restart %s → condition %s, want %s", restart, rp.Condition, want)
		}
		if restart == "on-failure:4" && (rp.MaxAttempts == nil || *rp.MaxAttempts != 4) {
			t.Errorf("restart %s → max attempts %v, want 4", restart, rp.MaxAttempts)
		}
	}
}

func TestSwarmSpecPublishesTheGatewaysPorts(t *testing.T) {
	gateway := func(ports string) *project.Project {
		return loadProject(t, "shop", "x-roll: {gateway: gateway}\nservices:\n  gateway:\n    image: roll:dev\n"+
			"    environment: {ROLL_ADMIN_TOKEN: tok}\n"+indent(strings.TrimSpace(ports), "    "))
	}
	host := mustSwarmSpec(t, gateway("ports: [{target: 8080, published: 80, mode: host}]"), "gateway", "roll:dev", 1)
	if ep := host.EndpointSpec; ep.Mode != swarm.ResolutionModeDNSRR || !reflect.DeepEqual(ep.Ports, []swarm.PortConfig{
		{TargetPort: 8080, PublishedPort: 80, PublishMode: swarm.PortConfigPublishModeHost, Protocol: swarm.PortConfigProtocolTCP}}) {
		t.Errorf("host-mode port: %+v", ep)
	}
	// The short syntax publishes through Swarm's ingress, which needs a virtual IP.
	ingress := mustSwarmSpec(t, gateway(`ports: ["80:8080", "9000/udp"]`), "gateway", "roll:dev", 1)
	if ep := ingress.EndpointSpec; ep.Mode != swarm.ResolutionModeVIP || !reflect.DeepEqual(ep.Ports, []swarm.PortConfig{
		{TargetPort: 8080, PublishedPort: 80, PublishMode: swarm.PortConfigPublishModeIngress, Protocol: swarm.PortConfigProtocolTCP},
		{TargetPort: 9000, PublishMode: swarm.PortConfigPublishModeIngress, Protocol: swarm.PortConfigProtocolUDP}}) {
		t.Errorf("ingress ports: %+v", ep)
	}
}

func TestSwarmSpecRefusesWhatSwarmCannotHonour(t *testing.T) {
	tests := []struct {
		name, app, top, key string
		worker              bool // the keys go to a service roll does not roll
	}{
		{"privileged", "privileged: true", "", "services.app.privileged", false},
		{"devices", "devices: [/dev/fuse]", "", "services.app.devices", false},
		{"network_mode", "network_mode: host", "", "services.worker.network_mode", true},
		{"pid", "pid: host", "", "services.app.pid", false},
		{"ipc", "ipc: host", "", "services.app.ipc", false},
		{"cgroup_parent", "cgroup_parent: roll", "", "services.app.cgroup_parent", false},
		{"container_name", "container_name: shop", "", "services.worker.container_name", true},
		{"security_opt", "security_opt: [no-new-privileges]", "", "services.app.security_opt", false},
		{"shm_size", "shm_size: 64m", "", "services.app.shm_size", false},
		{"cpu_shares", "cpu_shares: 512", "", "services.app.cpu_shares", false},
		{"empty entrypoint", "entrypoint: []", "", "services.app.entrypoint", false},
		{"rolled service publishes", `ports: ["8009"]`, "", "services.app.ports", false},
		{"vip for a rolled service", "deploy: {endpoint_mode: vip}", "", "services.app.deploy.endpoint_mode", false},
		{"global mode", "deploy: {mode: global}", "", "services.app.deploy.mode", false},
		{"update_config", "deploy: {update_config: {parallelism: 1}}", "", "services.app.deploy.update_config", false},
		{"rollback_config", "deploy: {rollback_config: {parallelism: 1}}", "", "services.app.deploy.rollback_config", false},
		{"restart condition", "deploy: {restart_policy: {condition: sometimes}}", "", "services.app.deploy.restart_policy.condition", false},
		{"fixed address", "networks: {default: {ipv4_address: 10.0.9.9}}", "networks:\n  default: {ipam: {config: [{subnet: 10.0.9.0/24}]}}\n",
			"services.worker.networks.default.ipv4_address", true},
		{"worker publishes a range", `ports: ["8000-8001:8000"]`, "", "services.worker.ports[0].published", true},
		{"tmpfs option", `tmpfs: ["/run:noexec"]`, "", "services.app.tmpfs[0]", false},
		{"bind selinux", "volumes: [{type: bind, source: ., target: /x, bind: {selinux: z}}]", "", "services.app.volumes[0].bind.selinux", false},
		{"bridge network", "", "networks:\n  default: {driver: bridge}\n", "networks.default.driver", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p *project.Project
			if tt.worker {
				p = swarmWorker(t, tt.app, tt.top)
			} else {
				p = swarmProject(t, tt.app, tt.top)
			}
			err := checkSwarm(p, "1.41")
			if !errors.Is(err, ErrUnsupported) || !errors.Is(err, project.ErrInvalidProject) {
				t.Fatalf("err = %v, want ErrUnsupported and ErrInvalidProject", err)
			}
			found := false
			for _, line := range strings.Split(err.Error(), "\n") {
				if strings.Contains(line, " "+tt.key+": is not supported on Swarm: ") {
					found = true
					if !strings.HasPrefix(line, "compose.yaml:") {
						t.Errorf("error %q is not located in compose.yaml", line)
					}
				}
			}
			if !found {
				t.Errorf("no error names %s:\n%v", tt.key, err)
			}
		})
	}
}

func TestSwarmSpecRefusesAHostAddressOnAPublishedPort(t *testing.T) {
	p := loadProject(t, "shop", "x-roll: {gateway: gateway}\nservices:\n  gateway:\n    image: roll:dev\n"+
		"    environment: {ROLL_ADMIN_TOKEN: tok}\n    ports: [\"8080:8080\", \"127.0.0.1:9901:9901\"]\n")
	err := checkSwarm(p, "1.41")
	if err == nil || !strings.Contains(err.Error(), "services.gateway.ports[1].host_ip: is not supported on Swarm") ||
		!strings.Contains(err.Error(), "cannot bind it to 127.0.0.1") || !strings.Contains(err.Error(), "admin port unpublished") {
		t.Errorf("err = %v, want the host_ip of ports[1] refused, saying why and what to do about the admin port", err)
	}
	if strings.Contains(err.Error(), "ports[0]") {
		t.Errorf("the port without an address was refused too: %v", err)
	}
}

func TestSwarmSpecRefusesWhatNoEngineHonours(t *testing.T) {
	p := swarmProject(t, "secrets: [pw]", "secrets:\n  pw: {file: ./pw.txt}\n")
	if err := checkSwarm(p, "1.41"); err == nil || !strings.Contains(err.Error(), "service app: secrets is not supported") {
		t.Errorf("err = %v, want the generic refusal of secrets", err)
	}
}
