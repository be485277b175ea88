package gateway

import (
	"math"
	"strings"
	"testing"
)

func TestChartSegments(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		values []float64
		scale  float64
		want   []string
	}{
		{"a line over the whole width", []float64{0, 5, 10}, 10, []string{"0.0,43.0 120.0,27.0 240.0,11.0"}},
		{"a gap splits the line", []float64{10, 10, nan, 0, 0}, 10, []string{"0.0,11.0 60.0,11.0", "180.0,43.0 240.0,43.0"}},
		{"a lone value is a dash", []float64{nan, 5, nan}, 10, []string{"120.0,27.0 180.0,27.0"}},
		{"nothing to draw", []float64{nan, nan}, 10, nil},
		{"zero scale draws at the bottom", []float64{0, 0}, 0, []string{"0.0,43.0 240.0,43.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := chartSegments(tc.values, tc.scale)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("chartSegments(%v, %v) = %q, want %q", tc.values, tc.scale, got, tc.want)
			}
		})
	}
}

func TestNiceCeil(t *testing.T) {
	for v, want := range map[float64]float64{0: 1, 0.3: 0.5, 1: 1, 1.2: 2, 3: 5, 7: 10, 42: 50, 180: 200, 12500: 20000} {
		if got := niceCeil(v); math.Abs(got-want) > 1e-9 {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
}

// A chart writes its latest values and its scale, names each line when there are several, and
// escapes names: a backend's name comes from the admin API.
func TestChartSVG(t *testing.T) {
	c := chart{title: "errors", unit: "%", lines: []chartLine{
		{name: "app-1", color: chartColors[0], values: []float64{0, 1.5, math.NaN()}},
		{name: `<b>"x"</b>`, color: chartColors[1], values: []float64{20, 18.25}},
	}}
	svg := string(c.svg())
	for _, want := range []string{"<svg ", "1.5%", "18.2%", ">20.0%</text>", "&lt;b&gt;&#34;x&#34;&lt;/b&gt;", `stroke="#d9480f"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart SVG lacks %q:\n%s", want, svg)
		}
	}
	if strings.Contains(svg, `<b>"x"`) {
		t.Errorf("a name went into the SVG unescaped:\n%s", svg)
	}
	one := string(chart{title: "req/s", unit: "req/s", lines: []chartLine{{name: "a", color: chartColors[0], values: []float64{math.NaN()}}}}.svg())
	if !strings.Contains(one, "<b>–</b>") || strings.Contains(one, "<polyline") {
		t.Errorf("a chart without data should say – and draw no line:\n%s", one)
	}
}

// figureCharts draws requests/s, failed and p95, one line per series in chartColors' order:
// what a backend's card shows with one series, and a comparison (old against new) with two.
func TestFigureCharts(t *testing.T) {
	nan := math.NaN()
	old := namedSeries{name: "v1", trafficSeries: trafficSeries{perSecond: []float64{10, 12}, errorRate: []float64{0, 1}, p95: []float64{4, 4.5}}}
	canary := namedSeries{name: "v2", trafficSeries: trafficSeries{perSecond: []float64{nan, 3}, errorRate: []float64{nan, 25}, p95: []float64{nan, 180}}}
	got := figureCharts(old, canary)
	if len(got) != 3 {
		t.Fatalf("%d charts, want 3", len(got))
	}
	for i, want := range [][]string{
		{"requests/s", "v1 <b>12 req/s</b>", "v2 <b>3 req/s</b>"},
		{"failed", "v1 <b>1.0%</b>", "v2 <b>25.0%</b>"},
		{"p95", "v1 <b>4.5 ms</b>", "v2 <b>180 ms</b>", ">200 ms</text>"},
	} {
		svg := string(got[i])
		for _, w := range append(want, `stroke="`+chartColors[0]+`"`, `stroke="`+chartColors[1]+`"`) {
			if !strings.Contains(svg, w) {
				t.Errorf("chart %d lacks %q:\n%s", i, w, svg)
			}
		}
	}
	one := string(figureCharts(old)[2])
	if strings.Contains(one, "v1 <b>") || !strings.Contains(one, "<b>4.5 ms</b>") {
		t.Errorf("a single series is not named, and shows its latest value:\n%s", one)
	}
}
