package deploy

import (
	"encoding/json"
	"time"
)

// Outcomes of a deploy.
const (
	OutcomeSucceeded   = "succeeded"   // new serving, old drained and removed
	OutcomeRolledBack  = "rolled-back" // the new container failed; removed; old still serving
	OutcomeReverted    = "reverted"    // the new backend failed after the switch; the gateway flipped back
	OutcomeInterrupted = "interrupted" // cancelled; the old version still serves; a re-run converges
	OutcomeFailed      = "failed"      // failed before anything changed
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
	Outcome       string    `json:"outcome"`
	Service       string    `json:"service"`
	Image         string    `json:"image"`
	PreviousImage string    `json:"previous_image,omitempty"`
	New           string    `json:"new,omitempty"` // the new container's name
	Old           []string  `json:"old,omitempty"` // the old containers' names
	FailedStep    Step      `json:"failed_step,omitempty"`
	Error         string    `json:"error,omitempty"`
	DrainTimedOut bool      `json:"drain_timed_out,omitempty"`
	Durations     Durations `json:"durations"`
}
