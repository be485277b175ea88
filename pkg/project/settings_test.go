package project

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// rolled builds a project with a gateway and one rolled service app whose
// x-roll body is appXRoll (default: just the AJP secret), with appExtra added
// to app's keys and top replacing the top-level x-roll.
func rolled(appXRoll, appExtra, top string) string {
	if appXRoll == "" {
		appXRoll = "ajp_secret_env: AJP_SECRET"
	}
	if top == "" {
		top = "x-roll:\n  gateway: gateway"
	}
	return "services:\n" +
		"  gateway:\n" +
		"    image: roll:dev\n" +
		"    ports: [\"127.0.0.1:9901:9901\"]\n" +
		"    environment:\n" +
		"      ROLL_ADMIN_TOKEN: admin-token\n" +
		"  app:\n" +
		"    image: tomcat:10.1\n" +
		"    environment:\n" +
		"      AJP_SECRET: ajp-secret\n" +
		indent(appExtra, "    ") +
		"    x-roll:\n" +
		indent(appXRoll, "      ") +
		top + "\n"
}

func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
	return b.String()
}

// settingErrors flattens a joined error into its SettingErrors.
func settingErrors(t *testing.T, err error) []*SettingError {
	t.Helper()
	var out []*SettingError
	var walk func(error)
	walk = func(e error) {
		var se *SettingError
		if errors.As(e, &se) && e == error(se) {
			out = append(out, se)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, inner := range j.Unwrap() {
				walk(inner)
			}
		}
	}
	walk(err)
	return out
}

func TestSettingsDefaults(t *testing.T) {
	p := mustLoad(t, map[string]string{"compose.yaml": validProject}, Options{})
	want := Settings{
		Engine:        EngineAuto,
		Gateway:       "gateway",
		AdminPort:     9901,
		AdminTokenEnv: "ROLL_ADMIN_TOKEN",
		AdminToken:    "admin-token",
		Services: map[string]ServiceSettings{"app": {
			Service:         "app",
			Protocol:        ProtocolAJP,
			Port:            8009,
			Paths:           []string{"/"},
			Weight:          1,
			Replicas:        1,
			AJPSecretEnv:    "AJP_SECRET",
			AJPSecret:       "ajp-secret",
			PacketSize:      8192,
			StickyCookie:    "JSESSIONID",
			StickyPathParam: "jsessionid",
			SessionIdle:     30 * time.Minute,
			Ready:           ReadySettings{Check: ReadyRequest, Path: "/", Timeout: 120 * time.Second, Interval: time.Second},
			Drain:           DrainSettings{Mode: DrainSessions, Timeout: 10 * time.Minute, Hold: 15 * time.Second},
			Health:          HealthSettings{Interval: 5 * time.Second, Timeout: 2 * time.Second, RecoverAfter: 30 * time.Second},
		}},
	}
	if !reflect.DeepEqual(p.Settings, want) {
		t.Errorf("settings =\n%+v\nwant\n%+v", p.Settings, want)
	}
	if _, ok := p.Rolled("gateway"); ok {
		t.Error("the gateway is reported as rolled")
	}
}

func TestSettingsHTTPDefaultsAndReadyPath(t *testing.T) {
	p := mustLoad(t, map[string]string{"compose.yaml": rolled("protocol: http\npaths: [/shop, /api]", "", "")}, Options{})
	s, ok := p.Rolled("app")
	if !ok {
		t.Fatal("app not rolled")
	}
	if s.Port != 8080 || s.Ready.Path != "/shop" || s.AJPSecret != "" {
		t.Errorf("port %d ready path %q secret %q, want 8080, the first path, no secret", s.Port, s.Ready.Path, s.AJPSecret)
	}
}

