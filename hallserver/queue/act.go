package queue

import (
	"slices"
	"strings"
	"time"

	"onedoor/hallserver/hall"
)

// Act performs a counter action. For call-next it returns a nil ticket and an empty Change (no
// events) when nobody waits for that counter.
//
// The rules, per action (errors always change nothing):
//   - open, pause, close: set the counter state (counter.state event; a repeat is a no-op with an
//     empty Change). pause needs an open counter; close needs no current ticket (finish, no-show,
//     park or transfer it first). They return a nil ticket.
//   - call-next: the counter must be open and have no current ticket (ECONFLICT); see the package
//     doc for the order.
//   - call: calls the named waiting, parked or reinstatable no-show ticket to the counter (same
//     conditions as call-next).
//   - recall: announces the current, called ticket again (Calls+1, ticket.recalled).
//   - start: current called → serving. finish: current called/serving → done with Outcome
//     (default resolved), a Visit and a service-time sample.
//   - no-show: current called → no_show; reinstate: a no-show back to waiting (Placement, default
//     original) while NoShows ≤ NoShowLimit and on the day it was issued.
//   - park: current → parked (the counter is free); resume: a parked ticket to this counter as
//     called (events ticket.resumed then ticket.called), or back to waiting when Placement is set.
//   - cancel: a waiting or parked ticket → cancelled (walkout).
//   - transfer: the current (or the named waiting/parked) ticket to ToService and/or ToCounter,
//     placed at the front (default), the end, or by its original time; it keeps its number, a
//     current ticket gets a Visit and frees the counter.
//
// Tickets are named in a.Ticket by ID or number; for actions on the current ticket a named ticket
// must be the current one.
func (e *Engine) Act(now time.Time, a hall.CounterAction) (*hall.Ticket, Change, error) {
	return e.run(now, func(final map[string]*hall.Ticket) (*hall.Ticket, error) {
		ci := e.counterIndex(a.Counter)
		if ci < 0 {
			return nil, hall.Errorf(hall.ENOTFOUND, "counter", "hall %s has no counter %d", e.h.Code, a.Counter)
		}
		c := &e.counters[ci]
		if e.isRetiredCounter(c.Number) {
			switch a.Action {
			case hall.ActOpen, hall.ActCallNext, hall.ActCall, hall.ActResume, hall.ActReinstate:
				return nil, hall.Errorf(hall.ECONFLICT, "counter", "counter %d was removed from hall %s: it only finishes its current ticket", c.Number, e.h.Code)
			}
		}
		switch a.Action {
		case hall.ActOpen, hall.ActPause, hall.ActClose:
			return nil, e.setState(now, c, a)
		case hall.ActCallNext:
			return e.callNext(now, c, a)
		case hall.ActCall:
			return e.callOne(now, c, a)
		case hall.ActRecall:
			return e.recall(now, c, a)
		case hall.ActStart:
			return e.start(now, c, a)
		case hall.ActFinish:
			return e.finish(now, c, a, final)
		case hall.ActNoShow:
			return e.noShow(now, c, a, final)
		case hall.ActReinstate:
			return e.reinstate(now, c, a)
		case hall.ActPark:
			return e.park(now, c, a)
		case hall.ActResume:
			return e.resume(now, c, a)
		case hall.ActCancel:
			return e.cancel(now, a.Ticket, a.Actor, final)
		case hall.ActTransfer:
			return e.transfer(now, c, a)
		}
		return nil, hall.Errorf(hall.EINVALID, "action", "unknown counter action %q", a.Action)
	})
}

// CancelByToken cancels a waiting or parked ticket on its holder's request ("I left").
func (e *Engine) CancelByToken(now time.Time, token string) (*hall.Ticket, Change, error) {
	return e.run(now, func(final map[string]*hall.Ticket) (*hall.Ticket, error) {
		id, ok := e.byToken[token]
		if !ok || token == "" {
			return nil, hall.Errorf(hall.ENOTFOUND, "token", "no open ticket with this token")
		}
		return e.cancel(now, id, "", final)
	})
}

