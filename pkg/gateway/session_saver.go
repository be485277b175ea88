package gateway

import (
	"context"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// How often the state file takes the session sets when some changed: often while a drain
// runs, whose end the counts decide, else now and then. A gateway killed without its
// graceful shutdown loses what happened since the last save: sessions it saw in that
// window restore with a last-seen time up to one interval old, and one issued in that
// window is unknown after the restart (its user then lands on an active backend, as after
// a drain that timed out).
const (
	defaultSessionSaveEvery    = 30 * time.Second
	defaultSessionSaveDraining = 5 * time.Second
)

// saveSessions writes the state file when a session set changed: every
// cfg.sessionSaveDraining while a service drains, every cfg.sessionSaveEvery otherwise.
// The request path only sets a flag under the lock it already holds (sessionSet.changed).
func (g *Gateway) saveSessions(ctx context.Context) {
	tick := time.NewTicker(g.cfg.sessionSaveDraining)
	defer tick.Stop()
	last := time.Now()
	for {
		var now time.Time
		select {
		case <-ctx.Done():
			return
		case now = <-tick.C:
		}
		draining, changed := g.sessionsToSave()
		if !changed || (!draining && now.Sub(last) < g.cfg.sessionSaveEvery) {
			continue
		}
		g.persist()
		last = now
	}
}

// sessionsToSave reports whether a rollout drains somewhere and whether the sessions of a
// backend the state file keeps them for changed since the last save.
func (g *Gateway) sessionsToSave() (draining, changed bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.services {
		draining = draining || s.switched != nil
		for _, m := range s.snap.Load().members {
			if !changed && !m.pending && m.spec.Activation != admin.Stopped {
				changed = m.b.sessions.dirty()
			}
		}
	}
	return draining, changed
}
