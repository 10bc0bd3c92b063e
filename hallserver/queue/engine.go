// Package queue is the queue engine of one hall: numbering, ordering, the counter actions and the
// wait estimates. It is pure logic: the clock is passed in as `now`, IDs and tokens are passed in
// by the caller, and it does no I/O. An Engine is not safe for concurrent use; its owner (the
// store) serialises calls per hall.
//
// Every command validates first and changes nothing when it returns an error. On success it
// returns a Change: the records to persist and the events to append to the hall's log, with
// consecutive sequence numbers, plus the engine Meta after the change. The owner persists the
// Change in one transaction before acknowledging.
//
// # Numbers and the day
//
// A ticket number is the service code followed by at least three digits (A001…A999, then A1000…), counted per service
// per business day (Meta.Day, a local day in the engine's location, Asia/Shanghai by default).
// The first command (or Tick) whose clock reads a later local day than the previous command's
// resets the hall before doing anything else: every waiting or parked ticket is cancelled (one
// ticket.cancelled event each, actor "system"), reinstatable no-shows are dropped, tickets at a
// counter (called or serving) stay there to be finished or marked absent as usual, counters without
// a ticket are closed, the recent calls are cleared, and a hall.day_reset event is appended. If the
// command that triggered the reset then fails, the reset is undone too (errors change nothing); it
// happens again with the next command. The (MaxNumber+1)th ticket of a service in one day is
// refused with ECONFLICT ("service full for today"). Numbers are in Meta, so they are never reused
// after Restore.
//
// # Clock steps
//
// The business day never goes backwards and a number is never issued twice under one day: when
// the clock is set back to an earlier day, numbering goes on under the latest day used. A reset
// starts the numbers again at 001 only when the clock's day is later than that day; a reset on a
// day already used (the clock was ahead and was corrected) keeps numbering on. A command that
// sees the clock read earlier than the previous command's reports it in Change.ClockBack for the
// owner to log (the engine does no I/O). Queue order is a monotonic per-hall sequence (Meta.LastOrder),
// not the wall clock, so a clock stepped back never reorders the queue.
//
// # Who is called next
//
// call-next at counter n considers the waiting tickets of the services in n's profile that are
// not reserved for another counter (TargetCounter is 0 or n). Green-channel (priority) tickets
// come first; then the smallest Order (the hall's sequence when the ticket joined its queue) across all those
// services; equal Orders go by the counter's profile order (its main service first), then by
// number. A counter with a ticket that is still called or serving must finish it, mark it no-show,
// park or transfer it before it can call again (ECONFLICT), so a double click never skips anyone.
// A called ticket is no longer waiting, so two counters never get one ticket.
//
// # Wait estimates
//
// See estimate.go and docs/QUEUE.md ("Wait estimates"): per service a learned, winsorised mean
// service time and a Weibull shape; the counters call along the engine's own calling rule from the
// waiting tickets as they are; the estimate is the median of the first departure plus the work
// ahead, or, for a ticket close to the front with another service's tickets ahead of it, the
// median of simulated futures of the learned models.
package queue

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"onedoor/hallserver/hall"
)

// Limits of the engine.
const (
	// MaxNumber is the last number a service can issue in one day. Numbers have three digits up
	// to 999 and then simply grow (A1000): a busy day or a load test never wraps around to a number
	// already issued.
	MaxNumber = 99999
	// NoShowLimit is how many times a ticket may be marked absent and still be reinstated.
	NoShowLimit = 2
	// RecentCallsKept is how many recent calls the Meta and the Snapshot keep.
	RecentCallsKept = 10
	// StatsWindow is how many recent service durations are kept per service (the shape of the
	// service-time distribution for wait estimates; the mean is learned over a longer memory,
	// see MeanMemory).
	StatsWindow = 50
	// MeanMemory is the effective number of durations the learned mean service time averages
	// over (an exponentially weighted mean: a duration's weight halves about every 0.7·MeanMemory
	// later durations).
	MeanMemory = 200
	// MeanCap is the winsorising bound of a duration entering the learned mean, as a multiple of
	// the mean so far: a counter that forgot to press finish for an hour moves the mean by at most
	// (MeanCap−1)/MeanMemory of itself.
	MeanCap = 6
	// MaxPersonID is the longest accepted person ID.
	MaxPersonID = 32
)

// SystemActor is the actor of events the engine makes by itself (the day reset).
const SystemActor = "system"

// OrderStep is the gap between the Orders of tickets issued one after the other: a transfer or
// reinstatement to the front of a queue takes the Order just before the first waiting ticket,
// which stays after every ticket issued earlier.
const OrderStep = 1 << 20

// ServiceStats are the recent service times of one service, for wait estimates.
type ServiceStats struct {
	// Recent holds the most recent service durations in seconds (called → finished), newest last.
	Recent []float64 `json:"recent,omitempty"`
	// Mean is the learned mean service time in seconds: an exponentially weighted, winsorised mean
	// of all durations (weights 1/N while fewer than MeanMemory were seen, then 1/MeanMemory).
	Mean float64 `json:"mean,omitempty"`
	// N is how many durations Mean has taken in (at most MeanMemory counts).
	N int `json:"n,omitempty"`
}

