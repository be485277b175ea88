package admin

import (
	"fmt"
	"math"
	"time"
)

// Post-switch watch defaults and bounds (RolloutRequest.Watch).
const (
	DefaultWatchMaxErrorRate = 0.05
	DefaultWatchMinRequests  = 50
	// MaxWatchWindow bounds the window: the old containers stay up, idle, that long.
	MaxWatchWindow = 24 * time.Hour
)

// Rollout steps of the post-switch watch and the warm-up, beside the others (types.go).
const (
	// StepWarmup: the new backends got their warm-up requests before any user; Message
	// and Warmup say how they answered.
	StepWarmup = "warmup"
	// StepFlipped: the watch found the new backends failing after the switch and flipped
	// back in one table swap, old active and new draining; Watch has the figures. The
	// rollout goes on draining the new backends and ends StepReverted.
	StepFlipped = "flipped"
)

// WatchSpec asks a rollout to keep its old backends warm (draining, never stopped, even
// idle) for Window after the switch and to flip back, old active and new draining, as
// soon as the new backends answered at least MinRequests and more than MaxErrorRate of
// them failed (5xx answers and transport errors, counted since the switch). Zero fields
// but Window take their defaults (WithDefaults).
type WatchSpec struct {
	Window       Duration `json:"window"`
	MaxErrorRate float64  `json:"max_error_rate,omitempty"` // share 0 < r ≤ 1; default DefaultWatchMaxErrorRate
	MinRequests  uint64   `json:"min_requests,omitempty"`   // default DefaultWatchMinRequests
}

// WithDefaults returns w with its zero fields set to the defaults.
func (w WatchSpec) WithDefaults() WatchSpec {
	if w.MaxErrorRate == 0 {
		w.MaxErrorRate = DefaultWatchMaxErrorRate
	}
	if w.MinRequests == 0 {
		w.MinRequests = DefaultWatchMinRequests
	}
	return w
}

// Validate checks a watch spec, defaults applied or not.
func (w WatchSpec) Validate() error {
	switch {
	case w.Window <= 0 || time.Duration(w.Window) > MaxWatchWindow:
		return fmt.Errorf("%w: watch window %s: want more than 0 and at most %s", ErrInvalid, time.Duration(w.Window), MaxWatchWindow)
	case math.IsNaN(w.MaxErrorRate) || w.MaxErrorRate < 0 || w.MaxErrorRate > 1:
		return fmt.Errorf("%w: watch max_error_rate %v: want more than 0 and at most 1 (5%% is 0.05)", ErrInvalid, w.MaxErrorRate)
	}
	return nil
}

// WatchVerdict is where a post-switch watch stands.
type WatchVerdict string

// Watch verdicts.
const (
	WatchRunning WatchVerdict = "watching" // the window runs; the old backends stay warm
	WatchPassed  WatchVerdict = "passed"   // the window ended without a flip: the drain ends as usual
	WatchFlipped WatchVerdict = "flipped"  // the new backends failed: old active again, new draining
)

// WatchStatus is a post-switch watch as it runs, and as it ended (RolloutResult.Watch).
type WatchStatus struct {
	Spec WatchSpec `json:"spec"` // defaults applied
	// Started is the switch; Until is when the window ends (then the old backends may stop).
	Started time.Time `json:"started"`
	Until   time.Time `json:"until"`
	Left    Duration  `json:"left"`
	// Since is when the figures start: the switch, or the gateway's restart during the
	// window (the counters of the process before it are gone).
	Since     time.Time    `json:"since"`
	Backends  []string     `json:"backends"` // the new backends watched
	Requests  uint64       `json:"requests"` // answers and transport errors
	Failed    uint64       `json:"failed"`   // 5xx answers and transport errors
	ErrorRate float64      `json:"error_rate"`
	Verdict   WatchVerdict `json:"verdict"`
	Reason    string       `json:"reason,omitempty"` // why the verdict is what it is, in figures
}
