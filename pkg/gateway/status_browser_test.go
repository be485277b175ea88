package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/internal/browsertest"
)

// The status page's charts, as a person sees them: loaded in a real headless Chromium (token in
// the URL, then the cookie, as a browser does), every backend's card has its requests/s, failed
// and p95 charts, the service compares its backends on one chart each, and the lines are drawn
// in their colours. The figures are those of real answers from real backends on loopback: in the
// last interval a answers 2 of its 10 requests with a 500 (the failed share counts 5xx answers,
// not only transport errors), and b answers 2 of its 20 after 300 ms (its p95 is that
// interval's, from the difference of two latency snapshots, not the whole history's).
func TestStatusPageChartsInABrowser(t *testing.T) {
	bin := browsertest.Require(t)
	g := newTestGateway(t, func(c *Config) { c.historyEvery = time.Hour }) // the test takes the samples
	mustPut(t, g, httpService("app"))
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: startStatusBackend(t, admin.HTTP)})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b", Address: startStatusBackend(t, admin.HTTP)})
	to := func(backend, query string, n int) {
		for range n {
			get(t, g.URL+"/page"+query, "JSESSIONID=S."+backend) // the route sends it to that backend
		}
	}
	start := time.Now().Add(-10 * historyEvery)
	for i := range 7 {
		g.sampleTraffic(start.Add(time.Duration(i) * historyEvery))
		to("a", "", 5*(i+1))
		to("b", "", 5*(i+1))
	}
	g.sampleTraffic(start.Add(7 * historyEvery))
	to("a", "", 8)
	to("a", "?status=500", 2)
	to("b", "", 18)
	to("b", "?sleep=300ms", 2)
	eventually(t, 10*time.Second, "the last answers timed", func() bool {
		return countersOf(t, g, "app", "a").Latency.count() == 150 && countersOf(t, g, "app", "b").Latency.count() == 160
	})
	g.sampleTraffic(start.Add(8 * historyEvery))

	url := g.AdminURL + "/status?token=" + testToken
	dom := browsertest.DOM(t, bin, url)
	if n := strings.Count(dom, "<svg"); n != 9 {
		t.Fatalf("the page as loaded has %d charts, want 9 (3 per backend, 3 comparing them):\n%s", n, dom)
	}
	if n := strings.Count(dom, "<polyline"); n < 12 {
		t.Fatalf("the charts have %d lines, want one per backend in each at least:\n%s", n, dom)
	}
	for _, want := range []string{
		"requests/s", "req/s</b>",
		// a's failed share in the last interval: 2 answers of 500 out of 10.
		"failed", "a <b>20.0%</b>", "b <b>0.0%</b>",
		// b's p95 in the last interval: 18 fast, 2 in (250 ms, 500 ms], so half-way into that bucket.
		"p95", "b <b>375 ms</b>",
		// The cards' counts: a's two 500s, and each backend's p95 over the last minute.
		"5xx <b>2</b>", "p95 (1 min) <b>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(dom, "<b>20.0%</b>"); n != 2 {
		t.Errorf("a's failed share shows %d times, want twice (its card and the comparison)", n)
	}
	if n := strings.Count(dom, "<b>375 ms</b>"); n != 2 {
		t.Errorf("b's p95 shows %d times, want twice (its card and the comparison)", n)
	}
	img := browsertest.Screenshot(t, bin, url, 1000, 1200)
	first, second := chartRGB(chartColors[0]), chartRGB(chartColors[1])
	if n := browsertest.CountColor(img, first[0], first[1], first[2], 40); n < 400 {
		t.Errorf("%d pixels of the first line colour drawn, want the lines of nine charts", n)
	}
	if n := browsertest.CountColor(img, second[0], second[1], second[2], 40); n < 75 {
		t.Errorf("%d pixels of the second backend's colour drawn in the comparison charts", n)
	}
}

// chartRGB reads a chart colour "#rrggbb".
func chartRGB(c string) [3]uint8 {
	var out [3]uint8
	for i := range out {
		var v uint8
		for _, ch := range c[1+2*i : 3+2*i] {
			v = v<<4 | uint8(strings.IndexRune("0123456789abcdef", ch))
		}
		out[i] = v
	}
	return out
}
