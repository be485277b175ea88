package dockerx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-connections/nat"
	"github.com/rollcd/roll/pkg/project"
)

// loadProject writes compose into a fresh directory and loads it under name.
func loadProject(t *testing.T, name, compose string) *project.Project {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := project.Load(context.Background(), project.Options{Files: []string{file}, ProjectName: name, ProjectDir: dir})
	if err != nil {
		t.Fatalf("loading the test project: %v", err)
	}
	return p
}

func TestEveryServiceKeyIsClassified(t *testing.T) {
	all := map[string]bool{}
	walkKeys(reflect.ValueOf(project.ServiceConfig{}), func(key string, _ reflect.Value) { all[key] = true })
	for key := range handledKeys {
		if !all[key] {
			t.Errorf("handled key %q is not a compose service key", key)
		}
		if ignoredKeys[key] != "" || unsupportedWhy[key] != "" {
			t.Errorf("key %q is both handled and ignored or unsupported", key)
		}
	}
	for key := range ignoredKeys {
		if !all[key] {
			t.Errorf("ignored key %q is not a compose service key", key)
		}
	}
	for key := range unsupportedWhy {
		if !all[key] {
			t.Errorf("unsupported key %q is not a compose service key", key)
		}
	}
	var refused []string
	for key := range all {
		if !handledKeys[key] && ignoredKeys[key] == "" {
			refused = append(refused, key)
		}
	}
	slices.Sort(refused)
	t.Logf("refused when set: %s", strings.Join(refused, ", "))
}

func TestSpecMapsTheService(t *testing.T) {
	p := loadProject(t, "shop", `
services:
  app:
    image: tomcat:10.1
    command: ["catalina.sh", "run"]
    entrypoint: []
    environment:
      B: two
      A: one
      UNSET:
    working_dir: /usr/local/tomcat
    user: "1000:1000"
    labels: {team: web}
    hostname: app-host
    stop_signal: SIGUSR1
    stop_grace_period: 1500ms
    healthcheck:
      test: ["CMD", "/probe", "health"]
      interval: 2s
      timeout: 1s
      retries: 3
      start_period: 5s
    restart: on-failure:3
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    extra_hosts: ["db.local:10.0.0.5"]
    dns: [10.0.0.53]
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 512
    mem_limit: 256m
    cpus: 0.5
    pids_limit: 100
    init: true
    read_only: true
    security_opt: ["no-new-privileges:true"]
    sysctls: {net.core.somaxconn: "1024"}
    tmpfs: ["/run:size=1m"]
    shm_size: 64m
    logging: {driver: json-file, options: {max-size: 1m}}
    expose: ["8009"]
    ports: ["127.0.0.1::8080"]
    tty: true
    stdin_open: true
    volumes:
      - ./conf:/conf:ro
      - data:/data
      - type: volume
        target: /anon
      - type: tmpfs
        target: /scratch
        tmpfs: {size: 1048576}
    networks:
      front:
        aliases: [shop-app]
      back:
        priority: 10
networks:
  front: {}
  back: {}
volumes:
  data: {}
`)
	svc, err := p.Service("app")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSupported(svc); err != nil {
		t.Fatalf("checkSupported: %v", err)
	}
	sp, err := buildSpec(p, svc, "tomcat:10.1.30", "1.41")
	if err != nil {
		t.Fatal(err)
	}
	cfg, host := sp.config, sp.host
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}
	check("image", cfg.Image, "tomcat:10.1.30")
	check("cmd", []string(cfg.Cmd), []string{"catalina.sh", "run"})
	check("entrypoint", []string(cfg.Entrypoint), []string{""})
	check("env", cfg.Env, []string{"A=one", "B=two"})
	check("working dir", cfg.WorkingDir, "/usr/local/tomcat")
	check("user", cfg.User, "1000:1000")
	check("labels", cfg.Labels, map[string]string{"team": "web"})
	check("hostname", cfg.Hostname, "app-host")
	check("stop signal", cfg.StopSignal, "SIGUSR1")
	check("stop timeout", *cfg.StopTimeout, 2)
	check("healthcheck", *cfg.Healthcheck, container.HealthConfig{
		Test: []string{"CMD", "/probe", "health"}, Interval: 2 * time.Second, Timeout: time.Second, StartPeriod: 5 * time.Second, Retries: 3,
	})
	check("tty", cfg.Tty && cfg.OpenStdin, true)
	check("exposed", cfg.ExposedPorts, nat.PortSet{"8009/tcp": {}, "8080/tcp": {}})
	check("bindings", host.PortBindings, nat.PortMap{"8080/tcp": {{HostIP: "127.0.0.1", HostPort: ""}}})
	check("restart", host.RestartPolicy, container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3})
	check("cap add", []string(host.CapAdd), []string{"NET_ADMIN"})
	check("cap drop", []string(host.CapDrop), []string{"ALL"})
	check("extra hosts", host.ExtraHosts, []string{"db.local:10.0.0.5"})
	check("dns", host.DNS, []string{"10.0.0.53"})
	check("ulimits", host.Ulimits, []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}, {Name: "nproc", Soft: 512, Hard: 512}})
	check("memory", host.Memory, int64(256<<20))
	check("cpus", host.NanoCPUs, int64(5e8))
	check("pids", *host.PidsLimit, int64(100))
	check("init", *host.Init, true)
	check("read only", host.ReadonlyRootfs, true)
	check("security opt", host.SecurityOpt, []string{"no-new-privileges:true"})
	check("sysctls", host.Sysctls, map[string]string{"net.core.somaxconn": "1024"})
	check("tmpfs", host.Tmpfs, map[string]string{"/run": "size=1m"})
	check("shm", host.ShmSize, int64(64<<20))
	check("logging", host.LogConfig, container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m"}})
	check("binds", host.Binds, []string{filepath.Join(p.WorkingDir, "conf") + ":/conf:ro"})
	check("mounts", host.Mounts, []mount.Mount{
		{Type: mount.TypeVolume, Source: "shop_data", Target: "/data"},
		{Type: mount.TypeVolume, Target: "/anon"},
		{Type: mount.TypeTmpfs, Target: "/scratch", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20}},
	})
	if len(sp.endpoints) != 2 {
		t.Fatalf("endpoints = %+v, want back then front", sp.endpoints)
	}
	check("first network (priority)", sp.endpoints[0].network, "shop_back")
	check("network mode", host.NetworkMode, container.NetworkMode("shop_back"))
	check("back aliases", sp.endpoints[0].settings.Aliases, []string{"app"})
	check("front aliases", sp.endpoints[1].settings.Aliases, []string{"app", "shop-app"})
}

