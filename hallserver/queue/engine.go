// Package queue is the queue engine of one hall: numbering, ordering, the counter actions and the
// wait estimates. It is pure logic: the clock is passed in as `now`, IDs and tokens are passed in
// by the caller, and it does no I/O. An Engine is not safe for concurrent use; its owner (the
// store) serialises calls per hall.
//
// Every command validates first and changes nothing when it returns an error. On success it
// returns a Change: the records to persist and the events to append to the hall's log, with
// consecutive sequence numbers, plus the engine Meta after the change. The owner persists the
// Change in one transaction before acknowledging.
package queue

import (
	"time"

	"onedoor/hallserver/hall"
)

// ServiceStats are the recent service times of one service, for wait estimates.
type ServiceStats struct {
	// Recent holds the most recent service durations in seconds (called → finished), newest last.
	Recent []float64 `json:"recent,omitempty"`
}

// Meta is the small, whole-hall part of the engine state that is persisted with every change
// (besides the tickets themselves): with the open tickets it is enough to Restore the engine.
type Meta struct {
	Seq         uint64                  `json:"seq"`
	Day         string                  `json:"day"`     // local day the numbers belong to
	Numbers     map[string]int          `json:"numbers"` // last number issued today, per service
	Counters    []hall.Counter          `json:"counters"`
	RecentCalls []hall.Call             `json:"recentCalls"` // newest first, at most 10
	Stats       map[string]ServiceStats `json:"stats"`
}

// Change is what one command changed.
type Change struct {
	Tickets []hall.Ticket // tickets created or changed, as they are after the change
	Events  []hall.Event  // events to append, Seq consecutive after the previous change
	Meta    Meta          // the engine meta after the change (a copy)
}

// Engine is the queue state of one hall.
type Engine struct {
	// fields are the implementation's
}

// New returns an engine for a hall with no history.
func New(h hall.Hall, loc *time.Location) *Engine {
	panic("TODO")
}

// Restore returns an engine for a hall from its persisted meta and the tickets that were open
// (waiting, called, serving, parked) and those no-show tickets that can still be reinstated.
// Counters in meta that no longer exist in h are dropped; new counters start closed.
func Restore(h hall.Hall, loc *time.Location, meta Meta, open []hall.Ticket) (*Engine, error) {
	panic("TODO")
}

// Issue creates a ticket with the given ID and follow token. The number is the service prefix and
// three digits, counted per service per local day (reset at local midnight, never reused).
func (e *Engine) Issue(now time.Time, req hall.IssueRequest, id, token string) (*hall.Issued, Change, error) {
	panic("TODO")
}

// Act performs a counter action. For call-next it returns a nil ticket and an empty Change (no
// events) when nobody waits for that counter.
func (e *Engine) Act(now time.Time, a hall.CounterAction) (*hall.Ticket, Change, error) {
	panic("TODO")
}

// CancelByToken cancels a waiting or parked ticket on its holder's request ("I left").
func (e *Engine) CancelByToken(now time.Time, token string) (*hall.Ticket, Change, error) {
	panic("TODO")
}

// Tick lets time-based rules run (day change at local midnight): it returns a Change with events
// when something changed, an empty Change otherwise.
func (e *Engine) Tick(now time.Time) Change {
	panic("TODO")
}

// Snapshot returns the hall's visible state.
func (e *Engine) Snapshot(now time.Time) hall.Snapshot {
	panic("TODO")
}

// Ticket returns an open ticket by ID.
func (e *Engine) Ticket(id string) (hall.Ticket, bool) {
	panic("TODO")
}

// Position returns how many people are ahead of a waiting ticket and its estimated wait in
// seconds; ok is false when the ticket is not waiting.
func (e *Engine) Position(now time.Time, id string) (ahead, etaSeconds int, ok bool) {
	panic("TODO")
}

// Waiting lists the waiting tickets in the order counters would call them (all services).
func (e *Engine) Waiting() []hall.Ticket {
	panic("TODO")
}

// Meta returns a copy of the engine meta.
func (e *Engine) Meta() Meta {
	panic("TODO")
}
