package gateway

import (
	"strings"
	"testing"

	"github.com/rollcd/roll/pkg/admin"
)

func TestEqualWeightsAlternateStrictly(t *testing.T) {
	g := newTestGateway(t, nil)
	a, b := startNameBackend(t, "a"), startNameBackend(t, "b")
	mustPut(t, g, httpService("app"))
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: a.addr()})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b", Address: b.addr()})
	var seq strings.Builder
	for range 20 {
		_, body := get(t, g.URL+"/x", "")
		seq.WriteString(body)
	}
	s := seq.String()
	if strings.Contains(s, "aa") || strings.Contains(s, "bb") {
		t.Fatalf("sequence %q does not alternate strictly", s)
	}
}

func TestWeightsSpreadTwoToOne(t *testing.T) {
	g := newTestGateway(t, nil)
	a, b := startNameBackend(t, "a"), startNameBackend(t, "b")
	mustPut(t, g, httpService("app"))
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: a.addr(), Weight: 2})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b", Address: b.addr(), Weight: 1})
	counts := map[string]int{}
	for range 300 {
		_, body := get(t, g.URL+"/", "")
		counts[body]++
	}
	if counts["a"] < 190 || counts["a"] > 210 || counts["b"] < 90 || counts["b"] > 110 {
		t.Fatalf("counts %v, want about 200:100", counts)
	}
}

func TestPickPrefersLessBusyPerWeight(t *testing.T) {
	a, b, c := newBackend("a", "x:1"), newBackend("b", "x:2"), newBackend("c", "x:3")
	snap := &snapshot{members: []member{
		{b: a, spec: admin.BackendSpec{Name: "a", Weight: 1}},
		{b: b, spec: admin.BackendSpec{Name: "b", Weight: 2}},
		{b: c, spec: admin.BackendSpec{Name: "c", Weight: 1, Activation: admin.Draining}},
	}}
	a.inFlight.Store(2)
	b.inFlight.Store(3) // 1.5 per weight unit, less busy than a's 2
	for start := range uint32(3) {
		if i := pick(snap, start, 0, nil, false); i != 1 {
			t.Fatalf("start %d: picked %d, want b (1)", start, i)
		}
	}
	b.inFlight.Store(5) // 2.5 per unit: now a is less busy; c is draining and never picked
	if i := pick(snap, 0, 0, nil, false); i != 0 {
		t.Fatalf("picked %d, want a (0)", i)
	}
	if i := pick(snap, 0, 0, []*backend{a, b}, false); i != -1 {
		t.Fatalf("picked %d with a and b excluded, want none", i)
	}
	b.downUntil.Store(1 << 62) // passively down, not yet due for a probe
	if i := pick(snap, 0, 0, []*backend{a}, false); i != -1 {
		t.Fatalf("picked %d, want none: b is down", i)
	}
}
