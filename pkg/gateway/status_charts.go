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
		var serving []namedSeries
		for _, m := range s.snap.Load().members {
			series := namedSeries{name: m.spec.Name, trafficSeries: m.b.history.series()}
			sc.Backends[m.spec.Name] = figureCharts(series)
			if m.spec.Activation == admin.Stopped || (m.pending && !m.fresh) { // a canary's new backends serve beside the old
				continue
			}
			serving = append(serving, series)
		}
		if len(serving) > 1 {
			sc.Compare = figureCharts(serving...)
		}
		sc.Canary = canaryCharts(s)
		out[name] = sc
	}
	return out
}
