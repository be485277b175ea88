package swarmengine

import (
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/dockerx"
)

// TestAServiceIsTheContainerOfItsCurrentTask: the core sees the service's current task (the
// newest one Swarm wants running) as the container: its state, health and node; the name,
// number and image are the service's.
func TestAServiceIsTheContainerOfItsCurrentTask(t *testing.T) {
	created := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	s := dockerx.Service{ID: "svc1", Name: "shop-app-2", Service: "app", Image: "shop:42", Number: 2, Hostname: "shop-app-2", Created: created,
		Tasks: []dockerx.Task{
			{ID: "t3", State: "running", Desired: "running", Node: "node-b", Health: "healthy"},
			{ID: "t2", State: "failed", Desired: "shutdown", Node: "node-a"},
		}}
	want := deploy.Container{ID: "svc1", Name: "shop-app-2", Service: "app", Image: "shop:42", Number: 2, Hostname: "shop-app-2",
		State: "running", Health: "healthy", Node: "node-b", Created: created}
	if got := fromService(s); got != want {
		t.Errorf("container =\n%+v\nwant\n%+v", got, want)
	}
	for tasks, state := range map[string]string{"": "created", "pending": "created", "starting": "starting", "running": "running",
		"failed": "exited", "shutdown": "exited", "rejected": "exited", "complete": "exited"} {
		s.Tasks = nil
		if tasks != "" {
			s.Tasks = []dockerx.Task{{State: tasks, Desired: "running"}}
		}
		if got := fromService(s).State; got != state {
			t.Errorf("task %q: container state %q, want %q", tasks, got, state)
		}
	}
}
