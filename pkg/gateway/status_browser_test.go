package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/internal/browsertest"
)

// The status page's charts, as a person sees them: loaded in a real headless Chromium (token in
// the URL, then the cookie, as a browser does), every backend's card has its requests/s and
// failed charts, the service compares its backends on one chart each, and the lines are drawn in
// their colours.
func TestStatusPageChartsInABrowser(t *testing.T) {
	bin := browsertest.Require(t)
	g := newTestGateway(t, func(c *Config) { c.historyEvery = time.Hour }) // the test takes the samples
	a, b := startNameBackend(t, "a"), startNameBackend(t, "b")
	mustPut(t, g, httpService("app"))
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: a.addr()})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b", Address: b.addr()})
	start := time.Now().Add(-10 * historyEvery)
	for i := range 8 {
		g.sampleTraffic(start.Add(time.Duration(i) * historyEvery))
		for range 10 * (i + 1) {
			get(t, g.URL+"/page", "")
		}
	}
	g.sampleTraffic(start.Add(8 * historyEvery))

	url := g.AdminURL + "/status?token=" + testToken
	dom := browsertest.DOM(t, bin, url)
	if n := strings.Count(dom, "<svg"); n != 6 {
		t.Fatalf("the page as loaded has %d charts, want 6 (2 per backend, 2 comparing them):\n%s", n, dom)
	}
	if n := strings.Count(dom, "<polyline"); n < 6 {
		t.Fatalf("the charts have %d lines, want one in each at least:\n%s", n, dom)
	}
	for _, want := range []string{"requests/s", "failed", "req/s</b>", "0.0%</b>"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	img := browsertest.Screenshot(t, bin, url, 1000, 1000)
	first, second := chartRGB(chartColors[0]), chartRGB(chartColors[1])
	if n := browsertest.CountColor(img, first[0], first[1], first[2], 40); n < 300 {
		t.Errorf("%d pixels of the first line colour drawn, want the lines of six charts", n)
	}
	if n := browsertest.CountColor(img, second[0], second[1], second[2], 40); n < 50 {
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
