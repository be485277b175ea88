package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rollcd/roll/pkg/deploy"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const refused = "dial tcp 172.18.0.3:8080: connect: connection refused"

// probes sends n failed readiness probes of app-web-3, one every 500 ms from t0, the last with lastErr.
func probes(s *StepLines, n int, lastErr string) {
	for i := range n {
		msg := refused
		if i == n-1 && lastErr != "" {
			msg = lastErr
		}
		at := time.Duration(i) * 500 * time.Millisecond
		s.Event(deploy.Event{Time: t0.Add(at), Step: deploy.StepReady, Status: deploy.StatusProgress,
			Service: "web", Container: "app-web-3", Elapsed: at + 200*time.Millisecond, Message: msg})
	}
}

// screen is what a terminal shows after out: on each line, what follows its last "\r\033[K".
func screen(out string) []string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		if j := strings.LastIndex(l, "\r\033[K"); j >= 0 {
			lines[i] = l[j+len("\r\033[K"):]
		}
	}
	return lines
}

func TestReadyProbesOnATerminalAreOneLineRewrittenInPlace(t *testing.T) {
	var buf bytes.Buffer
	s := NewStepLines(newTerm(&buf, true, false))
	s.Event(deploy.Event{Time: t0, Step: deploy.StepStart, Status: deploy.StatusDone, Service: "web", Elapsed: time.Second, Message: "app-web-3 running"})
	probes(s, 7, "")
	s.Event(deploy.Event{Time: t0.Add(4 * time.Second), Step: deploy.StepReady, Status: deploy.StatusDone, Service: "web",
		Container: "app-web-3", Elapsed: 4 * time.Second, Message: "app-web-3 passed the gateway's readiness checks"})
	out := buf.String()
	if n := strings.Count(out, "\r\033[K"); n < 7 {
		t.Errorf("7 probes should rewrite the live line 7 times, got %d rewrites:\n%q", n, out)
	}
	if !strings.Contains(out, "waiting for app-web-3: attempt 7") {
		t.Errorf("the live line should count the attempts:\n%q", out)
	}
	if strings.Contains(out, "connection refused") {
		t.Errorf("a probe error is no news while the step still waits:\n%q", out)
	}
	got := screen(out)
	if len(got) != 2 || !strings.Contains(got[0], "✓ start") || !strings.Contains(got[1], "✓ ready       4.0s  app-web-3 passed") {
		t.Errorf("the terminal should end with the start and ready lines only, got %q", got)
	}
}

func TestReadyProbesOffATerminalPrintNoLinePerProbe(t *testing.T) {
	var buf bytes.Buffer
	s := NewStepLines(newTerm(&buf, false, false))
	probes(s, 30, "") // 15 s of probes
	s.Event(deploy.Event{Time: t0.Add(15 * time.Second), Step: deploy.StepReady, Status: deploy.StatusDone, Service: "web",
		Container: "app-web-3", Elapsed: 15 * time.Second, Message: "app-web-3 passed the gateway's readiness checks"})
	out := buf.String()
	if strings.Contains(out, "\r") || strings.Contains(out, "connection refused") {
		t.Errorf("off a terminal: no rewrites and no probe errors while waiting:\n%s", out)
	}
	want := []string{
		"  … ready       0.2s  waiting for app-web-3 to pass the gateway's readiness checks",
		"  … ready        10s  still waiting for app-web-3: attempt 21",
		"  ✓ ready        15s  app-web-3 passed the gateway's readiness checks",
	}
	if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("30 probes over 15 s then ready:\n%s\nwant\n%s", out, strings.Join(want, "\n"))
	}
}

func TestFailedReadinessShowsTheLastProbeErrorOnce(t *testing.T) {
	const last = "GET /health answered 503"
	for _, tty := range []bool{true, false} {
		var buf bytes.Buffer
		s := NewStepLines(newTerm(&buf, tty, false))
		probes(s, 5, last)
		s.Event(deploy.Event{Time: t0.Add(30 * time.Second), Step: deploy.StepReady, Status: deploy.StatusFailed, Service: "web",
			Container: "app-web-3", Elapsed: 30 * time.Second, Message: "new container did not become ready: [app-web-3] did not pass the http check within 30s",
			Logs: []string{"starting"}})
		out := buf.String()
		if n := strings.Count(out, last); n != 1 {
			t.Errorf("tty=%v: the last probe error should show once, got %d times:\n%q", tty, n, out)
		}
		if strings.Contains(out, "connection refused") {
			t.Errorf("tty=%v: only the last probe error is shown:\n%q", tty, out)
		}
		got := screen(out)
		if len(got) < 3 || !strings.Contains(got[len(got)-3], "✗ ready") || got[len(got)-2] != "      last probe: "+last || got[len(got)-1] != "      │ starting" {
			t.Errorf("tty=%v: want the failure, its last probe, then the logs; got %q", tty, got)
		}
	}
}

func TestAFailureThatNamesTheLastProbeErrorDoesNotRepeatIt(t *testing.T) {
	var buf bytes.Buffer
	s := NewStepLines(newTerm(&buf, false, false))
	probes(s, 2, "")
	s.Event(deploy.Event{Time: t0.Add(time.Second), Step: deploy.StepReady, Status: deploy.StatusFailed, Service: "web",
		Container: "app-web-3", Message: "not ready: " + refused})
	if n := strings.Count(buf.String(), refused); n != 1 {
		t.Errorf("the error is in the failure line already; want it once, got %d:\n%s", n, buf.String())
	}
}

