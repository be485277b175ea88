package swarmengine

import (
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/dockerx"
	"github.com/rollcd/roll/pkg/project/projecttest"
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

// TestAStacksRunningTasksAreItsContainers: each running task of a stack's service is one
// container of its compose service, named as docker service ps names it, reached by its
// address on the project's network, its route its container's default host name; a task
// Swarm no longer wants running is not one. Its id leads back to the stack's service.
func TestAStacksRunningTasksAreItsContainers(t *testing.T) {
	p := projecttest.Load(t, "name: shop\nservices:\n  app:\n    image: shop:41\n")
	s := dockerx.Service{ID: "svc9", Name: "shop_app", Service: "app", Stack: "shop", Image: "shop:41", Replicas: 2, Tasks: []dockerx.Task{
		{ID: "t2", Slot: 2, State: "running", Desired: "running", Node: "n1", ContainerID: "0123456789abcdef",
			Addresses: map[string]string{"ingress": "10.0.0.7", "shop_default": "10.0.1.7"}},
		{ID: "t1", Slot: 1, State: "shutdown", Desired: "shutdown"},
	}}
	got := Engine{Project: p}.stackContainers([]dockerx.Service{s})
	want := []deploy.Container{{ID: "svc9/t2", Name: "shop_app.2", Service: "app", Image: "shop:41", Hostname: "0123456789ab",
		State: "running", Node: "n1", Address: "10.0.1.7", Stack: "shop"}}
	if len(got) != 1 || got[0] != want[0] {
		t.Fatalf("containers =\n%+v\nwant\n%+v", got, want)
	}
	if svc, ok := stackService(got[0].ID); !ok || svc != "svc9" {
		t.Errorf("stackService(%q) = %q, %v; want svc9", got[0].ID, svc, ok)
	}
	if _, ok := stackService("svc9"); ok {
		t.Error("roll's own service id is taken for a stack's task")
	}
}
