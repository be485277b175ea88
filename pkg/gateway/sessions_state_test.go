package gateway

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// withSavedSessions is a backend entry's tail with sessions (id → last-seen unix ms) saved.
func withSavedSessions(sessions string) string {
	return `,"sessions_saved":true,"sessions":` + sessions
}

// savedSessionsOf reads one backend's saved sessions from the state file (nil: none saved).
func savedSessionsOf(t *testing.T, path, svc, backend string) map[string]int64 {
	t.Helper()
	for _, raw := range savedService(t, path, svc).Backends {
		var sb stateBackend
		if err := json.Unmarshal(raw, &sb); err != nil {
			t.Fatalf("state file backend: %v", err)
		}
		if sb.Spec.Name != backend {
			continue
		}
		if !sb.SessionsSaved {
			return nil
		}
		var m map[string]int64
		if err := json.Unmarshal(sb.Sessions, &m); err != nil {
			t.Fatalf("saved sessions of %s: %v", backend, err)
		}
		return m
	}
	t.Fatalf("no backend %s in the state file", backend)
	return nil
}

// trackedSessions returns the keys of the sessions a backend tracks, sorted.
func trackedSessions(g *testGateway, svc, backend string) []sessionKey {
	snap := g.services[svc].snap.Load()
	b := snap.members[snap.byName(backend)].b
	return slices.Sorted(maps.Keys(b.sessions.snapshot()))
}

// keysOf returns the keys of session ids, sorted.
func keysOf(ids ...string) []sessionKey {
	out := make([]sessionKey, 0, len(ids))
	for _, id := range ids {
		out = append(out, keyOf(id))
	}
	slices.Sort(out)
	return out
}

// The state file is read as untrusted input: a session entry that cannot be one the
// backend issued is skipped, one idle past SessionIdle is dropped, one from the future
// counts from now, and sessions that are not an object at all leave the count unknown
// without costing the backend.
func TestSavedSessionsAreReadAsUntrusted(t *testing.T) {
	next, old := startNameBackend(t, "new"), startNameBackend(t, "old")
	now := time.Now()
	sessions := fmt.Sprintf(`{"S1.old":%[1]d, "":%[1]d, %[2]q:%[1]d, "bad":"yesterday", "obj":{"a":1}, "float":1.5,
		"idle.old":%[3]d, "future.old":%[4]d, "ancient":-9223372036854775808, "S1.old":%[1]d}`,
		now.UnixMilli(), strings.Repeat("X", maxSessionIDLength+1), now.Add(-2*time.Hour).UnixMilli(), now.AddDate(10, 0, 0).UnixMilli())
	path := switchedState{newAddr: next.addr(), oldAddr: old.addr(), drainStarted: now, timeout: time.Hour,
		oldExtra: withSavedSessions(sessions)}.write(t)
	g := newTestGateway(t, func(c *Config) { c.StatePath = path })
	if got := trackedSessions(g, "app", "old"); !slices.Equal(got, keysOf("S1.old", "future.old")) {
		t.Fatalf("restored sessions %q, want S1.old and future.old", got)
	}
	if b := backendOf(t, g, "app", "old"); b.Sessions != 2 || b.Activation != admin.Draining {
		t.Fatalf("old after the restore: %+v", b)
	}
	snap := g.services["app"].snap.Load()
	if seen := snap.members[snap.byName("old")].b.sessions.snapshot()[keyOf("future.old")]; seen > time.Now().UnixNano() {
		t.Fatalf("a session seen in the future stays live past SessionIdle: last seen %s", time.Unix(0, seen))
	}

	// Sessions that are no object: the backend is kept, its count unknown (the drain then
	// waits at least SessionIdle, as for a file from before sessions were saved).
	path = switchedState{newAddr: next.addr(), oldAddr: old.addr(), drainStarted: now, timeout: time.Hour,
		oldExtra: withSavedSessions(`["S1.old", 1]`)}.write(t)
	g = newTestGateway(t, func(c *Config) { c.StatePath = path })
	if got := trackedSessions(g, "app", "old"); len(got) != 0 {
		t.Fatalf("sessions from a list: %q", got)
	}
	if st, _ := g.Service(t.Context(), "app"); st.Rollout == nil || len(st.Backends) != 2 {
		t.Fatalf("after unreadable sessions: rollout %+v, backends %+v", st.Rollout, st.Backends)
	}
}

