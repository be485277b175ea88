package ui

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/deploy"
)

// liveStep is the progress of the step that reports it now: the gateway's readiness
// probes or the drain counts. A person gets one line for it, not one per event: on a
// terminal a line rewritten in place, elsewhere a line when it begins and then at most
// one per StepLines.every.
type liveStep struct {
	step      deploy.Step
	service   string
	container string
	events    int       // progress events so far: for ready, the failed probes
	lastProbe string    // the last failed probe's error, shown only if the step fails
	onScreen  bool      // terminal: the live line is drawn and must be cleared first
	printed   bool      // elsewhere: a progress line of this step was printed, at printedAt
	printedAt time.Time // the time of the event that printed it
}

// of says whether e is progress of the step l follows.
func (l *liveStep) of(e deploy.Event) bool {
	return l.step == e.Step && l.service == e.Service && l.container == e.Container
}

// progress counts e and shows it: on a terminal always, in place; elsewhere only if
// it is the step's first or s.every passed since the last one printed.
func (s *StepLines) progress(e deploy.Event) {
	if !s.live.of(e) {
		s.endLive()
		s.live = liveStep{step: e.Step, service: e.Service, container: e.Container}
	}
	l, t := &s.live, s.term
	l.events++
	if e.Step == deploy.StepReady && e.Message != "" {
		l.lastProbe = e.Message
	}
	prefix := "  … " + stepColumns(e.Step, e.Elapsed) + "  "
	if t.TTY {
		width := t.Width
		if width <= 0 {
			width = 80
		}
		// One column spare: a line that reaches the last column wraps on some
		// terminals, and a wrapped line is no longer rewritten by \r.
		text := fit(l.text(e, true), width-1-utf8.RuneCountInString(prefix))
		fmt.Fprintf(t.Out, "\r\033[K%s%s", strings.Replace(prefix, "…", t.Dim("…"), 1), text)
		l.onScreen = true
		return
	}
	if l.printed && e.Time.Sub(l.printedAt) < s.every {
		return
	}
	fmt.Fprintf(t.Out, "%s%s\n", prefix, l.text(e, false))
	l.printed, l.printedAt = true, e.Time
}

// text is what the progress line of e says. Readiness shows whom it waits for and how
// many probes failed, not their error: a starting app refuses connections, and that is
// no news until the step fails.
func (l *liveStep) text(e deploy.Event, tty bool) string {
	if e.Step != deploy.StepReady {
		return progressText(e)
	}
	who := l.container
	if who == "" {
		who = "the new container"
	}
	switch {
	case tty:
		return fmt.Sprintf("waiting for %s: attempt %d", who, l.events)
	case !l.printed:
		return fmt.Sprintf("waiting for %s to pass the gateway's readiness checks", who)
	default:
		return fmt.Sprintf("still waiting for %s: attempt %d", who, l.events)
	}
}

// endLive clears the live line from a terminal and forgets the step, returning what
// it knew (a failure line shows its last probe).
func (s *StepLines) endLive() liveStep {
	ended := s.live
	if ended.onScreen {
		fmt.Fprint(s.term.Out, "\r\033[K")
	}
	s.live = liveStep{}
	return ended
}

func progressText(e deploy.Event) string {
	if len(e.Counts) == 0 {
		return e.Message
	}
	parts := make([]string, 0, len(e.Counts))
	for _, c := range e.Counts {
		parts = append(parts, fmt.Sprintf("%s: %d in flight, %d sessions", c.Backend, c.InFlight, c.Sessions))
	}
	if w := e.Watch; w != nil && w.Verdict == admin.WatchRunning {
		parts = append(parts, fmt.Sprintf("watch: %d of %d requests failed, %s left", w.Failed, w.Requests, time.Duration(w.Left).Round(time.Second)))
	}
	return strings.Join(parts, "; ")
}

// fit cuts s to n runes, marking the cut with an ellipsis.
func fit(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
