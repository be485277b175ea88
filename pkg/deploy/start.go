package deploy

import (
	"context"
	"fmt"
	"sync"
)

// startNew creates and starts the new containers, one per replica, and waits until each
// runs (and, with a healthcheck, is healthy) within readyCtx. On any failure every new
// container is removed.
func (r *run) startNew(ctx, readyCtx context.Context, plan Plan) ([]Container, error) {
	startAt := r.d.now()
	var news []Container
	for _, n := range plan.NewNumbers {
		nc, err := r.d.Engine.Create(ctx, r.t.Service, r.t.Image, n)
		if err != nil {
			return nil, r.rollBack(ctx, news, stepErr(StepCreate, ErrStart, err))
		}
		news = append(news, nc)
		r.res.New = append(r.res.New, nc.Name)
		r.done(StepCreate, nc.Name, fmt.Sprintf("%s from %s", nc.Name, r.t.Image))
	}
	for _, nc := range news {
		if err := r.d.Engine.Start(ctx, nc.ID); err != nil {
			return nil, r.rollBack(ctx, news, stepErr(StepStart, ErrStart, err))
		}
	}
	// Replicas start together: the wait is the slowest one's, not their sum.
	errs := make([]error, len(news))
	var wg sync.WaitGroup
	for i := range news {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := r.d.Engine.WaitStarted(readyCtx, news[i].ID)
			if c.ID != "" {
				news[i] = c
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			kind := ErrStart
			if readyCtx.Err() != nil && ctx.Err() == nil {
				kind = ErrNotReady
			}
			failed := append([]Container{news[i]}, append(news[:i:i], news[i+1:]...)...) // the failed one first
			return nil, r.rollBack(ctx, failed, stepErr(StepStart, kind, err))
		}
	}
	r.res.Durations.Start = r.d.now().Sub(startAt)
	for _, nc := range news {
		msg := nc.Name + " running"
		if nc.Health != "" {
			msg += ", " + nc.Health
		}
		r.done(StepStart, nc.Name, msg)
	}
	return news, nil
}
