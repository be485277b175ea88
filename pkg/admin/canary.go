package admin

import (
	"fmt"
	"math"
	"time"
)

// Canary defaults and bounds (RolloutRequest.Canary).
const (
	DefaultCanaryWindow       = 2 * time.Minute
	DefaultCanaryMaxErrorRate = 0.05
	DefaultCanaryMaxP95Ratio  = 1.5
	DefaultCanaryMinRequests  = 100
	// MaxCanaryWindow bounds the window; a canary with too few requests at its end waits
	// as long again at most (CanaryExtension), then aborts as inconclusive.
	MaxCanaryWindow = 24 * time.Hour
	// MinCanaryShare is the smallest share a canary may have (0.01 %).
	MinCanaryShare = 0.0001
	// MaxSlowStart bounds RolloutRequest.SlowStart.
	MaxSlowStart = time.Hour
)

// CanarySpec asks a rollout to give its new backends a share of the new sessions and
// anonymous requests for a window, and to let the gateway judge them against the old ones
// before the switch. Zero fields take their defaults (WithDefaults).
type CanarySpec struct {
	// Share is the new backends' share of new sessions and anonymous requests, 0 < share < 1.
	Share  float64  `json:"share"`
	Window Duration `json:"window,omitempty"` // default DefaultCanaryWindow
	// MaxErrorRate is by how much the canary's error share (5xx and transport errors) may
	// exceed the old backends' over the same time; default DefaultCanaryMaxErrorRate.
	MaxErrorRate float64 `json:"max_error_rate,omitempty"`
	// MaxP95Ratio is the largest canary p95 latency as a multiple of the old one's; default
	// DefaultCanaryMaxP95Ratio.
	MaxP95Ratio float64 `json:"max_p95_ratio,omitempty"`
	// MinRequests is how many requests the canary must have answered before it is judged;
	// default DefaultCanaryMinRequests.
	MinRequests uint64 `json:"min_requests,omitempty"`
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c CanarySpec) WithDefaults() CanarySpec {
	if c.Window == 0 {
		c.Window = Duration(DefaultCanaryWindow)
	}
	if c.MaxErrorRate == 0 {
		c.MaxErrorRate = DefaultCanaryMaxErrorRate
	}
	if c.MaxP95Ratio == 0 {
		c.MaxP95Ratio = DefaultCanaryMaxP95Ratio
	}
	if c.MinRequests == 0 {
		c.MinRequests = DefaultCanaryMinRequests
	}
	return c
}

// Validate checks a canary spec, defaults applied or not.
func (c CanarySpec) Validate() error {
	switch {
	case math.IsNaN(c.Share) || c.Share < MinCanaryShare || c.Share >= 1:
		return fmt.Errorf("%w: canary share %v: want at least %v and less than 1 (10%% is 0.1)", ErrInvalid, c.Share, MinCanaryShare)
	case c.Window < 0 || time.Duration(c.Window) > MaxCanaryWindow:
		return fmt.Errorf("%w: canary window %s: want at most %s", ErrInvalid, time.Duration(c.Window), MaxCanaryWindow)
	case math.IsNaN(c.MaxErrorRate) || c.MaxErrorRate < 0 || c.MaxErrorRate > 1:
		return fmt.Errorf("%w: canary max_error_rate %v: want 0 to 1 (5%% is 0.05)", ErrInvalid, c.MaxErrorRate)
	case math.IsNaN(c.MaxP95Ratio) || math.IsInf(c.MaxP95Ratio, 0) || (c.MaxP95Ratio != 0 && c.MaxP95Ratio < 1):
		return fmt.Errorf("%w: canary max_p95_ratio %v: want 1 or more (1.5 allows a p95 half as long again)", ErrInvalid, c.MaxP95Ratio)
	}
	return nil
}

// CanaryVerdict is where a canary's judgement stands.
type CanaryVerdict string

// Canary verdicts.
const (
	CanaryPending CanaryVerdict = "pending" // the window runs, or too few requests reached the canary yet
	CanaryPromote CanaryVerdict = "promote" // the switch and the drain follow
	CanaryAbort   CanaryVerdict = "abort"   // the old stay active for everyone, the canary drains back
)

// CanaryFigures are one side's figures since the canary began.
type CanaryFigures struct {
	Backends  []string `json:"backends"`
	Requests  uint64   `json:"requests"` // answers and transport errors
	Failed    uint64   `json:"failed"`   // 5xx answers and transport errors
	ErrorRate float64  `json:"error_rate"`
	// P95 is the latency 95 % of the side's requests stayed under (from the gateway's
	// histogram buckets, interpolated); absent when the side answered nothing.
	P95 Duration `json:"p95,omitempty"`
}

// CanaryStatus is a canary as it runs, and as it ended (RolloutResult.Canary).
type CanaryStatus struct {
	Spec    CanarySpec `json:"spec"` // defaults applied
	Started time.Time  `json:"started"`
	// Left is how long until the window ends, or, once it ended with too few requests, until
	// the canary is given up as inconclusive.
	Left    Duration      `json:"left"`
	Old     CanaryFigures `json:"old"`
	New     CanaryFigures `json:"new"`
	Verdict CanaryVerdict `json:"verdict"`
	Reason  string        `json:"reason,omitempty"` // why the verdict is what it is, in figures
	// ByHand is set when the verdict came from `roll promote` or `roll abort`.
	ByHand bool `json:"by_hand,omitempty"`
}

// CanaryDecision is a person's verdict on a running canary (POST …/promote, …/abort).
type CanaryDecision struct {
	Reason string `json:"reason,omitempty"`
}
