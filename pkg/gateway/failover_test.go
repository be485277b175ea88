package gateway

import (
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// killable is an HTTP backend that can die abruptly (listener and every connection closed,
// like a SIGKILLed process) and come back on the same address.
type killable struct {
	name string
	addr string
	srv  *http.Server
	mu   sync.Mutex
}

func startKillable(t *testing.T, name string) *killable {
	k := &killable{name: name, addr: freeAddr(t)}
	k.start(t)
	t.Cleanup(k.kill)
	return k
}

func (k *killable) start(t *testing.T) {
	var l net.Listener
	var err error
	// The port was just ours; another test may grab it in between, so retry briefly.
	eventually(t, 5*time.Second, "listening on "+k.addr, func() bool {
		l, err = net.Listen("tcp", k.addr)
		return err == nil
	})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil {
			time.Sleep(d)
		}
		io.WriteString(w, k.name)
	})}
	k.mu.Lock()
	k.srv = srv
	k.mu.Unlock()
	go srv.Serve(l)
}

func (k *killable) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.srv != nil {
		k.srv.Close()
		k.srv = nil
	}
}

func TestKilledBackendLosesNoGET(t *testing.T) {
	g := newTestGateway(t, nil)
	a, b := startKillable(t, "a"), startKillable(t, "b")
	spec := httpService("app")
	spec.Health.RecoverAfter = admin.Duration(time.Hour) // only the health check may bring it back
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: a.addr})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b", Address: b.addr})

	tr := startTraffic(t, 4, func(w, i int) string {
		if (i+w)%5 == 0 {
			return g.URL + "/x?sleep=20ms" // some requests are in flight on a when it dies
		}
		return g.URL + "/x"
	})
	eventually(t, 10*time.Second, "traffic before the kill", func() bool { return tr.ok.Load() >= 200 })
	a.kill()
	tr.mark()
	eventually(t, 20*time.Second, "traffic after the kill", func() bool { return tr.marked.Load() >= 300 })
	tr.noFailures(t, "during the kill")
	if backendOf(t, g, "app", "a").Healthy {
		t.Fatal("the killed backend is still healthy")
	}

	// Recovery: the same address answers again, a health check brings it back.
	a.start(t)
	eventually(t, 10*time.Second, "a recovered", func() bool { return backendOf(t, g, "app", "a").Healthy })
	seen := map[string]bool{}
	for range 4 {
		_, body := get(t, g.URL+"/x", "")
		seen[body] = true
	}
	if !seen["a"] {
		t.Fatalf("recovered backend gets no traffic: %v", seen)
	}
}

func TestPassiveRecoveryByProbeRequest(t *testing.T) {
	g := newTestGateway(t, nil)
	a, b := startKillable(t, "a"), startKillable(t, "b")
	spec := httpService("app")
	spec.Health.Interval = admin.Duration(time.Hour) // no active checks: only a probe request recovers
	spec.Health.RecoverAfter = admin.Duration(100 * time.Millisecond)
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: a.addr})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b", Address: b.addr})
	a.kill()
	for range 4 {
		if code, body := get(t, g.URL+"/", ""); code != 200 || body != "b" {
			t.Fatalf("with a dead: %d %q", code, body)
		}
	}
	if backendOf(t, g, "app", "a").Healthy {
		t.Fatal("a is dead but healthy")
	}
	a.start(t)
	eventually(t, 10*time.Second, "a probed and back", func() bool {
		get(t, g.URL+"/", "")
		return backendOf(t, g, "app", "a").Healthy
	})
}
