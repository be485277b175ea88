package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// observe reads the containers and the gateway's view and decides the plan.
func (r *run) observe(ctx context.Context) (Plan, error) {
	t := r.t
	containers, err := r.d.Engine.List(ctx, t.Service)
	if err != nil {
		return Plan{}, stepErr(StepObserve, ErrDocker, err)
	}
	var view *admin.ServiceStatus
	if st, err := r.d.Gateway.Service(ctx, t.Service); err == nil {
		view = &st
	} else if !errors.Is(err, admin.ErrNotFound) {
		return Plan{}, stepErr(StepObserve, ErrGateway, err)
	}
	// A deploy from another machine that has not switched yet owns its new container: cleaning
	// up "leftovers" now would remove it. (One that already switched and drains is taken over,
	// or followed when it brought in this very image.)
	if view != nil && view.Rollout != nil && beforeSwitch(view.Rollout.Step) {
		return Plan{}, stepErr(StepObserve, ErrLocked, fmt.Errorf("the gateway is rolling out %s (step %s, %s in)", t.Service,
			view.Rollout.Step, time.Duration(view.Rollout.Elapsed).Round(time.Second)))
	}
	plan := MakePlan(t, Observation{Containers: containers, Gateway: view})
	r.res.Old = containerList(plan.Old)
	if len(plan.Old) > 0 {
		r.res.PreviousImage = plan.Old[len(plan.Old)-1].Image
	}
	r.done(StepObserve, "", plan.String())
	r.warnGate(view)
	return plan, nil
}

// warnGate says what a pause or maintenance under way means for this deploy, which goes on:
// the gateway proves the new container ready by itself, not through the gate, and a migration
// that the new version needs runs best between pause and resume, with the deploy inside.
func (r *run) warnGate(view *admin.ServiceStatus) {
	if view == nil {
		return
	}
	svc := r.t.Service
	if p := view.Pause; p != nil && p.Active() {
		r.emit(Event{Step: StepObserve, Status: StatusWarn, Message: fmt.Sprintf(
			"%s is paused (%d requests held, the gateway resumes by itself at %s): the deploy goes on, and the held requests go to the new version once you run roll resume %s",
			svc, p.Held, p.Until.Local().Format(time.TimeOnly), svc)})
	}
	if m := view.Maintenance; m != nil && m.Active() {
		r.emit(Event{Step: StepObserve, Status: StatusWarn, Message: fmt.Sprintf(
			"%s is in maintenance: the deploy goes on, and visitors get the maintenance page until roll maintenance %s off", svc, svc)})
	}
}

// beforeSwitch reports whether a rollout at step has not switched traffic yet.
func beforeSwitch(step string) bool {
	return step == admin.StepAdded || step == admin.StepProbing || step == admin.StepReady
}

func containerList(cs []Container) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}
