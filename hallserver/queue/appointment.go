package queue

import (
	"math"
	"slices"
	"time"

	"onedoor/hallserver/hall"
)

// Appointments in the queue (issue 16). A ticket issued at a booking's check-in carries
// hall.AppointmentMark and waits in its service's queue after the priority tickets and before the
// walk-ins, by its slot's start (less). Call-next takes it only at or after that start; before,
// the counter calls the walk-ins as if it were not there. Every time an appointment is called
// while walk-ins of the counter's services wait, the walk-ins not yet passed over are marked
// (Ticket.BypassedAt); once a walk-in has been passed over for its service's MaxExtraWait
// (hall.AppointmentPolicy, default 10 minutes) it goes before the appointments. Green-channel
// tickets go first as ever.

// head returns the ticket the queue of service s would give counter c at now: its first priority
// ticket, else its first appointment whose slot has started unless the first walk-in has been
// passed over for too long, else its first walk-in.
func (e *Engine) head(now time.Time, c *hall.Counter, s string) *hall.Ticket {
	var appt, walk *hall.Ticket
	for _, t := range e.queues[s] {
		if t.TargetCounter != 0 && t.TargetCounter != c.Number {
			continue
		}
		if t.Appointment == nil {
			walk = t
			break // walk-ins come after the appointments (less)
		}
		if appt == nil && !now.Before(t.Appointment.Start) {
			appt = t
		}
	}
	switch {
	case walk != nil && walk.Priority:
		return walk
	case appt != nil && !e.overCap(now, walk):
		return appt
	}
	return walk
}

// overCap reports whether walk-in w has been passed over by appointments for its service's
// MaxExtraWait or longer at now.
func (e *Engine) overCap(now time.Time, w *hall.Ticket) bool {
	if w == nil || w.BypassedAt == nil {
		return false
	}
	return !now.Before(w.BypassedAt.Add(e.h.AppointmentPolicy(w.Service).MaxExtraWait))
}

// before reports whether a (the head of profile index pa) goes before b (pb) at a counter at
// now: priority tickets first, then appointments (by slot start) unless the walk-in has been
// passed over too long, then the oldest Order.
func (e *Engine) before(now time.Time, a *hall.Ticket, pa int, b *hall.Ticket, pb int) bool {
	if a.Priority != b.Priority {
		return a.Priority
	}
	if (a.Appointment != nil) != (b.Appointment != nil) {
		if a.Appointment == nil {
			return e.overCap(now, a)
		}
		return !e.overCap(now, b)
	}
	if a.Appointment != nil && !a.Appointment.Start.Equal(b.Appointment.Start) {
		return a.Appointment.Start.Before(b.Appointment.Start)
	}
	return better(a, pa, b, pb)
}

// bypassed marks the walk-ins waiting for counter c's services that an appointment was just
// called before for the first time (their extra wait starts now); the change carries them.
func (e *Engine) bypassed(now time.Time, c *hall.Counter) {
	at := now
	for _, s := range c.Services {
		for _, t := range e.queues[s] {
			if t.Appointment != nil || t.Priority || t.BypassedAt != nil {
				continue
			}
			if t.TargetCounter != 0 && t.TargetCounter != c.Number {
				continue
			}
			t.BypassedAt = &at
			e.kept = append(e.kept, t.ID)
		}
	}
}

// HallCode returns the code of the engine's hall.
func (e *Engine) HallCode() string { return e.h.Code }

// SetBooked gives the engine the slot starts of the hall's bookings that are not checked in
// yet, per service code (the host feeds them from the booking store on its tick). They are not
// in the queue, but each is called before the walk-ins once it checks in, so a walk-in's wait
// estimate counts those due before its predicted call (bookedAhead). Soft state: never
// persisted; a nil or empty map forgets them.
func (e *Engine) SetBooked(starts map[string][]time.Time) {
	e.booked = make(map[string][]time.Time, len(starts))
	for s, ts := range starts {
		if len(ts) == 0 {
			continue
		}
		ts = slices.Clone(ts)
		slices.SortFunc(ts, time.Time.Compare)
		e.booked[s] = ts
	}
}

// bookedAhead returns the seconds to add to the estimate w of ticket x for the bookings of its
// service not checked in yet whose slot starts before x's predicted call (now + w and what
// those bookings add): each takes the service's mean time on one of the counters serving it (all
// of them share the work), booked people arriving as booked. A booking whose check-in window
// has closed (a no-show) counts no more. The cap on the walk-ins' extra wait (MaxExtraWait)
// bounds the sum. Priority and appointment tickets are not delayed by later bookings.
func (e *Engine) bookedAhead(now time.Time, x *hall.Ticket, w float64) float64 {
	starts := e.booked[x.Service]
	if len(starts) == 0 || x.Priority || x.Appointment != nil || w < 0 || math.IsNaN(w) {
		return 0
	}
	p := e.h.AppointmentPolicy(x.Service)
	mine := 0
	for i := range e.counters {
		if c := &e.counters[i]; c.State == hall.CounterOpen && slices.Contains(c.Services, x.Service) {
			mine++
		}
	}
	per := e.newModels(now).of(x.Service).mean / float64(max(mine, 1))
	limit := p.MaxExtraWait.Seconds()
	added := 0.0
	for _, st := range starts {
		if !now.Before(st.Add(p.Late)) {
			continue // its window has closed: a no-show, never called
		}
		if !st.Before(now.Add(time.Duration((w + added) * float64(time.Second)))) {
			break // due after x is called: no delay
		}
		added += per
		if added >= limit {
			return limit
		}
	}
	return added
}
