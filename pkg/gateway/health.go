package gateway

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// probe runs one readiness check of a backend, as the service's HealthSpec says:
// CheckRequest (AJP: CPing, then a GET of Path answering 2xx/3xx; HTTP: the GET),
// CheckCPing or CheckTCP. Health checks and rollouts use it, bounded by Health.Timeout.
func (s *service) probe(ctx context.Context, m member) error {
	cfg := s.cfg.Load()
	ctx, cancel := context.WithTimeout(ctx, time.Duration(cfg.spec.Health.Timeout))
	defer cancel()
	if err := cfg.client.check(ctx, cfg.spec, m); err != nil {
		return fmt.Errorf("%s check of backend %s at %s: %w", cfg.spec.Health.Check, m.spec.Name, m.spec.Address, err)
	}
	return nil
}

// startHealth runs b's health-check loop until the backend is removed or the gateway closes.
// Caller holds g.mu.
func (g *Gateway) startHealth(s *service, b *backend) {
	ctx, cancel := context.WithCancel(g.ctx)
	b.stopHealth = cancel
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		s.healthLoop(ctx, b)
	}()
}

// healthLoop checks b every Health.Interval while it is active or draining. Stopped
// backends take no traffic, and a rollout probes new ones itself.
func (s *service) healthLoop(ctx context.Context, b *backend) {
	// A random first delay spreads the checks of many backends over the interval.
	interval := time.Duration(s.cfg.Load().spec.Health.Interval)
	t := time.NewTimer(rand.N(interval) + time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if m, ok := s.snap.Load().find(b); ok && m.spec.Activation != admin.Stopped {
			err := s.probe(ctx, m)
			// A backend stopped (or removed) while the check ran is going away on purpose:
			// its failing check is no news.
			if now, ok := s.snap.Load().find(b); ok && now.spec.Activation != admin.Stopped {
				s.applyCheck(now, err)
			}
		}
		if ctx.Err() != nil {
			return
		}
		t.Reset(time.Duration(s.cfg.Load().spec.Health.Interval))
	}
}

// checkFall is how many health checks in a row must fail before a backend is taken out.
const checkFall = 2

// applyCheck moves b in or out of service after a health check, logging only changes.
func (s *service) applyCheck(m member, err error) {
	b := m.b
	if err != nil {
		b.lastErr.Store(&errorNote{msg: err.Error(), at: time.Now()})
		// One slow answer on a busy machine is not an outage: it takes checkFall failures in a
		// row to take a backend out (HAProxy's "fall").
		if b.checkFails.Add(1) < checkFall {
			return
		}
		if !b.checkFailed.Swap(true) {
			s.g.log.Warn("backend failed its health check", "service", s.name, "backend", m.spec.Name, "err", err)
		}
		return
	}
	b.checkFails.Store(0)
	failed := b.checkFailed.Swap(false)
	passive := b.downUntil.Swap(0) != 0
	if failed || passive {
		catchUp(s.snap.Load(), b)
		s.g.log.Info("backend healthy again", "service", s.name, "backend", m.spec.Name)
	}
}
