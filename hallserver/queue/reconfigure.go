package queue

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"onedoor/hallserver/hall"
)

// Live configuration: a hall's services, counters and profiles change while it runs
// (Reconfigure), and nothing open is lost.
//
//   - A service removed while it still has open tickets is retired: it stays in the engine (its
//     tickets keep their number and place, and the counters that served it keep it at the end of
//     their profile) but issues no more tickets and accepts no transfers. It leaves the engine
//     when its last ticket is closed, at the latest at the day reset.
//   - A counter removed while it holds a ticket is retired: it finishes (or marks absent, parks,
//     transfers) that ticket and calls no other; it leaves the engine once it holds nothing.
//   - A change that would leave a ticket waiting (or parked, or absent and reinstatable) with no
//     counter that could ever call it is refused with the reason: e.g. removing the last counter
//     that serves a service with waiting tickets.
//
// Retired services and counters are in the Meta (Retired, RetiredCounters), so Restore keeps
// them across a restart.

// Clone returns a deep copy of the engine: a caller that must change several engines all or
// nothing (a campus change) reconfigures copies and keeps the originals on error.
func (e *Engine) Clone() *Engine { return e.clone() }

// Retired returns the codes of the services kept only for their open tickets, in hall order.
func (e *Engine) Retired() []string {
	var out []string
	for _, s := range e.h.Services {
		if e.retired[s.Code] {
			out = append(out, s.Code)
		}
	}
	return out
}

// OpenTickets returns how many tickets the engine holds (waiting, at a counter, parked, or
// absent and reinstatable).
func (e *Engine) OpenTickets() int { return len(e.tickets) }

// isRetiredCounter reports whether counter n was removed from the hall and only finishes its
// ticket.
func (e *Engine) isRetiredCounter(n int) bool { return e.goneCounters[n] }

// SetCalendar replaces the business calendar the engine's opening hours follow; the gates are
// rebuilt by the next Reconfigure (the engine host sets it on the copy it reconfigures).
func (e *Engine) SetCalendar(days hall.Days) { e.days = days }

// Reconfigure applies a new configuration of the hall (same code) and appends a campus.changed
// event by actor. Errors change nothing: EUNPROCESSABLE with every ticket that would have no
// counter to call it in Details (fields relative to the hall: "services[i]", "counters").
func (e *Engine) Reconfigure(now time.Time, h hall.Hall, actor string) (Change, error) {
	_, ch, err := e.run(now, func(map[string]*hall.Ticket) (*hall.Ticket, error) {
		next, counters, retired, gone := e.plan(h)
		if probs := e.unservable(next, counters, gone); len(probs) > 0 {
			err := *probs[0]
			if len(probs) > 1 {
				err.Message = fmt.Sprintf("%s (and %d more)", err.Message, len(probs)-1)
			}
			err.Details = probs
			return nil, &err
		}
		if err := e.install(next, counters, retired, gone); err != nil {
			return nil, err
		}
		e.event(now, hall.EventCampusChanged, actor, nil, nil)
		return nil, nil
	})
	return ch, err
}

// plan computes the hall, counters, retired services and retired counters the engine would have
// with the configuration h.
func (e *Engine) plan(h hall.Hall) (next hall.Hall, counters []hall.Counter, retired map[string]bool, gone map[int]bool) {
	next = h
	next.Services = slices.Clone(h.Services)
	next.Counters = slices.Clone(h.Counters)
	inNew := map[string]bool{}
	for _, s := range h.Services {
		inNew[s.Code] = true
	}
	used := map[string]bool{}
	for _, t := range e.tickets {
		used[t.Service] = true
	}
	retired = map[string]bool{}
	for _, s := range e.h.Services {
		if !inNew[s.Code] && used[s.Code] {
			retired[s.Code] = true
			next.Services = append(next.Services, s)
		}
	}
	old := map[int]hall.Counter{}
	for _, c := range e.counters {
		old[c.Number] = c
	}
	kept := map[int]bool{}
	for _, cc := range h.Counters {
		c := hall.Counter{Hall: h.Code, Number: cc.Number, State: hall.CounterClosed, Services: slices.Clone(cc.Services)}
		if o, ok := old[cc.Number]; ok {
			c.State, c.Current, c.Staff = o.State, o.Current, o.Staff
			for _, s := range o.Services {
				if retired[s] && !slices.Contains(c.Services, s) {
					c.Services = append(c.Services, s)
				}
			}
		}
		kept[cc.Number] = true
		counters = append(counters, c)
	}
	gone = map[int]bool{}
	for _, o := range e.counters {
		if !kept[o.Number] && o.Current != "" {
			gone[o.Number] = true
			counters = append(counters, o)
		}
	}
	return next, counters, retired, gone
}