// find resolves a ticket reference: an ID, or a number of today (case-insensitive).
func (e *Engine) find(ref string) (*hall.Ticket, error) {
	if ref == "" {
		return nil, hall.Errorf(hall.EINVALID, "ticket", "ticket is required")
	}
	if t, ok := e.tickets[ref]; ok {
		return t, nil
	}
	if id, ok := e.byNumber[strings.ToUpper(ref)]; ok {
		return e.tickets[id], nil
	}
	return nil, hall.Errorf(hall.ENOTFOUND, "ticket", "no open ticket %q in hall %s", ref, e.h.Code)
}

// current returns the counter's current ticket; ref, when given, must name it.
func (e *Engine) current(c *hall.Counter, ref string) (*hall.Ticket, error) {
	if ref != "" {
		t, err := e.find(ref)
		if err != nil {
			return nil, err
		}
		if t.ID != c.Current {
			return nil, hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s is not at counter %d", t.Number, c.Number)
		}
	}
	if c.Current == "" {
		return nil, hall.Errorf(hall.ECONFLICT, "counter", "counter %d has no current ticket", c.Number)
	}
	return e.tickets[c.Current], nil
}

func (e *Engine) setState(now time.Time, c *hall.Counter, a hall.CounterAction) error {
	var to hall.CounterState
	switch a.Action {
	case hall.ActOpen:
		to = hall.CounterOpen
	case hall.ActPause:
		to = hall.CounterPaused
		if c.State == hall.CounterClosed {
			return hall.Errorf(hall.ECONFLICT, "counter", "counter %d is closed", c.Number)
		}
	case hall.ActClose:
		to = hall.CounterClosed
		if c.Current != "" {
			return hall.Errorf(hall.ECONFLICT, "counter", "counter %d still has ticket %s: finish, park or transfer it first", c.Number, e.tickets[c.Current].Number)
		}
	}
	staff := c.Staff
	if to == hall.CounterOpen && a.Actor != "" {
		staff = a.Actor
	}
	if to == hall.CounterClosed {
		staff = ""
	}
	if c.State == to && c.Staff == staff {
		return nil
	}
	c.State, c.Staff = to, staff
	e.event(now, hall.EventCounter, a.Actor, nil, c)
	return nil
}

// canCall checks that the counter may take a new ticket.
func (e *Engine) canCall(c *hall.Counter) error {
	if c.State != hall.CounterOpen {
		return hall.Errorf(hall.ECONFLICT, "counter", "counter %d is %s, not open", c.Number, c.State)
	}
	if c.Current != "" {
		return hall.Errorf(hall.ECONFLICT, "counter", "counter %d still has ticket %s: finish it or mark it absent first", c.Number, e.tickets[c.Current].Number)
	}
	return nil
}

// next returns the ticket call-next would give the counter at now, nil when nobody waits for it
// (or only appointments whose slot has not started: appointment.go).
func (e *Engine) next(now time.Time, c *hall.Counter) *hall.Ticket {
	var best *hall.Ticket
	bestPi := 0
	for pi, s := range c.Services {
		t := e.head(now, c, s)
		if t != nil && (best == nil || e.before(now, t, pi, best, bestPi)) {
			best, bestPi = t, pi
		}
	}
	return best
}

// better reports whether ticket a (profile index pa) goes before b (profile index pb).
func better(a *hall.Ticket, pa int, b *hall.Ticket, pb int) bool {
	if a.Priority != b.Priority {
		return a.Priority
	}
	if a.Order != b.Order {
		return a.Order < b.Order
	}
	if pa != pb {
		return pa < pb
	}
	return a.Number < b.Number
}

func (e *Engine) callNext(now time.Time, c *hall.Counter, a hall.CounterAction) (*hall.Ticket, error) {
	if err := e.canCall(c); err != nil {
		return nil, err
	}
	t := e.next(now, c)
	if t == nil {
		return nil, nil
	}
	e.dequeue(t)
	if t.Appointment != nil {
		e.bypassed(now, c)
	}
	e.callTo(now, c, t, a.Actor)
	return t, nil
}

// callTo makes t the counter's current, called ticket and announces it.
func (e *Engine) callTo(now time.Time, c *hall.Counter, t *hall.Ticket, actor string) {
	at := now
	t.State = hall.TicketCalled
	t.Counter = c.Number
	t.TargetCounter = 0
	t.CalledAt = &at
	t.StartedAt = nil
	t.Calls = 1
	c.Current = t.ID
	e.announce(hall.Call{Number: t.Number, Service: t.Service, Counter: c.Number, At: now, Priority: t.Priority})
	e.event(now, hall.EventCalled, actor, t, c)
}

