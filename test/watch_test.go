package e2e

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestWatchFlipsBackAReleaseThatGoesBad deploys, under load, a v2 that passes its readiness
// (then gets 20 warm-up requests over AJP) and the switch, and then answers half of its page
// requests 500 (goapp FAIL_RATE=50%, FAIL_AFTER=4s): the post-switch watch flips back to v1
// while its container is still warm, the deploy exits 6 with the reason, the figures and v2's
// logs, v2 drains and is removed, and the users whose sessions are on v1 never see a failure
// nor lose their session.
func TestWatchFlipsBackAReleaseThatGoesBad(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{Watch: "{window: 5m, max_error_rate: 10%, min_requests: 50}", Warmup: "{path: /, requests: 20}"})
	users := startActiveUsers(t, p, 3) // sessions on v1, clicking every 200 ms
	l := startLoad(t, p.url("/"), 150, 6)
	time.Sleep(time.Second) // load on v1 before the deploy
	p.respec(func(s *projectSpec) { s.Env = map[string]string{"FAIL_RATE": "50%", "FAIL_AFTER": "4s"} })
	start := time.Now()
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-goapp:v2", "--watch", "2m", "--json")
	code, out := dep.wait(t)
	took := time.Since(start)
	time.Sleep(time.Second) // the load on v1 after the deploy
	rep := l.report()
	users.end()
	t.Logf("deploy: exit %d after %s; load: %s", code, took.Round(100*time.Millisecond), rep)
	users.check(t)

	if code != 6 {
		t.Fatalf("deploy exit %d, want 6 (rolled back, old still serving):\n%s", code, out)
	}
	steps, result := events(t, jsonLines(out))
	for _, want := range []string{"warmup:done", "ready:done", "switch:done", "watch:failed", "switch:failed", "rollback:done", "done:failed"} {
		if !contains(steps, want) {
			t.Errorf("deploy events lack %s: %v", want, steps)
		}
	}
	if result["outcome"] != "reverted" {
		t.Errorf("result outcome %v, want reverted", result["outcome"])
	}
	if wu, _ := result["warmup"].(map[string]any); wu["requests"] != 20.0 || wu["failed"] != 0.0 {
		t.Errorf("result warmup %v: want 20 warm-up requests over AJP, none failed", wu)
	}
	w, _ := result["watch"].(map[string]any)
	spec, _ := w["spec"].(map[string]any)
	if w["verdict"] != "flipped" || w["requests"].(float64) < 50 || w["error_rate"].(float64) <= 0.1 || spec["window"] != "2m0s" ||
		!strings.Contains(w["reason"].(string), "above the watch's max_error_rate 10.0%") {
		t.Errorf("result watch %v: want flipped with at least 50 requests above 10%% (window 2m from --watch)", w)
	}
	if !strings.Contains(result["error"].(string), "the gateway switched back to the old one: the post-switch watch flipped back: the new backends failed") {
		t.Errorf("result error %q", result["error"])
	}
	if !logsShown(t, out, `"fail_rate":0.5`) {
		t.Errorf("the deploy did not show v2's log lines (its start line has \"fail_rate\":0.5):\n%s", out)
	}
	// Every failed request is one of v2's own 500s, before the flip: none from the gateway.
	for _, f := range rep.Failures {
		if !strings.Contains(f, "HTTP 500") || !strings.Contains(f, "failing: FAIL_RATE is set") {
			t.Errorf("a request failed otherwise than by the bad release's own 500: %s", f)
		}
	}
	if rep.Versions["v1"] == 0 || rep.Versions["v2"] == 0 || !rep.OldAfterNew {
		t.Errorf("versions %v in order %v: want v1, then v2, then v1 again", rep.Versions, rep.Order)
	}
	p.convergedTo("roll-example-goapp:v1", 1)
	if _, _, body := fetch(t, p.url("/"), ""); !strings.Contains(body, "version=v1") {
		t.Errorf("after the deploy a new visitor got %q, want v1", body)
	}
}

// jsonLines keeps the JSON events of output that has roll's stderr mixed in.
func jsonLines(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "{") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// logsShown reports whether a failed event of deploy --json output carries a log line with want.
func logsShown(t *testing.T, out, want string) bool {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev struct {
			Status string   `json:"status"`
			Logs   []string `json:"logs"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Status != "failed" {
			continue
		}
		for _, l := range ev.Logs {
			if strings.Contains(l, want) {
				return true
			}
		}
	}
	return false
}
