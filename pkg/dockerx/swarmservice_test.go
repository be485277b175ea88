package dockerx

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
)

const swarmCompose = `
services:
  app:
    image: IMAGE
    labels: *tl
    environment:
      APP_MESSAGE: hello from a task
      PROBE_LINES: "2"
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD", "/probe", "health"]
      interval: 500ms
      timeout: 2s
      retries: 20
  lookup:
    image: IMAGE
    labels: *tl
    command: ["lookup", "rolltestRUNID-SUFFIX-app-1"]
  alias:
    image: IMAGE
    labels: *tl
    command: ["lookup", "app"]
  client:
    image: IMAGE
    labels: *tl
    command: ["get", "http://rolltestRUNID-SUFFIX-app-1:8080/"]
  crash:
    image: IMAGE
    labels: *tl
    entrypoint: ["/no-such-program"]
  missing:
    image: roll-dockerx-test-missing:RUNID
    labels: *tl
networks:
  default:
    labels: *tl
`

// TestSwarmServiceRunsOneContainerAsCompose: the Swarm service of container 1 of app is
// named like that container, starts with no task, runs one when scaled, and its task's
// container carries compose's labels (so roll's container lookups find it, as the exec
// tunnel into the gateway does), the service's name as host name, and is reached by that
// name (and by the compose service's name, its alias) from a plain container on the
// attachable overlay network, at the task's own address.
func TestSwarmServiceRunsOneContainerAsCompose(t *testing.T) {
	c := requireSwarm(t)
	p := swarmTestProject(t, c, "svc", strings.ReplaceAll(swarmCompose, "SUFFIX", "svc"))
	ctx := testContext(t)
	s, err := c.CreateService(ctx, p, "app", CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	name := p.Name + "-app-1"
	if s.Name != name || s.Number != 1 || s.Service != "app" || s.Replicas != 0 || s.Current() != nil {
		t.Fatalf("created %+v, want %s, number 1, no replica and no task", s, name)
	}
	if err := c.ScaleService(ctx, s.ID, 1); err != nil {
		t.Fatal(err)
	}
	s, err = c.WaitServiceRunning(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	task := s.Current()
	if task.State != "running" || task.Health != "healthy" || !task.Local || task.Node == "" {
		t.Fatalf("task %+v, want running and healthy on this node", task)
	}
	listed, err := c.ListServices(ctx, p.Name, "app")
	if err != nil || len(listed) != 1 || listed[0].ID != s.ID {
		t.Fatalf("ListServices = %+v, %v; want the one service", listed, err)
	}

	ctrs, err := c.List(ctx, p.Name, "app")
	if err != nil || len(ctrs) != 1 || !ctrs[0].Running() || ctrs[0].ID != task.ContainerID {
		t.Fatalf("the task's container by compose labels: %+v, %v; want the running %s", ctrs, err, task.ContainerID)
	}
	ctr := ctrs[0]
	if ctr.Hostname != name || ctr.Number != 1 || ctr.Labels[LabelEngine] != "swarm" {
		t.Errorf("task container: hostname %q number %d labels %v", ctr.Hostname, ctr.Number, ctr.Labels)
	}
	ip := ctr.Networks[p.Name+"_default"].IP
	if ip == "" {
		t.Fatalf("the task has no address on %s_default: %+v", p.Name, ctr.Networks)
	}
	if logs, code := runToExit(t, c, p, "lookup"); code != 0 || strings.TrimSpace(logs) != ip {
		t.Errorf("%s resolves to %q (exit %d), want the task's own address %s", name, strings.TrimSpace(logs), code, ip)
	}
	if logs, code := runToExit(t, c, p, "alias"); code != 0 || strings.TrimSpace(logs) != ip {
		t.Errorf("the compose service's name app resolves to %q (exit %d), want the task's address %s", strings.TrimSpace(logs), code, ip)
	}
	if logs, code := runToExit(t, c, p, "client"); code != 0 || !strings.Contains(logs, "hello from a task") {
		t.Errorf("GET http://%s:8080/: exit %d, %q", name, code, logs)
	}
	logs, err := c.ServiceLogs(ctx, s.ID, 2)
	if err != nil || !strings.Contains(logs, "line 1\nready") {
		t.Errorf("service logs (tail 2) = %q, %v; want the task's last lines", logs, err)
	}

	if err := c.StopService(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	s, err = c.InspectService(ctx, s.ID)
	if err != nil || s.Replicas != 0 {
		t.Fatalf("after the stop: %+v, %v; want no replica", s, err)
	}
	for _, task := range s.Tasks {
		if task.Live() {
			t.Errorf("task %s still %s after the stop", task.ID, task.State)
		}
	}
	if err := c.RemoveService(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InspectService(ctx, s.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the removal: %v, want ErrNotFound", err)
	}
	if ctrs, _ := c.List(ctx, p.Name, "app"); len(ctrs) != 0 {
		t.Errorf("the removal left containers %+v", ctrs)
	}
	if err := c.RemoveService(ctx, s.ID); err != nil {
		t.Errorf("removing a removed service: %v", err)
	}
}

// TestSwarmWaitFailsAtOnceWithSwarmsReason: a task whose container cannot start, or that
// Swarm rejects (its image is nowhere), fails the wait at once with what Swarm says, not at
// the timeout, although Swarm is already starting the next task.
func TestSwarmWaitFailsAtOnceWithSwarmsReason(t *testing.T) {
	c := requireSwarm(t)
	p := swarmTestProject(t, c, "fail", strings.ReplaceAll(swarmCompose, "SUFFIX", "fail"))
	for service, want := range map[string]string{"crash": "/no-such-program", "missing": "No such image"} {
		ctx := testContext(t)
		s, err := c.CreateService(ctx, p, service, CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ScaleService(ctx, s.ID, 1); err != nil {
			t.Fatal(err)
		}
		_, err = c.WaitServiceRunning(ctx, s.ID)
		t.Logf("%s: %v", service, err)
		if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: wait = %v, want ErrExited with %q", service, err, want)
		}
		if ctx.Err() != nil {
			t.Errorf("%s: the wait ran into the test's timeout", service)
		}
	}
}

// TestSwarmNetworksAreAttachableOverlays: the project's networks are made as attachable
// overlay networks with compose's labels, a bridge network of the same name (the project
// on plain Docker) is refused, and the removal waits for the endpoints Swarm still holds.
func TestSwarmNetworksAreAttachableOverlays(t *testing.T) {
	c := requireSwarm(t)
	p := swarmTestProject(t, c, "net", strings.ReplaceAll(swarmCompose, "SUFFIX", "net"))
	ctx := testContext(t)
	// At once, before Swarm may have named the new overlay's driver: the project's own network is accepted.
	if err := c.EnsureSwarmNetworks(ctx, p); err != nil {
		t.Errorf("ensuring existing networks again: %v", err)
	}
	// The manager names the driver of a new overlay once its allocator got to it.
	var n network.Inspect
	for n.Driver == "" {
		var err error
		if n, err = c.api.NetworkInspect(ctx, p.Name+"_default", network.InspectOptions{}); err != nil {
			t.Fatal(err)
		}
		if n.Driver == "" {
			select {
			case <-ctx.Done():
				t.Fatalf("network %s never named its driver: %+v", n.Name, n)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	if n.Driver != "overlay" || !n.Attachable || n.Scope != "swarm" || n.Labels[LabelProject] != p.Name || n.Labels[LabelNetwork] != "default" {
		t.Errorf("network %s: driver %s attachable %v scope %s labels %v", n.Name, n.Driver, n.Attachable, n.Scope, n.Labels)
	}

	plain := loadTestProject(t, "netplain", "services:\n  app:\n    image: IMAGE\nnetworks:\n  default:\n    labels: *tl\n", nil)
	if err := c.EnsureNetworks(ctx, plain); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.RemoveNetworks(testContext(t), plain) })
	err := c.EnsureSwarmNetworks(ctx, plain)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "bridge network") {
		t.Errorf("a bridge network under the project's name: %v, want ErrConflict naming it", err)
	}
}
