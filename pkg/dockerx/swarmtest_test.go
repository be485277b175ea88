package dockerx

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/project"
	"github.com/rollcd/roll/pkg/swarmtest"
)

// The swarm of this test binary: joined (or created) by the first test that needs it, left
// after the last test by TestMain if the tests created it.
var swarmLease struct {
	once  sync.Once
	lease *swarmtest.Lease
	err   error
}

// requireSwarm makes the test engine an active swarm manager for the rest of the run, or
// skips the test when it cannot (fails it under CI).
func requireSwarm(t *testing.T) *Client {
	t.Helper()
	c := requireDocker(t)
	swarmLease.once.Do(func() { swarmLease.lease, swarmLease.err = swarmtest.Join() })
	if err := swarmLease.err; err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no swarm for the Swarm tests: %v", err)
		}
		t.Skipf("no swarm for the Swarm tests: %v", err)
	}
	return c
}

func leaveSwarm() error { return swarmLease.lease.Release() }

// swarmTestProject is testProject on Swarm: the project's networks are overlay networks,
// and its services, networks and volumes go when the test ends.
func swarmTestProject(t *testing.T, c *Client, suffix, compose string) *project.Project {
	t.Helper()
	p := loadTestProject(t, suffix, compose, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		services, err := c.ListServices(ctx, p.Name, "")
		if err != nil {
			t.Errorf("cleaning up: %v", err)
		}
		for _, s := range services {
			if err := c.RemoveService(ctx, s.ID); err != nil {
				t.Errorf("cleaning up: %v", err)
			}
		}
		ctrs, _ := c.List(ctx, p.Name, "")
		for _, ctr := range ctrs {
			_ = c.Remove(ctx, ctr.ID)
		}
		if err := c.RemoveSwarmNetworks(ctx, p); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
		if err := c.RemoveVolumes(ctx, p); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
	})
	ctx := testContext(t)
	if err := c.EnsureSwarmNetworks(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureVolumes(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}
