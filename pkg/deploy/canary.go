package deploy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/project"
)

// ErrAborted means the canary was aborted, by the gateway's verdict or by hand: the new
// containers were drained back and removed, the old version serves as before.
var ErrAborted = errors.New("the canary was aborted")

// OutcomeAborted is the outcome of a deploy whose canary was aborted.
const OutcomeAborted = admin.OutcomeAborted

// canarySpec is the gateway's canary for x-roll.canary (or --canary); nil for none.
func canarySpec(c *project.CanarySettings) *admin.CanarySpec {
	if c == nil || c.Share <= 0 {
		return nil
	}
	return &admin.CanarySpec{Share: c.Share, Window: admin.Duration(c.Window), MaxErrorRate: c.MaxErrorRate,
		MaxP95Ratio: c.MaxP95Ratio, MinRequests: uint64(c.MinRequests)}
}

// canaryEvent turns a StepCanary acknowledgement into a deploy event with the figures.
func (p *rolloutPhase) canaryEvent(ev admin.RolloutEvent) {
	r := p.run
	c := ev.Canary
	if c == nil {
		return
	}
	r.res.Canary = c
	e := Event{Step: StepCanary, Status: StatusProgress, Container: p.container, Canary: c, Message: CanaryLine(*c)}
	switch c.Verdict {
	case admin.CanaryPromote:
		e.Status, e.Message = StatusDone, "promoted: "+strings.TrimPrefix(c.Reason, "promote: ")
	case admin.CanaryAbort:
		e.Status, e.Message = StatusFailed, "aborted, the canary's users drain back: "+strings.TrimPrefix(c.Reason, "abort: ")
	}
	r.emit(e)
	if e.Status != StatusProgress {
		r.stepAt = r.d.now()
	}
}

// CanaryLine is a one-line account of a running canary: share, time left, both sides.
func CanaryLine(c admin.CanaryStatus) string {
	side := func(f admin.CanaryFigures) string {
		s := fmt.Sprintf("%d req, %.1f%% failed", f.Requests, 100*f.ErrorRate)
		if f.P95 > 0 {
			s += ", p95 " + time.Duration(f.P95).Round(100*time.Microsecond).String()
		}
		return s
	}
	return fmt.Sprintf("%.0f%% of new sessions, %s left — new %s; old %s — %s",
		100*c.Spec.Share, time.Duration(c.Left).Round(time.Second), side(c.New), side(c.Old), strings.TrimPrefix(c.Reason, string(c.Verdict)+": "))
}
