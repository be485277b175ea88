package gateway

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/rollcd/roll/pkg/admin"
)

var _ admin.Service = (*Gateway)(nil)

// Services returns every service with its backends, by name.
func (g *Gateway) Services(context.Context) ([]admin.ServiceStatus, error) {
	return g.statuses(), nil
}

// statuses returns every service with its backends, by name.
func (g *Gateway) statuses() []admin.ServiceStatus {
	g.mu.Lock()
	list := make([]*service, 0, len(g.services))
	for _, s := range g.services {
		list = append(list, s)
	}
	g.mu.Unlock()
	slices.SortFunc(list, func(a, b *service) int { return cmp.Compare(a.name, b.name) })
	out := make([]admin.ServiceStatus, 0, len(list))
	for _, s := range list {
		out = append(out, s.status())
	}
	return out
}

// Service returns one service's status.
func (g *Gateway) Service(_ context.Context, name string) (admin.ServiceStatus, error) {
	s, err := g.lookup(name)
	if err != nil {
		return admin.ServiceStatus{}, err
	}
	return s.status(), nil
}

// PutService creates a service or changes its routing and settings; its backends stay.
// An empty Secret keeps the current one, because the API never returns it.
func (g *Gateway) PutService(_ context.Context, spec admin.ServiceSpec) error {
	norm, err := normalizeService(spec)
	if err != nil {
		return err
	}
	g.mu.Lock()
	if rt, clash := g.routes.Load().conflict(norm.Name, norm.Hosts, norm.PathPrefixes); clash {
		g.mu.Unlock()
		return fmt.Errorf("%w: service %q: host %q and path prefix %q are already routed to service %q",
			admin.ErrConflict, norm.Name, rt.host, rt.prefix, rt.svc.name)
	}
	if s, ok := g.services[norm.Name]; ok {
		if norm.Secret == "" {
			norm.Secret = s.cfg.Load().spec.Secret
		}
		s.setSpec(norm)
	} else {
		g.services[norm.Name] = g.newService(norm)
	}
	g.routes.Store(buildRoutes(g.services))
	g.mu.Unlock()
	g.log.Info("service saved", "service", norm.Name, "protocol", norm.Protocol, "hosts", norm.Hosts, "prefixes", norm.PathPrefixes)
	g.persist()
	return nil
}

// DeleteService removes a service and its backends from routing.
func (g *Gateway) DeleteService(_ context.Context, name string) error {
	g.mu.Lock()
	s, ok := g.services[name]
	switch {
	case !ok:
		g.mu.Unlock()
		return fmt.Errorf("%w: service %q", admin.ErrNotFound, name)
	case s.busy.Load():
		g.mu.Unlock()
		return fmt.Errorf("deleting service %q: %w", name, admin.ErrBusy)
	}
	for _, m := range s.snap.Load().members {
		m.b.stopHealth()
	}
	delete(g.services, name)
	g.routes.Store(buildRoutes(g.services))
	g.mu.Unlock()
	g.log.Info("service deleted", "service", name)
	g.persist()
	return nil
}

// AddBackend adds a backend to a service. Its name and route must be new in the service.
func (g *Gateway) AddBackend(_ context.Context, service string, spec admin.BackendSpec) (admin.BackendStatus, error) {
	norm, err := normalizeBackend(service, spec)
	if err != nil {
		return admin.BackendStatus{}, err
	}
	g.mu.Lock()
	s, err := g.lookupLocked(service, true)
	if err == nil {
		err = g.addBackendLocked(s, norm, false)
	}
	g.mu.Unlock()
	if err != nil {
		return admin.BackendStatus{}, err
	}
	g.log.Info("backend added", "service", service, "backend", norm.Name, "address", norm.Address, "activation", norm.Activation)
	g.persist()
	st, _ := s.backendStatus(norm.Name)
	return st, nil
}

// addBackendLocked registers a backend and starts its health checks. Caller holds g.mu.
func (g *Gateway) addBackendLocked(s *service, spec admin.BackendSpec, pending bool) error {
	snap := s.snap.Load()
	for _, m := range snap.members {
		if m.spec.Name == spec.Name {
			return fmt.Errorf("%w: service %q already has a backend named %q", admin.ErrConflict, s.name, spec.Name)
		}
		if m.spec.Route == spec.Route {
			return fmt.Errorf("%w: service %q: route %q is already used by backend %q", admin.ErrConflict, s.name, spec.Route, m.spec.Name)
		}
	}
	b := newBackend(spec.Name, spec.Address)
	next := snap.with(func(ms []member) []member { return append(ms, member{b: b, spec: spec, pending: pending}) })
	if spec.Activation == admin.Active {
		catchUp(next, b)
	}
	s.snap.Store(next)
	g.startHealth(s, b)
	return nil
}

