package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rollcd/roll/pkg/deploy"
)

// JSONEvents writes each deploy event as one JSON object per line (for CI).
type JSONEvents struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSONEvents writes to w.
func NewJSONEvents(w io.Writer) *JSONEvents { return &JSONEvents{enc: json.NewEncoder(w)} }

// Event writes e as one line.
func (j *JSONEvents) Event(e deploy.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	_ = j.enc.Encode(e)
}

// StepLines renders deploy events for a person: one line per finished step with its
// elapsed time, live drain counts rewritten in place on a terminal (or printed every
// few seconds elsewhere), and the failed container's last log lines.
type StepLines struct {
	term      *Term
	mu        sync.Mutex
	live      bool      // a progress line is on screen and must be cleared first
	lastPrint time.Time // of a non-TTY progress line
	every     time.Duration
}

// NewStepLines renders to term.
func NewStepLines(term *Term) *StepLines { return &StepLines{term: term, every: 5 * time.Second} }

// Event renders e.
func (s *StepLines) Event(e deploy.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.term
	if e.Status == deploy.StatusProgress {
		line := fmt.Sprintf("  %s %-8s %7s  %s", t.Dim("…"), e.Step, fmtElapsed(e.Elapsed), progressText(e))
		if t.TTY {
			fmt.Fprintf(t.Out, "\r\033[K%s", line)
			s.live = true
		} else if e.Time.Sub(s.lastPrint) >= s.every {
			fmt.Fprintln(t.Out, line)
			s.lastPrint = e.Time
		}
		return
	}
	if e.Status == deploy.StatusStart {
		return // a step is shown when it ends; progress covers long ones
	}
	if s.live {
		fmt.Fprint(t.Out, "\r\033[K")
		s.live = false
	}
	if e.Step == deploy.StepDone && e.Result != nil {
		s.summary(e)
		return
	}
	mark := t.Green("✓")
	switch e.Status {
	case deploy.StatusWarn:
		mark = t.Yellow("!")
	case deploy.StatusFailed:
		mark = t.Red("✗")
	}
	fmt.Fprintf(t.Out, "  %s %-8s %7s  %s\n", mark, e.Step, fmtElapsed(e.Elapsed), e.Message)
	for _, l := range e.Logs {
		fmt.Fprintf(t.Out, "      %s %s\n", t.Dim("│"), l)
	}
}

func progressText(e deploy.Event) string {
	if len(e.Counts) == 0 {
		return e.Message
	}
	parts := make([]string, 0, len(e.Counts))
	for _, c := range e.Counts {
		parts = append(parts, fmt.Sprintf("%s: %d in flight, %d sessions", c.Backend, c.InFlight, c.Sessions))
	}
	return strings.Join(parts, "; ")
}

func (s *StepLines) summary(e deploy.Event) {
	t, r := s.term, e.Result
	d := r.Durations
	switch r.Outcome {
	case deploy.OutcomeSucceeded:
		fmt.Fprintf(t.Out, "%s %s now serves %s (%s) in %s — start %s, ready %s, switch %s, drain %s, stop %s\n",
			t.Green("deployed:"), r.Service, r.Image, r.New, fmtElapsed(d.Total),
			fmtElapsed(d.Start), fmtElapsed(d.Ready), fmtElapsed(d.Switch), fmtElapsed(d.Drain), fmtElapsed(d.Stop))
		if r.DrainTimedOut {
			fmt.Fprintf(t.Out, "%s the drain timeout passed with sessions still live on the old container; they were cut\n", t.Yellow("warning:"))
		}
	default:
		fmt.Fprintf(t.Out, "%s %s at step %s: %s\n", t.Red(r.Outcome.String()+":"), r.Service, r.FailedStep, r.Error)
		if len(r.Old) > 0 {
			fmt.Fprintf(t.Out, "%s %s still serves\n", t.Bold("safe:"), strings.Join(r.Old, ", "))
		}
	}
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
