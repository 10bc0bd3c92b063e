package http

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The counter-side rating page (好差评 at the counter): GET /rate/{counter} (rate.html,
// rate.js) on a tablet facing the person served, and its API, GET and POST
// /api/v1/halls/{hall}/counter-ratings/{n}. The tablet is an enrolled device of role "rater"
// bound to its counter, or the counter's staff signed in; a device of another counter or hall
// may not rate (hall.Principal.CanRateAt). A rating is stored in the same place as the follow
// page's, so a visit is rated once wherever it is rated, and told to the hall (visit.rated:
// 1–2 stars are the low-rating alert of the counter console and the admin page).

// ratePage is what rate.html renders.
type ratePage struct {
	Counter string
	Boot    pageBoot
}

// handleRatePage serves GET /rate/{counter}: the page signs in through the API itself (a
// tablet's token or a staff session) and learns the hall from ?hall= or the principal.
func (s *Server) handleRatePage(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("counter"))
	if err != nil || n <= 0 || n > 9999 {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "counter", "no counter %q", r.PathValue("counter")))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	d := ratePage{Counter: strconv.Itoa(n), Boot: s.boot("rate.js", rateLabels())}
	if err := s.page.ExecuteTemplate(w, "rate.html", d); err != nil {
		s.log.Error("render rate page", "err", err)
	}
}

// ratingCounter authorizes a counter-ratings request: the principal may rate at counter n of
// the hall (its rating tablet, or whoever may work the counter), and the counter exists.
func (s *Server) ratingCounter(w http.ResponseWriter, r *http.Request) (*hall.Principal, *hall.Hall, int, bool) {
	n := counterNumber(r)
	day := s.now().In(s.campusLoc()).Format(time.DateOnly)
	p, h, ok := s.hallPrincipal(w, r, func(p *hall.Principal, code string) bool { return p.CanRateAt(code, n, day) },
		func(p *hall.Principal, code string) string {
			return p.Subject + " may not rate visits at counter " + r.PathValue("n") + " of hall " + code
		})
	if !ok {
		return nil, nil, 0, false
	}
	if _, found := h.Counter(n); !found {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "counter", "no counter %q in hall %q", r.PathValue("n"), h.Code))
		return nil, nil, 0, false
	}
	if s.cfg.VisitRatings == nil {
		s.writeError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "visit ratings are not kept here"))
		return nil, nil, 0, false
	}
	return p, h, n, true
}

// handleCounterVisit serves GET /api/v1/halls/{hall}/counter-ratings/{n}: the visit the
// counter serves, or the last one it finished recently and whether it is rated.
func (s *Server) handleCounterVisit(w http.ResponseWriter, r *http.Request) {
	_, h, n, ok := s.ratingCounter(w, r)
	if !ok {
		return
	}
	v, err := s.cfg.VisitRatings.ToRate(r.Context(), h.Code, n)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := wire.CounterRating{Hall: h.Code, Counter: n}
	if v != nil {
		out.Visit = &wire.CounterVisit{Number: v.Number, Service: v.Service, State: v.State, FinishedAt: v.FinishedAt, Rated: v.Rating != nil}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// handleCounterRating serves POST /api/v1/halls/{hall}/counter-ratings/{n}: rates a visit the
// counter finished recently, once (409 when rated here or on the follow page); 201 with the
// stored rating.
func (s *Server) handleCounterRating(w http.ResponseWriter, r *http.Request) {
	p, h, n, ok := s.ratingCounter(w, r)
	if !ok {
		return
	}
	var body wire.CounterRatingRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	body.Ticket = strings.TrimSpace(body.Ticket)
	if body.Ticket == "" || len(body.Ticket) > 16 {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "ticket", "ticket must be the number of a visit the counter finished"))
		return
	}
	v, err := s.cfg.VisitRatings.RateAtCounter(r.Context(), h.Code, n, body.Ticket,
		hall.VisitRating{Stars: body.Stars, Reason: body.Reason, Comment: body.Comment}, p.Subject)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}
