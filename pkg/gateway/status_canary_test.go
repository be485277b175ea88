package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/internal/browsertest"
)

// TestStatusPageShowsTheCanaryInABrowser: while a canary runs, the status page (in a real
// headless Chromium) shows its verdict so far with both sides' figures, and three charts
// comparing the canary with the old version, the canary's lines drawn in the new colour.
func TestStatusPageShowsTheCanaryInABrowser(t *testing.T) {
	bin := browsertest.Require(t)
	g := newTestGateway(t, func(c *Config) { c.historyEvery = time.Hour }) // the test takes the samples
	old := startNameBackend(t, "old")
	spec := httpService("app")
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "old", Address: old.addr()})
	bad := startFailingBackend(t, "new", 4)
	log := newEventLog()
	done := startRequest(g, admin.RolloutRequest{
		Backends: []admin.BackendSpec{{Name: "new", Address: bad.addr()}},
		Canary:   &admin.CanarySpec{Share: 0.5, Window: admin.Duration(time.Hour), MinRequests: 100000},
	}, log)
	log.wait(t, admin.StepCanary)
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
	for _, want := range []string{"canary: <b>pending</b>", "50.0% of new sessions", "canary vs old: failed", "canary vs old: p95",
		"canary vs old: requests/s", "new new", "old old", "requests needed so far"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q:\n%s", want, dom)
		}
	}
	img := browsertest.Screenshot(t, bin, url, 1000, 1000)
	second := chartRGB(chartColors[1])
	if n := browsertest.CountColor(img, second[0], second[1], second[2], 40); n < 100 {
		t.Errorf("%d pixels of the canary's colour drawn, want its lines in the comparison charts", n)
	}
	if _, err := g.AbortCanary(t.Context(), "app", admin.CanaryDecision{}); err != nil {
		t.Fatal(err)
	}
	if o := waitOutcome(t, done); !o.res.Aborted {
		t.Fatalf("rollout: %+v, %v", o.res, o.err)
	}
}