func (e *Engine) announce(call hall.Call) {
	r := make([]hall.Call, 0, RecentCallsKept)
	r = append(r, call)
	for _, old := range e.recent {
		if len(r) == RecentCallsKept {
			break
		}
		r = append(r, old)
	}
	e.recent = r
}

func (e *Engine) callOne(now time.Time, c *hall.Counter, a hall.CounterAction) (*hall.Ticket, error) {
	t, err := e.find(a.Ticket)
	if err != nil {
		return nil, err
	}
	if err := e.canCall(c); err != nil {
		return nil, err
	}
	switch t.State {
	case hall.TicketWaiting:
		e.dequeue(t)
	case hall.TicketParked:
	case hall.TicketNoShow:
		if err := e.canReinstate(t); err != nil {
			return nil, err
		}
	default:
		return nil, hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s is %s at counter %d", t.Number, t.State, t.Counter)
	}
	e.callTo(now, c, t, a.Actor)
	return t, nil
}

func (e *Engine) recall(now time.Time, c *hall.Counter, a hall.CounterAction) (*hall.Ticket, error) {
	t, err := e.current(c, a.Ticket)
	if err != nil {
		return nil, err
	}
	if t.State != hall.TicketCalled {
		return nil, hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s is already being served", t.Number)
	}
	t.Calls++
	e.announce(hall.Call{Number: t.Number, Service: t.Service, Counter: c.Number, At: now, Recall: true, Priority: t.Priority})
	e.event(now, hall.EventRecalled, a.Actor, t, c)
	return t, nil
}

func (e *Engine) start(now time.Time, c *hall.Counter, a hall.CounterAction) (*hall.Ticket, error) {
	t, err := e.current(c, a.Ticket)
	if err != nil {
		return nil, err
	}
	if t.State != hall.TicketCalled {
		return nil, hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s is already being served", t.Number)
	}
	at := now
	t.State = hall.TicketServing
	t.StartedAt = &at
	e.event(now, hall.EventStarted, a.Actor, t, c)
	return t, nil
}

// endVisit closes the ticket's stay at counter c: a Visit, a service-time sample, the counter free.
func (e *Engine) endVisit(now time.Time, c *hall.Counter, t *hall.Ticket, note string) {
	called := now
	if t.CalledAt != nil {
		called = *t.CalledAt
	}
	v := hall.Visit{Counter: c.Number, Service: t.Service, CalledAt: called, FinishedAt: now, Note: note}
	t.Visits = append(t.Visits[:len(t.Visits):len(t.Visits)], v)
	d := now.Sub(called).Seconds()
	if d < 0 {
		d = 0
	}
	e.addSample(t.Service, d)
	c.Current = ""
}

func (e *Engine) addSample(svc string, d float64) {
	e.stats[svc] = e.stats[svc].add(d)
}

func (e *Engine) finish(now time.Time, c *hall.Counter, a hall.CounterAction, final map[string]*hall.Ticket) (*hall.Ticket, error) {
	out := a.Outcome
	if out == "" {
		out = hall.OutcomeResolved
	}
	if !out.Valid() {
		return nil, hall.Errorf(hall.EINVALID, "outcome", "outcome must be resolved, redirected or case_opened")
	}
	if a.CaseID != "" && (out != hall.OutcomeCaseOpened || len(a.CaseID) > 64) {
		return nil, hall.Errorf(hall.EINVALID, "caseId", "caseId goes with outcome case_opened (at most 64 characters)")
	}
	t, err := e.current(c, a.Ticket)
	if err != nil {
		return nil, err
	}
	e.endVisit(now, c, t, a.Note)
	at := now
	t.State = hall.TicketDone
	t.Outcome = out
	if a.CaseID != "" {
		t.CaseID = a.CaseID
	}
	t.FinishedAt = &at
	e.remove(t, final)
	e.event(now, hall.EventFinished, a.Actor, t, c)
	return t, nil
}

