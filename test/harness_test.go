// Package e2e runs roll's deploy scenarios against the real Docker engine, with
// images built on this machine (no registry): the roll gateway, the Go example
// app and, for the Tomcat scenarios, a Tomcat 10.1 image assembled from Debian.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"
)

var (
	repoRoot string // the repository, found from this file
	rollBin  string // roll built once for the whole run
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse() // testing.Short needs the flags before m.Run parses them
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Dir(filepath.Dir(file))
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode")
		return 0
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "e2e: the Docker engine is not reachable and CI=true: failing (run scripts/install-test-deps.sh)")
			return 1
		}
		fmt.Println("e2e: skipped: no Docker engine (docker info failed)")
		return 0
	}
	dir, err := os.MkdirTemp("", "roll-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	rollBin = filepath.Join(dir, "roll")
	build := exec.Command("go", "build", "-o", rollBin, "./cmd/roll")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building roll: %v\n%s", err, out)
		return 1
	}
	code := m.Run()
	if err := leaveSwarm(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: leaving the test swarm:", err)
		code = 1
	}
	return code
}

// images builds the named image groups with scripts/build-images.sh (it skips what is up to date).
func images(t *testing.T, which ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot, "scripts", "build-images.sh"), which...)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building images %v: %v\n%s", which, err, out)
	}
}

// project is a compose project of one test in its own directory, with its own name and ports.
type project struct {
	t         *testing.T
	spec      projectSpec // as the compose file says now (respec changes it)
	swarm     bool        // the project runs as Swarm services
	volumes   []string    // its named volumes besides state
	Dir       string
	Name      string
	HTTPPort  int
	AdminPort int
	Token     string
	Secret    string
}

// projectSpec fills the compose template of a test.
type projectSpec struct {
	AppImage    string // image of the app service
	Protocol    string // ajp or http
	Port        int
	HealthPath  string
	SessionIdle string
	DrainMode   string
	DrainTime   string
	DrainCheck  string // drain.check (handoff mode)
	DrainHold   string // drain.hold (handoff mode)
	ReadyTime   string
	Env         map[string]string // more environment variables of the app
	Extra       string            // more service-level compose keys for the app, indented 4 spaces
	Services    string            // more services, indented 2 spaces
	Volumes     []string          // more named volumes of the project
	Hooks       string            // the app's x-roll hooks, a mapping indented 8 spaces (under "hooks:")
	Canary      string            // the app's x-roll canary, a flow mapping such as {share: 25%, window: 10s}
	Watch       string            // the app's x-roll watch, a flow mapping such as {window: 1m, max_error_rate: 10%}
	Warmup      string            // the app's x-roll warmup, a flow mapping such as {path: /, requests: 20}
	NoAdminPort bool              // the gateway does not publish its admin port: roll reaches it through Docker
	// Swarm runs the project as Swarm services (engine: swarm): the gateway publishes its HTTP
	// port in host mode on every address (Swarm cannot bind one) and not its admin port.
	Swarm bool
}

// The plain-Docker scenarios say engine: docker, so that a swarm that the Swarm scenarios
// create on this engine cannot turn them into Swarm deploys through engine: auto.
const composeTemplate = `name: {{.Name}}
x-roll:
  engine: {{if .Spec.Swarm}}swarm{{else}}docker{{end}}
  gateway: gateway
  admin_port: 9901
services:
  gateway:
    image: roll:dev
    command: ["gateway", "--listen", ":8080", "--admin", ":9901", "--state", "/var/lib/roll/state.json"]
    environment:
      ROLL_ADMIN_TOKEN: ${ROLL_ADMIN_TOKEN}
    ports:
{{- if .Spec.Swarm}}
      - {target: 8080, published: {{.HTTPPort}}, mode: host}
{{- else}}
      - "127.0.0.1:{{.HTTPPort}}:8080"
{{- if not .Spec.NoAdminPort}}
      - "127.0.0.1:{{.AdminPort}}:9901"
{{- end}}
{{- end}}
    volumes:
      - state:/var/lib/roll
    labels:
      dev.roll.test: "1"
  app:
    image: {{.Spec.AppImage}}
    environment:
      AJP_SECRET: ${AJP_SECRET}
{{- range $k, $v := .Spec.Env}}
      {{$k}}: "{{$v}}"
{{- end}}
    stop_grace_period: 5s
    labels:
      dev.roll.test: "1"
{{.Spec.Extra}}    x-roll:
      protocol: {{.Spec.Protocol}}
      port: {{.Spec.Port}}
      ajp_secret_env: AJP_SECRET
      session_idle: {{.Spec.SessionIdle}}
      ready:
        path: {{.Spec.HealthPath}}
        timeout: {{.Spec.ReadyTime}}
        interval: 200ms
      drain:
        mode: {{.Spec.DrainMode}}
        timeout: {{.Spec.DrainTime}}
{{- if .Spec.DrainCheck}}
        check: {{.Spec.DrainCheck}}
{{- end}}
{{- if .Spec.DrainHold}}
        hold: {{.Spec.DrainHold}}
{{- end}}
      health:
        interval: 1s
        timeout: 1s
        recover_after: 5s
{{- if .Spec.Canary}}
      canary: {{.Spec.Canary}}
{{- end}}
{{- if .Spec.Hooks}}
      hooks:
{{.Spec.Hooks}}
{{- end}}
{{- if .Spec.Watch}}
      watch: {{.Spec.Watch}}
{{- end}}
{{- if .Spec.Warmup}}
      warmup: {{.Spec.Warmup}}
{{- end}}
{{.Spec.Services}}volumes:
  state:
{{- range .Spec.Volumes}}
  {{.}}:
{{- end}}
`

