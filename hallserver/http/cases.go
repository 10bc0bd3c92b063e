package http

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The case system's API (接诉即办, issue 7). Routes (in the route table, routes.go; see
// openapi.json); who sees which case is the case policy's (hallserver/cases, policy.go), the
// staff use cases are cases.Service's:
//
//	POST /api/v1/route                       any staff: {text} → hall.RouteResult
//	GET  /api/v1/catalogue                   anyone: the dispatch catalogue (kiosk topic buttons)
//	POST /api/v1/cases                       kiosk of the hall, staff: open a case (Idempotency-Key)
//	GET  /api/v1/cases                       handlers (their department), office/supervisor/admin (all)
//	GET  /api/v1/cases/stats                 office/supervisor/admin: per-department rates
//	GET  /api/v1/cases/{id}                  as the list; a case of another department is 404
//	POST /api/v1/cases/{id}/{action}         hall.CaseActions, rights checked by the workflow
//	GET  /api/v1/case-follow/{token}         anyone with the token: the public view (Case.Public)
//	POST /api/v1/case-follow/{token}/details anyone with the token: add details
//	POST /api/v1/case-follow/{token}/rate    anyone with the token: rate the reply
//
// Case follow tokens are separate from ticket tokens: a case's QR code carries
// PublicURL + "/c/" + token, and its public API lives under /api/v1/case-follow/, so the ticket
// follow API and its schema stay as they are. The case-follow endpoints (and /c/) also accept the
// token of a ticket whose counter visit became a case (finish with outcome case_opened and the
// case's ID, the case opened with that ticketId): "只进一门", the ticket's QR follows the case too.

// Case API limits.
const (
	maxCaseList  = 500 // most cases one list returns
	defCaseList  = 100 // cases a list returns without ?limit
	maxRouteText = 2000
)

// casesService returns the case service, EUNAVAILABLE when the server has none.
func (s *Server) casesService() (hall.CaseService, error) {
	if s.cfg.Cases == nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "the case system is not configured on this server")
	}
	return s.cfg.Cases, nil
}

// ---- route and catalogue ----

func (s *Server) handleRoute(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if p.Device {
		s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "", "routing suggestions are for staff"))
		return
	}
	cs, err := s.casesService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body wire.RouteRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if strings.TrimSpace(body.Text) == "" {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "text", "text is required"))
		return
	}
	if utf8.RuneCountInString(body.Text) > maxRouteText || !utf8.ValidString(body.Text) {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "text", "text must be valid text of at most %d characters", maxRouteText))
		return
	}
	res, err := cs.Route(r.Context(), body.Text)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if res.Alternatives == nil {
		res.Alternatives = []hall.RouteAlternative{}
	}
	writeJSON(w, http.StatusOK, res)
}

// handleForgetRoutes undoes the re-routes the router learned from one staff member (the
// re-route guard's reversal, for the office: a user who taught it wrong on purpose or by
// mistake). 200 with the count, also when there was nothing to undo.
func (s *Server) handleForgetRoutes(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !cases.SeesAll(p) {
		s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "", "only the supervising office or an administrator may undo re-routes"))
		return
	}
	cs, err := s.casesService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	user := r.PathValue("username")
	if user == "" || len(user) > 64 || !utf8.ValidString(user) || strings.ContainsAny(user, "\x00/") {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "username", "username must be a staff username of at most 64 bytes"))
		return
	}
	n, err := cs.ForgetRoutes(r.Context(), user)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("re-routes undone", "by", p.Subject, "username", user, "forgotten", n)
	writeJSON(w, http.StatusOK, wire.ForgottenRoutes{Username: user, Forgotten: n})
}

// departmentName returns the campus's name of a department (the code when it has none).
func (s *Server) departmentName(code string) hall.Text {
	if d, ok := s.campus().Department(code); ok {
		return d.Name
	}
	return hall.Text{Zh: code, En: code}
}

