package ui

import (
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// WatchLine is what roll status shows of a post-switch watch under way: its verdict, the
// time left and the figures so far; "" without one.
func WatchLine(t *Term, w *admin.WatchStatus) string {
	if w == nil {
		return ""
	}
	figures := fmt.Sprintf("%d of %d requests failed (%.1f%%) since %s; flips back above %.1f%% once %d answered",
		w.Failed, w.Requests, 100*w.ErrorRate, clock(w.Since), 100*w.Spec.MaxErrorRate, w.Spec.MinRequests)
	switch w.Verdict {
	case admin.WatchFlipped:
		return fmt.Sprintf("%s %s", t.Red("watch: flipped back:"), w.Reason)
	case admin.WatchPassed:
		return fmt.Sprintf("%s %s", t.Green("watch: passed:"), figures)
	}
	return fmt.Sprintf("%s %s left of %s, old containers kept warm: %s", t.Yellow("watch:"),
		time.Duration(w.Left).Round(time.Second), time.Duration(w.Spec.Window), figures)
}
