package gateway

import (
	"context"
	"slices"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// resumeRollout takes up, after a restart, the rollout whose drain the previous process
// did not finish, as a full rollout: busy with a drain handle (a newer rollout supersedes
// it as a live one), shown in the status, reverting when the new backends fail, recording
// its outcome. With saved (the state file's entry) it is the same rollout: same deploy
// record, same new backends, its drain timeout counted from the original switch. Without
// (a file older than that entry) it gets a record of its own, the active backends as its
// new ones, and the timeout from now. The old backends are the ones draining. When their
// session counts were not saved (sessionsKnown false), a "sessions" drain waits at least
// SessionIdle, capped by the timeout, for returning users to show up again.
func (g *Gateway) resumeRollout(s *service, saved *stateRollout, sessionsKnown bool) {
	now := time.Now()
	cfg := s.cfg.Load()
	var active []string
	ro := &rollout{g: g, s: s, start: now, drainStarted: now, timeout: time.Duration(cfg.spec.Drain.Timeout)}
	for _, m := range s.snap.Load().members {
		switch m.spec.Activation {
		case admin.Draining:
			ro.oldNames = append(ro.oldNames, m.spec.Name)
		case admin.Active:
			active = append(active, m.spec.Name)
		}
	}
	if saved != nil {
		ro.note = "resumed after a gateway restart"
		ro.record = admin.DeployRecord{ID: saved.ID, Service: s.name, Started: saved.Started, Meta: saved.Meta}
		if !saved.Started.IsZero() && saved.Started.Before(now) {
			ro.start = saved.Started
		}
		ro.record.Started = ro.start.UTC()
		if t := time.Duration(saved.DrainTimeout); t > 0 {
			ro.timeout = t
		}
		if !saved.DrainStarted.IsZero() && saved.DrainStarted.Before(now) {
			ro.drainStarted = saved.DrainStarted
		}
		for _, n := range saved.New {
			if slices.Contains(active, n) {
				ro.newNames = append(ro.newNames, n)
			}
		}
		ro.flipped = saved.Flipped
	} else {
		ro.note = "drain resumed after a gateway restart, with no rollout in progress saved"
		ro.record = admin.DeployRecord{ID: newDeployID(now), Service: s.name, Started: now.UTC()}
	}
	if len(ro.newNames) == 0 {
		ro.newNames = active
	}
	// Saved sessions are as of the last save: activity since is lost, bounded by the save
	// interval (see saveSessions); without them at all the counts say nothing.
	ro.resumed = true
	if cfg.spec.Drain.Mode != admin.DrainRequests && !sessionsKnown {
		ro.minWait = min(cfg.sessionIdle, ro.timeout)
	}
	if err := ro.claim(s); err != nil {
		g.log.Error("interrupted drain not resumed", "service", s.name, "err", err)
		return
	}
	if saved != nil && saved.Flipped == "" && saved.Watch != nil && now.Before(saved.WatchUntil) {
		// The old backends stay warm for what is left of the window; the counters of the
		// process before are gone, so the watch counts from now.
		ro.setWatch(newWatch(s, *saved.Watch, ro.newNames, ro.drainStarted, saved.WatchUntil))
	}
	ro.entry = ro.stateEntry()
	g.mu.Lock()
	s.switched = ro.entry
	g.mu.Unlock()
	dctx, cancel := ro.ownDrain()
	ro.emit(admin.RolloutEvent{Step: admin.StepDraining, Old: ro.statuses(ro.oldNames), New: ro.statuses(ro.newNames),
		Message: "drain resumed after a gateway restart"})
	g.log.Info("resuming an interrupted rollout", "service", s.name, "id", ro.record.ID, "new", ro.newNames, "draining", ro.oldNames,
		"timeout_left", ro.timeout-now.Sub(ro.drainStarted), "at_least", ro.minWait)
	g.goBackground(func(context.Context) {
		defer cancel(nil)
		defer ro.release()
		if _, err := ro.drainOut(dctx, admin.RolloutResult{Switched: true}); err != nil {
			g.log.Warn("resumed rollout interrupted", "service", s.name, "id", ro.record.ID, "err", err)
		}
	})
}

// recordUnfinishedLocked puts in the history a rollout the state file shows in progress
// while nothing drains any more: the previous process ended it but stopped before it saved
// the outcome. Caller holds g.mu.
func (s *service) recordUnfinishedLocked(saved *stateRollout) {
	s.addDeployLocked(admin.DeployRecord{
		ID: saved.ID, Service: s.name, Started: saved.Started, Finished: time.Now().UTC(), Meta: saved.Meta,
		Outcome: admin.OutcomeInterrupted,
		Message: "the gateway restarted after this rollout's drain ended and before its outcome was saved; the backends' activations show where it got to",
	})
}
