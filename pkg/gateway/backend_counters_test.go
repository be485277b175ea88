package gateway

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/ajp"
)

// answerAsAsked answers ?status=N (200 without) after ?sleep=DURATION; a request to upgrade
// without ?status switches to an echo of raw bytes (HTTP only). The answers a backend's
// counters sort.
func answerAsAsked(w http.ResponseWriter, r *http.Request) {
	if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil {
		time.Sleep(d)
	}
	if r.Header.Get("Upgrade") != "" && !r.URL.Query().Has("status") {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		buf := make([]byte, 64)
		for {
			n, err := brw.Read(buf)
			if err != nil {
				return
			}
			conn.Write(buf[:n])
		}
	}
	status := http.StatusOK
	if n, err := strconv.Atoi(r.URL.Query().Get("status")); err == nil {
		status = n
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "status %d", status)
}

// startStatusBackend serves answerAsAsked on loopback over the protocol and returns its address.
func startStatusBackend(t testing.TB, protocol admin.Protocol) string {
	t.Helper()
	if protocol == admin.HTTP {
		srv := httptest.NewServer(http.HandlerFunc(answerAsAsked))
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &ajp.Server{Secret: ajpSecret, Handler: http.HandlerFunc(answerAsAsked)}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// countersOf reads the counters of a backend of a service of g.
func countersOf(t testing.TB, g *testGateway, svc, name string) backendCounters {
	t.Helper()
	g.mu.Lock()
	s := g.services[svc]
	g.mu.Unlock()
	snap := s.snap.Load()
	i := snap.byName(name)
	if i < 0 {
		t.Fatalf("no backend %s in %s", name, svc)
	}
	return snap.members[i].b.counters()
}

// Real answers from a real backend on loopback are counted by status class where they go to the
// client, and timed once each, over AJP and HTTP; a backend that cannot be reached counts as a
// transport error, not as an answer.
func TestBackendCountersWithRealTraffic(t *testing.T) {
	for _, protocol := range []admin.Protocol{admin.AJP, admin.HTTP} {
		t.Run(string(protocol), func(t *testing.T) {
			g := newTestGateway(t, nil)
			spec := httpService("app")
			if protocol == admin.AJP {
				spec = ajpService("app")
			}
			mustPut(t, g, spec)
			mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: startStatusBackend(t, protocol)})
			want := map[string]int{"": 12, "?status=302": 2, "?status=404": 3, "?status=500": 4, "?status=503": 1, "?sleep=300ms": 2}
			for q, n := range want {
				for range n {
					code, _ := get(t, g.URL+"/page"+q, "")
					if wantCode, _ := strconv.Atoi(strings.TrimPrefix(q, "?status=")); wantCode != 0 && code != wantCode {
						t.Fatalf("GET /page%s: %d", q, code)
					}
				}
			}
			var c backendCounters
			eventually(t, 10*time.Second, "24 answers timed", func() bool {
				c = countersOf(t, g, "app", "a")
				return c.Latency.count() == 24
			})
			if c.Responses != [5]uint64{0, 14, 2, 3, 5} || c.TransportErrors != 0 {
				t.Fatalf("counters %+v, want responses [0 14 2 3 5] and no transport error", c)
			}
			if c.requests() != 24 || c.failed() != 5 {
				t.Errorf("requests %d, failed %d; want 24 and 5 (the 5xx)", c.requests(), c.failed())
			}
			if slow := c.Latency.Buckets[8] + c.Latency.Buckets[9]; slow != 2 {
				t.Errorf("%d answers timed in (250 ms, 1 s], want the 2 slow ones: %v", slow, c.Latency.Buckets)
			}
			if sum := time.Duration(c.Latency.SumNs); sum < 600*time.Millisecond {
				t.Errorf("latency sum %v, want at least the two slow answers' 600ms", sum)
			}
			if p50, ok := c.Latency.quantile(0.5); !ok || p50 > 250*time.Millisecond {
				t.Errorf("p50 %v, %v: most answers are fast", p50, ok)
			}
			st := backendOf(t, g, "app", "a")
			if st.Requests != 24 || st.Errors != 0 {
				t.Errorf("status: %d requests, %d errors; want 24 and 0", st.Requests, st.Errors)
			}
			if want := (admin.StatusClasses{Success: 14, Redirection: 2, ClientError: 3, ServerError: 5}); st.Responses != want {
				t.Errorf("status responses %+v, want %+v", st.Responses, want)
			}
			// 22 fast answers and 2 in (250 ms, 500 ms]: the 95th percentile is 40 % into that bucket.
			if st.P95Seconds < 0.34 || st.P95Seconds > 0.36 {
				t.Errorf("status p95 %v s, want 0.35 s", st.P95Seconds)
			}

			// A backend nobody listens on: transport errors, no answer counted, nothing timed.
			mustAdd(t, g, "app", admin.BackendSpec{Name: "gone", Address: freeAddr(t)})
			mustPatch(t, g, "app", "a", admin.Stopped)
			code, _ := get(t, g.URL+"/page", "")
			if code != http.StatusServiceUnavailable {
				t.Fatalf("GET with only an unreachable backend: %d, want 503", code)
			}
			gone := countersOf(t, g, "app", "gone")
			if gone.TransportErrors != 1 || gone.answered() != 0 || gone.Latency.count() != 0 || gone.failed() != 1 {
				t.Fatalf("unreachable backend's counters %+v, want 1 transport error and nothing else", gone)
			}
		})
	}
}

// A protocol switch takes the ReverseProxy path: its 101 counts as 1xx and is timed once, when
// the answer's header is through (the connection that follows is no part of its latency).
func TestBackendCountersProtocolSwitch(t *testing.T) {
	g := newTestGateway(t, nil)
	mustPut(t, g, httpService("ws"))
	mustAdd(t, g, "ws", admin.BackendSpec{Name: "echo", Address: startStatusBackend(t, admin.HTTP)})
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("switch: %v %v", resp, err)
	}
	c := countersOf(t, g, "ws", "echo")
	if c.Responses != [5]uint64{1, 0, 0, 0, 0} || c.Latency.count() != 1 {
		t.Fatalf("while the switched connection is open: %+v, want one 1xx, timed", c)
	}
	conn.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := br.Read(buf); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	eventually(t, 5*time.Second, "the switched connection ended", func() bool { return backendOf(t, g, "ws", "echo").InFlight == 0 })
	if c := countersOf(t, g, "ws", "echo"); c.Latency.count() != 1 || c.answered() != 1 {
		t.Fatalf("after the switched connection: %+v, want still one answer timed once", c)
	}

	// An upgrade request the backend answers without switching is timed at the end of its body.
	req, _ := http.NewRequest(http.MethodGet, g.URL+"/chat?status=426", nil)
	req.Header.Set("Upgrade", "echo")
	req.Header.Set("Connection", "Upgrade")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	eventually(t, 5*time.Second, "the 426 timed", func() bool { return countersOf(t, g, "ws", "echo").Latency.count() == 2 })
	if c := countersOf(t, g, "ws", "echo"); c.Responses != [5]uint64{1, 0, 0, 1, 0} {
		t.Fatalf("after a 426: %+v", c.Responses)
	}
}
