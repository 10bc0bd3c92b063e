package etcd

import (
	"context"
	"encoding/json"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
)

var _ enginehost.VisitRatingStore = (*VisitRatings)(nil)

// VisitRatings keeps the visit ratings (好差评) on etcd, one per finished ticket (bucket
// visit.ratings: doc.go), checked against the ticket the queue store committed (q/t/, q/tok/):
// the store of enginehost.Ratings, as package bolt's VisitRatings. A rating is one Txn fenced on
// the owner's key that commits only while the rating's key is still absent, so a visit is rated
// once whichever page rates it.
type VisitRatings struct {
	kv  kvStore
	now func() time.Time
}

// NewVisitRatings returns the ratings on cli under prefix (the queue store's), written only
// while fence allows; now nil means time.Now.
func NewVisitRatings(cli *clientv3.Client, prefix string, fence Fence, now func() time.Time) *VisitRatings {
	if now == nil {
		now = time.Now
	}
	return &VisitRatings{kv: kvStore{cli: cli, prefix: prefix, fence: fence}, now: now}
}

// ticket reads a committed ticket of the queue store (nil when none).
func (v *VisitRatings) ticket(r *reads, id string) (*hall.Ticket, error) {
	return getKeyJSON[hall.Ticket](r, v.kv.prefix+"q/t/"+id)
}

// byToken reads the committed ticket followed by token (nil when none).
func (v *VisitRatings) byToken(r *reads, token string) (*hall.Ticket, error) {
	id, err := r.getKey(v.kv.prefix + "q/tok/" + token)
	if err != nil || id == nil {
		return nil, err
	}
	return v.ticket(r, string(id))
}

// RateVisit stores the rating of the finished ticket followed by token, once.
func (v *VisitRatings) RateVisit(ctx context.Context, token string, r hall.VisitRating) (*hall.VisitRating, error) {
	return v.rate(ctx, r, func(rd *reads) (*hall.Ticket, error) {
		t, err := v.byToken(rd, token)
		if err == nil && t == nil {
			err = hall.Errorf(hall.ENOTFOUND, "token", "no ticket with this token")
		}
		return t, err
	})
}

// RateTicket stores the rating of the finished ticket with this ID, once.
func (v *VisitRatings) RateTicket(ctx context.Context, id string, r hall.VisitRating) (*hall.VisitRating, error) {
	return v.rate(ctx, r, func(rd *reads) (*hall.Ticket, error) {
		t, err := v.ticket(rd, id)
		if err == nil && t == nil {
			err = hall.Errorf(hall.ENOTFOUND, "ticket", "no ticket %s", id)
		}
		return t, err
	})
}

// rate checks and stores a rating of the ticket find reads, in one fenced Txn.
func (v *VisitRatings) rate(ctx context.Context, r hall.VisitRating, find func(rd *reads) (*hall.Ticket, error)) (*hall.VisitRating, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	r.At = v.now().UTC()
	err := v.kv.update(ctx, "store the visit rating", func(rd *reads) (writes, error) {
		t, err := find(rd)
		if err != nil {
			return nil, err
		}
		old, err := rd.get(bucketVisitRating, t.ID)
		if err != nil {
			return nil, err
		}
		if err := hall.Ratable(t, old != nil); err != nil {
			return nil, err
		}
		enc, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		var w writes
		w.put(&v.kv, bucketVisitRating, t.ID, enc)
		return w, nil
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// RatingOf returns the rating of the ticket with this ID, nil when none.
func (v *VisitRatings) RatingOf(ctx context.Context, id string) (*hall.VisitRating, error) {
	var out *hall.VisitRating
	err := v.kv.view(ctx, "read the visit rating", func(r *reads) error {
		var err error
		out, err = v.ratingOf(r, id)
		return err
	})
	return out, err
}

func (v *VisitRatings) ratingOf(r *reads, id string) (*hall.VisitRating, error) {
	return getJSON[hall.VisitRating](r, bucketVisitRating, id)
}

// VisitRating returns the rating of the ticket followed by token, nil when none.
func (v *VisitRatings) VisitRating(ctx context.Context, token string) (*hall.VisitRating, error) {
	var out *hall.VisitRating
	err := v.kv.view(ctx, "read the visit rating", func(r *reads) error {
		t, err := v.byToken(r, token)
		if err != nil || t == nil {
			return err
		}
		out, err = v.ratingOf(r, t.ID)
		return err
	})
	return out, err
}
