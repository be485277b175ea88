package gateway

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// stateVersion is written into the state file; a newer file is refused rather than misread.
const stateVersion = 1

// stateFile is the routing table on disk. Services and backends stay raw until decoded one
// by one, so one unreadable entry costs only itself.
type stateFile struct {
	Version  int               `json:"version"`
	Saved    time.Time         `json:"saved"`
	Services []json.RawMessage `json:"services"`
}

type stateService struct {
	Spec     admin.ServiceSpec    `json:"spec"` // with its secret: the file is 0600
	Backends []json.RawMessage    `json:"backends"`
	Deploys  []admin.DeployRecord `json:"deploys,omitempty"`
	// Rollout is the rollout that switched and drains (a stateRollout), absent in files
	// written before it was kept: their drains resume without it.
	Rollout json.RawMessage `json:"rollout,omitempty"`
	// Canary is a rollout caught in its canary or slow start (a stateCanary): the restore
	// records it aborted.
	Canary json.RawMessage `json:"canary,omitempty"`
	// Pause and Maintenance are the service's gate (a statePause, a stateMaintenance), when
	// it was paused or in maintenance.
	Pause       json.RawMessage `json:"pause,omitempty"`
	Maintenance json.RawMessage `json:"maintenance,omitempty"`
}

type stateBackend struct {
	Spec admin.BackendSpec `json:"spec"`
	// Pending marks a backend of a rollout that had not switched yet: a restart drops it,
	// as a cancelled rollout would.
	Pending bool `json:"pending,omitempty"`
	// Sessions are the live sessions of a backend that is not stopped, as of the save: an
	// object of session id → last-seen unix milliseconds (see decodeSessions).
	// SessionsSaved says they were saved at all: a backend without sessions differs from
	// one in a file written before sessions were kept, whose drain cannot trust its counts.
	Sessions      json.RawMessage `json:"sessions,omitempty"`
	SessionsSaved bool            `json:"sessions_saved,omitempty"`
}

// persist writes the whole table to cfg.StatePath. A failed write is logged, not returned:
// the change already serves, and the next change writes again.
func (g *Gateway) persist() {
	if g.cfg.StatePath == "" {
		return
	}
	g.saveMu.Lock()
	defer g.saveMu.Unlock()
	st, err := g.stateToSave()
	if err == nil {
		err = writeFileAtomic(g.cfg.StatePath, st.write)
	}
	if err != nil {
		g.log.Error("state file not saved", "path", g.cfg.StatePath, "err", err)
	}
}

