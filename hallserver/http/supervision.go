package http

import (
	"context"
	"html/template"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// Supervision (督办) for the office, supervisors and admins (issue 7, phase 3):
//
//	GET /supervision                 the page: per-department rates and counts as server-drawn
//	                                 SVG charts by day, week or month, the daily report, hot topics
//	GET /api/v1/cases/daily?date=    the daily report (日清日结) of a local day (default today)
//	GET /api/v1/cases/series?period=day|week|month&n=   per-department figures per period
//
// All routes are in the route table (routes.go).

// officeView authenticates a principal with the office's view (office handlers, supervisors,
// admins).
func (s *Server) officeView(r *http.Request) (*hall.Principal, error) {
	p, err := s.authenticate(r)
	if err != nil {
		return nil, err
	}
	if err := cases.CheckOffice(p); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) reports() (hall.CaseReports, error) {
	if s.cfg.Reports == nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "case reports are not configured on this server")
	}
	return s.cfg.Reports, nil
}

// officeReports authenticates the office and returns the case reports.
func (s *Server) officeReports(r *http.Request) (hall.CaseReports, error) {
	if _, err := s.officeView(r); err != nil {
		return nil, err
	}
	return s.reports()
}

// dailyDate reads ?date= (YYYY-MM-DD, default today in the campus zone).
func (s *Server) dailyDate(r *http.Request) (time.Time, error) {
	loc := s.campusLoc()
	v := r.URL.Query().Get("date")
	if v == "" {
		return s.now().In(loc), nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		return time.Time{}, hall.Errorf(hall.EINVALID, "date", "date must be YYYY-MM-DD")
	}
	return d, nil
}

