package commands

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/cmd/internal/ui"
	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/deploy"
)

func statusOf(containers ...deploy.Container) statusDoc {
	rep := deploy.ServiceReport{Service: "app", Rolled: true}
	for _, c := range containers {
		rep.Containers = append(rep.Containers, deploy.ContainerReport{Container: c,
			Backend: &admin.BackendStatus{BackendSpec: admin.BackendSpec{Name: c.Name, Activation: admin.Active}, Healthy: true}})
	}
	return statusDoc{Project: "shop", Services: []deploy.ServiceReport{rep}}
}

// TestStatusShowsTheNodeOfSwarmTasks: on Swarm each container is a task on some node, and
// the table says which; on plain Docker there is no node and no such column.
func TestStatusShowsTheNodeOfSwarmTasks(t *testing.T) {
	var buf bytes.Buffer
	printStatus(ui.NewTerm(&buf, true), statusOf(
		deploy.Container{Name: "shop-app-1", Image: "shop:41", State: "running", Node: "node-a"},
		deploy.Container{Name: "shop-app-2", Image: "shop:41", State: "running", Node: "node-b"}))
	out := buf.String()
	start := strings.LastIndex(out[:strings.Index(out, "CONTAINER")], "\n") + 1
	header, rows, _ := strings.Cut(out[start:], "\n")
	if !strings.Contains(header, "HEALTH") || !strings.Contains(header, "NODE") {
		t.Fatalf("header %q lacks NODE:\n%s", header, out)
	}
	col := strings.Index(header, "NODE")
	for _, node := range []string{"node-a", "node-b"} {
		i := strings.Index(rows, node)
		if i < 0 {
			t.Fatalf("status lacks node %s:\n%s", node, out)
		}
		line := rows[strings.LastIndex(rows[:i], "\n")+1:]
		if got := strings.Index(line, node); got != col {
			t.Errorf("node %s at column %d, want under NODE at %d:\n%s", node, got, col, out)
		}
	}

	buf.Reset()
	printStatus(ui.NewTerm(&buf, true), statusOf(deploy.Container{Name: "shop-app-1", Image: "shop:41", State: "running"}))
	if strings.Contains(buf.String(), "NODE") {
		t.Errorf("plain Docker containers got a NODE column:\n%s", buf.String())
	}
}

// TestStatusShowsThePauseAndMaintenance: roll status says that a service is paused (until
// when, how many wait) or in maintenance (with its message), and how the last pause ended.
func TestStatusShowsThePauseAndMaintenance(t *testing.T) {
	now := time.Now()
	doc := statusOf(deploy.Container{Name: "shop-app-1", Image: "shop:41", State: "running"})
	doc.Services[0].Pause = &admin.PauseStatus{Since: now, Until: now.Add(30 * time.Second), MaxHeld: 1000, Held: 3}
	var buf bytes.Buffer
	printStatus(ui.NewTerm(&buf, true), doc)
	if out := buf.String(); !strings.Contains(out, "paused: since") || !strings.Contains(out, "3 held (at most 1000)") {
		t.Errorf("status of a paused service:\n%s", out)
	}
	doc.Services[0].Pause = &admin.PauseStatus{Since: now, Until: now.Add(30 * time.Second), MaxHeld: 1000, Released: 7,
		Ended: now.Add(30 * time.Second), EndedBy: admin.PauseEndedByMax}
	doc.Services[0].Maintenance = &admin.MaintenanceStatus{MaintenanceSpec: admin.MaintenanceSpec{Message: "back at 14:00", RetryAfter: admin.Duration(time.Minute)},
		Since: now, Answered: 12}
	buf.Reset()
	printStatus(ui.NewTerm(&buf, true), doc)
	out := buf.String()
	for _, want := range []string{"maintenance: since", "12 requests answered 503 (Retry-After 60s)", `"back at 14:00"`,
		"last pause: paused", "its max passed and the gateway resumed by itself", "7 held requests released"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

// TestStatusShowsTheCanary: roll status shows a running canary's share, time left, both
// sides' figures and the verdict so far, in the human output and in --json.
func TestStatusShowsTheCanary(t *testing.T) {
	doc := statusOf(deploy.Container{Name: "shop-app-1", Image: "shop:41", State: "running"})
	doc.Services[0].Canary = &admin.CanaryStatus{Spec: admin.CanarySpec{Share: 0.1}, Left: admin.Duration(75 * time.Second),
		New:     admin.CanaryFigures{Requests: 40, Failed: 2, ErrorRate: 0.05, P95: admin.Duration(12 * time.Millisecond)},
		Old:     admin.CanaryFigures{Requests: 360, P95: admin.Duration(10 * time.Millisecond)},
		Verdict: admin.CanaryPending, Reason: "40 of 100 requests needed so far"}
	doc.Services[0].Rollout = &admin.RolloutEvent{Step: admin.StepCanary}
	var buf bytes.Buffer
	printStatus(ui.NewTerm(&buf, true), doc)
	out := buf.String()
	for _, want := range []string{"canary: 10% of new sessions, 1m15s left", "new 40 req, 5.0% failed, p95 12ms", "old 360 req, 0.0% failed, p95 10ms",
		"40 of 100 requests needed so far", "(pending)"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	b, err := json.Marshal(doc)
	if err != nil || !strings.Contains(string(b), `"canary":{"spec":{"share":0.1`) || !strings.Contains(string(b), `"verdict":"pending"`) {
		t.Errorf("status --json: %s, %v", b, err)
	}
}

// TestStatusShowsEachBackendsFailuresAndP95: beside its requests, the table shows each
// backend's 5xx answers, the requests it failed to answer and its p95 over the last minute,
// each under its own column ("-" for a backend that answered nothing in that minute).
func TestStatusShowsEachBackendsFailuresAndP95(t *testing.T) {
	doc := statusOf(deploy.Container{Name: "shop-app-1", Image: "shop:41", State: "running"},
		deploy.Container{Name: "shop-app-2", Image: "shop:42", State: "running"})
	b := doc.Services[0].Containers[0].Backend
	b.Requests, b.Errors, b.P95Seconds = 1200, 3, 0.0234
	b.Responses = admin.StatusClasses{Success: 1180, ClientError: 3, ServerError: 17}
	var buf bytes.Buffer
	printStatus(ui.NewTerm(&buf, true), doc)
	out := buf.String()
	start := strings.LastIndex(out[:strings.Index(out, "CONTAINER")], "\n") + 1
	header, rows, _ := strings.Cut(out[start:], "\n")
	lines := strings.Split(rows, "\n")
	for col, want := range map[string][2]string{"REQUESTS": {"1200", "0"}, "5XX": {"17", "0"}, "ERRORS": {"3", "0"}, "P95 (1M)": {"23.4ms", "-"}} {
		at := strings.Index(header, col)
		if at < 0 {
			t.Fatalf("header %q lacks %s:\n%s", header, col, out)
		}
		for i, w := range want {
			if len(lines[i]) < at+len(w) || lines[i][at:at+len(w)] != w {
				t.Errorf("row %d under %s: want %q:\n%s", i+1, col, w, out)
			}
		}
	}
}
