package admin

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// fakeService is an in-memory Service for the wire tests: it validates like
// the gateway would (ErrNotFound, ErrConflict, ErrInvalid) and can be told to
// fail or panic on every call.
type fakeService struct {
	mu       sync.Mutex
	services map[string]*fakeEntry
	deploys  map[string][]DeployRecord
	// fail, when set, is returned by every method that can fail.
	fail error
	// panicWith, when set, makes every method panic with it.
	panicWith any
	// rollout, when set, replaces the built-in rollout.
	rollout func(ctx context.Context, service string, req RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error)
	// lastPut is the last spec PutService accepted.
	lastPut ServiceSpec
	// handoffs are the replies Handoff accepted; switches those Switch accepted.
	handoffs []HandoffReply
	switches []SwitchReply
}

type fakeEntry struct {
	spec     ServiceSpec
	backends []BackendStatus
	pause    *PauseStatus       // the pause under way or the last one
	maint    *MaintenanceStatus // likewise
	canary   *CanaryStatus      // a canary under way
}

// fixedTime keeps JSON round trips exactly comparable.
var fixedTime = time.Date(2025, 11, 25, 19, 45, 0, 0, time.UTC)

// newFake returns a fake holding service "app" (AJP, with a secret) with one
// active backend and one deploy.
func newFake() *fakeService {
	f := &fakeService{services: map[string]*fakeEntry{}, deploys: map[string][]DeployRecord{}}
	f.services["app"] = &fakeEntry{
		spec: ServiceSpec{
			Name: "app", PathPrefixes: []string{"/app"}, Protocol: AJP, Secret: "s3cret",
			SessionIdle: Duration(30 * time.Minute),
			Health:      HealthSpec{Check: "request", Path: "/app/health.jsp", Interval: Duration(2 * time.Second)},
			Drain:       DrainSpec{Mode: "sessions", Timeout: Duration(5 * time.Minute)},
		},
		backends: []BackendStatus{{
			BackendSpec: BackendSpec{Name: "app-1", Address: "10.0.0.2:8009", Route: "app-1", Weight: 1, Activation: Active, Meta: map[string]string{"image": "app:1"}},
			Healthy:     true, InFlight: 2, Sessions: 5, Requests: 1000, Errors: 1,
			LastError: "dial tcp: refused", LastErrorAt: fixedTime,
		}},
	}
	f.deploys["app"] = []DeployRecord{{ID: "d1", Service: "app", Started: fixedTime, Finished: fixedTime.Add(time.Minute), Outcome: "succeeded", Meta: map[string]string{"image": "app:1"}}}
	return f
}

// setFail makes every call fail with err (nil: succeed again).
func (f *fakeService) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

// setPanic makes every call panic with p (nil: stop panicking).
func (f *fakeService) setPanic(p any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.panicWith = p
}

// setRollout scripts Rollout.
func (f *fakeService) setRollout(fn func(ctx context.Context, service string, req RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rollout = fn
}

func (f *fakeService) enter() error {
	if f.panicWith != nil {
		panic(f.panicWith)
	}
	return f.fail
}

func (f *fakeService) status(e *fakeEntry) ServiceStatus {
	st := ServiceStatus{ServiceSpec: e.spec, Backends: slices.Clone(e.backends)}
	if e.pause != nil {
		p := *e.pause
		st.Pause = &p
	}
	if e.maint != nil {
		m := *e.maint
		st.Maintenance = &m
	}
	return st
}

func (f *fakeService) entry(name string) (*fakeEntry, error) {
	e, ok := f.services[name]
	if !ok {
		return nil, fmt.Errorf("service %q: %w", name, ErrNotFound)
	}
	return e, nil
}

func (f *fakeService) Services(_ context.Context) ([]ServiceStatus, error) {
	return f.statuses(), f.enter()
}

// statuses lists the services by name, without failing.
func (f *fakeService) statuses() []ServiceStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ServiceStatus
	for _, name := range slices.Sorted(maps.Keys(f.services)) {
		out = append(out, f.status(f.services[name]))
	}
	return out
}

func (f *fakeService) Service(_ context.Context, name string) (ServiceStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return ServiceStatus{}, err
	}
	e, err := f.entry(name)
	if err != nil {
		return ServiceStatus{}, err
	}
	return f.status(e), nil
}

func (f *fakeService) PutService(_ context.Context, spec ServiceSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return err
	}
	if spec.Protocol != AJP && spec.Protocol != HTTP {
		return fmt.Errorf("service %q: protocol %q: want ajp or http: %w", spec.Name, spec.Protocol, ErrInvalid)
	}
	f.lastPut = spec
	if e, ok := f.services[spec.Name]; ok {
		e.spec = spec
		return nil
	}
	f.services[spec.Name] = &fakeEntry{spec: spec}
	return nil
}

func (f *fakeService) DeleteService(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return err
	}
	if _, err := f.entry(name); err != nil {
		return err
	}
	delete(f.services, name)
	return nil
}

