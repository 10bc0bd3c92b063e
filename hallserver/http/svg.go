package http

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strconv"
)

// A small SVG chart renderer for the supervision page: bar charts (grouped) and line charts,
// drawn on the server, no script and no CDN. Geometry is computed here; the markup comes from
// an html/template, so every label (department names, period labels) is escaped.

// chartSeries is one named series of values, one per category.
type chartSeries struct {
	Name   string
	Class  string // CSS class for the colour (s0, s1…); set by the renderer when empty
	Values []float64
}

// chart is what both renderers draw: categories along x, series as bars or lines.
type chart struct {
	Title      string
	Categories []string
	Series     []chartSeries
	// Max is the top of the y axis (0: the largest value rounded up); Percent shows values
	// 0–1 as 0–100 %.
	Max     float64
	Percent bool
	// Counts says the values are counts: the axis then labels whole numbers only (its top is
	// four whole steps of 1, 2 or 5 × 10^k).
	Counts bool
	Width  int // 640 by default
	Height int // 240 by default
}

// svgText is a text label placed in the chart.
type svgText struct {
	X, Y   float64
	Anchor string
	Rotate bool
	Class  string
	Text   string
}

// svgRect is a bar.
type svgRect struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

// svgLine is a line segment (axes, grid).
type svgLine struct {
	X1, Y1, X2, Y2 float64
	Class          string
}

// svgPath is a series line with its points.
type svgPath struct {
	Points string
	Class  string
	Dots   []svgDot
}

// svgDot is a point of a series line.
type svgDot struct {
	X, Y  float64
	Class string
	Title string
}

type svgData struct {
	W, H  int
	Title string
	Grid  []svgLine
	Texts []svgText
	Rects []svgRect
	Paths []svgPath
}

var svgTemplate = template.Must(template.New("svg").Funcs(template.FuncMap{"f": fmtNum}).Parse(
	`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" role="img" aria-label="{{.Title}}">` +
		`<title>{{.Title}}</title>` +
		`{{range .Grid}}<line x1="{{f .X1}}" y1="{{f .Y1}}" x2="{{f .X2}}" y2="{{f .Y2}}" class="{{.Class}}"/>{{end}}` +
		`{{range .Rects}}<rect x="{{f .X}}" y="{{f .Y}}" width="{{f .W}}" height="{{f .H}}" class="{{.Class}}"><title>{{.Title}}</title></rect>{{end}}` +
		`{{range .Paths}}<polyline points="{{.Points}}" class="line {{.Class}}"/>{{range .Dots}}<circle cx="{{f .X}}" cy="{{f .Y}}" r="3" class="dot {{.Class}}"><title>{{.Title}}</title></circle>{{end}}{{end}}` +
		`{{range .Texts}}<text x="{{f .X}}" y="{{f .Y}}" text-anchor="{{.Anchor}}" class="{{.Class}}"{{if .Rotate}} transform="rotate(-35 {{f .X}} {{f .Y}})"{{end}}>{{.Text}}</text>{{end}}` +
		`</svg>`))

