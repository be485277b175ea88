package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// gateJSON is the part of `roll pause|resume|maintenance --json` the test reads.
type gateJSON struct {
	Changed bool `json:"changed"`
	Pause   *struct {
		Held     int    `json:"held"`
		Released uint64 `json:"released"`
		Gone     uint64 `json:"gone"`
		Refused  uint64 `json:"refused"`
		EndedBy  string `json:"ended_by"`
	} `json:"pause"`
	Maintenance *struct {
		Answered uint64 `json:"answered"`
	} `json:"maintenance"`
}

func (p *project) gate(args ...string) gateJSON {
	p.t.Helper()
	res := p.must(append(args, "--json")...)
	var doc gateJSON
	if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil {
		p.t.Fatalf("roll %v --json is not JSON: %v\n%s", args, err, res.Stdout)
	}
	return doc
}

// fetch GETs url with an Accept header and returns status, Retry-After and body.
func fetch(t *testing.T, url, accept string) (int, string, string) {
	t.Helper()
	code, retry, body, err := tryFetch(url, accept)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return code, retry, body
}

func tryFetch(url, accept string) (int, string, string, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(b), err
}

// TestPauseMaintenanceAndHooks runs issue 11's pause, maintenance and hooks against the real
// engine, on one project: a 10 s "migration" under a pause loses no request; maintenance
// answers 503 with the escaped message, lets the health path through, survives a gateway
// restart and lifts; a failing pre_switch hook leaves the old version serving; a passing one
// and a post_deploy hook run, and the deploy says so.
func TestPauseMaintenanceAndHooks(t *testing.T) {
	t.Parallel()
	p := upGoApp(t, projectSpec{DrainMode: "requests"})

	// Pause through a 10 s migration under load: every request waits, none fails.
	l := startLoadFor(t, p.url("/"), 60, 30, 40*time.Second)
	time.Sleep(time.Second)
	paused := p.gate("pause", "app", "--max", "30s")
	if !paused.Changed || paused.Pause == nil {
		t.Fatalf("roll pause: %+v", paused)
	}
	time.Sleep(10 * time.Second) // the migration
	var held int
	for _, s := range p.status().Services {
		if s.Service == "app" && s.Pause != nil {
			held = s.Pause.Held
		}
	}
	resumed := p.gate("resume", "app")
	time.Sleep(time.Second)
	rep := l.report()
	t.Logf("pause: %d requests held after 10 s, resume released %d (gone %d, refused %d); load: %s",
		held, resumed.Pause.Released, resumed.Pause.Gone, resumed.Pause.Refused, rep)
	if held == 0 || resumed.Pause.Released < uint64(held) || resumed.Pause.EndedBy != "resume" {
		t.Errorf("held %d, resume %+v: want requests held and all released by the resume", held, *resumed.Pause)
	}
	if len(rep.Failures) > 0 {
		t.Errorf("%d requests failed during the pause, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	if again := p.must("resume", "app"); !strings.Contains(again.Stdout, "app was not paused") {
		t.Errorf("a second resume: %q", again.Stdout)
	}

	// Maintenance: a 503 page with the message escaped; the health path passes; it survives a
	// restart of the gateway; off lets everything through again.
	p.must("maintenance", "app", "on", "--message", "Upgrading <b>the database</b>", "--retry-after", "30")
	code, retry, body := fetch(t, p.url("/shop"), "text/html")
	if code != 503 || retry != "30" || !strings.Contains(body, "Upgrading &lt;b&gt;the database&lt;/b&gt;") || strings.Contains(body, "<b>") {
		t.Errorf("in maintenance: %d Retry-After %q:\n%s", code, retry, body)
	}
	if code, _, body := fetch(t, p.url("/health"), ""); code != 200 {
		t.Errorf("the health path in maintenance: %d %q", code, body)
	}
	docker(t, "restart", "-t", "5", p.containers("gateway")[0])
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, body, err := tryFetch(p.url("/"), "") // refused while the gateway starts
		if err == nil && code == 503 && strings.Contains(body, "Upgrading <b>the database</b>") {
			break
		}
		if err == nil && code != 503 {
			t.Fatalf("after a gateway restart: %d %q, want the maintenance answer", code, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a gateway restart: %d %q %v, want the maintenance answer in plain text", code, body, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st := p.must("status"); !strings.Contains(st.Stdout, "maintenance: since") {
		t.Errorf("roll status does not show the maintenance:\n%s", st.Stdout)
	}
	off := p.gate("maintenance", "app", "off")
	if !off.Changed || off.Maintenance == nil || off.Maintenance.Answered == 0 {
		t.Errorf("maintenance off: %+v", off)
	}
	waitServing(t, p, "v1")

	// A failing pre_switch hook: the new container goes, the old one serves, the output shows.
	// The hooks run goapp check, which an image built from an older tree lacks: the tags are
	// the engine's, shared with every checkout that runs these tests, so build them again now.
	images(t, "goapp")
	p.respec(func(s *projectSpec) { s.Hooks = `        pre_switch: [["/goapp", "check", "/nope"]]` })
	failed := p.roll("deploy", "app", "--image", "roll-example-goapp:v2")
	t.Logf("deploy with a failing pre_switch hook, exit %d:\n%s", failed.Code, failed.Stdout)
	if failed.Code != 6 || !strings.Contains(failed.Stdout, "pre_switch") || !strings.Contains(failed.Stdout, "GET /nope: 404 Not Found") {
		t.Fatalf("deploy with a failing pre_switch hook: exit %d, want 6 with the hook's output\n%s%s", failed.Code, failed.Stdout, failed.Stderr)
	}
	if names, images := p.status().active("app"); len(names) != 1 || images[0] != "roll-example-goapp:v1" {
		t.Errorf("after the failed hook the gateway has %v %v active, want the v1 container alone", names, images)
	}
	if cs := p.containers("app"); len(cs) != 1 {
		t.Errorf("app containers %v, want the old one alone", cs)
	}
	waitServing(t, p, "v1")

	// A passing pre_switch hook and a post_deploy hook on this machine ($$: compose
	// interpolates $ in the file; the hook's shell gets the deploy's variables).
	p.respec(func(s *projectSpec) {
		s.Hooks = `        pre_switch: [["/goapp", "check", "/health"]]
        post_deploy:
          - {run: local, command: ["sh", "-c", "echo \"$$ROLL_HOOK $$ROLL_IMAGE $$ROLL_PREVIOUS_IMAGE\" > post_deploy.txt"]}`
	})
	images(t, "goapp")
	res := p.must("deploy", "app", "--image", "roll-example-goapp:v2", "--json")
	steps, result := events(t, res.Stdout)
	for _, want := range []string{"pre_switch:done", "switch:done", "post_deploy:done"} {
		if !slices.Contains(steps, want) {
			t.Errorf("deploy steps %v lack %s", steps, want)
		}
	}
	if hooks, _ := result["hooks"].([]any); len(hooks) != 2 {
		t.Errorf("result hooks %v, want the two that ran", result["hooks"])
	}
	if b, err := os.ReadFile(filepath.Join(p.Dir, "post_deploy.txt")); err != nil || string(b) != "post_deploy roll-example-goapp:v2 roll-example-goapp:v1\n" {
		t.Errorf("the post_deploy hook wrote %q, %v", b, err)
	}
	waitServing(t, p, "v2")
}