func (s *Server) handleCatalogue(w http.ResponseWriter, r *http.Request) {
	cs, err := s.casesService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cat, err := cs.Catalogue(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	topics := boolParam(r, "topics")
	out := wire.Catalogue{ResolveDays: cat.ResolveDays, Categories: []wire.Category{}}
	for _, k := range cat.Categories {
		if topics && !k.Topic {
			continue
		}
		days := k.ResolveDays
		if days == 0 {
			days = cat.ResolveDays
		}
		out.Categories = append(out.Categories, wire.Category{Code: k.Code, Department: k.Department,
			DepartmentName: s.departmentName(k.Department), Name: k.Name, Scope: k.Scope, ResolveDays: days, Topic: k.Topic})
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, out)
}

// ---- open ----

// normLang maps "zh-CN", "zh_Hans", "en-GB"… to the engine's "zh" or "en".
func normLang(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	switch {
	case strings.HasPrefix(l, "zh"):
		return "zh"
	case strings.HasPrefix(l, "en"):
		return "en"
	}
	return l
}

func (s *Server) handleOpenCase(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cs, err := s.casesService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body wire.OpenCase
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 128 {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "Idempotency-Key", "Idempotency-Key is longer than 128 characters"))
		return
	}
	// Authorization first: who may open a case, in which hall, through which channel.
	err = cases.MayOpen(p, &body.Hall, &body.Channel, body.Department, body.TicketID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case len(body.TicketID) > 64:
		err = hall.Errorf(hall.EINVALID, "ticketId", "ticketId is longer than 64 characters")
	case len(body.Hall) > 64:
		err = hall.Errorf(hall.EINVALID, "hall", "hall is longer than 64 characters")
	case body.Hall != "":
		if _, ok := s.campus().Hall(body.Hall); !ok {
			err = hall.Errorf(hall.ENOTFOUND, "hall", "no hall %q", body.Hall)
		}
	}
	if err == nil && body.TicketID != "" {
		err = s.checkCaseTicket(r, body.Hall, body.TicketID)
	}
	if err == nil && body.FollowToken != "" {
		err = s.checkFollowToken(r, body.FollowToken)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req := hall.OpenCaseRequest{
		Kind: body.Kind, Channel: body.Channel, Hall: body.Hall, Ticket: body.TicketID, Title: body.Title,
		Text: body.Text, Lang: normLang(body.Lang), Category: body.Category, Department: body.Department,
		Source: p.Subject, IdempotencyKey: key, FollowToken: body.FollowToken,
	}
	if body.Requester != nil {
		req.Requester = *body.Requester
	}
	c, err := cs.Open(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.openedJSON(r, c))
}

// checkCaseTicket checks that a case's ticket is a ticket of the case's hall, where the
// principal was allowed to open it: a kiosk or counter of one hall must not attach a request to
// a ticket of another (it shows on that ticket's follow page and counter console).
func (s *Server) checkCaseTicket(r *http.Request, hallCode, ticketID string) error {
	if hallCode == "" {
		return hall.Errorf(hall.EINVALID, "hall", "hall is required with ticketId")
	}
	if s.cfg.Queue == nil {
		return nil
	}
	t, err := s.cfg.Queue.Ticket(r.Context(), hallCode, ticketID)
	if err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
		return err
	}
	if err != nil || t == nil || t.ID != ticketID || t.Hall != hallCode {
		return hall.Errorf(hall.EUNPROCESSABLE, "ticketId", "hall %q has no ticket %q", hallCode, ticketID)
	}
	return nil
}

// checkFollowToken checks a proposed follow token: its shape, and that no ticket has it (the
// follow page also opens a case by the token of its ticket). The case service checks the cases.
func (s *Server) checkFollowToken(r *http.Request, tok string) error {
	if !hall.IsFollowToken(tok) {
		return hall.Errorf(hall.EINVALID, "followToken", "followToken is not 32 characters of base32")
	}
	if s.cfg.Queue == nil {
		return nil
	}
	if _, err := s.cfg.Queue.Follow(r.Context(), tok); err == nil {
		return hall.Errorf(hall.ECONFLICT, "followToken", "followToken is in use")
	}
	return nil
}

