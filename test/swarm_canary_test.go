package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestSwarmCanaryAbortsABadReleaseAndPromotesAGoodOne: the canary on Swarm services. A release
// that fails a fifth of its pages gets a 20 % canary under load: the gateway aborts it, the
// deploy exits 11, the new service is removed and the only failed requests are the canary's
// own 500s (no gateway error, no lost connection). Then a good release's canary promotes: the
// deploy ends as usual on one service of the new image, with no failed request.
func TestSwarmCanaryAbortsABadReleaseAndPromotesAGoodOne(t *testing.T) {
	t.Parallel()
	p := upSwarmApp(t, projectSpec{SessionIdle: "3s", DrainTime: "30s"})
	p.respec(func(s *projectSpec) { s.Env = map[string]string{"FAIL_RATE": "0.2"} })
	l := startLoad(t, p.url("/"), 100, 6)
	res := p.roll("deploy", "app", "--image", "roll-example-goapp:v2", "--canary", "20%", "--canary-window", "1m", "--json")
	rep := l.report()
	t.Logf("bad canary, load: %s", rep)
	if res.Code != 11 {
		t.Fatalf("deploy of a bad release with a canary: exit %d, want 11 (aborted)\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	if _, result := events(t, res.Stdout); result["outcome"] != "aborted" {
		t.Errorf("result outcome = %v, want aborted", result["outcome"])
	}
	if len(rep.Failures) == 0 {
		t.Errorf("no request failed: the canary never got its share")
	}
	for _, f := range rep.Failures {
		if !strings.Contains(f, "HTTP 500") || !strings.Contains(f, "FAIL_RATE") {
			t.Errorf("a failure that is not the canary's own 500: %s", f)
		}
	}
	if rep.Versions["v1"] == 0 || rep.Versions["v1"] < 3*rep.Versions["v2"] {
		t.Errorf("versions %v: v1 should have served the bulk, the canary about a fifth until it was aborted", rep.Versions)
	}
	p.convergedTo("roll-example-goapp:v1", 1)

	p.respec(func(s *projectSpec) { s.Env = nil })
	l = startLoad(t, p.url("/"), 100, 6)
	time.Sleep(time.Second)
	res = p.roll("deploy", "app", "--image", "roll-example-goapp:v2", "--canary", "20%", "--canary-window", "5s", "--json")
	rep = l.report()
	t.Logf("good canary, load: %s", rep)
	if res.Code != 0 {
		t.Fatalf("deploy of a good release with a canary: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed requests through a good canary, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	p.convergedTo("roll-example-goapp:v2", 1)
}
