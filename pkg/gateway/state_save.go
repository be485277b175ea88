package gateway

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// stateSave is one save of the state file: what is small is encoded under g.mu, where it is
// consistent; the session sets, which can hold 200,000 entries a backend, are streamed into the
// file afterwards, shard by shard, so a save neither holds g.mu for long nor builds the whole file
// in memory (it once took ~100 MiB transiently, each 30 s, on a page that makes a session per request).
type stateSave struct {
	saved    time.Time
	services []serviceSave
}

type serviceSave struct {
	spec, deploys, rollout, canary json.RawMessage
	pause, maintenance             json.RawMessage // the gate under way (state_gate.go), nil when none
	backends                       []backendSave
}

type backendSave struct {
	spec     json.RawMessage
	pending  bool
	sessions *sessionSet // nil: not saved (pending or stopped)
	idle     time.Duration
}

// stateToSave takes what the state file says now. Caller holds g.saveMu.
func (g *Gateway) stateToSave() (*stateSave, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	list := make([]*service, 0, len(g.services))
	for _, s := range g.services {
		list = append(list, s)
	}
	slices.SortFunc(list, func(a, b *service) int { return cmp.Compare(a.name, b.name) })
	st := &stateSave{saved: time.Now().UTC()}
	var err error
	marshal := func(v any) json.RawMessage {
		raw, e := json.Marshal(v)
		err = errors.Join(err, e)
		return raw
	}
	for _, s := range list {
		cfg := s.cfg.Load()
		ss := serviceSave{spec: marshal(cfg.spec)}
		if len(s.deploys) > 0 {
			ss.deploys = marshal(s.deploys)
		}
		if s.switched != nil {
			ss.rollout = marshal(s.switched)
		}
		if s.splitting != nil {
			ss.canary = marshal(s.splitting)
		}
		var e error
		ss.pause, ss.maintenance, e = encodeGate(s)
		err = errors.Join(err, e)
		for _, m := range s.snap.Load().members {
			sb := backendSave{spec: marshal(m.spec), pending: m.pending, idle: cfg.sessionIdle}
			if !m.pending && m.spec.Activation != admin.Stopped {
				sb.sessions = &m.b.sessions
			}
			ss.backends = append(ss.backends, sb)
		}
		st.services = append(st.services, ss)
	}
	if err != nil {
		return nil, fmt.Errorf("encoding the state: %w", err)
	}
	return st, nil
}

// write writes the state file: the JSON that stateFile, stateService and stateBackend read.
func (st *stateSave) write(w *bufio.Writer) error {
	saved, err := json.Marshal(st.saved)
	if err != nil {
		return fmt.Errorf("encoding the save time: %w", err)
	}
	fmt.Fprintf(w, "{\"version\": %d,\n\"saved\": %s,\n\"services\": [", stateVersion, saved)
	now := time.Now().UnixNano()
	var buf []sessionEntry
	for i, s := range st.services {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n{\"spec\": ")
		w.Write(s.spec)
		if s.deploys != nil {
			w.WriteString(",\n\"deploys\": ")
			w.Write(s.deploys)
		}
		if s.rollout != nil {
			w.WriteString(",\n\"rollout\": ")
			w.Write(s.rollout)
		}
		if s.canary != nil {
			w.WriteString(",\n\"canary\": ")
			w.Write(s.canary)
		}
		if s.pause != nil {
			w.WriteString(",\n\"pause\": ")
			w.Write(s.pause)
		}
		if s.maintenance != nil {
			w.WriteString(",\n\"maintenance\": ")
			w.Write(s.maintenance)
		}
		w.WriteString(",\n\"backends\": [")
		for j, b := range s.backends {
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteString("\n{\"spec\": ")
			w.Write(b.spec)
			if b.pending {
				w.WriteString(", \"pending\": true")
			}
			if b.sessions != nil {
				w.WriteString(",\n\"sessions_saved\": true,\n\"sessions\": ")
				if buf, err = b.sessions.writeJSON(w, now, b.idle, buf); err != nil {
					return err
				}
			}
			w.WriteByte('}')
		}
		w.WriteString("]}")
	}
	_, err = w.WriteString("]}\n")
	return err
}
