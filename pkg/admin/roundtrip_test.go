package admin

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// api is the Service's surface as both sides can offer it: the in-process
// Service (through local) and the Client over HTTP.
type api interface {
	Services(ctx context.Context) ([]ServiceStatus, error)
	Service(ctx context.Context, name string) (ServiceStatus, error)
	PutService(ctx context.Context, spec ServiceSpec) error
	DeleteService(ctx context.Context, name string) error
	AddBackend(ctx context.Context, service string, spec BackendSpec) (BackendStatus, error)
	UpdateBackend(ctx context.Context, service, backend string, patch BackendPatch) (BackendStatus, error)
	RemoveBackend(ctx context.Context, service, backend string) error
	Rollout(ctx context.Context, service string, req RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error)
	Deploys(ctx context.Context, service string) ([]DeployRecord, error)
	RecordDeploy(ctx context.Context, rec DeployRecord) error
	Handoff(ctx context.Context, service string, reply HandoffReply) error
	Switch(ctx context.Context, service string, reply SwitchReply) error
	Pause(ctx context.Context, service string, req PauseRequest) (PauseStatus, error)
	Resume(ctx context.Context, service string) (PauseStatus, error)
	StartMaintenance(ctx context.Context, service string, spec MaintenanceSpec) (MaintenanceStatus, error)
	EndMaintenance(ctx context.Context, service string) (MaintenanceStatus, error)
	PromoteCanary(ctx context.Context, service string, d CanaryDecision) (CanaryStatus, error)
	AbortCanary(ctx context.Context, service string, d CanaryDecision) (CanaryStatus, error)
}

// local offers a Service as an api, as the handler shows it: without secrets.
type local struct{ svc Service }

func (l local) Services(ctx context.Context) ([]ServiceStatus, error) {
	var out []ServiceStatus
	list, err := l.svc.Services(ctx)
	for _, s := range list {
		out = append(out, withoutSecret(s))
	}
	return out, err
}

func (l local) Service(ctx context.Context, name string) (ServiceStatus, error) {
	s, err := l.svc.Service(ctx, name)
	return withoutSecret(s), err
}

func (l local) PutService(ctx context.Context, spec ServiceSpec) error {
	return l.svc.PutService(ctx, spec)
}
func (l local) DeleteService(ctx context.Context, name string) error {
	return l.svc.DeleteService(ctx, name)
}
func (l local) RemoveBackend(ctx context.Context, svc, b string) error {
	return l.svc.RemoveBackend(ctx, svc, b)
}
func (l local) RecordDeploy(ctx context.Context, rec DeployRecord) error {
	return l.svc.RecordDeploy(ctx, rec)
}
func (l local) Handoff(ctx context.Context, svc string, reply HandoffReply) error {
	return l.svc.Handoff(ctx, svc, reply)
}

func (l local) AddBackend(ctx context.Context, svc string, spec BackendSpec) (BackendStatus, error) {
	return l.svc.AddBackend(ctx, svc, spec)
}

func (l local) UpdateBackend(ctx context.Context, svc, b string, patch BackendPatch) (BackendStatus, error) {
	return l.svc.UpdateBackend(ctx, svc, b, patch)
}

func (l local) Rollout(ctx context.Context, svc string, req RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error) {
	return l.svc.Rollout(ctx, svc, req, progress)
}

func (l local) Switch(ctx context.Context, svc string, reply SwitchReply) error {
	return l.svc.Switch(ctx, svc, reply)
}
func (l local) Pause(ctx context.Context, svc string, req PauseRequest) (PauseStatus, error) {
	return l.svc.Pause(ctx, svc, req)
}
func (l local) Resume(ctx context.Context, svc string) (PauseStatus, error) {
	return l.svc.Resume(ctx, svc)
}
func (l local) StartMaintenance(ctx context.Context, svc string, spec MaintenanceSpec) (MaintenanceStatus, error) {
	return l.svc.StartMaintenance(ctx, svc, spec)
}
func (l local) EndMaintenance(ctx context.Context, svc string) (MaintenanceStatus, error) {
	return l.svc.EndMaintenance(ctx, svc)
}

func (l local) PromoteCanary(ctx context.Context, svc string, d CanaryDecision) (CanaryStatus, error) {
	return l.svc.PromoteCanary(ctx, svc, d)
}
func (l local) AbortCanary(ctx context.Context, svc string, d CanaryDecision) (CanaryStatus, error) {
	return l.svc.AbortCanary(ctx, svc, d)
}

func (l local) Deploys(ctx context.Context, svc string) ([]DeployRecord, error) {
	return l.svc.Deploys(ctx, svc)
}

var (
	_ api = (*Client)(nil)
	_ api = local{}
)

// call is one use of a Service method; it returns what the method returned.
type call struct {
	method string
	run    func(ctx context.Context, a api) (any, error)
}

func activation(a Activation) *Activation { return &a }
func weight(w int) *int                   { return &w }