func (f *fakeService) AddBackend(_ context.Context, service string, spec BackendSpec) (BackendStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return BackendStatus{}, err
	}
	e, err := f.entry(service)
	if err != nil {
		return BackendStatus{}, err
	}
	if spec.Name == "" || spec.Address == "" {
		return BackendStatus{}, fmt.Errorf("backend of %q: name and address are required: %w", service, ErrInvalid)
	}
	if slices.ContainsFunc(e.backends, func(b BackendStatus) bool { return b.Name == spec.Name }) {
		return BackendStatus{}, fmt.Errorf("backend %q of %q exists: %w", spec.Name, service, ErrConflict)
	}
	spec.Route = cmp.Or(spec.Route, spec.Name)
	spec.Weight = cmp.Or(spec.Weight, 1)
	st := BackendStatus{BackendSpec: spec}
	e.backends = append(e.backends, st)
	return st, nil
}

func (f *fakeService) UpdateBackend(_ context.Context, service, backend string, patch BackendPatch) (BackendStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return BackendStatus{}, err
	}
	e, err := f.entry(service)
	if err != nil {
		return BackendStatus{}, err
	}
	i := slices.IndexFunc(e.backends, func(b BackendStatus) bool { return b.Name == backend })
	if i < 0 {
		return BackendStatus{}, fmt.Errorf("backend %q of %q: %w", backend, service, ErrNotFound)
	}
	if patch.Weight != nil && *patch.Weight < 1 {
		return BackendStatus{}, fmt.Errorf("backend %q: weight %d: want 1 or more: %w", backend, *patch.Weight, ErrInvalid)
	}
	b := &e.backends[i]
	if patch.Activation != nil {
		b.Activation = *patch.Activation
	}
	if patch.Weight != nil {
		b.Weight = *patch.Weight
	}
	if patch.Route != nil {
		b.Route = *patch.Route
	}
	return *b, nil
}

func (f *fakeService) RemoveBackend(_ context.Context, service, backend string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return err
	}
	e, err := f.entry(service)
	if err != nil {
		return err
	}
	n := len(e.backends)
	e.backends = slices.DeleteFunc(e.backends, func(b BackendStatus) bool { return b.Name == backend })
	if len(e.backends) == n {
		return fmt.Errorf("backend %q of %q: %w", backend, service, ErrNotFound)
	}
	return nil
}

// Rollout runs the scripted rollout if there is one; otherwise it switches at
// once: the new backends active, the others stopped.
func (f *fakeService) Rollout(ctx context.Context, service string, req RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error) {
	f.mu.Lock()
	script, fail, p := f.rollout, f.fail, f.panicWith
	f.mu.Unlock()
	if p != nil {
		panic(p)
	}
	if fail != nil {
		return RolloutResult{}, fail
	}
	if script != nil {
		return script(ctx, service, req, progress)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.entry(service)
	if err != nil {
		return RolloutResult{}, err
	}
	if len(req.Backends) == 0 {
		return RolloutResult{}, fmt.Errorf("rollout of %q: no new backend: %w", service, ErrInvalid)
	}
	var news []BackendStatus
	for _, b := range req.Backends {
		b.Activation = Active
		news = append(news, BackendStatus{BackendSpec: b, Healthy: true})
	}
	progress(RolloutEvent{Step: StepAdded, Time: fixedTime, New: news})
	for i := range e.backends {
		e.backends[i].Activation = Stopped
	}
	e.backends = append(e.backends, news...)
	res := RolloutResult{Switched: true, ReadyAfter: Duration(time.Second), DrainedAfter: Duration(2 * time.Second)}
	progress(RolloutEvent{Step: StepSwitched, Time: fixedTime, Elapsed: Duration(time.Second)})
	progress(RolloutEvent{Step: StepDrained, Time: fixedTime, Elapsed: Duration(2 * time.Second), Result: &res})
	return res, nil
}

func (f *fakeService) Deploys(_ context.Context, service string) ([]DeployRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return nil, err
	}
	if _, err := f.entry(service); err != nil {
		return nil, err
	}
	return slices.Clone(f.deploys[service]), nil
}

func (f *fakeService) RecordDeploy(_ context.Context, rec DeployRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return err
	}
	if _, err := f.entry(rec.Service); err != nil {
		return err
	}
	if rec.ID == "" || rec.Outcome == "" {
		return fmt.Errorf("deploy record of %q: id and outcome are required: %w", rec.Service, ErrInvalid)
	}
	f.deploys[rec.Service] = append([]DeployRecord{rec}, f.deploys[rec.Service]...)
	return nil
}

// Handoff records the reply; the fake runs no rollout that could wait for one, so a reply
// for a service that has none is what the gateway answers too: a conflict.
func (f *fakeService) Handoff(_ context.Context, service string, reply HandoffReply) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return err
	}
	if _, err := f.entry(service); err != nil {
		return err
	}
	if reply.Rollout == "" {
		return fmt.Errorf("handoff reply of %q names no rollout: %w", service, ErrInvalid)
	}
	f.handoffs = append(f.handoffs, reply)
	return nil
}

// Switch records the reply, as Handoff does.
func (f *fakeService) Switch(_ context.Context, service string, reply SwitchReply) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return err
	}
	if _, err := f.entry(service); err != nil {
		return err
	}
	if reply.Rollout == "" {
		return fmt.Errorf("switch reply of %q names no rollout: %w", service, ErrInvalid)
	}
	f.switches = append(f.switches, reply)
	return nil
}

var _ Service = (*fakeService)(nil)
