package e2e

import (
	"strings"
	"testing"
	"time"
)

const threeReplicas = "    deploy:\n      replicas: 3\n"

// TestThreeReplicasDeployUnderLoad: a rolled service with replicas 3 on plain compose runs
// three containers; a deploy starts three new ones, proves every one ready, switches all at
// once, keeps a sticky user on its container until idle, and leaves three of the new image.
func TestThreeReplicasDeployUnderLoad(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{Extra: threeReplicas, SessionIdle: "3s"})
	p.convergedTo("roll-example-goapp:v1", 3)
	u := newUser(t, p.url("/"))
	_, route, hits, err := u.visit()
	if err != nil {
		t.Fatal(err)
	}
	l := startLoad(t, p.url("/"), 200, 8)
	time.Sleep(time.Second)
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	clickThroughTheSwitch(t, u, dep, route, hits)
	out, rep := endUnderLoad(t, dep, l) // the user went idle: the drain ends by itself
	if rep.OldAfterNew {
		t.Error("new visitors reached v1 after v2 answered: the three did not switch at once")
	}
	if n := strings.Count(out, `"step":"start","status":"done"`); n != 3 {
		t.Errorf("%d containers started, want 3:\n%s", n, out)
	}
	p.convergedTo("roll-example-goapp:v2", 3)
}

func TestThreeReplicasOfABrokenReleaseRollBack(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{Extra: threeReplicas, ReadyTime: "6s"})
	l := startLoad(t, p.url("/"), 100, 4)
	res := p.roll("deploy", "app", "--image", "roll-example-goapp:broken")
	rep := l.report()
	if res.Code != 6 {
		t.Errorf("exit %d, want 6 (not ready)\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if len(rep.Failures) > 0 || rep.Versions["v1"] == 0 || len(rep.Versions) != 1 {
		t.Errorf("load: %s; want v1 only, no failure", rep)
	}
	p.convergedTo("roll-example-goapp:v1", 3)
}