func (s *Server) openedJSON(r *http.Request, c *hall.Case) wire.OpenedCase {
	out := wire.OpenedCase{
		ID: c.ID, Number: c.Number, Token: c.Token, FollowURL: s.cfg.PublicURL + "/c/" + c.Token,
		Kind: c.Kind, State: c.State, Department: c.Department, DepartmentName: s.departmentName(c.Department),
		Category: c.Category, ReceivedAt: c.ReceivedAt, DueAt: c.ReplyDue, ResolveDueAt: c.Due,
	}
	out.CategoryName = s.categoryName(r, c.Category)
	return out
}

// categoryName returns the catalogue's name of a category (empty when unknown).
func (s *Server) categoryName(r *http.Request, code string) hall.Text {
	if code == "" || s.cfg.Cases == nil {
		return hall.Text{}
	}
	cat, err := s.cfg.Cases.Catalogue(r.Context())
	if err != nil {
		return hall.Text{}
	}
	if k, ok := cat.Category(code); ok {
		return k.Name
	}
	return hall.Text{}
}

// ---- staff: list, get, act, stats ----

// caseStaff authenticates a principal who works cases (the case policy's cases.WorksCases).
func (s *Server) caseStaff(r *http.Request) (*hall.Principal, error) {
	p, err := s.authenticate(r)
	if err != nil {
		return nil, err
	}
	if err := cases.CheckWorksCases(p); err != nil {
		return nil, err
	}
	return p, nil
}

func boolParam(r *http.Request, name string) bool {
	v := strings.ToLower(r.URL.Query().Get(name))
	return v == "1" || v == "true" || v == "yes"
}