// add folds one duration (seconds) into the stats.
func (s ServiceStats) add(d float64) ServiceStats {
	start := 0
	if len(s.Recent) >= StatsWindow {
		start = len(s.Recent) - StatsWindow + 1
	}
	r := make([]float64, 0, StatsWindow)
	r = append(r, s.Recent[start:]...)
	r = append(r, d)
	out := ServiceStats{Recent: r, Mean: s.Mean, N: s.N}
	if out.N >= 5 && d > MeanCap*out.Mean {
		d = MeanCap * out.Mean
	}
	if out.N < MeanMemory {
		out.N++
	}
	out.Mean += (d - out.Mean) / float64(out.N)
	return out
}

// restored fills the learned mean of stats written before it existed from their recent durations.
func (s ServiceStats) restored() ServiceStats {
	out := ServiceStats{Recent: slices.Clone(s.Recent), Mean: s.Mean, N: s.N}
	if (out.N <= 0 || out.Mean <= 0) && len(out.Recent) > 0 {
		out.Mean, out.N = 0, 0
		for _, d := range out.Recent {
			out.Mean += d
		}
		out.Mean /= float64(len(out.Recent))
		out.N = len(out.Recent)
	}
	return out
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
	Devices     []hall.DeviceStatus     `json:"devices,omitempty"` // last report per device part
	Notices     []hall.Notice           `json:"notices,omitempty"` // oldest first
	// LowRatings are the day's visits rated 1–2 stars (rating.go), oldest first.
	LowRatings []hall.RatedVisit `json:"lowRatings,omitempty"`
	// Roster is the devices watched for silence (those that sent a heartbeat), Alerts their active
	// alerts: kept so that a restart neither forgets a device that never comes back nor leaves a
	// raised alert without its clear (health.go).
	Roster []hall.DeviceRef   `json:"roster,omitempty"`
	Alerts []hall.DeviceAlert `json:"alerts,omitempty"`
	// Clock is the clock reading (UTC, wall clock) of the last command. The day resets when a
	// command's local day is later than this one's; it follows the clock back too, so the next
	// midnight after a clock correction still resets the hall.
	Clock time.Time `json:"clock,omitzero"`
	// LastOrder is the last queue Order handed out (monotonic, see Ticket.Order).
	LastOrder int64 `json:"lastOrder,omitempty"`
	// ResetSeq is the seq of the last hall.day_reset event (0 before the first one).
	ResetSeq uint64 `json:"resetSeq,omitempty"`
	// Retired are the services removed from the hall's configuration that still have open
	// tickets, and RetiredCounters the counters removed while holding a ticket
	// (reconfigure.go).
	Retired         []hall.Service `json:"retired,omitempty"`
	RetiredCounters []int          `json:"retiredCounters,omitempty"`
}

// ClockStep reports that a command's clock read earlier than the previous command's: the clock
// was set back. The engine kept its business day and queue order; the owner logs it.
type ClockStep struct {
	From time.Time // the previous command's clock
	To   time.Time // this command's clock
	Day  string    // the business day numbering goes on under
}

// Change is what one command changed.
type Change struct {
	// Tickets are the tickets created or changed, as they are after the change. A change with the
	// day reset also lists the tickets the engine still holds (those at a counter), so the owner's
	// index of open tickets can start again from this list.
	Tickets []hall.Ticket
	Events  []hall.Event // events to append, Seq consecutive after the previous change
	Meta    Meta         // the engine meta after the change (a copy)
	// ClockBack is set when the clock read earlier than at the previous command: the owner logs
	// it and persists Meta even when there are no events (Meta.Clock decides the next reset).
	ClockBack *ClockStep
}

// Empty reports whether the change has nothing to persist: no events and no clock step.
func (c Change) Empty() bool { return len(c.Events) == 0 && c.ClockBack == nil }

// Engine is the queue state of one hall.
type Engine struct {
	h     hall.Hall
	loc   *time.Location
	svcs  map[string]int       // service code -> index in h.Services
	days  hall.Days            // the business calendar (WithCalendar), nil: none
	gates map[string]hall.Gate // when each service issues tickets (hours, season, quota)

	// meta parts. Slices in them (Counters[i].Services, RecentCalls, Stats[s].Recent) are
	// copy-on-write: they are replaced, never changed in place, so Meta copies can share them.
	seq      uint64
	day      string
	numbers  map[string]int
	counters []hall.Counter // in h.Counters order
	recent   []hall.Call
	stats    map[string]ServiceStats
	devices  []hall.DeviceStatus // copy-on-write like the other meta slices
	notices  []hall.Notice
	// lowRatings are the day's 1–2 star visit ratings (rating.go), copy-on-write.
	lowRatings []hall.RatedVisit
	roster     []hall.DeviceRef   // copy-on-write (health.go)
	alerts     []hall.DeviceAlert // copy-on-write (health.go)
	clock      time.Time          // last command's clock (UTC, no monotonic reading)
	cday       string             // local day of clock ("" when clock is zero)
	order      int64              // last Order handed out
	resetSeq   uint64             // seq of the last day reset
	// retired are services kept only for their open tickets; goneCounters counters removed
	// from the configuration that finish their ticket (reconfigure.go).
	retired      map[string]bool
	goneCounters map[int]bool

	// byNumber holds the tickets of the business day only: a ticket kept at a counter across
	// the day reset is found by ID (its number may be issued again today).

	tickets  map[string]*hall.Ticket // open tickets and reinstatable no-shows, by ID
	byNumber map[string]string       // number -> ID (tickets of day in the engine)
	byToken  map[string]string       // token -> ID
	queues   map[string][]*hall.Ticket

	// health is the soft state of the devices' heartbeats since the engine was loaded
	// (health.go): never persisted.
	health map[string]*deviceHealth

	// booked are the slot starts of the bookings not yet checked in, per service, sorted
	// (SetBooked; appointment.go): soft state fed by the host, never persisted.
	booked map[string][]time.Time

	// the change being built by the running command
	ch   Change
	kept []string // IDs kept across a day reset in this change
}