func TestDrainCountsOnATerminalUpdateOneLine(t *testing.T) {
	var buf bytes.Buffer
	s := NewStepLines(newTerm(&buf, true, false))
	for i := range 5 {
		s.Event(deploy.Event{Time: t0.Add(time.Duration(i) * time.Second), Step: deploy.StepDrain, Status: deploy.StatusProgress,
			Service: "web", Elapsed: time.Duration(i) * time.Second, Counts: []deploy.Counts{{Backend: "app-web-2", InFlight: int64(5 - i), Sessions: 3}}})
	}
	s.Event(deploy.Event{Time: t0.Add(5 * time.Second), Step: deploy.StepDrain, Status: deploy.StatusDone, Service: "web",
		Elapsed: 5 * time.Second, Message: "old backends idle and stopped in the gateway"})
	out := buf.String()
	if !strings.Contains(out, "app-web-2: 1 in flight, 3 sessions") {
		t.Errorf("the live line should show the latest counts:\n%q", out)
	}
	if got := screen(out); len(got) != 1 || !strings.Contains(got[0], "✓ drain") {
		t.Errorf("the drain done line should replace the live counts, got %q", got)
	}
}

func TestDrainCountsOffATerminalAtMostEveryTenSeconds(t *testing.T) {
	var buf bytes.Buffer
	s := NewStepLines(newTerm(&buf, false, false))
	for i := range 25 {
		s.Event(deploy.Event{Time: t0.Add(time.Duration(i) * time.Second), Step: deploy.StepDrain, Status: deploy.StatusProgress,
			Service: "web", Elapsed: time.Duration(i) * time.Second, Counts: []deploy.Counts{{Backend: "app-web-2", InFlight: int64(25 - i), Sessions: 1}}})
	}
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(got) != 3 || !strings.Contains(got[0], "25 in flight") || !strings.Contains(got[1], "15 in flight") || !strings.Contains(got[2], "5 in flight") {
		t.Errorf("25 s of drain counts, one a second: want lines at 0, 10 and 20 s, got\n%s", buf.String())
	}
}

func TestALiveLineFitsTheTerminal(t *testing.T) {
	var buf bytes.Buffer
	term := newTerm(&buf, true, false)
	term.Width = 40
	s := NewStepLines(term)
	s.Event(deploy.Event{Time: t0, Step: deploy.StepReady, Status: deploy.StatusProgress, Service: "web",
		Container: "a-very-long-project-name-web-3", Elapsed: time.Second, Message: refused})
	for _, l := range screen(buf.String()) {
		if n := utf8.RuneCountInString(l); n > 39 {
			t.Errorf("a live line of %d runes on 40 columns wraps, and \\r cannot rewrite it: %q", n, l)
		}
	}
}

func TestStepLinesShowsStepsProgressAndFailureLogs(t *testing.T) {
	var buf bytes.Buffer
	s := NewStepLines(NewTerm(&buf, true)) // a bytes.Buffer: not a terminal
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
		t.Errorf("off a terminal, drain progress within 10 s must not repeat:\n%s", out)
	}
}

func TestSupersededSummaryNamesWhatTheNewerDeployTakesOver(t *testing.T) {
	var buf bytes.Buffer
	s := NewStepLines(newTerm(&buf, false, false))
	res := &deploy.Result{Outcome: deploy.OutcomeSuperseded, Service: "web", Image: "web:2", New: []string{"app-web-2"}, Old: []string{"app-web-1"}}
	s.Event(deploy.Event{Time: t0, Step: deploy.StepDone, Status: deploy.StatusDone, Service: "web", Result: res})
	out := buf.String()
	if !strings.Contains(out, "superseded:") || !strings.Contains(out, "app-web-1, app-web-2") || strings.Contains(out, "still serves") {
		t.Errorf("superseded summary: %q; want it to say the newer deploy drains app-web-1 and app-web-2, not that the old still serves", out)
	}
}

func TestHandoffSummarySaysWhatHappenedToTheSessions(t *testing.T) {
	for _, c := range []struct {
		handed   int64
		fallback string
		want     []string
		not      string
	}{
		{20, "", []string{"handed off:", "20 live sessions"}, "warning:"},
		{0, "the handoff check failed", []string{"not done (the handoff check failed)", "drained by sessions instead"}, "handed off:"},
		{20, "1 requests were still in flight", []string{"20 live sessions", "not done at once (1 requests were still in flight)", "handed its sessions off at the end"}, "instead"},
	} {
		var buf bytes.Buffer
		s := NewStepLines(newTerm(&buf, false, false))
		res := &deploy.Result{Outcome: deploy.OutcomeSucceeded, Service: "web", Image: "web:2", New: []string{"app-web-2"},
			SessionsHandedOff: c.handed, HandoffFallback: c.fallback}
		s.Event(deploy.Event{Time: t0, Step: deploy.StepDone, Status: deploy.StatusDone, Service: "web", Result: res})
		out := buf.String()
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("handed %d, fallback %q: %q lacks %q", c.handed, c.fallback, out, w)
			}
		}
		if strings.Contains(out, c.not) {
			t.Errorf("handed %d, fallback %q: %q says %q", c.handed, c.fallback, out, c.not)
		}
	}
}
