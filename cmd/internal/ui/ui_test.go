package ui

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/deploy"
)

func TestTableAlignsColumnsWithoutColourOnAPipe(t *testing.T) {
	var buf bytes.Buffer
	term := NewTerm(&buf, false)
	if term.Color || term.TTY {
		t.Fatalf("a bytes.Buffer is not a terminal: got color=%v tty=%v", term.Color, term.TTY)
	}
	tb := NewTable("NAME", "STATE")
	tb.Row(Plain("app-1"), Cell{Text: "active", Paint: term.Green})
	tb.Row(Plain("app-10"), Plain("draining"))
	tb.Write(term)
	want := "NAME    STATE\napp-1   active\napp-10  draining\n"
	if buf.String() != want {
		t.Fatalf("table:\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestNoColorEnvTurnsColourOff(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	term := NewTerm(&bytes.Buffer{}, false)
	if got := term.Red("x"); got != "x" {
		t.Fatalf("Red with NO_COLOR = %q, want plain", got)
	}
}

func TestStepLinesShowsStepsProgressAndFailureLogs(t *testing.T) {
	var buf bytes.Buffer
	s := NewStepLines(NewTerm(&buf, true))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Event(deploy.Event{Time: t0, Step: deploy.StepCreate, Status: deploy.StatusStart})
	s.Event(deploy.Event{Time: t0, Step: deploy.StepCreate, Status: deploy.StatusDone, Elapsed: 1500 * time.Millisecond, Message: "p-app-2 from app:v2"})
	s.Event(deploy.Event{Time: t0.Add(time.Second), Step: deploy.StepDrain, Status: deploy.StatusProgress,
		Counts: []deploy.Counts{{Backend: "p-app-1", InFlight: 3, Sessions: 7}}})
	// A second progress line within the interval is not printed off a terminal.
	s.Event(deploy.Event{Time: t0.Add(2 * time.Second), Step: deploy.StepDrain, Status: deploy.StatusProgress,
		Counts: []deploy.Counts{{Backend: "p-app-1", InFlight: 1, Sessions: 7}}})
	s.Event(deploy.Event{Time: t0, Step: deploy.StepReady, Status: deploy.StatusFailed, Message: "health 503", Logs: []string{"boom"}})
	s.Event(deploy.Event{Step: deploy.StepDone, Status: deploy.StatusFailed, Result: &deploy.Result{
		Outcome: deploy.OutcomeRolledBack, Service: "app", FailedStep: deploy.StepReady, Error: "not ready", Old: []string{"p-app-1"}}})
	out := buf.String()
	for _, want := range []string{
		"✓ create      1.5s  p-app-2 from app:v2",
		"p-app-1: 3 in flight, 7 sessions",
		"✗ ready",
		"│ boom",
		"rolled-back: app at step ready: not ready",
		"safe: p-app-1 still serves",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "1 in flight") {
		t.Errorf("off a terminal, progress within 5s must not repeat:\n%s", out)
	}
}

func TestJSONEventsOneObjectPerLine(t *testing.T) {
	var buf bytes.Buffer
	j := NewJSONEvents(&buf)
	j.Event(deploy.Event{Step: deploy.StepSwitch, Status: deploy.StatusDone, Service: "app", Elapsed: 42 * time.Millisecond})
	j.Event(deploy.Event{Step: deploy.StepDone, Status: deploy.StatusDone, Result: &deploy.Result{Outcome: deploy.OutcomeSucceeded,
		Durations: deploy.Durations{Total: 3 * time.Second}}})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %d: %q", len(lines), buf.String())
	}
	var first struct {
		Step      string `json:"step"`
		ElapsedMS int64  `json:"elapsed_ms"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.Step != "switch" || first.ElapsedMS != 42 {
		t.Fatalf("first line %s: %+v %v", lines[0], first, err)
	}
	var last struct {
		Result struct {
			Outcome   string           `json:"outcome"`
			Durations map[string]int64 `json:"durations"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &last); err != nil || last.Result.Outcome != "succeeded" || last.Result.Durations["total_ms"] != 3000 {
		t.Fatalf("last line %s: %+v %v", lines[1], last, err)
	}
}
