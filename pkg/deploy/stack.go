package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/project"
)

// Steps of `roll up` and `roll down`.
const (
	StepUp   Step = "up"
	StepDown Step = "down"
)

// Stack brings a whole compose project up or down without docker compose.
type Stack struct {
	Engine   ProjectEngine
	Project  *project.Project
	Observer Observer
	// Connect reaches the gateway's admin API once the gateway container runs; it fails
	// until the API answers an authenticated call.
	Connect func(ctx context.Context) (Gateway, error)
}

func (s *Stack) emit(step Step, status Status, container, msg string, elapsed time.Duration) {
	if s.Observer != nil {
		s.Observer.Event(Event{Time: time.Now(), Step: step, Status: status, Container: container, Message: msg, Elapsed: elapsed})
	}
}

// Up creates what is missing: networks, volumes, the gateway, then every service in
// depends_on order. A rolled service without a running container gets its first deploy
// (ready-checked, registered in the gateway); one that runs but the gateway does not
// know is adopted. Running services are left as they are.
func (s *Stack) Up(ctx context.Context, services []string, opts Options) error {
	p := s.Project
	t0 := time.Now()
	if err := s.Engine.EnsureShared(ctx); err != nil {
		return stepErr(StepUp, ErrDocker, err)
	}
	s.emit(StepUp, StatusDone, "", "networks and volumes of "+p.Name, time.Since(t0))
	order, err := p.StartOrder(services...)
	if err != nil {
		return err
	}
	engine := s.Engine
	var gw Gateway
	if gwName := p.Settings.Gateway; gwName != "" {
		// The gateway goes first: rolled services are registered through it.
		if _, err := s.ensureRunning(ctx, engine, gwName); err != nil {
			return err
		}
		if gw, err = s.waitGateway(ctx); err != nil {
			return err
		}
	}
	for _, name := range order {
		if name == p.Settings.Gateway {
			continue
		}
		if _, rolled := p.Rolled(name); rolled {
			if err := s.upRolled(ctx, engine, gw, name, opts); err != nil {
				return err
			}
			continue
		}
		if _, err := s.ensureRunning(ctx, engine, name); err != nil {
			return err
		}
	}
	return nil
}

// ensureRunning starts the service's container unless one runs; stopped ones are removed first.
func (s *Stack) ensureRunning(ctx context.Context, e Engine, service string) (Container, error) {
	t0 := time.Now()
	cs, err := e.List(ctx, service)
	if err != nil {
		return Container{}, stepErr(StepUp, ErrDocker, err)
	}
	for _, c := range cs {
		if c.Running() {
			s.emit(StepUp, StatusDone, c.Name, c.Name+" already running", time.Since(t0))
			return c, nil
		}
	}
	for _, c := range cs {
		if err := e.Remove(ctx, c.ID); err != nil {
			return Container{}, stepErr(StepUp, ErrDocker, err)
		}
	}
	svc, err := s.Project.Service(service)
	if err != nil {
		return Container{}, err
	}
	c, err := e.Create(ctx, service, svc.Image, 0)
	if err != nil {
		return Container{}, stepErr(StepUp, ErrStart, err)
	}
	if err := e.Start(ctx, c.ID); err != nil {
		return c, stepErr(StepUp, ErrStart, err)
	}
	if c, err = e.WaitStarted(ctx, c.ID); err != nil {
		return c, stepErr(StepUp, ErrStart, err)
	}
	s.emit(StepUp, StatusDone, c.Name, c.Name+" started", time.Since(t0))
	return c, nil
}

