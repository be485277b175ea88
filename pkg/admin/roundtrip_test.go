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
	Services() ([]ServiceStatus, error)
	Service(name string) (ServiceStatus, error)
	PutService(spec ServiceSpec) error
	DeleteService(name string) error
	AddBackend(service string, spec BackendSpec) (BackendStatus, error)
	UpdateBackend(service, backend string, patch BackendPatch) (BackendStatus, error)
	RemoveBackend(service, backend string) error
	Rollout(ctx context.Context, service string, req RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error)
	Deploys(service string) ([]DeployRecord, error)
	RecordDeploy(rec DeployRecord) error
}

// local offers a Service as an api, as the handler shows it: without secrets.
type local struct{ svc Service }

func (l local) Services() ([]ServiceStatus, error) {
	var out []ServiceStatus
	for _, s := range l.svc.Services() {
		out = append(out, withoutSecret(s))
	}
	return out, nil
}

func (l local) Service(name string) (ServiceStatus, error) {
	s, err := l.svc.Service(name)
	return withoutSecret(s), err
}

func (l local) PutService(spec ServiceSpec) error   { return l.svc.PutService(spec) }
func (l local) DeleteService(name string) error     { return l.svc.DeleteService(name) }
func (l local) RemoveBackend(svc, b string) error   { return l.svc.RemoveBackend(svc, b) }
func (l local) RecordDeploy(rec DeployRecord) error { return l.svc.RecordDeploy(rec) }

func (l local) AddBackend(svc string, spec BackendSpec) (BackendStatus, error) {
	return l.svc.AddBackend(svc, spec)
}

func (l local) UpdateBackend(svc, b string, patch BackendPatch) (BackendStatus, error) {
	return l.svc.UpdateBackend(svc, b, patch)
}

func (l local) Rollout(ctx context.Context, svc string, req RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error) {
	return l.svc.Rollout(ctx, svc, req, progress)
}

func (l local) Deploys(svc string) ([]DeployRecord, error) { return l.svc.Deploys(svc) }

var (
	_ api = (*Client)(nil)
	_ api = local{}
)

// call is one use of a Service method; it returns what the method returned.
type call struct {
	method string
	run    func(a api) (any, error)
}

func activation(a Activation) *Activation { return &a }
func weight(w int) *int                   { return &w }

var calls = []call{
	{"Services", func(a api) (any, error) { return a.Services() }},
	{"Service", func(a api) (any, error) { return a.Service("app") }},
	{"PutService", func(a api) (any, error) {
		err := a.PutService(ServiceSpec{Name: "shop", Protocol: HTTP, Hosts: []string{"*.example.com"}, Secret: "x", SessionIdle: Duration(time.Hour)})
		return nil, err
	}},
	{"DeleteService", func(a api) (any, error) { return nil, a.DeleteService("app") }},
	{"AddBackend", func(a api) (any, error) {
		return a.AddBackend("app", BackendSpec{Name: "app-2", Address: "10.0.0.3:8009", Activation: Stopped, Meta: map[string]string{"image": "app:2"}})
	}},
	{"UpdateBackend", func(a api) (any, error) {
		return a.UpdateBackend("app", "app-1", BackendPatch{Activation: activation(Draining), Weight: weight(3)})
	}},
	{"RemoveBackend", func(a api) (any, error) { return nil, a.RemoveBackend("app", "app-1") }},
	{"Rollout", func(a api) (any, error) {
		var events []RolloutEvent
		res, err := a.Rollout(context.Background(), "app", rolloutReq, func(ev RolloutEvent) { events = append(events, ev) })
		return []any{res, events}, err
	}},
	{"Deploys", func(a api) (any, error) { return a.Deploys("app") }},
	{"RecordDeploy", func(a api) (any, error) {
		return nil, a.RecordDeploy(DeployRecord{ID: "d2", Service: "app", Started: fixedTime, Outcome: "failed", Message: "not ready"})
	}},
}

// TestRoundTrip: every method through Client → Handler → Service gives what
// the Service gives in process, and leaves the Service in the same state.
func TestRoundTrip(t *testing.T) {
	for _, cl := range calls {
		t.Run(cl.method, func(t *testing.T) {
			direct, remote := newFake(), newFake()
			c, _ := clientFor(t, remote)
			want, wantErr := cl.run(local{direct})
			got, err := cl.run(c)
			if wantErr != nil || err != nil {
				t.Fatalf("direct error %v, remote error %v; want neither", wantErr, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("through the wire:\n%#v\nin process:\n%#v", got, want)
			}
			if !reflect.DeepEqual(remote.Services(), direct.Services()) || !reflect.DeepEqual(remote.deploys, direct.deploys) {
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
				_, err := cl.run(c)
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
