package main

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// sessionCookie is the cookie name Tomcat uses, which roll's gateway reads for stickiness.
const sessionCookie = "JSESSIONID"

// defaultSessionIdle matches Tomcat's default session-timeout of 30 minutes.
const defaultSessionIdle = 30 * time.Minute

// sessions keeps sessions in memory, as Tomcat does by default: they die with
// the process, which is exactly what a rolling deploy must drain around.
type sessions struct {
	route string
	idle  time.Duration
	now   func() time.Time

	mu        sync.Mutex
	byID      map[string]*session
	lastSweep time.Time
}

type session struct {
	hits     int
	lastSeen time.Time
}

func newSessions(route string, idle time.Duration, now func() time.Time) *sessions {
	return &sessions{route: route, idle: idle, now: now, byID: make(map[string]*session)}
}

// hit counts a request in the session named id and returns its id and hit
// count. An unknown, expired or foreign id (another instance's route) starts a
// new session, the way Tomcat answers a session it does not hold.
func (s *sessions) hit(id string) (sessionID string, hits int, created bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.byID[id]; ok && now.Sub(sess.lastSeen) < s.idle {
		sess.hits++
		sess.lastSeen = now
		return id, sess.hits, false
	}
	delete(s.byID, id)
	s.sweepLocked(now)
	sessionID = newSessionID(s.route)
	s.byID[sessionID] = &session{hits: 1, lastSeen: now}
	return sessionID, 1, true
}

// len reports the live sessions, for logs at shutdown.
func (s *sessions) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// sweepLocked drops idle sessions at most once a minute, so memory stays
// bounded without a goroutine to own.
func (s *sessions) sweepLocked(now time.Time) {
	if now.Sub(s.lastSweep) < time.Minute {
		return
	}
	s.lastSweep = now
	for id, sess := range s.byID {
		if now.Sub(sess.lastSeen) >= s.idle {
			delete(s.byID, id)
		}
	}
}

// newSessionID makes a Tomcat-shaped id: 32 upper-case hex digits, a dot, the route.
func newSessionID(route string) string {
	var b [16]byte
	rand.Read(b[:]) // never fails: crypto/rand panics rather than return an error
	return strings.ToUpper(hex.EncodeToString(b[:])) + "." + route
}
