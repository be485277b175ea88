package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

// TestMain lets tomcattest.Shared keep two Tomcats for the package and stop them at the end.
func TestMain(m *testing.M) { tomcattest.Main(m) }

const tomcatSecret = "gateway-tomcat-secret"

// tomcatService routes /app to the given Tomcats over AJP, health-checked on a real page.
func tomcatService(t *testing.T, g *testGateway, tcs ...*tomcattest.Tomcat) {
	t.Helper()
	spec := ajpService("app")
	spec.Secret = tomcatSecret
	putTomcats(t, g, spec, tcs, (*tomcattest.Tomcat).AJPAddr)
}

// putTomcats routes /app of spec to the Tomcats at the address addr gives of each,
// health-checked on a real page.
func putTomcats(t *testing.T, g *testGateway, spec admin.ServiceSpec, tcs []*tomcattest.Tomcat, addr func(*tomcattest.Tomcat) string) {
	t.Helper()
	spec.PathPrefixes = []string{"/app"}
	spec.Health.Path = "/app/health.jsp"
	spec.Health.Interval = admin.Duration(200 * time.Millisecond)
	spec.Health.Timeout = admin.Duration(5 * time.Second)
	mustPut(t, g, spec)
	for _, tc := range tcs {
		mustAdd(t, g, "app", admin.BackendSpec{Name: tc.Route(), Route: tc.Route(), Address: addr(tc)})
	}
}

// kv reads the "key=value" lines of the test webapp's pages.
func kv(body string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(body, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			m[k] = v
		}
	}
	return m
}

// tomcatGet returns the page's keys and the JSESSIONID cookie it set, if any.
func tomcatGet(t *testing.T, url, cookie string) (map[string]string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", url, resp.StatusCode, body)
	}
	set := ""
	for _, c := range resp.Cookies() {
		if c.Name == "JSESSIONID" {
			set = "JSESSIONID=" + c.Value
		}
	}
	return kv(string(body)), set
}

func sharedTomcats(t *testing.T) (*tomcattest.Tomcat, *tomcattest.Tomcat) {
	tomcattest.Require(t)
	return tomcattest.Shared(t, tomcattest.Options{Route: "gw1", Secret: tomcatSecret}),
		tomcattest.Shared(t, tomcattest.Options{Route: "gw2", Secret: tomcatSecret})
}

func TestTomcatSpreadStickinessAndDraining(t *testing.T) {
	t1, t2 := sharedTomcats(t)
	g := newTestGateway(t, nil)
	tomcatService(t, g, t1, t2)

	counts := map[string]int{}
	for range 20 {
		page, _ := tomcatGet(t, g.URL+"/app/nosession.jsp", "")
		counts[page["route"]]++
	}
	if counts["gw1"] != 10 || counts["gw2"] != 10 {
		t.Fatalf("spread over two Tomcats: %v, want 10 each", counts)
	}

	// A real session: JSESSIONID=<id>.<jvmRoute>, and every hit lands on its Tomcat.
	page, cookie := tomcatGet(t, g.URL+"/app/hello.jsp", "")
	owner := page["route"]
	if cookie == "" || !strings.HasSuffix(cookie, "."+owner) {
		t.Fatalf("session cookie %q does not end in .%s", cookie, owner)
	}
	for want := 2; want <= 5; want++ {
		page, _ := tomcatGet(t, g.URL+"/app/hello.jsp", cookie)
		if page["route"] != owner || page["hits"] != fmt.Sprint(want) {
			t.Fatalf("sticky hit %d: %v", want, page)
		}
	}
	other := "gw2"
	if owner == "gw2" {
		other = "gw1"
	}

	// Draining: the session keeps counting on its Tomcat, which sees JK_LB_ACTIVATION=DIS;
	// new sessions go to the other one.
	mustPatch(t, g, "app", owner, admin.Draining)
	for want := 6; want <= 8; want++ {
		page, _ := tomcatGet(t, g.URL+"/app/hello.jsp", cookie)
		if page["route"] != owner || page["hits"] != fmt.Sprint(want) {
			t.Fatalf("draining hit %d: %v", want, page)
		}
	}
	info, _ := tomcatGet(t, g.URL+"/app/info.jsp", cookie)
	if info["route"] != owner || info["attr?JK_LB_ACTIVATION"] != "DIS" {
		t.Fatalf("Tomcat of a draining backend saw route %s, JK_LB_ACTIVATION=%s, want %s and DIS", info["route"], info["attr?JK_LB_ACTIVATION"], owner)
	}
	if !strings.HasPrefix(info["remote_addr"], "127.0.0.1") || info["remote_port"] == "0" {
		t.Fatalf("Tomcat saw remote %s:%s", info["remote_addr"], info["remote_port"])
	}
	for range 4 {
		page, fresh := tomcatGet(t, g.URL+"/app/hello.jsp", "")
		if page["route"] != other || !strings.HasSuffix(fresh, "."+other) {
			t.Fatalf("a new session while %s drains went to %s (%s)", owner, page["route"], fresh)
		}
	}
	info, _ = tomcatGet(t, g.URL+"/app/info.jsp", "")
	if info["attr?JK_LB_ACTIVATION"] != "ACT" {
		t.Fatalf("active Tomcat saw JK_LB_ACTIVATION=%s", info["attr?JK_LB_ACTIVATION"])
	}
	if n := backendOf(t, g, "app", owner).Sessions; n != 1 {
		t.Fatalf("%s has %d live sessions, want 1", owner, n)
	}
	// Stopped: the session fails over to the other Tomcat, which starts a new one.
	mustPatch(t, g, "app", owner, admin.Stopped)
	page, moved := tomcatGet(t, g.URL+"/app/hello.jsp", cookie)
	if page["route"] != other || page["hits"] != "1" || !strings.HasSuffix(moved, "."+other) {
		t.Fatalf("session of a stopped Tomcat: %v %s", page, moved)
	}
}

