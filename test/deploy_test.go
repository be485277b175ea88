package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// statusJSON is the part of `roll status --json` the tests read.
type statusJSON struct {
	Project  string `json:"project"`
	Services []struct {
		Service    string `json:"service"`
		Rolled     bool   `json:"rolled"`
		Containers []struct {
			Name    string `json:"name"`
			Image   string `json:"image"`
			State   string `json:"state"`
			Node    string `json:"node"`
			Backend *struct {
				Activation string `json:"activation"`
				Healthy    bool   `json:"healthy"`
				Requests   uint64 `json:"requests"`
				Sessions   int64  `json:"sessions"`
			} `json:"backend"`
		} `json:"containers"`
		Deploys []struct {
			Outcome string            `json:"outcome"`
			Meta    map[string]string `json:"meta"`
		} `json:"deploys"`
		Pause *struct {
			Held int `json:"held"`
		} `json:"pause"`
	} `json:"services"`
}

func (p *project) status() statusJSON {
	p.t.Helper()
	res := p.must("status", "--json")
	var st statusJSON
	if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil {
		p.t.Fatalf("roll status --json is not JSON: %v\n%s", err, res.Stdout)
	}
	return st
}

// serving returns the names and images of the app containers the gateway has active.
func (st statusJSON) active(service string) (names, images []string) {
	for _, s := range st.Services {
		if s.Service != service {
			continue
		}
		for _, c := range s.Containers {
			if c.Backend != nil && c.Backend.Activation == "active" {
				names = append(names, c.Name)
				images = append(images, c.Image)
			}
		}
	}
	return names, images
}

