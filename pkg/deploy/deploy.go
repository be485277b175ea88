package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Options tune one deploy.
type Options struct {
	ReadyTimeout time.Duration // container start + readiness, bounded together
	DrainTimeout time.Duration // 0: the service's drain timeout
	LogLines     int           // log lines shown when the new container fails (default 20)
	// Watch, when set, is the post-switch watch's window (--watch): it replaces
	// x-roll.watch.window, or turns the watch on with its defaults.
	Watch time.Duration
}

// Deployer runs deploys: observe → plan → execute. It makes no decision while executing.
type Deployer struct {
	Engine   Engine
	Gateway  Gateway
	Observer Observer
	Now      func() time.Time
	// PollInterval paces the questions to the gateway while following a rollout whose
	// stream broke (default 1s).
	PollInterval time.Duration
}

type run struct {
	d       *Deployer
	t       Target
	opts    Options
	started time.Time
	stepAt  time.Time
	res     Result
	// recorded is set once the gateway holds the deploy in its history (a rollout records itself).
	recorded bool
	// old are the containers the deploy replaces (the plan's), which a handoff stops.
	old []Container
}

func (d *Deployer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Deploy brings t.Image into service beside the old containers, switches the gateway to it,
// drains and removes the old ones. On any failure before the switch the new container is
// removed and the old ones keep serving. The returned error wraps one of the sentinels.
func (d *Deployer) Deploy(ctx context.Context, t Target, opts Options) (Result, error) {
	if opts.LogLines == 0 {
		opts.LogLines = 20
	}
	r := &run{d: d, t: t, opts: opts, started: d.now()}
	r.stepAt = r.started
	r.res = Result{Service: t.Service, Image: t.Image}
	err := r.execute(ctx)
	r.res.Durations.Total = d.now().Sub(r.started)
	if err != nil && !r.recorded && len(r.res.New) > 0 {
		r.record(ctx, err)
	}
	if err != nil {
		r.res.Error = err.Error()
		var se *StepError
		if errors.As(err, &se) {
			r.res.FailedStep = se.Step
		}
		if r.res.Outcome == "" {
			r.res.Outcome = OutcomeFailed
		}
		if ctx.Err() != nil && r.res.Outcome != OutcomeSucceeded { // a post_deploy hook cut short: the deploy stands
			r.res.Outcome = OutcomeInterrupted
		}
	} else if r.res.Outcome == "" {
		r.res.Outcome = OutcomeSucceeded
	}
	status := StatusDone
	if err != nil {
		status = StatusFailed
	}
	r.emit(Event{Step: StepDone, Status: status, Message: r.res.Outcome.String(), Result: &r.res})
	return r.res, err
}

func (r *run) emit(e Event) {
	now := r.d.now()
	e.Time = now
	if e.Service == "" {
		e.Service = r.t.Service
	}
	if e.Elapsed == 0 && e.Step != StepDone {
		e.Elapsed = now.Sub(r.stepAt)
	}
	if r.d.Observer != nil {
		r.d.Observer.Event(e)
	}
}

// done ends a step: it reports it and starts the clock of the next one.
func (r *run) done(step Step, container, msg string) {
	r.emit(Event{Step: step, Status: StatusDone, Container: container, Message: msg})
	r.stepAt = r.d.now()
}

// execute runs the phases of a deploy: observe → converge → start → rollout → retire. A
// re-run that finds a drain of its own image already under way starts nothing: it follows
// that rollout to its end and retires what it drained.
func (r *run) execute(ctx context.Context) error {
	plan, err := r.observe(ctx)
	if err != nil {
		return err
	}
	if err := r.converge(ctx, plan); err != nil {
		return err
	}
	r.old = plan.Old
	if plan.Follow != "" {
		news := plan.Serving
		r.res.New = containerList(news)
		r.done(StepSwitch, containerNames(news), fmt.Sprintf("%s already serves %s; following the gateway's drain of %s", containerNames(news), r.t.Image, containerNames(plan.Old)))
		end, err := r.follow(ctx, plan.Follow)
		if err != nil {
			return err
		}
		return r.afterSwitch(ctx, plan, news, end)
	}
	readyCtx, cancel := r.readyContext(ctx)
	defer cancel()
	news, err := r.startNew(ctx, readyCtx, plan)
	if err != nil {
		return err
	}
	end, err := r.rollout(ctx, readyCtx, news)
	if err != nil {
		return err
	}
	return r.afterSwitch(ctx, plan, news, end)
}

// readyContext bounds the new container's start and its readiness together.
func (r *run) readyContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.opts.ReadyTimeout > 0 {
		return context.WithTimeout(ctx, r.opts.ReadyTimeout)
	}
	return ctx, func() {}
}

// afterSwitch acts on how a rollout that switched ended: retire the drained containers,
// remove the new ones the gateway switched away from, or leave everything to the newer
// deploy that took the drain over.
func (r *run) afterSwitch(ctx context.Context, plan Plan, news []Container, end switchEnd) error {
	switch end.outcome {
	case OutcomeSucceeded:
		r.res.DrainTimedOut = end.drainTimedOut
		r.res.SessionsHandedOff, r.res.HandoffFallback = end.handedOff, end.handoffFallback
		if err := r.retire(ctx, plan.Old); err != nil {
			return err
		}
		return r.postDeploy(ctx, news)
	case OutcomeReverted:
		r.res.Watch = end.watch
		err := r.rollBack(ctx, news, stepErr(StepSwitch, ErrReverted, revertCause(end)))
		r.res.Outcome = OutcomeReverted
		return err
	case OutcomeSuperseded:
		r.res.Outcome = OutcomeSuperseded
		r.emit(Event{Step: StepDrain, Status: StatusWarn, Container: containerNames(news),
			Message: "a newer deploy took the drain over: its rollout drains and stops " + containerNames(append(slices.Clone(plan.Old), news...))})
		return nil
	}
	return stepErr(StepDrain, ErrGateway, fmt.Errorf("the gateway ended the rollout as %q after the switch", end.outcome))
}
