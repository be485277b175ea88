package deploy

import (
	"fmt"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/project"
)

// TargetFor describes a deploy of service from the project's compose file and
// x-roll settings; image, when set, replaces the compose file's image.
func TargetFor(p *project.Project, service, image string) (Target, error) {
	svc, err := p.Service(service)
	if err != nil {
		return Target{}, err
	}
	s, ok := p.Rolled(service)
	if !ok {
		return Target{}, fmt.Errorf("%w: service %q has no x-roll settings in %v; add `x-roll: {}` to deploy it behind the gateway %q",
			ErrNotRolled, service, p.ComposeFiles, p.Settings.Gateway)
	}
	if image == "" {
		image = svc.Image
	}
	if image == "" {
		return Target{}, fmt.Errorf("%w: service %q has no image; set `image:` or pass --image", project.ErrInvalidProject, service)
	}
	return Target{
		Project:       p.Name,
		Service:       service,
		Image:         image,
		Port:          s.Port,
		ReadyInterval: s.Ready.Interval,
		Weight:        s.Weight,
		Replicas:      s.Replicas,
		Spec:          ServiceSpec(s),
		Hooks:         s.Hooks,
		Canary:        s.Canary,
		SlowStart:     s.SlowStart,
		Dir:           p.WorkingDir,
		Watch:         watchSpec(s.Watch),
		Warmup:        warmupSpec(s.Warmup),
	}, nil
}

// ServiceSpec is the gateway's routing of a rolled service.
func ServiceSpec(s project.ServiceSettings) admin.ServiceSpec {
	return admin.ServiceSpec{
		Name:            s.Service,
		Hosts:           s.Hosts,
		PathPrefixes:    s.Paths,
		Protocol:        admin.Protocol(s.Protocol),
		Secret:          s.AJPSecret,
		PacketSize:      s.PacketSize,
		StickyCookie:    s.StickyCookie,
		StickyPathParam: s.StickyPathParam,
		SessionIdle:     admin.Duration(s.SessionIdle),
		Health: admin.HealthSpec{
			Check:        s.Ready.Check,
			Path:         s.Ready.Path,
			Interval:     admin.Duration(s.Health.Interval),
			Timeout:      admin.Duration(s.Health.Timeout),
			RecoverAfter: admin.Duration(s.Health.RecoverAfter),
		},
		Drain: admin.DrainSpec{Mode: s.Drain.Mode, Timeout: admin.Duration(s.Drain.Timeout), Check: s.Drain.Check, Hold: admin.Duration(s.Drain.Hold)},
	}
}