// events parses `roll deploy --json` output: one JSON object per line, the last with the result.
func events(t *testing.T, out string) (steps []string, result map[string]any) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev struct {
			Step   string         `json:"step"`
			Status string         `json:"status"`
			Result map[string]any `json:"result"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("deploy --json line is not JSON: %v: %s", err, sc.Text())
		}
		if ev.Status != "progress" {
			steps = append(steps, ev.Step+":"+ev.Status)
		}
		if ev.Result != nil {
			result = ev.Result
		}
	}
	if result == nil {
		t.Fatalf("deploy --json printed no result:\n%s", out)
	}
	return steps, result
}

func upGoApp(t *testing.T, spec projectSpec) *project {
	t.Helper()
	images(t, "gateway", "goapp")
	if spec.AppImage == "" {
		spec.AppImage = "roll-example-goapp:v1"
	}
	p := newProject(t, spec)
	p.must("up")
	waitServing(t, p, "v1")
	return p
}

// waitServing waits until the gateway answers with version v.
func waitServing(t *testing.T, p *project, v string) {
	t.Helper()
	u := newUser(t, p.url("/"))
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, _, _, err := u.visit()
		if err == nil && got == v {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway never answered with %s (last: %q, %v)", v, got, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestDeployUnderLoadLosesNoRequest(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{})
	l := startLoad(t, p.url("/"), 300, 12)
	time.Sleep(2 * time.Second) // load on v1 before the deploy starts
	res := p.must("deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	time.Sleep(2 * time.Second) // and on v2 after it ends
	rep := l.report()
	t.Logf("load: %s", rep)

	if len(rep.Failures) > 0 {
		t.Errorf("%d failed requests during the deploy, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	if len(rep.Order) != 2 || rep.Order[0] != "v1" || rep.Order[1] != "v2" {
		t.Errorf("versions seen in order %v, want [v1 v2]", rep.Order)
	}
	if rep.OldAfterNew {
		t.Errorf("new visitors still reached v1 well after v2 answered: the switch is not atomic")
	}
	if rep.Total < 1000 {
		t.Errorf("only %d requests: the load generator did not load", rep.Total)
	}
	steps, result := events(t, res.Stdout)
	for _, want := range []string{"create:done", "start:done", "ready:done", "switch:done", "drain:done", "stop:done", "done:done"} {
		if !contains(steps, want) {
			t.Errorf("deploy events lack %s: %v", want, steps)
		}
	}
	if result["outcome"] != "succeeded" {
		t.Errorf("result outcome = %v", result["outcome"])
	}
	p.convergedTo("roll-example-goapp:v2", 1)
}

// convergedTo checks that the app has exactly n containers, all active in the gateway, of image.
func (p *project) convergedTo(image string, n int) {
	p.t.Helper()
	if got := p.containers("app"); len(got) != n {
		p.t.Errorf("the app has containers %v, want exactly %d", got, n)
	}
	names, imgs := p.status().active("app")
	if len(names) != n || slices.ContainsFunc(imgs, func(i string) bool { return i != image }) {
		p.t.Errorf("active: %v %v, want %d of %s", names, imgs, n, image)
	}
}

func TestStickySessionSurvivesTheDeploy(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{SessionIdle: "4s"})
	u := newUser(t, p.url("/"))
	v, route, hits, err := u.visit()
	if err != nil || v != "v1" || hits != 1 {
		t.Fatalf("first visit: %s %s %d %v", v, route, hits, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan result, 1)
	go func() { done <- p.rollCtx(ctx, "deploy", "app", "--image", "roll-example-goapp:v2") }()

	// While the deploy runs the user keeps clicking: same version, same route, hits going up.
	waitServingNew := newUser(t, p.url("/"))
	sawV2 := false
	lastHits := hits
	for deadline := time.Now().Add(60 * time.Second); !sawV2 && time.Now().Before(deadline); {
		nv, nr, nh, err := u.visit()
		if err != nil {
			t.Fatalf("the session user got an error during the deploy: %v", err)
		}
		if nv != "v1" || nr != route || nh != lastHits+1 {
			t.Fatalf("the session user was moved: got %s/%s hits=%d, want v1/%s hits=%d", nv, nr, nh, route, lastHits+1)
		}
		lastHits = nh
		if fresh, _, _, err := waitServingNew.visit(); err == nil && fresh == "v2" {
			sawV2 = true
		}
		waitServingNew = newUser(t, p.url("/")) // a new visitor every time
		time.Sleep(300 * time.Millisecond)
	}
	if !sawV2 {
		t.Fatal("new visitors never reached v2")
	}
	for i := 0; i < 3; i++ { // still on v1 after the switch
		nv, _, nh, err := u.visit()
		if err != nil || nv != "v1" || nh != lastHits+1 {
			t.Fatalf("after the switch the session user got %s hits=%d err=%v, want v1 hits=%d", nv, nh, err, lastHits+1)
		}
		lastHits = nh
		time.Sleep(300 * time.Millisecond)
	}
	// The user goes idle; the drain ends after the session idle time and the deploy finishes.
	res := <-done
	if res.Code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if !strings.Contains(res.Stdout, "drain") {
		t.Errorf("deploy output does not show the drain:\n%s", res.Stdout)
	}
	if nv, _, _, err := u.visit(); err != nil || nv != "v2" {
		t.Errorf("after the drain the user should land on v2, got %s %v", nv, err)
	}
}

func TestDeployOfABrokenReleaseRollsBack(t *testing.T) {
	t.Parallel()
	deployBrokenRelease(t, upGoApp(t, projectSpec{ReadyTime: "6s"}))
}

// deployBrokenRelease deploys a release that never becomes ready under load: exit 6, no
// failed request, v1 alone served, the reason, the new container's logs and the safety
// note shown, and only the old container (on Swarm: service) left.
func deployBrokenRelease(t *testing.T, p *project) {
	t.Helper()
	l := startLoad(t, p.url("/"), 200, 8)
	res := p.roll("deploy", "app", "--image", "roll-example-goapp:broken")
	rep := l.report()
	t.Logf("load: %s", rep)
	if res.Code != 6 {
		t.Errorf("exit code %d, want 6 (not ready)\nstdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed requests, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	if len(rep.Versions) != 1 || rep.Versions["v1"] == 0 {
		t.Errorf("versions served: %v, want only v1", rep.Versions)
	}
	out := res.Stdout + res.Stderr
	// "fail_ready":true is in the log line the broken app writes when it starts.
	for _, want := range []string{"ready", "FAIL_READY", `"fail_ready":true`, "still serves"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q (the reason, the logs and the safety note):\n%s", want, out)
		}
	}
	if got := p.containers("app"); len(got) != 1 {
		t.Errorf("after the failed deploy the app has containers %v, want only the old one", got)
	}
}

func TestKilledDeployConvergesOnRerun(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{SessionIdle: "30s", DrainTime: "2m"})
	u := newUser(t, p.url("/")) // a live session keeps the drain going
	if _, _, _, err := u.visit(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(rollBin, "deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	cmd.Dir = p.Dir
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill roll -9 as soon as it reports the drain.
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"step":"drain"`) {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatal("the deploy never reached the drain")
	}
	waitServing(t, p, "v2") // the gateway switched and keeps serving

	// Re-run: converges to exactly one container, serving v2, nothing orphaned.
	p.must("deploy", "app", "--image", "roll-example-goapp:v2", "--drain-timeout", "1s")
	if got := p.containers("app"); len(got) != 1 {
		t.Errorf("after the re-run the app has containers %v, want exactly one", got)
	}
	names, imgs := p.status().active("app")
	if len(names) != 1 || imgs[0] != "roll-example-goapp:v2" {
		t.Errorf("active after re-run: %v %v", names, imgs)
	}
}

