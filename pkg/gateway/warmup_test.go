package gateway

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/ajp"
)

// warmCounter is a backend's handler that counts the gateway's warm-up requests (and what
// they asked for) apart from everything else, and fails the first failFirst of them with 500.
type warmCounter struct {
	failFirst int64
	warm      atomic.Int64
	users     atomic.Int64
	mu        sync.Mutex
	paths     []string
	acts      []string // the activation each warm-up request carried
}

func (c *warmCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Header.Get("User-Agent") {
	case "roll-gateway-health":
		io.WriteString(w, "ok")
		return
	case warmupUserAgent:
		n := c.warm.Add(1)
		act := r.Header.Get(activationHeader)
		if v, ok := ajp.RequestAttribute(r, ajp.AttrActivation); ok {
			act = v
		}
		c.mu.Lock()
		c.paths = append(c.paths, r.URL.RequestURI())
		c.acts = append(c.acts, act)
		c.mu.Unlock()
		if n <= c.failFirst {
			http.Error(w, "cold", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "warm")
		return
	}
	c.users.Add(1)
	io.WriteString(w, "new")
}

// warmupRollout rolls out a backend served by c over protocol (HTTP, or AJP with ajp.Server)
// with a warm-up of 20 requests to /app/?warm=1, and returns what the backend had counted by
// the switch, the events and the result.
func warmupRollout(t *testing.T, protocol admin.Protocol, c *warmCounter) (warmAtSwitch int64, log *eventLog, res admin.RolloutResult, err error) {
	t.Helper()
	g := newTestGateway(t, nil)
	var addr string
	spec := httpService("app")
	if protocol == admin.AJP {
		spec = ajpService("app")
		old := startAJPBackend(t, "old")
		mustPut(t, g, spec)
		mustAdd(t, g, "app", admin.BackendSpec{Name: "old", Address: old.addr})
		l, lerr := net.Listen("tcp", "127.0.0.1:0")
		if lerr != nil {
			t.Fatal(lerr)
		}
		srv := &ajp.Server{Secret: ajpSecret, Handler: c}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
		addr = l.Addr().String()
	} else {
		old := startNameBackend(t, "old")
		mustPut(t, g, spec)
		mustAdd(t, g, "app", admin.BackendSpec{Name: "old", Address: old.addr()})
		srv := httptest.NewServer(c)
		t.Cleanup(srv.Close)
		addr = srv.Listener.Addr().String()
	}
	log = newEventLog()
	warmAtSwitch = -1
	res, err = g.Rollout(t.Context(), "app", admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: addr}},
		Warmup:   &admin.WarmupSpec{Path: "/app/?warm=1", Requests: 20},
	}, func(ev admin.RolloutEvent) {
		if ev.Step == admin.StepSwitched {
			warmAtSwitch = c.warm.Load()
		}
		log.add(ev)
	})
	return warmAtSwitch, log, res, err
}

func TestWarmupRequestsReachTheNewBackendBeforeTheSwitch(t *testing.T) {
	for _, protocol := range []admin.Protocol{admin.HTTP, admin.AJP} {
		t.Run(string(protocol), func(t *testing.T) {
			c := &warmCounter{}
			atSwitch, log, res, err := warmupRollout(t, protocol, c)
			if err != nil || !res.Switched {
				t.Fatalf("rollout: %+v %v", res, err)
			}
			if atSwitch != 20 {
				t.Fatalf("the backend had %d warm-up requests at the switch, want all 20 before it", atSwitch)
			}
			if n := c.users.Load(); n != 0 {
				t.Errorf("%d other requests reached the new backend during the rollout; want only warm-up and health", n)
			}
			c.mu.Lock()
			for i, p := range c.paths {
				if p != "/app/?warm=1" || c.acts[i] != "STP" {
					t.Fatalf("warm-up request %d: %s with activation %q; want /app/?warm=1, still stopped (STP)", i, p, c.acts[i])
				}
			}
			c.mu.Unlock()
			ev, ok := log.find(admin.StepWarmup)
			if !ok || ev.Warmup == nil || ev.Warmup.Requests != 20 || ev.Warmup.Failed != 0 || !strings.Contains(ev.Message, "20 warm-up requests to /app/?warm=1 on new") {
				t.Fatalf("warmup event: %+v %+v", ev, ev.Warmup)
			}
			if steps := log.steps(); steps[1] != admin.StepWarmup || steps[2] != admin.StepReady {
				t.Errorf("steps %v: want the warm-up between added and ready", steps)
			}
			if res.Warmup == nil || res.Warmup.Requests != 20 {
				t.Errorf("result warm-up %+v", res.Warmup)
			}
		})
	}
}

// Failed warm-up requests are reported and the rollout goes on; only when all of them fail
// does it fail, as a readiness that did not pass: the new backend goes, the old serves.
func TestWarmupFailuresAreReportedAndOnlyAllOfThemFail(t *testing.T) {
	c := &warmCounter{failFirst: 5}
	_, log, res, err := warmupRollout(t, admin.HTTP, c)
	if err != nil || !res.Switched {
		t.Fatalf("rollout with 5 of 20 warm-up requests failing: %+v %v; want it to go on", res, err)
	}
	ev, _ := log.find(admin.StepWarmup)
	if ev.Warmup == nil || ev.Warmup.Failed != 5 || !strings.Contains(ev.Message, "5 failed") || !strings.Contains(ev.Message, "answered 503") {
		t.Errorf("warmup event %q %+v; want the 5 failures and the last one's reason", ev.Message, ev.Warmup)
	}

	all := &warmCounter{failFirst: 1000}
	_, log, res, err = warmupRollout(t, admin.AJP, all)
	if !errors.Is(err, admin.ErrNotReady) || res.Switched || !strings.Contains(err.Error(), "every one of the 20 warm-up requests") {
		t.Fatalf("rollout with every warm-up request failing: %+v %v; want ErrNotReady", res, err)
	}
	if _, ok := log.find(admin.StepFailed); !ok {
		t.Errorf("steps %v: want failed", log.steps())
	}
}
