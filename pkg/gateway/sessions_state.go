package gateway

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// sessionEntry is a session as the state file takes it: its key and when it was last used.
type sessionEntry struct {
	key  sessionKey
	seen sessionStamp
}

// writeJSON writes the live sessions as a JSON object of key ("#" and 8 hex digits, never the
// id) → last-seen unix milliseconds, and clears the changed flags: the file now says what the
// set says. It copies one shard at a time into buf (returned for reuse) and writes outside the
// shard's lock, so a save of 200,000 sessions neither stalls the request path nor builds the
// object in memory first.
func (s *sessionSet) writeJSON(w *bufio.Writer, now int64, idle time.Duration, buf []sessionEntry) ([]sessionEntry, error) {
	cutoff := stampOf(now - int64(idle))
	w.WriteByte('{')
	first := true
	var line []byte
	for i := range s.shards {
		sh := &s.shards[i]
		buf = buf[:0]
		sh.mu.Lock()
		for k, t := range sh.lastSeen {
			if t >= cutoff {
				buf = append(buf, sessionEntry{k, t})
			}
		}
		sh.changed = false
		sh.mu.Unlock()
		for _, e := range buf {
			line = line[:0]
			if !first {
				line = append(line, ',')
			}
			first = false
			line = append(line, "\n\""...)
			line = e.key.append(line)
			line = append(line, "\":"...)
			line = strconv.AppendInt(line, e.seen.unixNano()/int64(time.Millisecond), 10)
			if _, err := w.Write(line); err != nil {
				return buf, err
			}
		}
	}
	err := w.WriteByte('}')
	return buf, err
}

// dirty reports whether a session was issued, used or forgotten since the last save.
func (s *sessionSet) dirty() bool {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		changed := sh.changed
		sh.mu.Unlock()
		if changed {
			return true
		}
	}
	return false
}

// String is how the state file writes a key.
func (k sessionKey) String() string { return string(k.append(nil)) }

// append appends the key as the state file writes it: "#" and 8 hex digits.
func (k sessionKey) append(b []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '#')
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, hex[(uint32(k)>>shift)&0xf])
	}
	return b
}

// parseKey reads a state file's session entry: a key as String writes it, a 64-bit key
// ("#" and 16 hex digits, written before keys took 32 bits: its top half is the key), or, in
// a file from before keys, the session id itself.
func parseKey(s string) sessionKey {
	if len(s) == 9 && s[0] == '#' {
		if v, err := strconv.ParseUint(s[1:], 16, 32); err == nil {
			return sessionKey(v)
		}
	}
	if len(s) == 17 && s[0] == '#' {
		if v, err := strconv.ParseUint(s[1:], 16, 64); err == nil {
			return sessionKey(v >> 32)
		}
	}
	return keyOf(s)
}

// load replaces the set with sessions read back from the state file (see decodeSessions).
func (s *sessionSet) load(lastSeen map[sessionKey]int64) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.lastSeen, sh.changed = nil, false
		sh.mu.Unlock()
	}
	for k, t := range lastSeen {
		sh := s.shard(k)
		sh.mu.Lock()
		if sh.lastSeen == nil {
			sh.lastSeen = make(map[sessionKey]sessionStamp)
		}
		if len(sh.lastSeen) < maxShardSessions {
			sh.lastSeen[k] = stampOf(t)
		}
		sh.mu.Unlock()
	}
}

// decodeSessions reads a backend's saved sessions, a JSON object of session key (or, in an
// older file, id) → last-seen unix milliseconds, into last-seen unix nanoseconds. The file is untrusted input: an entry
// whose id is empty or longer than maxSessionIDLength, whose time is not an integer, or that
// comes past limit sessions is skipped and counted; one idle for longer than idle at
// now is dropped as a pruning would; a time after now counts as now, so no entry outlives
// idle from the restart. Nothing (or null) is no session. It fails only when raw is not
// an object.
func decodeSessions(raw json.RawMessage, now time.Time, idle time.Duration, limit int) (lastSeen map[sessionKey]int64, skipped int, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, 0, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, 0, errors.New("reading the saved sessions: not a JSON object of session id to time")
	}
	nowMs := now.UnixMilli()
	cutoffMs := (now.UnixNano() - int64(idle)) / int64(time.Millisecond)
	lastSeen = map[sessionKey]int64{}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return lastSeen, skipped, fmt.Errorf("reading the saved sessions: %w", err)
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return lastSeen, skipped, fmt.Errorf("reading the saved sessions: %w", err)
		}
		id, _ := key.(string) // an object's keys are strings
		ms, perr := strconv.ParseInt(string(val), 10, 64)
		k := parseKey(id)
		_, known := lastSeen[k]
		if perr != nil || id == "" || len(id) > maxSessionIDLength || (!known && len(lastSeen) >= limit) {
			skipped++
			continue
		}
		if ms <= cutoffMs {
			continue // idle: no longer a live session (and no overflow below)
		}
		lastSeen[k] = max(lastSeen[k], min(ms, nowMs)*int64(time.Millisecond))
	}
	return lastSeen, skipped, nil
}

// restoreSessions gives a restored backend the sessions its entry saved, and reports
// whether it had any saved (an entry from an older file has none, nor has an unreadable
// one). Stopped backends take no traffic: their sessions are not kept. Caller holds g.mu.
func (g *Gateway) restoreSessions(s *service, spec admin.BackendSpec, sb stateBackend) bool {
	if !sb.SessionsSaved || spec.Activation == admin.Stopped {
		return false
	}
	lastSeen, skipped, err := decodeSessions(sb.Sessions, time.Now(), s.cfg.Load().sessionIdle, maxSessionsPerBackend)
	if err != nil {
		g.log.Error("saved sessions unreadable: their count is unknown", "service", s.name, "backend", spec.Name, "err", err)
		return false
	}
	if skipped > 0 {
		g.log.Warn("saved sessions skipped: malformed, id too long, or past the limit", "service", s.name, "backend", spec.Name,
			"skipped", skipped, "kept", len(lastSeen), "limit", maxSessionsPerBackend)
	}
	snap := s.snap.Load()
	snap.members[snap.byName(spec.Name)].b.sessions.load(lastSeen)
	return true
}
