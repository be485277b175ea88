package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/examples/answer"
)

// Session handoff (drain mode handoff) with the real Tomcat image: users who never go idle
// keep their sessions through a deploy because the old Tomcat writes them to a store as it
// stops and the new one loads them; with a shared volume (FileStore) and with PostgreSQL
// (DataSourceStore on roll-example-postgres:15).

// activeUsers are users who click every 200 ms until stopped, each checking that every
// answer continues its own session: the same session id, the hit count one higher.
type activeUsers struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	problems []string
	failed   int // clicks without an answer
	relogins int // answers in another session: the user would have had to log in again
	lost     int // answers in the same session with a count not one higher: lost updates
	clicks   int
	moved    int // users whose session went on on v2
}

func startActiveUsers(t *testing.T, p *project, n int) *activeUsers {
	t.Helper()
	a := &activeUsers{stop: make(chan struct{})}
	for i := range n {
		u := newUser(t, p.url("/"))
		first, err := u.answer()
		if err != nil || first.Hits != 1 || first.Version != "v1" {
			t.Fatalf("user %d's first visit: %+v err=%v", i, first, err)
		}
		a.wg.Add(1)
		go a.click(i, u, first)
	}
	t.Cleanup(a.end)
	return a
}

func (a *activeUsers) click(i int, u *user, last answer.Answer) {
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
		got, err := u.answer()
		a.mu.Lock()
		a.clicks++
		switch {
		case err != nil:
			a.failed++
			a.problems = append(a.problems, fmt.Sprintf("user %d: %v", i, err))
		case got.Session != last.Session:
			a.relogins++
			a.problems = append(a.problems, fmt.Sprintf("user %d: %s in session %s, was in %s: a new session", i, got.Version, got.Session, last.Session))
		case got.Hits != last.Hits+1:
			a.lost++
			a.problems = append(a.problems, fmt.Sprintf("user %d: %s hits=%d after %d in session %s: a lost update", i, got.Version, got.Hits, last.Hits, got.Session))
		}
		if err == nil {
			last = got
			moved = moved || got.Version == "v2"
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

// check fails the test unless every click was answered in its user's own session, counting on.
func (a *activeUsers) check(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	t.Logf("users: %d clicks, %d failed, %d re-logins, %d lost updates; %d went on on v2", a.clicks, a.failed, a.relogins, a.lost, a.moved)
	if len(a.problems) > 0 {
		t.Errorf("users: %d failed clicks, %d re-logins, %d lost updates; first: %v", a.failed, a.relogins, a.lost, a.problems[:min(5, len(a.problems))])
	}
}

// handoffDeploy deploys v2 under 50 anonymous requests a second while users click, and checks
// that no request failed and that every user went on in the same session without a gap. during,
// when set, runs beside the deploy with its output lines. It returns the deploy's result.
func handoffDeploy(t *testing.T, p *project, users int, during func(lines <-chan string)) map[string]any {
	t.Helper()
	a := startActiveUsers(t, p, users)
	l := startLoad(t, p.url("/"), 50, 4)
	dep := p.start(nil, "deploy", "app", "--image", "roll-example-tomcat:v2", "--json")
	if during != nil {
		during(dep.lines)
	}
	code, out := dep.wait(t)
	time.Sleep(time.Second) // a few clicks on v2
	a.end()
	rep := l.report()
	t.Logf("load: %s", rep)
	if code != 0 {
		t.Fatalf("deploy: exit %d\n%s", code, out)
	}
	_, result := events(t, out)
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed anonymous requests, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	a.check(t)
	if a.moved < users {
		t.Errorf("%d of %d users went on on v2", a.moved, users)
	}
	t.Logf("durations: %v; %v sessions handed off; fallback: %v", result["durations"], result["sessions_handed_off"], result["handoff_fallback"])
	return result
}

// handedOff fails the test unless the deploy handed off at least users sessions at once.
func handedOff(t *testing.T, result map[string]any, users int) {
	t.Helper()
	handed, _ := result["sessions_handed_off"].(float64)
	if handed < float64(users) || result["handoff_fallback"] != nil {
		t.Fatalf("result: %v; want ≥ %d sessions handed off and no fallback", result, users)
	}
}

func TestTomcatHandoffFileStoreKeepsActiveUsers(t *testing.T) {
	t.Parallel()
	p := upTomcat(t, handoffSpec("file"))
	handedOff(t, handoffDeploy(t, p, 20, nil), 20)
}

func TestTomcatHandoffJDBCStoreKeepsActiveUsers(t *testing.T) {
	t.Parallel()
	images(t, "postgres")
	p := upTomcat(t, handoffSpec("jdbc"))
	handedOff(t, handoffDeploy(t, p, 20, nil), 20)
}

// TestTomcatHandoffAfterAFallbackLosesNoUpdate: a request in flight on the old container
// outlasts the hold, so the handoff falls back to the sticky drain while 20 users keep
// clicking. At the drain timeout their sessions must not go to v2 while v1 still runs (v2
// would load a backup up to a background pass old, and their counts would go back): the
// drain ends with a handoff, and every user goes on without a gap. (A store check that failed
// although the store works, as one that timed out on a busy machine once did, takes the same
// way.)
func TestTomcatHandoffAfterAFallbackLosesNoUpdate(t *testing.T) {
	t.Parallel()
	images(t, "postgres")
	spec := handoffSpec("jdbc")
	// The check takes 600 ms (any 2xx page will do; the store is fine): the long request below
	// is then surely in flight on v1 when the hold begins.
	spec.DrainCheck = "/sleep.jsp?ms=600"
	spec.DrainHold = "2s"
	spec.DrainTime = "10s"
	p := upTomcat(t, spec)
	slow := newUser(t, p.url("/"))
	if _, err := slow.answer(); err != nil {
		t.Fatal(err)
	}
	slowDone := make(chan error, 1)
	result := handoffDeploy(t, p, 20, func(lines <-chan string) {
		for line := range lines {
			if strings.Contains(line, `"step":"switch"`) && strings.Contains(line, `"status":"done"`) {
				go func() { slowDone <- slow.get(p.url("/sleep.jsp?ms=4000")) }()
				return
			}
		}
	})
	if err := <-slowDone; err != nil {
		t.Errorf("the long request on v1: %v", err)
	}
	handed, _ := result["sessions_handed_off"].(float64)
	fallback, _ := result["handoff_fallback"].(string)
	if handed < 20 || !strings.Contains(fallback, "in flight") || result["drain_timed_out"] == true {
		t.Fatalf("result: %v; want the fallback's reason and ≥ 20 sessions handed off at the drain's end", result)
	}
}

func TestTomcatHandoffStoreUnreachableFallsBack(t *testing.T) {
	t.Parallel()
	spec := handoffSpec("file")
	spec.Extra = "    volumes:\n      - sessions:/sessions:ro\n" // the store cannot be written: the check fails
	spec.DrainTime = "6s"
	spec.SessionIdle = "2s"
	p := upTomcat(t, spec)
	fallbackDeploy(t, p)
}

func TestTomcatHandoffDatabaseStoppedFallsBack(t *testing.T) {
	t.Parallel()
	images(t, "postgres")
	spec := handoffSpec("jdbc")
	spec.DrainTime = "6s"
	spec.SessionIdle = "2s"
	p := upTomcat(t, spec)
	docker(t, "stop", p.containers("db")[0])
	fallbackDeploy(t, p)
}

// fallbackDeploy deploys v2 under anonymous load with the store unusable: the check page
// answers 503, the deploy drains by sessions instead, says why, stops v1 before its users go
// on (the check fails again then), and no request fails.
func fallbackDeploy(t *testing.T, p *project) {
	t.Helper()
	l := startLoad(t, p.url("/"), 50, 4)
	res := p.roll("deploy", "app", "--image", "roll-example-tomcat:v2", "--json")
	rep := l.report()
	t.Logf("load: %s", rep)
	if res.Code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	_, result := events(t, res.Stdout)
	fallback, _ := result["handoff_fallback"].(string)
	if !strings.Contains(fallback, "/session-store.jsp") || !strings.Contains(fallback, "answered 503") ||
		!strings.Contains(fallback, "likely lost") || result["sessions_handed_off"] != nil {
		t.Fatalf("result: %v; want the check's failure as the fallback", result)
	}
	t.Logf("fallback: %s", fallback)
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed requests during the fallback, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
}

// handoffSpec is the Tomcat project of the handoff tests: sessions in a store of the given
// kind (file: a shared volume; jdbc: a db service of roll-example-postgres:15, which the app
// depends on), drain mode handoff with the example's check page, a short drain timeout (the
// users never go idle: without a handoff they would be cut when it passes).
func handoffSpec(store string) projectSpec {
	spec := projectSpec{
		SessionIdle: "10m",
		DrainMode:   "handoff",
		DrainTime:   "20s",
		DrainCheck:  "/session-store.jsp",
		DrainHold:   "15s",
		Env:         map[string]string{"SESSION_STORE": store},
	}
	switch store {
	case "file":
		spec.Extra = "    volumes:\n      - sessions:/sessions\n"
		spec.Volumes = []string{"sessions"}
	case "jdbc":
		for k, v := range jdbcStoreEnv {
			spec.Env[k] = v
		}
		spec.Extra = "    depends_on:\n      db: {condition: service_healthy}\n"
		spec.Services = sessionDBService
		spec.Volumes = []string{"db-data"}
	}
	return spec
}

// sessionDBService is the db service of a project with SESSION_STORE=jdbc, indented for
// projectSpec.Services.
var sessionDBService = `  db:
    image: ` + postgresImage + `
    environment:
      POSTGRES_PASSWORD: "` + postgresPassword + `"
    volumes:
      - db-data:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD", "/usr/local/bin/postgres-launcher", "ready"]
      interval: 500ms
      timeout: 5s
      retries: 120
    labels:
      dev.roll.test: "1"
`
