package http

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// axisLabels returns the y-axis labels of the chart whose aria-label is title in page.
func axisLabels(t *testing.T, page, title string) []string {
	t.Helper()
	i := strings.Index(page, `aria-label="`+title+`"`)
	if i < 0 {
		t.Fatalf("no chart %q", title)
	}
	svg := page[i:]
	svg = svg[:strings.Index(svg, "</svg>")]
	var out []string
	for _, m := range regexp.MustCompile(`class="axis">([^<]*)<`).FindAllStringSubmatch(svg, -1) {
		out = append(out, m[1])
	}
	return out
}

// wholeNumbers reports whether every label is a whole number.
func wholeNumbers(labels []string) bool {
	for _, l := range labels {
		if _, err := strconv.Atoi(l); err != nil {
			return false
		}
	}
	return len(labels) > 0
}

// TestSVGCountAxisWholeNumbers: a chart of counts labels its axis with whole numbers only,
// also when the largest count is 0, 1 or 3 (it was 0, 0.3, 0.5, 0.8, 1), and its top still
// holds the largest count.
func TestSVGCountAxisWholeNumbers(t *testing.T) {
	for _, top := range []float64{0, 1, 2, 3, 5, 7, 13, 37, 120} {
		b := string(barSVG(chart{Title: "counts", Categories: []string{"a", "b"}, Counts: true,
			Series: []chartSeries{{Name: "n", Values: []float64{top, 0}}}}))
		labels := axisLabels(t, b, "counts")
		if !wholeNumbers(labels) {
			t.Errorf("max %v: axis labels %q", top, labels)
			continue
		}
		last, _ := strconv.Atoi(labels[len(labels)-1])
		if float64(last) < top || len(labels) < 2 {
			t.Errorf("max %v: axis labels %q do not reach it", top, labels)
		}
	}
}

// TestSupervisionCountChartsWholeNumbers: on the supervision page the charts of counts (overdue,
// returned, reopened by department; requests per period) label whole numbers only with one
// returned case.
func TestSupervisionCountChartsWholeNumbers(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "占座"}, "")
	e.caseAct(e.login("h-library"), oc.Number, "return", map[string]string{"text": "不属于本部门职责"})
	page := string(e.do("GET", "/supervision?period=day", e.login("supervisor"), nil).body)
	for _, title := range []string{"逾期 退回 重办 by department", "受理量 Requests per period"} {
		if l := axisLabels(t, page, title); !wholeNumbers(l) {
			t.Errorf("%s: axis labels %q", title, l)
		}
	}
}
