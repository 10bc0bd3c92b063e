package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"onedoor/hallserver/hall"
)

// The hall stream, GET /api/v1/halls/{hall}/stream: what displays, kiosks, counter pages and
// follow pages watch. Everyone gets the same public view of the hall's events, so a hall's hub
// encodes each event once for all of them; the exceptions are device.alert and visit.rated,
// which staff of the hall (a session or token of counter staff, the office or an admin of the
// hall, sent with the upgrade) get in full and everyone else bare (seq, type and time only, so
// that their sequence has no gap): no rating, reason or staff name on the public stream. Served by serveStream (stream.go) through the hall's hub (hub.go).

// The views of the hall stream.
const (
	hallStreamView view = 1 // public: every event
	hallStaffView  view = 2 // staff of the hall: device.alert and visit.rated events in full
)

// snapshotMessage is the first message of a stream (and of a resync).
type snapshotMessage struct {
	Type     string         `json:"type"` // "snapshot"
	Seq      uint64         `json:"seq"`
	Snapshot *hall.Snapshot `json:"snapshot"`
}

// hallStreamLog is the hall's event log as its hub reads it.
func (s *Server) hallStreamLog(hallCode string) streamLog[hall.Event] {
	return streamLog[hall.Event]{
		label:     hallCode,
		subscribe: func(n int) (<-chan hall.Event, func()) { return s.cfg.Events.Subscribe(hallCode, n) },
		since: func(ctx context.Context, seq uint64) ([]hall.Event, bool, error) {
			return s.cfg.Events.Since(ctx, hallCode, seq)
		},
		seq:    func(ev *hall.Event) uint64 { return ev.Seq },
		encode: func(ev *hall.Event, v view) ([]byte, error) { return json.Marshal(hallEventIn(*ev, nil, v)) },
		encodeAfter: func(ev, prev *hall.Event, v view) ([]byte, error) {
			return json.Marshal(hallEventIn(*ev, prev, v))
		},
		lazy:  lazyHallEvent,
		views: hallStaffView,
	}
}

// lazyHallEvent reports the events that may reach clients up to lazyDelay late, with the next
// call: the steps of a ticket's or a counter's life other than calls. Calls are announced at
// once; notices and device reports are rare and shown at once too.
func lazyHallEvent(ev *hall.Event) bool {
	switch ev.Type {
	case hall.EventCalled, hall.EventRecalled, hall.EventNotice, hall.EventNoticeGone, hall.EventDevice, hall.EventDeviceAlert, hall.EventVisitRated, hall.EventCampusChanged:
		return false
	}
	return true
}

// publicHallView gives every event of the hall in the public view.
func publicHallView(*hall.Event) view { return hallStreamView }

// staffHallView gives device alerts in the staff view, every other event in the public one (the
// same bytes as every display's).
func staffHallView(ev *hall.Event) view {
	if ev.Type == hall.EventDeviceAlert || ev.Type == hall.EventVisitRated {
		return hallStaffView
	}
	return hallStreamView
}

// hallEventIn returns the event as view v shows it.
func hallEventIn(ev hall.Event, prev *hall.Event, v view) streamEvent {
	out := publicEvent(ev, prev)
	if v == hallStaffView {
		out.Alert = ev.Alert
		out.Rated = ev.Rated
	}
	return out
}

// streamStaff reports whether the stream request comes from staff of the hall who see its device
// alerts. Anyone may open the stream: credentials that are missing or do not hold give the public
// view, never an error.
func (s *Server) streamStaff(r *http.Request, code string) bool {
	if r.Header.Get("Authorization") == "" {
		if c, err := r.Cookie(sessionCookie); err != nil || c.Value == "" {
			return false
		}
	}
	p, err := s.authenticate(r)
	return err == nil && seesDeviceHealth(p, code)
}

// handleStream serves GET /api/v1/halls/{hall}/stream: a snapshot (or, with since=N, the events
// after N) and then every event of the hall, in order, without gaps or duplicates.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	h, err := s.lookupHall(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	staff, viewOf := s.streamStaff(r, h.Code), publicHallView
	if staff {
		viewOf = staffHallView
	}
	serveStream(s, w, r, streamRequest[hall.Event]{key: "hall/" + h.Code, log: s.hallStreamLog(h.Code), view: viewOf,
		snapshot: func(ctx context.Context) (any, uint64, error) {
			snap, err := s.cfg.Queue.Snapshot(ctx, h.Code)
			if err != nil {
				return nil, 0, fmt.Errorf("snapshot %s: %w", h.Code, err)
			}
			view := publicSnapshot(snap)
			if staff {
				view.Alerts = snap.Alerts
				view.LowRatings = snap.LowRatings
			}
			return snapshotMessage{Type: "snapshot", Seq: snap.Seq, Snapshot: s.withOpensAt(view)}, snap.Seq, nil
		}})
}