// writeFileAtomic replaces path with what write writes so that a crash leaves either the old
// file or the new one: temp file in the same directory, fsync, rename, fsync of the directory.
func writeFileAtomic(path string, write func(*bufio.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating a temp file next to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("restricting %s to its owner: %w", tmp.Name(), err)
	}
	bw := bufio.NewWriterSize(tmp, 64<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening %s to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// restore loads cfg.StatePath. A missing file is a first start. A file that is not JSON at
// all is moved aside (never overwritten) and the gateway starts empty; a bad service or
// backend entry is logged and skipped. Backends of a rollout that never switched are dropped;
// draining ones stay draining and the rollout that drained them resumes (resumeRollout).
func (g *Gateway) restore() error {
	data, err := os.ReadFile(g.cfg.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		g.log.Info("no state file yet, starting empty", "path", g.cfg.StatePath)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the state file: %w", err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		aside := fmt.Sprintf("%s.corrupt-%d", g.cfg.StatePath, time.Now().Unix())
		g.log.Error("state file unreadable, moved aside; starting empty", "path", g.cfg.StatePath, "moved_to", aside, "err", err)
		if err := os.Rename(g.cfg.StatePath, aside); err != nil {
			return fmt.Errorf("moving the unreadable state file aside: %w", err)
		}
		return nil
	}
	if f.Version > stateVersion {
		return fmt.Errorf("reading the state file %s: version %d is newer than this gateway's %d: upgrade roll", g.cfg.StatePath, f.Version, stateVersion)
	}
	g.mu.Lock()
	var resume []restoredService
	for i, raw := range f.Services {
		rs, ok := g.restoreService(i, raw)
		switch {
		case !ok:
		case rs.draining():
			resume = append(resume, rs)
		case rs.rollout != nil:
			rs.s.recordUnfinishedLocked(rs.rollout)
		}
	}
	g.routes.Store(buildRoutes(g.services))
	g.mu.Unlock()
	for _, rs := range resume {
		g.resumeRollout(rs.s, rs.rollout, rs.sessionsKnown)
	}
	g.log.Info("state restored", "path", g.cfg.StatePath, "services", len(g.services), "saved", f.Saved)
	g.persist() // the dropped entries go now, not at the next change
	return nil
}

// restoredService is a service read back from the state file, with what its resumed
// rollout needs.
type restoredService struct {
	s       *service
	rollout *stateRollout // the rollout that had switched, if the file kept it
	// sessionsKnown: every draining backend came with its saved sessions.
	sessionsKnown bool
}

// draining reports whether a drain was under way: some backend is draining.
func (rs restoredService) draining() bool {
	for _, m := range rs.s.snap.Load().members {
		if m.spec.Activation == admin.Draining {
			return true
		}
	}
	return false
}

// restoreService decodes one service entry. Caller holds g.mu.
func (g *Gateway) restoreService(i int, raw json.RawMessage) (restoredService, bool) {
	var ss stateService
	if err := json.Unmarshal(raw, &ss); err != nil {
		g.log.Error("state entry skipped: service unreadable", "index", i, "err", err)
		return restoredService{}, false
	}
	spec, err := normalizeService(ss.Spec)
	if err != nil {
		g.log.Error("state entry skipped: service invalid", "index", i, "service", ss.Spec.Name, "err", err)
		return restoredService{}, false
	}
	if _, dup := g.services[spec.Name]; dup {
		g.log.Error("state entry skipped: service listed twice", "index", i, "service", spec.Name)
		return restoredService{}, false
	}
	if rt, clash := buildRoutes(g.services).conflict(spec.Name, spec.Hosts, spec.PathPrefixes); clash {
		g.log.Error("state entry skipped: route taken", "service", spec.Name, "by", rt.svc.name)
		return restoredService{}, false
	}
	s := g.newService(spec)
	g.services[spec.Name] = s
	rs := restoredService{s: s, sessionsKnown: true}
	for j, rawB := range ss.Backends {
		var sb stateBackend
		if err := json.Unmarshal(rawB, &sb); err != nil {
			g.log.Error("state entry skipped: backend unreadable", "service", spec.Name, "index", j, "err", err)
			continue
		}
		if sb.Pending {
			g.log.Warn("backend of an unfinished rollout dropped", "service", spec.Name, "backend", sb.Spec.Name)
			continue
		}
		bs, err := normalizeBackend(spec.Name, sb.Spec)
		if err == nil {
			err = g.addBackendLocked(s, bs, false)
		}
		if err != nil {
			g.log.Error("state entry skipped: backend invalid", "service", spec.Name, "index", j, "err", err)
			continue
		}
		known := g.restoreSessions(s, bs, sb)
		if bs.Activation == admin.Draining && !known {
			rs.sessionsKnown = false
		}
	}
	if len(ss.Deploys) > maxHistory {
		ss.Deploys = ss.Deploys[:maxHistory]
	}
	s.deploys = ss.Deploys
	g.restoreGate(s, ss.Pause, ss.Maintenance, time.Now())
	if rs.rollout, err = decodeRollout(ss.Rollout); err != nil {
		g.log.Error("state entry partly skipped: its drain resumes as a new rollout", "service", spec.Name, "err", err)
	}
	if sc, err := decodeSplit(ss.Canary); err != nil {
		g.log.Error("state entry partly skipped: the canary in progress is unreadable", "service", spec.Name, "err", err)
	} else if sc != nil {
		g.log.Warn("rollout caught in its canary or slow start by a restart: aborted", "service", spec.Name, "rollout", sc.ID)
		s.recordSplitAbortedLocked(sc)
	}
	return rs, true
}
