package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The WebSocket stream of the case log (routes in routes.go, resource "streams"):
//
//	GET /api/v1/cases/stream?since=N              staff who work cases: a department handler gets
//	                                              its department's case events, the office,
//	                                              supervisors and admins all of them
//	GET /api/v1/case-follow/{token}/stream?since=N anyone with the follow token: that case's public
//	                                              events, public view
//
// Served like the hall stream, by serveStream (stream.go) and one hub (hub.go): a snapshot (or,
// with since=N, the events after N), then live events; the hub reads the log through one
// subscription and hands each event, encoded once per view, to every client's bounded queue; a
// client that falls behind is dropped (close 1013) and reconnects with since=<last seq it got>.
// Seqs are those of the whole case log, so a filtered client sees gaps: they mean "nothing for
// you", not loss. Every event carries the whole case after the change, so applying an event again
// (after a snapshot that already had it) is harmless.

// The views of a case event.
const (
	viewFull   = view(cases.ViewFull)   // the staff view with the requester's contact data (lead department, office)
	viewMasked = view(cases.ViewMasked) // the requester masked (assisting departments)
	viewLeft   = view(cases.ViewLeft)   // the case left the client's department: only what identifies it
	viewPublic = view(cases.ViewPublic) // the requester's view (Case.Public) of a public timeline entry
	caseViews  = viewPublic             // the highest case view
)

// caseStreamEvent is one event as a case stream sends it.
type caseStreamEvent struct {
	Seq        uint64             `json:"seq"`
	Type       hall.CaseEventType `json:"type"`
	At         time.Time          `json:"at"`
	Actor      string             `json:"actor,omitempty"`
	Department string             `json:"department,omitempty"`
	Limit      string             `json:"limit,omitempty"`
	// Left is set when the case no longer involves the client's department: remove it.
	Left bool `json:"left,omitempty"`
	Case any  `json:"case"`
}

// caseRef identifies a case that left a department's view.
type caseRef struct {
	ID         string         `json:"id"`
	Number     string         `json:"number"`
	State      hall.CaseState `json:"state"`
	Department string         `json:"department,omitempty"`
}

// caseSnapshot starts a staff stream: the open cases the client may see (at most maxCaseList,
// most urgent first) as of at least Seq.
type caseSnapshot struct {
	Type  string      `json:"type"` // "snapshot"
	Seq   uint64      `json:"seq"`
	Cases []hall.Case `json:"cases"`
}

// caseFollowSnapshot starts a follow stream: the case's public view as of at least Seq.
type caseFollowSnapshot struct {
	Type string          `json:"type"` // "snapshot"
	Seq  uint64          `json:"seq"`
	Case wire.CaseFollow `json:"case"`
}

// staffCaseView returns the view function of a staff principal (the case policy's
// cases.EventView).
func staffCaseView(p *hall.Principal) func(ev *hall.CaseEvent) view {
	return func(ev *hall.CaseEvent) view { return view(cases.EventView(p, ev)) }
}

// followCaseView returns the view function of a follow page of the case (the case policy's
// cases.FollowEventView).
func followCaseView(caseID string) func(ev *hall.CaseEvent) view {
	return func(ev *hall.CaseEvent) view { return view(cases.FollowEventView(caseID, ev)) }
}

// caseMessage builds the message of an event in a view.
func (s *Server) caseMessage(ev *hall.CaseEvent, v view) any {
	m := caseStreamEvent{Seq: ev.Seq, Type: ev.Type, At: ev.At, Actor: ev.Actor, Department: ev.Department, Limit: ev.Limit}
	switch v {
	case viewFull, viewMasked:
		m.Case = cases.ViewCase(*ev.Case, cases.View(v))
	case viewLeft:
		m.Left = true
		m.Actor = ""
		m.Case = caseRef{ID: ev.Case.ID, Number: ev.Case.Number, State: ev.Case.State, Department: ev.Case.Department}
	case viewPublic:
		pe, _ := ev.Public() // hall's rule: no actor, no limit, the department where the type shows it
		m = caseStreamEvent{Seq: pe.Seq, Type: pe.Type, At: pe.At, Department: pe.Department}
		m.Case = s.caseFollowView(*pe.Case)
	}
	return m
}

