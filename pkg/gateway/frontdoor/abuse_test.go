package frontdoor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/gateway"
)

// The abuse suite attacks roll alone over raw sockets. Every case is followed by a health probe (roll
// still serves), and where it means something by the gateway's own view: nothing left in flight.

// acase is one attack: the bytes sent and what roll's answer must satisfy.
type acase struct {
	name  string
	send  []step
	wants []check
}

// abuseConfig is the gateway configuration of the abuse tests: a slowloris head is cut after 2 s.
func abuseConfig(c *gateway.Config) { c.ReadHeaderTimeout = 2 * time.Second }

// runAbuse sends each case on its own connection, checks roll's answer, then probes roll's health and
// waits for the service to have nothing in flight.
func runAbuse(t *testing.T, roll *rollGateway, cases []acase) {
	t.Helper()
	runAbuseWithin(t, roll, cases, replyTimeout)
}

// runAbuseWithin is runAbuse waiting at most wait for each answer.
func runAbuseWithin(t *testing.T, roll *rollGateway, cases []acase, wait time.Duration) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex := roundTripWithin(roll.addr, c.send, methodsOf(c.send), wait)
			for _, w := range c.wants {
				if !w.ok(ex) {
					t.Errorf("want %s; got %s\n%s", w.what, summary(ex), clip(normalise(ex, nil, 0)))
				}
			}
			probe(t, roll)
			noneInFlight(t, roll, "app")
		})
	}
}

// probe requires a fresh GET /app/nosession.jsp through roll to answer 200 from Tomcat within a second.
func probe(t *testing.T, roll *rollGateway) {
	t.Helper()
	start := time.Now()
	ex := roundTrip(roll.addr, get("/app/nosession.jsp", "Connection: close"), []string{"GET"})
	r := first(ex)
	if r == nil || r.Status != 200 || !strings.HasPrefix(string(r.Body), "route=") {
		t.Fatalf("health probe after the case: %s", summary(ex))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("health probe took %s", d)
	}
}

// inFlightWait bounds how long a finished exchange may still count in flight: it ends in milliseconds.
const inFlightWait = 2 * time.Second

