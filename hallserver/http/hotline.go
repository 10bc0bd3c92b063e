package http

import (
	"net/http"
	"slices"
	"strings"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The 24-hour hotline desk (issue 15), role hotline (the office may use it too; the policy is
// cases.WorksHotline):
//
//	GET  /hotline[?caller=]                          the page (hotline.html, hotline.js)
//	POST /api/v1/cases                               a call's new case (channel hotline, cases.MayOpen)
//	POST /api/v1/route                               the routing suggestion as the operator types
//	GET  /api/v1/hotline/cases?phone=                the caller's earlier cases, newest first
//	GET  /api/v1/hotline/cases/{number}              one case to read its reply back to the caller
//	GET  /api/v1/hotline/callbacks                   hotline cases replied and not yet rated (回访)
//	POST /api/v1/hotline/cases/{number}/rating       the caller's rating taken by phone
//
// The desk sees cases in the requester's view (cases.HotlineView): never a department's internal
// notes, co-handling or staff names, never the follow token. A rating taken on a callback is the
// requester's rating with channel hotline noted on it, and counts in the satisfaction rate like
// any other.

// Limits of the desk's lists.
const (
	maxHotlineCases     = 20  // a caller's earlier cases shown
	maxHotlineCallbacks = 200 // callbacks listed
)

// hotlineStaff authenticates a principal of the hotline desk.
func (s *Server) hotlineStaff(r *http.Request) (*hall.Principal, hall.CaseService, error) {
	p, err := s.authenticate(r)
	if err != nil {
		return nil, nil, err
	}
	if err := cases.CheckWorksHotline(p); err != nil {
		return nil, nil, err
	}
	cs, err := s.casesService()
	return p, cs, err
}

func (s *Server) hotlineCase(c *hall.Case) wire.HotlineCase {
	return wire.HotlineCase{Case: cases.HotlineView(c), DepartmentName: s.departmentName(c.Department)}
}

// samePhone reports whether two phone numbers are the same line: the same digits, or one the
// other with a country prefix (+86 138…).
func samePhone(a, b string) bool {
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	a, b = digits(a), digits(b)
	if len(a) < minPhone || len(b) < minPhone {
		return false
	}
	return a == b || (len(a) >= 7 && strings.HasSuffix(b, a)) || (len(b) >= 7 && strings.HasSuffix(a, b))
}

// phoneVariants are the forms a caller's number is searched in: its digits, and for a Chinese
// mobile number the same with or without the country code 86.
func phoneVariants(phone string) []string {
	d := strings.TrimPrefix(phone, "+")
	out := []string{d}
	switch {
	case len(d) == 13 && strings.HasPrefix(d, "86"):
		out = append(out, d[2:])
	case len(d) == 11 && d[0] == '1':
		out = append(out, "86"+d)
	}
	return out
}

// handleHotlineCases serves GET /api/v1/hotline/cases?phone=: the caller's earlier cases (the
// requester's phone is the number), newest first.
func (s *Server) handleHotlineCases(w http.ResponseWriter, r *http.Request) {
	_, cs, err := s.hotlineStaff(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	phone, err := normPhone(r.URL.Query().Get("phone"))
	if err == nil && phone == "" {
		err = hall.Errorf(hall.EINVALID, "phone", "phone is required: the caller's number")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The search finds a phone by its exact digits: look for the number with and without the
	// country code (+86 138… and 138… are one caller).
	var list []hall.Case
	seen := map[string]bool{}
	for _, q := range phoneVariants(phone) {
		found, err := cs.List(r.Context(), hall.CaseFilter{Text: q, Contact: hall.ContactAll, Limit: maxCaseList})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, c := range found {
			if !seen[c.ID] {
				seen[c.ID] = true
				list = append(list, c)
			}
		}
	}
	out := wire.HotlineCases{Cases: []wire.HotlineCase{}}
	slices.SortFunc(list, func(a, b hall.Case) int { return b.ReceivedAt.Compare(a.ReceivedAt) })
	for i := range list {
		if samePhone(list[i].Requester.Phone, phone) && len(out.Cases) < maxHotlineCases {
			out.Cases = append(out.Cases, s.hotlineCase(&list[i]))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// hotlineByNumber reads the case {number} of the path (404 when there is none).
func (s *Server) hotlineByNumber(r *http.Request, cs hall.CaseService) (*hall.Case, error) {
	n := strings.TrimSpace(r.PathValue("number"))
	if n == "" || len(n) > 64 {
		return nil, hall.Errorf(hall.ENOTFOUND, "number", "no case with this number")
	}
	c, err := cs.Get(r.Context(), n)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(c.Number, n) && c.ID != n {
		return nil, hall.Errorf(hall.ENOTFOUND, "number", "no case with this number")
	}
	return c, nil
}

// handleHotlineCase serves GET /api/v1/hotline/cases/{number}: the case as the caller would see
// it, to read its reply back.
func (s *Server) handleHotlineCase(w http.ResponseWriter, r *http.Request) {
	_, cs, err := s.hotlineStaff(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.hotlineByNumber(r, cs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.hotlineCase(c))
}

// handleHotlineCallbacks serves GET /api/v1/hotline/callbacks: the hotline cases whose reply is
// out and not yet rated (cases.AwaitsCallback), the longest waiting first.
func (s *Server) handleHotlineCallbacks(w http.ResponseWriter, r *http.Request) {
	_, cs, err := s.hotlineStaff(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := cs.List(r.Context(), hall.CaseFilter{States: []hall.CaseState{hall.CaseReplied}, Limit: maxCaseList})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := wire.HotlineCases{Cases: []wire.HotlineCase{}}
	for i := range list {
		if cases.AwaitsCallback(&list[i]) && len(out.Cases) < maxHotlineCallbacks {
			out.Cases = append(out.Cases, s.hotlineCase(&list[i]))
		}
	}
	slices.SortFunc(out.Cases, func(a, b wire.HotlineCase) int {
		return a.LastReply().At.Compare(b.LastReply().At)
	})
	writeJSON(w, http.StatusOK, out)
}

// handleHotlineRating serves POST /api/v1/hotline/cases/{number}/rating: the caller's rating,
// taken on a callback, recorded as the requester's with channel hotline. Only a case on the
// callback list may be rated here (409 otherwise): a caller with a follow link rates there.
func (s *Server) handleHotlineRating(w http.ResponseWriter, r *http.Request) {
	p, cs, err := s.hotlineStaff(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body wire.HotlineRating
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Stars < 1 || body.Stars > 5 {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "stars", "stars must be 1 to 5"))
		return
	}
	comment, err := plainField("comment", body.Comment, cases.MaxComment)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.hotlineByNumber(r, cs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !cases.AwaitsCallback(c) {
		s.writeError(w, r, hall.Errorf(hall.ECONFLICT, "number",
			"case %s is not waiting for a callback (only a hotline case replied and not yet rated is; it is %s, channel %s)", c.Number, c.State, c.Channel))
		return
	}
	if _, err := cs.Rate(r.Context(), c.Token, hall.Rating{Stars: body.Stars, Comment: comment, Channel: hall.ChannelHotline}); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("hotline callback rated", "case", c.Number, "by", p.Subject, "stars", body.Stars)
	c, err = cs.Get(r.Context(), c.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.hotlineCase(c))
}
