package e2e

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/examples/answer"
)

// failRateBody is what goapp answers a request FAIL_RATE fails.
const failRateBody = "FAIL_RATE"

// deployResult reads the result of `roll deploy --json` output, with its canary figures.
type deployResult struct {
	Outcome string `json:"outcome"`
	Error   string `json:"error"`
	Canary  *struct {
		Verdict string `json:"verdict"`
		Reason  string `json:"reason"`
		Left    string `json:"left"`
		New     struct {
			Requests, Failed uint64
		} `json:"new"`
		Old struct {
			Requests, Failed uint64
		} `json:"old"`
	} `json:"canary"`
}

// resultOf reads the result of `roll deploy --json` from out, which holds its stderr too
// (the last line of a failed deploy).
func resultOf(t *testing.T, out string) deployResult {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		var ev struct {
			Result *deployResult `json:"result"`
		}
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &ev) == nil && ev.Result != nil {
			return *ev.Result
		}
	}
	t.Fatalf("the deploy printed no result:\n%s", out)
	return deployResult{}
}

// TestGoodCanaryPromotesUnderLoad: x-roll.canary gives v2 a quarter of the new visitors for
// its window; the gateway finds it as good as v1 and promotes; the normal switch, drain and
// stop follow, and no request fails.
func TestGoodCanaryPromotesUnderLoad(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{Canary: "{share: 25%, window: 8s, min_requests: 50}"})
	l := startLoad(t, p.url("/"), 100, 6)
	time.Sleep(time.Second)
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	dep.until(t, `"step":"canary"`, `"status":"progress"`)
	out, rep := endUnderLoad(t, dep, l)
	steps, _ := events(t, jsonLines(out))
	for _, want := range []string{"ready:done", "canary:done", "switch:done", "drain:done", "stop:done"} {
		if !contains(steps, want) {
			t.Errorf("deploy events lack %s: %v", want, steps)
		}
	}
	r := resultOf(t, out)
	if r.Outcome != "succeeded" || r.Canary == nil || r.Canary.Verdict != "promote" || r.Canary.New.Requests < 50 || r.Canary.New.Failed != 0 {
		t.Fatalf("result: %+v %+v", r, r.Canary)
	}
	t.Logf("canary: %s", r.Canary.Reason)
	if rep.Versions["v2"] == 0 || rep.Versions["v1"] == 0 {
		t.Errorf("versions served: %v", rep.Versions)
	}
	p.convergedTo("roll-example-goapp:v2", 1)
}

// stickyClicker is a user with a session who clicks every 300 ms and checks that it is never
// logged out: every answer comes from the same route, its session's hit count one higher.
// Only the canary (v2, FAIL_RATE) may fail one of its clicks.
type stickyClicker struct {
	u       *user
	version string
	route   string
	hits    int
	clicks  int
	failed  int // clicks the canary failed (FAIL_RATE)
	problem string
}

func (c *stickyClicker) click() {
	body, err := c.u.fetch(c.u.url)
	if err != nil {
		if c.version == "v2" && strings.Contains(err.Error(), failRateBody) {
			c.failed++
			return
		}
		c.problem = "error: " + err.Error()
		return
	}
	a := answer.Parse(body)
	c.clicks++
	switch {
	case c.route == "":
		c.version, c.route, c.hits = a.Version, a.Route, a.Hits
	case a.Route != c.route || a.Hits != c.hits+1:
		c.problem = "logged out: " + string(body)
	default:
		c.hits = a.Hits
	}
}

