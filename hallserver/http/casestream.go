package http

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// The WebSocket stream of the case log (routes in the route table, routes.go):
//
//	GET /api/v1/cases/stream?since=N              staff who work cases: a department handler gets
//	                                              its department's case events, the office,
//	                                              supervisors and admins all of them
//	GET /api/v1/case-follow/{token}/stream?since=N anyone with the follow token: that case's public
//	                                              events, public view
//
// Like the hall stream (stream.go, hub.go): a snapshot (or, with since=N, the events after N),
// then live events; one hub reads the log through one subscription and hands each event, encoded
// once per view, to every client's bounded queue; a client that falls behind is dropped (close
// 1013) and reconnects with since=<last seq it got>. Seqs are those of the whole case log, so a
// filtered client sees gaps: they mean "nothing for you", not loss. Every event carries the whole
// case after the change, so applying an event again (after a snapshot that already had it) is
// harmless.

// caseView is the form of an event a client gets (the case policy's views, cases.View).
type caseView = cases.View

const (
	viewNone   = cases.ViewNone
	viewFull   = cases.ViewFull
	viewMasked = cases.ViewMasked
	viewLeft   = cases.ViewLeft
	viewPublic = cases.ViewPublic
	numViews   = cases.NumViews
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
	Type string         `json:"type"` // "snapshot"
	Seq  uint64         `json:"seq"`
	Case caseFollowJSON `json:"case"`
}

// caseClient is one case stream connection as the hub sees it.
type caseClient struct {
	*subscriber
	view func(ev *hall.CaseEvent) caseView
}

// staffCaseView returns the view function of a staff principal (cases.EventView).
func staffCaseView(p *hall.Principal) func(ev *hall.CaseEvent) caseView {
	return func(ev *hall.CaseEvent) caseView { return cases.EventView(p, ev) }
}

// followCaseView returns the view function of a follow page of the case (cases.FollowEventView).
func followCaseView(caseID string) func(ev *hall.CaseEvent) caseView {
	return func(ev *hall.CaseEvent) caseView { return cases.FollowEventView(caseID, ev) }
}

