package http

import (
	"iter"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/export"
	"onedoor/hallserver/hall"
)

// Exports (issue 14): the lists the staff pages show, as CSV (UTF-8 with BOM) or XLSX files,
// one header row and one row per item, written by package export:
//
//	GET /api/v1/cases/export?format=csv|xlsx&<the filters of GET /api/v1/cases>   the case list
//	GET /api/v1/cases/stats/export?format=&from=&to=     the three rates per department
//	GET /api/v1/cases/daily/export?format=&date=         the daily report (日清日结)
//
// ?lang=en gives English headers and words (Chinese by default). The requester's personal data
// (name, phone, campus number) is written only for the cases whose requester the principal may
// see (cases.SeesRequester); the columns stay, empty, for the others.

// maxCaseExport is the most cases one export writes (the default of ?limit= there): a year of
// a large campus's cases, bounded so that one request cannot make the server hold more.
const maxCaseExport = 50000

// exportFormat reads ?format= (csv or xlsx; required).
func exportFormat(r *http.Request) (export.Format, error) {
	f, ok := export.ParseFormat(r.URL.Query().Get("format"))
	if !ok {
		return "", hall.Errorf(hall.EINVALID, "format", "format must be csv or xlsx")
	}
	return f, nil
}

// exportLang reads ?lang= (zh or en; zh by default).
func exportLang(r *http.Request) (string, error) {
	switch l := r.URL.Query().Get("lang"); l {
	case "", "zh", "zh-CN":
		return "zh", nil
	case "en":
		return "en", nil
	}
	return "", hall.Errorf(hall.EINVALID, "lang", "lang must be zh or en")
}

// exportOptions reads the two parameters every export takes: ?format= and ?lang=.
func exportOptions(r *http.Request) (export.Format, string, error) {
	f, err := exportFormat(r)
	if err != nil {
		return "", "", err
	}
	lang, err := exportLang(r)
	return f, lang, err
}

// exportWord is a header or word of the exports in the language.
func exportWord(key, lang string) string {
	return exportHeaders[key].In(lang)
}

// headers returns the column headers of these keys in the language.
func headers(lang string, keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = exportWord(k, lang)
	}
	return out
}

// contentDisposition is an attachment's header (RFC 6266): an ASCII filename for old clients,
// and filename* (RFC 5987, UTF-8) with the name in the language.
func contentDisposition(ascii, name string) string {
	v := mime.FormatMediaType("attachment", map[string]string{"filename": ascii})
	if name != ascii {
		if ext := mime.FormatMediaType("attachment", map[string]string{"filename": name}); ext != "" {
			v += "; " + strings.TrimPrefix(ext, "attachment; ")
		}
	}
	return v
}

// writeExport sends the table as a download named by fileKey (the labels' file name) and
// suffix (a date or period), in the format.
func (s *Server) writeExport(w http.ResponseWriter, r *http.Request, f export.Format, lang, fileKey, suffix string, t export.Table) {
	ext := "." + string(f)
	ascii := exportHeaders[fileKey].En + "-" + suffix + ext
	name := exportWord(fileKey, lang) + "-" + suffix + ext
	h := w.Header()
	h.Set("Content-Type", f.ContentType())
	h.Set("Content-Disposition", contentDisposition(ascii, name))
	h.Set("Cache-Control", "no-store") // personal data: not for shared caches
	t.Loc = s.campusLoc()
	if err := export.Write(w, f, t); err != nil {
		// the header is gone: the client sees a cut file; the log says why
		s.log.Warn("export cut short", "file", ascii, "err", err)
	}
}

// ---- the case list ----

