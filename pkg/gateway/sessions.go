package gateway

import (
	"sync"
	"time"
)

// maxSessionsPerBackend bounds the memory one backend's session tracking can take
// (about 15 bytes an entry: a 32-bit key and a 32-bit time in maps without pointers, which
// the garbage collector does not scan). Past it, new ids are not tracked until pruning frees room, which
// can only make a drain end early, never hang. The bound holds per shard (its share), so a
// backend may refuse a new id a little before it tracks this many.
const maxSessionsPerBackend = 200_000

// maxSessionIDLength is the longest session id tracked: Tomcat's are 32 hex digits, a dot
// and a jvmRoute. A longer one is not a session Tomcat issued.
const maxSessionIDLength = 128

// sessionShards splits a backend's sessions so that what walks all of them (the live count
// behind every status, pruning, the state file's save) holds one lock over a 64th of them at a
// time: with 200,000 sessions in one map, each walk stalled the requests that touch a session
// for milliseconds (issue 8's p99 on a page that makes a session per request).
const (
	sessionShardBits = 6
	sessionShards    = 1 << sessionShardBits
	maxShardSessions = maxSessionsPerBackend / sessionShards
)

// sessionKey stands for a session id: the top 32 bits of its 64-bit FNV-1a hash. A backend's
// sessions are counted, never listed, so the id itself need not be kept: neither in memory (a map
// of ids is a heap of pointers for the garbage collector to scan, ~100 bytes an entry) nor in the
// state file, where a live session id would be a credential at rest. Two ids of one backend that
// hash alike count once (about 5 pairs among 200,000 sessions), which can only end a drain early
// when one of the two is ended by the backend while the other lives on.
type sessionKey uint32

func keyOf(id string) sessionKey {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= prime
	}
	return sessionKey(h >> 32)
}

// sessionStamp is when a session was last used: whole seconds since sessionEpoch, rounded
// down, so that a key and its time take 8 bytes. Compared with a cutoff rounded down too
// (stampOf(now-idle)), a session counts as live up to a second longer than it is, never shorter.
type sessionStamp uint32

// sessionEpoch is 2020-01-01T00:00:00Z in unix seconds; stamps reach 2156.
const sessionEpoch = 1577836800

func stampOf(unixNano int64) sessionStamp {
	s := unixNano/int64(time.Second) - sessionEpoch
	return sessionStamp(min(max(s, 0), 1<<32-1))
}

// unixNano is the stamp's time.
func (t sessionStamp) unixNano() int64 { return (int64(t) + sessionEpoch) * int64(time.Second) }

// sessionSet holds the sticky sessions seen for one backend and when each was last used.
// A session is live until it has been idle for the service's SessionIdle.
type sessionSet struct {
	shards [sessionShards]sessionShard
}

// sessionShard is the part of a set whose keys start with its index (the hash's top bits,
// the best mixed of FNV-1a's).
type sessionShard struct {
	mu       sync.Mutex
	lastSeen map[sessionKey]sessionStamp
	// changed is set when a session was issued, used or forgotten since the state file last
	// took the set (writeJSON); the session saver writes the file only then.
	changed bool
	_       [40]byte // one cache line each: the request path locks shards from every core
}

func (s *sessionSet) shard(k sessionKey) *sessionShard {
	return &s.shards[uint32(k)>>(32-sessionShardBits)]
}

// issued records a session id the backend itself handed out (Set-Cookie, or a URL it
// rewrote), used at now. Only such ids are ever tracked: a client can send any cookie, and
// counting those would let anyone hold a drain open or crowd out real sessions.
func (s *sessionSet) issued(id string, now int64) {
	if len(id) > maxSessionIDLength {
		return
	}
	k, t := keyOf(id), stampOf(now)
	sh := s.shard(k)
	sh.mu.Lock()
	if _, ok := sh.lastSeen[k]; ok {
		sh.lastSeen[k] = t
		sh.changed = true
	} else if len(sh.lastSeen) < maxShardSessions {
		if sh.lastSeen == nil {
			sh.lastSeen = make(map[sessionKey]sessionStamp)
		}
		sh.lastSeen[k] = t
		sh.changed = true
	}
	sh.mu.Unlock()
}

// used records a request of a known session at now; an id the backend never issued is
// ignored. It does not allocate.
func (s *sessionSet) used(id string, now int64) {
	k, t := keyOf(id), stampOf(now)
	sh := s.shard(k)
	sh.mu.Lock()
	if _, ok := sh.lastSeen[k]; ok {
		sh.lastSeen[k] = t
		sh.changed = true
	}
	sh.mu.Unlock()
}

// forget drops a session the backend ended (a Set-Cookie that deletes it).
func (s *sessionSet) forget(id string) {
	k := keyOf(id)
	sh := s.shard(k)
	sh.mu.Lock()
	if _, ok := sh.lastSeen[k]; ok {
		delete(sh.lastSeen, k)
		sh.changed = true
	}
	sh.mu.Unlock()
}

// live counts the sessions used within idle before now.
func (s *sessionSet) live(now int64, idle time.Duration) int64 {
	cutoff := stampOf(now - int64(idle))
	var n int64
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, t := range sh.lastSeen {
			if t >= cutoff {
				n++
			}
		}
		sh.mu.Unlock()
	}
	return n
}

// prune deletes the sessions idle for longer than idle, so memory follows the live count.
func (s *sessionSet) prune(now int64, idle time.Duration) {
	cutoff := stampOf(now - int64(idle))
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, t := range sh.lastSeen {
			if t < cutoff {
				delete(sh.lastSeen, k)
			}
		}
		sh.mu.Unlock()
	}
}

// absorb takes over the sessions of from (a backend handed off to this one), which forgets them.
// A key lives in the same shard of every set, so shards move one by one.
func (s *sessionSet) absorb(from *sessionSet) {
	for i := range from.shards {
		src, dst := &from.shards[i], &s.shards[i]
		src.mu.Lock()
		moved := src.lastSeen
		src.lastSeen, src.changed = nil, true
		src.mu.Unlock()
		if len(moved) == 0 {
			continue
		}
		dst.mu.Lock()
		if dst.lastSeen == nil {
			dst.lastSeen = make(map[sessionKey]sessionStamp, len(moved))
		}
		for k, t := range moved {
			if _, known := dst.lastSeen[k]; !known && len(dst.lastSeen) >= maxShardSessions {
				continue
			}
			if t > dst.lastSeen[k] {
				dst.lastSeen[k] = t
			}
		}
		dst.changed = true
		dst.mu.Unlock()
	}
}

// reset forgets every session, used when a backend stops: its sessions are gone with it.
func (s *sessionSet) reset() {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.lastSeen = nil
		sh.mu.Unlock()
	}
}
