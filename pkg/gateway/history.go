package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// Deploys returns a service's deploy history, newest first.
func (g *Gateway) Deploys(_ context.Context, service string) ([]admin.DeployRecord, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, err := g.lookupLocked(service, false)
	if err != nil {
		return nil, err
	}
	return slices.Clone(s.deploys), nil
}

// RecordDeploy adds a record to its service's history (the CLI records the container part
// of a deploy this way). Missing ID and Started are filled in.
func (g *Gateway) RecordDeploy(_ context.Context, rec admin.DeployRecord) error {
	if !rec.Outcome.Valid() {
		return fmt.Errorf("%w: deploy outcome %q: want succeeded, failed, rolled-back, reverted, interrupted or superseded", admin.ErrInvalid, rec.Outcome)
	}
	if rec.ID == "" {
		rec.ID = newDeployID(time.Now())
	}
	if rec.Started.IsZero() {
		rec.Started = time.Now().UTC()
	}
	g.mu.Lock()
	s, err := g.lookupLocked(rec.Service, false)
	if err == nil {
		s.addDeployLocked(rec)
	}
	g.mu.Unlock()
	if err != nil {
		return err
	}
	g.persist()
	return nil
}

// addDeployLocked puts rec first and keeps the newest maxHistory. Caller holds g.mu.
func (s *service) addDeployLocked(rec admin.DeployRecord) {
	if i := slices.IndexFunc(s.deploys, func(d admin.DeployRecord) bool { return d.ID == rec.ID }); i >= 0 {
		s.deploys = slices.Delete(s.deploys, i, i+1) // a record sent again replaces the old one
	}
	s.deploys = slices.Insert(s.deploys, 0, rec)
	if len(s.deploys) > maxHistory {
		s.deploys = s.deploys[:maxHistory]
	}
}

// newDeployID is sortable by time and unique enough for one gateway.
func newDeployID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