// UpdateBackend changes a backend's activation, weight or route.
func (g *Gateway) UpdateBackend(_ context.Context, service, name string, patch admin.BackendPatch) (admin.BackendStatus, error) {
	g.mu.Lock()
	s, err := g.lookupLocked(service, true)
	if err != nil {
		g.mu.Unlock()
		return admin.BackendStatus{}, err
	}
	snap := s.snap.Load()
	i := snap.byName(name)
	if i < 0 {
		g.mu.Unlock()
		return admin.BackendStatus{}, fmt.Errorf("%w: backend %q of service %q", admin.ErrNotFound, name, service)
	}
	spec := snap.members[i].spec
	if patch.Activation != nil {
		spec.Activation = *patch.Activation
	}
	if patch.Weight != nil {
		if w := *patch.Weight; w < 1 || w > 100 {
			g.mu.Unlock()
			return admin.BackendStatus{}, fmt.Errorf("%w: backend %q of service %q: weight %d: want 1..100", admin.ErrInvalid, name, service, w)
		}
		spec.Weight = *patch.Weight
	}
	if patch.Route != nil {
		spec.Route = *patch.Route
	}
	spec, err = normalizeBackend(service, spec)
	if err == nil {
		for j, m := range snap.members {
			if j != i && m.spec.Route == spec.Route {
				err = fmt.Errorf("%w: service %q: route %q is already used by backend %q", admin.ErrConflict, service, spec.Route, m.spec.Name)
			}
		}
	}
	if err != nil {
		g.mu.Unlock()
		return admin.BackendStatus{}, err
	}
	was := snap.members[i].spec.Activation
	next := snap.with(func(ms []member) []member { ms[i].spec = spec; ms[i].pending = false; return ms })
	if spec.Activation == admin.Active && was != admin.Active {
		catchUp(next, next.members[i].b)
	}
	s.snap.Store(next)
	g.mu.Unlock()
	g.log.Info("backend updated", "service", service, "backend", name, "activation", spec.Activation, "weight", spec.Weight, "route", spec.Route)
	g.persist()
	st, _ := s.backendStatus(name)
	return st, nil
}

// RemoveBackend takes a backend out of its service. Requests in flight there finish. While a
// rollout runs only a retired backend (stopped, not the rollout's own) may go: a deploy that
// drained it removes it even when a newer deploy of the service already probes.
func (g *Gateway) RemoveBackend(_ context.Context, service, name string) error {
	g.mu.Lock()
	s, err := g.lookupLocked(service, false)
	if err == nil && s.busy.Load() && !s.snap.Load().retired(name) {
		err = fmt.Errorf("removing backend %q of service %q: %w", name, service, admin.ErrBusy)
	}
	if err == nil {
		err = g.removeBackendLocked(s, name)
	}
	g.mu.Unlock()
	if err != nil {
		return err
	}
	g.log.Info("backend removed", "service", service, "backend", name)
	g.persist()
	return nil
}

func (g *Gateway) removeBackendLocked(s *service, name string) error {
	snap := s.snap.Load()
	i := snap.byName(name)
	if i < 0 {
		return fmt.Errorf("%w: backend %q of service %q", admin.ErrNotFound, name, s.name)
	}
	snap.members[i].b.stopHealth()
	s.snap.Store(snap.with(func(ms []member) []member { return slices.Delete(ms, i, i+1) }))
	return nil
}

// lookup returns a service by name.
func (g *Gateway) lookup(name string) (*service, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lookupLocked(name, false)
}

// lookupLocked returns a service; with forChange it refuses while a rollout owns it.
func (g *Gateway) lookupLocked(name string, forChange bool) (*service, error) {
	s, ok := g.services[name]
	if !ok {
		return nil, fmt.Errorf("%w: service %q", admin.ErrNotFound, name)
	}
	if forChange && s.busy.Load() {
		return nil, fmt.Errorf("changing the backends of service %q: %w", name, admin.ErrBusy)
	}
	return s, nil
}