// Past the limit, saved sessions are skipped, as the backend's own tracking does.
func TestSavedSessionsAreBounded(t *testing.T) {
	now := time.Now()
	raw := fmt.Sprintf(`{"a.x":%d,"b.x":%[1]d,"a.x":%[1]d,"c.x":%[1]d,"d.x":%[1]d}`, now.UnixMilli())
	got, skipped, err := decodeSessions(json.RawMessage(raw), now, time.Hour, 3)
	if err != nil || skipped != 1 || len(got) != 3 {
		t.Fatalf("decoded %v, skipped %d, %v: want 3 kept (a duplicate is no new one), 1 skipped", got, skipped, err)
	}
	for _, id := range []string{"a.x", "b.x", "c.x"} {
		if got[keyOf(id)] != now.UnixMilli()*int64(time.Millisecond) {
			t.Errorf("%s last seen %d", id, got[keyOf(id)])
		}
	}
}

// A backend entry that says its sessions were saved, and none were, has none: the
// resumed drain needs no minimum wait and ends at once.
func TestResumedDrainWithNoSavedSessionEndsAtOnce(t *testing.T) {
	next, old := startNameBackend(t, "new"), startNameBackend(t, "old")
	path := switchedState{newAddr: next.addr(), oldAddr: old.addr(), drainStarted: time.Now(), timeout: time.Hour,
		oldExtra: withSavedSessions(`{}`)}.write(t)
	g := newTestGateway(t, func(c *Config) { c.StatePath = path })
	rec := waitDeploy(t, g, "app", "r1")
	if rec.Outcome != admin.OutcomeSucceeded || !strings.Contains(rec.Message, "drained and stopped") {
		t.Fatalf("record: %+v", rec)
	}
}

// The session saver writes a session the backend issued, and a later use of it, without
// any other change of the table; the graceful shutdown writes what is left.
func TestSessionsAreSavedWhileServing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	a := startNameBackend(t, "a")
	g := newTestGateway(t, func(c *Config) {
		c.StatePath = path
		c.sessionSaveEvery, c.sessionSaveDraining = 50*time.Millisecond, 50*time.Millisecond
	})
	mustPut(t, g, httpService("app"))
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: a.addr()})
	if s := savedSessionsOf(t, path, "app", "a"); s == nil || len(s) != 0 {
		t.Fatalf("sessions saved before any login: %v", s)
	}
	cookie, _ := login(t, g)
	id := strings.TrimPrefix(cookie, "JSESSIONID=")
	var first int64
	eventually(t, 10*time.Second, "the session in the state file", func() bool {
		first = savedSessionsOf(t, path, "app", "a")[keyOf(id).String()]
		return first != 0
	})
	eventually(t, 10*time.Second, "a later use of the session in the state file", func() bool {
		get(t, g.URL+"/page", cookie)
		return savedSessionsOf(t, path, "app", "a")[keyOf(id).String()] > first
	})
}

// Close saves the sessions as they are, though the saver would wait much longer.
func TestCloseSavesTheSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	a := startNameBackend(t, "a")
	g := newTestGateway(t, func(c *Config) {
		c.StatePath = path
		c.sessionSaveEvery, c.sessionSaveDraining = time.Hour, time.Hour
	})
	mustPut(t, g, httpService("app"))
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: a.addr()})
	cookie, _ := login(t, g)
	if s := savedSessionsOf(t, path, "app", "a"); len(s) != 0 {
		t.Fatalf("saved before Close: %v", s)
	}
	g.Close()
	if s := savedSessionsOf(t, path, "app", "a"); s[keyOf(strings.TrimPrefix(cookie, "JSESSIONID=")).String()] == 0 {
		t.Fatalf("Close did not save the session: %v", s)
	}
}

