package deploy

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/rollcd/roll/pkg/project"
)

// stackEngine is a project engine whose app runs as a stack's task beside one of roll's containers.
type stackEngine struct{ fakeEngine }

func (s *stackEngine) ListProject(ctx context.Context) ([]Container, error) { return s.List(ctx, "") }
func (s *stackEngine) EnsureShared(context.Context) error                   { return nil }
func (s *stackEngine) RemoveShared(context.Context, bool) error             { return nil }
func (s *stackEngine) Remainder(context.Context) (string, error) {
	return "left stack shop: docker stack rm shop removes it", nil
}

type events []Event

func (e *events) Event(ev Event) { *e = append(*e, ev) }

// TestDownLeavesWhatItAdoptedFromAStackAndSaysSo: roll down stops and removes roll's own
// containers, never a stack's task, and tells what it left of the stack.
func TestDownLeavesWhatItAdoptedFromAStackAndSaysSo(t *testing.T) {
	e := &stackEngine{fakeEngine{containers: map[string]Container{
		"svc1/t1": {ID: "svc1/t1", Name: "shop_app.1", Service: "app", State: "running", Stack: "shop"},
		"c2":      {ID: "c2", Name: "shop-app-1", Service: "app", State: "running"},
	}}}
	var seen events
	s := &Stack{Engine: e, Project: &project.Project{}, Observer: &seen}
	if err := s.Down(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(e.calls, func(c string) bool { return strings.Contains(c, "svc1/t1") }) {
		t.Errorf("down touched the stack's task: %v", e.calls)
	}
	if !slices.Contains(e.calls, "stop c2") {
		t.Errorf("down did not stop roll's container: %v", e.calls)
	}
	if last := seen[len(seen)-1]; last.Status != StatusWarn || !strings.Contains(last.Message, "docker stack rm shop") {
		t.Errorf("down's last event %+v; want a warning saying what it left of the stack", last)
	}
}

// TestAStacksTaskIsReachedByItsAddress: a container with an Address (a stack's task) is a
// backend at that address, sticky by its host name; others by their name.
func TestAStacksTaskIsReachedByItsAddress(t *testing.T) {
	tg := Target{Port: 8009}
	if b := backendFor(tg, Container{Name: "shop_app.1", Hostname: "0123456789ab", Address: "10.0.1.7"}); b.Address != "10.0.1.7:8009" || b.Route != "0123456789ab" {
		t.Errorf("stack task backend %+v; want 10.0.1.7:8009, route 0123456789ab", b)
	}
	if b := backendFor(tg, Container{Name: "shop-app-2"}); b.Address != "shop-app-2:8009" || b.Route != "shop-app-2" {
		t.Errorf("container backend %+v; want shop-app-2:8009", b)
	}
}