func (e *Engine) noShow(now time.Time, c *hall.Counter, a hall.CounterAction, final map[string]*hall.Ticket) (*hall.Ticket, error) {
	t, err := e.current(c, a.Ticket)
	if err != nil {
		return nil, err
	}
	if t.State != hall.TicketCalled {
		return nil, hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s is being served, not absent", t.Number)
	}
	t.State = hall.TicketNoShow
	t.NoShows++
	c.Current = ""
	if t.NoShows > NoShowLimit || t.Day != e.day { // a ticket of an earlier day cannot come back
		e.remove(t, final)
	}
	e.event(now, hall.EventNoShow, a.Actor, t, c)
	return t, nil
}

func (e *Engine) canReinstate(t *hall.Ticket) error {
	if t.NoShows > NoShowLimit {
		return hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s was absent %d times and cannot be reinstated", t.Number, t.NoShows)
	}
	if t.Day != e.day {
		return hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s is from %s", t.Number, t.Day)
	}
	return nil
}

// placement returns the Order of t placed in the queue of service svc.
func (e *Engine) placement(t *hall.Ticket, svc string, p hall.Placement) int64 {
	q := e.queues[svc]
	switch p {
	case hall.PlaceFront:
		o := e.nextOrder()
		for _, w := range q {
			if w != t && w.Order <= o {
				o = w.Order - 1
			}
		}
		return o
	case hall.PlaceEnd:
		o := e.nextOrder()
		for _, w := range q {
			if w != t && w.Order >= o {
				o = w.Order + 1
			}
		}
		return o
	}
	if t.IssueOrder != 0 {
		return t.IssueOrder
	}
	return t.IssuedAt.UnixNano() // issued before the order sequence, when Orders were times
}

func placementOr(p, def hall.Placement) (hall.Placement, error) {
	if p == "" {
		return def, nil
	}
	if !p.Valid() {
		return "", hall.Errorf(hall.EINVALID, "placement", "placement must be front, end or original")
	}
	return p, nil
}

// toWaiting puts a ticket that is not in a queue back into one.
func (e *Engine) toWaiting(now time.Time, t *hall.Ticket, svc string, p hall.Placement) {
	t.Order = e.placement(t, svc, p)
	t.Service = svc
	t.State = hall.TicketWaiting
	t.CalledAt, t.StartedAt = nil, nil
	t.Calls = 0
	e.enqueue(t)
}

func (e *Engine) reinstate(now time.Time, c *hall.Counter, a hall.CounterAction) (*hall.Ticket, error) {
	p, err := placementOr(a.Placement, hall.PlaceOriginal)
	if err != nil {
		return nil, err
	}
	t, err := e.find(a.Ticket)
	if err != nil {
		return nil, err
	}
	if t.State != hall.TicketNoShow {
		return nil, hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s is %s, not absent", t.Number, t.State)
	}
	if err := e.canReinstate(t); err != nil {
		return nil, err
	}
	t.TargetCounter = 0
	e.toWaiting(now, t, t.Service, p)
	e.event(now, hall.EventReinstated, a.Actor, t, nil)
	return t, nil
}

func (e *Engine) park(now time.Time, c *hall.Counter, a hall.CounterAction) (*hall.Ticket, error) {
	t, err := e.current(c, a.Ticket)
	if err != nil {
		return nil, err
	}
	if err := e.sameDay(t); err != nil {
		return nil, err
	}
	t.State = hall.TicketParked
	c.Current = ""
	e.event(now, hall.EventParked, a.Actor, t, c)
	return t, nil
}

func (e *Engine) resume(now time.Time, c *hall.Counter, a hall.CounterAction) (*hall.Ticket, error) {
	var t *hall.Ticket
	if a.Ticket == "" {
		// the one ticket parked at this counter
		for _, pt := range e.tickets {
			if pt.State == hall.TicketParked && pt.Counter == c.Number {
				if t != nil {
					return nil, hall.Errorf(hall.EINVALID, "ticket", "several tickets are parked at counter %d: name one", c.Number)
				}
				t = pt
			}
		}
		if t == nil {
			return nil, hall.Errorf(hall.EINVALID, "ticket", "no ticket is parked at counter %d", c.Number)
		}
	} else {
		var err error
		if t, err = e.find(a.Ticket); err != nil {
			return nil, err
		}
	}
	if t.State != hall.TicketParked {
		return nil, hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s is %s, not parked", t.Number, t.State)
	}
	if a.Placement != "" {
		p, err := placementOr(a.Placement, hall.PlaceFront)
		if err != nil {
			return nil, err
		}
		e.toWaiting(now, t, t.Service, p)
		e.event(now, hall.EventResumed, a.Actor, t, nil)
		return t, nil
	}
	if err := e.canCall(c); err != nil {
		return nil, err
	}
	t.State = hall.TicketCalled // resumed at the counter, announced again
	t.Counter = c.Number
	e.event(now, hall.EventResumed, a.Actor, t, nil)
	e.callTo(now, c, t, a.Actor)
	return t, nil
}

