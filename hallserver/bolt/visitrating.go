package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
)

// VisitRatings keeps the visit ratings (好差评) in the bbolt file, one per finished ticket: the
// store of enginehost.Ratings (which then tells the hall with a visit.rated event). A rating is
// checked against the committed ticket and written in one transaction (fsync'd), so a visit is
// rated once whichever page rates it.
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
	return v.rate(ctx, r, func(tx *bbolt.Tx) (*hall.Ticket, error) {
		t, err := v.db.ticketByToken(tx, token)
		if err == nil && t == nil {
			err = hall.Errorf(hall.ENOTFOUND, "token", "no ticket with this token")
		}
		return t, err
	})
}

// RateTicket stores the rating of the finished ticket with this ID, once (the counter-side
// page's rating; the same bucket as the follow page's, so a visit is rated once in all).
func (v *VisitRatings) RateTicket(ctx context.Context, id string, r hall.VisitRating) (*hall.VisitRating, error) {
	return v.rate(ctx, r, func(tx *bbolt.Tx) (*hall.Ticket, error) {
		t, err := v.db.ticketByID(tx, id)
		if err == nil && t == nil {
			err = hall.Errorf(hall.ENOTFOUND, "ticket", "no ticket %s", id)
		}
		return t, err
	})
}

// rate checks and stores a rating of the ticket find reads, in one transaction.
func (v *VisitRatings) rate(ctx context.Context, r hall.VisitRating, find func(tx *bbolt.Tx) (*hall.Ticket, error)) (*hall.VisitRating, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.At = v.now().UTC()
	var refused error
	err := v.db.qlog.update(func(tx *bbolt.Tx) error {
		t, err := find(tx)
		switch {
		case hall.ErrorCode(err) == hall.ENOTFOUND:
			refused = err
			return nil
		case err != nil:
			return err
		}
		b := tx.Bucket(bucketVisitRatings)
		if refused = hall.Ratable(t, b.Get([]byte(t.ID)) != nil); refused != nil {
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

// RatingOf returns the rating of the ticket with this ID, nil when none.
func (v *VisitRatings) RatingOf(ctx context.Context, id string) (*hall.VisitRating, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *hall.VisitRating
	err := v.db.bolt.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketVisitRatings).Get([]byte(id))
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

// ticketByID reads a committed ticket by ID, nil when none; tx as for ticketByToken.
func (db *DB) ticketByID(tx *bbolt.Tx, id string) (*hall.Ticket, error) {
	v, ok := db.qlog.ticket(id)
	if !ok {
		v = tx.Bucket(bucketTickets).Get([]byte(id))
	}
	if v == nil {
		return nil, nil
	}
	t := new(hall.Ticket)
	if err := json.Unmarshal(v, t); err != nil {
		return nil, fmt.Errorf("decode ticket %s: %w", id, err)
	}
	return t, nil
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
