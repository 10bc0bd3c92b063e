package queue

import (
	"slices"
	"time"

	"onedoor/hallserver/hall"
)

// VisitRated records a visit rating in the hall's log: one visit.rated event carrying rv (its
// Low set for 1–2 stars). A low rating is also kept in the day's list of low ratings that staff
// snapshots show (at most hall.MaxLowRatings, the oldest dropped; the day reset empties it). The
// rating itself is stored once by the caller before (the store refuses a second); the engine
// only tells the hall.
func (e *Engine) VisitRated(now time.Time, rv hall.RatedVisit, actor string) Change {
	rv.Low = rv.Stars <= 2
	_, ch, _ := e.run(now, func(map[string]*hall.Ticket) (*hall.Ticket, error) {
		if rv.Low {
			low := append(slices.Clone(e.lowRatings), rv)
			if len(low) > hall.MaxLowRatings {
				low = low[len(low)-hall.MaxLowRatings:]
			}
			e.lowRatings = low
		}
		e.event(now, hall.EventVisitRated, actor, nil, nil)
		e.ch.Events[len(e.ch.Events)-1].Rated = &rv
		return nil, nil
	})
	return ch
}
