package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// A canary (RolloutRequest.Canary) runs between the ready new backends (and a held
// switch's answer) and the switch. One snapshot swap makes the new backends active beside
// the old ones with a traffic split (split.go) that gives them the canary's share of the
// requests without a usable sticky route; sticky users stay where their session is, so a
// session the canary issued stays on the canary. Every canaryEvery the gateway takes both
// sides' counter deltas since the swap and judges them (canary_verdict.go); a person may
// decide instead (PromoteCanary, AbortCanary). Promote: the normal switch and drain follow.
// Abort: one swap makes the canary backends draining (the old never stopped being active),
// they drain as an old version drains (the service's drain mode, handoff included), stop,
// and go; the rollout ends OutcomeAborted with the figures.
//
// The new backends stay pending throughout, so a gateway that restarts during a canary (or
// its drain back) drops them and the old serve everyone: the deploy, whose stream broke
// before a switch, removes the new containers as after any failure before the switch.

// canaryEvery is the pace of canary judgements and StepCanary events.
const canaryEvery = time.Second

// canaryRun is one running canary.
type canaryRun struct {
	rollout string
	spec    admin.CanarySpec // defaults applied
	started time.Time
	old     []member // the old side: the active backends at the canary's start
	fresh   []member
	base    map[*backend]backendCounters
	// decided is set by the first decision by hand, which then goes into decision; hand is
	// the status it answered with, shown until the rollout takes the decision.
	decided  atomic.Bool
	decision chan canaryDecision
	hand     atomic.Pointer[admin.CanaryStatus]
}

type canaryDecision struct {
	verdict admin.CanaryVerdict
	reason  string
}

// runCanary starts the canary and waits for its verdict. A nil error comes with a promote or
// an abort; an error means the rollout failed (the caller went away, the gateway stops).
func (ro *rollout) runCanary(ctx context.Context) (*canaryRun, admin.CanaryStatus, error) {
	c := ro.startCanary()
	defer ro.s.canary.CompareAndSwap(c, nil)
	tick := time.NewTicker(canaryEvery)
	defer tick.Stop()
	byHand := func(d canaryDecision) (*canaryRun, admin.CanaryStatus, error) {
		st := c.judge(time.Now(), &d)
		ro.emitCanary(c, st)
		return c, st, nil
	}
	for {
		st := c.judge(time.Now(), nil)
		if st.Verdict != admin.CanaryPending && !c.decided.CompareAndSwap(false, true) {
			return byHand(<-c.decision) // a person decided at the same moment, and was told so: theirs stands
		}
		ro.emitCanary(c, st)
		if st.Verdict != admin.CanaryPending {
			return c, st, nil
		}
		select {
		case d := <-c.decision:
			return byHand(d)
		case <-ctx.Done():
			return c, admin.CanaryStatus{}, fmt.Errorf("rollout cancelled during the canary: %w", context.Cause(ctx))
		case <-ro.g.ctx.Done():
			return c, admin.CanaryStatus{}, errors.New("rollout stopped during the canary: the gateway is shutting down")
		case <-tick.C:
		}
	}
}

// emitCanary sends the canary's figures as a StepCanary event.
func (ro *rollout) emitCanary(c *canaryRun, st admin.CanaryStatus) {
	ro.emit(admin.RolloutEvent{Step: admin.StepCanary, Canary: &st, Message: st.Reason,
		Old: ro.statuses(namesOf(c.old)), New: ro.statuses(ro.newNames)})
}

// startCanary makes the new backends active beside the old ones under the canary's split,
// in one snapshot swap, and takes both sides' counters as the canary's baseline.
func (ro *rollout) startCanary() *canaryRun {
	g, s := ro.g, ro.s
	spec := ro.req.Canary.WithDefaults()
	now := time.Now()
	c := &canaryRun{rollout: ro.record.ID, spec: spec, started: now, base: map[*backend]backendCounters{},
		decision: make(chan canaryDecision, 1)}
	g.mu.Lock()
	next := s.snap.Load().withSplit(newSplit(spec.Share, spec.Share, now, 0), ro.freshen)
	s.snap.Store(next)
	ro.saveSplitLocked("canary")
	for _, m := range next.members {
		switch {
		case m.fresh:
			c.fresh = append(c.fresh, m)
		case m.spec.Activation == admin.Active:
			c.old = append(c.old, m)
		default:
			continue
		}
		c.base[m.b] = m.b.counters()
	}
	g.mu.Unlock()
	g.persist()
	s.canary.Store(c)
	g.log.Info("canary started", "service", s.name, "share", spec.Share, "window", time.Duration(spec.Window),
		"new", ro.newNames, "old", namesOf(c.old))
	return c
}