var calls = []call{
	{"Services", func(ctx context.Context, a api) (any, error) { return a.Services(ctx) }},
	{"Service", func(ctx context.Context, a api) (any, error) { return a.Service(ctx, "app") }},
	{"PutService", func(ctx context.Context, a api) (any, error) {
		err := a.PutService(ctx, ServiceSpec{Name: "shop", Protocol: HTTP, Hosts: []string{"*.example.com"}, Secret: "x", SessionIdle: Duration(time.Hour)})
		return nil, err
	}},
	{"DeleteService", func(ctx context.Context, a api) (any, error) { return nil, a.DeleteService(ctx, "app") }},
	{"AddBackend", func(ctx context.Context, a api) (any, error) {
		return a.AddBackend(ctx, "app", BackendSpec{Name: "app-2", Address: "10.0.0.3:8009", Activation: Stopped, Meta: map[string]string{"image": "app:2"}})
	}},
	{"UpdateBackend", func(ctx context.Context, a api) (any, error) {
		return a.UpdateBackend(ctx, "app", "app-1", BackendPatch{Activation: activation(Draining), Weight: weight(3)})
	}},
	{"RemoveBackend", func(ctx context.Context, a api) (any, error) { return nil, a.RemoveBackend(ctx, "app", "app-1") }},
	{"Rollout", func(ctx context.Context, a api) (any, error) {
		var events []RolloutEvent
		res, err := a.Rollout(context.Background(), "app", rolloutReq, func(ev RolloutEvent) { events = append(events, ev) })
		return []any{res, events}, err
	}},
	{"Switch", func(ctx context.Context, a api) (any, error) {
		return nil, a.Switch(ctx, "app", SwitchReply{Rollout: "d1", Abort: "pre_switch hook 1 exited 3"})
	}},
	{"Pause", func(ctx context.Context, a api) (any, error) {
		return a.Pause(ctx, "app", PauseRequest{Max: Duration(time.Minute), MaxHeld: 50})
	}},
	{"Resume", func(ctx context.Context, a api) (any, error) {
		if _, err := a.Pause(ctx, "app", PauseRequest{}); err != nil {
			return nil, err
		}
		return a.Resume(ctx, "app")
	}},
	{"StartMaintenance", func(ctx context.Context, a api) (any, error) {
		return a.StartMaintenance(ctx, "app", MaintenanceSpec{Message: "Back <soon> & \"well\"\nline two", RetryAfter: Duration(90 * time.Second)})
	}},
	{"EndMaintenance", func(ctx context.Context, a api) (any, error) {
		if _, err := a.StartMaintenance(ctx, "app", MaintenanceSpec{Message: "m"}); err != nil {
			return nil, err
		}
		return a.EndMaintenance(ctx, "app")
	}},
	{"Deploys", func(ctx context.Context, a api) (any, error) { return a.Deploys(ctx, "app") }},
	{"RecordDeploy", func(ctx context.Context, a api) (any, error) {
		return nil, a.RecordDeploy(ctx, DeployRecord{ID: "d2", Service: "app", Started: fixedTime, Outcome: "failed", Message: "not ready"})
	}},
	{"Handoff", func(ctx context.Context, a api) (any, error) {
		return nil, a.Handoff(ctx, "app", HandoffReply{Rollout: "d1", Stopped: []string{"app-1"}})
	}},
}

// TestRoundTrip: every method through Client → Handler → Service gives what
// the Service gives in process, and leaves the Service in the same state.
func TestRoundTrip(t *testing.T) {
	for _, cl := range calls {
		t.Run(cl.method, func(t *testing.T) {
			direct, remote := newFake(), newFake()
			c, _ := clientFor(t, remote)
			want, wantErr := cl.run(t.Context(), local{direct})
			got, err := cl.run(t.Context(), c)
			if wantErr != nil || err != nil {
				t.Fatalf("direct error %v, remote error %v; want neither", wantErr, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("through the wire:\n%#v\nin process:\n%#v", got, want)
			}
			if !reflect.DeepEqual(remote.statuses(), direct.statuses()) || !reflect.DeepEqual(remote.deploys, direct.deploys) ||
				!reflect.DeepEqual(remote.handoffs, direct.handoffs) || !reflect.DeepEqual(remote.switches, direct.switches) {
				t.Errorf("the Service's state differs after the call through the wire")
			}
		})
	}
}

// TestRoundTripErrors: every sentinel a Service returns from every method
// comes out of the Client as the same sentinel, with the Service's message.
func TestRoundTripErrors(t *testing.T) {
	sentinels := []error{ErrUnauthorized, ErrNotFound, ErrConflict, ErrInvalid, ErrNotReady, ErrBusy, ErrUnavailable}
	f := newFake()
	c, _ := clientFor(t, f)
	for _, cl := range calls {
		if cl.method == "Services" {
			continue // it cannot fail in process
		}
		for _, sentinel := range sentinels {
			t.Run(fmt.Sprintf("%s/%v", cl.method, sentinel), func(t *testing.T) {
				cause := fmt.Errorf("doing %s: %w", cl.method, sentinel)
				f.setFail(cause)
				defer f.setFail(nil)
				_, err := cl.run(t.Context(), c)
				if !errors.Is(err, sentinel) {
					t.Fatalf("error = %v, want %v", err, sentinel)
				}
				for _, other := range sentinels {
					if other != sentinel && errors.Is(err, other) && !sameCode(other, sentinel) {
						t.Errorf("error %v also matches %v", err, other)
					}
				}
				var we *Error
				if !errors.As(err, &we) || we.Message != cause.Error() {
					t.Errorf("wire error = %+v, want the Service's message %q", we, cause.Error())
				}
			})
		}
	}
}

// sameCode is false for every pair of distinct sentinels: each has its own code.
func sameCode(a, b error) bool {
	ea, _ := ErrorOf(a)
	eb, _ := ErrorOf(b)
	return ea.Code == eb.Code
}
