package http

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/kpi"
)

// The queue reports page (GET /reports) for supervisors and admins: a hall, a range of days and
// a grouping chosen in a plain form; the rows of GET /api/v1/reports/queue as a table, two
// server-drawn SVG charts (tickets, waits) and a day-by-hour heat map of tickets issued with
// their mean wait. Everything is drawn on the server; the script only signs in and out.

// reportsPage is what reports.html renders.
type reportsPage struct {
	Signed, Forbidden bool
	User, Error       string
	Halls             []reportsOption
	Bys               []reportsOption
	From, Until       string
	KeyName           hall.Text
	Rows              []reportsRow
	Charts            []chartBlock
	Heat              template.HTML
	// Export is the report shown (its hall and grouping, with From and Until) for its export
	// links; nil when none is shown.
	Export *struct{ Hall, By string }
}

// reportsOption is an option of the form's selects.
type reportsOption struct {
	Value    string
	Name     hall.Text
	Selected bool
}

// reportsRow is a row of the table, formatted.
type reportsRow struct {
	Key                                       string
	Issued, Served, NoShow, Cancelled, Transf int
	WaitMean, WaitMedian, WaitP90             string
	ServeMean, ServeMedian, ServeP90          string
	Within, OpenHours, Rating, RatingLow      string
	LowRatings                                bool
}

// reportsBys names the groupings.
var reportsBys = []reportsOption{
	{Value: kpi.ByDay, Name: hall.Text{Zh: "按日", En: "By day"}},
	{Value: kpi.ByHour, Name: hall.Text{Zh: "按时段", En: "By hour"}},
	{Value: kpi.ByService, Name: hall.Text{Zh: "按业务", En: "By service"}},
	{Value: kpi.ByCounter, Name: hall.Text{Zh: "按窗口", En: "By counter"}},
	{Value: kpi.ByStaff, Name: hall.Text{Zh: "按人员", En: "By staff"}},
}

// minutes formats seconds as minutes with one decimal.
func minutes(sec float64) string { return strconv.FormatFloat(math.Round(sec/6)/10, 'f', 1, 64) }

func (s *Server) handleReportsPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	d := reportsPage{}
	p, err := s.authenticate(r)
	switch {
	case err != nil && hall.ErrorCode(err) == hall.EUNAUTHORIZED:
	case err != nil:
		d.Error = s.pageErrorText(r, err)
	case p.Device || (p.Role != hall.RoleSupervisor && p.Role != hall.RoleAdmin):
		d.Signed, d.Forbidden, d.User = true, true, p.Subject
		w.WriteHeader(http.StatusForbidden)
	default:
		d.Signed, d.User = true, p.Subject
		if err := s.fillReports(r, p, &d); err != nil {
			d.Error = s.pageErrorText(r, err)
		}
	}
	if err := s.page.ExecuteTemplate(w, "reports.html", d); err != nil {
		s.log.Error("render reports page", "err", err)
	}
}

