package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// stackCompose is the project's app as it ran before roll: deployed by `docker stack deploy`
// in Swarm's own way (two replicas behind a virtual IP), no gateway.
const stackCompose = `services:
  app:
    image: roll-example-goapp:v1
    environment:
      AJP_SECRET: %s
    deploy:
      replicas: 2
`

// deployStack runs `docker stack deploy` (this machine's docker CLI has it) for the
// project's app, as a stack named like the project, and waits until both tasks run. Its
// clean-up takes roll's part down first (the stack's network is the project's), then
// removes the stack and waits until its network is gone.
func deployStack(t *testing.T, p *project) {
	t.Helper()
	p.write("stack.yaml", fmt.Sprintf(stackCompose, p.Secret))
	cmd := exec.Command("docker", "stack", "deploy", "--resolve-image", "never", "-c", "stack.yaml", p.Name)
	cmd.Dir = p.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker stack deploy: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if res := p.roll("down", "--volumes"); res.Code != 0 {
			t.Logf("roll down: %s%s", res.Stdout, res.Stderr)
		}
		if out, err := exec.Command("docker", "stack", "rm", p.Name).CombinedOutput(); err != nil {
			t.Errorf("docker stack rm: %v\n%s", err, out)
		}
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
			if exec.Command("docker", "network", "inspect", p.Name+"_default").Run() != nil {
				return
			}
			_ = exec.Command("docker", "network", "rm", p.Name+"_default").Run()
			if time.Now().After(deadline) {
				t.Errorf("the stack's network %s_default is still there", p.Name)
				return
			}
		}
	})
	for deadline := time.Now().Add(time.Minute); stackReplicas(t, p) != "2/2"; time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the stack's app never ran its two tasks: %s", output(t, "docker", "service", "ps", "--no-trunc", p.Name+"_app"))
		}
	}
}

// stackReplicas is the stack's app service's running/wanted tasks, as docker service ls shows them.
func stackReplicas(t *testing.T, p *project) string {
	t.Helper()
	return strings.TrimSpace(output(t, "docker", "service", "ls", "--format", "{{.Replicas}}", "--filter", "name="+p.Name+"_app"))
}

// TestSwarmAdoptsAStack: a project that runs as a stack of `docker stack deploy` (services
// <stack>_app, two tasks behind a virtual IP, on the overlay <stack>_default). roll up starts
// roll's gateway on the stack's network and registers the stack's tasks, by address, as the
// serving release; status shows them. A release that never becomes ready leaves the stack
// serving. A deploy under load starts roll's services beside, switches with no failed
// request, keeps a sticky user on their stack task until idle, then scales the stack's
// service to none and keeps it. roll down removes what roll made and says what it leaves
// of the stack.
func TestSwarmAdoptsAStack(t *testing.T) {
	t.Parallel()
	requireSwarm(t)
	images(t, "gateway", "goapp")
	p := newProject(t, projectSpec{Swarm: true, AppImage: "roll-example-goapp:v1", SessionIdle: "3s",
		Extra: "    deploy:\n      replicas: 2\n"})
	deployStack(t, p)

	p.must("up")
	waitServing(t, p, "v1")
	if own := p.services("app"); len(own) > 0 {
		t.Errorf("roll up created app services %v beside the stack's", own)
	}
	stackTasks := map[string]bool{p.Name + "_app.1": true, p.Name + "_app.2": true}
	names, imgs := p.status().active("app")
	if len(names) != 2 || !stackTasks[names[0]] || !stackTasks[names[1]] || imgs[0] != "roll-example-goapp:v1" {
		t.Fatalf("after roll up the gateway routes to %v %v, want the stack's two tasks %v", names, imgs, stackTasks)
	}
	if human := p.must("status").Stdout; !strings.Contains(human, p.Name+"_app.1") {
		t.Errorf("roll status does not show the stack's tasks:\n%s", human)
	}

	l := startLoad(t, p.url("/"), 200, 8)
	broken := p.roll("deploy", "app", "--image", "roll-example-goapp:broken", "--ready-timeout", "6s")
	if broken.Code != 6 || stackReplicas(t, p) != "2/2" || len(p.services("app")) > 0 {
		t.Errorf("a broken release: exit %d, stack %s, roll's app services %v; want 6, the stack's 2/2 serving, none of roll's\n%s%s",
			broken.Code, stackReplicas(t, p), p.services("app"), broken.Stdout, broken.Stderr)
	}

	u := newUser(t, p.url("/"))
	_, route, hits, err := u.visit()
	if err != nil {
		t.Fatal(err)
	}
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	clickThroughTheSwitch(t, u, dep, route, hits) // the route is the stack task's container id
	_, rep := endUnderLoad(t, dep, l)
	if rep.Versions["v1"] == 0 || rep.Versions["v2"] == 0 || rep.OldAfterNew {
		t.Errorf("versions seen %v (old after new: %v), want v1 then v2 at once", rep.Versions, rep.OldAfterNew)
	}
	p.convergedTo("roll-example-goapp:v2", 2)
	if got := stackReplicas(t, p); got != "0/0" {
		t.Errorf("after the deploy the stack's app runs %s tasks, want 0/0 (scaled to none, kept)", got)
	}
	if got := p.status().Services; len(got) == 0 {
		t.Error("roll status shows no service")
	}

	down := p.must("down", "--volumes")
	if !strings.Contains(down.Stdout, "docker stack rm "+p.Name) || !strings.Contains(down.Stdout, p.Name+"_app") {
		t.Errorf("roll down does not say what it leaves of the stack:\n%s", down.Stdout)
	}
	if left := p.services(""); len(left) > 0 {
		t.Errorf("roll down left roll's services %v", left)
	}
	if got := stackReplicas(t, p); got != "0/0" {
		t.Errorf("roll down changed the stack's app to %s, want it left as it was (0/0)", got)
	}
}
