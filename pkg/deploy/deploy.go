package deploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// Options tune one deploy.
type Options struct {
	ReadyTimeout time.Duration // container start + readiness, bounded together
	DrainTimeout time.Duration // 0: the service's drain timeout
	LogLines     int           // log lines shown when the new container fails (default 20)
}

// Deployer runs deploys: observe → plan → execute. It makes no decision while executing.
type Deployer struct {
	Engine   Engine
	Gateway  Gateway
	Observer Observer
	Now      func() time.Time
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
	if err != nil && !r.recorded && r.res.New != "" {
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
		if ctx.Err() != nil {
			r.res.Outcome = OutcomeInterrupted
		}
	} else {
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

func (r *run) execute(ctx context.Context) error {
	t := r.t
	// Observe.
	containers, err := r.d.Engine.List(ctx, t.Service)
	if err != nil {
		return stepErr(StepObserve, ErrDocker, err)
	}
	var view *admin.ServiceStatus
	if st, err := r.d.Gateway.Service(ctx, t.Service); err == nil {
		view = &st
	} else if !errors.Is(err, admin.ErrNotFound) {
		return stepErr(StepObserve, ErrGateway, err)
	}
	// A deploy from another machine that has not switched yet owns its new container: cleaning
	// up "leftovers" now would remove it. (One that already switched and drains is taken over.)
	if view != nil && view.Rollout != nil && beforeSwitch(view.Rollout.Step) {
		return stepErr(StepObserve, ErrLocked, fmt.Errorf("the gateway is rolling out %s (step %s, %s in)", t.Service,
			view.Rollout.Step, time.Duration(view.Rollout.Elapsed).Round(time.Second)))
	}
	plan := MakePlan(t, Observation{Containers: containers, Gateway: view})
	r.res.Old = containerList(plan.Old)
	if len(plan.Old) > 0 {
		r.res.PreviousImage = plan.Old[len(plan.Old)-1].Image
	}
	r.done(StepObserve, "", plan.String())

	spec := t.Spec
	spec.Name = t.Service
	if err := r.d.Gateway.PutService(ctx, spec); err != nil {
		return stepErr(StepObserve, ErrGateway, fmt.Errorf("registering the service with the gateway: %w", err))
	}
	if err := adopt(ctx, r.d.Gateway, t, plan.Adopt); err != nil {
		return stepErr(StepObserve, ErrGateway, err)
	}
	// Converge: what earlier, interrupted deploys left behind goes next — after adoption,
	// so that replacing a stale backend by an adopted one never leaves the service empty.
	if err := r.cleanup(ctx, plan); err != nil {
		return err
	}

	// Create and start the new container, bounded by the ready timeout together with readiness.
	readyCtx := ctx
	if r.opts.ReadyTimeout > 0 {
		var cancel context.CancelFunc
		readyCtx, cancel = context.WithTimeout(ctx, r.opts.ReadyTimeout)
		defer cancel()
	}
	startAt := r.d.now()
	nc, err := r.d.Engine.Create(ctx, t.Service, t.Image, plan.NewNumber)
	if err != nil {
		return stepErr(StepCreate, ErrStart, err)
	}
	r.res.New = nc.Name
	r.done(StepCreate, nc.Name, fmt.Sprintf("%s from %s", nc.Name, t.Image))
	if err := r.d.Engine.Start(ctx, nc.ID); err != nil {
		return r.rollBack(ctx, nc, stepErr(StepStart, ErrStart, err))
	}
	nc, err = r.d.Engine.WaitStarted(readyCtx, nc.ID)
	if err != nil {
		kind := ErrStart
		if readyCtx.Err() != nil && ctx.Err() == nil {
			kind = ErrNotReady
		}
		return r.rollBack(ctx, nc, stepErr(StepStart, kind, err))
	}
	r.res.Durations.Start = r.d.now().Sub(startAt)
	msg := nc.Name + " running"
	if nc.Health != "" {
		msg += ", " + nc.Health
	}
	r.done(StepStart, nc.Name, msg)

	// Readiness, switch and drain: one operation of the gateway, acknowledged step by step.
	req := admin.RolloutRequest{
		Backends:      []admin.BackendSpec{backendFor(t, nc)},
		DrainTimeout:  admin.Duration(r.opts.DrainTimeout),
		Meta:          map[string]string{"image": t.Image, "container": nc.Name, "previous_image": r.res.PreviousImage},
		ReadyInterval: admin.Duration(t.ReadyInterval),
	}
	if dl, ok := readyCtx.Deadline(); ok {
		req.ReadyTimeout = admin.Duration(time.Until(dl))
	}
	phase := &rolloutPhase{run: r, container: nc.Name, readyAt: r.d.now()}
	rctx, stopRollout := context.WithCancelCause(ctx)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		r.watchExit(rctx, nc.ID, phase, stopRollout)
	}()
	r.recorded = true
	result, err := r.d.Gateway.Rollout(rctx, t.Service, req, phase.event)
	stopRollout(nil)
	<-watchDone
	if cause := context.Cause(rctx); errors.Is(cause, errExited) && ctx.Err() == nil {
		err = cause
	}
	if !phase.switched.Load() {
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
		return r.rollBack(ctx, nc, stepErr(StepReady, kind, err))
	}
	if err != nil {
		// Switched, but the stream broke: the gateway finishes the drain on its own; the old
		// containers stay until a re-run finds them stopped in the gateway and removes them.
		return stepErr(StepDrain, ErrGateway, fmt.Errorf("%w (the new container serves; run the deploy again to remove the old ones)", err))
	}
	if result.Reverted {
		err := r.rollBack(ctx, nc, stepErr(StepSwitch, ErrNotReady, errors.New("the new container failed its health checks after the switch; the gateway switched back to the old one")))
		r.res.Outcome = OutcomeReverted
		return err
	}
	r.res.DrainTimedOut = result.DrainTimedOut

	// Stop and remove the old containers, and forget their backends.
	stopAt := r.d.now()
	for _, c := range plan.Old {
		if err := r.d.Engine.Stop(ctx, c.ID); err != nil {
			return stepErr(StepStop, ErrDocker, fmt.Errorf("stopping %s: %w", c.Name, err))
		}
		if err := r.d.Engine.Remove(ctx, c.ID); err != nil {
			return stepErr(StepStop, ErrDocker, fmt.Errorf("removing %s: %w", c.Name, err))
		}
		if err := r.d.Gateway.RemoveBackend(ctx, t.Service, c.Name); err != nil && !errors.Is(err, admin.ErrNotFound) {
			return stepErr(StepStop, ErrGateway, fmt.Errorf("forgetting backend %s: %w", c.Name, err))
		}
	}
	r.res.Durations.Stop = r.d.now().Sub(stopAt)
	if len(plan.Old) > 0 {
		r.done(StepStop, "", "stopped and removed "+containerNames(plan.Old))
	} else {
		r.done(StepStop, "", "nothing to stop (first deploy)")
	}
	return nil
}

// record puts a deploy that failed before the gateway's rollout (the container did not start)
// into the gateway's history, so `roll status` shows it next to the rollouts.
func (r *run) record(ctx context.Context, cause error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = r.d.Gateway.RecordDeploy(cctx, admin.DeployRecord{
		Service:  r.t.Service,
		Started:  r.started.UTC(),
		Finished: r.d.now().UTC(),
		Outcome:  OutcomeRolledBack,
		Message:  cause.Error(),
		Meta:     map[string]string{"image": r.t.Image, "container": r.res.New, "previous_image": r.res.PreviousImage},
	})
}

// cleanup removes leftovers of interrupted deploys and backends whose container is gone.
func (r *run) cleanup(ctx context.Context, plan Plan) error {
	for _, name := range plan.StaleBackends {
		if err := r.d.Gateway.RemoveBackend(ctx, r.t.Service, name); err != nil && !errors.Is(err, admin.ErrNotFound) {
			return stepErr(StepCleanup, ErrGateway, fmt.Errorf("forgetting backend %s: %w", name, err))
		}
	}
	for _, c := range plan.Leftovers {
		if err := r.d.Engine.Remove(ctx, c.ID); err != nil {
			return stepErr(StepCleanup, ErrDocker, fmt.Errorf("removing leftover %s: %w", c.Name, err))
		}
		if err := r.d.Gateway.RemoveBackend(ctx, r.t.Service, c.Name); err != nil && !errors.Is(err, admin.ErrNotFound) {
			return stepErr(StepCleanup, ErrGateway, fmt.Errorf("forgetting backend %s: %w", c.Name, err))
		}
	}
	if len(plan.Leftovers)+len(plan.StaleBackends) > 0 {
		r.done(StepCleanup, "", fmt.Sprintf("removed %d leftover container(s), %d stale backend(s)", len(plan.Leftovers), len(plan.StaleBackends)))
	}
	return nil
}

// rollBack shows why the new container failed, removes it and reports the old ones still serving.
// It runs on a context of its own: an interrupted deploy must still clean up.
func (r *run) rollBack(ctx context.Context, nc Container, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var se *StepError
	step := StepStart
	if errors.As(cause, &se) {
		step = se.Step
	}
	fail := Event{Step: step, Status: StatusFailed, Container: nc.Name, Message: cause.Error()}
	if nc.ID != "" {
		if st, err := r.d.Engine.Inspect(cctx, nc.ID); err == nil {
			nc = st
		}
		if lines, err := r.d.Engine.Logs(cctx, nc.ID, r.opts.LogLines); err == nil {
			fail.Logs = lines
		}
		if nc.State != "" {
			fail.Message += " (container " + nc.State
			if nc.Health != "" {
				fail.Message += ", " + nc.Health
			}
			fail.Message += ")"
		}
	}
	r.emit(fail)
	r.stepAt = r.d.now()
	if nc.ID != "" {
		_ = r.d.Gateway.RemoveBackend(cctx, r.t.Service, nc.Name)
		if err := r.d.Engine.Remove(cctx, nc.ID); err != nil {
			r.emit(Event{Step: StepRollback, Status: StatusWarn, Container: nc.Name,
				Message: fmt.Sprintf("could not remove %s: %v (a re-run removes it)", nc.Name, err)})
		} else {
			r.done(StepRollback, nc.Name, "removed "+nc.Name+"; the old version still serves")
		}
	}
	r.res.Outcome = OutcomeRolledBack
	return cause
}

// adopt registers running containers the gateway does not know as active backends (started
// by docker compose, or a gateway that lost its state). One it already has is fine.
func adopt(ctx context.Context, gw Gateway, t Target, cs []Container) error {
	for _, c := range cs {
		b := backendFor(t, c)
		b.Activation = admin.Active
		if _, err := gw.AddBackend(ctx, t.Service, b); err != nil && !errors.Is(err, admin.ErrConflict) {
			return fmt.Errorf("registering %s with the gateway: %w", c.Name, err)
		}
	}
	return nil
}

// backendFor is the gateway backend of container c: reached by name on the project network,
// sticky by its hostname (the jvmRoute each container derives from it).
func backendFor(t Target, c Container) admin.BackendSpec {
	route := c.Hostname
	if route == "" {
		route = c.Name
	}
	return admin.BackendSpec{
		Name:    c.Name,
		Address: c.Name + ":" + strconv.Itoa(t.Port),
		Route:   route,
		Weight:  max(t.Weight, admin.DefaultWeight),
		Meta:    map[string]string{"image": c.Image, "container_id": c.ID},
	}
}

func containerList(cs []Container) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

var errExited = errors.New("the new container exited")

// beforeSwitch reports whether a rollout at step has not switched traffic yet.
func beforeSwitch(step string) bool {
	return step == admin.StepAdded || step == admin.StepProbing || step == admin.StepReady
}

// watchExit stops waiting for readiness as soon as the new container exits: no
// point probing a dead process until the timeout. After the switch it does nothing;
// the gateway's health checks own that phase.
func (r *run) watchExit(ctx context.Context, id string, phase *rolloutPhase, stop context.CancelCauseFunc) {
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
		c, err := r.d.Engine.Inspect(ctx, id)
		if err == nil && !c.Running() {
			stop(fmt.Errorf("%w (%s) while the gateway was checking it", errExited, c.State))
			return
		}
	}
}
