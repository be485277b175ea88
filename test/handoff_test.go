package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Session handoff (drain mode handoff) with the real Tomcat image: users who never go idle
// keep their sessions through a deploy because the old Tomcat writes them to a store as it
// stops and the new one loads them.

// activeUsers are users who click every 200 ms until stopped, each checking that every
// answer continues its own session: same session route, hit count one higher.
type activeUsers struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	problems []string
	failed   int
	clicks   int
	moved    int // users whose session went on on v2
}

func startActiveUsers(t *testing.T, p *project, n int) *activeUsers {
	t.Helper()
	a := &activeUsers{stop: make(chan struct{})}
	for i := range n {
		u := newUser(t, p.url("/"))
		v, route, hits, err := u.visit()
		if err != nil || hits != 1 || v != "v1" {
			t.Fatalf("user %d's first visit: %s route=%s hits=%d err=%v", i, v, route, hits, err)
		}
		a.wg.Add(1)
		go a.click(i, u, route, hits)
	}
	t.Cleanup(a.end)
	return a
}

func (a *activeUsers) click(i int, u *user, route string, hits int) {
	defer a.wg.Done()
	moved := false
	for {
		select {
		case <-a.stop:
			a.mu.Lock()
			if moved {
				a.moved++
			}
			a.mu.Unlock()
			return
		case <-time.After(200 * time.Millisecond):
		}
		v, r, h, err := u.visit()
		a.mu.Lock()
		a.clicks++
		switch {
		case err != nil:
			a.failed++
			a.problems = append(a.problems, fmt.Sprintf("user %d: %v", i, err))
		case r != route || h != hits+1:
			a.problems = append(a.problems, fmt.Sprintf("user %d: %s route=%s hits=%d, want route=%s hits=%d (a new session: logged out, or a lost update)", i, v, r, h, route, hits+1))
			route = r
		}
		if err == nil {
			hits = h
			moved = moved || v == "v2"
		}
		a.mu.Unlock()
	}
}

func (a *activeUsers) end() {
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	a.wg.Wait()
}

// handoffDeploy deploys v2 under 50 anonymous requests a second while users click, and checks
// the handoff kept every session. It returns the deploy's result.
func handoffDeploy(t *testing.T, p *project, users int) map[string]any {
	t.Helper()
	a := startActiveUsers(t, p, users)
	l := startLoad(t, p.url("/"), 50, 4)
	res := p.roll("deploy", "app", "--image", "roll-example-tomcat:v2", "--json")
	time.Sleep(time.Second) // a few clicks on v2
	a.end()
	rep := l.report()
	t.Logf("load: %s; users clicked %d times, %d moved to v2", rep, a.clicks, a.moved)
	if res.Code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	_, result := events(t, res.Stdout)
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed anonymous requests, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	if a.failed > 0 || len(a.problems) > 0 {
		t.Errorf("users: %d failed clicks, %d problems, first: %v", a.failed, len(a.problems), a.problems[:min(5, len(a.problems))])
	}
	return result
}

func TestTomcatHandoffFileStoreKeepsActiveUsers(t *testing.T) {
	p := upTomcat(t, handoffSpec("file"))
	result := handoffDeploy(t, p, 20)
	handed, _ := result["sessions_handed_off"].(float64)
	if handed < 20 || result["handoff_fallback"] != nil {
		t.Fatalf("result: %v; want ≥ 20 sessions handed off and no fallback", result)
	}
	t.Logf("durations: %v; %v sessions handed off", result["durations"], handed)
}

func TestTomcatHandoffStoreUnreachableFallsBack(t *testing.T) {
	spec := handoffSpec("file")
	spec.Extra = "    volumes:\n      - sessions:/sessions:ro\n" // the store cannot be written: the check fails
	spec.DrainTime = "6s"
	spec.SessionIdle = "2s"
	p := upTomcat(t, spec)
	l := startLoad(t, p.url("/"), 50, 4)
	res := p.roll("deploy", "app", "--image", "roll-example-tomcat:v2", "--json")
	rep := l.report()
	if res.Code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	_, result := events(t, res.Stdout)
	fallback, _ := result["handoff_fallback"].(string)
	if !strings.Contains(fallback, "/session-store.jsp") || !strings.Contains(fallback, "answered 503") || result["sessions_handed_off"] != nil {
		t.Fatalf("result: %v; want the check's failure as the fallback", result)
	}
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed requests during the fallback, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
}

// handoffSpec is the Tomcat project of the handoff tests: sessions in a store of the given
// kind, drain mode handoff with the example's check page, a short drain timeout (the users
// never go idle: without a handoff they would be cut when it passes).
func handoffSpec(store string) projectSpec {
	return projectSpec{
		SessionIdle: "10m",
		DrainMode:   "handoff",
		DrainTime:   "20s",
		DrainCheck:  "/session-store.jsp",
		DrainHold:   "15s",
		Env:         map[string]string{"SESSION_STORE": store},
		Extra:       "    volumes:\n      - sessions:/sessions\n",
		Volumes:     []string{"sessions"},
	}
}
