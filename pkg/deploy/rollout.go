package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// switchEnd is how a rollout that switched ended, from its stream or, when the stream
// broke, from the gateway's history.
type switchEnd struct {
	outcome         admin.Outcome // OutcomeSucceeded, OutcomeReverted or OutcomeSuperseded
	drainTimedOut   bool
	handedOff       int64
	handoffFallback string
	// reason is the gateway's word on a revert; watch the post-switch watch's figures.
	reason string
	watch  *admin.WatchStatus
}

func endOf(res admin.RolloutResult) switchEnd {
	switch {
	case res.Reverted:
		return switchEnd{outcome: OutcomeReverted, watch: res.Watch}
	case res.Superseded:
		return switchEnd{outcome: OutcomeSuperseded}
	}
	return switchEnd{outcome: OutcomeSucceeded, drainTimedOut: res.DrainTimedOut, handedOff: res.HandedOff, handoffFallback: res.HandoffFallback}
}

// rollout asks the gateway to prove the new containers ready, switch to them in one step and
// drain the old backends, one acknowledged step at a time. Before the switch any failure
// removes the new containers and the old keep serving. After it, a broken stream is not the end: the deploy follows the rollout by its
// id until the gateway says how it ended.
func (r *run) rollout(ctx, readyCtx context.Context, news []Container) (switchEnd, error) {
	t := r.t
	req := admin.RolloutRequest{
		DrainTimeout:  admin.Duration(r.opts.DrainTimeout),
		Meta:          map[string]string{"image": t.Image, "container": containerNames(news), "previous_image": r.res.PreviousImage},
		ReadyInterval: admin.Duration(t.ReadyInterval),
		Canary:        canarySpec(t.Canary),
		SlowStart:     admin.Duration(t.SlowStart),
		Watch:         r.watchRequest(),
		Warmup:        t.Warmup,
	}
	for _, nc := range news {
		req.Backends = append(req.Backends, backendFor(t, nc))
	}
	if dl, ok := readyCtx.Deadline(); ok {
		req.ReadyTimeout = admin.Duration(time.Until(dl))
	}
	if hooks := t.Hooks.PreSwitch; len(hooks) > 0 {
		// The gateway waits at ready while the hooks run; a stuck deploy must not hold it forever.
		req.SwitchHold = admin.Duration(hooksBound(hooks, len(news)) + 30*time.Second)
	}
	phase := &rolloutPhase{run: r, ctx: ctx, container: containerNames(news), readyAt: r.d.now(), news: news}
	rctx, stopRollout := context.WithCancelCause(ctx)
	phase.hookCtx = rctx // a new container that exits ends its hooks too
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		r.watchExit(rctx, news, phase, stopRollout)
	}()
	r.recorded = true
	result, err := r.d.Gateway.Rollout(rctx, t.Service, req, phase.event)
	stopRollout(nil)
	<-watchDone
	if cause := context.Cause(rctx); errors.Is(cause, errExited) && ctx.Err() == nil {
		err = cause
	}
	if !phase.switched.Load() {
		if err == nil && result.Aborted {
			r.res.Canary = result.Canary
			reason := "aborted"
			if result.Canary != nil {
				reason = strings.TrimPrefix(result.Canary.Reason, "abort: ")
			}
			err := r.rollBack(ctx, news, stepErr(StepCanary, ErrAborted, errors.New(reason)))
			r.res.Outcome = OutcomeAborted // the gateway recorded it so
			return switchEnd{}, err
		}
		if phase.hookErr != nil {
			return switchEnd{}, r.rollBack(ctx, news, stepErr(StepPreSwitch, ErrPreSwitch, phase.hookErr))
		}
		if err == nil {
			err = errors.New("the gateway ended the rollout without switching")
		}
		kind := ErrNotReady
		switch {
		case errors.Is(err, admin.ErrUnavailable) || errors.Is(err, admin.ErrUnauthorized):
			kind = ErrGateway
		case errors.Is(err, admin.ErrInvalid):
			// The gateway did not understand the request: most often a gateway image older than this roll.
			kind = ErrGateway
			err = fmt.Errorf("%w (is the gateway image the same version as this roll? rebuild or pull it)", err)
		case phase.ready.Load():
			kind = ErrSwitch
		}
		return switchEnd{}, r.rollBack(ctx, news, stepErr(StepReady, kind, err))
	}
	if err == nil {
		end := endOf(result)
		end.reason = phase.revertReason
		return end, nil
	}
	id := phase.rolloutID()
	if id == "" || ctx.Err() != nil {
		// Switched, but the stream broke and there is nothing to follow (or the user stopped
		// us): the gateway finishes the drain on its own and a re-run retires the old ones.
		return switchEnd{}, stepErr(StepDrain, ErrGateway, fmt.Errorf("%w (the new container serves; run the deploy again to remove the old ones)", err))
	}
	r.emit(Event{Step: StepDrain, Status: StatusWarn, Container: phase.container,
		Message: fmt.Sprintf("lost the gateway's rollout stream (%v); following rollout %s", err, id)})
	return r.follow(ctx, id)
}

