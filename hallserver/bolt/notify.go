package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
)

// NoticeStore is the notification outbox (package notify): the notices not yet delivered, the
// dedupe keys of those delivered, and the notifier's cursor in the case log (in outbox.cursor,
// next to the webhook deliverers'). Adding the notices of a batch of events and moving the cursor
// past them is one transaction, so a crash never loses an event's notices nor makes them twice.
type NoticeStore struct {
	db *DB
}

// NewNoticeStore returns the outbox of the file, creating its buckets when needed.
func NewNoticeStore(db *DB) (*NoticeStore, error) {
	if err := db.ensureBuckets(bucketDeliveryCursor, bucketNoticeOutbox, bucketNoticeSent); err != nil {
		return nil, fmt.Errorf("bolt: create notice buckets: %w", err)
	}
	return &NoticeStore{db: db}, nil
}

// Cursor returns the seq of the last case event whose notices are in the outbox; ok is false
// when none was stored.
func (s *NoticeStore) Cursor(ctx context.Context, name string) (uint64, bool, error) {
	return (&DeliveryStore{db: s.db}).Cursor(ctx, name)
}

// Enqueue adds the notices whose keys are neither waiting nor delivered, and sets the cursor to
// seq, in one durable transaction. It returns how many notices were added.
func (s *NoticeStore) Enqueue(ctx context.Context, name string, seq uint64, ns []hall.Notification) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	added := 0
	err := s.db.bolt.Update(func(tx *bbolt.Tx) error {
		out, sent := tx.Bucket(bucketNoticeOutbox), tx.Bucket(bucketNoticeSent)
		for _, n := range ns {
			k := []byte(n.Key)
			if len(k) == 0 || out.Get(k) != nil || sent.Get(k) != nil {
				continue
			}
			v, err := json.Marshal(n)
			if err != nil {
				return err
			}
			if err := out.Put(k, v); err != nil {
				return err
			}
			added++
		}
		return tx.Bucket(bucketDeliveryCursor).Put([]byte(name), binary.BigEndian.AppendUint64(nil, seq))
	})
	if err != nil {
		return 0, fmt.Errorf("bolt: enqueue notices: %w", err)
	}
	return added, nil
}

// Pending returns the notices waiting in the outbox (dead ones included), in key order.
func (s *NoticeStore) Pending(ctx context.Context) ([]hall.Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []hall.Notification
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketNoticeOutbox).ForEach(func(k, v []byte) error {
			var n hall.Notification
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("notice %q: %w", k, err)
			}
			out = append(out, n)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: read notices: %w", err)
	}
	return out, nil
}

// Delivered removes the notice from the outbox and records its key as delivered at at (so the
// same event never makes it again).
func (s *NoticeStore) Delivered(ctx context.Context, key string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketNoticeOutbox).Delete([]byte(key)); err != nil {
			return err
		}
		return tx.Bucket(bucketNoticeSent).Put([]byte(key), binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano())))
	})
	if err != nil {
		return fmt.Errorf("bolt: mark notice delivered: %w", err)
	}
	return nil
}

// Update stores a waiting notice again (attempts, next try, error, dead); a notice no longer in
// the outbox (delivered meanwhile) is left out, and ok is false.
func (s *NoticeStore) Update(ctx context.Context, n hall.Notification) (ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	err = s.db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketNoticeOutbox)
		if b.Get([]byte(n.Key)) == nil {
			return nil
		}
		v, err := json.Marshal(n)
		if err != nil {
			return err
		}
		ok = true
		return b.Put([]byte(n.Key), v)
	})
	if err != nil {
		return false, fmt.Errorf("bolt: update notice: %w", err)
	}
	return ok, nil
}

// PruneDelivered forgets the dedupe keys of notices delivered before t (the events they came
// from are long behind the cursor). It returns how many were removed.
func (s *NoticeStore) PruneDelivered(ctx context.Context, t time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := s.db.bolt.Update(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketNoticeSent).Cursor()
		for k, v := c.First(); k != nil; {
			if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < t.UnixNano() {
				if err := c.Delete(); err != nil {
					return err
				}
				n++
				k, v = c.Seek(bytes.Clone(k))
				continue
			}
			k, v = c.Next()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bolt: prune delivered notices: %w", err)
	}
	return n, nil
}
