package deploy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/project"
)

// Target is what to deploy: one service of a compose project, as roll's settings describe it.
type Target struct {
	Project string
	Service string
	Image   string // the image to deploy (compose's, or --image)
	Port    int    // the container port the gateway talks to
	// ReadyInterval is the pause between two readiness attempts of the gateway.
	ReadyInterval time.Duration
	// Weight is each new backend's share of new sessions (x-roll weight, like lbfactor).
	Weight int
	// Replicas is how many containers of the new version start (at least 1).
	Replicas int
	// Spec is the gateway's routing for the service (from x-roll), put before every deploy.
	Spec admin.ServiceSpec
	// Hooks run before the switch and after the deploy (x-roll.hooks); Dir is the project
	// directory, where local hooks run.
	Hooks project.HookSettings
	Dir   string
	// Canary, when set, starts the rollout with a canary (x-roll.canary, or --canary);
	// SlowStart ramps the new containers' share up before the old drain (x-roll.slow_start).
	Canary    *project.CanarySettings
	SlowStart time.Duration
	// Watch is the post-switch watch (x-roll.watch), Warmup the warm-up (x-roll.warmup); nil: none.
	Watch  *admin.WatchSpec
	Warmup *admin.WarmupSpec
}

// Observation is the world as a deploy finds it.
type Observation struct {
	Containers []Container
	// Gateway is the gateway's view of the service; nil when the gateway does not know it yet.
	Gateway *admin.ServiceStatus
}

// Plan is what a deploy will do, decided before anything changes. It is pure data: printable and testable.
type Plan struct {
	Service string
	Image   string
	// NewNames and NewNumbers are the containers to start, one per replica.
	NewNames   []string
	NewNumbers []int
	// Old are the containers that serve now; they drain once the new one is active.
	Old []Container
	// Adopt are running containers the gateway does not know while nothing else serves
	// (started by `docker compose up`, or the gateway lost its state): registered as active first.
	Adopt []Container
	// Leftovers are containers of earlier, interrupted deploys: removed before anything else.
	Leftovers []Container
	// StaleBackends are gateway backends whose container is gone: removed from the gateway.
	StaleBackends []string
	// Follow is the id of a rollout that already switched to this image and drains Old: the
	// deploy starts nothing, follows it to its end and retires Old (a re-run after a broken
	// stream or a gateway restart). Serving are the containers it made active.
	Follow  string
	Serving []Container
}

// MakePlan decides a deploy from an observation. It never talks to anything.
func MakePlan(t Target, obs Observation) Plan {
	p := Plan{Service: t.Service, Image: t.Image}
	backends := map[string]admin.BackendStatus{}
	serving := false
	if obs.Gateway != nil {
		for _, b := range obs.Gateway.Backends {
			backends[b.Name] = b
		}
	}
	containers := slices.Clone(obs.Containers)
	slices.SortFunc(containers, func(a, b Container) int { return a.Number - b.Number })
	names := map[string]bool{}
	for _, c := range containers {
		names[c.Name] = true
		if b, ok := backends[c.Name]; ok && c.Running() && b.Activation != admin.Stopped {
			serving = true
		}
	}
	maxNumber := 0
	for _, c := range containers {
		maxNumber = max(maxNumber, c.Number)
		b, known := backends[c.Name]
		switch {
		case !c.Running():
			p.Leftovers = append(p.Leftovers, c)
		case known && b.Activation != admin.Stopped:
			p.Old = append(p.Old, c)
		case known: // stopped in the gateway: drained by an earlier deploy that did not finish
			p.Leftovers = append(p.Leftovers, c)
		case serving: // unknown while others serve: the new container of a deploy that never switched
			p.Leftovers = append(p.Leftovers, c)
		default:
			p.Adopt = append(p.Adopt, c)
			p.Old = append(p.Old, c)
		}
	}
	for name := range backends {
		if !names[name] {
			p.StaleBackends = append(p.StaleBackends, name)
		}
	}
	slices.Sort(p.StaleBackends)
	p.follow(t, obs.Gateway, backends)
	for i := 1; i <= max(t.Replicas, 1); i++ {
		p.NewNumbers = append(p.NewNumbers, maxNumber+i)
		p.NewNames = append(p.NewNames, fmt.Sprintf("%s-%s-%d", t.Project, t.Service, maxNumber+i))
	}
	return p
}

// follow turns the plan into following a rollout that drains towards t.Image already: every
// backend it made active runs that image, and a deploy of the same image has nothing to add.
func (p *Plan) follow(t Target, gw *admin.ServiceStatus, backends map[string]admin.BackendStatus) {
	if gw == nil || gw.Rollout == nil || gw.Rollout.ID == "" || beforeSwitch(gw.Rollout.Step) {
		return
	}
	var serving, draining []Container
	for _, c := range p.Old {
		switch backends[c.Name].Activation {
		case admin.Active:
			if c.Image != t.Image {
				return
			}
			serving = append(serving, c)
		case admin.Draining:
			draining = append(draining, c)
		}
	}
	if len(serving) == 0 {
		return
	}
	p.Follow, p.Serving, p.Old = gw.Rollout.ID, serving, draining
}

// String describes the plan in one paragraph for a person.
func (p Plan) String() string {
	var b strings.Builder
	if p.Follow != "" {
		fmt.Fprintf(&b, "deploy %s: %s already serves %s; follow the gateway's rollout %s", p.Service, containerNames(p.Serving), p.Image, p.Follow)
	} else {
		fmt.Fprintf(&b, "deploy %s: start %s from %s", p.Service, strings.Join(p.NewNames, ", "), p.Image)
	}
	if len(p.Old) > 0 {
		fmt.Fprintf(&b, ", then drain and stop %s", containerNames(p.Old))
	}
	if len(p.Adopt) > 0 {
		fmt.Fprintf(&b, "; adopt %s (unknown to the gateway)", containerNames(p.Adopt))
	}
	if len(p.Leftovers) > 0 {
		fmt.Fprintf(&b, "; remove leftovers %s", containerNames(p.Leftovers))
	}
	if len(p.StaleBackends) > 0 {
		fmt.Fprintf(&b, "; forget gateway backends %s", strings.Join(p.StaleBackends, ", "))
	}
	return b.String()
}

func containerNames(cs []Container) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
