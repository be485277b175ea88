package ui

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rollcd/roll/pkg/deploy"
)

// StepLines renders deploy events for a person: one line per finished step with its
// elapsed time, the progress of a long step (readiness probes, drain counts) as one
// live line, and for a failed step the last probe error and the container's last
// log lines.
type StepLines struct {
	term  *Term
	mu    sync.Mutex
	live  liveStep
	every time.Duration // off a terminal, the least time between two progress lines of a step
}

// NewStepLines renders to term.
func NewStepLines(term *Term) *StepLines {
	return &StepLines{term: term, every: 10 * time.Second}
}

// Event renders e.
func (s *StepLines) Event(e deploy.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e.Status {
	case deploy.StatusProgress:
		s.progress(e)
		return
	case deploy.StatusStart:
		return // a step is shown when it ends; progress covers long ones
	}
	ended := s.endLive()
	if e.Step == deploy.StepDone && e.Result != nil {
		s.summary(e)
		return
	}
	t := s.term
	mark := t.Green("✓")
	switch e.Status {
	case deploy.StatusWarn:
		mark = t.Yellow("!")
	case deploy.StatusFailed:
		mark = t.Red("✗")
	}
	fmt.Fprintf(t.Out, "  %s %s  %s\n", mark, stepColumns(e.Step, e.Elapsed), e.Message)
	if e.Status == deploy.StatusFailed && ended.lastProbe != "" && !strings.Contains(e.Message, ended.lastProbe) {
		fmt.Fprintf(t.Out, "      %s %s\n", t.Dim("last probe:"), ended.lastProbe)
	}
	for _, l := range e.Logs {
		fmt.Fprintf(t.Out, "      %s %s\n", t.Dim("│"), l)
	}
}

func (s *StepLines) summary(e deploy.Event) {
	t, r := s.term, e.Result
	d := r.Durations
	switch r.Outcome {
	case deploy.OutcomeSucceeded:
		fmt.Fprintf(t.Out, "%s %s now serves %s (%s) in %s — start %s, ready %s, switch %s, drain %s, stop %s\n",
			t.Green("deployed:"), r.Service, r.Image, strings.Join(r.New, ", "), fmtElapsed(d.Total),
			fmtElapsed(d.Start), fmtElapsed(d.Ready), fmtElapsed(d.Switch), fmtElapsed(d.Drain), fmtElapsed(d.Stop))
		if r.SessionsHandedOff > 0 {
			fmt.Fprintf(t.Out, "%s %d live sessions moved to the new container through the session store; nobody had to log in again\n",
				t.Green("handed off:"), r.SessionsHandedOff)
		}
		switch {
		case r.HandoffFallback != "" && r.SessionsHandedOff > 0:
			fmt.Fprintf(t.Out, "%s the session handoff was not done at once (%s); the old container was drained by sessions first and handed its sessions off at the end\n",
				t.Yellow("warning:"), r.HandoffFallback)
		case r.HandoffFallback != "":
			fmt.Fprintf(t.Out, "%s the session handoff was not done (%s); the old container was drained by sessions instead\n",
				t.Yellow("warning:"), r.HandoffFallback)
		}
		if r.DrainTimedOut {
			fmt.Fprintf(t.Out, "%s the drain timeout passed with sessions still live on the old container; they were cut\n", t.Yellow("warning:"))
		}
		if r.FailedStep == deploy.StepPostDeploy && len(r.Hooks) > 0 {
			fmt.Fprintf(t.Out, "%s %s; the deploy stands: %s serves, nothing was undone\n", t.Red("post_deploy failed:"), r.Hooks[len(r.Hooks)-1], r.Image)
		}
	case deploy.OutcomeSuperseded:
		fmt.Fprintf(t.Out, "%s %s served %s (%s) until a newer deploy took over after %s; that deploy drains and removes %s\n",
			t.Yellow("superseded:"), r.Service, r.Image, strings.Join(r.New, ", "), fmtElapsed(d.Total), strings.Join(append(slices.Clone(r.Old), r.New...), ", "))
	default:
		fmt.Fprintf(t.Out, "%s %s at step %s: %s\n", t.Red(r.Outcome.String()+":"), r.Service, r.FailedStep, r.Error)
		if len(r.Old) > 0 {
			fmt.Fprintf(t.Out, "%s %s still serves\n", t.Bold("safe:"), strings.Join(r.Old, ", "))
		}
	}
}

// stepColumns are a step line's step and elapsed time, 16 columns wide: a step name longer
// than 8 (pre_switch, post_deploy) takes room from the time, so the messages stay aligned.
func stepColumns(step deploy.Step, elapsed time.Duration) string {
	width := max(1, 7-max(0, len(step)-8))
	return fmt.Sprintf("%-8s %*s", step, width, fmtElapsed(elapsed))
}

func fmtElapsed(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return d.Round(time.Second).String()
	default:
		return d.Round(time.Minute).String()
	}
}