// Option configures an engine.
type Option func(*Engine)

// buildGates makes the gate of each service of the hall (hours, seasonal range, quota), at
// restore and whenever the configuration changes (reconfigure.go). The map is replaced, never
// edited, so clones share it.
func (e *Engine) buildGates() error {
	gates := make(map[string]hall.Gate, len(e.h.Services))
	for _, s := range e.h.Services {
		g, err := hall.NewGate(&e.h, s.Code, e.loc, e.days)
		if err != nil {
			return fmt.Errorf("service %s: %w", s.Code, err)
		}
		gates[s.Code] = g
	}
	e.gates = gates
	return nil
}

// WithCalendar gives the engine the campus business calendar: its holidays close the services'
// opening hours, its exchanged workdays (调休) open them (hall.Schedule). Without it only the
// weekly hours count.
func WithCalendar(days hall.Days) Option { return func(e *Engine) { e.days = days } }

// New returns an engine for a hall with no history.
func New(h hall.Hall, loc *time.Location, opts ...Option) *Engine {
	e, _ := Restore(h, loc, Meta{}, nil, opts...)
	return e
}

// Restore returns an engine for a hall from its persisted meta and the tickets that were open
// (waiting, called, serving, parked) and those no-show tickets that can still be reinstated.
// Counters in meta that no longer exist in h are dropped; new counters start closed.
//
// Tickets in other states are ignored. Restore fails on tickets with duplicate IDs or numbers, of
// unknown services, or with a counter that names a ticket that is not called or serving there.
func Restore(h hall.Hall, loc *time.Location, meta Meta, open []hall.Ticket, opts ...Option) (*Engine, error) {
	if loc == nil {
		l, err := time.LoadLocation(hall.DefaultTimeZone)
		if err != nil {
			l = time.FixedZone("CST", 8*3600)
		}
		loc = l
	}
	e := &Engine{
		h:          h,
		loc:        loc,
		svcs:       map[string]int{},
		seq:        meta.Seq,
		day:        meta.Day,
		clock:      meta.Clock,
		order:      meta.LastOrder,
		resetSeq:   meta.ResetSeq,
		devices:    slices.Clone(meta.Devices),
		notices:    slices.Clone(meta.Notices),
		lowRatings: slices.Clone(meta.LowRatings),
		roster:     slices.Clone(meta.Roster),
		alerts:     slices.Clone(meta.Alerts),
		health:     map[string]*deviceHealth{},
		numbers:    map[string]int{},
		stats:      map[string]ServiceStats{},
		tickets:    map[string]*hall.Ticket{},
		byNumber:   map[string]string{},
		byToken:    map[string]string{},
		queues:     map[string][]*hall.Ticket{},
	}
	e.retired, e.goneCounters = map[string]bool{}, map[int]bool{}
	for _, s := range meta.Retired {
		if _, ok := h.Service(s.Code); !ok {
			h.Services = append(slices.Clip(h.Services), s)
			e.retired[s.Code] = true
		}
	}
	e.h = h
	for _, o := range opts {
		o(e)
	}
	for i, s := range h.Services {
		e.svcs[s.Code] = i
	}
	if err := e.buildGates(); err != nil { // Campus.Validate refuses such a hall
		return nil, fmt.Errorf("queue: restore: %w", err)
	}
	if !e.clock.IsZero() {
		e.cday = e.Day(e.clock)
	}
	for k, v := range meta.Numbers {
		e.numbers[k] = v
	}
	for k, v := range meta.Stats {
		if _, ok := e.svcs[k]; ok {
			e.stats[k] = v.restored()
		}
	}
	for _, c := range meta.RecentCalls {
		if len(e.recent) < RecentCallsKept {
			e.recent = append(e.recent, c)
		}
	}
	old := map[int]hall.Counter{}
	for _, c := range meta.Counters {
		old[c.Number] = c
	}
	for _, cc := range h.Counters {
		c := hall.Counter{Hall: h.Code, Number: cc.Number, State: hall.CounterClosed, Services: slices.Clone(cc.Services)}
		if o, ok := old[cc.Number]; ok {
			switch o.State {
			case hall.CounterOpen, hall.CounterPaused, hall.CounterClosed:
				c.State = o.State
			}
			c.Current, c.Staff = o.Current, o.Staff
			for _, s := range o.Services {
				if e.retired[s] && !slices.Contains(c.Services, s) {
					c.Services = append(c.Services, s)
				}
			}
		}
		e.counters = append(e.counters, c)
	}
	for _, n := range meta.RetiredCounters {
		if o, ok := old[n]; ok && o.Current != "" {
			if _, configured := h.Counter(n); !configured {
				e.counters = append(e.counters, o)
				e.goneCounters[n] = true
			}
		}
	}
	for i := range open {
		t := open[i]
		if !t.State.Open() && !(t.State == hall.TicketNoShow && t.NoShows <= NoShowLimit) {
			continue
		}
		if _, ok := e.svcs[t.Service]; !ok {
			return nil, fmt.Errorf("queue: restore: ticket %s has unknown service %q", t.ID, t.Service)
		}
		if _, dup := e.tickets[t.ID]; dup || t.ID == "" {
			return nil, fmt.Errorf("queue: restore: duplicate or empty ticket ID %q", t.ID)
		}
		if t.Day == e.day || e.day == "" {
			if _, dup := e.byNumber[t.Number]; dup {
				return nil, fmt.Errorf("queue: restore: duplicate ticket number %s", t.Number)
			}
			e.byNumber[t.Number] = t.ID
		}
		// Files written before the order sequence: Orders were Unix nanoseconds; go on after them.
		e.order = max(e.order, t.Order, t.IssueOrder)
		tp := &t
		e.tickets[t.ID] = tp
		if t.Token != "" {
			e.byToken[t.Token] = t.ID
		}
		if t.State == hall.TicketWaiting {
			e.enqueue(tp)
		}
		if t.Day == e.day {
			if n := numberOf(t.Number); n > e.numbers[t.Service] && strings.HasPrefix(t.Number, t.Service) {
				e.numbers[t.Service] = n
			}
		}
	}
	// Counters and their current tickets must agree.
	held := map[string]int{}
	for i := range e.counters {
		c := &e.counters[i]
		if c.Current == "" {
			continue
		}
		t, ok := e.tickets[c.Current]
		if !ok || (t.State != hall.TicketCalled && t.State != hall.TicketServing) || t.Counter != c.Number {
			return nil, fmt.Errorf("queue: restore: counter %d holds ticket %q that is not called or serving there", c.Number, c.Current)
		}
		held[t.ID] = c.Number
	}
	for _, t := range e.tickets {
		if t.State == hall.TicketCalled || t.State == hall.TicketServing {
			if _, ok := held[t.ID]; !ok {
				// The counter does not exist any more or lost it: the ticket goes back to its queue.
				if ci := e.counterIndex(t.Counter); ci >= 0 && e.counters[ci].Current == "" {
					e.counters[ci].Current = t.ID
				} else {
					t.State = hall.TicketWaiting
					t.CalledAt, t.StartedAt = nil, nil
					e.enqueue(t)
				}
			}
		}
	}
	e.pruneRetired()
	return e, nil
}