// noneInFlight waits until no backend of svc has a request in flight, as the gateway sees it.
func noneInFlight(t *testing.T, roll *rollGateway, svc string) {
	t.Helper()
	deadline := time.Now().Add(inFlightWait)
	for {
		st, err := roll.Service(t.Context(), svc)
		if err != nil {
			t.Fatalf("Service(%s): %v", svc, err)
		}
		var busy []string
		for _, b := range st.Backends {
			if b.InFlight != 0 {
				busy = append(busy, fmt.Sprintf("%s: %d", b.Name, b.InFlight))
			}
		}
		if len(busy) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still in flight after %s: %s", inFlightWait, strings.Join(busy, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// never2xx: no response is a success or a redirect.
func never2xx() check {
	return check{"no 2xx or 3xx answer", func(ex exchange) bool {
		for _, r := range ex.Responses {
			if r.Status >= 200 && r.Status < 400 || r.Proto == "HTTP/0.9" {
				return false
			}
		}
		return true
	}}
}

// notAnswered: no response shows Tomcat served the request smuggled behind the first.
func notAnswered() check {
	return check{"the smuggled request never answered", func(ex exchange) bool {
		for _, r := range ex.Responses {
			if strings.Contains(string(r.Body), "smuggled=1") {
				return false
			}
		}
		return true
	}}
}

func TestAbuseSmuggling(t *testing.T) {
	roll := startRoll(t, tomcats(t), abuseConfig)
	refusedAndClosed := []check{refused(400, 501), closed(), notAnswered()}
	var cases []acase
	for _, c := range []struct{ name, head, body string }{
		{"CL.TE", "Content-Length: 5\r\nTransfer-Encoding: chunked", "0\r\n\r\n"},
		{"TE.CL", "Transfer-Encoding: chunked\r\nContent-Length: 5", "0\r\n\r\n"},
		{"TE.CL, the length covering the smuggled request", "Transfer-Encoding: chunked\r\nContent-Length: 200", "0\r\n\r\n"},
		{"two Transfer-Encoding fields", "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity", "0\r\n\r\n"},
		{"Transfer-Encoding with a space before the colon", "Transfer-Encoding : chunked\r\nContent-Length: 5", "0\r\n\r\n"},
		{"Transfer-Encoding with a vertical tab", "Transfer-Encoding:\x0bchunked\r\nContent-Length: 5", "0\r\n\r\n"},
		{"Transfer-Encoding folded", "Transfer-Encoding: identity\r\n chunked\r\nContent-Length: 5", "0\r\n\r\n"},
		{"Transfer-Encoding xchunked with a length", "Transfer-Encoding: xchunked\r\nContent-Length: 5", "0\r\n\r\n"},
		{"Transfer-Encoding chunked, identity", "Transfer-Encoding: chunked, identity", "0\r\n\r\n"},
		{"two different Content-Length", "Content-Length: 0\r\nContent-Length: 5", "0\r\n\r\n"},
		{"two equal Content-Length", "Content-Length: 5\r\nContent-Length: 5", "0\r\n\r\n"},
		{"Content-Length list", "Content-Length: 0, 5", "0\r\n\r\n"},
		{"Content-Length with a plus", "Content-Length: +5", "0\r\n\r\n"},
		{"chunk size with 0x", "Transfer-Encoding: chunked", "0x0\r\n\r\n"},
		{"chunk size overflowing 64 bits", "Transfer-Encoding: chunked", "10000000000000000\r\nx\r\n0\r\n\r\n"},
		{"chunk size negative", "Transfer-Encoding: chunked", "-1\r\nx\r\n0\r\n\r\n"},
		{"chunked with bare LF line ends", "Transfer-Encoding: chunked", "1\nx\n0\n\n"},
		{"chunk data longer than its size", "Transfer-Encoding: chunked", "1\r\nxyz\r\n0\r\n\r\n"},
	} {
		front := "POST /app/echo.jsp HTTP/1.1\r\nHost: frontdoor.test\r\n" + testAgent + "\r\n" + c.head + "\r\n\r\n" + c.body
		cases = append(cases, acase{c.name, smuggled(front), refusedAndClosed})
	}
	cases = append(cases,
		acase{"Transfer-Encoding on HTTP/1.0", smuggled("POST /app/echo.jsp HTTP/1.0\r\nHost: frontdoor.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"), refusedAndClosed},
		// A request inside a body is a body: Tomcat gets it as bytes, never as a request.
		acase{"a request inside a Content-Length body", post("/app/echo.jsp", head("GET", "/app/info.jsp?smuggled=1")), []check{status(200), answers(1), notAnswered()}},
		acase{"a request inside a chunked body", chunked("/app/echo.jsp", []string{head("GET", "/app/info.jsp?smuggled=1")}), []check{status(200), answers(1), notAnswered()}},
	)
	runAbuse(t, roll, cases)
}

func TestAbuseTraversal(t *testing.T) {
	roll := startRoll(t, tomcats(t), abuseConfig)
	paths := []string{
		"/app/../other/", "/app/..;/other/", "/app/..;/other/secret.jsp", "/app/..;/other/secret.txt",
		"/app/%2e%2e/other/", "/app/%2E%2E/other/secret.jsp", "/app/.%2e/other/", "/app/%2e./other/",
		"/app;x/../other/", "/app;jsessionid=x.tomcat1/../other/", "/app/x/../../other/", "/app//../other/",
		"/app/..;/..;/other/", "/app/..;a=b/other/", "/app/./../other/", "/app/x/./../../other/secret.jsp",
		"/app/%252e%252e/other/", "/app/..%2fother/", "/app/..%2Fother/secret.jsp", "/app/%2e%2e%2fother/",
		"/app/..%5cother/", "/app/..\\other/", "/app\\..\\other/", "/app/..%00/other/", "/app/%00/../other/",
		"/app/%c0%ae%c0%ae/other/", "/app/..%c0%af/other/", "/app/%u002e%u002e/other/", "/app/.../other/",
		"/app/....//other/", "/app/..%09/other/", "/app/.. /other/", "/app/%2e%2e;/other/", "/app/%2e%2e%3b/other/",
		"/app/..;jsessionid=x.tomcat2/other/secret.jsp", "/app/info.jsp/../../other/", "/app/..#/other/",
	}
	var cases []acase
	for _, p := range paths {
		cases = append(cases, acase{"GET " + p, get(p), []check{never2xx(), notReached()}})
	}
	for _, p := range []string{"/app/..;/other/", "/app/%2e%2e/other/secret.jsp"} {
		cases = append(cases,
			acase{"HEAD " + p, req("HEAD", p), []check{never2xx(), notReached()}},
			acase{"POST " + p, post(p, "x=1"), []check{never2xx(), notReached()}},
			acase{"HTTP/1.0 " + p, lines("GET "+p+" HTTP/1.0", "Host: frontdoor.test"), []check{never2xx(), notReached()}},
			acase{"absolute-form " + p, get("http://frontdoor.test" + p), []check{never2xx(), notReached()}},
			acase{"pipelined behind a good request " + p, concat(get("/app/nosession.jsp"), get(p)), []check{notReached()}},
		)
	}
	runAbuse(t, roll, cases)
}

func TestAbuseMalformedHeads(t *testing.T) {
	roll := startRoll(t, tomcats(t), abuseConfig)
	runAbuse(t, roll, []acase{
		{"request line over 8 KiB", get("/app/info.jsp?q=" + repeat("l", 9000)), []check{refused(414)}},
		{"request line of 1 MiB", get("/app/info.jsp?q=" + repeat("l", 1<<20)), []check{refused(414)}},
		{"headers over MaxHeaderBytes", get("/app/info.jsp", manyHeaders(80, 1000)...), []check{refused(431)}},
		{"one header over MaxHeaderBytes", get("/app/info.jsp", "X-Big: "+repeat("b", 70000)), []check{refused(431)}},
		{"headers over the AJP packet", get("/app/info.jsp", "X-Big: "+repeat("b", 8100)), []check{refused(431)}},
		{"10,000 tiny headers", get("/app/info.jsp", manyHeaders(10000, 0)...), []check{refused(431, 400)}},
		{"bare LF everywhere", raw("GET /app/info.jsp HTTP/1.1\nHost: frontdoor.test\n\n"), []check{refused(400)}},
		{"bare LF at the end of the head", raw("GET /app/info.jsp HTTP/1.1\r\nHost: frontdoor.test\r\n\n"), []check{refused(400)}},
		{"bare CR", raw("GET /app/info.jsp HTTP/1.1\rHost: frontdoor.test\r\n\r\n"), []check{refused(400)}},
		{"NUL in the request line", raw("GET /app/info.jsp\x00 HTTP/1.1\r\nHost: frontdoor.test\r\n\r\n"), []check{refused(400)}},
		{"HTTP/0.9", raw("GET /app/info.jsp\r\n"), []check{refused(400), never2xx()}},
		{"HTTP/0.9 with a half-close", []step{{data: []byte("GET /app/nosession.jsp\r\n"), closeWrite: true}}, []check{refused(400), never2xx()}},
		{"HTTP/0.9 outside the mount", raw("GET /other/secret.jsp\r\n"), []check{refused(400), never2xx(), notReached()}},
		{"HTTP/2.0 request line", lines("GET /app/info.jsp HTTP/2.0", "Host: frontdoor.test"), []check{refused(505)}},
		{"HTTP/1.2 request line", lines("GET /app/info.jsp HTTP/1.2", "Host: frontdoor.test"), []check{status(505, 200)}},
		{"the HTTP/2 preface", raw("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), []check{refused(400, 505)}},
		// No line end ever comes: refused at once, or when ReadHeaderTimeout passes.
		{"TLS client hello on the plain port", raw("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"), []check{refused(400, 408)}},
		{"binary garbage", raw("\x00\xff\xfe\x01\r\n\r\n"), []check{refused(400)}},
		{"a head cut off before its end", []step{{data: []byte("GET /app/info.jsp HTTP/1.1\r\nHost: fro"), closeWrite: true}}, []check{refused(400), never2xx()}},
		{"a slow head past ReadHeaderTimeout", []step{{data: []byte("GET /app/info.jsp HTTP/1.1\r\n")}, {pause: 3 * time.Second, data: []byte("Host: frontdoor.test\r\n\r\n")}}, []check{refused(408, 400), never2xx()}},
	})
}

func TestAbusePipelining(t *testing.T) {
	roll := startRoll(t, tomcats(t), abuseConfig)
	in := func(n int) check {
		return check{fmt.Sprintf("%d answers in order, each the page asked", n), func(ex exchange) bool {
			if len(ex.Responses) != n {
				return false
			}
			for i, r := range ex.Responses {
				if r.Status != 200 || !strings.Contains(string(r.Body), fmt.Sprintf("query_string=n=%d\n", i+1)) {
					return false
				}
			}
			return true
		}}
	}
	runAbuse(t, roll, []acase{
		{"two requests in one write", concat(get("/app/info.jsp?n=1"), get("/app/info.jsp?n=2")), []check{in(2)}},
		{"three requests in one write", concat(get("/app/info.jsp?n=1"), get("/app/info.jsp?n=2"), get("/app/info.jsp?n=3")), []check{in(3)}},
		{"a body, then two more", concat(post("/app/info.jsp?n=1", "abc"), chunked("/app/info.jsp?n=2", []string{"de"}), get("/app/info.jsp?n=3")), []check{in(3)}},
		{"ten requests in one write", concat(pipeline(10)...), []check{in(10)}},
	})
}

// pipeline is n GETs of info.jsp?n=1…n.
func pipeline(n int) [][]step {
	reqs := make([][]step, n)
	for i := range reqs {
		reqs[i] = get(fmt.Sprintf("/app/info.jsp?n=%d", i+1))
	}
	return reqs
}
