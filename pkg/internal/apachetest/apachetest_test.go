package apachetest

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

func TestMain(m *testing.M) { tomcattest.Main(m) }

func TestBalancesOverTomcatsAndKeepsSessions(t *testing.T) {
	Require(t) // before the Tomcats start
	const secret = "apachetest-secret"
	t1 := tomcattest.Shared(t, tomcattest.Options{Route: "at1", Secret: secret})
	t2 := tomcattest.Shared(t, tomcattest.Options{Route: "at2", Secret: secret})
	a := Start(t, Options{Members: []Member{
		{Address: t1.AJPAddr(), Secret: secret, Route: "at1"},
		{Address: t2.AJPAddr(), Secret: secret, Route: "at2"},
	}})
	seen := map[string]int{}
	for range 4 {
		body := get(t, a.URL("/app/nosession.jsp"), "", 200)
		seen[strings.TrimPrefix(strings.SplitN(body, "\n", 2)[0], "route=")]++
	}
	if seen["at1"] != 2 || seen["at2"] != 2 {
		t.Fatalf("routes over 4 requests: %v, want 2 each", seen)
	}
	for _, route := range []string{"at1", "at2"} {
		body := get(t, a.URL("/app/info.jsp"), "JSESSIONID=forged."+route, 200)
		if !strings.HasPrefix(body, "route="+route+"\n") {
			t.Fatalf("a session of %s reached %q", route, strings.SplitN(body, "\n", 2)[0])
		}
	}
	// Outside the mount nothing reaches Tomcat: the empty document root answers.
	if body := get(t, a.URL("/other/"), "", 404); strings.Contains(body, tomcattest.OtherMarker) {
		t.Fatalf("/other/ reached Tomcat through Apache: %q", body)
	}
}

func TestRefusesOptionsWithoutMembers(t *testing.T) {
	if _, err := start(Options{}, t.TempDir()); err == nil {
		t.Fatal("started an lb worker without members")
	}
	bad := Options{Members: []Member{{Address: "127.0.0.1:1", Route: "a.b"}}}
	if _, err := start(bad, t.TempDir()); err == nil {
		t.Fatal("accepted a route with a dot, which mod_jk would read as a session separator")
	}
}

func get(t *testing.T, url, cookie string, want int) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s = %d, want %d: %q", url, resp.StatusCode, want, b)
	}
	return string(b)
}