func numberOf(num string) int {
	n := 0
	if len(num) < 2 {
		return 0
	}
	for _, r := range num[1:] {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// Location returns the engine's time zone.
func (e *Engine) Location() *time.Location { return e.loc }

// Day returns the local day string of t in the engine's time zone.
func (e *Engine) Day(t time.Time) string { return t.In(e.loc).Format("2006-01-02") }

// BusinessDay returns the day the numbers are counted under (Meta.Day): it never goes back.
func (e *Engine) BusinessDay() string { return e.day }

// ResetSeq returns the seq of the last hall.day_reset event (0 before the first one): a change
// committed with a lower seq belongs to an earlier business session of the hall.
func (e *Engine) ResetSeq() uint64 { return e.resetSeq }

// Meta returns a copy of the engine meta.
func (e *Engine) Meta() Meta {
	m := Meta{
		Seq:         e.seq,
		Day:         e.day,
		Numbers:     make(map[string]int, len(e.numbers)),
		Counters:    slices.Clone(e.counters),
		RecentCalls: slices.Clone(e.recent),
		Stats:       make(map[string]ServiceStats, len(e.stats)),
		Devices:     e.devices,
		Notices:     e.notices,
		LowRatings:  e.lowRatings,
		Roster:      e.roster,
		Alerts:      e.alerts,
		Clock:       e.clock,
		LastOrder:   e.order,
		ResetSeq:    e.resetSeq,
	}
	m.Retired, m.RetiredCounters = e.retiredMeta()
	if m.RecentCalls == nil {
		m.RecentCalls = []hall.Call{}
	}
	for k, v := range e.numbers {
		m.Numbers[k] = v
	}
	for k, v := range e.stats {
		m.Stats[k] = v // Recent is copy-on-write
	}
	return m
}

// ---- queues ----

// less orders waiting tickets of one queue: priority first, then appointments by their slot's
// start (appointment.go), then Order, then number.
func less(a, b *hall.Ticket) bool {
	if a.Priority != b.Priority {
		return a.Priority
	}
	if (a.Appointment != nil) != (b.Appointment != nil) {
		return a.Appointment != nil
	}
	if a.Appointment != nil && !a.Appointment.Start.Equal(b.Appointment.Start) {
		return a.Appointment.Start.Before(b.Appointment.Start)
	}
	if a.Order != b.Order {
		return a.Order < b.Order
	}
	return a.Number < b.Number
}

func (e *Engine) enqueue(t *hall.Ticket) {
	q := e.queues[t.Service]
	i := sort.Search(len(q), func(i int) bool { return less(t, q[i]) })
	q = slices.Insert(q, i, t)
	e.queues[t.Service] = q
}

func (e *Engine) dequeue(t *hall.Ticket) {
	q := e.queues[t.Service]
	i := sort.Search(len(q), func(i int) bool { return !less(q[i], t) })
	// A queued ticket's keys (Priority, Order, Number) only change while it is out of its queue
	// (toWaiting sets them before enqueue), so t is at or after i.
	for ; i < len(q); i++ {
		if q[i] == t {
			e.queues[t.Service] = slices.Delete(q, i, i+1)
			return
		}
	}
}

// waitingCounts returns the number of waiting tickets per service (every service present).
func (e *Engine) waitingCounts() map[string]int {
	m := make(map[string]int, len(e.h.Services))
	for _, s := range e.h.Services {
		m[s.Code] = len(e.queues[s.Code])
	}
	return m
}

func (e *Engine) counterIndex(n int) int {
	for i := range e.counters {
		if e.counters[i].Number == n {
			return i
		}
	}
	return -1
}

// ---- change building ----

func (e *Engine) begin() {
	e.ch = Change{}
	e.kept = nil
}

// nextOrder hands out the next queue Order.
func (e *Engine) nextOrder() int64 {
	e.order += OrderStep
	return e.order
}

func (e *Engine) event(now time.Time, typ hall.EventType, actor string, t *hall.Ticket, c *hall.Counter) {
	e.seq++
	ev := hall.Event{Seq: e.seq, Hall: e.h.Code, Type: typ, At: now, Actor: actor, Waiting: e.waitingCounts()}
	if t != nil {
		tc := *t
		ev.Ticket = &tc
	}
	if c != nil {
		cc := *c
		ev.Counter = &cc
	}
	e.ch.Events = append(e.ch.Events, ev)
}

// commit finishes the change: the tickets as they are now (also those that left the engine,
// which are kept in final) and the meta.
func (e *Engine) commit(final map[string]*hall.Ticket) Change {
	ch := e.ch
	if len(ch.Events) == 0 {
		e.begin()
		return Change{}
	}
	added := map[string]bool{}
	for _, ev := range ch.Events {
		if ev.Ticket == nil || added[ev.Ticket.ID] {
			continue
		}
		added[ev.Ticket.ID] = true
		// A ticket of an event is still in the engine or left it in this change (remove puts
		// it in final).
		id := ev.Ticket.ID
		if t, ok := e.tickets[id]; ok {
			ch.Tickets = append(ch.Tickets, *t)
		} else {
			ch.Tickets = append(ch.Tickets, *final[id])
		}
	}
	for _, id := range e.kept {
		if t, ok := e.tickets[id]; ok && !added[id] {
			added[id] = true
			ch.Tickets = append(ch.Tickets, *t)
		}
	}
	ch.Meta = e.Meta()
	e.begin()
	return ch
}

// remove takes a ticket out of the engine (it became final) and into final, where commit finds it.
func (e *Engine) remove(t *hall.Ticket, final map[string]*hall.Ticket) {
	final[t.ID] = t
	delete(e.tickets, t.ID)
	if e.byNumber[t.Number] == t.ID {
		delete(e.byNumber, t.Number)
	}
	if e.byToken[t.Token] == t.ID {
		delete(e.byToken, t.Token)
	}
}

// ---- the day ----

// clone copies the whole engine (used to undo a day reset when the command after it fails).
func (e *Engine) clone() *Engine {
	c := *e
	c.numbers = map[string]int{}
	for k, v := range e.numbers {
		c.numbers[k] = v
	}
	c.stats = map[string]ServiceStats{}
	for k, v := range e.stats {
		c.stats[k] = v
	}
	c.counters = slices.Clone(e.counters)
	c.recent = slices.Clone(e.recent)
	c.retired = map[string]bool{}
	for k, v := range e.retired {
		c.retired[k] = v
	}
	c.goneCounters = map[int]bool{}
	for k, v := range e.goneCounters {
		c.goneCounters[k] = v
	}
	c.tickets = map[string]*hall.Ticket{}
	c.byNumber = map[string]string{}
	c.byToken = map[string]string{}
	c.queues = map[string][]*hall.Ticket{}
	for id, t := range e.tickets {
		tc := *t
		c.tickets[id] = &tc
	}
	for k, v := range e.byNumber {
		c.byNumber[k] = v
	}
	for k, v := range e.byToken {
		c.byToken[k] = v
	}
	for s, q := range e.queues {
		nq := make([]*hall.Ticket, len(q))
		for i, t := range q {
			nq[i] = c.tickets[t.ID]
		}
		c.queues[s] = nq
	}
	return &c
}

// clockDay is the local day of the previous command's clock (the business day before the first
// command that recorded its clock).
func (e *Engine) clockDay() string {
	if e.cday == "" {
		return e.day
	}
	return e.cday
}

// rollover resets the hall when day (now's local day) is later than the previous command's.
// The numbers start again only when that day is also later than the business day; otherwise
// (the clock was ahead and has been corrected) they go on under the business day, which never
// goes back. It returns a copy of the engine as it was before (nil when nothing happened) and the
// tickets that became final.
func (e *Engine) rollover(now time.Time, day string) (saved *Engine, final map[string]*hall.Ticket) {
	if e.day == "" {
		e.day = day // first use
		return nil, nil
	}
	if day <= e.clockDay() {
		return nil, nil
	}
	saved = e.clone()
	final = map[string]*hall.Ticket{}
	newDay := day > e.day
	// cancel waiting and parked tickets in a stable order: by day, then number
	ids := make([]string, 0, len(e.tickets))
	for id := range e.tickets {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := e.tickets[ids[i]], e.tickets[ids[j]]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		return a.Number < b.Number
	})
	for _, id := range ids {
		t := e.tickets[id]
		switch t.State {
		case hall.TicketCalled, hall.TicketServing:
			// In service: it stays at its counter and is finished (or marked absent) as usual.
			if newDay && e.byNumber[t.Number] == t.ID {
				delete(e.byNumber, t.Number) // its number may be issued again today
			}
			e.kept = append(e.kept, id)
			continue
		case hall.TicketWaiting:
			e.dequeue(t)
		}
		e.remove(t, final)
		if t.State == hall.TicketNoShow {
			continue // already final; only its reinstatement ends
		}
		t.State = hall.TicketCancelled
		t.TargetCounter = 0
		ft := now
		t.FinishedAt = &ft
		e.event(now, hall.EventCancelled, SystemActor, t, nil)
	}
	for i := range e.counters {
		c := &e.counters[i]
		if c.Current == "" && c.State != hall.CounterClosed {
			c.State = hall.CounterClosed
			c.Staff = ""
			e.event(now, hall.EventCounter, SystemActor, nil, c)
		}
	}
	if newDay {
		e.day = day
		e.numbers = map[string]int{}
	}
	e.recent = nil
	e.lowRatings = nil
	e.event(now, hall.EventDayReset, SystemActor, nil, nil)
	e.resetSeq = e.seq
	return saved, final
}

// run wraps a command: the day reset first, the command, then the change (or the undo). It
// records the command's clock and reports a clock set back.
func (e *Engine) run(now time.Time, cmd func(final map[string]*hall.Ticket) (*hall.Ticket, error)) (*hall.Ticket, Change, error) {
	e.begin()
	prevDay, prevClock := e.day, e.clock
	day := e.Day(now)
	saved, final := e.rollover(now, day)
	if final == nil {
		final = map[string]*hall.Ticket{}
	}
	t, err := cmd(final)
	if err != nil {
		if saved != nil {
			*e = *saved
		}
		e.day, e.clock = prevDay, prevClock
		e.begin()
		return nil, Change{}, err
	}
	var out *hall.Ticket
	if t != nil {
		tc := *t
		out = &tc
	}
	wall := now.Round(0).UTC() // compare and keep wall clocks: a monotonic reading hides steps
	var back *ClockStep
	if !prevClock.IsZero() && wall.Before(prevClock) {
		back = &ClockStep{From: prevClock, To: wall, Day: e.day}
	}
	e.clock, e.cday = wall, day
	e.pruneRetired()
	ch := e.commit(final)
	if back != nil {
		ch.ClockBack = back
		if len(ch.Events) == 0 {
			ch.Meta = e.Meta()
		}
	}
	return out, ch, nil
}

// Tick lets time-based rules run (day change at local midnight, device silence and outbox
// alerts, health.go): it returns a Change with events when something changed, an empty Change
// otherwise.
func (e *Engine) Tick(now time.Time) Change {
	_, ch, _ := e.run(now, func(map[string]*hall.Ticket) (*hall.Ticket, error) {
		e.checkHealth(now, "")
		return nil, nil
	})
	return ch
}

// ---- issue ----

func validPersonID(s string) bool {
	if len(s) > MaxPersonID {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
			return false
		}
	}
	return true
}