// streamEvent is an event as the public stream sends it: what displays, kiosks and follow pages
// use, and nothing else (no follow token, person number, staff names, notes or internal IDs). Kept
// small because it goes to every screen in the hall.
type streamEvent struct {
	Seq     uint64             `json:"seq"`
	Hall    string             `json:"hall"`
	Type    hall.EventType     `json:"type"`
	At      time.Time          `json:"at"`
	Ticket  *streamTicket      `json:"ticket,omitempty"`
	Counter *streamCounter     `json:"counter,omitempty"`
	Waiting map[string]int     `json:"waiting,omitempty"`
	Device  *hall.DeviceStatus `json:"device,omitempty"`
	Notice  *hall.Notice       `json:"notice,omitempty"`
	Alert   *hall.DeviceAlert  `json:"alert,omitempty"` // device.alert, staff view only
	Rated   *hall.RatedVisit   `json:"rated,omitempty"` // visit.rated, staff view only
}

// streamTicket is the public face of a ticket in an event.
type streamTicket struct {
	Number        string           `json:"number"`
	Service       string           `json:"service"`
	State         hall.TicketState `json:"state"`
	Priority      bool             `json:"priority,omitempty"`
	Counter       int              `json:"counter,omitempty"`
	TargetCounter int              `json:"targetCounter,omitempty"`
	CalledAt      *time.Time       `json:"calledAt,omitempty"`
	Calls         int              `json:"calls,omitempty"`
	Outcome       hall.Outcome     `json:"outcome,omitempty"`
}

// streamCounter is the public face of a counter in an event.
type streamCounter struct {
	Number   int               `json:"number"`
	State    hall.CounterState `json:"state"`
	Services []string          `json:"services"`
}

// publicEvent returns the event as the public stream shows it. With prev, the event just before
// it that every client already has, it leaves out what did not change since prev: the waiting
// counts that stayed the same (waiting is left out when none changed) and, on a ticket event, the
// counter when its state and services are what prev said. Every client merges what an event
// carries into what it knows (displays, kiosks, the follow page), so it loses nothing, and the
// messages that go to every screen of the hall stay small: a finished ticket then carries
// neither, a call only the count of its own service. Every change of the counts or of a counter
// is an event of its own that carries it, so a field left out is one every client has.
func publicEvent(ev hall.Event, prev *hall.Event) streamEvent {
	out := streamEvent{Seq: ev.Seq, Hall: ev.Hall, Type: ev.Type, At: ev.At, Waiting: changedWaiting(ev.Waiting, prev)}
	if d := ev.Device; d != nil {
		out.Device = &hall.DeviceStatus{Kind: d.Kind, State: d.State, Message: d.Message, At: d.At} // without the device ID
	}
	if n := ev.Notice; n != nil {
		out.Notice = &hall.Notice{ID: n.ID, Text: n.Text, At: n.At} // without By, the staff member
	}
	if t := ev.Ticket; t != nil {
		out.Ticket = &streamTicket{Number: t.Number, Service: t.Service, State: t.State, Priority: t.Priority,
			Counter: t.Counter, TargetCounter: t.TargetCounter, CalledAt: t.CalledAt, Calls: t.Calls, Outcome: t.Outcome}
	}
	if c := ev.Counter; c != nil && (ev.Type == hall.EventCounter || !sameCounter(c, prev)) {
		out.Counter = &streamCounter{Number: c.Number, State: c.State, Services: c.Services}
	}
	return out
}

// changedWaiting returns the counts of w that differ from prev's (all of w without prev or when
// prev has no counts); nil when none changed.
func changedWaiting(w map[string]int, prev *hall.Event) map[string]int {
	if prev == nil || prev.Waiting == nil {
		return w
	}
	var out map[string]int
	for code, n := range w {
		if old, ok := prev.Waiting[code]; ok && old == n {
			continue
		}
		if out == nil {
			out = make(map[string]int, len(w))
		}
		out[code] = n
	}
	return out
}

// sameCounter reports whether prev carries counter c with the same public state.
func sameCounter(c *hall.Counter, prev *hall.Event) bool {
	if prev == nil || prev.Counter == nil {
		return false
	}
	p := prev.Counter
	return p.Number == c.Number && p.State == c.State && slices.Equal(p.Services, c.Services)
}

// publicSnapshot returns a copy of the snapshot fit for everyone: notices without the username
// of the staff member who published them, device reports without the device ID, no alerts.
func publicSnapshot(snap *hall.Snapshot) *hall.Snapshot {
	if snap == nil {
		return nil
	}
	out := *snap
	out.Alerts = nil     // staff only
	out.LowRatings = nil // staff only
	if snap.Devices != nil {
		out.Devices = make([]hall.DeviceStatus, len(snap.Devices))
		for i, d := range snap.Devices {
			out.Devices[i] = hall.DeviceStatus{Kind: d.Kind, State: d.State, Message: d.Message, At: d.At}
		}
	}
	if snap.Notices != nil {
		out.Notices = make([]hall.Notice, len(snap.Notices))
		for i, n := range snap.Notices {
			out.Notices[i] = hall.Notice{ID: n.ID, Text: n.Text, At: n.At}
		}
	}
	return &out
}
