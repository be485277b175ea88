package deploy

import (
	"errors"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/project"
)

// The post-switch watch (x-roll.watch, --watch) and the warm-up (x-roll.warmup) are the
// gateway's: the deploy asks for them in its rollout request, reports their events, and on
// a flip back removes the new containers once the gateway stopped them, as after any revert.

// watchSpec is the gateway's form of x-roll.watch; nil without one.
func watchSpec(w *project.WatchSettings) *admin.WatchSpec {
	if w == nil {
		return nil
	}
	return &admin.WatchSpec{Window: admin.Duration(w.Window), MaxErrorRate: w.MaxErrorRate, MinRequests: w.MinRequests}
}

// warmupSpec is the gateway's form of x-roll.warmup; nil without one.
func warmupSpec(w *project.WarmupSettings) *admin.WarmupSpec {
	if w == nil {
		return nil
	}
	return &admin.WarmupSpec{Path: w.Path, Requests: w.Requests}
}

// watchRequest is the watch of the rollout: x-roll.watch with --watch's window, if given.
func (r *run) watchRequest() *admin.WatchSpec {
	var w admin.WatchSpec
	if r.t.Watch != nil {
		w = *r.t.Watch
	}
	if r.opts.Watch > 0 {
		w.Window = admin.Duration(r.opts.Watch)
	}
	if w.Window == 0 {
		return nil
	}
	w = w.WithDefaults()
	return &w
}

// watchWindow is how long the watch keeps a rollout going at least; 0 without one.
func (r *run) watchWindow() time.Duration {
	if w := r.watchRequest(); w != nil {
		return time.Duration(w.Window)
	}
	return 0
}

// revertCause says why the gateway switched back, for the rollback's report.
func revertCause(end switchEnd) error {
	switch {
	case end.watch != nil && end.watch.Verdict == admin.WatchFlipped:
		return fmt.Errorf("the post-switch watch flipped back: %s", end.watch.Reason)
	case end.reason != "":
		return errors.New(end.reason)
	}
	return errors.New("the new container failed its health checks after the switch")
}

// warmedUp reports the gateway's warm-up of the new backends.
func (p *rolloutPhase) warmedUp(ev admin.RolloutEvent) {
	status := StatusDone
	if ev.Warmup != nil && ev.Warmup.Failed > 0 {
		status = StatusWarn
	}
	p.run.res.Warmup = ev.Warmup
	p.run.emit(Event{Step: StepWarmup, Status: status, Container: p.container, Message: ev.Message, Warmup: ev.Warmup})
}

// flipped reports the watch's flip back; the rollout goes on draining the new backends.
func (p *rolloutPhase) flipped(ev admin.RolloutEvent) {
	p.watchSaid = true
	p.run.res.Watch = ev.Watch
	p.run.emit(Event{Step: StepWatch, Status: StatusFailed, Container: p.container, Message: ev.Message, Watch: ev.Watch,
		Counts: countsOf(ev.New)})
}

// watchPassed reports, once, a watch whose window ended without a flip.
func (p *rolloutPhase) watchPassed(ev admin.RolloutEvent) {
	if ev.Watch == nil {
		return
	}
	p.run.res.Watch = ev.Watch
	if p.watchSaid || ev.Watch.Verdict != admin.WatchPassed {
		return
	}
	p.watchSaid = true
	w := ev.Watch
	p.run.emit(Event{Step: StepWatch, Status: StatusDone, Container: p.container, Watch: w,
		Message: fmt.Sprintf("passed: %d of %d requests failed (%.1f%%) in %s, within max_error_rate %.1f%%",
			w.Failed, w.Requests, 100*w.ErrorRate, time.Duration(w.Spec.Window), 100*w.Spec.MaxErrorRate)})
}
