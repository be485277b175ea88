package gateway

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// stateCanary is a rollout whose new backends share the traffic before its switch (a canary
// or a slow start), as the state file keeps it from the split's start until the switch or the
// rollout's end. A restart does not resume it: the new backends are pending, so the restore
// drops them and the old serve everyone; the entry lets the restore record the rollout as
// aborted, under its id, instead of leaving no trace of it in the history.
type stateCanary struct {
	ID      string            `json:"id"`
	Started time.Time         `json:"started"`
	Meta    map[string]string `json:"meta,omitempty"`
	New     []string          `json:"new"`
	Phase   string            `json:"phase"` // "canary" or "slow start"
}

// saveSplit keeps ro's split phase in the state file; caller holds g.mu, and persists after.
func (ro *rollout) saveSplitLocked(phase string) {
	ro.s.splitting = &stateCanary{ID: ro.record.ID, Started: ro.record.Started, Meta: ro.record.Meta, New: ro.newNames, Phase: phase}
}

// decodeSplit reads a service entry's split phase. Absent is (nil, nil).
func decodeSplit(raw json.RawMessage) (*stateCanary, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var sc stateCanary
	if err := json.Unmarshal(raw, &sc); err != nil {
		return nil, fmt.Errorf("reading the canary in progress: %w", err)
	}
	if sc.ID == "" || len(sc.ID) > maxRolloutIDLength || len(sc.Phase) > 20 {
		return nil, fmt.Errorf("reading the canary in progress: its id %.40q or phase %.20q is not the gateway's", sc.ID, sc.Phase)
	}
	return &sc, nil
}

// recordSplitAbortedLocked records a rollout that a restart caught in its canary or slow start.
func (s *service) recordSplitAbortedLocked(sc *stateCanary) {
	s.addDeployLocked(admin.DeployRecord{
		ID: sc.ID, Service: s.name, Started: sc.Started, Finished: time.Now().UTC(), Meta: sc.Meta,
		Outcome: admin.OutcomeAborted,
		Message: fmt.Sprintf("the gateway restarted during the %s: the new backends %v were dropped and the old serve everyone; the deploy removes the new containers", sc.Phase, sc.New),
	})
}
