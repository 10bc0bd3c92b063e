package http

import (
	"net/http"
	"slices"
	"time"

	"onedoor/hallserver/export"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/kpi"
	"onedoor/hallserver/wire"
)

// seesQueueReports says who may read a hall's queue report: supervisors and admins, and the
// counter staff of the hall.
func seesQueueReports(p *hall.Principal, code string) bool {
	if p == nil || p.Device {
		return false
	}
	switch p.Role {
	case hall.RoleAdmin, hall.RoleSupervisor, hall.RoleCounter:
		return p.InHall(code)
	}
	return false
}

// queueReportQuery reads and checks the report's parameters (hall, from, until, by) for the
// principal: 400 naming a bad parameter, 403 for a hall the principal may not see. Missing
// dates default to the last 7 days up to today, by to day.
func (s *Server) queueReportQuery(r *http.Request, p *hall.Principal) (kpi.Query, error) {
	v := r.URL.Query()
	loc := s.campusLoc()
	q := kpi.Query{Hall: v.Get("hall"), From: v.Get("from"), Until: v.Get("until"), By: v.Get("by"), Loc: loc}
	if q.Hall == "" {
		return q, hall.Errorf(hall.EINVALID, "hall", "hall is required")
	}
	h, ok := s.campus().Hall(q.Hall)
	if !ok {
		return q, hall.Errorf(hall.EINVALID, "hall", "no hall %q", q.Hall)
	}
	if !seesQueueReports(p, h.Code) {
		return q, hall.Errorf(hall.EFORBIDDEN, "", "%s %q may not see the queue reports of hall %q", p.Role, p.Subject, h.Code)
	}
	if q.By == "" {
		q.By = kpi.ByDay
	}
	if !slices.Contains(kpi.Groupings, q.By) {
		return q, hall.Errorf(hall.EINVALID, "by", "by must be one of service, counter, staff, day, hour, not %q", q.By)
	}
	today := s.now().In(loc)
	if q.Until == "" {
		q.Until = today.Format(time.DateOnly)
	}
	if q.From == "" {
		if u, err := time.ParseInLocation(time.DateOnly, q.Until, loc); err == nil {
			q.From = u.AddDate(0, 0, -6).Format(time.DateOnly)
		}
	}
	if _, _, err := kpi.ParseRange(q.From, q.Until, loc); err != nil {
		return q, err
	}
	targets := map[string]time.Duration{}
	for _, sv := range h.Services {
		if sv.TargetWaitMinutes > 0 {
			targets[sv.Code] = time.Duration(sv.TargetWaitMinutes) * time.Minute
		}
	}
	q.Target = func(service string) time.Duration {
		if t, ok := targets[service]; ok {
			return t
		}
		return kpi.DefaultTargetWait
	}
	return q, nil
}

// handleQueueReport answers GET /api/v1/reports/queue: the hall's queue figures by service,
// counter, staff member, day or hour of day, from its event log (closed days from the cache).
func (s *Server) handleQueueReport(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err == nil {
		err = s.queueReportsOn()
	}
	var rep wire.QueueReport
	if err == nil {
		rep, err = s.queueReport(r, p)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// queueReportsOn says why there are no queue reports (the server was given no QueueReports).
func (s *Server) queueReportsOn() error {
	if s.cfg.QueueReports == nil {
		return hall.Errorf(hall.EUNAVAILABLE, "", "queue reports are not configured")
	}
	return nil
}

// queueReport is the report the request asks for, as the principal may see it: the answer of
// GET /api/v1/reports/queue and the rows of its export.
func (s *Server) queueReport(r *http.Request, p *hall.Principal) (wire.QueueReport, error) {
	q, err := s.queueReportQuery(r, p)
	if err != nil {
		return wire.QueueReport{}, err
	}
	rows, err := s.cfg.QueueReports.Queue(r.Context(), q)
	if err != nil {
		return wire.QueueReport{}, err
	}
	return toQueueReport(q, rows), nil
}

// toQueueReport is the answer of a report.
func toQueueReport(q kpi.Query, rows []kpi.Row) wire.QueueReport {
	out := wire.QueueReport{Hall: q.Hall, From: q.From, Until: q.Until, By: q.By, Rows: make([]wire.QueueRow, 0, len(rows))}
	for _, r := range rows {
		w := wire.QueueRow{Key: r.Key, Issued: r.Issued, Served: r.Served, NoShow: r.NoShow, Cancelled: r.Cancelled,
			Transferred: r.Transferred, WaitSeconds: wire.QueueStats(r.WaitSeconds), ServiceSeconds: wire.QueueStats(r.ServiceSeconds),
			WithinTarget: r.WithinTarget, WithinTargetShare: r.WithinTargetShare, OpenHours: r.OpenHours}
		if r.Rating != nil {
			v := wire.VisitStars(*r.Rating)
			w.Rating = &v
		}
		if ap := r.Appointments; ap != nil {
			w.Appointments = &wire.QueueAppointments{CheckedIn: ap.CheckedIn, OnTime: ap.OnTime, OnTimeShare: ap.OnTimeShare,
				NoShow: ap.NoShow, NoShowShare: ap.NoShowShare, WaitSeconds: wire.QueueStats(ap.WaitSeconds)}
		}
		out.Rows = append(out.Rows, w)
	}
	return out
}

// handleQueueReportExport answers GET /api/v1/reports/queue/export?format=csv|xlsx&lang=&<the
// report's parameters>: the rows of the same report as a file, one header row, one row per key.
func (s *Server) handleQueueReportExport(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err == nil {
		err = s.queueReportsOn()
	}
	var (
		format export.Format
		lang   string
		rep    wire.QueueReport // the same figures as the JSON answer
	)
	if err == nil {
		format, lang, err = exportOptions(r)
	}
	if err == nil {
		rep, err = s.queueReport(r, p)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cells := func(yield func([]export.Cell) bool) {
		for _, x := range rep.Rows {
			var n, mean, low, open export.Cell
			if x.OpenHours != nil {
				open = export.Number(*x.OpenHours)
			}
			if x.Rating != nil {
				n, mean, low = export.Int(x.Rating.Count), export.Number(x.Rating.MeanStars), export.Int(x.Rating.Low)
			}
			if !yield([]export.Cell{
				export.Text(rep.Hall), export.Text(rep.By), export.Text(x.Key),
				export.Int(x.Issued), export.Int(x.Served), export.Int(x.NoShow), export.Int(x.Cancelled), export.Int(x.Transferred),
				export.Number(x.WaitSeconds.Mean), export.Number(x.WaitSeconds.Median), export.Number(x.WaitSeconds.P90),
				export.Number(x.ServiceSeconds.Mean), export.Number(x.ServiceSeconds.Median), export.Number(x.ServiceSeconds.P90),
				export.Int(x.WithinTarget), export.Number(x.WithinTargetShare), open,
				n, mean, low,
			}) {
				return
			}
		}
	}
	s.writeExport(w, r, format, lang, "fileQueue", rep.Hall+"-"+rep.By+"-"+rep.From+"_"+rep.Until, export.Table{
		Sheet: exportWord("sheetQueue", lang),
		Header: headers(lang, "hall", "qBy", "qKey", "qIssued", "qServed", "qNoShow", "qCancelled", "qTransferred",
			"qWaitMean", "qWaitMedian", "qWaitP90", "qSvcMean", "qSvcMedian", "qSvcP90",
			"qWithin", "qWithinShare", "qOpenHours", "qRatings", "qMeanStars", "qLowRatings"),
		Rows: cells,
	})
}
