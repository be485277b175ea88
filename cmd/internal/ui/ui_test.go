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

func TestJSONEventsKeepEveryProbe(t *testing.T) {
	var buf bytes.Buffer
	j := NewJSONEvents(&buf)
	for range 7 {
		j.Event(deploy.Event{Step: deploy.StepReady, Status: deploy.StatusProgress, Message: "connection refused"})
	}
	if n := strings.Count(buf.String(), `"message":"connection refused"`); n != 7 {
		t.Fatalf("--json must carry every progress event with its error: got %d of 7:\n%s", n, buf.String())
	}
}
