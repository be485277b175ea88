package e2e

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// background is a roll command running while the test acts, its --json lines streamed.
type background struct {
	cmd   *exec.Cmd
	lines chan string
	mu    sync.Mutex
	all   []string
	done  chan error
}

// start runs roll in the project's directory with extra environment, without waiting.
func (p *project) start(env []string, args ...string) *background {
	p.t.Helper()
	cmd := exec.Command(rollBin, args...)
	cmd.Dir = p.Dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	b := &background{cmd: cmd, lines: make(chan string, 1024), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			b.mu.Lock()
			b.all = append(b.all, sc.Text())
			b.mu.Unlock()
			select {
			case b.lines <- sc.Text():
			default:
			}
		}
		close(b.lines)
		b.done <- cmd.Wait()
	}()
	p.t.Cleanup(func() { _ = cmd.Process.Kill() })
	return b
}

// until reads lines until one contains every part, and fails the test if none does.
func (b *background) until(t *testing.T, parts ...string) {
	t.Helper()
	for line := range b.lines {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return
		}
	}
	t.Fatalf("roll ended without printing a line with %q:\n%s", parts, b.output())
}

// wait returns the exit code and every line printed.
func (b *background) wait(t *testing.T) (int, string) {
	t.Helper()
	for range b.lines { // drain what is left
	}
	select {
	case err := <-b.done:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, b.output()
		case errors.As(err, &ee):
			return ee.ExitCode(), b.output()
		}
		t.Fatalf("roll: %v", err)
	case <-time.After(4 * time.Minute):
		t.Fatalf("roll did not end:\n%s", b.output())
	}
	return -1, ""
}

func (b *background) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.all, "\n")
}

func docker(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestGatewayRestartDuringTheDrainConverges kills the gateway (SIGKILL) right after the
// switch and starts it again: the deploy follows the rollout the restarted gateway resumed,
// the sticky user keeps its session, and exactly one container of the new image is left.
func TestGatewayRestartDuringTheDrainConverges(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{SessionIdle: "5s", DrainTime: "2m"})
	gw := p.containers("gateway")[0]
	u := newUser(t, p.url("/"))
	_, route, hits, err := u.visit()
	if err != nil {
		t.Fatal(err)
	}
	l := startLoad(t, p.url("/"), 50, 4)
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	dep.until(t, `"step":"switch"`, `"status":"done"`)
	time.Sleep(time.Second) // a periodic state save may or may not have run: the switch saved already
	killedAt := time.Now()
	docker(t, "kill", "-s", "KILL", gw)
	docker(t, "start", gw)
	waitServing(t, p, "v2")
	back := time.Since(killedAt)

	// The sticky user comes back after the restart: same backend, same session.
	v, r, h, err := u.visit()
	if err != nil || v != "v1" || r != route || h != hits+1 {
		t.Fatalf("after the gateway restart the session user got %s/%s hits=%d err=%v, want v1/%s hits=%d (its session was forgotten)", v, r, h, err, route, hits+1)
	}
	// Then goes idle: the resumed drain ends by itself and the deploy retires the old container.
	code, out := dep.wait(t)
	rep := l.report()
	t.Logf("gateway back after %s; load: %s", back.Round(10*time.Millisecond), rep)
	if code != 0 {
		t.Fatalf("deploy exit %d, want 0 (it follows the resumed rollout):\n%s", code, out)
	}
	_, result := events(t, out)
	if result["outcome"] != "succeeded" {
		t.Errorf("outcome %v, want succeeded", result["outcome"])
	}
	p.convergedTo("roll-example-goapp:v2", 1)
	if rep.Versions["v2"] == 0 {
		t.Errorf("load never reached v2: %s", rep)
	}
}

// TestSupersededDeployLeavesTheNewerRolloutsContainers runs two deploys of one service as two
// machines would (separate locks): the second takes the first one's drain over, and the
// first must stop nothing that the second still drains.
func TestSupersededDeployLeavesTheNewerRolloutsContainers(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{SessionIdle: "4s", DrainTime: "2m"})
	u := newUser(t, p.url("/")) // a session on v1 keeps the first drain open
	if _, _, _, err := u.visit(); err != nil {
		t.Fatal(err)
	}
	a := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	a.until(t, `"step":"drain"`)
	other := []string{"XDG_RUNTIME_DIR=" + t.TempDir()} // another machine: another lock
	b := p.start(other, "deploy", "app", "--image", "roll-example-goapp:v1", "--json")
	code, out := a.wait(t)
	if code != 0 {
		t.Fatalf("superseded deploy exit %d, want 0:\n%s", code, out)
	}
	_, result := events(t, out)
	if result["outcome"] != "superseded" {
		t.Errorf("first deploy's outcome %v, want superseded:\n%s", result["outcome"], out)
	}
	if got := p.containers("app"); len(got) != 3 {
		t.Errorf("right after the superseded deploy ended the app has %v, want 3: the old, its new and the newer one (the newer deploy drains the first two)", got)
	}
	code, out = b.wait(t)
	if code != 0 {
		t.Fatalf("newer deploy exit %d:\n%s", code, out)
	}
	got := p.containers("app")
	names, imgs := p.status().active("app")
	if len(got) != 1 || len(names) != 1 || imgs[0] != "roll-example-goapp:v1" {
		t.Errorf("after both deploys: containers %v, active %v %v; want exactly one, v1", got, names, imgs)
	}
}

// TestCtrlCDuringAnAdminCallExitsAtOnce freezes the gateway's process (SIGSTOP: the
// container still runs, its socket accepts, nothing answers) so that the deploy's first admin
// call hangs, then presses Ctrl-C: roll must not wait for its client's own timeout.
func TestCtrlCDuringAnAdminCallExitsAtOnce(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{})
	gw := p.containers("gateway")[0]
	docker(t, "kill", "-s", "STOP", gw)
	defer docker(t, "kill", "-s", "CONT", gw)
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	dep.until(t, `"step":"lock"`)
	time.Sleep(1500 * time.Millisecond) // now inside the gateway call of the observe step
	sent := time.Now()
	_ = dep.cmd.Process.Signal(syscall.SIGINT)
	code, out := dep.wait(t)
	took := time.Since(sent)
	t.Logf("exited %d after %s", code, took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("roll took %s to exit after Ctrl-C, want within 1s:\n%s", took, out)
	}
	if code != 130 {
		t.Errorf("exit %d, want 130 (interrupted):\n%s", code, out)
	}
	if strings.Contains(out, `"step":"observe","status":"done"`) {
		t.Errorf("the observe step finished: Ctrl-C did not land inside the hanging admin call:\n%s", out)
	}
	if got := p.containers("app"); len(got) != 1 {
		t.Errorf("after Ctrl-C the app has containers %v, want only the old one", got)
	}
}
