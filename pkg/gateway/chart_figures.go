package gateway

import "html/template"

// namedSeries is the traffic of one backend, or of one version, under the name its lines get.
type namedSeries struct {
	name string
	trafficSeries
}

// figureCharts draws the status page's three figures, requests/s, failed share (5xx and
// transport errors) and p95 latency, with one line per series on each, in chartColors' order:
// the first series for the one backend or the old version, the second for the new one (a
// canary). Give it one series for a backend's card, several to compare them.
func figureCharts(series ...namedSeries) []template.HTML {
	figures := []struct {
		title, unit string
		values      func(trafficSeries) []float64
	}{
		{"requests/s", "req/s", func(s trafficSeries) []float64 { return s.perSecond }},
		{"failed", "%", func(s trafficSeries) []float64 { return s.errorRate }},
		{"p95", "ms", func(s trafficSeries) []float64 { return s.p95 }},
	}
	out := make([]template.HTML, 0, len(figures))
	for _, f := range figures {
		c := chart{title: f.title, unit: f.unit}
		for i, s := range series {
			c.lines = append(c.lines, chartLine{name: s.name, color: chartColors[i%len(chartColors)], values: f.values(s.trafficSeries)})
		}
		out = append(out, c.svg())
	}
	return out
}
