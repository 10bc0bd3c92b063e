package http

import (
	_ "embed"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

//go:embed openapi.json
var openapiJSON []byte

func toHallJSON(h *hall.Hall) wire.Hall {
	out := wire.Hall{Code: h.Code, Name: h.Name, Services: []wire.Service{}, Counters: []wire.Counter{}}
	for _, sv := range h.Services {
		m := sv.Materials
		if m == nil {
			m = []hall.Text{}
		}
		out.Services = append(out.Services, wire.Service{Code: sv.Code, Name: sv.Name, Materials: m, AvgMinutes: sv.AvgMinutes,
			Hours: h.ServiceHours(sv.Code), HoursText: hoursText(h, sv.Code),
			Quota: sv.Quota, From: sv.From, Until: sv.Until, SeasonText: hall.SeasonText(sv.Until)})
	}
	for _, c := range h.Counters {
		out.Counters = append(out.Counters, wire.Counter{Number: c.Number, Services: c.Services})
	}
	return out
}

func toTicketJSON(t *hall.Ticket) wire.Ticket {
	return wire.Ticket{
		ID: t.ID, Number: t.Number, Hall: t.Hall, Service: t.Service, State: t.State,
		Priority: t.Priority, Lang: t.Lang, PersonID: hall.MaskPersonID(t.PersonID), Day: t.Day,
		IssuedAt: t.IssuedAt, Counter: t.Counter, TargetCounter: t.TargetCounter, CalledAt: t.CalledAt, StartedAt: t.StartedAt,
		FinishedAt: t.FinishedAt, Outcome: t.Outcome, Calls: t.Calls, CaseID: t.CaseID, Appointment: t.Appointment,
	}
}

// lookupHall returns the hall named in the path, ENOTFOUND when there is none.
func (s *Server) lookupHall(r *http.Request) (*hall.Hall, error) {
	code := r.PathValue("hall")
	h, ok := s.campus().Hall(code)
	if !ok {
		return nil, hall.Errorf(hall.ENOTFOUND, "hall", "no hall %q", code)
	}
	return h, nil
}

// hallPrincipal runs the preamble of the hall-scoped endpoints: it authenticates the request
// (401), finds the hall of the path (404), then asks allow whether the principal may act in that
// hall (403, with the message deny gives). On failure it writes the error and returns ok false.
func (s *Server) hallPrincipal(w http.ResponseWriter, r *http.Request, allow func(p *hall.Principal, code string) bool, deny func(p *hall.Principal, code string) string) (*hall.Principal, *hall.Hall, bool) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return nil, nil, false
	}
	h, err := s.lookupHall(r)
	if err != nil {
		s.writeError(w, r, err)
		return nil, nil, false
	}
	if !allow(p, h.Code) {
		s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "", "%s", deny(p, h.Code)))
		return nil, nil, false
	}
	return p, h, true
}

// counterDenied is the 403 message of the counter endpoints.
func counterDenied(p *hall.Principal, code string) string {
	return fmt.Sprintf("%s %q may not work the counters of hall %q", p.Role, p.Subject, code)
}