// freshen makes the rollout's new backends active and fresh (the new side of a split).
func (ro *rollout) freshen(ms []member) []member {
	for i := range ms {
		m := &ms[i]
		if slices.Contains(ro.newNames, m.spec.Name) && !m.fresh {
			m.spec.Activation, m.fresh = admin.Active, true
			m.b.checkFailed.Store(false) // it just passed its probe
			m.b.downUntil.Store(0)
		}
	}
	for i := range ms {
		if ms[i].fresh {
			catchUp(&snapshot{members: ms}, ms[i].b)
		}
	}
	return ms
}

// judge returns the canary's status at now: the gateway's verdict, or d's when a person decided.
func (c *canaryRun) judge(now time.Time, d *canaryDecision) admin.CanaryStatus {
	old, oldFig := c.side(c.old)
	fresh, newFig := c.side(c.fresh)
	elapsed := now.Sub(c.started)
	st := admin.CanaryStatus{Spec: c.spec, Started: c.started.UTC(), Old: oldFig, New: newFig}
	st.Verdict, st.Reason = judgeCanary(c.spec, old, fresh, elapsed)
	end := time.Duration(c.spec.Window)
	if elapsed >= end && fresh.requests < c.spec.MinRequests {
		end = inconclusiveAfter(c.spec)
	}
	st.Left = admin.Duration(max(0, end-elapsed).Round(100 * time.Millisecond))
	if d != nil {
		st.Verdict, st.ByHand = d.verdict, true
		st.Reason = "decided by hand"
		if d.reason != "" {
			st.Reason += ": " + d.reason
		}
		st.Reason += "; the figures: " + c.figures(old, fresh)
	} else if st.Verdict == admin.CanaryAbort || st.Verdict == admin.CanaryPromote {
		st.Reason = string(st.Verdict) + ": " + st.Reason
	}
	return st
}

// figures is a one-line summary of both sides, for a verdict by hand.
func (c *canaryRun) figures(old, fresh canarySide) string {
	f := func(sd canarySide) string {
		s := fmt.Sprintf("%d requests, %s failed", sd.requests, pct(sd.errorRate()))
		if sd.hasP95 {
			s += fmt.Sprintf(", p95 %s", sd.p95)
		}
		return s
	}
	return fmt.Sprintf("new %s; old %s", f(fresh), f(old))
}

// side sums one side's counters since the canary began.
func (c *canaryRun) side(ms []member) (canarySide, admin.CanaryFigures) {
	var sum backendCounters
	fig := admin.CanaryFigures{Backends: namesOf(ms)}
	for _, m := range ms {
		sum = sum.add(m.b.counters().sub(c.base[m.b]))
	}
	sd := canarySide{requests: sum.requests(), failed: sum.failed()}
	sd.p95, sd.hasP95 = sum.Latency.quantile(0.95)
	fig.Requests, fig.Failed, fig.ErrorRate = sd.requests, sd.failed, sd.errorRate()
	if sd.hasP95 {
		fig.P95 = admin.Duration(sd.p95)
	}
	return sd, fig
}

func namesOf(ms []member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.spec.Name
	}
	return out
}