// parseWhen reads a query time: RFC 3339, or a local date YYYY-MM-DD (its start; with end, the
// start of the next day, so that a date bound includes its whole day).
func parseWhen(v, field string, loc *time.Location, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		return time.Time{}, hall.Errorf(hall.EINVALID, field, "%s must be a date (YYYY-MM-DD) or an RFC 3339 time", field)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

func (s *Server) campusLoc() *time.Location {
	if loc, err := s.campus().Location(); err == nil {
		return loc
	}
	return time.UTC
}

func (s *Server) handleListCases(w http.ResponseWriter, r *http.Request) {
	p, err := s.caseStaff(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// the department first: another department's list is refused whatever else is asked
	if _, err := cases.Scope(p, hall.CaseFilter{Department: r.URL.Query().Get("department")}); err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.caseFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if boolParam(r, "mine") {
		f.Assignee = p.Subject
	}
	summary := false
	switch v := r.URL.Query().Get("view"); v {
	case "", "full":
	case "summary":
		summary = true
	default:
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "view", "view must be full or summary"))
		return
	}
	list, err := s.caseSvc.List(r.Context(), p, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if summary {
		for i := range list {
			list[i] = listSummary(list[i])
		}
	}
	writeJSON(w, http.StatusOK, wire.CaseList{Cases: list, Count: len(list)})
}

// handleEscalations serves GET /api/v1/cases/escalations: the office's escalation list
// (overdue, warned, returned twice, reopened, rated 1–2), most urgent first, computed by the
// case service (cases.Escalations).
func (s *Server) handleEscalations(w http.ResponseWriter, r *http.Request) {
	p, err := s.caseStaff(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.caseSvc.Escalations(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := wire.EscalationList{Escalations: make([]wire.Escalation, len(list)), Count: len(list)}
	for i, e := range list {
		out.Escalations[i] = wire.Escalation{Case: listSummary(e.Case), Reasons: e.Reasons, Stars: e.Stars}
	}
	writeJSON(w, http.StatusOK, out)
}

// listSummary is a case as a list with ?view=summary shows it (the inbox's list): the case
// without the router's suggestion, the replies and the ratings, and of its timeline only the
// requester's additions (case.details_added, which the list's one-line summary falls back on);
// the whole case is at GET /api/v1/cases/{id}.
func listSummary(c hall.Case) hall.Case {
	c.Route, c.Replies, c.Ratings = nil, nil, nil
	tl := []hall.CaseEntry{}
	for _, e := range c.Timeline {
		if e.Type == hall.CaseEvDetails {
			tl = append(tl, e)
		}
	}
	c.Timeline = tl
	return c
}

// caseFilter reads the query of GET /api/v1/cases.
func (s *Server) caseFilter(r *http.Request) (hall.CaseFilter, error) {
	q := r.URL.Query()
	f := hall.CaseFilter{Department: q.Get("department"), Open: boolParam(r, "open"), Overdue: boolParam(r, "overdue"),
		Supervised: boolParam(r, "supervised"), Kind: hall.Kind(q.Get("kind")), Text: q.Get("q"), Limit: defCaseList}
	if v := q.Get("state"); v != "" {
		for _, st := range strings.Split(v, ",") {
			cs := hall.CaseState(strings.TrimSpace(st))
			if !cs.Valid() {
				return f, hall.Errorf(hall.EINVALID, "state", "unknown case state %q", st)
			}
			f.States = append(f.States, cs)
		}
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return f, hall.Errorf(hall.EINVALID, "kind", "kind must be consultation, complaint or suggestion")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxCaseList {
			return f, hall.Errorf(hall.EINVALID, "limit", "limit must be 1 to %d", maxCaseList)
		}
		f.Limit = n
	}
	loc := s.campusLoc()
	var err error
	if f.Since, err = parseWhen(q.Get("since"), "since", loc, false); err == nil {
		f.Until, err = parseWhen(q.Get("until"), "until", loc, true)
	}
	if f.Assignee = q.Get("assignee"); err == nil && len(f.Assignee) > 64 {
		err = hall.Errorf(hall.EINVALID, "assignee", "assignee is longer than 64 characters")
	}
	if err == nil && len(f.Text) > 200 {
		err = hall.Errorf(hall.EINVALID, "q", "q is longer than 200 characters")
	}
	return f, err
}

func (s *Server) handleGetCase(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.caseSvc.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleCaseAction(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.caseSvc.Act(r.Context(), p, r.PathValue("id"), r.PathValue("action"), func(a *hall.CaseAction) error {
		if isMultipart(r) {
			return readActionUpload(w, r, a) // a reply with files (attachments.go)
		}
		return decodeJSON(w, r, a, true)
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCaseStats(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	from, to, st, err := s.caseSvc.Stats(r.Context(), p, s.statsRange(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.CaseStats{From: from, To: to, Departments: st})
}

// ---- public, by follow token ----

// timelineDepartments returns the names of the departments the public timeline mentions.
func (s *Server) timelineDepartments(c *hall.Case) map[string]hall.Text {
	var out map[string]hall.Text
	for _, e := range c.Timeline {
		if e.Department == "" {
			continue
		}
		if out == nil {
			out = map[string]hall.Text{}
		}
		out[e.Department] = s.departmentName(e.Department)
	}
	return out
}

func (s *Server) caseFollow(r *http.Request, c *hall.Case) wire.CaseFollow {
	out := wire.CaseFollow{Case: *c, DepartmentName: s.departmentName(c.Department), CategoryName: s.categoryName(r, c.Category),
		DepartmentNames: s.timelineDepartments(c)}
	if s.cfg.Topics != nil {
		out.TopicAnswer = s.topicAnswerFor(r, s.caseIDOf(r.Context(), c))
	}
	if out.Timeline == nil {
		out.Timeline = []hall.CaseEntry{}
	}
	return out
}

// caseIDOf returns the internal ID of a case in its public view (which leaves the ID out), found
// by its number; "" when unknown.
func (s *Server) caseIDOf(ctx context.Context, c *hall.Case) string {
	if c.ID != "" || s.cfg.Cases == nil {
		return c.ID
	}
	full, err := s.cfg.Cases.Get(ctx, c.Number)
	if err != nil {
		if hall.ErrorCode(err) != hall.ENOTFOUND {
			s.log.Warn("case ID of a public case", "case", c.Number, "err", err)
		}
		return ""
	}
	return full.ID
}

// caseToken checks the shape of a case follow token; anything implausible is simply not found.
func caseToken(r *http.Request) (string, error) {
	tok := r.PathValue("token")
	if tok == "" || len(tok) > 128 {
		return "", hall.Errorf(hall.ENOTFOUND, "token", "no case with this token")
	}
	return tok, nil
}

// followedCase returns the case service, the public view of the case the request's {token}
// follows and the case's own token: the case service (503), the token's shape (404), the case
// (404).
func (s *Server) followedCase(r *http.Request) (cs hall.CaseService, c *hall.Case, own string, err error) {
	if cs, err = s.casesService(); err != nil {
		return nil, nil, "", err
	}
	tok, err := caseToken(r)
	if err != nil {
		return nil, nil, "", err
	}
	c, own, err = s.caseByToken(r, cs, tok)
	return cs, c, own, err
}

// caseByToken returns the public view of the case followed by tok, a case token or the token of
// a ticket that was turned into the case, and the case's own token (to act with).
func (s *Server) caseByToken(r *http.Request, cs hall.CaseService, tok string) (*hall.Case, string, error) {
	c, err := cs.GetByToken(r.Context(), tok)
	if err == nil || hall.ErrorCode(err) != hall.ENOTFOUND || s.cfg.Queue == nil {
		return c, tok, err
	}
	f, ferr := s.cfg.Queue.Follow(r.Context(), tok)
	if ferr != nil || f.Ticket.CaseID == "" {
		return nil, "", err
	}
	full, gerr := cs.Get(r.Context(), f.Ticket.CaseID)
	if gerr != nil || full.Ticket == "" || full.Ticket != f.Ticket.ID {
		return nil, "", err // a mistyped link never shows someone else's case
	}
	p := full.Public()
	return &p, full.Token, nil
}

func (s *Server) handleCaseFollow(w http.ResponseWriter, r *http.Request) {
	_, c, _, err := s.followedCase(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.caseFollow(r, c))
}

func (s *Server) handleCaseDetails(w http.ResponseWriter, r *http.Request) {
	var body wire.CaseDetails
	s.caseFollowerAction(w, r, &body, func(cs hall.CaseService, tok string) (*hall.Case, error) {
		return cs.AddDetails(r.Context(), tok, body.Text)
	})
}

func (s *Server) handleCaseRate(w http.ResponseWriter, r *http.Request) {
	var body wire.CaseRating
	s.caseFollowerAction(w, r, &body, func(cs hall.CaseService, tok string) (*hall.Case, error) {
		return cs.Rate(r.Context(), tok, hall.Rating{Stars: body.Stars, Comment: body.Comment})
	})
}

// caseFollowerAction runs a requester's action on the case followed by the path's token: the
// case service (503), the token's shape (404), the JSON body into body (400), the case (404),
// then act with the case's own token; it answers with the requester's view of the case.
func (s *Server) caseFollowerAction(w http.ResponseWriter, r *http.Request, body any, act func(cs hall.CaseService, tok string) (*hall.Case, error)) {
	cs, err := s.casesService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tok, err := caseToken(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := decodeJSON(w, r, body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, tok, err = s.caseByToken(r, cs, tok); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := act(cs, tok)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.caseFollow(r, c))
}
