package e2e

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/swarmtest"
)

// The swarm of the Swarm scenarios: joined, or created on this engine (docker swarm init
// --advertise-addr 127.0.0.1), by the first scenario that needs it, and left by TestMain
// after the last test only if the tests created it. A swarm that was there is used as it is.
var testSwarm struct {
	once  sync.Once
	lease *swarmtest.Lease
	err   error
}

// requireSwarm makes the engine an active single-node swarm manager for the rest of the
// run; without one the test skips, or fails under CI.
func requireSwarm(t *testing.T) {
	t.Helper()
	testSwarm.once.Do(func() {
		testSwarm.lease, testSwarm.err = swarmtest.Join()
		if testSwarm.err == nil {
			t.Logf("swarm: created by the tests: %v", testSwarm.lease.Created)
		}
	})
	if err := testSwarm.err; err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no swarm for the Swarm scenarios: %v", err)
		}
		t.Skipf("no swarm for the Swarm scenarios: %v", err)
	}
}

func leaveSwarm() error { return testSwarm.lease.Release() }

// upSwarmApp brings the Go example app up as Swarm services (engine: swarm) and waits until
// the gateway serves v1.
func upSwarmApp(t *testing.T, spec projectSpec) *project {
	t.Helper()
	requireSwarm(t)
	spec.Swarm = true
	return upGoApp(t, spec)
}

// taskContainer returns the running container of a Swarm service's task on this node.
func taskContainer(t *testing.T, service string) string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-q", "--no-trunc", "--filter", "label=com.docker.swarm.service.name="+service).Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	ids := strings.Fields(string(out))
	if len(ids) != 1 {
		t.Fatalf("service %s runs containers %v, want one", service, ids)
	}
	return ids[0]
}

// backendHealth returns whether the gateway counts a backend of the app as healthy, and
// whether it knows it.
func (st statusJSON) backendHealth(name string) (healthy, known bool) {
	for _, s := range st.Services {
		for _, c := range s.Containers {
			if c.Name == name && c.Backend != nil {
				return c.Backend.Healthy, true
			}
		}
	}
	return false, false
}

// waitBackend polls roll status until the app's backend name is healthy (or not), and fails
// the test after a minute.
func (p *project) waitBackend(name string, healthy bool) {
	p.t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		if h, ok := p.status().backendHealth(name); ok && h == healthy {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the gateway never counted backend %s as healthy=%v", name, healthy)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
