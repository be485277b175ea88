package gateway

import (
	"html/template"
	"slices"
)

// canaryCharts are the status page's pictures of a running canary: its error share, p95 and
// requests/s beside the old version's, one chart per figure, the canary's lines in the new
// version's colour and named "new …", the old side's in the old colour and named "old …".
func canaryCharts(s *service) []template.HTML {
	c := s.canary.Load()
	if c == nil {
		return nil
	}
	errs := chart{title: "canary vs old: failed", unit: "%"}
	p95 := chart{title: "canary vs old: p95", unit: "ms"}
	rate := chart{title: "canary vs old: requests/s", unit: "req/s"}
	for _, side := range []struct {
		label   string
		members []member
		colors  []string
	}{{"old ", c.old, []string{chartColors[0], chartColors[2]}}, {"new ", c.fresh, []string{chartColors[1], chartColors[3]}}} {
		for i, m := range side.members {
			series := m.b.history.series()
			color := side.colors[i%len(side.colors)]
			name := side.label + m.spec.Name
			errs.lines = append(errs.lines, chartLine{name: name, color: color, values: series.errorRate})
			p95.lines = append(p95.lines, chartLine{name: name, color: color, values: series.p95})
			rate.lines = append(rate.lines, chartLine{name: name, color: color, values: series.perSecond})
		}
	}
	return slices.Clip([]template.HTML{errs.svg(), p95.svg(), rate.svg()})
}
