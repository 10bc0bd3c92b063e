package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"onedoor/hallserver/hall"
)

// The hall stream, GET /api/v1/halls/{hall}/stream: what displays, kiosks, counter pages and
// follow pages watch. Everyone gets the same public view of the hall's events, so a hall's hub
// encodes each event once for all of them. Served by serveStream (stream.go) through the hall's
// hub (hub.go).

// hallStreamView is the one view of the hall stream: the public one.
const hallStreamView view = 1

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
		encode: func(ev *hall.Event, _ view) ([]byte, error) { return json.Marshal(publicEvent(*ev)) },
		views:  hallStreamView,
	}
}

// publicHallView gives every event of the hall in the public view.
func publicHallView(*hall.Event) view { return hallStreamView }

// handleStream serves GET /api/v1/halls/{hall}/stream: a snapshot (or, with since=N, the events
// after N) and then every event of the hall, in order, without gaps or duplicates.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	h, err := s.lookupHall(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	serveStream(s, w, r, streamRequest[hall.Event]{key: "hall/" + h.Code, log: s.hallStreamLog(h.Code), view: publicHallView,
		snapshot: func(ctx context.Context) (any, uint64, error) {
			snap, err := s.cfg.Queue.Snapshot(ctx, h.Code)
			if err != nil {
				return nil, 0, fmt.Errorf("snapshot %s: %w", h.Code, err)
			}
			return snapshotMessage{Type: "snapshot", Seq: snap.Seq, Snapshot: s.withOpensAt(publicSnapshot(snap))}, snap.Seq, nil
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

// publicEvent returns the event as the public stream shows it.
func publicEvent(ev hall.Event) streamEvent {
	out := streamEvent{Seq: ev.Seq, Hall: ev.Hall, Type: ev.Type, At: ev.At, Waiting: ev.Waiting}
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
	if c := ev.Counter; c != nil {
		out.Counter = &streamCounter{Number: c.Number, State: c.State, Services: c.Services}
	}
	return out
}

// publicSnapshot returns a copy of the snapshot fit for everyone: notices without the username
// of the staff member who published them, device reports without the device ID.
func publicSnapshot(snap *hall.Snapshot) *hall.Snapshot {
	if snap == nil {
		return nil
	}
	out := *snap
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