func TestSettingsEveryKey(t *testing.T) {
	xr := `
protocol: ajp
port: 8010
paths: [/app, /app2]
hosts: [example.com, "*.example.org"]
weight: ${WEIGHT}
ajp_secret_env: AJP_SECRET
packet_size: 65536
sticky_cookie: SID
sticky_path_param: sid
session_idle: 1h
ready: {check: cping, path: /app/health, timeout: 30s, interval: 500ms}
drain: {mode: handoff, timeout: 2m, check: /store, hold: 5s}
health: {interval: 10s, timeout: 1s, recover_after: 1m}`
	top := "x-roll:\n  gateway: gateway\n  admin_port: 9911\n  admin_token_env: TOKEN\n  engine: swarm"
	compose := strings.Replace(rolled(xr, "", top), `"127.0.0.1:9901:9901"`, `"127.0.0.1::9911"`, 1)
	compose = strings.Replace(compose, "ROLL_ADMIN_TOKEN: admin-token", "TOKEN: t0k3n", 1)
	p := mustLoad(t, map[string]string{"compose.yaml": compose, ".env": "WEIGHT=7\n"}, Options{})
	got := p.Rolled
	s, _ := got("app")
	want := ServiceSettings{
		Service: "app", Protocol: ProtocolAJP, Port: 8010, Paths: []string{"/app", "/app2"},
		Hosts: []string{"example.com", "*.example.org"}, Weight: 7, Replicas: 1, AJPSecretEnv: "AJP_SECRET", AJPSecret: "ajp-secret",
		PacketSize: 65536, StickyCookie: "SID", StickyPathParam: "sid", SessionIdle: time.Hour,
		Ready:  ReadySettings{Check: ReadyCPing, Path: "/app/health", Timeout: 30 * time.Second, Interval: 500 * time.Millisecond},
		Drain:  DrainSettings{Mode: DrainHandoff, Timeout: 2 * time.Minute, Check: "/store", Hold: 5 * time.Second},
		Health: HealthSettings{Interval: 10 * time.Second, Timeout: time.Second, RecoverAfter: time.Minute},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("settings =\n%+v\nwant\n%+v", s, want)
	}
	if p.Settings.AdminPort != 9911 || p.Settings.AdminToken != "t0k3n" || p.Settings.AdminTokenEnv != "TOKEN" || p.Settings.Engine != EngineSwarm {
		t.Errorf("top-level settings = %+v", p.Settings)
	}
}

// TestAdminPortNeedNotBePublished: roll reaches an unpublished admin port
// through the Docker engine, so a gateway without ports (or publishing other
// ports only) is valid.
func TestAdminPortNeedNotBePublished(t *testing.T) {
	for name, ports := range map[string]string{
		"no ports":         "",
		"other ports only": `    ports: ["8000:8080"]` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			compose := strings.Replace(rolled("", "", "x-roll:\n  gateway: gateway\n  admin_port: 9000"),
				`    ports: ["127.0.0.1:9901:9901"]`+"\n", ports, 1)
			if strings.Contains(compose, "9901") {
				t.Fatal("the test project still publishes a port 9901")
			}
			p := mustLoad(t, map[string]string{"compose.yaml": compose}, Options{})
			if p.Settings.AdminPort != 9000 || p.Settings.AdminToken != "admin-token" {
				t.Errorf("settings %+v, want admin port 9000 and the token", p.Settings)
			}
		})
	}
}

func TestSettingsErrorLocatesFileAndLine(t *testing.T) {
	_, _, err := loadDir(t, map[string]string{"compose.yaml": rolled("ajp_secret_env: AJP_SECRET\ndrain: {mode: slow}", "", "")}, Options{})
	// Line 13 of rolled(): the second line of app's x-roll body.
	want := `compose.yaml:13: services.app.x-roll.drain.mode: "slow" is not one of sessions, requests, handoff`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	if !errors.Is(err, ErrInvalidProject) {
		t.Error("not ErrInvalidProject")
	}
}

func TestSettingsErrorNamesTheOverrideFile(t *testing.T) {
	files := map[string]string{
		"compose.yaml": validProject,
		"prod.yaml":    "services:\n  app:\n    x-roll:\n      weight: 0\n",
	}
	_, _, err := loadDir(t, files, Options{Files: []string{"compose.yaml", "prod.yaml"}})
	if err == nil || !strings.HasPrefix(err.Error(), "prod.yaml:4: services.app.x-roll.weight: 0 is out of range") {
		t.Errorf("err = %v, want it located in prod.yaml line 4", err)
	}
}

func TestSettingsErrorsAreAllReported(t *testing.T) {
	_, _, err := loadDir(t, map[string]string{"compose.yaml": rolled("ajp_secret_env: AJP_SECRET\nweight: 0\nport: 0", "container_name: app", "")}, Options{})
	got := settingErrors(t, err)
	if len(got) != 3 {
		t.Fatalf("got %d problems, want 3 (weight, port, container_name): %v", len(got), err)
	}
}