func TestSpecRefusesWhatItCannotHonour(t *testing.T) {
	tests := []struct {
		name    string
		service string // the body of service app
		extra   string // top-level additions
		key     string
	}{
		{"secrets", "secrets: [pw]", "secrets:\n  pw: {file: ./pw.txt}", "secrets"},
		{"links", "links: [db]", "", "links"},
		{"volumes_from", "volumes_from: [db]", "", "volumes_from"},
		{"hooks", "post_start: [{command: [\"true\"]}]", "", "post_start"},
		{"platform", "platform: linux/arm64", "", "platform"},
		{"network_mode service", "network_mode: service:db", "", "network_mode"},
		{"ipc service", "ipc: service:db", "", "ipc"},
		{"volume subpath", "volumes: [{type: volume, source: data, target: /d, volume: {subpath: x}}]", "volumes:\n  data: {}", "volumes[0].volume.subpath"},
		{"npipe", "volumes: [{type: npipe, source: x, target: /x}]", "", "volumes[0].type"},
		{"swarm placement", "deploy: {placement: {constraints: [node.role==manager]}}", "", "deploy.placement"},
		{"swarm update", "deploy: {update_config: {parallelism: 1}}", "", "deploy.update_config"},
		{"cpu reservation", "deploy: {resources: {reservations: {cpus: '1'}}}", "", "deploy.resources.reservations"},
		{"start_interval on API 1.41", "healthcheck: {test: [CMD, x], start_interval: 1s}", "", "healthcheck.start_interval"},
		{"endpoint driver_opts", "networks: {default: {driver_opts: {a: b}}}", "", "networks.default.driver_opts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			compose := "services:\n  db:\n    image: db\n  app:\n    image: app\n" + indent(tt.service, "    ") + tt.extra + "\n"
			p := loadProject(t, "refuse", compose)
			svc, err := p.Service("app")
			if err != nil {
				t.Fatal(err)
			}
			err = checkSupported(svc)
			if err == nil {
				_, err = buildSpec(p, svc, "app", "1.41")
			}
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
			if !strings.Contains(err.Error(), "service app: "+tt.key+" is not supported") {
				t.Errorf("error %q does not name the key %s", err, tt.key)
			}
		})
	}
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		b.WriteString(prefix + line + "\n")
	}
	return b.String()
}

func TestConfigHashIgnoresWhatComposeIgnores(t *testing.T) {
	p := loadProject(t, "hash", "services:\n  app:\n    image: app:1\n    deploy: {replicas: 1}\n")
	svc, _ := p.Service("app")
	base, err := configHash(svc)
	if err != nil {
		t.Fatal(err)
	}
	two := 2
	scaled := svc
	scaled.Scale = &two
	scaled.Profiles = []string{"x"}
	if h, _ := configHash(scaled); h != base {
		t.Error("scale or profiles changed the hash")
	}
	if svc.Deploy.Replicas == nil {
		t.Error("configHash cleared the project's own deploy.replicas")
	}
	changed := svc
	changed.Image = "app:2"
	if h, _ := configHash(changed); h == base {
		t.Error("a new image did not change the hash")
	}
}
