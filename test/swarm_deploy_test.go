package e2e

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// The Swarm scenarios: the same deploys as on plain Docker, with every container a Swarm
// service of one task on a single-node swarm (see requireSwarm), images built on this
// machine and no registry.

// TestSwarmDeployUnderLoadKeepsTheStickyUser: roll up creates the project as Swarm
// services; a deploy under load loses no request, switches new visitors at once and keeps a
// sticky user on its old task until it goes idle; status shows the node of every task;
// rollback goes back the same way; roll down --volumes leaves nothing of the project.
func TestSwarmDeployUnderLoadKeepsTheStickyUser(t *testing.T) {
	t.Parallel()
	p := upSwarmApp(t, projectSpec{SessionIdle: "3s"})
	node := strings.TrimSpace(output(t, "docker", "info", "--format", "{{.Name}}"))
	for _, s := range p.status().Services {
		for _, c := range s.Containers {
			if c.Node != node {
				t.Errorf("status: %s runs on node %q, want %q", c.Name, c.Node, node)
			}
		}
	}
	if human := p.must("status").Stdout; !strings.Contains(human, "NODE") || !strings.Contains(human, node) {
		t.Errorf("roll status does not show the node:\n%s", human)
	}

	u := newUser(t, p.url("/"))
	_, route, hits, err := u.visit()
	if err != nil {
		t.Fatal(err)
	}
	l := startLoad(t, p.url("/"), 200, 8)
	time.Sleep(time.Second) // load on v1 before the deploy starts
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	clickThroughTheSwitch(t, u, dep, route, hits)
	code, out := dep.wait(t) // the user went idle: the drain ends by itself
	time.Sleep(time.Second)
	rep := l.report()
	t.Logf("load: %s", rep)
	if code != 0 {
		t.Fatalf("deploy exit %d:\n%s", code, out)
	}
	_, result := events(t, out)
	t.Logf("swarm deploy: durations (ms) %v", result["durations"])
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed requests, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	if len(rep.Order) != 2 || rep.Order[0] != "v1" || rep.Order[1] != "v2" || rep.OldAfterNew {
		t.Errorf("versions seen in order %v (old after new: %v), want v1 then v2 at once", rep.Order, rep.OldAfterNew)
	}
	if v, _, _, err := u.visit(); err != nil || v != "v2" {
		t.Errorf("after the drain the user should land on v2, got %s %v", v, err)
	}
	p.convergedTo("roll-example-goapp:v2", 1)

	p.must("rollback", "app")
	waitServing(t, p, "v1")
	p.convergedTo("roll-example-goapp:v1", 1)

	p.must("down", "--volumes")
	label := "label=com.docker.compose.project=" + p.Name
	for what, args := range map[string][]string{
		"services":   {"service", "ls", "-q", "--filter", label},
		"containers": {"ps", "-aq", "--filter", label},
		"networks":   {"network", "ls", "-q", "--filter", label},
		"volumes":    {"volume", "ls", "-q", "--filter", label},
	} {
		if left := strings.Fields(output(t, "docker", args...)); len(left) > 0 {
			t.Errorf("roll down --volumes left %s %v", what, left)
		}
	}
}

// TestSwarmThreeReplicasAndARescheduledTask: three services of each version; a deploy
// under load starts three new ones, proves each ready and switches them at once. Then a
// task dies: Swarm starts another under the same name (which then resolves to the new
// task), the gateway takes the backend out while it is gone and back once its checks pass
// again, and no request fails meanwhile.
func TestSwarmThreeReplicasAndARescheduledTask(t *testing.T) {
	t.Parallel()
	p := upSwarmApp(t, projectSpec{Extra: threeReplicas, SessionIdle: "2s"})
	p.convergedTo("roll-example-goapp:v1", 3)
	l := startLoad(t, p.url("/"), 200, 8)
	res := p.must("deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	if n := strings.Count(res.Stdout, `"step":"start","status":"done"`); n != 3 {
		t.Errorf("%d services started, want 3:\n%s", n, res.Stdout)
	}
	_, result := events(t, res.Stdout)
	t.Logf("swarm deploy of 3 replicas: durations (ms) %v", result["durations"]) // docs/benchmarks.md, On Swarm
	p.convergedTo("roll-example-goapp:v2", 3)

	victim := p.containers("app")[0]
	dead := taskContainer(t, victim)
	docker(t, "kill", dead)
	p.waitBackend(victim, false)
	p.waitBackend(victim, true)
	if now := taskContainer(t, victim); now == dead {
		t.Errorf("%s is healthy again in the killed container %s", victim, dead)
	}
	time.Sleep(time.Second) // and serves new visitors again
	rep := l.report()
	t.Logf("load: %s", rep)
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed requests, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	p.convergedTo("roll-example-goapp:v2", 3)
}

