package gateway

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// What a handoff must never do, tried with backends that keep their sessions the way Tomcat's
// PersistentManager does over a store both share: in memory while they run, written to the store
// when made (a backup, soon older than the memory) and all of them as the backend stops, read
// from the store by the other backend on the first request it gets for one. A user sent to the
// new backend before the old one stopped gets the older copy: its hit count goes back.

// sharedStore is the session store of the old and the new backend: hit counts by session id.
type sharedStore struct {
	mu   sync.Mutex
	hits map[string]int
}

// storeBackend is one backend with sessions in memory over a sharedStore.
type storeBackend struct {
	route string
	store *sharedStore
	srv   *httptest.Server

	mu     sync.Mutex
	hits   map[string]int
	served int // session requests answered
}

func startStoreBackend(t *testing.T, route string, store *sharedStore) *storeBackend {
	t.Helper()
	b := &storeBackend{route: route, store: store, hits: map[string]int{}}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *storeBackend) addr() string { return b.srv.Listener.Addr().String() }

// serve counts a hit in the caller's session and answers "<route> <hits>"; /slow?ms= only
// takes that long, without touching the session.
func (b *storeBackend) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("User-Agent") == "roll-gateway-health" {
		io.WriteString(w, "ok")
		return
	}
	if r.URL.Path == "/slow" {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		io.WriteString(w, "slow")
		return
	}
	id := ""
	if c, err := r.Cookie("JSESSIONID"); err == nil {
		id = c.Value
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.hits[id]
	if !ok && id != "" {
		b.store.mu.Lock()
		n, ok = b.store.hits[id] // swap in from the store, under the same id
		b.store.mu.Unlock()
	}
	if !ok {
		id = fmt.Sprintf("S%d.%s", len(b.hits)+1, b.route)
		http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: id, Path: "/"})
	}
	n++
	b.hits[id] = n
	b.served++
	if !ok {
		b.store.mu.Lock()
		b.store.hits[id] = n // the backup of a new session; later hits stay in memory
		b.store.mu.Unlock()
	}
	fmt.Fprintf(w, "%s %d", b.route, n)
}

// stop is the container's stop: no more requests, then every session written to the store.
func (b *storeBackend) stop() {
	b.srv.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.store.mu.Lock()
	defer b.store.mu.Unlock()
	for id, n := range b.hits {
		b.store.hits[id] = n
	}
}

func (b *storeBackend) requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.served
}

// continuous checks that a sticky user's answers ("<route> <hits>", each new one recorded)
// count on without a gap: no lost update, no new session.
func continuous(t *testing.T, u *stickyUser) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	prev := -1
	for i, body := range u.bodies {
		f := strings.Fields(body)
		if len(f) != 2 {
			t.Fatalf("answer %d: %q", i, body)
		}
		n, _ := strconv.Atoi(f[1])
		if prev >= 0 && n != prev+1 {
			t.Fatalf("answer %d went from %d to %d (%q): the session lost updates; answers %v", i, prev, n, body, u.bodies)
		}
		prev = n
	}
	if prev < 0 {
		t.Fatal("the user got no answer")
	}
}

func storeHandoffService(t *testing.T, drain admin.DrainSpec) (*testGateway, *storeBackend, *storeBackend) {
	t.Helper()
	store := &sharedStore{hits: map[string]int{}}
	g := newTestGateway(t, nil)
	old := startStoreBackend(t, "old", store)
	spec := httpService("app")
	drain.Mode = admin.DrainHandoff
	spec.Drain = drain
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "old", Address: old.addr()})
	return g, old, startStoreBackend(t, "new", store)
}