// Issue creates a ticket with the given ID and follow token. The number is the service prefix and
// at least three digits (A001…A999, then A1000…), counted per service per local day (reset at local
// midnight, never reused).
//
// Errors: ENOTFOUND "service" for a service the hall does not have; EINVALID "lang" (only "",
// "zh", "en"), "personId" (at most 32 of 0-9 A-Z a-z -), "id" or "token" (empty or already used);
// ECONFLICT "service" when the service has issued MaxNumber numbers today; ESERVICECLOSED
// "service" outside the service's seasonal range or its opening hours (unless the hall issues
// outside them) and EQUOTAREACHED "service" once it has issued its daily quota, both with when
// it issues again (hall.Error.OpensAt; Availability). Every ticket counts, whoever asks (kiosk,
// walk-in request, staff): the quota is today's numbers of the service.
func (e *Engine) Issue(now time.Time, req hall.IssueRequest, id, token string) (*hall.Issued, Change, error) {
	var issued *hall.Issued
	_, ch, err := e.run(now, func(map[string]*hall.Ticket) (*hall.Ticket, error) {
		si, ok := e.svcs[req.Service]
		if ok && e.retired[req.Service] {
			return nil, hall.Errorf(hall.ENOTFOUND, "service", "service %q was removed from hall %s: it serves only the tickets already issued", req.Service, e.h.Code)
		}
		if !ok {
			if req.Service == "" {
				return nil, hall.Errorf(hall.EINVALID, "service", "service is required")
			}
			return nil, hall.Errorf(hall.ENOTFOUND, "service", "hall %s has no service %q", e.h.Code, req.Service)
		}
		if req.Lang != "" && req.Lang != "zh" && req.Lang != "en" {
			return nil, hall.Errorf(hall.EINVALID, "lang", "lang must be zh or en")
		}
		if !validPersonID(req.PersonID) {
			return nil, hall.Errorf(hall.EINVALID, "personId", "person ID must be at most %d letters, digits or '-'", MaxPersonID)
		}
		if id == "" {
			return nil, hall.Errorf(hall.EINVALID, "id", "ticket ID is required")
		}
		if _, dup := e.tickets[id]; dup {
			return nil, hall.Errorf(hall.ECONFLICT, "id", "ticket ID %q already exists", id)
		}
		if token == "" {
			return nil, hall.Errorf(hall.EINVALID, "token", "follow token is required")
		}
		if _, dup := e.byToken[token]; dup {
			return nil, hall.Errorf(hall.ECONFLICT, "token", "follow token already in use")
		}
		// A booking's check-in is issued whatever the hours and quota: the booking was checked
		// against the hours, and the check-in window may open before the service does.
		if req.Appointment == nil {
			if err := e.Availability(now, req.Service).Err(req.Service); err != nil {
				return nil, err
			}
		}
		n := e.numbers[req.Service] + 1
		if n > MaxNumber {
			return nil, hall.Errorf(hall.ECONFLICT, "service", "service %s is full for today (%d tickets)", req.Service, MaxNumber)
		}
		svc := &e.h.Services[si]
		e.numbers[req.Service] = n
		t := &hall.Ticket{
			ID: id, Hall: e.h.Code, Service: req.Service,
			Number:   ticketNumber(req.Service, n),
			Day:      e.day,
			Token:    token,
			State:    hall.TicketWaiting,
			Priority: req.Priority,
			Lang:     req.Lang,
			PersonID: req.PersonID,
			Channel:  req.Channel,
			IssuedAt: now,
		}
		if req.Appointment != nil {
			m := *req.Appointment
			t.Appointment, t.Priority = &m, false
		}
		t.Order = e.nextOrder()
		t.IssueOrder = t.Order
		e.tickets[id] = t
		e.byNumber[t.Number] = id
		e.byToken[token] = id
		e.enqueue(t)
		ahead := e.ahead(t)
		issued = &hall.Issued{
			Ticket:     *t,
			Position:   ahead,
			EtaSeconds: e.estimate(now, t),
			Materials:  slices.Clone(svc.Materials),
		}
		if issued.Materials == nil {
			issued.Materials = []hall.Text{}
		}
		e.event(now, hall.EventIssued, req.Channel, t, nil)
		return t, nil
	})
	if err != nil {
		return nil, Change{}, err
	}
	return issued, ch, nil
}

