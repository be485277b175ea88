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
	return plan, nil
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