func (s *Server) handleDaily(w http.ResponseWriter, r *http.Request) {
	rp, err := s.officeReports(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	day, err := s.dailyDate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := rp.Daily(r.Context(), day)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// seriesParams reads ?period= (week by default) and ?n= (14 days, 8 weeks or 6 months).
func seriesParams(r *http.Request) (string, int, error) {
	period := r.URL.Query().Get("period")
	if period == "" {
		period = "week"
	}
	defaults := map[string]int{"day": 14, "week": 8, "month": 6}
	n, ok := defaults[period]
	if !ok {
		return "", 0, hall.Errorf(hall.EINVALID, "period", "period must be day, week or month")
	}
	if v := r.URL.Query().Get("n"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > 120 {
			return "", 0, hall.Errorf(hall.EINVALID, "n", "n must be 1 to 120")
		}
		n = k
	}
	return period, n, nil
}

type seriesJSON struct {
	Period  string             `json:"period"`
	Periods []hall.StatsPeriod `json:"periods"`
}

func (s *Server) handleSeries(w http.ResponseWriter, r *http.Request) {
	rp, err := s.officeReports(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	period, n, err := seriesParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ps, err := rp.Series(r.Context(), period, n)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, seriesJSON{Period: period, Periods: ps})
}

// ---- the page ----

// periodLink is a tab of the page's period switch.
type periodLink struct {
	Key    string
	Name   hall.Text
	Active bool
}

// chartBlock is one chart with its heading.
type chartBlock struct {
	Title hall.Text
	SVG   template.HTML
}

// deptRow is a department's line in the figures table, with its small chart.
type deptRow struct {
	Code                                 string
	Name                                 hall.Text
	Received, Overdue, Returned, Reopens int
	Response, Resolution, Satisfaction   string
	SVG                                  template.HTML
}

// briefRow is a case in the daily report.
type briefRow struct {
	Number, Title, Dept, Kind, State, Time, Late string
	Datetime                                     string // the <time datetime> of Time (RFC 3339)
	Supervised                                   bool
}

// dailyView is the daily report on the page.
type dailyView struct {
	Date, Prev, Next, AsOf string
	Arrived, Closed, Late  []briefRow
	Depts                  []dailyDeptRow
}

type dailyDeptRow struct {
	Name                  hall.Text
	Arrived, Closed, Late int
}

// topicRow is a hot topic on the page.
type topicRow struct {
	ID, Label, Keywords, Depts, Growth string
	Count, Previous                    int
	Answer                             *hall.TopicAnswer
	Cases                              string
}

// supervisionPage is what supervision.html renders.
type supervisionPage struct {
	Signed, Forbidden bool
	User              string
	Error             string
	Period            string
	Periods           []periodLink
	Window            string
	// WindowFrom and WindowTo are the window as RFC 3339 (To exclusive): the rates' export link.
	WindowFrom, WindowTo string
	Charts               []chartBlock
	Depts                []deptRow
	Daily                *dailyView
	Topics               []topicRow
	TopicDays            int
	Boot                 pageBoot // supervision.js with the office desk and the long-list editor (longlist.js)
}

// rateSeries names the three rates.
var rateNames = []string{"响应率 Response", "解决率 Resolved", "满意率 Satisfied"}

func pct(v float64) string { return strconv.Itoa(int(math.Round(v*100))) + "%" }

func (s *Server) handleSupervisionPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	d := supervisionPage{Boot: s.boot("supervision.js", supervisionLabels())}
	d.Boot.Shared = []string{"longlist.js"}
	p, err := s.authenticate(r)
	switch {
	case err != nil && hall.ErrorCode(err) == hall.EUNAUTHORIZED:
	case err != nil:
		d.Error = s.pageErrorText(r, err)
	case !cases.SeesAll(p):
		d.Signed, d.Forbidden, d.User = true, true, p.Subject
		w.WriteHeader(http.StatusForbidden)
	default:
		d.Signed, d.User = true, p.Subject
		if err := s.fillSupervision(r, &d); err != nil {
			d.Error = s.pageErrorText(r, err)
		}
	}
	if err := s.page.ExecuteTemplate(w, "supervision.html", d); err != nil {
		s.log.Error("render supervision page", "err", err)
	}
}

// pageErrorText is what a page shows of an error: the domain message, never the internals
// (those are logged).
func (s *Server) pageErrorText(r *http.Request, err error) string {
	if clientGone(r, err) {
		s.log.Info("client closed the request", "method", r.Method, "path", r.URL.Path, "err", err)
	} else if statusOf(hall.ErrorCode(err)) >= 500 {
		s.log.Error("page failed", "path", r.URL.Path, "err", err)
	}
	return hall.ErrorMessage(err)
}

// seriesTotaler is the case reports of a store that gives the series and the window's figures
// from one read (enginehost.Cases.SeriesTotal); the page then reads the cases once for both.
type seriesTotaler interface {
	SeriesTotal(ctx context.Context, period string, n int) ([]hall.StatsPeriod, []hall.DepartmentStats, error)
}

// fillSupervision computes the charts, the daily report and the topics.
func (s *Server) fillSupervision(r *http.Request, d *supervisionPage) error {
	ctx := r.Context()
	rp, err := s.reports()
	if err != nil {
		return err
	}
	period, n, err := seriesParams(r)
	if err != nil {
		return err
	}
	d.Period = period
	for _, k := range []struct {
		key  string
		name hall.Text
	}{{"day", hall.Text{Zh: "按日", En: "Daily"}}, {"week", hall.Text{Zh: "按周", En: "Weekly"}}, {"month", hall.Text{Zh: "按月", En: "Monthly"}}} {
		d.Periods = append(d.Periods, periodLink{Key: k.key, Name: k.name, Active: k.key == period})
	}
	var ps []hall.StatsPeriod
	var total []hall.DepartmentStats
	if st, ok := rp.(seriesTotaler); ok {
		ps, total, err = st.SeriesTotal(ctx, period, n)
	} else {
		ps, err = rp.Series(ctx, period, n)
		if err == nil {
			total, err = s.cfg.Cases.Stats(ctx, ps[0].From, ps[len(ps)-1].To)
		}
	}
	if err != nil {
		return err
	}
	loc := s.campusLoc()
	from, to := ps[0].From, ps[len(ps)-1].To
	d.Window = from.In(loc).Format("2006-01-02") + " – " + to.In(loc).Add(-time.Second).Format("2006-01-02")
	d.WindowFrom, d.WindowTo = from.In(loc).Format(time.RFC3339), to.In(loc).Format(time.RFC3339)
	s.supervisionCharts(d, ps, total)
	if err := s.fillDaily(r, d, rp); err != nil {
		return err
	}
	s.fillTopics(ctx, d)
	return nil
}

// supervisionCharts draws the charts of the window.
func (s *Server) supervisionCharts(d *supervisionPage, ps []hall.StatsPeriod, total []hall.DepartmentStats) {
	var cats []string
	var rates [3][]float64
	var counts [3][]float64
	sort.SliceStable(total, func(i, j int) bool { return total[i].Received > total[j].Received })
	labels := make([]string, len(ps))
	for i, p := range ps {
		labels[i] = p.Label
	}
	for _, st := range total {
		if st.Received == 0 && st.Returned == 0 {
			continue
		}
		name := s.departmentName(st.Department)
		cats = append(cats, name.Zh)
		rates[0] = append(rates[0], st.ResponseRate)
		rates[1] = append(rates[1], st.ResolutionRate)
		rates[2] = append(rates[2], st.SatisfactionRate)
		counts[0] = append(counts[0], float64(st.Overdue))
		counts[1] = append(counts[1], float64(st.Returned))
		counts[2] = append(counts[2], float64(st.Reopened))
		// The department's rates per period (a gap where it had no case).
		var line [3][]float64
		for _, p := range ps {
			var x *hall.DepartmentStats
			for k := range p.Departments {
				if p.Departments[k].Department == st.Department {
					x = &p.Departments[k]
				}
			}
			nan := math.NaN()
			switch {
			case x == nil || x.Received == 0:
				line[0], line[1], line[2] = append(line[0], nan), append(line[1], nan), append(line[2], nan)
			default:
				sat := x.SatisfactionRate
				if x.Rated == 0 {
					sat = nan
				}
				line[0], line[1], line[2] = append(line[0], x.ResponseRate), append(line[1], x.ResolutionRate), append(line[2], sat)
			}
		}
		row := deptRow{Code: st.Department, Name: name, Received: st.Received, Overdue: st.Overdue, Returned: st.Returned, Reopens: st.Reopened,
			Response: pct(st.ResponseRate), Resolution: pct(st.ResolutionRate), Satisfaction: "–"}
		if st.Rated > 0 {
			row.Satisfaction = pct(st.SatisfactionRate)
		}
		row.SVG = lineSVG(chart{Title: name.Zh + " 三率趋势", Categories: labels, Percent: true, Width: 420, Height: 200,
			Series: []chartSeries{{Name: "响应率", Values: line[0]}, {Name: "解决率", Values: line[1]}, {Name: "满意率", Values: line[2]}}})
		d.Depts = append(d.Depts, row)
	}
	d.Charts = append(d.Charts, chartBlock{Title: hall.Text{Zh: "各部门三率", En: "Rates by department"},
		SVG: barSVG(chart{Title: "各部门三率 Rates by department", Categories: cats, Percent: true, Width: 760, Height: 280,
			Series: []chartSeries{{Name: rateNames[0], Values: rates[0]}, {Name: rateNames[1], Values: rates[1]}, {Name: rateNames[2], Values: rates[2]}}})})
	d.Charts = append(d.Charts, chartBlock{Title: hall.Text{Zh: "逾期、退回、重办", En: "Overdue, returned, reopened"},
		SVG: barSVG(chart{Title: "逾期 退回 重办 by department", Categories: cats, Counts: true, Width: 760, Height: 280,
			Series: []chartSeries{{Name: "逾期 Overdue", Class: "s3", Values: counts[0]}, {Name: "退回 Returned", Class: "s4", Values: counts[1]}, {Name: "重办 Reopened", Class: "s5", Values: counts[2]}}})})
	var vol [4][]float64
	for _, p := range ps {
		var rec, over, ret, reo float64
		for _, x := range p.Departments {
			rec += float64(x.Received)
			over += float64(x.Overdue)
			ret += float64(x.Returned)
			reo += float64(x.Reopened)
		}
		vol[0], vol[1], vol[2], vol[3] = append(vol[0], rec), append(vol[1], over), append(vol[2], ret), append(vol[3], reo)
	}
	d.Charts = append(d.Charts, chartBlock{Title: hall.Text{Zh: "全校受理量", En: "Requests per period"},
		SVG: barSVG(chart{Title: "受理量 Requests per period", Categories: labels, Counts: true, Width: 760, Height: 260,
			Series: []chartSeries{{Name: "受理 Received", Values: vol[0]}, {Name: "逾期 Overdue", Class: "s3", Values: vol[1]}, {Name: "退回 Returned", Class: "s4", Values: vol[2]}, {Name: "重办 Reopened", Class: "s5", Values: vol[3]}}})})
}

// fillDaily adds the daily report of ?date= (today by default).
func (s *Server) fillDaily(r *http.Request, d *supervisionPage, rp hall.CaseReports) error {
	day, err := s.dailyDate(r)
	if err != nil {
		return err
	}
	rep, err := rp.Daily(r.Context(), day)
	if err != nil {
		return err
	}
	loc := s.campusLoc()
	v := &dailyView{Date: rep.Date, Prev: rep.From.In(loc).AddDate(0, 0, -1).Format("2006-01-02"),
		Next: rep.From.In(loc).AddDate(0, 0, 1).Format("2006-01-02"), AsOf: rep.AsOf.In(loc).Format("2006-01-02 15:04")}
	row := func(b hall.CaseBrief, at time.Time) briefRow {
		late := ""
		switch b.Late {
		case "reply":
			late = "答复超时 Reply late"
		case "resolve":
			late = "办结超时 Resolution late"
		}
		st := publicLabels().Case[b.State]
		return briefRow{Number: b.Number, Title: b.Title, Dept: s.departmentName(b.Department).Zh, Kind: string(b.Kind),
			State: st.Zh, Time: at.In(loc).Format("01-02 15:04"), Datetime: at.In(loc).Format(time.RFC3339), Late: late, Supervised: b.Supervised}
	}
	for _, b := range rep.Arrived {
		v.Arrived = append(v.Arrived, row(b, b.ReceivedAt))
	}
	for _, b := range rep.Closed {
		v.Closed = append(v.Closed, row(b, *b.ClosedAt))
	}
	for _, b := range rep.Late {
		due := b.Due
		if b.Late == "reply" {
			due = b.ReplyDue
		}
		v.Late = append(v.Late, row(b, due))
	}
	for _, x := range rep.Departments {
		v.Depts = append(v.Depts, dailyDeptRow{Name: s.departmentName(x.Department), Arrived: x.Arrived, Closed: x.Closed, Late: x.Late})
	}
	d.Daily = v
	return nil
}

// fillTopics adds the hot topics of the last 7 days (an error leaves the section empty).
func (s *Server) fillTopics(ctx context.Context, d *supervisionPage) {
	d.TopicDays = 7
	if s.cfg.Topics == nil {
		return
	}
	top, err := s.cfg.Topics.Topics(ctx, d.TopicDays)
	if err != nil {
		s.log.Warn("supervision page: topics", "err", err)
		return
	}
	for i, t := range top {
		if i >= 10 {
			break
		}
		var depts []string
		for _, x := range t.Departments {
			depts = append(depts, s.departmentName(x).Zh)
		}
		cases := t.Cases
		if len(cases) > 6 {
			cases = append(cases[:6:6], "…")
		}
		d.Topics = append(d.Topics, topicRow{ID: t.ID, Label: t.Label, Keywords: strings.Join(t.Keywords, " · "), Depts: strings.Join(depts, "、"),
			Count: t.Count, Previous: t.Previous, Growth: growthText(t), Answer: t.Answer, Cases: strings.Join(cases, " ")})
	}
}

// growthText shows a topic's growth against the window before.
func growthText(t hall.Topic) string {
	if t.Previous == 0 {
		return "新 new"
	}
	g := int(math.Round(t.Growth * 100))
	if g >= 0 {
		return "+" + strconv.Itoa(g) + "%"
	}
	return strconv.Itoa(g) + "%"
}