func (s *Server) handleCaseExport(w http.ResponseWriter, r *http.Request) {
	p, err := s.caseStaff(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := cases.Scope(p, hall.CaseFilter{Department: r.URL.Query().Get("department")}); err != nil {
		s.writeError(w, r, err)
		return
	}
	format, lang, err := exportOptions(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// the list's filters, with the export's own limit (the list's is for a page)
	limit := maxCaseExport
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxCaseExport {
			s.writeError(w, r, hall.Errorf(hall.EINVALID, "limit", "limit must be 1 to %d", maxCaseExport))
			return
		}
		limit = n
	}
	lr := r.Clone(r.Context())
	q := lr.URL.Query()
	q.Del("limit")
	lr.URL.RawQuery = q.Encode()
	f, err := s.caseFilter(lr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f.Limit = limit
	f.NoTimeline = true // the export shows no timeline: the store skips reading a year of them
	list, err := s.caseSvc.List(r.Context(), p, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeExport(w, r, format, lang, "fileCases", s.now().In(s.campusLoc()).Format("2006-01-02"), export.Table{
		Sheet:  exportWord("sheetCases", lang),
		Header: headers(lang, caseColumns...),
		Rows:   s.caseRows(r, p, list, lang),
	})
}

// caseColumns are the columns of the case list export.
var caseColumns = []string{"number", "kind", "state", "channel", "hall", "title", "text", "category",
	"department", "parts", "receivedAt", "replyDue", "due", "respondedAt", "repliedAt", "closedAt",
	"supervised", "late", "rating", "name", "phone", "personId"}

// caseRows yields the rows of the case list export (caseColumns), the personal data only of
// the cases whose requester the principal may see.
func (s *Server) caseRows(r *http.Request, p *hall.Principal, list []hall.Case, lang string) iter.Seq[[]export.Cell] {
	labels := staffLabels()
	yes := exportWord("yes", lang)
	names := map[string]string{}
	cats := map[string]string{}
	category := func(code string) string { // the catalogue's name (the code when it has none)
		n, ok := cats[code]
		if !ok {
			if n = s.categoryName(r, code).In(lang); n == "" {
				n = code
			}
			cats[code] = n
		}
		return n
	}
	dept := func(code string) string {
		if code == "" {
			return ""
		}
		n, ok := names[code]
		if !ok {
			n = s.departmentName(code).In(lang)
			names[code] = n
		}
		return n
	}
	return func(yield func([]export.Cell) bool) {
		row := make([]export.Cell, len(caseColumns))
		var parts []string
		for i := range list {
			c := &list[i]
			parts = parts[:0]
			for _, pt := range c.Parts {
				parts = append(parts, dept(pt.Department))
			}
			var late []string
			if c.ReplyLate {
				late = append(late, exportWord("lateReply", lang))
			}
			if c.ResolveLate {
				late = append(late, exportWord("lateResolve", lang))
			}
			sup, rating := export.Empty(), export.Empty()
			if c.Supervised {
				sup = export.Text(yes)
			}
			if rt := c.LastRating(); rt != nil {
				rating = export.Int(rt.Stars)
			}
			channel := exportWord("channel"+upperFirst(string(c.Channel)), lang)
			if channel == "" {
				channel = string(c.Channel)
			}
			row = append(row[:0],
				export.Text(c.Number),
				export.Text(labels.Kind[c.Kind].In(lang)),
				export.Text(labels.Case[c.State].In(lang)),
				export.Text(channel),
				export.Text(c.Hall),
				export.Text(c.Title),
				export.Text(c.Text),
				export.Text(category(c.Category)),
				export.Text(dept(c.Department)),
				export.Text(strings.Join(parts, "、")),
				export.Time(c.ReceivedAt),
				export.Time(c.ReplyDue),
				export.Time(c.Due),
				export.TimePtr(c.FirstResponseAt),
				export.TimePtr(c.RepliedAt),
				export.TimePtr(c.ClosedAt),
				sup,
				export.Text(strings.Join(late, "、")),
				rating,
			)
			if cases.SeesRequester(p, c) {
				row = append(row, export.Text(c.Requester.Name), export.Text(c.Requester.Phone), export.Text(c.Requester.PersonID))
			} else {
				row = append(row, export.Empty(), export.Empty(), export.Empty())
			}
			if !yield(row) {
				return
			}
		}
	}
}

// upperFirst returns s with its first ASCII letter upper-cased ("web" → "Web").
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// ---- the three rates per department ----

// statsRange reads ?from= and ?to= of the stats (dates or RFC 3339; the last 30 days by
// default), as GET /api/v1/cases/stats and its export take them.
func (s *Server) statsRange(r *http.Request) func() (from, to time.Time, err error) {
	return func() (from, to time.Time, err error) {
		loc := s.campusLoc()
		q := r.URL.Query()
		if from, err = parseWhen(q.Get("from"), "from", loc, false); err != nil {
			return from, to, err
		}
		if to, err = parseWhen(q.Get("to"), "to", loc, true); err != nil {
			return from, to, err
		}
		if to.IsZero() {
			to = s.now()
		}
		if from.IsZero() {
			y, m, d := to.In(loc).AddDate(0, 0, -30).Date()
			from = time.Date(y, m, d, 0, 0, 0, 0, loc)
		}
		return from, to, nil
	}
}

func (s *Server) handleCaseStatsExport(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format, lang, err := exportOptions(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	from, to, st, err := s.caseSvc.Stats(r.Context(), p, s.statsRange(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	loc := s.campusLoc()
	// the period's last day: to is exclusive
	period := from.In(loc).Format("2006-01-02") + "_" + to.Add(-time.Nanosecond).In(loc).Format("2006-01-02")
	rows := func(yield func([]export.Cell) bool) {
		for _, d := range st {
			if !yield([]export.Cell{
				export.Text(d.Department), export.Text(s.departmentName(d.Department).In(lang)),
				export.Time(from), export.Time(to),
				export.Int(d.Received), export.Int(d.Responded), export.Int(d.RespondedInTime),
				export.Int(d.Resolved), export.Int(d.ResolvedInTime), export.Int(d.Rated), export.Int(d.Satisfied),
				export.Int(d.Overdue), export.Int(d.Returned), export.Int(d.Reopened),
				export.Number(d.ResponseRate), export.Number(d.ResolutionRate), export.Number(d.SatisfactionRate),
			}) {
				return
			}
		}
	}
	s.writeExport(w, r, format, lang, "fileRates", period, export.Table{
		Sheet: exportWord("sheetRates", lang),
		Header: headers(lang, "deptCode", "deptName", "from", "to", "received", "responded", "inTime", "resolved",
			"resolvedTime", "rated", "satisfied", "overdue", "returned", "reopened", "responseRate", "resolveRate", "satisfyRate"),
		Rows: rows,
	})
}

// ---- the daily report ----

func (s *Server) handleDailyExport(w http.ResponseWriter, r *http.Request) {
	rp, err := s.officeReports(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format, lang, err := exportOptions(r)
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
	labels := staffLabels()
	yes := exportWord("yes", lang)
	lists := []struct {
		key   string
		items []hall.CaseBrief
	}{{"arrived", rep.Arrived}, {"closed", rep.Closed}, {"lateList", rep.Late}}
	rows := func(yield func([]export.Cell) bool) {
		for _, l := range lists {
			for _, b := range l.items {
				sup := export.Empty()
				if b.Supervised {
					sup = export.Text(yes)
				}
				late := export.Empty()
				switch b.Late {
				case "reply":
					late = export.Text(exportWord("lateReply", lang))
				case "resolve":
					late = export.Text(exportWord("lateResolve", lang))
				}
				if !yield([]export.Cell{
					export.Text(rep.Date), export.Text(exportWord(l.key, lang)),
					export.Text(b.Number), export.Text(labels.Kind[b.Kind].In(lang)), export.Text(labels.Case[b.State].In(lang)),
					export.Text(s.departmentName(b.Department).In(lang)), export.Text(b.Title),
					export.Time(b.ReceivedAt), export.Time(b.ReplyDue), export.Time(b.Due),
					late, sup, export.TimePtr(b.ClosedAt),
				}) {
					return
				}
			}
		}
	}
	s.writeExport(w, r, format, lang, "fileDaily", rep.Date, export.Table{
		Sheet: exportWord("sheetDaily", lang),
		Header: headers(lang, "date", "list", "number", "kind", "state", "department", "title", "receivedAt",
			"replyDue", "due", "lateWhich", "supervised", "closedAt"),
		Rows: rows,
	})
}
