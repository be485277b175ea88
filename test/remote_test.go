package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The scenarios of a roll that is not on the engine's machine: the gateway's
// admin API is then reached through the Docker engine (`roll dial` run in the
// gateway container), not at the host port Docker published.

// gatewayStatus is the gateway part of `roll status --json`.
type gatewayStatus struct {
	Gateway struct {
		AdminURL string `json:"admin_url"`
		Error    string `json:"error"`
	} `json:"gateway"`
}

func (p *project) gatewayStatus(env ...string) gatewayStatus {
	p.t.Helper()
	res := p.rollEnv(env, "status", "--json")
	if res.Code != 0 {
		p.t.Fatalf("roll status --json: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	var st gatewayStatus
	if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil {
		p.t.Fatalf("roll status --json is not JSON: %v\n%s", err, res.Stdout)
	}
	return st
}

// rollEnv runs roll like roll does, with env added to its environment.
func (p *project) rollEnv(env []string, args ...string) result {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, rollBin, args...)
	cmd.Dir = p.Dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	var out, errb strings.Builder
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

// deployThrough deploys v2 with env and checks the rollout stream came
// through to its end and v2 serves.
func deployThrough(t *testing.T, p *project, env ...string) {
	t.Helper()
	res := p.rollEnv(env, "deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	if res.Code != 0 {
		t.Fatalf("roll deploy: exit %d\nstdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
	}
	steps, result := events(t, res.Stdout)
	for _, want := range []string{"ready:done", "switch:done", "drain:done", "stop:done"} {
		if !contains(steps, want) {
			t.Errorf("deploy events lack %s (the gateway's rollout stream): %v", want, steps)
		}
	}
	if result["outcome"] != "succeeded" {
		t.Errorf("result outcome = %v", result["outcome"])
	}
	waitServing(t, p, "v2")
}

// TestAdminPortNotPublished: a gateway that publishes no admin port is
// driven through the engine: up, status and a whole deploy.
func TestAdminPortNotPublished(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{NoAdminPort: true, SessionIdle: "1s"})
	gw := p.containers("gateway")
	if len(gw) != 1 {
		t.Fatalf("gateway containers %v, want one", gw)
	}
	if out, _ := exec.Command("docker", "port", gw[0], "9901/tcp").CombinedOutput(); !strings.Contains(string(out), "No public port") {
		t.Fatalf("the gateway publishes its admin port (%s): the test would not test the tunnel", strings.TrimSpace(string(out)))
	}
	st := p.gatewayStatus()
	if st.Gateway.Error != "" || st.Gateway.AdminURL != "http://"+gw[0]+":9901" {
		t.Fatalf("status gateway: url %q, error %q; want the tunnel to %s", st.Gateway.AdminURL, st.Gateway.Error, gw[0])
	}
	if names, _ := p.status().active("app"); len(names) != 1 {
		t.Fatalf("status through the tunnel shows active app containers %v, want one", names)
	}
	deployThrough(t, p)
	if _, imgs := p.status().active("app"); len(imgs) != 1 || imgs[0] != "roll-example-goapp:v2" {
		t.Errorf("active after the deploy: %v", imgs)
	}
}

// TestRemoteEngineOverSSH runs roll as CI does, with DOCKER_HOST=ssh://…:
// ssh is a stand-in (dockerx's test helper) that relays to this machine's
// engine as `docker system dial-stdio` would on the far host. The gateway
// publishes its admin port on the engine host's loopback, which a remote
// roll cannot reach, so roll must go through the engine even so.
func TestRemoteEngineOverSSH(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{SessionIdle: "1s"})
	sshDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(sshDir, "ssh"), "./pkg/dockerx/testdata/fakessh")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in ssh: %v\n%s", err, out)
	}
	engine := os.Getenv("DOCKER_HOST")
	if engine == "" {
		engine = "unix:///var/run/docker.sock"
	}
	argsLog := filepath.Join(t.TempDir(), "ssh-args")
	env := []string{
		"PATH=" + sshDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"DOCKER_HOST=ssh://deploy@build-host:2222",
		"FAKESSH_ENGINE=" + engine,
		"FAKESSH_LOG=" + argsLog,
	}
	gw := p.containers("gateway")
	st := p.gatewayStatus(env...)
	if st.Gateway.Error != "" || st.Gateway.AdminURL != "http://"+gw[0]+":9901" {
		t.Fatalf("status over ssh: gateway url %q, error %q; want the tunnel to %s", st.Gateway.AdminURL, st.Gateway.Error, gw[0])
	}
	deployThrough(t, p, env...)
	calls, err := os.ReadFile(argsLog)
	if err != nil || !strings.Contains(string(calls), "-l deploy -p 2222 -- build-host docker system dial-stdio") {
		t.Errorf("ssh was not called as the docker CLI calls it (%v):\n%s", err, calls)
	}
}