func (e *Engine) cancel(now time.Time, ref, actor string, final map[string]*hall.Ticket) (*hall.Ticket, error) {
	t, err := e.find(ref)
	if err != nil {
		return nil, err
	}
	switch t.State {
	case hall.TicketWaiting:
		e.dequeue(t)
	case hall.TicketParked:
	default:
		return nil, hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s is %s; only waiting or parked tickets can be cancelled", t.Number, t.State)
	}
	at := now
	t.State = hall.TicketCancelled
	t.TargetCounter = 0
	t.FinishedAt = &at
	e.remove(t, final)
	e.event(now, hall.EventCancelled, actor, t, nil)
	return t, nil
}

func (e *Engine) transfer(now time.Time, c *hall.Counter, a hall.CounterAction) (*hall.Ticket, error) {
	p, err := placementOr(a.Placement, hall.PlaceFront)
	if err != nil {
		return nil, err
	}
	if a.ToService == "" && a.ToCounter == 0 {
		return nil, hall.Errorf(hall.EINVALID, "toService", "transfer needs toService or toCounter")
	}
	if a.ToService != "" {
		if _, ok := e.svcs[a.ToService]; !ok || e.retired[a.ToService] {
			return nil, hall.Errorf(hall.ENOTFOUND, "toService", "hall %s has no service %q", e.h.Code, a.ToService)
		}
	}
	var target *hall.Counter
	if a.ToCounter != 0 {
		ti := e.counterIndex(a.ToCounter)
		if ti < 0 || e.isRetiredCounter(a.ToCounter) {
			return nil, hall.Errorf(hall.ENOTFOUND, "toCounter", "hall %s has no counter %d", e.h.Code, a.ToCounter)
		}
		target = &e.counters[ti]
		if a.ToService != "" && !slices.Contains(target.Services, a.ToService) {
			return nil, hall.Errorf(hall.EINVALID, "toCounter", "counter %d does not serve %s", a.ToCounter, a.ToService)
		}
	}
	var t *hall.Ticket
	if a.Ticket == "" || (c.Current != "" && e.refersTo(a.Ticket, c.Current)) {
		if t, err = e.current(c, ""); err != nil {
			return nil, err
		}
	} else {
		if t, err = e.find(a.Ticket); err != nil {
			return nil, err
		}
		if t.State != hall.TicketWaiting && t.State != hall.TicketParked {
			return nil, hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s is %s; transfer it from its counter", t.Number, t.State)
		}
	}
	if err := e.sameDay(t); err != nil {
		return nil, err
	}
	svc := a.ToService
	if svc == "" {
		svc = t.Service
		if !slices.Contains(target.Services, svc) {
			svc = target.Services[0]
		}
	}
	var freed *hall.Counter
	switch t.State {
	case hall.TicketCalled, hall.TicketServing:
		e.endVisit(now, c, t, a.Note)
		freed = c
	case hall.TicketWaiting:
		e.dequeue(t)
	}
	t.TargetCounter = a.ToCounter
	e.toWaiting(now, t, svc, p)
	e.event(now, hall.EventTransferred, a.Actor, t, freed)
	return t, nil
}

// sameDay refuses to put a ticket kept at its counter across the day reset back into a queue (it
// would wait among today's numbers): it can only be finished or marked absent.
func (e *Engine) sameDay(t *hall.Ticket) error {
	if t.Day != e.day {
		return hall.Errorf(hall.ECONFLICT, "ticket", "ticket %s is from %s: finish it or mark it absent", t.Number, t.Day)
	}
	return nil
}

func (e *Engine) refersTo(ref, id string) bool {
	if ref == id {
		return true
	}
	return e.byNumber[strings.ToUpper(ref)] == id
}