func fmtNum(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// chart margins.
const (
	chartLeft   = 44.0
	chartRight  = 12.0
	chartTop    = 30.0
	chartBottom = 62.0
)

func (c *chart) defaults() {
	if c.Width == 0 {
		c.Width = 640
	}
	if c.Height == 0 {
		c.Height = 240
	}
	for i := range c.Series {
		if c.Series[i].Class == "" {
			c.Series[i].Class = "s" + strconv.Itoa(i)
		}
	}
}

// scale returns the y-axis top, the number of grid steps up to it and a value formatter.
func (c *chart) scale() (float64, int, func(float64) string) {
	if c.Percent {
		return 1, 4, func(v float64) string { return strconv.Itoa(int(math.Round(v*100))) + "%" }
	}
	top := c.Max
	if top == 0 {
		for _, s := range c.Series {
			for _, v := range s.Values {
				top = math.Max(top, v)
			}
		}
		if c.Counts {
			return countScale(top)
		}
		top = niceCeil(top)
	}
	return top, 4, func(v float64) string { return fmtNum(v) }
}

// countScale is the axis of counts up to largest: whole-number grid steps (one per unit up to
// 4, else 1, 2 or 5 × 10^k, at most 4 steps), labelled as whole numbers.
func countScale(largest float64) (float64, int, func(float64) string) {
	format := func(v float64) string { return strconv.Itoa(int(math.Round(v))) }
	if largest <= 4 {
		top := math.Max(1, math.Ceil(largest))
		return top, int(top), format
	}
	step := niceCeil(largest / 4)
	steps := math.Ceil(largest / step)
	return step * steps, int(steps), format
}

// niceCeil rounds up to 1, 2 or 5 × 10^k (at least 1).
func niceCeil(v float64) float64 {
	if v <= 1 {
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

// frame draws the axes, the grid with its labels, the legend and the category labels; it
// returns the data and the plot area.
func (c *chart) frame(centered bool) (svgData, float64, float64, float64, float64, func(float64) float64) {
	c.defaults()
	d := svgData{W: c.Width, H: c.Height, Title: c.Title}
	x0, x1 := chartLeft, float64(c.Width)-chartRight
	y0, y1 := chartTop, float64(c.Height)-chartBottom
	top, steps, format := c.scale()
	y := func(v float64) float64 { return y1 - (math.Min(math.Max(v, 0), top)/top)*(y1-y0) }
	for i := 0; i <= steps; i++ {
		v := top * float64(i) / float64(steps)
		d.Grid = append(d.Grid, svgLine{X1: x0, Y1: y(v), X2: x1, Y2: y(v), Class: "grid"})
		d.Texts = append(d.Texts, svgText{X: x0 - 6, Y: y(v) + 4, Anchor: "end", Class: "axis", Text: format(v)})
	}
	d.Grid = append(d.Grid, svgLine{X1: x0, Y1: y1, X2: x1, Y2: y1, Class: "axisline"})
	lx := x0
	for _, s := range c.Series {
		d.Rects = append(d.Rects, svgRect{X: lx, Y: 8, W: 10, H: 10, Class: "bar " + s.Class, Title: s.Name})
		d.Texts = append(d.Texts, svgText{X: lx + 14, Y: 17, Anchor: "start", Class: "legend", Text: s.Name})
		lx += 30 + textWidth(s.Name)
	}
	n := len(c.Categories)
	if n > 0 {
		step := (x1 - x0) / float64(n)
		rotate := step < 56
		every := 1
		if step < 14 {
			every = int(math.Ceil(14 / step))
		}
		for i, cat := range c.Categories {
			if i%every != 0 {
				continue
			}
			cx := x0 + step*(float64(i)+0.5)
			if !centered && n > 1 {
				cx = x0 + (x1-x0)*float64(i)/float64(n-1)
			}
			t := svgText{X: cx, Y: y1 + 16, Anchor: "middle", Class: "cat", Text: clipLabel(cat, 7)}
			if rotate {
				t.Anchor, t.Rotate = "end", true
			}
			d.Texts = append(d.Texts, t)
		}
	}
	return d, x0, x1, y0, y1, y
}

// barSVG renders a grouped bar chart.
func barSVG(c chart) template.HTML {
	d, x0, x1, _, y1, y := c.frame(true)
	n, k := len(c.Categories), len(c.Series)
	_, _, format := c.scale()
	if n > 0 && k > 0 {
		step := (x1 - x0) / float64(n)
		bw := step * 0.8 / float64(k)
		for i := range c.Categories {
			for j, s := range c.Series {
				v := 0.0
				if i < len(s.Values) {
					v = s.Values[i]
				}
				bx := x0 + step*float64(i) + step*0.1 + bw*float64(j)
				d.Rects = append(d.Rects, svgRect{X: bx, Y: y(v), W: math.Max(bw-1, 1), H: y1 - y(v), Class: "bar " + s.Class,
					Title: fmt.Sprintf("%s · %s: %s", c.Categories[i], s.Name, format(v))})
			}
		}
	}
	return render(d)
}

// lineSVG renders a line chart (categories are the points along x).
func lineSVG(c chart) template.HTML {
	d, x0, x1, _, _, y := c.frame(false)
	n := len(c.Categories)
	_, _, format := c.scale()
	for _, s := range c.Series {
		p := svgPath{Class: s.Class}
		var pts bytes.Buffer
		for i := 0; i < n && i < len(s.Values); i++ {
			x := x0 + (x1-x0)/2
			if n > 1 {
				x = x0 + (x1-x0)*float64(i)/float64(n-1)
			}
			v := s.Values[i]
			if math.IsNaN(v) { // no data in this period: a gap
				continue
			}
			fmt.Fprintf(&pts, "%s,%s ", fmtNum(x), fmtNum(y(v)))
			p.Dots = append(p.Dots, svgDot{X: x, Y: y(v), Class: s.Class, Title: fmt.Sprintf("%s · %s: %s", c.Categories[i], s.Name, format(v))})
		}
		p.Points = pts.String()
		d.Paths = append(d.Paths, p)
	}
	return render(d)
}

// textWidth estimates the width of a label in 12 px type: Han characters are square, others
// about half as wide.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r > 0x2E80 {
			w += 12
		} else {
			w += 6.5
		}
	}
	return w
}

// clipLabel shortens a category label to n characters (with an ellipsis).
func clipLabel(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func render(d svgData) template.HTML {
	var b bytes.Buffer
	if err := svgTemplate.Execute(&b, d); err != nil {
		return template.HTML(template.HTMLEscapeString("chart: " + err.Error()))
	}
	return template.HTML(b.String()) // produced by html/template: every label is escaped
}
