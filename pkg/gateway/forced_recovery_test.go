package gateway

import (
	"net/http"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// A health check that fails once (a slow answer on a busy machine) must not take a
// backend out, and when every backend is out the gateway still tries them rather than
// answer 503 to everyone (mod_jk's forced recovery).
func TestLastBackendMarkedDownStillServes(t *testing.T) {
	g := newTestGateway(t, nil)
	nb := startNameBackend(t, "only")
	spec := httpService("app")
	spec.Health.Interval = admin.Duration(time.Hour) // no check interferes with the test
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "only", Address: nb.addr(), Activation: admin.Active})

	s, err := g.lookup("app")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.snap.Load().find(s.snap.Load().members[0].b)
	s.applyCheck(m, errTest("timeout"))
	if !m.b.healthy() {
		t.Fatal("one failed check took the backend out; it takes checkFall in a row")
	}
	s.applyCheck(m, errTest("timeout"))
	if m.b.healthy() {
		t.Fatal("two failed checks in a row must take the backend out")
	}
	if code, body := get(t, g.URL+"/", ""); code != http.StatusOK || body != "only" {
		t.Fatalf("the only backend is marked down but alive: got %d %q, want 200 from it", code, body)
	}
	s.applyCheck(m, nil)
	if !m.b.healthy() {
		t.Fatal("a good check must bring it back")
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestPickForcedIgnoresHealthButNotActivationOrExclusion(t *testing.T) {
	a, b, c := newBackend("a", "x:1"), newBackend("b", "x:2"), newBackend("c", "x:3")
	snap := &snapshot{members: []member{
		{b: a, spec: admin.BackendSpec{Name: "a", Weight: 1}},
		{b: b, spec: admin.BackendSpec{Name: "b", Weight: 1}},
		{b: c, spec: admin.BackendSpec{Name: "c", Weight: 1, Activation: admin.Draining}},
	}}
	a.checkFailed.Store(true)
	b.downUntil.Store(1 << 62)
	if i := pick(snap, 0, 0, nil, false); i != -1 {
		t.Fatalf("unforced pick = %d, want none", i)
	}
	seen := map[int]bool{}
	for start := range uint32(4) {
		seen[pick(snap, start, 0, nil, true)] = true
	}
	if seen[2] || seen[-1] || !seen[0] && !seen[1] {
		t.Fatalf("forced picks %v: want only active backends a or b", seen)
	}
	if i := pick(snap, 0, 0, []*backend{a, b}, true); i != -1 {
		t.Fatalf("forced pick with a and b tried = %d, want none", i)
	}
}