// The state file keeps sessions by key, never by id (a live id is a credential), and a key
// read back is the same session as the id it stands for, as is an id from an older file.
func TestSessionKeysInTheStateFile(t *testing.T) {
	var s sessionSet
	now := time.Now().UnixNano()
	s.issued("ABC123.tomcat1", now)
	out := exportJSON(t, &s, now, time.Hour)
	if len(out) != 1 {
		t.Fatalf("exported %v", out)
	}
	for k := range out {
		if strings.Contains(k, "ABC123") || len(k) != 9 || k[0] != '#' {
			t.Fatalf("exported key %q: want # and 8 hex digits, no id", k)
		}
		if parseKey(k) != keyOf("ABC123.tomcat1") {
			t.Fatalf("key %q reads back as another session", k)
		}
	}
	if parseKey("ABC123.tomcat1") != keyOf("ABC123.tomcat1") || parseKey("#zz") != keyOf("#zz") {
		t.Fatal("an id from an older file is not read as its key")
	}
	// 64-bit keys, as files from before 32-bit keys have them: the top half is the key.
	if k := parseKey("#9ef1c2a400000000"); k != 0x9ef1c2a4 {
		t.Fatalf("a 64-bit key reads back as %#x", uint32(k))
	}
}

// A set spread over every shard is written whole, without its idle sessions, as the JSON the
// state file's reader takes back; writing clears the changed flag and a later use sets it again.
func TestSessionSetWritesEveryShard(t *testing.T) {
	var s sessionSet
	now := time.Now()
	const n = 5000
	for i := range n {
		s.issued(fmt.Sprintf("%032X.tomcat1", i), now.UnixNano())
	}
	s.issued("idle.tomcat1", now.Add(-2*time.Hour).UnixNano())
	used := 0
	for i := range s.shards {
		if len(s.shards[i].lastSeen) > 0 {
			used++
		}
	}
	if used != sessionShards {
		t.Fatalf("%d sessions landed in %d of %d shards", n, used, sessionShards)
	}
	if !s.dirty() {
		t.Fatal("a set with new sessions is not dirty")
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if _, err := s.writeJSON(w, now.UnixNano(), time.Hour, nil); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if s.dirty() {
		t.Fatal("the set is still dirty after it was written")
	}
	back, skipped, err := decodeSessions(buf.Bytes(), now, time.Hour, maxSessionsPerBackend)
	if err != nil || skipped != 0 || len(back) != n {
		t.Fatalf("read back %d sessions (skipped %d, err %v), want %d", len(back), skipped, err, n)
	}
	if _, ok := back[keyOf("idle.tomcat1")]; ok {
		t.Fatal("an idle session was written")
	}
	// Times are kept in whole seconds, rounded down.
	if got, want := back[keyOf("00000000000000000000000000000007.tomcat1")], now.Truncate(time.Second).UnixNano(); got != want {
		t.Fatalf("a session's time reads back as %d, want %d", got, want)
	}
	s.used("00000000000000000000000000000007.tomcat1", now.UnixNano())
	if !s.dirty() {
		t.Fatal("a used session does not make the set dirty")
	}
}

// Each shard holds its share of maxSessionsPerBackend, so the bound holds for the whole set,
// also when a handoff moves another backend's sessions in.
func TestSessionSetBound(t *testing.T) {
	var s, other sessionSet
	now := time.Now().UnixNano()
	for i := range maxSessionsPerBackend + 20_000 {
		id := fmt.Sprintf("%d.tomcat1", i)
		s.issued(id, now)
		other.issued("o"+id, now)
	}
	if n := s.live(now, time.Hour); n > maxSessionsPerBackend || n < maxSessionsPerBackend*9/10 {
		t.Fatalf("tracked %d sessions, want at most (and near) %d", n, maxSessionsPerBackend)
	}
	s.absorb(&other)
	if n := s.live(now, time.Hour); n > maxSessionsPerBackend {
		t.Fatalf("after a handoff the set tracks %d sessions, more than %d", n, maxSessionsPerBackend)
	}
	if n := other.live(now, time.Hour); n != 0 {
		t.Fatalf("the handed-off set still counts %d sessions", n)
	}
}

// exportJSON writes a set as the state file does and reads the object back.
func exportJSON(t *testing.T, s *sessionSet, now int64, idle time.Duration) map[string]int64 {
	t.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if _, err := s.writeJSON(w, now, idle, nil); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	var out map[string]int64
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatalf("the sessions written are not a JSON object: %v\n%s", err, buf.Bytes())
	}
	return out
}

// snapshot copies the set, each session with its last-seen unix nanoseconds, for tests.
func (s *sessionSet) snapshot() map[sessionKey]int64 {
	out := map[sessionKey]int64{}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, t := range sh.lastSeen {
			out[k] = t.unixNano()
		}
		sh.mu.Unlock()
	}
	return out
}
