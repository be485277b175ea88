package frontdoor

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAbuseForgedSessions: sessions a client invents are routed by their route (as mod_jk does) but never
// counted as live sessions of the backend, or a client could keep a draining backend from ever draining.
// A session the backend itself issued is counted.
func TestAbuseForgedSessions(t *testing.T) {
	tcs := tomcats(t)
	roll := startRoll(t, tcs, nil)
	sessions := func() map[string]int64 {
		st, err := roll.Service(t.Context(), "app")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int64{}
		for _, b := range st.Backends {
			m[b.Name] = b.Sessions
		}
		return m
	}

	// 300 requests, each with a session id of its own invention, pipelined on one connection.
	const forged = 300
	var reqs [][]step
	for i := range forged {
		target := "/app/info.jsp"
		if i%3 == 2 { // some as a path parameter
			target += ";jsessionid=" + randomID(16) + "." + route1
			reqs = append(reqs, get(target))
			continue
		}
		reqs = append(reqs, get(target, "Cookie: JSESSIONID="+randomID(16)+"."+route1))
	}
	reqs = append(reqs, get("/app/info.jsp", "Cookie: JSESSIONID="+randomID(2048)+"."+route1)) // 4 KiB
	steps := concat(reqs...)
	ex := roundTrip(roll.addr, steps, methodsOf(steps))
	if len(ex.Responses) != forged+1 {
		t.Fatalf("%d forged requests got %d answers (%s)", forged+1, len(ex.Responses), summary(exchange{Responses: ex.Responses[:min(3, len(ex.Responses))]}))
	}
	for i, r := range ex.Responses {
		if r.Status != 200 || !strings.HasPrefix(string(r.Body), "route="+route1+"\n") {
			t.Fatalf("forged request %d: status %d, %q: want 200 from %s, whose route the id names", i, r.Status, clipLine(string(r.Body)), route1)
		}
	}
	if got := sessions(); got[route1] != 0 || got[route2] != 0 {
		t.Errorf("after %d forged session ids the gateway counts live sessions %v, want 0 each", forged+1, got)
	}

	// A real session: hello.jsp makes Tomcat issue JSESSIONID; using it again keeps one session.
	resp, err := http.Get("http://" + roll.addr + "/app/hello.jsp")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var sid string
	for _, c := range resp.Cookies() {
		if c.Name == "JSESSIONID" {
			sid = c.Value
		}
	}
	owner := sid[strings.LastIndexByte(sid, '.')+1:]
	again := roundTrip(roll.addr, get("/app/hello.jsp", "Cookie: JSESSIONID="+sid), []string{"GET"})
	if r := first(again); r == nil || !strings.Contains(string(r.Body), "hits=2") {
		t.Fatalf("the real session %s did not continue: %s", sid, summary(again))
	}
	if got := sessions(); got[owner] != 1 || got[otherRoute(owner)] != 0 {
		t.Errorf("after one real session on %s the gateway counts %v, want 1 there", owner, got)
	}
	probe(t, roll)
}

func randomID(bytes int) string {
	b := make([]byte, bytes)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func otherRoute(route string) string {
	if route == route1 {
		return route2
	}
	return fmt.Sprint(route1)
}