// caseMessage builds the message of an event in a view.
func (s *Server) caseMessage(ev *hall.CaseEvent, v caseView) any {
	m := caseStreamEvent{Seq: ev.Seq, Type: ev.Type, At: ev.At, Actor: ev.Actor, Department: ev.Department, Limit: ev.Limit}
	switch v {
	case viewFull, viewMasked:
		m.Case = cases.ViewCase(*ev.Case, v)
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
func (s *Server) caseFollowView(c hall.Case) caseFollowJSON {
	out := caseFollowJSON{Case: c, DepartmentName: s.departmentName(c.Department), DepartmentNames: s.timelineDepartments(&c)}
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

// caseHub fans the case log out to the case stream clients.
type caseHub struct {
	srv     *Server
	events  hall.CaseLog
	metrics *metrics
	log     *slog.Logger

	mu      sync.Mutex
	clients map[*caseClient]struct{}
	cancel  func()
	closed  bool
	down    bool
	last    uint64 // seq of the last event broadcast (0: none yet)
	quit    chan struct{}
	done    chan struct{}
}

// caseHubLabel is the "hall" label of the case stream's metrics.
const caseHubLabel = "_cases"

func newCaseHub(s *Server, events hall.CaseLog) *caseHub {
	h := &caseHub{srv: s, events: events, metrics: s.metrics, log: s.log, clients: map[*caseClient]struct{}{},
		quit: make(chan struct{}), done: make(chan struct{})}
	ch, cancel := events.Subscribe(hubBuffer)
	h.cancel = cancel
	go h.run(ch)
	return h
}

// run broadcasts until closed; when the subscription ends (the hub fell behind, or the log is
// closing) every client is dropped to resync and the hub subscribes again, pausing while the
// subscription keeps ending empty (as hub.run does).
func (h *caseHub) run(ch <-chan hall.CaseEvent) {
	defer close(h.done)
	var pause time.Duration
	for {
		n := 0
		for ev := range ch {
			h.broadcast(&ev)
			n++
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return
		}
		h.cancel()
		h.log.Warn("case stream hub lost its subscription; dropping its clients", "clients", len(h.clients))
		h.dropAllLocked(websocket.CloseTryAgainLater, reasonBehind, "behind")
		h.last = 0
		if n > 0 {
			pause = 0
		} else {
			pause = min(max(2*pause, 10*time.Millisecond), 2*time.Second)
			h.down = true
			h.mu.Unlock()
			select {
			case <-time.After(pause):
			case <-h.quit:
			}
			h.mu.Lock()
			h.down = false
			if h.closed {
				h.mu.Unlock()
				return
			}
		}
		ch, h.cancel = h.events.Subscribe(hubBuffer)
		h.mu.Unlock()
	}
}

// broadcast queues the event for every client that may see it, encoded once per view; a client
// whose queue is full is dropped.
func (h *caseHub) broadcast(ev *hall.CaseEvent) {
	var pms [numViews]*websocket.PreparedMessage
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last != 0 && ev.Seq != h.last+1 {
		h.log.Warn("gap in the case log subscription; clients resync", "after", h.last, "got", ev.Seq)
		h.dropAllLocked(websocket.CloseTryAgainLater, reasonGap, "gap")
	}
	h.last = ev.Seq
	sent := false
	for c := range h.clients {
		v := c.view(ev)
		if v == viewNone {
			continue
		}
		if pms[v] == nil {
			b, err := json.Marshal(h.srv.caseMessage(ev, v))
			if err == nil {
				pms[v], err = websocket.NewPreparedMessage(websocket.TextMessage, b)
			}
			if err != nil {
				h.log.Error("encode case stream event", "seq", ev.Seq, "err", err)
				continue
			}
		}
		sent = true
		select {
		case c.send <- frame{seq: ev.Seq, pm: pms[v]}:
		default:
			delete(h.clients, c)
			c.stop(websocket.CloseTryAgainLater, reasonSlow)
			h.metrics.subscribers.WithLabelValues(caseHubLabel).Dec()
			h.metrics.dropped.WithLabelValues(caseHubLabel, "slow").Inc()
		}
	}
	if sent {
		h.metrics.events.WithLabelValues(caseHubLabel).Inc()
	}
}

func (h *caseHub) register(c *caseClient) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.down {
		return false
	}
	h.clients[c] = struct{}{}
	h.metrics.subscribers.WithLabelValues(caseHubLabel).Inc()
	return true
}

func (h *caseHub) unregister(c *caseClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		h.metrics.subscribers.WithLabelValues(caseHubLabel).Dec()
	}
}

func (h *caseHub) dropAllLocked(code int, reason, metric string) {
	for c := range h.clients {
		c.stop(code, reason)
		delete(h.clients, c)
		h.metrics.subscribers.WithLabelValues(caseHubLabel).Dec()
		h.metrics.dropped.WithLabelValues(caseHubLabel, metric).Inc()
	}
}

func (h *caseHub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.quit)
	h.cancel()
	h.dropAllLocked(websocket.CloseGoingAway, reasonShutdown, "shutdown")
	h.mu.Unlock()
	<-h.done
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

// caseStreamHub returns the case hub, starting it on first use, and counts the connection in
// s.conns.
func (s *Server) caseStreamHub() (*caseHub, hall.CaseLog, error) {
	l, err := s.caseLog()
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, hall.Errorf(hall.EUNAVAILABLE, "", "server is shutting down")
	}
	if s.caseHub == nil {
		s.caseHub = newCaseHub(s, l)
	}
	s.conns.Add(1)
	return s.caseHub, l, nil
}

// sinceParam reads ?since=N (0 when absent).
func sinceParam(r *http.Request) (uint64, error) {
	v := r.URL.Query().Get("since")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, hall.Errorf(hall.EINVALID, "since", "since must be a sequence number, not %q", v)
	}
	return n, nil
}

// sameOrigin accepts WebSocket handshakes without an Origin (programs) or from this server's
// own pages: the staff stream is authenticated by cookie, so other sites must not open it.
func (s *Server) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if p, err := url.Parse(s.cfg.PublicURL); err == nil && p.Host != "" && strings.EqualFold(u.Host, p.Host) {
		return true
	}
	return false
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
	since, err := sinceParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "", "this is a WebSocket endpoint; connect with a WebSocket client"))
		return
	}
	if !s.sameOrigin(r) {
		s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "Origin", "the staff case stream opens only from this server's pages"))
		return
	}
	view := staffCaseView(p)
	s.serveCaseStream(w, r, since, view, func(ctx context.Context, seq uint64) (any, error) {
		list, err := s.caseSvc.List(ctx, p, hall.CaseFilter{Open: true, Limit: maxCaseList})
		if err != nil {
			return nil, err
		}
		out := caseSnapshot{Type: "snapshot", Seq: seq, Cases: list}
		return out, nil
	})
}

