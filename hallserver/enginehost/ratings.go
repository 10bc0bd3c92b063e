package enginehost

import (
	"context"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

var _ hall.VisitRatingService = (*Ratings)(nil)

// RecentEvents is how far back in a hall's log (in events) the counter-side rating page finds
// the tickets a counter finished: about an hour of a busy hall.
const RecentEvents = 1000

// VisitRatingStore keeps the visit ratings, one per finished ticket (package bolt's
// VisitRatings): a second rating of a ticket is ECONFLICT (field "rating"), a ticket not
// finished ECONFLICT (field "state").
type VisitRatingStore interface {
	// RateVisit stores the rating of the ticket followed by token (At set to now).
	RateVisit(ctx context.Context, token string, r hall.VisitRating) (*hall.VisitRating, error)
	// RateTicket stores the rating of the ticket with this ID (At set to now).
	RateTicket(ctx context.Context, id string, r hall.VisitRating) (*hall.VisitRating, error)
	// VisitRating returns the rating of the ticket followed by token, nil when none.
	VisitRating(ctx context.Context, token string) (*hall.VisitRating, error)
	// RatingOf returns the rating of the ticket with this ID, nil when none.
	RatingOf(ctx context.Context, id string) (*hall.VisitRating, error)
}

// Ratings is the visit ratings (好差评) of the halls: stored once per ticket by the store, then
// told to the ticket's hall as a visit.rated event (with the counter and staff member who served
// it; 1–2 stars flagged low, the hall lead's alert on the staff pages). It implements
// hall.VisitRatingService.
//
// The rating and its event are two durable writes, in that order: a crash between them keeps
// the rating (it counts in the reports, which read the ratings) without its alert.
type Ratings struct {
	q     *Queue
	store VisitRatingStore
}

// NewRatings returns the ratings of q's halls kept in store.
func NewRatings(q *Queue, store VisitRatingStore) *Ratings { return &Ratings{q: q, store: store} }

// VisitRating returns the rating of the ticket followed by token, nil when none.
func (v *Ratings) VisitRating(ctx context.Context, token string) (*hall.VisitRating, error) {
	return v.store.VisitRating(ctx, token)
}

// RateVisit stores the holder's rating of the finished ticket followed by token, then tells its
// hall.
func (v *Ratings) RateVisit(ctx context.Context, token string, r hall.VisitRating) (*hall.VisitRating, error) {
	stored, err := v.store.RateVisit(ctx, token, r)
	if err != nil {
		return nil, err
	}
	t, err := v.q.store.TicketByToken(ctx, token)
	if err != nil {
		v.q.log.Warn("visit rating: the rated ticket", "err", err)
		return stored, nil
	}
	staff := ""
	if ev, err := v.finished(ctx, t.Hall, func(ev *hall.Event) bool { return ev.Ticket.ID == t.ID }); err == nil && ev != nil {
		staff = ev.Actor
	}
	v.tell(ctx, t, staff, *stored, hall.RatedOnFollow, "")
	return stored, nil
}

// RateAtCounter stores the rating of the visit (ticket number) that counter n of the hall
// finished recently, then tells the hall.
func (v *Ratings) RateAtCounter(ctx context.Context, code string, n int, number string, r hall.VisitRating, actor string) (*hall.VisitRating, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	ev, err := v.finished(ctx, code, func(ev *hall.Event) bool { return ev.Ticket.Number == number && ev.Ticket.Counter == n })
	if err != nil {
		return nil, err
	}
	if ev == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "ticket", "counter %d of hall %s finished no ticket %q recently", n, code, number)
	}
	stored, err := v.store.RateTicket(ctx, ev.Ticket.ID, r)
	if err != nil {
		return nil, err
	}
	v.tell(ctx, ev.Ticket, ev.Actor, *stored, hall.RatedAtCounter, actor)
	return stored, nil
}

// ToRate returns the visit counter n of the hall serves now or, when none, the last one it
// finished recently (with its rating once given).
func (v *Ratings) ToRate(ctx context.Context, code string, n int) (*hall.CounterVisit, error) {
	snap, err := v.q.Snapshot(ctx, code)
	if err != nil {
		return nil, err
	}
	for _, c := range snap.Counters {
		if c.Number == n && c.Current != nil {
			return &hall.CounterVisit{Number: c.Current.Number, Service: c.Current.Service, State: c.Current.State}, nil
		}
	}
	ev, err := v.finished(ctx, code, func(ev *hall.Event) bool { return ev.Ticket.Counter == n })
	if err != nil || ev == nil {
		return nil, err
	}
	t := ev.Ticket
	out := &hall.CounterVisit{Number: t.Number, Service: t.Service, State: t.State, FinishedAt: t.FinishedAt}
	if out.Rating, err = v.store.RatingOf(ctx, t.ID); err != nil {
		return nil, err
	}
	return out, nil
}

// finished returns the latest ticket.finished event of the hall's last RecentEvents events
// whose ticket match accepts, nil when none.
func (v *Ratings) finished(ctx context.Context, code string, match func(*hall.Event) bool) (*hall.Event, error) {
	l, _, err := v.q.hall(code)
	if err != nil {
		return nil, err
	}
	last := l.Committed()
	evs, err := l.EventsAfter(ctx, last-min(last, RecentEvents), RecentEvents)
	if err != nil {
		return nil, err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		ev := &evs[i]
		if ev.Type == hall.EventFinished && ev.Ticket != nil && ev.Ticket.State == hall.TicketDone && match(ev) {
			return ev, nil
		}
	}
	return nil, nil
}

// tell appends the visit.rated event of a stored rating to the ticket's hall. The rating is
// kept whatever happens here: a failure is logged.
func (v *Ratings) tell(ctx context.Context, t *hall.Ticket, staff string, r hall.VisitRating, via, actor string) {
	rv := hall.RatedVisit{Ticket: t.ID, Number: t.Number, Service: t.Service, Counter: t.Counter, Staff: staff,
		Stars: r.Stars, Reason: r.Reason, Comment: r.Comment, Via: via, At: r.At}
	// The rating is stored: its event is written even when the caller has gone meanwhile.
	err := v.q.apply(context.WithoutCancel(ctx), t.Hall, func(e *queue.Engine, now time.Time) (queue.Change, error) {
		return e.VisitRated(now, rv, actor), nil
	})
	if err != nil {
		v.q.log.Warn("visit rating: the hall's visit.rated event", "hall", t.Hall, "ticket", t.ID, "err", err)
	}
}