// ticketNumber is the service prefix and n in at least three digits (A001, A1000): what
// fmt.Sprintf("%s%03d") writes, without its cost on every issue.
func ticketNumber(prefix string, n int) string {
	b := make([]byte, 0, len(prefix)+8)
	b = append(b, prefix...)
	switch {
	case n >= 0 && n < 10:
		b = append(b, '0', '0')
	case n >= 10 && n < 100:
		b = append(b, '0')
	}
	return string(strconv.AppendInt(b, int64(n), 10))
}

// ahead returns the number of waiting tickets of t's service that would be called before t.
func (e *Engine) ahead(t *hall.Ticket) int {
	q := e.queues[t.Service]
	return sort.Search(len(q), func(i int) bool { return !less(q[i], t) })
}

// ---- lookups ----

// Ticket returns an open ticket by ID (also a no-show ticket that can still be reinstated).
func (e *Engine) Ticket(id string) (hall.Ticket, bool) {
	t, ok := e.tickets[id]
	if !ok {
		return hall.Ticket{}, false
	}
	return *t, true
}

// TicketByToken returns an open ticket (or a reinstatable no-show) by its follow token.
func (e *Engine) TicketByToken(token string) (hall.Ticket, bool) {
	id, ok := e.byToken[token]
	if !ok {
		return hall.Ticket{}, false
	}
	return e.Ticket(id)
}

