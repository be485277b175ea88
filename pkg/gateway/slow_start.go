package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// A slow start (RolloutRequest.SlowStart) ramps the new backends' share of the requests
// without a usable sticky route linearly from ~0 (or from a promoted canary's share) to
// 100 % over its time, like HAProxy's slowstart: the old backends stay active for the rest
// until the ramp ends, then the normal switch makes them drain. It uses the canary's split
// (split.go); the new backends stay pending meanwhile, so a restart drops them and the old
// serve everyone, as during a canary.

// rampEvery is the pace of StepRamping events.
const rampEvery = time.Second

// slowStart ramps the new backends up from share `from`; an error means the rollout failed
// (the caller went away, the gateway stops).
func (ro *rollout) slowStart(ctx context.Context, from float64) error {
	g, s := ro.g, ro.s
	ramp := time.Duration(ro.req.SlowStart)
	start := time.Now()
	split := newSplit(from, 1, start, ramp)
	g.mu.Lock()
	s.snap.Store(s.snap.Load().withSplit(split, ro.freshen))
	ro.saveSplitLocked("slow start")
	g.mu.Unlock()
	g.persist()
	g.log.Info("slow start", "service", s.name, "new", ro.newNames, "ramp", ramp, "from", from)
	end := time.NewTimer(ramp)
	defer end.Stop()
	tick := time.NewTicker(rampEvery)
	defer tick.Stop()
	for {
		share := float64(split.share(time.Now().UnixNano())) / splitScale
		ro.emit(admin.RolloutEvent{Step: admin.StepRamping, New: ro.statuses(ro.newNames),
			Message: fmt.Sprintf("slow start: %s get %s of new sessions, %s left", ro.newNames, pct(share), (ramp - time.Since(start)).Round(time.Second))})
		select {
		case <-end.C:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("rollout cancelled during the slow start: %w", context.Cause(ctx))
		case <-g.ctx.Done():
			return errors.New("rollout stopped during the slow start: the gateway is shutting down")
		case <-tick.C:
		}
	}
}