func TestTwoDeploysOfOneServiceDoNotInterleave(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{SessionIdle: "2s"})
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = p.roll("deploy", "app", "--image", "roll-example-goapp:v2")
		}()
	}
	wg.Wait()
	codes := []int{results[0].Code, results[1].Code}
	if !(codes[0] == 0 && codes[1] == 4 || codes[0] == 4 && codes[1] == 0) {
		t.Fatalf("exit codes %v, want one 0 and one 4 (locked)\n%+v", codes, results)
	}
	loser := results[0]
	if codes[0] == 0 {
		loser = results[1]
	}
	if !strings.Contains(loser.Stderr, "lock") {
		t.Errorf("the refused deploy should say it is locked: %s", loser.Stderr)
	}
	if got := p.containers("app"); len(got) != 1 {
		t.Errorf("containers %v, want exactly one", got)
	}
}

func TestBadInputFailsClearlyAndTouchesNothing(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{})
	before := p.containers("app")

	res := p.roll("deploy", "nosuch")
	if res.Code != 3 || !strings.Contains(res.Stderr, `"nosuch"`) || !strings.Contains(res.Stderr, "app") {
		t.Errorf("unknown service: exit %d, stderr %q; want 3 naming the service and the ones that exist", res.Code, res.Stderr)
	}
	res = p.roll("deploy", "app", "--drain-timeout", "soon")
	if res.Code != 2 || !strings.Contains(res.Stderr, "drain-timeout") {
		t.Errorf("bad flag: exit %d, stderr %q; want 2 naming the flag", res.Code, res.Stderr)
	}
	good := mustRead(t, p.Dir+"/compose.yaml")
	p.write("compose.yaml", strings.Replace(good, "mode: sessions", "mode: slowly", 1))
	res = p.roll("deploy", "app")
	p.write("compose.yaml", good) // so that the clean-up can take the project down
	if res.Code != 3 || !strings.Contains(res.Stderr, "compose.yaml") || !strings.Contains(res.Stderr, "drain.mode") {
		t.Errorf("bad setting: exit %d, stderr %q; want 3 naming the file and the key", res.Code, res.Stderr)
	}
	if after := p.containers("app"); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("bad input changed the containers: %v → %v", before, after)
	}
}