func TestSettingsValidation(t *testing.T) {
	const secret = "ajp_secret_env: AJP_SECRET\n"
	// A second rolled service on the same (default) path as app.
	routeConflict := strings.Replace(rolled("", "", ""), "x-roll:\n  gateway: gateway\n",
		"  other:\n    image: tomcat:10.1\n    environment: {S: s}\n    x-roll: {ajp_secret_env: S}\nx-roll:\n  gateway: gateway\n", 1)
	tests := []struct {
		name     string
		compose  string
		key      string // the full key path the error must name
		contains string // and a fragment of its explanation
	}{
		{"unknown key", rolled(secret+"sticky: true", "", ""), "services.app.x-roll.sticky", "unknown key"},
		{"x-roll not a mapping", strings.Replace(validProject, "    x-roll:\n      ajp_secret_env: AJP_SECRET\n", "    x-roll: yes\n", 1), "services.app.x-roll", "must be a mapping"},
		{"protocol enum", rolled(secret+"protocol: ftp", "", ""), "services.app.x-roll.protocol", `"ftp" is not one of ajp, http`},
		{"port range", rolled(secret+"port: 70000", "", ""), "services.app.x-roll.port", "between 1 and 65535"},
		{"port type", rolled(secret+"port: eighty", "", ""), "services.app.x-roll.port", "whole number"},
		{"ajp on the http port", rolled(secret+"port: 8080", "", ""), "services.app.x-roll.port", "set protocol: http"},
		{"http on the ajp port", rolled("protocol: http\nport: 8009", "", ""), "services.app.x-roll.port", "set protocol: ajp"},
		{"path prefix", rolled(secret+"paths: [app]", "", ""), "services.app.x-roll.paths[0]", `must start with "/"`},
		{"path twice", rolled(secret+"paths: [/a, /a]", "", ""), "services.app.x-roll.paths[1]", "twice"},
		{"paths empty", rolled(secret+"paths: []", "", ""), "services.app.x-roll.paths", "must not be empty"},
		{"host", rolled(secret+"hosts: [\"http://example.com\"]", "", ""), "services.app.x-roll.hosts[0]", "not a host name"},
		{"weight", rolled(secret+"weight: 0", "", ""), "services.app.x-roll.weight", "between 1 and 100"},
		{"packet size", rolled(secret+"packet_size: 1024", "", ""), "services.app.x-roll.packet_size", "between 8192 and 65536"},
		{"duration", rolled(secret+"session_idle: 30", "", ""), "services.app.x-roll.session_idle", "duration"},
		{"duration unit", rolled(secret+"session_idle: thirty", "", ""), "services.app.x-roll.session_idle", "not a duration"},
		{"negative duration", rolled(secret+"drain: {timeout: -1s}", "", ""), "services.app.x-roll.drain.timeout", "longer than zero"},
		{"drain check not a path", rolled(secret+"drain: {mode: handoff, check: store.jsp}", "", ""), "services.app.x-roll.drain.check", `must start with "/"`},
		{"ready check", rolled(secret+"ready: {check: ping}", "", ""), "services.app.x-roll.ready.check", "request, cping, tcp"},
		{"ready path", rolled(secret+"ready: {path: health}", "", ""), "services.app.x-roll.ready.path", `must start with "/"`},
		{"ready interval", rolled(secret+"ready: {timeout: 1s, interval: 2s}", "", ""), "services.app.x-roll.ready.interval", "single try"},
		{"health timeout", rolled(secret+"health: {interval: 1s, timeout: 2s}", "", ""), "services.app.x-roll.health.timeout", "before the next"},
		{"unknown nested key", rolled(secret+"drain: {mode: sessions, grace: 1s}", "", ""), "services.app.x-roll.drain.grace", "keys of services.app.x-roll.drain are check, hold, mode, timeout"},
		{"ajp needs a secret", rolled("weight: 1", "", ""), "services.app.x-roll.ajp_secret_env", "secretRequired"},
		{"secret variable unset", rolled("ajp_secret_env: NOPE", "", ""), "services.app.environment", "NOPE"},
		{"secret env name", rolled("ajp_secret_env: 1BAD", "", ""), "services.app.x-roll.ajp_secret_env", "not an environment variable name"},
		{"http with secret", rolled("protocol: http\najp_secret_env: AJP_SECRET", "", ""), "services.app.x-roll.ajp_secret_env", "only applies to protocol ajp"},
		{"http with packet size", rolled("protocol: http\npacket_size: 8192", "", ""), "services.app.x-roll.packet_size", "only applies to protocol ajp"},
		{"http with cping", rolled("protocol: http\nready: {check: cping}", "", ""), "services.app.x-roll.ready.check", "AJP probe"},
		{"fixed host port", rolled("", "ports: [\"8080:8080\"]", ""), "services.app.ports[0]", "fight over it"},
		{"container_name", rolled("", "container_name: shop-app", ""), "services.app.container_name", "cannot share a name"},
		{"hostname", rolled("", "hostname: app1", ""), "services.app.hostname", "same host name"},
		{"too many replicas", rolled("", "deploy: {replicas: 33}", ""), "services.app.deploy.replicas", "1 to 32 containers"},
		{"no replica", rolled("", "deploy: {replicas: 0}", ""), "services.app.deploy.replicas", "1 to 32 containers"},
		{"network_mode", rolled("", "network_mode: host", ""), "services.app.network_mode", "networks"},
		{"fixed address", rolled("", "networks:\n  default:\n    ipv4_address: 172.28.0.5", "networks:\n  default:\n    ipam: {config: [{subnet: 172.28.0.0/16}]}\nx-roll:\n  gateway: gateway"), "services.app.networks.default.ipv4_address", "clash"},
		{"gateway required", rolled("", "", "x-other: 1"), "x-roll.gateway", "is required"},
		{"gateway unknown", rolled("", "", "x-roll:\n  gateway: front"), "x-roll.gateway", "not in the project; services: app, gateway"},
		{"gateway rolled", strings.Replace(rolled("", "", ""), "      ROLL_ADMIN_TOKEN: admin-token\n", "      ROLL_ADMIN_TOKEN: admin-token\n    x-roll: {protocol: http}\n", 1), "services.gateway.x-roll", "cannot itself be rolled"},
		{"admin token unset", strings.Replace(rolled("", "", ""), "ROLL_ADMIN_TOKEN: admin-token", "OTHER: x", 1), "services.gateway.environment", "ROLL_ADMIN_TOKEN is not set"},
		{"engine", rolled("", "", "x-roll:\n  gateway: gateway\n  engine: kubernetes"), "x-roll.engine", `"kubernetes" is not one of auto, docker, swarm`},
		{"top-level unknown key", rolled("", "", "x-roll:\n  gateway: gateway\n  admin: 1"), "x-roll.admin", "unknown key"},
		{"route conflict", routeConflict, "services.other.x-roll.paths[0]", "already routed to service app"},
		{"no shared network", rolled("", "networks: [back]", "networks:\n  back: {}\nx-roll:\n  gateway: gateway"), "services.app.networks", "shares no network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadDir(t, map[string]string{"compose.yaml": tt.compose}, Options{})
			if !errors.Is(err, ErrInvalidProject) {
				t.Fatalf("err = %v, want ErrInvalidProject", err)
			}
			var found *SettingError
			for _, se := range settingErrors(t, err) {
				if se.Key == tt.key {
					found = se
				}
			}
			if found == nil {
				t.Fatalf("no error names %s:\n%v", tt.key, err)
			}
			msg := found.Error()
			if !strings.HasPrefix(msg, "compose.yaml") || !strings.Contains(msg, tt.key) || !strings.Contains(msg, tt.contains) {
				t.Errorf("error %q\nwant the file, the key %s and %q", msg, tt.key, tt.contains)
			}
		})
	}
}

func TestReplicasOfARolledService(t *testing.T) {
	for _, tt := range []struct {
		extra string
		want  int
	}{{"", 1}, {"deploy: {replicas: 3}", 3}, {"scale: 2", 2}, {"scale: 4\ndeploy: {replicas: 4}", 4}} {
		p, _, err := loadDir(t, map[string]string{"compose.yaml": rolled("", tt.extra, "")}, Options{})
		if err != nil {
			t.Fatalf("%q: %v", tt.extra, err)
		}
		if s, _ := p.Rolled("app"); s.Replicas != tt.want {
			t.Errorf("%q: replicas %d, want %d", tt.extra, s.Replicas, tt.want)
		}
	}
}