func (s *Server) handleCaseFollowStream(w http.ResponseWriter, r *http.Request) {
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
	since, err := sinceParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, own, err := s.caseByToken(r, cs, tok)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "", "this is a WebSocket endpoint; connect with a WebSocket client"))
		return
	}
	id := s.caseIDOf(r.Context(), c) // the public view has no ID
	if id == "" {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "token", "no case with this token"))
		return
	}
	release, err := s.acquireStream(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer release()
	s.serveCaseStream(w, r, since, followCaseView(id), func(ctx context.Context, seq uint64) (any, error) {
		c, err := cs.GetByToken(ctx, own)
		if err != nil {
			return nil, err
		}
		return caseFollowSnapshot{Type: "snapshot", Seq: seq, Case: s.caseFollowView(*c)}, nil
	})
}

// serveCaseStream upgrades the connection, registers the client, sends the replay after since
// (filtered by view) or a snapshot, then the live events.
func (s *Server) serveCaseStream(w http.ResponseWriter, r *http.Request, since uint64, view func(*hall.CaseEvent) caseView,
	snapshot func(ctx context.Context, seq uint64) (any, error)) {
	hb, l, err := s.caseStreamHub()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer s.conns.Done()
	up := websocket.Upgrader{HandshakeTimeout: 5 * time.Second, ReadBufferSize: 512, CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	c := &caseClient{subscriber: newSubscriber(), view: view}
	// Register before reading the log, so nothing committed afterwards is missed; what the hub
	// also delivers is skipped by seq.
	if !hb.register(c) {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "stream unavailable, retry"), time.Now().Add(time.Second))
		return
	}
	defer hb.unregister(c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	go readPump(conn, c.subscriber)

	last, err := s.caseStreamStart(ctx, conn, l, since, view, snapshot)
	if err != nil {
		s.log.Warn("case stream start failed", "err", err)
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "could not read the cases, retry"), time.Now().Add(time.Second))
		return
	}
	caseWritePump(conn, c.subscriber, last)
}

// caseStreamStart sends the events after since that the client may see (when the log still has
// them) or a snapshot, and returns the seq the client is now at.
func (s *Server) caseStreamStart(ctx context.Context, conn *websocket.Conn, l hall.CaseLog, since uint64,
	view func(*hall.CaseEvent) caseView, snapshot func(ctx context.Context, seq uint64) (any, error)) (uint64, error) {
	if since > 0 {
		evs, ok, err := l.Since(ctx, since)
		if err != nil {
			return 0, fmt.Errorf("replay case log since %d: %w", since, err)
		}
		if ok {
			last := since
			for i := range evs {
				ev := &evs[i]
				if ev.Seq <= last {
					continue
				}
				last = ev.Seq
				if v := view(ev); v != viewNone {
					if err := writeJSONMessage(conn, s.caseMessage(ev, v)); err != nil {
						return 0, err
					}
				}
			}
			return last, nil
		}
	}
	seq := l.LastSeq() // the snapshot is read after: it reflects at least this seq
	snap, err := snapshot(ctx, seq)
	if err != nil {
		return 0, fmt.Errorf("case stream snapshot: %w", err)
	}
	if err := writeJSONMessage(conn, snap); err != nil {
		return 0, err
	}
	return seq, nil
}

// caseWritePump sends the queued frames after last (gaps are expected: the hub filters), pings,
// and closes the connection with the hub's reason when the client is dropped.
func caseWritePump(conn *websocket.Conn, sub *subscriber, last uint64) {
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	closeWith := func() {
		if sub.code != 0 {
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(sub.code, sub.reason), time.Now().Add(time.Second))
		}
	}
	for {
		select {
		case <-sub.gone: // a drop wins over queued events
			closeWith()
			return
		default:
		}
		select {
		case f := <-sub.send:
			if f.seq <= last {
				continue // covered by the snapshot or the replay
			}
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WritePreparedMessage(f.pm); err != nil {
				sub.stop(0, "")
				return
			}
			last = f.seq
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				sub.stop(0, "")
				return
			}
		case <-sub.gone:
			closeWith()
			return
		}
	}
}