// TicketByNumber returns an open ticket (or a reinstatable no-show) of today by its number.
func (e *Engine) TicketByNumber(number string) (hall.Ticket, bool) {
	id, ok := e.byNumber[strings.ToUpper(number)]
	if !ok {
		return hall.Ticket{}, false
	}
	return e.Ticket(id)
}

// Availability says whether the service issues a ticket at now (its seasonal range, its hours,
// today's tickets against its quota) and, when not, until when. The count is the business day's
// numbers of the service (Meta.Numbers): durable with every ticket, restored on restart, reset
// with the day. A later local day than the business day counts from zero (its reset is due).
func (e *Engine) Availability(now time.Time, svc string) hall.Availability {
	issued := e.numbers[svc]
	if e.day != "" && e.Day(now) > e.day {
		issued = 0
	}
	return e.gates[svc].Check(now, issued)
}

// Served reports whether an open counter serves the service now; when none does, a waiting
// ticket of the service has no meaningful wait estimate.
func (e *Engine) Served(svc string) bool {
	for _, c := range e.counters {
		if c.State == hall.CounterOpen && slices.Contains(c.Services, svc) {
			return true
		}
	}
	return false
}

// Position returns how many people are ahead of a waiting ticket and its estimated wait in
// seconds; ok is false when the ticket is not waiting.
func (e *Engine) Position(now time.Time, id string) (ahead, etaSeconds int, ok bool) {
	t, found := e.tickets[id]
	if !found || t.State != hall.TicketWaiting {
		return 0, 0, false
	}
	ahead = e.ahead(t)
	return ahead, e.estimate(now, t), true
}

