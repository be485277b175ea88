package gateway

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// stateRollout is a rollout that switched and drains, as the state file keeps it from its
// switch until it ends: a restart resumes it as the same rollout (same deploy record id,
// which the deploy CLI follows) with its drain timeout counted from the original switch.
type stateRollout struct {
	ID           string            `json:"id"`
	Started      time.Time         `json:"started"`
	Meta         map[string]string `json:"meta,omitempty"`
	New          []string          `json:"new"`
	Old          []string          `json:"old"`
	DrainTimeout admin.Duration    `json:"drain_timeout"`
	DrainStarted time.Time         `json:"drain_started"`
	// Watch and WatchUntil are the post-switch watch, kept so that a restart within its
	// window keeps the old backends warm until WatchUntil and watches on (figures from the
	// restart). Flipped is set once the watch flipped back (why): New are then the backends
	// serving again and Old the failing ones, which drain; the rollout ends reverted.
	Watch      *admin.WatchSpec `json:"watch,omitempty"`
	WatchUntil time.Time        `json:"watch_until,omitzero"`
	Flipped    string           `json:"flipped,omitempty"`
}

// maxRolloutIDLength bounds a deploy record id read back from the state file, and
// maxFlippedLength the watch's reason.
const (
	maxRolloutIDLength = 128
	maxFlippedLength   = 1024
)

// stateEntry is what the state file keeps of a rollout that switched. The slices are
// shared: they do not change after the switch.
func (ro *rollout) stateEntry() *stateRollout {
	sr := &stateRollout{
		ID:           ro.record.ID,
		Started:      ro.record.Started,
		Meta:         ro.record.Meta,
		New:          ro.newNames,
		Old:          ro.oldNames,
		DrainTimeout: admin.Duration(ro.timeout),
		DrainStarted: ro.drainStarted.UTC(),
		Flipped:      ro.flipped,
	}
	if ro.watch != nil && ro.flipped == "" {
		sr.Watch, sr.WatchUntil = &ro.watch.spec, ro.watch.until.UTC()
	}
	return sr
}

// decodeRollout reads a service entry's rollout. Absent is (nil, nil); an entry that cannot
// be the gateway's own is an error, and the drain is then resumed as from an older file.
func decodeRollout(raw json.RawMessage) (*stateRollout, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var sr stateRollout
	if err := json.Unmarshal(raw, &sr); err != nil {
		return nil, fmt.Errorf("reading the rollout in progress: %w", err)
	}
	if sr.ID == "" || len(sr.ID) > maxRolloutIDLength {
		return nil, fmt.Errorf("reading the rollout in progress: its id %.40q is empty or longer than %d bytes", sr.ID, maxRolloutIDLength)
	}
	if len(sr.Flipped) > maxFlippedLength {
		sr.Flipped = sr.Flipped[:maxFlippedLength]
	}
	if sr.Watch != nil {
		w := sr.Watch.WithDefaults()
		if err := w.Validate(); err != nil {
			// The old backends then drain as without a watch: the one part lost is the watch.
			return nil, fmt.Errorf("reading the rollout in progress: %w", err)
		}
		sr.Watch = &w
	}
	return &sr, nil
}