// TestBadCanaryAbortsAndLogsNobodyOut: v2 fails a fifth of its requests (FAIL_RATE=0.2);
// deployed with a 20 % canary under load with sticky users, it is aborted before its window
// ends; every failed request was one the canary answered; users keep their sessions (those
// of v1 on v1, those the canary issued on the canary until they go idle); roll exits 11 with
// `aborted` and the figures; v1 alone serves, and the new container is gone.
func TestBadCanaryAbortsAndLogsNobodyOut(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{SessionIdle: "3s"})
	p.respec(func(s *projectSpec) { s.Env = map[string]string{"FAIL_RATE": "0.2"} }) // the new release goes bad
	var clickers []*stickyClicker
	for range 4 {
		c := &stickyClicker{u: newUser(t, p.url("/"))}
		c.click()
		if c.version != "v1" {
			t.Fatalf("a user before the deploy: %+v", c)
		}
		clickers = append(clickers, c)
	}
	l := startLoad(t, p.url("/"), 100, 6)
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--canary", "20%", "--canary-window", "2m", "--json")
	dep.until(t, `"step":"canary"`, `"status":"progress"`)
	// New visitors during the canary: a fifth of them land on it and keep their session there.
	for i := 0; i < 60 && len(clickers) < 7; i++ {
		c := &stickyClicker{u: newUser(t, p.url("/"))}
		if c.click(); c.version == "v2" {
			clickers = append(clickers, c)
		}
	}
	if len(clickers) == 4 {
		t.Fatal("no new visitor reached the canary")
	}
	aborted := make(chan struct{})
	go func() {
		dep.until(t, `"step":"canary"`, `"status":"failed"`)
		close(aborted)
	}()
	var wg sync.WaitGroup
	for _, c := range clickers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			after := -1
			for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && c.problem == "" && after != 0; {
				select {
				case <-aborted:
					if after < 0 {
						after = 5 // a few clicks during the drain back, then the user goes idle
					}
				default:
				}
				c.click()
				if after > 0 {
					after--
				}
				time.Sleep(300 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	code, out := dep.wait(t)
	time.Sleep(time.Second)
	rep := l.report()
	t.Logf("load: %s", rep)
	if code != 11 {
		t.Fatalf("deploy exit %d, want 11 (aborted):\n%s", code, out)
	}
	canaryUsers := 0
	for _, c := range clickers {
		if c.problem != "" || c.clicks < 5 {
			t.Errorf("user on %s (%s): %d clicks, %d failed by the canary: %s", c.version, c.route, c.clicks, c.failed, c.problem)
		}
		if c.version == "v2" {
			canaryUsers++
		}
	}
	for _, f := range rep.Failures {
		if !strings.Contains(f, failRateBody) {
			t.Errorf("a request failed outside the canary: %s", f)
		}
	}
	r := resultOf(t, out)
	if r.Outcome != "aborted" || r.Canary == nil || r.Canary.Verdict != "abort" || !strings.Contains(r.Canary.Reason, "error share") ||
		r.Canary.New.Failed == 0 || r.Canary.Old.Failed != 0 {
		t.Fatalf("result: %+v %+v", r, r.Canary)
	}
	t.Logf("canary: %s, %s of its window left; %d users on the canary kept their sessions; load failures %d (all answered by the canary)",
		r.Canary.Reason, r.Canary.Left, canaryUsers, len(rep.Failures))
	if r.Canary.Left == "0s" || r.Canary.Left == "" {
		t.Errorf("the abort came only at the end of its window: %+v", r.Canary)
	}
	p.convergedTo("roll-example-goapp:v1", 1)
	if st := p.status(); len(st.Services) == 0 || len(st.Services[0].Deploys) == 0 || st.Services[0].Deploys[0].Outcome != "aborted" {
		t.Errorf("the gateway's history: %+v", st.Services)
	}
}

// TestCanaryDecidedByHand: roll status shows the running canary; roll abort ends one (exit
// 11 for the deploy, v1 serves), roll promote the next (the deploy goes on and succeeds).
func TestCanaryDecidedByHand(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{})
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--canary", "10%", "--canary-window", "10m", "--json")
	dep.until(t, `"step":"canary"`, `"status":"progress"`)
	var st struct {
		Services []struct {
			Canary *struct {
				Spec    struct{ Share float64 }
				Verdict string
				Left    string
			} `json:"canary"`
		} `json:"services"`
	}
	if out := p.must("status", "--json").Stdout; json.Unmarshal([]byte(out), &st) != nil || len(st.Services) == 0 || st.Services[0].Canary == nil ||
		st.Services[0].Canary.Spec.Share != 0.1 || st.Services[0].Canary.Verdict != "pending" || st.Services[0].Canary.Left == "" {
		t.Errorf("roll status --json during the canary:\n%s", out)
	}
	if human := p.must("status").Stdout; !strings.Contains(human, "canary: 10% of new sessions") {
		t.Errorf("roll status during the canary:\n%s", human)
	}
	if res := p.must("abort", "app", "--reason", "wrong build"); !strings.Contains(res.Stdout, "aborted:") {
		t.Errorf("roll abort: %s", res.Stdout)
	}
	if code, out := dep.wait(t); code != 11 || !strings.Contains(out, "wrong build") {
		t.Fatalf("deploy after roll abort: exit %d\n%s", code, lastLines(out, 5))
	}
	p.convergedTo("roll-example-goapp:v1", 1)
	if res := p.roll("promote", "app"); res.Code == 0 || !strings.Contains(res.Stderr+res.Stdout, "runs no canary") {
		t.Errorf("roll promote with no canary: exit %d %s %s", res.Code, res.Stdout, res.Stderr)
	}

	dep = p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--canary", "10%", "--canary-window", "10m", "--json")
	dep.until(t, `"step":"canary"`, `"status":"progress"`)
	if res := p.must("promote", "app", "--json"); !strings.Contains(res.Stdout, `"verdict": "promote"`) {
		t.Errorf("roll promote --json: %s", res.Stdout)
	}
	if code, out := dep.wait(t); code != 0 || resultOf(t, out).Outcome != "succeeded" {
		t.Fatalf("deploy after roll promote: exit %d\n%s", code, lastLines(out, 5))
	}
	p.convergedTo("roll-example-goapp:v2", 1)
}

// TestGatewayRestartDuringTheCanary: a gateway killed during a canary comes back with the
// old version serving everyone; the deploy, whose stream broke before a switch, removes the
// new container; nothing is left over.
func TestGatewayRestartDuringTheCanary(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{})
	gw := p.containers("gateway")[0]
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--canary", "50%", "--canary-window", "10m", "--json")
	dep.until(t, `"step":"canary"`, `"status":"progress"`)
	docker(t, "kill", "-s", "KILL", gw)
	docker(t, "start", gw)
	code, out := dep.wait(t)
	if code == 0 || code == 11 {
		t.Fatalf("deploy across a gateway restart during its canary: exit %d\n%s", code, lastLines(out, 8))
	}
	waitServing(t, p, "v1")
	for range 20 { // every new visitor: the canary is gone
		if v, _, _, err := newUser(t, p.url("/")).visit(); err != nil || v != "v1" {
			t.Fatalf("after the restart a new visitor got %s, %v", v, err)
		}
	}
	p.convergedTo("roll-example-goapp:v1", 1)
	if st := p.status(); len(st.Services) == 0 || len(st.Services[0].Deploys) == 0 || st.Services[0].Deploys[0].Outcome != "aborted" {
		t.Errorf("the restarted gateway's history: %+v", st.Services)
	}
	t.Logf("deploy: exit %d: %s", code, lastLines(out, 1))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
