package gateway

import (
	"strings"
	"sync"
	"time"
)

// maxSessionsPerBackend bounds the memory one backend's session tracking can take
// (roughly 100 bytes an entry). Past it, new ids are not tracked until pruning frees room,
// which can only make a drain end early, never hang.
const maxSessionsPerBackend = 200_000

// maxSessionIDLength is the longest session id tracked: Tomcat's are 32 hex digits, a dot
// and a jvmRoute. A longer one is not a session Tomcat issued.
const maxSessionIDLength = 128

// sessionSet holds the sticky session ids seen for one backend and when each was last used.
// A session is live until it has been idle for the service's SessionIdle.
type sessionSet struct {
	mu       sync.Mutex
	lastSeen map[string]int64 // unix nanoseconds
	// changed is set when a session was issued, used or forgotten since the state file last
	// took the set (export); the session saver writes the file only then.
	changed bool
}

// issued records a session id the backend itself handed out (Set-Cookie, or a URL it
// rewrote), used at now. Only such ids are ever tracked: a client can send any cookie, and
// counting those would let anyone hold a drain open or crowd out real sessions.
func (s *sessionSet) issued(id string, now int64) {
	if len(id) > maxSessionIDLength {
		return
	}
	s.mu.Lock()
	if _, ok := s.lastSeen[id]; ok {
		s.lastSeen[id] = now
		s.changed = true
	} else if len(s.lastSeen) < maxSessionsPerBackend {
		if s.lastSeen == nil {
			s.lastSeen = make(map[string]int64)
		}
		s.lastSeen[strings.Clone(id)] = now
		s.changed = true
	}
	s.mu.Unlock()
}

// used records a request of a known session at now; an id the backend never issued is
// ignored. It does not allocate.
func (s *sessionSet) used(id string, now int64) {
	s.mu.Lock()
	if _, ok := s.lastSeen[id]; ok {
		s.lastSeen[id] = now
		s.changed = true
	}
	s.mu.Unlock()
}

// forget drops a session the backend ended (a Set-Cookie that deletes it).
func (s *sessionSet) forget(id string) {
	s.mu.Lock()
	if _, ok := s.lastSeen[id]; ok {
		delete(s.lastSeen, id)
		s.changed = true
	}
	s.mu.Unlock()
}

// live counts the sessions used within idle before now.
func (s *sessionSet) live(now int64, idle time.Duration) int64 {
	cutoff := now - int64(idle)
	var n int64
	s.mu.Lock()
	for _, t := range s.lastSeen {
		if t > cutoff {
			n++
		}
	}
	s.mu.Unlock()
	return n
}

// prune deletes the sessions idle for longer than idle, so memory follows the live count.
func (s *sessionSet) prune(now int64, idle time.Duration) {
	cutoff := now - int64(idle)
	s.mu.Lock()
	for id, t := range s.lastSeen {
		if t <= cutoff {
			delete(s.lastSeen, id)
		}
	}
	s.mu.Unlock()
}

// absorb takes over the sessions of from (a backend handed off to this one), which forgets them.
func (s *sessionSet) absorb(from *sessionSet) {
	from.mu.Lock()
	moved := from.lastSeen
	from.lastSeen, from.changed = nil, true
	from.mu.Unlock()
	if len(moved) == 0 {
		return
	}
	s.mu.Lock()
	if s.lastSeen == nil {
		s.lastSeen = make(map[string]int64, len(moved))
	}
	for id, t := range moved {
		if len(s.lastSeen) >= maxSessionsPerBackend {
			break
		}
		if t > s.lastSeen[id] {
			s.lastSeen[id] = t
		}
	}
	s.changed = true
	s.mu.Unlock()
}

// reset forgets every session, used when a backend stops: its sessions are gone with it.
func (s *sessionSet) reset() {
	s.mu.Lock()
	s.lastSeen = nil
	s.mu.Unlock()
}
