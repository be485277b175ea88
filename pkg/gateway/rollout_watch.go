package gateway

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// The post-switch watch (RolloutRequest.Watch, issue 11). From the switch until the window
// ends, the old backends drain as usual but are never stopped, even idle, so that the
// gateway can still flip back to them while their containers are warm. Meanwhile it
// compares the new backends' counters since the switch with the threshold: once they
// answered MinRequests and more than MaxErrorRate of those failed (5xx or no answer), one
// snapshot swap makes the old backends active and the new ones draining; the new ones'
// sticky users finish there, then they stop, and the rollout ends reverted.

// watch is one rollout's post-switch watch.
type watch struct {
	spec    admin.WatchSpec // defaults applied
	started time.Time       // the switch
	until   time.Time       // the window's end: the old backends may stop from then on
	since   time.Time       // the figures' start: the switch, or the restart that resumed the rollout
	s       *service
	news    []string
	base    map[string]backendCounters // the new backends' counters at since
	last    atomic.Pointer[admin.WatchStatus]
}

// newWatch starts counting the new backends' requests now.
func newWatch(s *service, spec admin.WatchSpec, news []string, started, until time.Time) *watch {
	w := &watch{spec: spec, started: started, until: until, since: time.Now(), s: s, news: slices.Clone(news),
		base: make(map[string]backendCounters, len(news))}
	snap := s.snap.Load()
	for _, n := range news {
		if i := snap.byName(n); i >= 0 {
			w.base[n] = snap.members[i].b.counters()
		}
	}
	w.look(time.Now(), admin.WatchRunning, "")
	return w
}

// figures sums the new backends' requests and failures since w.since.
func (w *watch) figures() (requests, failed uint64) {
	snap := w.s.snap.Load()
	for _, n := range w.news {
		i := snap.byName(n)
		if i < 0 {
			continue // removed by hand: nothing more to count
		}
		d := snap.members[i].b.counters().sub(w.base[n])
		requests += d.requests()
		failed += d.failed()
	}
	return requests, failed
}

// look takes the figures now, keeps them as the watch's status with verdict and reason,
// and returns them.
func (w *watch) look(now time.Time, verdict admin.WatchVerdict, reason string) *admin.WatchStatus {
	requests, failed := w.figures()
	st := &admin.WatchStatus{
		Spec: w.spec, Started: w.started.UTC(), Until: w.until.UTC(), Left: admin.Duration(max(w.until.Sub(now), 0).Round(time.Second)),
		Since: w.since.UTC(), Backends: w.news, Requests: requests, Failed: failed, ErrorRate: errorRate(requests, failed),
		Verdict: verdict, Reason: reason,
	}
	w.last.Store(st)
	return st
}

// status is the watch's latest figures.
func (w *watch) status() *admin.WatchStatus { return w.last.Load() }

func errorRate(requests, failed uint64) float64 {
	if requests == 0 {
		return 0
	}
	return float64(failed) / float64(requests)
}

// judgeWatch says whether figures call for a flip back, and why, in figures.
func judgeWatch(spec admin.WatchSpec, requests, failed uint64) (flip bool, reason string) {
	rate := errorRate(requests, failed)
	if requests < spec.MinRequests {
		return false, fmt.Sprintf("%d of the %d requests the watch needs so far, %d failed", requests, spec.MinRequests, failed)
	}
	if rate > spec.MaxErrorRate {
		return true, fmt.Sprintf("the new backends failed %d of %d requests since the switch (%.1f%%), above the watch's max_error_rate %.1f%% (min_requests %d)",
			failed, requests, 100*rate, 100*spec.MaxErrorRate, spec.MinRequests)
	}
	return false, fmt.Sprintf("%d of %d requests failed (%.1f%%), within the watch's max_error_rate %.1f%%", failed, requests, 100*rate, 100*spec.MaxErrorRate)
}

