package ui

import (
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/deploy"
)

// What roll promote and roll abort print, and the line roll status shows of a running canary.

// CanaryDecided says what a person's verdict does now, with the figures it was taken on.
func CanaryDecided(t *Term, service string, st admin.CanaryStatus) {
	if st.Verdict == admin.CanaryPromote {
		fmt.Fprintf(t.Out, "%s the canary of %s: the gateway switches to the new containers and drains the old ones\n", t.Green("promoted:"), service)
	} else {
		fmt.Fprintf(t.Out, "%s the canary of %s: the old containers serve everyone; the canary's users drain back, then the deploy removes the new containers\n", t.Yellow("aborted:"), service)
	}
	fmt.Fprintf(t.Out, "%s %s\n", t.Dim("figures:"), canaryFigures(st))
}

// CanaryLine is roll status's line of a running canary.
func CanaryLine(t *Term, st admin.CanaryStatus) string {
	verdict := string(st.Verdict)
	switch st.Verdict {
	case admin.CanaryAbort:
		verdict = t.Red(verdict)
	case admin.CanaryPromote:
		verdict = t.Green(verdict)
	default:
		verdict = t.Yellow(verdict)
	}
	return fmt.Sprintf("%s %s (%s)", t.Bold("canary:"), deploy.CanaryLine(st), verdict)
}

func canaryFigures(st admin.CanaryStatus) string {
	side := func(f admin.CanaryFigures) string {
		s := fmt.Sprintf("%d requests, %d failed (%.1f%%)", f.Requests, f.Failed, 100*f.ErrorRate)
		if f.P95 > 0 {
			s += ", p95 " + time.Duration(f.P95).Round(100*time.Microsecond).String()
		}
		return s
	}
	return fmt.Sprintf("new %s; old %s; after %s", side(st.New), side(st.Old), time.Since(st.Started).Round(time.Second))
}
