package bolt

import (
	"context"
	"encoding/binary"
	"fmt"

	bbolt "go.etcd.io/bbolt"
)

// DeliveryStore persists the delivery cursor of each deliverer (the seq of the last case event it
// delivered) and its dead-letter notes, in the same bbolt file as the case log. A cursor write is
// one small transaction; deliverers batch them (at-least-once delivery tolerates a cursor that lags
// a little behind after a crash).
type DeliveryStore struct {
	db *DB
}

// NewDeliveryStore returns the deliverer store of the file, creating its buckets when needed.
func NewDeliveryStore(db *DB) (*DeliveryStore, error) {
	if err := db.ensureBuckets(bucketDeliveryCursor, bucketDeliveryNotes); err != nil {
		return nil, fmt.Errorf("bolt: create delivery buckets: %w", err)
	}
	return &DeliveryStore{db: db}, nil
}

// Cursor returns the seq of the last case event the named deliverer delivered; ok is false when
// it has never stored one.
func (s *DeliveryStore) Cursor(ctx context.Context, name string) (seq uint64, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	err = s.db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketDeliveryCursor).Get([]byte(name))
		if len(v) == 8 {
			seq, ok = binary.BigEndian.Uint64(v), true
		} else if v != nil {
			return fmt.Errorf("deliverer %q: cursor of %d bytes", name, len(v))
		}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("bolt: read delivery cursor: %w", err)
	}
	return seq, ok, nil
}

// SetCursor stores the seq of the last case event the named deliverer delivered (durably: the
// transaction is fsync'd before SetCursor returns).
func (s *DeliveryStore) SetCursor(ctx context.Context, name string, seq uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDeliveryCursor).Put([]byte(name), binary.BigEndian.AppendUint64(nil, seq))
	})
	if err != nil {
		return fmt.Errorf("bolt: write delivery cursor: %w", err)
	}
	return nil
}

func noteKey(name string, seq uint64) []byte {
	k := append([]byte(name), 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

// PutNote stores the dead-letter note of the named deliverer for the event seq (JSON, opaque to the
// store); a nil note deletes it.
func (s *DeliveryStore) PutNote(ctx context.Context, name string, seq uint64, note []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketDeliveryNotes)
		if note == nil {
			return b.Delete(noteKey(name, seq))
		}
		return b.Put(noteKey(name, seq), note)
	})
	if err != nil {
		return fmt.Errorf("bolt: write delivery note: %w", err)
	}
	return nil
}

// Notes returns the dead-letter notes of the named deliverer by event seq.
func (s *DeliveryStore) Notes(ctx context.Context, name string) (map[uint64][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[uint64][]byte{}
	prefix := append([]byte(name), 0)
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketDeliveryNotes).Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			out[binary.BigEndian.Uint64(k[len(prefix):])] = append([]byte(nil), v...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: read delivery notes: %w", err)
	}
	return out, nil
}