// watchEnd is how a watch ended.
type watchEnd struct {
	reverted bool   // every new backend failed its health checks: reverted, new stopped (drain.revert)
	flipped  string // the watch flipped back, for this reason
}

// watchOut runs the watch's window beside the drain of d: it reports the drain and the
// watch every drainEvery, reverts as the drain does when every new backend fails its health
// checks, and flips back when the figures cross the threshold. It returns once the window
// ended (the drain then goes on as without a watch), or at the flip or the revert; an error
// only when ctx ended.
func (ro *rollout) watchOut(ctx context.Context, d drain) (watchEnd, error) {
	w := ro.watch
	tick := time.NewTicker(drainEvery)
	defer tick.Stop()
	stuck := false // the figures called for a flip with no old backend able to serve: said once
	for {
		if d.newAllDown() {
			d.revert()
			w.look(time.Now(), admin.WatchFlipped, "every new backend failed its health checks")
			return watchEnd{reverted: true}, nil
		}
		now := time.Now()
		requests, failed := w.figures()
		flip, reason := judgeWatch(w.spec, requests, failed)
		if flip {
			if ro.flipBack(d, reason) {
				st := w.look(now, admin.WatchFlipped, reason)
				ro.emit(admin.RolloutEvent{Step: admin.StepFlipped, Old: ro.statuses(ro.oldNames), New: ro.statuses(ro.newNames),
					Watch: st, Message: "watch: " + reason + "; flipped back: old backends active, new ones draining"})
				return watchEnd{flipped: reason}, nil
			}
			reason += "; no old backend is left to serve (stopped or failing its health checks), so the new ones stay"
			if !stuck {
				ro.g.log.Error("watch cannot flip back", "service", ro.s.name, "reason", reason)
				stuck = true
			}
		}
		if !now.Before(w.until) {
			st := w.look(now, admin.WatchPassed, reason)
			ro.g.log.Info("watch passed", "service", ro.s.name, "requests", st.Requests, "failed", st.Failed)
			ro.emit(admin.RolloutEvent{Step: admin.StepDraining, Old: backendStatuses(d.s, d.old), Watch: st,
				Message: "watch passed: " + reason + "; the old backends may stop once drained"})
			return watchEnd{}, nil
		}
		st := w.look(now, admin.WatchRunning, reason)
		old := backendStatuses(d.s, d.old)
		msg := drainMessage(old)
		if d.idle(old) {
			msg = "the old backends are idle and stay up for the watch"
		}
		ro.emit(admin.RolloutEvent{Step: admin.StepDraining, Old: old, Watch: st,
			Message: fmt.Sprintf("%s; watch: %s, %s left", msg, reason, time.Duration(st.Left))})
		select {
		case <-ctx.Done():
			return watchEnd{}, fmt.Errorf("watch stopped with %s still draining: %w", d.old, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// flipBack undoes the switch in one snapshot swap, the old backends active and the new
// ones draining, and saves it so that a restart finishes the drain of the new ones. It
// refuses (false) when no old backend could serve: still draining and not failing its
// health checks. From then on the rollout's old backends are the new ones, which drain.
func (ro *rollout) flipBack(d drain, reason string) bool {
	g, s := ro.g, ro.s
	g.mu.Lock()
	cur := s.snap.Load()
	canServe := false
	for _, m := range cur.members {
		if slices.Contains(d.old, m.spec.Name) && m.spec.Activation == admin.Draining && !m.b.checkFailed.Load() {
			canServe = true
		}
	}
	if !canServe {
		g.mu.Unlock()
		return false
	}
	var back []string
	s.snap.Store(cur.with(func(ms []member) []member {
		for i := range ms {
			switch {
			case slices.Contains(d.old, ms[i].spec.Name) && ms[i].spec.Activation == admin.Draining:
				ms[i].spec.Activation = admin.Active
				back = append(back, ms[i].spec.Name)
			case slices.Contains(ro.newNames, ms[i].spec.Name) && ms[i].spec.Activation == admin.Active:
				ms[i].spec.Activation = admin.Draining
			}
		}
		return ms
	}))
	bad := ro.newNames
	ro.newNames, ro.oldNames = back, bad
	ro.flipped, ro.drainStarted = reason, time.Now()
	ro.entry = ro.stateEntry()
	s.switched = ro.entry
	g.mu.Unlock()
	g.log.Warn("watch flipped back", "service", s.name, "reason", reason, "active", back, "draining", bad)
	g.persist()
	return true
}

// drainFlipped drains a rollout that the watch flipped back: its old backends are now the
// new release's, whose sticky users finish there; then they stop and the rollout ends
// reverted. Nothing reverts this drain: the release being drained is the failing one.
func (ro *rollout) drainFlipped(ctx context.Context, res admin.RolloutResult) (admin.RolloutResult, error) {
	d := drain{s: ro.s, old: ro.oldNames, timeout: ro.timeout, since: ro.drainStarted, minWait: ro.minWait, emit: ro.emit,
		rolloutID: ro.record.ID, followed: ro.followed, what: "the failing new backends"}
	out, err := d.run(ctx)
	res.DrainedAfter = admin.Duration(time.Since(ro.start))
	if err != nil {
		return ro.interrupted(ctx, err, res)
	}
	res.Reverted, res.DrainTimedOut = true, out.timedOut
	if ro.watch != nil {
		res.Watch = ro.watch.status()
	}
	msg := fmt.Sprintf("watch flipped back: %s; old backends active again, %s drained and stopped", ro.flipped, ro.oldNames)
	if out.timedOut {
		msg = fmt.Sprintf("watch flipped back: %s; old backends active again, %s stopped at the drain timeout %s with work left", ro.flipped, ro.oldNames, ro.timeout)
	}
	ro.end(admin.OutcomeReverted, admin.StepReverted, &res, msg)
	return res, nil
}

// watching is the watch of the rollout that owns the service, for its status; nil if none.
func (sl *rolloutSlots) watching() *admin.WatchStatus {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.owner == nil || sl.owner.watch == nil {
		return nil
	}
	return sl.owner.watch.status()
}

// checkWatchAndWarmup validates a rollout request's watch and warm-up and applies the
// watch's defaults.
func checkWatchAndWarmup(service string, req *admin.RolloutRequest) error {
	if req.Watch != nil {
		w := req.Watch.WithDefaults()
		if err := w.Validate(); err != nil {
			return fmt.Errorf("rollout of service %q: %w", service, err)
		}
		req.Watch = &w
	}
	if req.Warmup != nil {
		if err := req.Warmup.Validate(); err != nil {
			return fmt.Errorf("rollout of service %q: %w", service, err)
		}
	}
	return nil
}

// armWatch starts the watch a rollout asked for, just before its switch: the new backends'
// counters from now on are the watch's figures (their warm-up requests are not).
func (ro *rollout) armWatch() {
	if ro.req.Watch == nil {
		return
	}
	if !ro.hasOthersServing() {
		// A first deploy (roll up) has nothing to flip back to: a watch could only wait.
		ro.g.log.Info("no post-switch watch: no other backend serves to flip back to", "service", ro.s.name)
		return
	}
	now := time.Now()
	ro.setWatch(newWatch(ro.s, *ro.req.Watch, ro.newNames, now, now.Add(time.Duration(ro.req.Watch.Window))))
}

// hasOthersServing reports whether a backend beside the new ones serves: the switch will
// make it draining, and a flip back active again.
func (ro *rollout) hasOthersServing() bool {
	for _, m := range ro.s.snap.Load().members {
		if !slices.Contains(ro.newNames, m.spec.Name) && m.spec.Activation != admin.Stopped {
			return true
		}
	}
	return false
}

// setWatch gives ro its watch where the service's status reads it.
func (ro *rollout) setWatch(w *watch) {
	ro.s.rollouts.mu.Lock()
	ro.watch = w
	ro.s.rollouts.mu.Unlock()
}
