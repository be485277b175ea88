package deploy

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// rolloutPhase turns the gateway's rollout acknowledgements into deploy events and
// remembers how far the rollout got: before the switch a failure means roll back.
type rolloutPhase struct {
	run       *run
	container string
	readyAt   time.Time
	ready     atomic.Bool // written by the rollout callback, read by the exit watcher
	switched  atomic.Bool
	switchAt  time.Time
}

func (p *rolloutPhase) event(ev admin.RolloutEvent) {
	r := p.run
	now := r.d.now()
	switch ev.Step {
	case admin.StepProbing:
		r.emit(Event{Step: StepReady, Status: StatusProgress, Container: p.container, Message: ev.Message})
	case admin.StepReady:
		p.ready.Store(true)
		r.res.Durations.Ready = now.Sub(p.readyAt)
		msg := ev.Message
		if msg == "" {
			msg = p.container + " passed the gateway's readiness checks"
		}
		r.done(StepReady, p.container, msg)
		p.switchAt = now
	case admin.StepSwitched:
		p.switched.Store(true)
		r.res.Durations.Switch = now.Sub(p.switchAt)
		r.done(StepSwitch, p.container, fmt.Sprintf("%s active, %d old backend(s) draining", p.container, len(ev.Old)))
	case admin.StepDraining:
		r.emit(Event{Step: StepDrain, Status: StatusProgress, Counts: countsOf(ev.Old), Message: ev.Message})
	case admin.StepDrained:
		r.res.Durations.Drain = now.Sub(r.stepAt)
		status, msg := StatusDone, "old backends idle and stopped in the gateway"
		if ev.Result != nil && ev.Result.DrainTimedOut {
			status, msg = StatusWarn, "drain timeout passed; old backends stopped with live sessions"
		}
		if ev.Message != "" {
			msg = ev.Message
		}
		r.emit(Event{Step: StepDrain, Status: status, Counts: countsOf(ev.Old), Message: msg})
		r.stepAt = now
	case admin.StepReverted:
		r.emit(Event{Step: StepSwitch, Status: StatusFailed, Container: p.container, Message: "reverted: " + ev.Message})
	}
}

func countsOf(bs []admin.BackendStatus) []Counts {
	out := make([]Counts, len(bs))
	for i, b := range bs {
		out[i] = Counts{Backend: b.Name, InFlight: b.InFlight, Sessions: b.Sessions}
	}
	return out
}