// newProject writes a project for spec and registers its removal (containers, network, volumes).
func newProject(t *testing.T, spec projectSpec) *project {
	t.Helper()
	if spec.Protocol == "" {
		spec.Protocol = "ajp"
	}
	if spec.Port == 0 {
		spec.Port = 8009
	}
	if spec.HealthPath == "" {
		spec.HealthPath = "/health"
	}
	if spec.SessionIdle == "" {
		spec.SessionIdle = "3s"
	}
	if spec.DrainMode == "" {
		spec.DrainMode = "sessions"
	}
	if spec.DrainTime == "" {
		spec.DrainTime = "60s"
	}
	if spec.ReadyTime == "" {
		spec.ReadyTime = "60s"
	}
	p := &project{
		t:         t,
		swarm:     spec.Swarm,
		volumes:   spec.Volumes,
		Dir:       t.TempDir(),
		Name:      "rolle2e" + randHex(4),
		HTTPPort:  freePort(t),
		AdminPort: freePort(t),
		Token:     "tok-" + randHex(8),
		Secret:    "ajp-" + randHex(8),
	}
	p.render(spec)
	p.write(".env", fmt.Sprintf("ROLL_ADMIN_TOKEN=%s\nAJP_SECRET=%s\n", p.Token, p.Secret))
	t.Cleanup(p.remove)
	return p
}

// render writes the project's compose file for spec.
func (p *project) render(spec projectSpec) {
	p.t.Helper()
	var buf bytes.Buffer
	tpl := template.Must(template.New("compose").Parse(composeTemplate))
	if err := tpl.Execute(&buf, struct {
		*project
		Spec projectSpec
	}{p, spec}); err != nil {
		p.t.Fatal(err)
	}
	p.spec = spec
	p.write("compose.yaml", buf.String())
}

// respec changes the compose file (the next roll command reads it), as a person edits it
// between two deploys.
func (p *project) respec(change func(*projectSpec)) {
	p.t.Helper()
	spec := p.spec
	change(&spec)
	p.render(spec)
}

func (p *project) write(name, content string) {
	p.t.Helper()
	if err := os.WriteFile(filepath.Join(p.Dir, name), []byte(content), 0o600); err != nil {
		p.t.Fatal(err)
	}
}

// remove takes the project down whatever state the test left it in.
func (p *project) remove() {
	if os.Getenv("E2E_KEEP") != "" {
		p.t.Logf("E2E_KEEP set: leaving project %s in %s", p.Name, p.Dir)
		return
	}
	res := p.roll("down", "--volumes")
	if res.Code != 0 {
		p.t.Logf("roll down: %s%s", res.Stdout, res.Stderr)
	}
	// Belt and braces: nothing of this project may survive the test.
	if p.swarm {
		if s := p.services(""); len(s) > 0 {
			p.t.Errorf("roll down left Swarm services of %s: %v", p.Name, s)
			_ = exec.Command("docker", append([]string{"service", "rm"}, s...)...).Run()
		}
	}
	ids, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=com.docker.compose.project="+p.Name).Output()
	if s := strings.Fields(string(ids)); len(s) > 0 {
		p.t.Errorf("roll down left containers of %s: %v", p.Name, s)
		_ = exec.Command("docker", append([]string{"rm", "-f"}, s...)...).Run()
	}
	_ = exec.Command("docker", "network", "rm", p.Name+"_default").Run()
	_ = exec.Command("docker", "volume", "rm", p.Name+"_state").Run()
	for _, v := range p.volumes {
		_ = exec.Command("docker", "volume", "rm", p.Name+"_"+v).Run()
	}
}

// result of one roll invocation.
type result struct {
	Code           int
	Stdout, Stderr string
}

// roll runs the roll binary in the project's directory.
func (p *project) roll(args ...string) result {
	return p.rollCtx(context.Background(), args...)
}

func (p *project) rollCtx(ctx context.Context, args ...string) result {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, rollBin, args...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

// must runs roll and fails the test unless it exits 0.
func (p *project) must(args ...string) result {
	p.t.Helper()
	res := p.roll(args...)
	if res.Code != 0 {
		p.t.Fatalf("roll %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.Code, res.Stdout, res.Stderr)
	}
	return res
}

// containers lists the project's containers of a service (any state) by compose labels; on
// Swarm, the services that stand for them.
func (p *project) containers(service string) []string {
	p.t.Helper()
	if p.swarm {
		return p.services(service)
	}
	out, err := exec.Command("docker", "ps", "-a", "--format", "{{.Names}}",
		"--filter", "label=com.docker.compose.project="+p.Name,
		"--filter", "label=com.docker.compose.service="+service).Output()
	if err != nil {
		p.t.Fatalf("docker ps: %v", err)
	}
	return strings.Fields(string(out))
}

// services lists the project's Swarm services of a service (all of them for ""), by compose labels.
func (p *project) services(service string) []string {
	p.t.Helper()
	args := []string{"service", "ls", "--format", "{{.Name}}", "--filter", "label=com.docker.compose.project=" + p.Name}
	if service != "" {
		args = append(args, "--filter", "label=com.docker.compose.service="+service)
	}
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		p.t.Fatalf("docker service ls: %v", err)
	}
	names := strings.Fields(string(out))
	slices.Sort(names)
	return names
}

func (p *project) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", p.HTTPPort, path)
}

// handedOut holds the ports freePort gave, so that scenarios running side by side never get
// the same one between its release here and the engine's bind.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		handedOut.Lock()
		fresh := !handedOut.ports[port]
		handedOut.ports[port] = true
		handedOut.Unlock()
		if fresh {
			return port
		}
	}
	t.Fatal("found no loopback port that no other scenario was given")
	return 0
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