func (s *Server) handleHalls(w http.ResponseWriter, r *http.Request) {
	out := wire.HallList{Halls: []wire.Hall{}}
	c := s.campus()
	for i := range c.Halls {
		out.Halls = append(out.Halls, toHallJSON(&c.Halls[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleHall(w http.ResponseWriter, r *http.Request) {
	h, err := s.lookupHall(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := toHallJSON(h)
	// The services' state now (open for tickets, quota left) comes from the queue engine; the
	// configuration alone still answers while the queue does not (storage down).
	if snap, err := s.cfg.Queue.Snapshot(r.Context(), h.Code); err == nil {
		withAvailability(&out, snap)
	} else {
		s.log.Warn("hall information without the services' state", "hall", h.Code, "err", err)
	}
	writeJSON(w, http.StatusOK, out)
}

// withAvailability copies each service's state now from the snapshot into the hall information.
func withAvailability(out *wire.Hall, snap *hall.Snapshot) {
	for i := range out.Services {
		sv := &out.Services[i]
		for _, st := range snap.Services {
			if st.Code == sv.Code {
				sv.Closed, sv.NextIssueAt, sv.Remaining, sv.OutOfSeason = st.Closed, st.NextIssueAt, st.Remaining, st.OutOfSeason
			}
		}
	}
}

func (s *Server) handleIssue(w http.ResponseWriter, r *http.Request) {
	p, h, ok := s.hallPrincipal(w, r, (*hall.Principal).CanIssue, func(p *hall.Principal, code string) string {
		return fmt.Sprintf("%s %q may not issue tickets in hall %q", p.Role, p.Subject, code)
	})
	if !ok {
		return
	}
	var body wire.IssueRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	var err error
	switch {
	case body.Service == "":
		err = hall.Errorf(hall.EINVALID, "service", "service is required")
	case len(key) > 128:
		err = hall.Errorf(hall.EINVALID, "Idempotency-Key", "Idempotency-Key is longer than 128 characters")
	case len(body.PersonID) > 64:
		err = hall.Errorf(hall.EINVALID, "personId", "personId is longer than 64 characters")
	case len(body.Lang) > 16:
		err = hall.Errorf(hall.EINVALID, "lang", "lang is longer than 16 characters")
	}
	if err == nil {
		if _, ok := h.Service(body.Service); !ok {
			err = hall.Errorf(hall.EUNPROCESSABLE, "service", "hall %q has no service %q", h.Code, body.Service)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	iss, err := s.cfg.Queue.Issue(r.Context(), hall.IssueRequest{
		Hall: h.Code, Service: body.Service, Priority: body.Priority, Lang: body.Lang,
		PersonID: body.PersonID, Channel: p.Subject, IdempotencyKey: scopedKey(p, key),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.issued.WithLabelValues(h.Code, iss.Ticket.Service).Inc()
	out := toTicketJSON(&iss.Ticket)
	out.Token = iss.Ticket.Token
	out.FollowURL = s.cfg.PublicURL + "/t/" + iss.Ticket.Token
	pos, eta := iss.Position, iss.EtaSeconds
	out.Position, out.EtaSeconds = &pos, &eta
	out.Materials = iss.Materials
	if out.Materials == nil {
		out.Materials = []hall.Text{}
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) handleSnapshot(w http.ResponseWriter, r *http.Request) {
	h, err := s.lookupHall(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	snap, err := s.cfg.Queue.Snapshot(r.Context(), h.Code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.withOpensAt(publicSnapshot(snap)))
}

func (s *Server) handleWaiting(w http.ResponseWriter, r *http.Request) {
	_, h, ok := s.hallPrincipal(w, r, s.mayWorkCounter(0), func(_ *hall.Principal, code string) string {
		return fmt.Sprintf("only counter staff of hall %q see its waiting list", code)
	})
	if !ok {
		return
	}
	ts, err := s.cfg.Queue.Waiting(r.Context(), h.Code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	aside, err := s.cfg.Queue.SetAside(r.Context(), h.Code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := wire.TicketList{Tickets: make([]wire.Ticket, 0, len(ts)), SetAside: make([]wire.Ticket, 0, len(aside))}
	for i := range ts {
		out.Tickets = append(out.Tickets, toTicketJSON(&ts[i]))
	}
	for i := range aside {
		out.SetAside = append(out.SetAside, toTicketJSON(&aside[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

// counterStates is the counter state each state action leads to.
var counterStates = map[string]hall.CounterState{
	hall.ActOpen: hall.CounterOpen, hall.ActPause: hall.CounterPaused, hall.ActClose: hall.CounterClosed,
}

// mayWorkCounter is the rule of the counter endpoints: counter staff of the hall and admins, or
// whoever has a seasonal assignment to counter n (0: any counter) of the hall today, in the
// campus zone (hall.Principal.CanWorkCounterAt).
func (s *Server) mayWorkCounter(n int) func(p *hall.Principal, code string) bool {
	return func(p *hall.Principal, code string) bool {
		return p.CanWorkCounterAt(code, n, s.now().In(s.campusLoc()).Format(time.DateOnly))
	}
}

// counterNumber is the counter number of the path, -1 when it is none (no assignment covers
// it; the hall's counter staff then get 404).
func counterNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n <= 0 {
		return -1
	}
	return n
}

func (s *Server) handleCounter(w http.ResponseWriter, r *http.Request) {
	p, h, ok := s.hallPrincipal(w, r, s.mayWorkCounter(counterNumber(r)), counterDenied)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n <= 0 {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "counter", "no counter %q in hall %q", r.PathValue("n"), h.Code))
		return
	}
	if _, ok := h.Counter(n); !ok {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "counter", "no counter %d in hall %q", n, h.Code))
		return
	}
	action := r.PathValue("action")
	known := false
	for _, a := range hall.CounterActions {
		known = known || a == action
	}
	if !known {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "action", "unknown counter action %q (one of %s)", action, strings.Join(hall.CounterActions, ", ")))
		return
	}
	var a hall.CounterAction
	if err := decodeJSON(w, r, &a, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case a.Outcome != "" && !a.Outcome.Valid():
		err = hall.Errorf(hall.EINVALID, "outcome", "unknown outcome %q (resolved, redirected or case_opened)", a.Outcome)
	case action == hall.ActFinish && a.Outcome == hall.OutcomeCaseOpened && strings.TrimSpace(a.CaseID) == "":
		// A ticket finished as "case opened" that names no case leads its holder nowhere.
		err = hall.Errorf(hall.EINVALID, "caseId", "outcome case_opened needs the caseId of the case opened")
	case a.Placement != "" && !a.Placement.Valid():
		err = hall.Errorf(hall.EINVALID, "placement", "unknown placement %q (front, end or original)", a.Placement)
	case len(a.Ticket) > 64:
		err = hall.Errorf(hall.EINVALID, "ticket", "ticket is longer than 64 characters")
	case len(a.Note) > 2000:
		err = hall.Errorf(hall.EINVALID, "note", "note is longer than 2000 characters")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a.Hall, a.Counter, a.Action, a.Actor = h.Code, n, action, p.Subject
	t, err := s.cfg.Queue.Act(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.actions.WithLabelValues(h.Code, action).Inc()
	if state, ok := counterStates[action]; ok {
		c := hall.CounterStatus{Number: n, State: state, Services: []string{}}
		if cfg, ok := h.Counter(n); ok {
			c.Services = cfg.Services
		}
		if snap, err := s.cfg.Queue.Snapshot(r.Context(), h.Code); err == nil {
			for _, sc := range snap.Counters {
				if sc.Number == n {
					c = sc
				}
			}
		}
		writeJSON(w, http.StatusOK, wire.CounterAnswer{Counter: c})
		return
	}
	if t == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, toTicketJSON(t))
}

func toFollowJSON(f *hall.Follow) wire.Follow {
	t := f.Ticket
	out := wire.Follow{
		Number: f.Number, State: f.State, Hall: t.Hall, HallName: f.HallName, Service: t.Service,
		ServiceName: f.Service, Position: f.Position, EtaSeconds: f.EtaSeconds, Unserved: f.Unserved, Counter: f.Counter,
		Materials: f.Materials, Priority: t.Priority, PersonID: hall.MaskPersonID(t.PersonID),
		IssuedAt: t.IssuedAt, CalledAt: t.CalledAt, StartedAt: t.StartedAt, FinishedAt: t.FinishedAt,
		Outcome: t.Outcome, HasCase: t.CaseID != "",
	}
	if t.Appointment != nil {
		at := t.Appointment.Start
		out.BookedAt = &at
	}
	if out.Number == "" {
		out.Number = t.Number
	}
	if out.State == "" {
		out.State = t.State
	}
	if out.Counter == 0 && (out.State == hall.TicketCalled || out.State == hall.TicketServing) {
		out.Counter = t.Counter
	}
	if out.Materials == nil {
		out.Materials = []hall.Text{}
	}
	return out
}

// followToken checks the shape of a follow token; anything implausible is simply not found.
func followToken(r *http.Request) (string, error) {
	tok := r.PathValue("token")
	if tok == "" || len(tok) > 128 {
		return "", hall.Errorf(hall.ENOTFOUND, "token", "no ticket with this token")
	}
	return tok, nil
}

func (s *Server) follow(r *http.Request) (*hall.Follow, error) {
	tok, err := followToken(r)
	if err != nil {
		return nil, err
	}
	f, err := s.cfg.Queue.Follow(r.Context(), tok)
	if err != nil {
		if c := hall.ErrorCode(err); c == hall.ENOTFOUND || c == hall.EINVALID {
			return nil, hall.Errorf(hall.ENOTFOUND, "token", "no ticket with this token")
		}
		return nil, err
	}
	return f, nil
}

func (s *Server) handleFollow(w http.ResponseWriter, r *http.Request) {
	f, err := s.follow(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	fj := toFollowJSON(f)
	fj.VisitRating = s.visitRating(r, &fj)
	s.followOpensAt(&fj)
	writeJSON(w, http.StatusOK, fj)
}

// visitRating returns the holder's rating of a finished visit, nil when none (or unknown: the
// page then offers the form, and a second rating is refused).
func (s *Server) visitRating(r *http.Request, f *wire.Follow) *hall.VisitRating {
	if s.cfg.VisitRatings == nil || f.State != hall.TicketDone {
		return nil
	}
	v, err := s.cfg.VisitRatings.VisitRating(r.Context(), r.PathValue("token"))
	if err != nil {
		s.log.Warn("visit rating", "err", err)
		return nil
	}
	return v
}

// handleVisitRating serves POST /api/v1/follow/{token}/rating: the holder rates the finished
// visit (好差评), once; 201 with the stored rating.
func (s *Server) handleVisitRating(w http.ResponseWriter, r *http.Request) {
	tok, err := followToken(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.cfg.VisitRatings == nil {
		s.writeError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "visit ratings are not kept here"))
		return
	}
	var body wire.VisitRatingRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.cfg.VisitRatings.RateVisit(r.Context(), tok, hall.VisitRating{Stars: body.Stars, Comment: body.Comment})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) handleFollowCancel(w http.ResponseWriter, r *http.Request) {
	tok, err := followToken(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.cfg.Queue.CancelByToken(r.Context(), tok)
	if err != nil {
		if c := hall.ErrorCode(err); c == hall.EINVALID {
			err = hall.Errorf(hall.ENOTFOUND, "token", "no ticket with this token")
		}
		s.writeError(w, r, err)
		return
	}
	if f, err := s.cfg.Queue.Follow(r.Context(), tok); err == nil {
		writeJSON(w, http.StatusOK, toFollowJSON(f))
		return
	}
	out := toFollowJSON(&hall.Follow{Ticket: *t})
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openapiJSON)
}

// scopedKey scopes an Idempotency-Key to the device or staff member who sent it, so a key that
// leaks (or two kiosks that happen to pick the same one) never returns someone else's ticket.
func scopedKey(p *hall.Principal, key string) string {
	if key == "" {
		return ""
	}
	return p.Subject + "\x00" + key
}
