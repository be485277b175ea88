package gateway

import (
	"html/template"
	"math"
	"strconv"
	"strings"
)

// A chart is the status page's picture of one figure over the last minutes: a line per series
// on one scale, as inline SVG (no script, no chart library), with each line's latest value and
// the top of the scale written beside it, so it reads without a legend.
type chart struct {
	title string
	unit  string // "req/s", "%", "ms": how values are written
	lines []chartLine
}

// chartLine is one series of a chart; NaN marks a moment without data (no request in that
// interval for a rate, no sample yet), drawn as a gap rather than as zero.
type chartLine struct {
	name   string
	color  string // a CSS colour from chartColors
	values []float64
}

// chartColors are the lines' colours: the first for the one backend or the old version, the second
// for the new one (a canary), then others.
var chartColors = []string{"#2a7ab0", "#d9480f", "#5c940d", "#862e9c"}

const (
	chartWidth  = 240
	chartHeight = 44
)

// svg draws the chart. Everything drawn from data is a number; names are escaped.
func (c chart) svg() template.HTML {
	top := 0.0
	for _, l := range c.lines {
		for _, v := range l.values {
			if !math.IsNaN(v) && v > top {
				top = v
			}
		}
	}
	scale := niceCeil(top)
	var b strings.Builder
	b.WriteString(`<figure class="chart"><figcaption>`)
	b.WriteString(template.HTMLEscapeString(c.title))
	for _, l := range c.lines {
		b.WriteString(` <span style="color:` + l.color + `">`)
		if len(c.lines) > 1 {
			b.WriteString(template.HTMLEscapeString(l.name) + " ")
		}
		b.WriteString("<b>" + formatChartValue(lastValue(l.values), c.unit) + "</b></span>")
	}
	b.WriteString(`</figcaption><svg viewBox="0 0 ` + strconv.Itoa(chartWidth) + " " + strconv.Itoa(chartHeight) +
		`" width="` + strconv.Itoa(chartWidth) + `" height="` + strconv.Itoa(chartHeight) + `" role="img" aria-label="`)
	b.WriteString(template.HTMLEscapeString(c.title))
	b.WriteString(`"><rect x="0" y="0" width="` + strconv.Itoa(chartWidth) + `" height="` + strconv.Itoa(chartHeight) +
		`" fill="#f7f7f7"/>`)
	b.WriteString(`<text x="2" y="9" font-size="8" fill="#888">` + formatChartValue(scale, c.unit) + `</text>`)
	for _, l := range c.lines {
		for _, seg := range chartSegments(l.values, scale) {
			b.WriteString(`<polyline fill="none" stroke-width="1.5" stroke="` + l.color + `" points="` + seg + `"/>`)
		}
	}
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String()) //nolint:gosec // built from numbers and escaped names only
}

// chartSegments turns values into polyline point lists on a chart of the given scale, one per run
// of values without a gap; a lone value is drawn as a short flat dash so that it shows.
func chartSegments(values []float64, scale float64) []string {
	if scale <= 0 {
		scale = 1
	}
	step := float64(chartWidth)
	if len(values) > 1 {
		step = float64(chartWidth) / float64(len(values)-1)
	}
	type point struct{ x, y float64 }
	var out []string
	var seg []point
	flush := func() {
		if len(seg) == 1 {
			seg = append(seg, point{min(seg[0].x+max(step/2, 2), chartWidth), seg[0].y})
		}
		if len(seg) > 0 {
			pts := make([]string, len(seg))
			for i, p := range seg {
				pts[i] = strconv.FormatFloat(p.x, 'f', 1, 64) + "," + strconv.FormatFloat(p.y, 'f', 1, 64)
			}
			out = append(out, strings.Join(pts, " "))
		}
		seg = seg[:0]
	}
	for i, v := range values {
		if math.IsNaN(v) {
			flush()
			continue
		}
		// The top 12 units hold the scale's label; values past the scale (none, by niceCeil) clip.
		y := float64(chartHeight) - 1 - min(v/scale, 1)*float64(chartHeight-12)
		seg = append(seg, point{float64(i) * step, y})
	}
	flush()
	return out
}

// niceCeil rounds a chart's top up to 1, 2 or 5 times a power of ten, so that the scale reads well.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func lastValue(values []float64) float64 {
	for i := len(values) - 1; i >= 0; i-- {
		if !math.IsNaN(values[i]) {
			return values[i]
		}
	}
	return math.NaN()
}

func formatChartValue(v float64, unit string) string {
	if math.IsNaN(v) {
		return "–"
	}
	switch {
	case unit == "%":
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case v >= 100 || v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64) + " " + unit
	default:
		return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
	}
}