// unservable lists the tickets that no counter of the planned configuration could call: waiting,
// parked or reinstatable tickets whose service no counter (other than a retired one) serves, or
// that were sent to a counter that would not exist or not serve their service.
func (e *Engine) unservable(next hall.Hall, counters []hall.Counter, gone map[int]bool) []*hall.Error {
	serves := func(n int, svc string) bool {
		for _, c := range counters {
			if c.Number == n && !gone[n] && slices.Contains(c.Services, svc) {
				return true
			}
		}
		return false
	}
	anyServes := func(svc string) bool {
		for _, c := range counters {
			if !gone[c.Number] && slices.Contains(c.Services, svc) {
				return true
			}
		}
		return false
	}
	field := func(svc string) string {
		for i, s := range next.Services {
			if s.Code == svc && i < len(next.Services) {
				return fmt.Sprintf("services[%d]", i)
			}
		}
		return "services"
	}
	var ts []*hall.Ticket
	for _, t := range e.tickets {
		if t.State == hall.TicketCalled || t.State == hall.TicketServing {
			continue // at its counter: finished there
		}
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Number < ts[j].Number })
	var out []*hall.Error
	for _, t := range ts {
		switch {
		case t.TargetCounter != 0 && !serves(t.TargetCounter, t.Service):
			out = append(out, hall.Errorf(hall.EUNPROCESSABLE, "counters",
				"ticket %s (%s) was sent to counter %d, which would no longer exist or serve %s: keep it until the ticket is served",
				t.Number, t.State, t.TargetCounter, t.Service))
		case t.TargetCounter == 0 && !anyServes(t.Service):
			out = append(out, hall.Errorf(hall.EUNPROCESSABLE, field(t.Service),
				"ticket %s (%s) of service %s would have no counter to call it: keep a counter serving %s until it is served or the day ends",
				t.Number, t.State, t.Service, t.Service))
		}
	}
	return out
}

// install makes the planned configuration the engine's, with the gates of its services (hours,
// seasonal range, quota).
func (e *Engine) install(next hall.Hall, counters []hall.Counter, retired map[string]bool, gone map[int]bool) error {
	prev := e.h
	e.h = next
	if err := e.buildGates(); err != nil { // Campus.Validate refuses such a hall
		e.h = prev
		return hall.Errorf(hall.EUNPROCESSABLE, "services", "%v", err)
	}
	e.svcs = map[string]int{}
	for i, s := range next.Services {
		e.svcs[s.Code] = i
	}
	e.counters = counters
	e.retired = retired
	e.goneCounters = gone
	for k := range e.stats {
		if _, ok := e.svcs[k]; !ok {
			delete(e.stats, k)
		}
	}
	return nil
}

// pruneRetired lets retired services without open tickets and retired counters without a ticket
// leave the engine (after every command and at Restore).
func (e *Engine) pruneRetired() {
	if len(e.retired) == 0 && len(e.goneCounters) == 0 {
		return
	}
	used := map[string]bool{}
	for _, t := range e.tickets {
		used[t.Service] = true
	}
	var drop []string
	for s := range e.retired {
		if !used[s] {
			drop = append(drop, s)
		}
	}
	changed := false
	if len(drop) > 0 {
		changed = true
		for _, s := range drop {
			delete(e.retired, s)
		}
		h := e.h
		h.Services = slices.DeleteFunc(slices.Clone(h.Services), func(s hall.Service) bool { return slices.Contains(drop, s.Code) })
		e.h = h
		e.svcs = map[string]int{}
		for i, s := range h.Services {
			e.svcs[s.Code] = i
		}
		gates := make(map[string]hall.Gate, len(e.gates)) // the remaining services keep theirs
		for code, g := range e.gates {
			if !slices.Contains(drop, code) {
				gates[code] = g
			}
		}
		e.gates = gates
		for i := range e.counters {
			c := &e.counters[i]
			if slices.ContainsFunc(c.Services, func(s string) bool { return slices.Contains(drop, s) }) {
				c.Services = slices.DeleteFunc(slices.Clone(c.Services), func(s string) bool { return slices.Contains(drop, s) })
			}
		}
		for _, s := range drop {
			delete(e.stats, s)
			delete(e.queues, s)
		}
	}
	for n := range e.goneCounters {
		if i := e.counterIndex(n); i < 0 || e.counters[i].Current == "" {
			changed = true
			delete(e.goneCounters, n)
			if i >= 0 {
				e.counters = slices.Delete(slices.Clone(e.counters), i, i+1)
			}
		}
	}
	_ = changed
}

// retiredMeta returns the retired services and counters for the Meta.
func (e *Engine) retiredMeta() ([]hall.Service, []int) {
	var svcs []hall.Service
	for _, s := range e.h.Services {
		if e.retired[s.Code] {
			svcs = append(svcs, s)
		}
	}
	var ns []int
	for n := range e.goneCounters {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	return svcs, ns
}