// waitGateway waits until the gateway's admin API answers.
func (s *Stack) waitGateway(ctx context.Context) (Gateway, error) {
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var last error
	for {
		gw, err := s.Connect(ctx)
		if err == nil {
			s.emit(StepUp, StatusDone, "", "gateway admin API answers", time.Since(t0))
			return gw, nil
		}
		if errors.Is(err, admin.ErrUnauthorized) {
			return nil, stepErr(StepUp, ErrGateway, err)
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, stepErr(StepUp, ErrGateway, fmt.Errorf("the gateway's admin API did not answer within 30s: %w", last))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// upRolled deploys a rolled service that does not run yet, or adopts the one that does.
func (s *Stack) upRolled(ctx context.Context, e Engine, gw Gateway, service string, opts Options) error {
	target, err := TargetFor(s.Project, service, "")
	if err != nil {
		return err
	}
	cs, err := e.List(ctx, service)
	if err != nil {
		return stepErr(StepUp, ErrDocker, err)
	}
	running := false
	for _, c := range cs {
		running = running || c.Running()
	}
	if !running {
		d := &Deployer{Engine: e, Gateway: gw, Observer: s.Observer}
		_, err := d.Deploy(ctx, target, opts)
		return err
	}
	// Running: make sure the gateway routes to it (docker compose up, or a gateway that lost its state).
	t0 := time.Now()
	spec := target.Spec
	spec.Name = service
	if err := gw.PutService(ctx, spec); err != nil {
		return stepErr(StepUp, ErrGateway, err)
	}
	view, err := gw.Service(ctx, service)
	if err != nil {
		return stepErr(StepUp, ErrGateway, err)
	}
	plan := MakePlan(target, Observation{Containers: cs, Gateway: &view})
	if err := adopt(ctx, gw, target, plan.Adopt); err != nil {
		return stepErr(StepUp, ErrGateway, err)
	}
	msg := fmt.Sprintf("%s running: %s", service, containerNames(plan.Old))
	if len(plan.Adopt) > 0 {
		msg += " (registered with the gateway)"
	}
	s.emit(StepUp, StatusDone, "", msg, time.Since(t0))
	return nil
}

// Down removes the project's containers (gateway last, so traffic is served to the end)
// and networks, and its named volumes when volumes is set. What roll adopted rather than
// created (a stack's services and networks) stays; the engine's Remainder says what.
func (s *Stack) Down(ctx context.Context, volumes bool) error {
	p := s.Project
	t0 := time.Now()
	all, err := s.Engine.ListProject(ctx)
	if err != nil {
		return stepErr(StepDown, ErrDocker, err)
	}
	var gateway []Container
	for _, c := range all {
		if c.Stack != "" {
			continue // adopted from a stack: its owner removes it (Remainder says how)
		}
		if c.Service == p.Settings.Gateway && p.Settings.Gateway != "" {
			gateway = append(gateway, c)
			continue
		}
		if err := s.stopRemove(ctx, c); err != nil {
			return err
		}
	}
	for _, c := range gateway {
		if err := s.stopRemove(ctx, c); err != nil {
			return err
		}
	}
	if err := s.Engine.RemoveShared(ctx, volumes); err != nil {
		return stepErr(StepDown, ErrDocker, err)
	}
	msg := "networks removed"
	if volumes {
		msg = "networks and volumes removed"
	}
	s.emit(StepDown, StatusDone, "", msg, time.Since(t0))
	if r, ok := s.Engine.(Remainder); ok {
		left, err := r.Remainder(ctx)
		if err != nil {
			return stepErr(StepDown, ErrDocker, err)
		}
		if left != "" {
			s.emit(StepDown, StatusWarn, "", left, 0)
		}
	}
	return nil
}

func (s *Stack) stopRemove(ctx context.Context, c Container) error {
	t0 := time.Now()
	if c.Running() {
		if err := s.Engine.Stop(ctx, c.ID); err != nil {
			return stepErr(StepDown, ErrDocker, err)
		}
	}
	if err := s.Engine.Remove(ctx, c.ID); err != nil {
		return stepErr(StepDown, ErrDocker, err)
	}
	s.emit(StepDown, StatusDone, c.Name, c.Name+" removed", time.Since(t0))
	return nil
}
