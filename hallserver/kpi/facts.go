// Package kpi computes the queue figures of a hall (GET /api/v1/reports/queue) from its event
// log: tickets issued, served, no-show, cancelled, transferred; wait and service times; the
// share served within a target wait; counters' open hours; visit ratings (好差评).
//
// The computation is two pure steps: DayFacts turns one local day of a hall's events into the
// facts of that day (one per ticket issued that day, and the counters' open time by hour), and
// Aggregate groups the facts of a range of days into rows. Reports (reports.go) runs them over
// the store seam (Source) and keeps the facts of closed days in memory.
package kpi

import (
	"time"

	"onedoor/hallserver/hall"
)

// Fact is what a day's events say about one ticket issued that day.
type Fact struct {
	ID      string // ticket ID (joins the visit rating)
	Service string // the service it was issued for
	Hour    int    // local hour of the issue (0–23)
	// Counter and Staff are where and by whom it was last called (0 and "" when never called);
	// for a finished ticket, the counter and staff member that finished it.
	Counter int
	Staff   string

	Served      bool // finished at a counter
	NoShow      bool // marked absent and not reinstated
	Cancelled   bool // cancelled (by the holder, staff, or the day's end) or left waiting at a closed day's end
	Transferred bool // transferred at least once
	// Appointment: issued at a booking's check-in (预约); Booked is the slot's start.
	Appointment bool
	Booked      time.Time

	// Wait is from the issue to the first call (HasWait false when never called); Service from
	// the start of the last stay at a counter (started, else called) to the finish (HasService
	// false when not finished).
	Wait, Serve         time.Duration
	HasWait, HasService bool

	issuedAt, calledAt, startedAt time.Time
}

// CounterTime is time a counter was open (not closed) within one local hour, and who had it open.
type CounterTime struct {
	Counter int
	Staff   string
	Hour    int
	Time    time.Duration
}

// Day is the facts of one hall's local day.
type Day struct {
	Day      string // YYYY-MM-DD, the campus zone's date
	Tickets  []Fact
	Counters []CounterTime
}

// DayFacts computes the facts of one local day (day, YYYY-MM-DD, in loc) from the hall's events
// of that day, in seq order. end is when the observation ends: the day's end for a closed day,
// now for today; counters still open then count up to it. When closed is true, a ticket still
// waiting, parked or at a counter at the end counts as cancelled (the day's reset cancels it;
// the person left). Events of tickets issued another day are left out; counter events count
// whatever ticket.
func DayFacts(day string, events []hall.Event, loc *time.Location, end time.Time, closed bool) Day {
	out := Day{Day: day}
	idx := map[string]int{}
	type session struct {
		since time.Time
		staff string
	}
	open := map[int]session{}
	var counterOrder []int
	addOpen := func(n int, s session, until time.Time) {
		out.Counters = appendHours(out.Counters, n, s.staff, s.since, until, loc)
	}
	for i := range events {
		e := &events[i]
		if e.Type == hall.EventCounter && e.Counter != nil {
			n := e.Counter.Number
			s, was := open[n]
			if was {
				addOpen(n, s, e.At)
				delete(open, n)
			}
			if e.Counter.State != hall.CounterClosed {
				if !was {
					counterOrder = append(counterOrder, n)
				}
				open[n] = session{since: e.At, staff: e.Counter.Staff}
			}
			continue
		}
		t := e.Ticket
		if t == nil || t.Day != day {
			continue
		}
		k, ok := idx[t.ID]
		if !ok {
			if e.Type != hall.EventIssued {
				continue // issued before the events given (not a whole day): leave it out
			}
			issued := t.IssuedAt
			if issued.IsZero() {
				issued = e.At
			}
			out.Tickets = append(out.Tickets, Fact{ID: t.ID, Service: t.Service, Hour: issued.In(loc).Hour(), issuedAt: issued})
			k = len(out.Tickets) - 1
			if t.Appointment != nil {
				out.Tickets[k].Appointment, out.Tickets[k].Booked = true, t.Appointment.Start
			}
			idx[t.ID] = k
			continue
		}
		f := &out.Tickets[k]
		switch e.Type {
		case hall.EventCalled:
			if !f.HasWait {
				f.Wait, f.HasWait = e.At.Sub(f.issuedAt), true
			}
			f.calledAt, f.startedAt = e.At, time.Time{}
			f.Counter, f.Staff = t.Counter, e.Actor
			f.NoShow, f.Cancelled = false, false
		case hall.EventStarted:
			f.startedAt = e.At
		case hall.EventFinished:
			begin := f.startedAt
			if begin.IsZero() {
				begin = f.calledAt
			}
			if !begin.IsZero() {
				f.Serve, f.HasService = e.At.Sub(begin), true
			}
			f.Served = true
			if t.Counter != 0 {
				f.Counter = t.Counter
			}
			if e.Actor != "" {
				f.Staff = e.Actor
			}
		case hall.EventNoShow:
			f.NoShow = true
		case hall.EventReinstated:
			f.NoShow = false
		case hall.EventCancelled:
			f.Cancelled = !f.Served
		case hall.EventTransferred:
			f.Transferred = true
			f.calledAt, f.startedAt = time.Time{}, time.Time{}
		}
	}
	for _, n := range counterOrder {
		if s, ok := open[n]; ok && end.After(s.since) {
			addOpen(n, s, end)
		}
	}
	if closed {
		for i := range out.Tickets {
			f := &out.Tickets[i]
			if !f.Served && !f.NoShow && !f.Cancelled {
				f.Cancelled = true
			}
		}
	}
	return out
}

// appendHours appends the time from since to until, split at the local hours.
func appendHours(out []CounterTime, counter int, staff string, since, until time.Time, loc *time.Location) []CounterTime {
	for since.Before(until) {
		l := since.In(loc)
		next := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, loc).Add(time.Hour)
		if next.After(until) {
			next = until
		}
		out = append(out, CounterTime{Counter: counter, Staff: staff, Hour: l.Hour(), Time: next.Sub(since)})
		since = next
	}
	return out
}
