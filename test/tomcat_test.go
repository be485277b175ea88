package e2e

import (
	"strings"
	"testing"
	"time"
)

// The same deploy scenarios against a real Tomcat 10.1 image (assembled from Debian's
// tomcat10 and a jlinked JRE by scripts/build-tomcat-image.sh): AJP with a secret,
// jvmRoute per container, sessions in the container's memory.

func upTomcat(t *testing.T, spec projectSpec) *project {
	t.Helper()
	images(t, "gateway", "tomcat")
	spec.AppImage = "roll-example-tomcat:v1"
	spec.HealthPath = "/health.jsp"
	if spec.ReadyTime == "" {
		spec.ReadyTime = "90s"
	}
	p := newProject(t, spec)
	p.must("up")
	waitServing(t, p, "v1")
	return p
}

func TestTomcatDeployUnderLoadKeepsSessions(t *testing.T) {
	t.Parallel()
	p := upTomcat(t, projectSpec{SessionIdle: "4s"})
	u := newUser(t, p.url("/"))
	_, route, hits, err := u.visit()
	if err != nil || hits != 1 || route == "" {
		t.Fatalf("first visit: route=%q hits=%d err=%v", route, hits, err)
	}
	l := startLoad(t, p.url("/"), 150, 8)
	done := make(chan result, 1)
	go func() { done <- p.roll("deploy", "app", "--image", "roll-example-tomcat:v2", "--json") }()

	// The user keeps clicking through readiness and the switch: same Tomcat, same session.
	deadline := time.Now().Add(120 * time.Second)
	for {
		v, r, h, err := u.visit()
		if err != nil {
			t.Fatalf("session user: %v", err)
		}
		if v != "v1" || r != route || h != hits+1 {
			t.Fatalf("session user moved: %s route=%s hits=%d, want v1 route=%s hits=%d", v, r, h, route, hits+1)
		}
		hits = h
		if fresh, _, _, err := newUser(t, p.url("/")).visit(); err == nil && fresh == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("new visitors never reached v2")
		}
		time.Sleep(300 * time.Millisecond)
	}
	res := <-done
	rep := l.report()
	t.Logf("load: %s", rep)
	if res.Code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed requests, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	if rep.Versions["v1"] == 0 || rep.Versions["v2"] == 0 {
		t.Errorf("versions %v, want both", rep.Versions)
	}
	_, result := events(t, res.Stdout)
	t.Logf("tomcat deploy durations: %v", result["durations"])
	if got := p.containers("app"); len(got) != 1 {
		t.Errorf("containers after deploy: %v", got)
	}
}

func TestTomcatWhoseWebappFailsIsRolledBack(t *testing.T) {
	t.Parallel()
	p := upTomcat(t, projectSpec{ReadyTime: "25s"})
	l := startLoad(t, p.url("/"), 100, 4)
	res := p.roll("deploy", "app", "--image", "roll-example-tomcat:broken")
	rep := l.report()
	t.Logf("load: %s", rep)
	if res.Code != 6 {
		t.Fatalf("exit %d, want 6\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	// CPong answers while the webapp is not deployed: only the real request caught it.
	if !strings.Contains(res.Stdout, "404") {
		t.Errorf("the failure should show the health page's 404:\n%s", res.Stdout)
	}
	if len(rep.Failures) > 0 || rep.Versions["v1"] == 0 || len(rep.Versions) != 1 {
		t.Errorf("load during the failed deploy: %s; want only v1 and no failure", rep)
	}
	if got := p.containers("app"); len(got) != 1 {
		t.Errorf("containers after the failed deploy: %v, want only the old", got)
	}
}

func TestTomcatReadinessWaitsForTheWebappNotThePort(t *testing.T) {
	t.Parallel()
	// A Tomcat whose webapp takes seconds to deploy: the AJP port is bound early, CPing may
	// even answer, but the switch must wait for health.jsp.
	p := upTomcat(t, projectSpec{Env: map[string]string{"STARTUP_DELAY_MS": "4000"}})
	l := startLoad(t, p.url("/"), 100, 4)
	res := p.roll("deploy", "app", "--image", "roll-example-tomcat:v2", "--json")
	rep := l.report()
	if res.Code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed requests while Tomcat deployed its webapp, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	_, result := events(t, res.Stdout)
	d, _ := result["durations"].(map[string]any)
	if ready, _ := d["ready_ms"].(float64); ready < 3000 {
		t.Errorf("ready after %v ms: the gateway switched before the 4 s webapp start-up ended", ready)
	}
}