// fillReports reads the form (the API's parameters; the first hall the principal sees by
// default) and computes the report.
func (s *Server) fillReports(r *http.Request, p *hall.Principal, d *reportsPage) error {
	if s.cfg.QueueReports == nil {
		return hall.Errorf(hall.EUNAVAILABLE, "", "queue reports are not configured")
	}
	v := r.URL.Query()
	c := s.campus()
	for _, h := range c.Halls {
		if seesQueueReports(p, h.Code) {
			d.Halls = append(d.Halls, reportsOption{Value: h.Code, Name: h.Name})
		}
	}
	if len(d.Halls) == 0 {
		return hall.Errorf(hall.EFORBIDDEN, "", "no hall to report on")
	}
	if v.Get("hall") == "" {
		v.Set("hall", d.Halls[0].Value)
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = v.Encode()
	q, err := s.queueReportQuery(r2, p)
	for i := range d.Halls {
		d.Halls[i].Selected = d.Halls[i].Value == v.Get("hall")
	}
	d.From, d.Until = q.From, q.Until
	d.Export = &struct{ Hall, By string }{q.Hall, q.By}
	for _, b := range reportsBys {
		b.Selected = b.Value == q.By
		if b.Selected {
			d.KeyName = b.Name
		}
		d.Bys = append(d.Bys, b)
	}
	if err != nil {
		return err
	}
	rows, heat, err := s.cfg.QueueReports.Report(r.Context(), q)
	if err != nil {
		return err
	}
	var keys []string
	var issued, served, noShow, waitMean, waitP90 []float64
	for _, row := range rows {
		key := row.Key
		if q.By == kpi.ByHour {
			key += ":00"
		}
		out := reportsRow{Key: key, Issued: row.Issued, Served: row.Served, NoShow: row.NoShow, Cancelled: row.Cancelled, Transf: row.Transferred,
			WaitMean: minutes(row.WaitSeconds.Mean), WaitMedian: minutes(row.WaitSeconds.Median), WaitP90: minutes(row.WaitSeconds.P90),
			ServeMean: minutes(row.ServiceSeconds.Mean), ServeMedian: minutes(row.ServiceSeconds.Median), ServeP90: minutes(row.ServiceSeconds.P90),
			Within: "–", OpenHours: "–", Rating: "–"}
		if row.Served > 0 {
			out.Within = pct(row.WithinTargetShare)
		}
		if row.OpenHours != nil {
			out.OpenHours = strconv.FormatFloat(*row.OpenHours, 'f', 1, 64)
		}
		if row.Rating != nil {
			out.Rating = fmt.Sprintf("%.2f (%d)", row.Rating.MeanStars, row.Rating.Count)
			out.RatingLow = strconv.Itoa(row.Rating.Low)
			out.LowRatings = row.Rating.Low > 0
		}
		d.Rows = append(d.Rows, out)
		if q.By == kpi.ByDay && len(key) == len("2006-01-02") {
			key = key[5:] // MM-DD under the bars
		}
		keys = append(keys, key)
		issued = append(issued, float64(row.Issued))
		served = append(served, float64(row.Served))
		noShow = append(noShow, float64(row.NoShow))
		waitMean = append(waitMean, row.WaitSeconds.Mean/60)
		waitP90 = append(waitP90, row.WaitSeconds.P90/60)
	}
	d.Charts = []chartBlock{
		{Title: hall.Text{Zh: "取号、办结与过号", En: "Issued, served, no-show"}, SVG: barSVG(chart{Title: "取号、办结与过号 Issued, served, no-show",
			Categories: keys, Counts: true, Series: []chartSeries{{Name: "取号 Issued", Values: issued}, {Name: "办结 Served", Values: served}, {Name: "过号 No-show", Values: noShow}}})},
		{Title: hall.Text{Zh: "等候时间（分钟）", En: "Wait (minutes)"}, SVG: barSVG(chart{Title: "等候时间（分钟） Wait (minutes)",
			Categories: keys, Series: []chartSeries{{Name: "平均 Mean", Values: waitMean}, {Name: "P90", Values: waitP90}}})},
	}
	f, u, _ := kpi.ParseRange(q.From, q.Until, s.campusLoc())
	d.Heat = heatSVG(f, u, s.now().In(s.campusLoc()), heat)
	return nil
}

// heatSVG draws the day-by-hour grid: one row per day (up to today), one column per hour, the
// shade the tickets issued (six steps up to the busiest hour), each cell's title the count
// and the mean wait.
func heatSVG(from, until, now time.Time, cells []kpi.HeatCell) template.HTML {
	var days []string
	for d := from; !d.After(until) && !d.After(now); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(time.DateOnly))
	}
	rowOf := map[string]int{}
	for i, d := range days {
		rowOf[d] = i
	}
	const left, top, cw = 84.0, 24.0, 22.0
	rh := math.Max(4, math.Min(18, 540/math.Max(1, float64(len(days)))))
	data := svgData{W: int(left + 24*cw + 8), H: int(top + rh*float64(len(days)) + 8), Title: "取号热力图 Tickets issued by day and hour"}
	for h := 0; h < 24; h += 2 {
		data.Texts = append(data.Texts, svgText{X: left + cw*(float64(h)+0.5), Y: top - 8, Anchor: "middle", Class: "axis", Text: strconv.Itoa(h)})
	}
	every := int(math.Ceil(12 / rh))
	for i, d := range days {
		if i%every == 0 {
			data.Texts = append(data.Texts, svgText{X: left - 6, Y: top + rh*float64(i) + rh/2 + 4, Anchor: "end", Class: "axis", Text: d})
		}
		data.Rects = append(data.Rects, svgRect{X: left, Y: top + rh*float64(i), W: 24 * cw, H: rh - 1, Class: "heat q0", Title: d})
	}
	most := 0
	for _, c := range cells {
		most = max(most, c.Issued)
	}
	for _, c := range cells {
		i, ok := rowOf[c.Day]
		if !ok || most == 0 {
			continue
		}
		level := 1 + int(math.Floor(4.999*float64(c.Issued)/float64(most)))
		data.Rects = append(data.Rects, svgRect{X: left + cw*float64(c.Hour), Y: top + rh*float64(i), W: cw - 1, H: rh - 1,
			Class: "heat q" + strconv.Itoa(level),
			Title: fmt.Sprintf("%s %02d:00 · 取号 Issued %d · 平均等候 Mean wait %s 分钟 min", c.Day, c.Hour, c.Issued, minutes(c.MeanWait))})
	}
	return render(data)
}