func TestStatusShowsContainersBackendsAndHistory(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{SessionIdle: "1s"})
	p.must("deploy", "app", "--image", "roll-example-goapp:v2")
	st := p.status()
	if st.Project != p.Name {
		t.Errorf("status project %q, want %q", st.Project, p.Name)
	}
	names, imgs := st.active("app")
	if len(names) != 1 || imgs[0] != "roll-example-goapp:v2" {
		t.Errorf("active: %v %v", names, imgs)
	}
	var app *struct {
		Outcome string            `json:"outcome"`
		Meta    map[string]string `json:"meta"`
	}
	for _, s := range st.Services {
		if s.Service == "app" && len(s.Deploys) > 0 {
			app = &s.Deploys[0]
		}
	}
	if app == nil || app.Outcome != "succeeded" || app.Meta["image"] != "roll-example-goapp:v2" {
		t.Errorf("last deploy in status: %+v", app)
	}
	human := p.must("status")
	for _, want := range []string{"app", "active", "roll-example-goapp:v2"} {
		if !strings.Contains(human.Stdout, want) {
			t.Errorf("roll status lacks %q:\n%s", want, human.Stdout)
		}
	}
	// Rollback returns to v1 the same safe way.
	p.must("rollback", "app")
	waitServing(t, p, "v1")
	if _, imgs := p.status().active("app"); len(imgs) != 1 || imgs[0] != "roll-example-goapp:v1" {
		t.Errorf("after rollback active images %v", imgs)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeployBuildsTheServiceImage(t *testing.T) {
	t.Parallel()
	images(t, "gateway", "goapp")
	img := "rolle2e-built-" + randHex(3) + ":latest"
	p := newProject(t, projectSpec{AppImage: img, Extra: "    build:\n      context: ./app\n"})
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", img).Run() })
	// The service's own build: the v1 example app first, then v2, as after a merge.
	if err := os.MkdirAll(p.Dir+"/app", 0o755); err != nil {
		t.Fatal(err)
	}
	p.write("app/Dockerfile", "FROM roll-example-goapp:v1\n")
	p.must("up", "gateway") // the app's image does not exist before its first build
	p.must("deploy", "app", "--build")
	waitServing(t, p, "v1")
	p.write("app/Dockerfile", "FROM roll-example-goapp:v2\n")
	res := p.must("deploy", "app", "--build", "--json")
	steps, _ := events(t, res.Stdout)
	if !contains(steps, "build:done") {
		t.Errorf("deploy --build events lack build:done: %v", steps)
	}
	waitServing(t, p, "v2")

	// A build key the builder cannot honour is refused, named, before anything changes.
	good := mustRead(t, p.Dir+"/compose.yaml")
	p.write("compose.yaml", strings.Replace(good, "      context: ./app\n", "      context: ./app\n      ssh: [default]\n", 1))
	before := p.containers("app")
	res = p.roll("deploy", "app", "--build")
	p.write("compose.yaml", good)
	if res.Code != 3 || !strings.Contains(res.Stderr, "compose.yaml") || !strings.Contains(res.Stderr, "build.ssh") {
		t.Errorf("unsupported build key: exit %d, stderr %q; want 3 naming the file and the key", res.Code, res.Stderr)
	}
	if after := p.containers("app"); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("a refused build changed the containers: %v → %v", before, after)
	}
}

func TestCtrlCBeforeTheSwitchLeavesTheOldServing(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{Env: map[string]string{"READY_DELAY": "8s"}})
	l := startLoad(t, p.url("/"), 100, 4)
	cmd := exec.Command(rollBin, "deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	cmd.Dir = p.Dir
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var lines []string
	interrupted := false
	for sc.Scan() {
		lines = append(lines, sc.Text())
		// The gateway is probing the new container (its health says "starting"): press Ctrl-C.
		if !interrupted && strings.Contains(sc.Text(), `"step":"ready"`) && strings.Contains(sc.Text(), `"status":"progress"`) {
			_ = cmd.Process.Signal(os.Interrupt)
			interrupted = true
		}
	}
	err := cmd.Wait()
	rep := l.report()
	if !interrupted {
		t.Fatalf("never saw the readiness probing:\n%s", strings.Join(lines, "\n"))
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit: %v, want 130\n%s", err, strings.Join(lines, "\n"))
	}
	_, result := events(t, strings.Join(lines, "\n"))
	if result["outcome"] != "interrupted" {
		t.Errorf("outcome %v, want interrupted", result["outcome"])
	}
	if got := p.containers("app"); len(got) != 1 {
		t.Errorf("after Ctrl-C the app has containers %v, want only the old one", got)
	}
	if len(rep.Failures) > 0 || len(rep.Versions) != 1 || rep.Versions["v1"] == 0 {
		t.Errorf("load: %s; want v1 only, no failure", rep)
	}
}
