package e2e

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/examples/answer"
)

// Sessions that outlive the container (issue 10): a real Tomcat 10.1 with SESSION_STORE set writes
// its sessions to the store when docker stop sends SIGTERM, and a second Tomcat with another
// jvmRoute on the same store loads each one on its first request, under the same id.

const sessionImage = "roll-example-tomcat:v1"

// tomcatContainer is one Tomcat run with docker run, its HTTP connector published on loopback.
type tomcatContainer struct {
	t    *testing.T
	name string
	base string // http://127.0.0.1:<port>
}

// runTomcat starts a Tomcat with the given route and extra docker run arguments and waits for
// health.jsp; it is removed when the test ends.
func runTomcat(t *testing.T, route string, args ...string) *tomcatContainer {
	t.Helper()
	name := "roll-sessionstore-" + route + "-" + randHex(4)
	run := append([]string{"run", "-d", "--name", name, "-p", "127.0.0.1::8080",
		"-e", "AJP_SECRET=sessionstore-test", "-e", "JVM_ROUTE=" + route}, args...)
	docker(t, append(run, sessionImage)...)
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", "-v", name).Run() })
	out, err := exec.Command("docker", "port", name, "8080/tcp").Output()
	if err != nil {
		t.Fatalf("docker port %s: %v", name, err)
	}
	c := &tomcatContainer{t: t, name: name, base: "http://" + strings.TrimSpace(strings.Split(string(out), "\n")[0])}
	deadline := time.Now().Add(120 * time.Second)
	for {
		if code, _, err := c.get("/health.jsp", ""); err == nil && code == http.StatusOK {
			return c
		}
		if time.Now().After(deadline) {
			logs, _ := exec.Command("docker", "logs", "--tail", "30", name).CombinedOutput()
			t.Fatalf("%s never answered /health.jsp:\n%s", name, logs)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (c *tomcatContainer) get(path, sessionID string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if sessionID != "" {
		req.AddCookie(&http.Cookie{Name: "JSESSIONID", Value: sessionID})
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// visit counts one hit in the session (a new one when sessionID is empty).
func (c *tomcatContainer) visit(sessionID string) answer.Answer {
	c.t.Helper()
	code, body, err := c.get("/index.jsp", sessionID)
	if err != nil || code != http.StatusOK {
		c.t.Fatalf("%s /index.jsp: HTTP %d %v: %s", c.name, code, err, body)
	}
	return answer.Parse(body)
}

// checkStore runs the launcher's check-store in the container: its exit code and its line.
func (c *tomcatContainer) checkStore() (int, string) {
	return runCheckStore(exec.Command("docker", "exec", c.name, "/usr/local/bin/tomcat-launcher", "check-store"))
}

func runCheckStore(cmd *exec.Cmd) (int, string) {
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), strings.TrimSpace(string(out))
	}
	if err != nil {
		return -1, err.Error()
	}
	return 0, strings.TrimSpace(string(out))
}

// handOver is the scenario for any store: a session made on A (route a) is read by B (route b)
// after A was stopped, with the same id and the next hit.
func handOver(t *testing.T, storeArgs ...string) (a, b *tomcatContainer) {
	t.Helper()
	a = runTomcat(t, "a", storeArgs...)
	if code, line := a.checkStore(); code != 0 {
		t.Fatalf("check-store in A: exit %d: %s", code, line)
	}
	first := a.visit("")
	id := first.Session
	if first.Hits != 1 || !strings.HasSuffix(id, ".a") {
		t.Fatalf("first visit on A: %+v, want hits=1 and a session ending in .a", first)
	}
	for want := 2; want <= 3; want++ {
		if got := a.visit(id); got.Hits != want || got.Session != id {
			t.Fatalf("visit %d on A: %+v, want hits=%d in session %s", want, got, want, id)
		}
	}
	// B starts before A stops, as in a deploy: it must find A's session in the store on demand.
	b = runTomcat(t, "b", storeArgs...)
	docker(t, "stop", a.name)
	got := b.visit(id)
	if got.Hits != 4 || got.Session != id {
		t.Fatalf("B after A stopped: %+v, want hits=4 in the same session %s", got, id)
	}
	return a, b
}

func TestSessionStoreFileHandsSessionsToTheNextContainer(t *testing.T) {
	t.Parallel()
	images(t, "tomcat")
	vol := "roll-sessionstore-" + randHex(4)
	docker(t, "volume", "create", vol)
	t.Cleanup(func() { _ = exec.Command("docker", "volume", "rm", "-f", vol).Run() })
	_, b := handOver(t, "-e", "SESSION_STORE=file", "-v", vol+":/sessions")

	if code, line := b.checkStore(); code != 0 {
		t.Errorf("check-store in B: exit %d: %s", code, line)
	}
	// The same store, read-only: check-store says so.
	code, line := runCheckStore(exec.Command("docker", "run", "--rm", "-e", "SESSION_STORE=file",
		"-v", vol+":/sessions:ro", "--entrypoint", "/usr/local/bin/tomcat-launcher", sessionImage, "check-store"))
	if code == 0 || !strings.Contains(line, "not writable") {
		t.Errorf("check-store on a read-only /sessions: exit %d %q, want non-zero and not writable", code, line)
	}
}

func TestSessionStoreCheckWithoutAStoreFails(t *testing.T) {
	t.Parallel()
	images(t, "tomcat")
	code, line := runCheckStore(exec.Command("docker", "run", "--rm",
		"--entrypoint", "/usr/local/bin/tomcat-launcher", sessionImage, "check-store"))
	if code == 0 || !strings.Contains(line, "no session store is configured") {
		t.Errorf("check-store with SESSION_STORE unset: exit %d %q, want non-zero and no store configured", code, line)
	}
}

// jdbcStoreEnv is the environment of a Tomcat whose sessions are in a database of
// roll-example-postgres:15 reachable as "db".
var jdbcStoreEnv = map[string]string{
	"SESSION_DB_URL":      "jdbc:postgresql://db/sessions",
	"SESSION_DB_USER":     "tomcat",
	"SESSION_DB_PASSWORD": postgresPassword,
}

// jdbcStoreArgs are the docker run arguments of a Tomcat whose sessions are in the database
// runPostgres started on network as "db".
func jdbcStoreArgs(network string) []string {
	args := []string{"--network", network, "-e", "SESSION_STORE=jdbc"}
	for k, v := range jdbcStoreEnv {
		args = append(args, "-e", k+"="+v)
	}
	return args
}

// TestSessionStoreJDBCHandsSessionsToTheNextContainer: the same through PostgreSQL, with what
// the database image must do besides: initialize its volume once, stop fast on docker stop
// (a pool's connections would hold a smart shutdown open), and come back, Tomcat's pool with it.
func TestSessionStoreJDBCHandsSessionsToTheNextContainer(t *testing.T) {
	t.Parallel()
	images(t, "tomcat", "postgres")
	net := testNetwork(t)
	db := runPostgres(t, net, "db")
	_, b := handOver(t, jdbcStoreArgs(net)...)
	if code, body, err := b.get("/session-store.jsp", ""); err != nil || code != http.StatusOK {
		t.Errorf("the handoff check page on B: HTTP %d %v: %s", code, err, body)
	}
	// check-store: the server answers (it asks for the password, which check-store does not send,
	// so only session-store.jsp proves the login and the table).
	if code, line := b.checkStore(); code != 0 {
		t.Errorf("check-store in B: exit %d: %s", code, line)
	}

	start := time.Now()
	docker(t, "stop", "-t", "20", db.name)
	took := time.Since(start)
	out, _ := exec.Command("docker", "inspect", "-f", "{{.State.ExitCode}}", db.name).Output()
	if code := strings.TrimSpace(string(out)); code != "0" || took > 10*time.Second {
		t.Errorf("docker stop of the database with Tomcat's pool connected took %s, exit %s; want a fast shutdown and exit 0\n%s", took, code, db.logs())
	}
	t.Logf("docker stop of the database took %s", took.Round(time.Millisecond))
	if code, line := b.checkStore(); code == 0 || !strings.Contains(line, "not reachable") {
		t.Errorf("check-store with the database stopped: exit %d %q, want non-zero and not reachable", code, line)
	}
	if code, body, err := b.get("/session-store.jsp", ""); err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("the handoff check page with the database stopped: HTTP %d %v: %s, want 503", code, err, body)
	}

	docker(t, "start", db.name)
	db.waitReady()
	if n := strings.Count(db.logs(), `msg="data directory initialized"`); n != 1 {
		t.Errorf("%d initializations of the data directory, want the first start's only:\n%s", n, db.logs())
	}
	if code, body, err := b.get("/session-store.jsp", ""); err != nil || code != http.StatusOK {
		t.Errorf("the handoff check page once the database is back: HTTP %d %v: %s", code, err, body)
	}
}
