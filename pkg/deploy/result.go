package deploy

import (
	"encoding/json"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// Outcomes of a deploy: the admin contract's, which the gateway's history records too.
const (
	OutcomeSucceeded   = admin.OutcomeSucceeded
	OutcomeRolledBack  = admin.OutcomeRolledBack
	OutcomeReverted    = admin.OutcomeReverted
	OutcomeInterrupted = admin.OutcomeInterrupted
	OutcomeFailed      = admin.OutcomeFailed
	OutcomeSuperseded  = admin.OutcomeSuperseded
)

// Durations splits a deploy's time into its parts.
type Durations struct {
	Start  time.Duration // create + start + running (and Docker-healthy)
	Ready  time.Duration // the gateway's readiness checks
	Switch time.Duration // the atomic switch, acknowledged
	Drain  time.Duration // until the old backends were idle (or the drain timeout)
	Stop   time.Duration // stop and remove the old containers
	Total  time.Duration
}

// MarshalJSON writes milliseconds.
func (d Durations) MarshalJSON() ([]byte, error) {
	ms := func(x time.Duration) int64 { return x.Milliseconds() }
	return json.Marshal(map[string]int64{
		"start_ms": ms(d.Start), "ready_ms": ms(d.Ready), "switch_ms": ms(d.Switch),
		"drain_ms": ms(d.Drain), "stop_ms": ms(d.Stop), "total_ms": ms(d.Total),
	})
}

// Result is what a deploy did; it is the last JSON event's "result".
type Result struct {
	Outcome       admin.Outcome `json:"outcome"`
	Service       string        `json:"service"`
	Image         string        `json:"image"`
	PreviousImage string        `json:"previous_image,omitempty"`
	New           []string      `json:"new,omitempty"` // the new containers' names, one per replica
	Old           []string      `json:"old,omitempty"` // the old containers' names
	FailedStep    Step          `json:"failed_step,omitempty"`
	Error         string        `json:"error,omitempty"`
	DrainTimedOut bool          `json:"drain_timed_out,omitempty"`
	// SessionsHandedOff counts the live sessions a handoff (drain mode handoff) moved to the
	// new containers; HandoffFallback says why a handoff was given up for the sticky drain.
	SessionsHandedOff int64  `json:"sessions_handed_off,omitempty"`
	HandoffFallback   string `json:"handoff_fallback,omitempty"`
	// Hooks are the hooks that ran, in order; a failed one is the last of its step.
	Hooks []HookReport `json:"hooks,omitempty"`
	// Canary is the canary's last figures and verdict, promoted or aborted.
	Canary *admin.CanaryStatus `json:"canary,omitempty"`
	// Watch is how the post-switch watch ended, with its figures (a flip back: outcome
	// reverted); Warmup how the new containers answered their warm-up requests.
	Watch     *admin.WatchStatus  `json:"watch,omitempty"`
	Warmup    *admin.WarmupReport `json:"warmup,omitempty"`
	Durations Durations           `json:"durations"`
}
