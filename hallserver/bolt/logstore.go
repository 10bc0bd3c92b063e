package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
)

// What the stores under the engine host (queuestore.go, casestore.go) share: the commit
// transaction with its failpoint and health record, the event logs' encoding and reading, and
// the idempotency records.

// commit runs fn in one write transaction of a group committer: the failpoint PointCommit first
// (an error fails the transaction like a storage error), then fn. The outcome is recorded for
// /healthz (storage.go).
func (db *DB) commit(fn func(*bbolt.Tx) error) error {
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := db.failpoint.Hit(enginehost.PointCommit); err != nil {
			return err
		}
		return fn(tx)
	})
	db.noteCommit(err)
	return err
}

// prepared converts a batch of prepared changes back to the store's type (each store commits only
// what its own Prepare returned).
func prepared[W any](batch []any) []W {
	out := make([]W, len(batch))
	for i, w := range batch {
		out[i] = w.(W)
	}
	return out
}

// encodeEach encodes each value of vs as JSON (the events of a change).
func encodeEach[T any](vs []T) ([][]byte, error) {
	out := make([][]byte, len(vs))
	for i := range vs {
		v, err := json.Marshal(&vs[i])
		if err != nil {
			return nil, fmt.Errorf("encode %T %d: %w", vs[i], i, err)
		}
		out[i] = v
	}
	return out, nil
}

// readEvents reads at most limit events with after < seq <= last from an event bucket (8-byte
// big-endian seq → JSON), oldest first.
func readEvents[E any](ctx context.Context, db *DB, bucket []byte, after, last uint64, limit int) ([]E, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var events []E
	err := db.bolt.View(func(tx *bbolt.Tx) (err error) {
		events, err = readEventsTx[E](tx, bucket, after, last, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: read %s: %w", bucket, err)
	}
	return events, nil
}

// readEventsTx is readEvents in the transaction tx.
func readEventsTx[E any](tx *bbolt.Tx, bucket []byte, after, last uint64, limit int) ([]E, error) {
	events := make([]E, 0, min(uint64(limit), last-min(after, last)))
	c := tx.Bucket(bucket).Cursor()
	for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, after+1)); k != nil && len(events) < limit; k, v = c.Next() {
		seq := binary.BigEndian.Uint64(k)
		if seq > last {
			break
		}
		var ev E
		if err := json.Unmarshal(v, &ev); err != nil {
			return nil, fmt.Errorf("decode event %d: %w", seq, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// idemRecord is the value of an idempotency key (buckets idem and cases.idem).
type idemRecord struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// Seq is the seq of the ticket's ticket.issued event (0 in records written before it was
	// kept): a record below the hall's last day reset answers for a ticket the reset cancelled.
	Seq uint64 `json:"seq,omitempty"`
}

// readIndexed reads the values of all that an index bucket lists (key → nil), in key order. An
// index entry without its value is skipped.
func readIndexed[T any](index, all *bbolt.Bucket) ([]T, error) {
	var out []T
	err := index.ForEach(func(k, _ []byte) error {
		v := all.Get(k)
		if v == nil {
			return nil
		}
		var one T
		if err := json.Unmarshal(v, &one); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		out = append(out, one)
		return nil
	})
	return out, err
}

// readIdem reads the idempotency record of key in bucket (ID "" when there is none).
func (db *DB) readIdem(bucket []byte, key string) (enginehost.IdemRecord, error) {
	var rec idemRecord
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucket).Get([]byte(key))
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		return enginehost.IdemRecord{}, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: idempotency lookup: %v", err)
	}
	return enginehost.IdemRecord(rec), nil
}

// pruneIdem deletes the idempotency records of bucket older than ttl (and any it cannot decode).
// Errors are ignored: the next prune tries again.
func (db *DB) pruneIdem(bucket []byte, ttl time.Duration, now time.Time) {
	_ = db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket)
		var old [][]byte
		b.ForEach(func(k, v []byte) error {
			var rec idemRecord
			if json.Unmarshal(v, &rec) != nil || now.Sub(rec.At) > ttl {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