// abortCanary ends a rollout whose canary was aborted: the canary backends drain (the old
// never stopped being active), stop and go; the rollout is recorded OutcomeAborted.
func (ro *rollout) abortCanary(ctx context.Context, c *canaryRun, st admin.CanaryStatus) (admin.RolloutResult, error) {
	g, s := ro.g, ro.s
	g.mu.Lock()
	s.snap.Store(s.snap.Load().withSplit(nil, func(ms []member) []member {
		for i := range ms {
			if ms[i].fresh {
				ms[i].spec.Activation, ms[i].fresh = admin.Draining, false
			}
		}
		return ms
	}))
	g.mu.Unlock()
	g.log.Warn("canary aborted, draining it back", "service", s.name, "new", ro.newNames, "reason", st.Reason)
	timeout := time.Duration(ro.req.DrainTimeout)
	if timeout <= 0 {
		timeout = time.Duration(s.cfg.Load().spec.Drain.Timeout)
	}
	dctx, cancel := context.WithCancel(g.ctx) // like a drain after a switch: the gateway's, whoever follows
	defer cancel()
	d := drain{s: s, old: ro.newNames, news: namesOf(c.old), timeout: timeout, since: time.Now(), emit: ro.emit,
		rolloutID: ro.record.ID, followed: ctx.Done(), keepOld: true,
		handoff: s.cfg.Load().spec.Drain.Mode == admin.DrainHandoff && ro.progress != nil}
	out, err := d.run(dctx)
	if err != nil {
		g.log.Warn("canary drain back interrupted", "service", s.name, "err", err)
		return admin.RolloutResult{Canary: &st}, fmt.Errorf("draining the aborted canary of service %q back: %w", s.name, err)
	}
	g.mu.Lock()
	for _, name := range ro.newNames {
		_ = g.removeBackendLocked(s, name)
	}
	g.mu.Unlock()
	res := admin.RolloutResult{Aborted: true, Canary: &st, DrainTimedOut: out.timedOut, HandedOff: out.handed, HandoffFallback: out.fallback,
		DrainedAfter: admin.Duration(time.Since(ro.start))}
	msg := "canary " + st.Reason
	if out.timedOut {
		msg += fmt.Sprintf("; drain timeout %s passed, canary stopped with work left", timeout)
	} else {
		msg += "; its users drained back, new backends stopped; old serving"
	}
	ro.finish(admin.OutcomeAborted, msg)
	ro.emit(admin.RolloutEvent{Step: admin.StepAborted, Canary: &st, Old: ro.statuses(d.news), Result: &res, Message: msg})
	return res, nil
}

// PromoteCanary is a person's promote of service's running canary.
func (g *Gateway) PromoteCanary(_ context.Context, service string, d admin.CanaryDecision) (admin.CanaryStatus, error) {
	return g.decideCanary(service, canaryDecision{verdict: admin.CanaryPromote, reason: d.Reason})
}

// AbortCanary is a person's abort of service's running canary.
func (g *Gateway) AbortCanary(_ context.Context, service string, d admin.CanaryDecision) (admin.CanaryStatus, error) {
	return g.decideCanary(service, canaryDecision{verdict: admin.CanaryAbort, reason: d.Reason})
}

func (g *Gateway) decideCanary(service string, d canaryDecision) (admin.CanaryStatus, error) {
	s, err := g.lookup(service)
	if err != nil {
		return admin.CanaryStatus{}, err
	}
	c := s.canary.Load()
	if c == nil {
		return admin.CanaryStatus{}, fmt.Errorf("%w: service %q runs no canary", admin.ErrConflict, service)
	}
	if !c.decided.CompareAndSwap(false, true) {
		return admin.CanaryStatus{}, fmt.Errorf("%w: the canary of service %q was already decided", admin.ErrConflict, service)
	}
	st := c.judge(time.Now(), &d)
	c.hand.Store(&st)
	c.decision <- d // buffered, one decision
	g.log.Info("canary decided by hand", "service", service, "verdict", d.verdict, "reason", d.reason)
	return st, nil
}

// canaryStatus is the live figures of service's running canary, or nil.
func (s *service) canaryStatus() *admin.CanaryStatus {
	c := s.canary.Load()
	if c == nil {
		return nil
	}
	if h := c.hand.Load(); h != nil {
		return h
	}
	st := c.judge(time.Now(), nil)
	return &st
}

// anyOldActive reports whether a backend other than the rollout's new ones is active: a
// canary or a slow start shares the traffic with them, and without them (a first deploy, every
// old backend stopped) there is nothing to compare with and nobody to spare: the rollout
// switches at once.
func (ro *rollout) anyOldActive() bool {
	for _, m := range ro.s.snap.Load().members {
		if m.spec.Activation == admin.Active && !slices.Contains(ro.newNames, m.spec.Name) {
			return true
		}
	}
	return false
}