// TestSwarmBrokenReleaseRollsBack: a release that never becomes ready is removed with its
// service, its task's last log lines are shown, and the old one serves on without a failed
// request.
func TestSwarmBrokenReleaseRollsBack(t *testing.T) {
	t.Parallel()
	p := upSwarmApp(t, projectSpec{ReadyTime: "6s"})
	deployBrokenRelease(t, p)
	p.convergedTo("roll-example-goapp:v1", 1)
}

// TestSwarmTaskKilledDuringTheDrain: the old task's container is killed while it drains a
// sticky user; Swarm restarts it, new visitors never notice (they are on the new release),
// and the deploy still ends by itself with one service of the new image.
func TestSwarmTaskKilledDuringTheDrain(t *testing.T) {
	t.Parallel()
	p := upSwarmApp(t, projectSpec{SessionIdle: "5s", DrainTime: "60s"})
	old := p.containers("app")[0]
	u := newUser(t, p.url("/"))
	if _, _, _, err := u.visit(); err != nil { // a live session keeps the drain going
		t.Fatal(err)
	}
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	dep.until(t, `"step":"switch"`, `"status":"done"`)
	l := startLoad(t, p.url("/"), 100, 4)
	docker(t, "kill", taskContainer(t, old))
	_, rep := endUnderLoad(t, dep, l)
	if len(rep.Versions) != 1 || rep.Versions["v2"] == 0 {
		t.Errorf("load: %s; want v2 only", rep)
	}
	p.convergedTo("roll-example-goapp:v2", 1)
}

// output runs a command and returns its standard output, failing the test if it fails.
func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out)
}

// TestSwarmGatewayTaskRestarted: the gateway's task dies; Swarm starts another on the same
// node (the gateway is pinned to a manager), which reads the routing table back from the
// state volume: it serves the app again, and roll finds the new task's container for the
// admin API and deploys through it.
func TestSwarmGatewayTaskRestarted(t *testing.T) {
	t.Parallel()
	p := upSwarmApp(t, projectSpec{SessionIdle: "1s"})
	gateway := p.containers("gateway")[0]
	dead := taskContainer(t, gateway)
	docker(t, "kill", dead)
	waitServing(t, p, "v1")
	if now := taskContainer(t, gateway); now == dead {
		t.Fatalf("the gateway serves from the killed container %s", dead)
	}
	if names, _ := p.status().active("app"); len(names) != 1 {
		t.Errorf("after the restart the gateway routes to %v, want the app's one service (from its state file)", names)
	}
	p.must("deploy", "app", "--image", "roll-example-goapp:v2")
	waitServing(t, p, "v2")
	p.convergedTo("roll-example-goapp:v2", 1)
}

// TestSwarmRefusesWhatItCannotHonour: a compose key that a Swarm service cannot honour stops
// roll up before anything is created, exit 3, naming the file, the line and the key. On a
// project that runs, the same key stops roll deploy the same way, and only commands that
// create: roll status shows the project and roll down removes it.
func TestSwarmRefusesWhatItCannotHonour(t *testing.T) {
	t.Parallel()
	requireSwarm(t)
	images(t, "gateway", "goapp")
	const privileged = "    privileged: true\n"
	refused := func(res result) bool {
		return res.Code == 3 && strings.Contains(res.Stderr, "compose.yaml:") && strings.Contains(res.Stderr, "services.app.privileged: is not supported on Swarm")
	}
	fresh := newProject(t, projectSpec{Swarm: true, AppImage: "roll-example-goapp:v1", Extra: privileged})
	if res := fresh.roll("up"); !refused(res) {
		t.Errorf("roll up: exit %d, stderr %q; want 3 naming compose.yaml, the line and services.app.privileged", res.Code, res.Stderr)
	}
	if s := fresh.services(""); len(s) > 0 {
		t.Errorf("a refused project got services %v", s)
	}

	p := upSwarmApp(t, projectSpec{})
	before := p.services("")
	compose := mustRead(t, p.Dir+"/compose.yaml")
	p.write("compose.yaml", strings.Replace(compose, "    x-roll:\n      protocol:", privileged+"    x-roll:\n      protocol:", 1))
	if res := p.roll("deploy", "app", "--image", "roll-example-goapp:v2"); !refused(res) {
		t.Errorf("roll deploy: exit %d, stderr %q; want 3 naming compose.yaml, the line and services.app.privileged", res.Code, res.Stderr)
	}
	if now := p.services(""); !slices.Equal(now, before) {
		t.Errorf("the refused deploy changed the services from %v to %v", before, now)
	}
	if names, _ := p.status().active("app"); len(names) != 1 { // status --json runs on the refused file
		t.Errorf("roll status: active %v, want the app's one service", names)
	}
	waitServing(t, p, "v1")
	p.must("down", "--volumes")
	if left := p.services(""); len(left) > 0 {
		t.Errorf("roll down left services %v", left)
	}
}
