package http

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The counter console (issue 6): the page GET /counter and the one read it needs beyond the
// existing API, GET /api/v1/halls/{hall}/counters/{n}: the counter's state and its current
// ticket in full (service, wait so far, materials, earlier visits, the walk-in request).
// Everything else the console does goes through the public API: POST /api/v1/session,
// GET /api/v1/halls, GET /api/v1/halls/{hall}/waiting, the counter actions, the hall stream,
// POST /api/v1/route and POST /api/v1/cases.

// handleCounterPage serves GET /counter: the console (it signs in through the API itself).
func (s *Server) handleCounterPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	d := struct{ Boot pageBoot }{s.boot("counter.js", staffLabels())}
	if err := s.page.ExecuteTemplate(w, "counter.html", d); err != nil {
		s.log.Error("render counter page", "err", err)
	}
}

// handleCounterView serves GET /api/v1/halls/{hall}/counters/{n} to the hall's counter staff.
func (s *Server) handleCounterView(w http.ResponseWriter, r *http.Request) {
	_, h, ok := s.hallPrincipal(w, r, s.mayWorkCounter(counterNumber(r)), counterDenied)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	cfg, ok := h.Counter(n)
	if err != nil || !ok {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "counter", "no counter %q in hall %q", r.PathValue("n"), h.Code))
		return
	}
	snap, err := s.cfg.Queue.Snapshot(r.Context(), h.Code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := wire.CounterView{Counter: hall.CounterStatus{Number: n, State: hall.CounterClosed, Services: cfg.Services}}
	for _, c := range snap.Counters {
		if c.Number == n {
			out.Counter = c
		}
	}
	if cur := out.Counter.Current; cur != nil {
		t, err := s.cfg.Queue.Ticket(r.Context(), h.Code, cur.Number)
		if err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
			s.writeError(w, r, err)
			return
		}
		if t != nil {
			out.Current = s.currentView(r.Context(), h, t)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// currentView is the staff view of a ticket at a counter.
func (s *Server) currentView(ctx context.Context, h *hall.Hall, t *hall.Ticket) *wire.CurrentTicket {
	c := &wire.CurrentTicket{Ticket: toTicketJSON(t), Materials: []hall.Text{}, Visits: []wire.Visit{}}
	if sv, ok := h.Service(t.Service); ok {
		c.ServiceName = sv.Name
		if sv.Materials != nil {
			c.Materials = sv.Materials
		}
	}
	end := s.now()
	if t.CalledAt != nil {
		end = *t.CalledAt
	}
	c.WaitSeconds = max(0, int(end.Sub(t.IssuedAt).Seconds()))
	for _, v := range t.Visits {
		vj := wire.Visit{Counter: v.Counter, Service: v.Service, CalledAt: v.CalledAt, FinishedAt: v.FinishedAt, Note: v.Note}
		if sv, ok := h.Service(v.Service); ok {
			vj.ServiceName = sv.Name
		}
		c.Visits = append(c.Visits, vj)
	}
	c.Request = s.walkInRequest(ctx, t)
	return c
}

// walkInRequest finds the case a kiosk logged together with the ticket (it names the ticket);
// nil when there is none or the case system is not configured.
func (s *Server) walkInRequest(ctx context.Context, t *hall.Ticket) *wire.WalkIn {
	c := s.kioskCase(ctx, t)
	if c == nil {
		return nil
	}
	return &wire.WalkIn{Number: c.Number, Kind: c.Kind, Category: c.Category, State: c.State, Title: c.Title, Text: c.Text}
}

// kioskCase returns the walk-in request a kiosk of the ticket's hall logged with the ticket, or
// the request its holder logged on the follow page (web channel), nil when none. Cases name their
// ticket but are not indexed by it, so it looks among the cases received since the ticket was
// issued (one day's cases at most). A case that merely names the ticket is not enough
// (attachedByHolderOrHall): cases stored before handleOpenCase checked who attaches what may
// have been planted by staff claiming the web channel.
func (s *Server) kioskCase(ctx context.Context, t *hall.Ticket) *hall.Case {
	if s.cfg.Cases == nil || t.ID == "" {
		return nil
	}
	list, err := s.cfg.Cases.List(ctx, hall.CaseFilter{Since: t.IssuedAt.Add(-time.Minute), Limit: 500})
	if err != nil {
		s.log.Warn("walk-in request lookup", "ticket", t.ID, "err", err)
		return nil
	}
	for i := range list {
		if c := &list[i]; attachedByHolderOrHall(c, t) {
			return c
		}
	}
	return nil
}

// attachedByHolderOrHall reports whether the case is the ticket's walk-in request: logged by a
// kiosk of the ticket's hall (only a kiosk uses that channel, and only in its own hall), or by the
// ticket's holder on its follow page (web channel, source webSource of this very ticket).
func attachedByHolderOrHall(c *hall.Case, t *hall.Ticket) bool {
	if c.Ticket != t.ID || c.Hall != t.Hall {
		return false
	}
	switch c.Channel {
	case hall.ChannelKiosk:
		return c.Source != ""
	case hall.ChannelWeb:
		src := webSource(t.ID, "")
		return c.Source == src || strings.HasPrefix(c.Source, src+":")
	}
	return false
}