// Waiting lists the waiting tickets in the order counters would call them (all services):
// priority first, then appointments by their slot's start, then Order, then the hall's service
// order, then number.
func (e *Engine) Waiting() []hall.Ticket {
	var out []hall.Ticket
	for _, s := range e.h.Services {
		for _, t := range e.queues[s.Code] {
			out = append(out, *t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Priority != b.Priority {
			return a.Priority
		}
		if (a.Appointment != nil) != (b.Appointment != nil) {
			return a.Appointment != nil
		}
		if a.Appointment != nil && !a.Appointment.Start.Equal(b.Appointment.Start) {
			return a.Appointment.Start.Before(b.Appointment.Start)
		}
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		if a.Service != b.Service {
			return e.svcs[a.Service] < e.svcs[b.Service]
		}
		return a.Number < b.Number
	})
	if out == nil {
		out = []hall.Ticket{}
	}
	return out
}

// SetAside lists the tickets set aside today that staff can bring back: parked ones (resume) and
// absent ones still within NoShowLimit (reinstate), by number.
func (e *Engine) SetAside() []hall.Ticket {
	out := []hall.Ticket{}
	for _, t := range e.tickets {
		switch {
		case t.Day != e.day:
		case t.State == hall.TicketParked, t.State == hall.TicketNoShow && e.canReinstate(t) == nil:
			out = append(out, *t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// Snapshot returns the hall's visible state.
func (e *Engine) Snapshot(now time.Time) hall.Snapshot {
	s := hall.Snapshot{
		Seq: e.seq, Hall: e.h.Code, Name: e.h.Name, Day: e.day,
		Services:    make([]hall.ServiceStatus, 0, len(e.h.Services)),
		Counters:    make([]hall.CounterStatus, 0, len(e.counters)),
		RecentCalls: slices.Clone(e.recent),
		Devices:     append([]hall.DeviceStatus{}, e.devices...),
		Notices:     append([]hall.Notice{}, e.notices...),
		Alerts:      slices.Clone(e.alerts),
		LowRatings:  slices.Clone(e.lowRatings),
	}
	if s.RecentCalls == nil {
		s.RecentCalls = []hall.Call{}
	}
	for _, svc := range e.h.Services {
		if e.retired[svc.Code] {
			continue // removed from the hall: no button, no queue shown (its tickets are still called)
		}
		n := len(e.queues[svc.Code])
		st := hall.ServiceStatus{
			Code: svc.Code, Name: svc.Name, Waiting: n,
			EtaSeconds: e.estimate(now, &hall.Ticket{Service: svc.Code, Order: math.MaxInt64}),
			LastCalled: e.lastCalled(svc.Code),
		}
		st.Open = e.Served(svc.Code)
		a := e.Availability(now, svc.Code)
		st.Closed, st.NextIssueAt, st.OutOfSeason = a.Closed, a.OpensAt, a.OutOfSeason
		st.Quota, st.From, st.Until = svc.Quota, svc.From, svc.Until
		if a.Remaining >= 0 {
			r := a.Remaining
			st.Remaining = &r
		}
		s.Services = append(s.Services, st)
	}
	for _, c := range e.counters {
		cs := hall.CounterStatus{Number: c.Number, State: c.State, Services: slices.Clone(c.Services)}
		if t, ok := e.tickets[c.Current]; ok && c.Current != "" {
			cs.Current = &hall.CallTicket{Number: t.Number, Service: t.Service, State: t.State}
		}
		s.Counters = append(s.Counters, cs)
	}
	return s
}

func (e *Engine) lastCalled(svc string) string {
	for _, c := range e.recent {
		if c.Service == svc {
			return c.Number
		}
	}
	// older than the recent calls: the latest called ticket still at a counter
	var best *hall.Ticket
	for _, c := range e.counters {
		if t, ok := e.tickets[c.Current]; ok && c.Current != "" && t.Service == svc && t.CalledAt != nil {
			if best == nil || t.CalledAt.After(*best.CalledAt) {
				best = t
			}
		}
	}
	if best != nil {
		return best.Number
	}
	return ""
}
