package gateway

import (
	"sync"
	"time"
)

// maxSessionsPerBackend bounds the memory one backend's session tracking can take
// (about 40 bytes an entry: a key and a time in a map without pointers, which the garbage
// collector does not scan). Past it, new ids are not tracked until pruning frees room, which
// can only make a drain end early, never hang.
const maxSessionsPerBackend = 200_000

// maxSessionIDLength is the longest session id tracked: Tomcat's are 32 hex digits, a dot
// and a jvmRoute. A longer one is not a session Tomcat issued.
const maxSessionIDLength = 128

// sessionKey stands for a session id: its 64-bit FNV-1a hash. A backend's sessions are counted,
// never listed, so the id itself need not be kept: neither in memory (a map of ids is a heap of
// pointers for the garbage collector to scan, ~100 bytes an entry) nor in the state file, where a
// live session id would be a credential at rest. Two ids of one backend that hash alike count
// once, which can only end a drain early.
type sessionKey uint64

func keyOf(id string) sessionKey {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= prime
	}
	return sessionKey(h)
}

// sessionSet holds the sticky sessions seen for one backend and when each was last used.
// A session is live until it has been idle for the service's SessionIdle.
type sessionSet struct {
	mu       sync.Mutex
	lastSeen map[sessionKey]int64 // unix nanoseconds
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
	k := keyOf(id)
	s.mu.Lock()
	if _, ok := s.lastSeen[k]; ok {
		s.lastSeen[k] = now
		s.changed = true
	} else if len(s.lastSeen) < maxSessionsPerBackend {
		if s.lastSeen == nil {
			s.lastSeen = make(map[sessionKey]int64)
		}
		s.lastSeen[k] = now
		s.changed = true
	}
	s.mu.Unlock()
}

// used records a request of a known session at now; an id the backend never issued is
// ignored. It does not allocate.
func (s *sessionSet) used(id string, now int64) {
	k := keyOf(id)
	s.mu.Lock()
	if _, ok := s.lastSeen[k]; ok {
		s.lastSeen[k] = now
		s.changed = true
	}
	s.mu.Unlock()
}

// forget drops a session the backend ended (a Set-Cookie that deletes it).
func (s *sessionSet) forget(id string) {
	k := keyOf(id)
	s.mu.Lock()
	if _, ok := s.lastSeen[k]; ok {
		delete(s.lastSeen, k)
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
		s.lastSeen = make(map[sessionKey]int64, len(moved))
	}
	for k, t := range moved {
		if len(s.lastSeen) >= maxSessionsPerBackend {
			break
		}
		if t > s.lastSeen[k] {
			s.lastSeen[k] = t
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
