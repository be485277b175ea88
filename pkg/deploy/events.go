package deploy

import (
	"encoding/json"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// Step names one stage of a deploy. They appear, in this order, in the human
// output and as "step" in the JSON events.
type Step string

// The steps of a deploy (the contract in PRODUCT.md, step by step).
const (
	StepLoad       Step = "load"        // project loaded and validated
	StepLock       Step = "lock"        // per-service deploy lock taken
	StepObserve    Step = "observe"     // containers and the gateway's view
	StepCleanup    Step = "cleanup"     // leftovers of an interrupted deploy removed
	StepBuild      Step = "build"       // --build: image built
	StepCreate     Step = "create"      // new container created
	StepStart      Step = "start"       // new container running (and healthy, if it has a healthcheck)
	StepReady      Step = "ready"       // the gateway proved the new backend ready
	StepSwitch     Step = "switch"      // new active, old draining, acknowledged by the gateway
	StepPreSwitch  Step = "pre_switch"  // a pre_switch hook ran (x-roll.hooks), before the switch
	StepCanary     Step = "canary"      // the canary runs (x-roll.canary, --canary): its figures and verdict so far
	StepSlowStart  Step = "slow_start"  // the new containers' share of new sessions ramps up (x-roll.slow_start)
	StepWarmup     Step = "warmup"      // the gateway sent the new backends their warm-up requests (x-roll.warmup)
	StepDrain      Step = "drain"       // old backends draining: live counts
	StepWatch      Step = "watch"       // the post-switch watch's verdict (x-roll.watch): passed, or flipped back
	StepStop       Step = "stop"        // old containers stopped and removed
	StepPostDeploy Step = "post_deploy" // a post_deploy hook ran, after the stop
	StepRollback   Step = "rollback"    // the new container was removed; the old one serves
	StepDone       Step = "done"        // the final event
)

// Status says where a step is.
type Status string

// Step statuses.
const (
	StatusStart    Status = "start"
	StatusProgress Status = "progress"
	StatusDone     Status = "done"
	StatusWarn     Status = "warn"
	StatusFailed   Status = "failed"
)

// Counts are the live drain counts of one old backend.
type Counts struct {
	Backend  string `json:"backend"`
	InFlight int64  `json:"in_flight"`
	Sessions int64  `json:"sessions"`
}

// Event is one line of deploy progress: rendered for a person, or written as one JSON object per line.
type Event struct {
	Time      time.Time     `json:"time"`
	Step      Step          `json:"step"`
	Status    Status        `json:"status"`
	Service   string        `json:"service"`
	Container string        `json:"container,omitempty"`
	Image     string        `json:"image,omitempty"`
	Message   string        `json:"message,omitempty"`
	Elapsed   time.Duration `json:"-"`
	Counts    []Counts      `json:"counts,omitempty"`
	Logs      []string      `json:"logs,omitempty"` // last log lines of a failed container, or a failed hook's output
	Hook      *HookReport   `json:"hook,omitempty"` // the hook a pre_switch or post_deploy event is about
	// Canary is a canary event's figures: share, time left, old and new sides, verdict so far.
	Canary *admin.CanaryStatus `json:"canary,omitempty"`
	// Watch has the post-switch watch's figures (drain progress during the window, the
	// watch's verdict); Warmup how the new backends answered their warm-up requests.
	Watch  *admin.WatchStatus  `json:"watch,omitempty"`
	Warmup *admin.WarmupReport `json:"warmup,omitempty"`
	Result *Result             `json:"result,omitempty"`
}

// MarshalJSON adds elapsed_ms, so scripts need not parse Go durations.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return json.Marshal(struct {
		plain
		ElapsedMS int64 `json:"elapsed_ms"`
	}{plain(e), e.Elapsed.Milliseconds()})
}

// Observer receives every event of a deploy, in order, from one goroutine.
type Observer interface {
	Event(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Event calls f(e).
func (f ObserverFunc) Event(e Event) { f(e) }