func TestTomcatKilledMidTrafficLosesNoGET(t *testing.T) {
	tomcattest.Require(t)
	// Own instances: this test kills one.
	t1 := tomcattest.Start(t, tomcattest.Options{Route: "k1", Secret: tomcatSecret})
	t2 := tomcattest.Start(t, tomcattest.Options{Route: "k2", Secret: tomcatSecret})
	g := newTestGateway(t, nil)
	tomcatService(t, g, t1, t2)

	tr := startTraffic(t, 4, func(int, int) string { return g.URL + "/app/nosession.jsp" })
	eventually(t, 30*time.Second, "traffic before the kill", func() bool { return tr.ok.Load() >= 200 })
	t1.Kill()
	tr.mark()
	eventually(t, 60*time.Second, "traffic after the kill", func() bool { return tr.marked.Load() >= 300 })
	tr.noFailures(t, "after Tomcat was killed")
	// Recovery: the restarted Tomcat passes its health check and takes traffic again.
	t1.Restart(t)
	eventually(t, 30*time.Second, "k1 healthy again", func() bool { return backendOf(t, g, "app", "k1").Healthy })
	seen := map[string]bool{}
	for range 6 {
		page, _ := tomcatGet(t, g.URL+"/app/nosession.jsp", "")
		seen[page["route"]] = true
	}
	if !seen["k1"] || !seen["k2"] {
		t.Fatalf("after recovery requests reached %v, want both", seen)
	}
}

// TestTomcatReadinessProvesTheApp: a Tomcat whose webapp failed to deploy still answers CPing;
// the rollout must keep probing (the health page answers 404), never switch, and leave the old
// backend serving when cancelled.
func TestTomcatReadinessProvesTheApp(t *testing.T) {
	t1, _ := sharedTomcats(t)
	broken := tomcattest.Start(t, tomcattest.Options{Route: "broken", Secret: tomcatSecret, BrokenApp: true, NoWait: true})
	g := newTestGateway(t, nil)
	tomcatService(t, g, t1)
	log := newEventLog()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := g.Rollout(ctx, "app", admin.RolloutRequest{
			Backends:     []admin.BackendSpec{{Name: "broken", Address: broken.AJPAddr()}},
			ReadyTimeout: admin.Duration(2 * time.Minute),
		}, log.add)
		done <- err
	}()
	eventually(t, 90*time.Second, "a probe that reached the broken webapp", func() bool {
		log.mu.Lock()
		defer log.mu.Unlock()
		for _, ev := range log.events {
			if ev.Step == admin.StepProbing && strings.Contains(ev.Message, "answered 404") {
				return true
			}
		}
		return false
	})
	if _, ok := log.find(admin.StepSwitched); ok {
		t.Fatal("switched to a Tomcat whose webapp is broken")
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("cancelled rollout returned no error")
	}
	st, _ := g.Service(t.Context(), "app")
	if len(st.Backends) != 1 || st.Backends[0].Name != t1.Route() || st.Backends[0].Activation != admin.Active {
		t.Fatalf("after the failed rollout: %+v", st.Backends)
	}
	if page, _ := tomcatGet(t, g.URL+"/app/nosession.jsp", ""); page["route"] != t1.Route() {
		t.Fatalf("old Tomcat does not serve: %v", page)
	}
}