var errExited = errors.New("the new container exited")

// rolloutPhase turns the gateway's rollout acknowledgements into deploy events and
// remembers how far the rollout got: before the switch a failure means roll back.
type rolloutPhase struct {
	run       *run
	ctx       context.Context // the deploy's: a handoff's stops and answer carry its values, not its cancellation
	container string
	readyAt   time.Time
	ready     atomic.Bool // written by the rollout callback, read by the exit watcher
	switched  atomic.Bool
	switchAt  time.Time
	news      []Container
	// hookCtx bounds the pre_switch hooks: it ends with the rollout (a new container exited,
	// the deploy was interrupted). hookErr is the hook that failed, read once Rollout returned.
	hookCtx context.Context
	hookErr error

	// revertReason is the message of the gateway's StepReverted; watchSaid that the
	// watch's verdict was reported.
	revertReason string
	watchSaid    bool

	mu sync.Mutex
	id string // the rollout's id, from its events
}

func (p *rolloutPhase) rolloutID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.id
}

func (p *rolloutPhase) event(ev admin.RolloutEvent) {
	r := p.run
	now := r.d.now()
	if ev.ID != "" {
		p.mu.Lock()
		p.id = ev.ID
		p.mu.Unlock()
	}
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
		if len(r.t.Hooks.PreSwitch) > 0 {
			// In the stream's callback: the gateway holds the switch until it has the answer.
			p.preSwitch(ev)
		}
	case admin.StepCanary:
		p.canaryEvent(ev)
	case admin.StepRamping:
		r.emit(Event{Step: StepSlowStart, Status: StatusProgress, Container: p.container, Message: ev.Message})
	case admin.StepSwitched:
		p.switched.Store(true)
		r.res.Durations.Switch = now.Sub(p.switchAt)
		r.done(StepSwitch, p.container, fmt.Sprintf("%s active, %d old backend(s) draining", p.container, len(ev.Old)))
	case admin.StepWarmup:
		p.warmedUp(ev)
	case admin.StepFlipped:
		p.flipped(ev)
	case admin.StepDraining:
		r.emit(Event{Step: StepDrain, Status: StatusProgress, Counts: countsOf(ev.Old), Message: ev.Message, Watch: ev.Watch})
		p.watchPassed(ev)
	case admin.StepHandoff:
		r.emit(Event{Step: StepDrain, Status: StatusProgress, Counts: countsOf(ev.Old), Message: "handoff: " + ev.Message})
		// In the stream's callback, not beside it: the gateway sends nothing more until it has
		// the answer, and the deploy's events stay in one goroutine.
		p.handOff(ev)
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
		p.revertReason = ev.Message
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

// watchExit stops waiting for readiness as soon as a new container exits: no point
// probing a dead process until the timeout. After the switch it does nothing; the
// gateway's health checks own that phase.
func (r *run) watchExit(ctx context.Context, news []Container, phase *rolloutPhase, stop context.CancelCauseFunc) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if phase.switched.Load() {
			return
		}
		for _, nc := range news {
			c, err := r.d.Engine.Inspect(ctx, nc.ID)
			if err == nil && !c.Running() {
				stop(fmt.Errorf("%w (%s %s) while the gateway was checking it", errExited, nc.Name, c.State))
				return
			}
		}
	}
}
