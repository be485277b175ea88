package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// handoffBound bounds the stops of a handoff and its answer, well past any sensible
// stop_grace_period: the engine kills a container at its grace period.
const handoffBound = 5 * time.Minute

// handOff answers the gateway's StepHandoff event (drain mode handoff): nothing is in flight on
// the old backends and their users' requests wait at the gateway, so the old containers are
// stopped now — Tomcat writes its sessions to the store as it stops — and the gateway is told,
// so that it sends those users on to the new containers. A container that will not stop, or
// one the deploy does not know, gives the handoff up: the gateway then lets the requests go on
// to the old backends and drains them the sticky way (ending with another handoff).
//
// Once begun, the stops and the answer are seen through even when the deploy is interrupted
// (Ctrl-C): the gateway holds those users until it hears, and may send them nowhere while a
// container could still be writing their sessions.
func (p *rolloutPhase) handOff(ev admin.RolloutEvent) {
	r := p.run
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), handoffBound)
	defer cancel()
	names := make([]string, 0, len(ev.Old))
	for _, b := range ev.Old {
		names = append(names, b.Name)
	}
	reply := admin.HandoffReply{Rollout: ev.ID}
	var news []Container // before a switch only an aborted canary drains, and what it hands off is the new containers
	if !p.switched.Load() {
		news = p.news
	}
	if err := r.stopForHandoff(ctx, names, news); err != nil {
		reply.Abort = err.Error()
	} else {
		reply.Stopped = names
	}
	if err := r.d.Gateway.Handoff(ctx, r.t.Service, reply); err != nil {
		r.emit(Event{Step: StepDrain, Status: StatusWarn, Message: fmt.Sprintf("handoff: the gateway did not take the answer: %v", err)})
		return
	}
	if reply.Abort != "" {
		r.emit(Event{Step: StepDrain, Status: StatusWarn, Message: "handoff given up: " + reply.Abort})
		return
	}
	to := p.container
	if !p.switched.Load() { // an aborted canary's drain back
		to = "the old version"
	}
	r.emit(Event{Step: StepDrain, Status: StatusProgress, Message: fmt.Sprintf("handoff: stopped %s; their users go on to %s", strings.Join(names, ", "), to)})
}

// stopForHandoff stops the named containers at once, each with its stop signal and grace
// period: old ones the deploy replaces, or, when an aborted canary drains back, its own news.
func (r *run) stopForHandoff(ctx context.Context, names []string, news []Container) error {
	var stop []Container
	for _, n := range names {
		byName := func(c Container) bool { return c.Name == n }
		switch i, j := slices.IndexFunc(r.old, byName), slices.IndexFunc(news, byName); {
		case i >= 0:
			stop = append(stop, r.old[i])
		case j >= 0:
			stop = append(stop, news[j])
		default:
			return fmt.Errorf("the gateway asked to stop %s, which is neither a container this deploy replaces nor one it started", n)
		}
	}
	errs := make([]error, len(stop))
	var wg sync.WaitGroup
	for i, c := range stop {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.d.Engine.Stop(ctx, c.ID); err != nil {
				errs[i] = fmt.Errorf("stopping %s: %w", c.Name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