// caseFollowView is caseFollow without a request (the catalogue does not depend on it).
func (s *Server) caseFollowView(c hall.Case) wire.CaseFollow {
	out := wire.CaseFollow{Case: c, DepartmentName: s.departmentName(c.Department), DepartmentNames: s.timelineDepartments(&c)}
	if c.Category != "" && s.cfg.Cases != nil {
		if cat, err := s.cfg.Cases.Catalogue(context.Background()); err == nil {
			if k, ok := cat.Category(c.Category); ok {
				out.CategoryName = k.Name
			}
		}
	}
	if out.Timeline == nil {
		out.Timeline = []hall.CaseEntry{}
	}
	return out
}

// ---- HTTP ----

// caseLog returns the case log: Config.CaseLog, or the case service when it is one.
func (s *Server) caseLog() (hall.CaseLog, error) {
	if s.cfg.CaseLog != nil {
		return s.cfg.CaseLog, nil
	}
	if l, ok := s.cfg.Cases.(hall.CaseLog); ok {
		return l, nil
	}
	return nil, hall.Errorf(hall.EUNAVAILABLE, "", "the case log is not configured on this server")
}

// The case hub: its key in Server.hubs, and its "hall" label in the stream metrics.
const (
	caseStreamKey = "cases"
	caseHubLabel  = "_cases"
)

// caseStreamLog is the case log as the case hub reads it.
func (s *Server) caseStreamLog(l hall.CaseLog) streamLog[hall.CaseEvent] {
	return streamLog[hall.CaseEvent]{
		label:     caseHubLabel,
		subscribe: l.Subscribe,
		since:     l.Since,
		seq:       func(ev *hall.CaseEvent) uint64 { return ev.Seq },
		encode:    func(ev *hall.CaseEvent, v view) ([]byte, error) { return json.Marshal(s.caseMessage(ev, v)) },
		views:     caseViews,
	}
}

func (s *Server) handleCaseStream(w http.ResponseWriter, r *http.Request) {
	p, err := s.caseStaff(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.casesService(); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.serveCaseStream(w, r, ownerKey(p), staffCaseView(p), func(ctx context.Context, seq uint64) (any, error) {
		list, err := s.caseSvc.List(ctx, p, hall.CaseFilter{Open: true, Limit: maxCaseList})
		if err != nil {
			return nil, fmt.Errorf("list the open cases: %w", err)
		}
		return caseSnapshot{Type: "snapshot", Seq: seq, Cases: list}, nil
	})
}

func (s *Server) handleCaseFollowStream(w http.ResponseWriter, r *http.Request) {
	cs, c, own, err := s.followedCase(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := s.caseIDOf(r.Context(), c) // the public view has no ID
	if id == "" {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "token", "no case with this token"))
		return
	}
	s.serveCaseStream(w, r, "", followCaseView(id), func(ctx context.Context, seq uint64) (any, error) {
		c, err := cs.GetByToken(ctx, own)
		if err != nil {
			return nil, fmt.Errorf("read the followed case: %w", err)
		}
		return caseFollowSnapshot{Type: "snapshot", Seq: seq, Case: s.caseFollowView(*c)}, nil
	})
}

// serveCaseStream serves a case stream (serveStream) whose clients get events in the views
// viewOf gives (owner: streamRequest.owner). snapshot builds the first message of a client that starts afresh, as of at least
// seq: the case log's last seq, read before it.
func (s *Server) serveCaseStream(w http.ResponseWriter, r *http.Request, owner string, viewOf func(*hall.CaseEvent) view,
	snapshot func(ctx context.Context, seq uint64) (any, error)) {
	l, err := s.caseLog()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	serveStream(s, w, r, streamRequest[hall.CaseEvent]{key: caseStreamKey, log: s.caseStreamLog(l), view: viewOf, owner: owner,
		snapshot: func(ctx context.Context) (any, uint64, error) {
			seq := l.LastSeq()
			msg, err := snapshot(ctx, seq)
			if err != nil {
				return nil, 0, fmt.Errorf("case stream snapshot: %w", err)
			}
			return msg, seq, nil
		}})
}
