package gateway

import (
	"html/template"

	"github.com/rollcd/roll/pkg/admin"
)

// serviceCharts are the pictures of one service on the status page: all its serving backends
// on one chart per figure (the old and the new version side by side during a deploy), and each
// backend's own in its card.
type serviceCharts struct {
	Compare  []template.HTML
	Canary   []template.HTML // a running canary against the old version (status_canary.go)
	Backends map[string][]template.HTML
}

// statusCharts draws the charts of every service from the backends' traffic histories.
func (g *Gateway) statusCharts() map[string]serviceCharts {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]serviceCharts, len(g.services))
	for name, s := range g.services {
		sc := serviceCharts{Backends: map[string][]template.HTML{}}
		rate := chart{title: "requests/s", unit: "req/s"}
		errs := chart{title: "failed", unit: "%"}
		for _, m := range s.snap.Load().members {
			series := m.b.history.series()
			sc.Backends[m.spec.Name] = []template.HTML{
				chart{title: "requests/s", unit: "req/s", lines: []chartLine{{name: m.spec.Name, color: chartColors[0], values: series.perSecond}}}.svg(),
				chart{title: "failed", unit: "%", lines: []chartLine{{name: m.spec.Name, color: chartColors[0], values: series.errorRate}}}.svg(),
			}
			if m.spec.Activation == admin.Stopped || (m.pending && !m.fresh) { // a canary's new backends serve beside the old
				continue
			}
			color := chartColors[len(rate.lines)%len(chartColors)]
			rate.lines = append(rate.lines, chartLine{name: m.spec.Name, color: color, values: series.perSecond})
			errs.lines = append(errs.lines, chartLine{name: m.spec.Name, color: color, values: series.errorRate})
		}
		if len(rate.lines) > 1 {
			sc.Compare = []template.HTML{rate.svg(), errs.svg()}
		}
		sc.Canary = canaryCharts(s)
		out[name] = sc
	}
	return out
}
