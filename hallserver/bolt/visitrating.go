package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
)

var _ hall.VisitRatingService = (*VisitRatings)(nil)

// VisitRatings keeps the visit ratings (好差评) in the bbolt file, one per finished ticket. It
// implements hall.VisitRatingService. A rating changes no queue state, so it is no queue event:
// it is checked against the committed ticket and written in one transaction (fsync'd).
type VisitRatings struct {
	db  *DB
	now func() time.Time
}

// NewVisitRatings returns the store; now nil means time.Now.
func NewVisitRatings(db *DB, now func() time.Time) (*VisitRatings, error) {
	if now == nil {
		now = time.Now
	}
	if err := db.ensureBuckets(bucketVisitRatings); err != nil {
		return nil, fmt.Errorf("bolt: create visit ratings bucket: %w", err)
	}
	return &VisitRatings{db: db, now: now}, nil
}

// RateVisit stores the rating of the finished ticket followed by token, once.
func (v *VisitRatings) RateVisit(ctx context.Context, token string, r hall.VisitRating) (*hall.VisitRating, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.At = v.now().UTC()
	var refused error
	err := v.db.qlog.update(func(tx *bbolt.Tx) error {
		t, err := v.db.ticketByToken(tx, token)
		switch {
		case err != nil:
			return err
		case t == nil:
			refused = hall.Errorf(hall.ENOTFOUND, "token", "no ticket with this token")
			return nil
		case t.State != hall.TicketDone:
			refused = hall.Errorf(hall.ECONFLICT, "state", "only a finished visit can be rated (the ticket is %s)", t.State)
			return nil
		}
		b := tx.Bucket(bucketVisitRatings)
		if b.Get([]byte(t.ID)) != nil {
			refused = hall.Errorf(hall.ECONFLICT, "rating", "this visit is rated already")
			return nil
		}
		enc, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put([]byte(t.ID), enc)
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: store the visit rating: %v", err)
	}
	if refused != nil {
		return nil, refused
	}
	return &r, nil
}

// VisitRating returns the rating of the ticket followed by token, nil when none.
func (v *VisitRatings) VisitRating(ctx context.Context, token string) (*hall.VisitRating, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *hall.VisitRating
	err := v.db.qlog.view(func(tx *bbolt.Tx) error {
		t, err := v.db.ticketByToken(tx, token)
		if err != nil || t == nil {
			return err
		}
		raw := tx.Bucket(bucketVisitRatings).Get([]byte(t.ID))
		if raw == nil {
			return nil
		}
		out = new(hall.VisitRating)
		return json.Unmarshal(raw, out)
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read the visit rating: %v", err)
	}
	return out, nil
}