// TestHandoffFallbackEndsWithAHandoff: a request in flight longer than the hold makes the
// handoff fall back to the sticky drain. When that drain times out with the user still
// active, its users must not go to the new backend while the old one runs (it would load the
// backup made at login, and the user's hits would go back to 2): the drain ends with a
// handoff, and the user goes on at the next hit.
func TestHandoffFallbackEndsWithAHandoff(t *testing.T) {
	g, old, next := storeHandoffService(t, admin.DrainSpec{Timeout: admin.Duration(1500 * time.Millisecond), Hold: admin.Duration(200 * time.Millisecond)})
	cookie, _ := login(t, g)
	slow := make(chan int, 1)
	go func() { code, _ := get(t, g.URL+"/slow?ms=800", cookie); slow <- code }()
	eventually(t, 5*time.Second, "the slow request in flight on old", func() bool { return backendOf(t, g, "app", "old").InFlight == 1 })
	user := startStickyUser(t, g.URL+"/page", cookie)

	// The deploy: asked to, it stops the old container and says so; after the rollout it
	// stops what is left (a stopped container stays stopped), which takes it a while: here
	// until the user was served by the new backend.
	log := newEventLog()
	newBeforeStop := -1
	deploy := func(ev admin.RolloutEvent) {
		log.add(ev)
		if ev.Step == admin.StepHandoff {
			newBeforeStop = next.requests()
			old.stop()
			if err := g.Handoff(t.Context(), "app", admin.HandoffReply{Rollout: ev.ID, Stopped: []string{"old"}}); err != nil {
				t.Errorf("Handoff: %v", err)
			}
		}
	}
	done := startRollout(g, deploy, admin.BackendSpec{Name: "new", Address: next.addr()})
	o := <-done
	eventually(t, 5*time.Second, "the user on the new backend", func() bool { return next.requests() > 2 })
	old.stop()
	if code := <-slow; code != http.StatusOK {
		t.Fatalf("the slow request: %d", code)
	}
	user.end()
	if len(user.failed) > 0 {
		t.Fatalf("the user saw %d failed requests: %v", len(user.failed), user.failed[:min(3, len(user.failed))])
	}
	continuous(t, user)
	if fell, ok := log.find(admin.StepDraining); !ok || !strings.Contains(fell.Message, "ends with a handoff") {
		t.Errorf("no word of the fallback: %+v", fell)
	}
	if newBeforeStop != 0 {
		t.Errorf("the new backend served %d session requests before the old one stopped (-1: never asked to stop it)", newBeforeStop)
	}
	if o.err != nil || o.res.HandedOff != 1 || !strings.Contains(o.res.HandoffFallback, "in flight") || o.res.DrainTimedOut {
		t.Errorf("rollout: %+v %v; want 1 session handed off at the end, the fallback's reason, no timeout cut", o.res, o.err)
	}
}

// TestHandoffStopSlowerThanTheHold: the deploy reports the old container stopped only after
// the hold passed. Until then its users are sent neither back to it (it is stopping) nor to
// the new backend (an older copy); a request that waited the whole hold gets a 503, the
// deploy's late answer still moves the sessions, and the user goes on without a gap.
func TestHandoffStopSlowerThanTheHold(t *testing.T) {
	hold := 300 * time.Millisecond
	g, old, next := storeHandoffService(t, admin.DrainSpec{Timeout: admin.Duration(10 * time.Second), Hold: admin.Duration(hold)})
	cookie, _ := login(t, g)
	user := startStickyUser(t, g.URL+"/page", cookie)
	eventually(t, 5*time.Second, "the user's first answers", func() bool { return old.requests() > 2 })

	log := newEventLog()
	done := startRollout(g, log.add, admin.BackendSpec{Name: "new", Address: next.addr()})
	ev := log.wait(t, admin.StepHandoff)
	atAsk := old.requests()
	time.Sleep(hold + 1500*time.Millisecond) // the container takes this long to stop
	if n := old.requests() - atAsk; n != 0 {
		t.Fatalf("the old backend served %d requests after it was asked to stop", n)
	}
	if n := next.requests(); n != 0 {
		t.Fatalf("the new backend served %d requests before the old one stopped", n)
	}
	old.stop()
	if err := g.Handoff(t.Context(), "app", admin.HandoffReply{Rollout: ev.ID, Stopped: []string{"old"}}); err != nil {
		t.Fatalf("a late answer: %v; want it taken", err)
	}
	o := <-done
	if o.err != nil || o.res.HandedOff != 1 || o.res.HandoffFallback != "" {
		t.Fatalf("rollout: %+v %v", o.res, o.err)
	}
	eventually(t, 5*time.Second, "the user on the new backend", func() bool { return next.requests() > 2 })
	user.end()
	user.mu.Lock()
	for _, f := range user.failed {
		if !strings.HasPrefix(f, "503") {
			t.Errorf("a held request failed otherwise than with a 503: %s", f)
		}
	}
	if len(user.failed) == 0 || user.slowest > hold+2*time.Second {
		t.Errorf("%d failed requests, slowest %s; want the held ones answered 503 a second after the hold of %s", len(user.failed), user.slowest, hold)
	}
	user.mu.Unlock()
	continuous(t, user)
}
