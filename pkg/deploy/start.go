package deploy

import (
	"context"
	"fmt"
)

// startNew creates and starts the new container and waits until it runs (and, with a
// healthcheck, is healthy) within readyCtx. On failure the container is removed.
func (r *run) startNew(ctx, readyCtx context.Context, plan Plan) (Container, error) {
	startAt := r.d.now()
	nc, err := r.d.Engine.Create(ctx, r.t.Service, r.t.Image, plan.NewNumber)
	if err != nil {
		return Container{}, stepErr(StepCreate, ErrStart, err)
	}
	r.res.New = nc.Name
	r.done(StepCreate, nc.Name, fmt.Sprintf("%s from %s", nc.Name, r.t.Image))
	if err := r.d.Engine.Start(ctx, nc.ID); err != nil {
		return nc, r.rollBack(ctx, nc, stepErr(StepStart, ErrStart, err))
	}
	nc, err = r.d.Engine.WaitStarted(readyCtx, nc.ID)
	if err != nil {
		kind := ErrStart
		if readyCtx.Err() != nil && ctx.Err() == nil {
			kind = ErrNotReady
		}
		return nc, r.rollBack(ctx, nc, stepErr(StepStart, kind, err))
	}
	r.res.Durations.Start = r.d.now().Sub(startAt)
	msg := nc.Name + " running"
	if nc.Health != "" {
		msg += ", " + nc.Health
	}
	r.done(StepStart, nc.Name, msg)
	return nc, nil
}
