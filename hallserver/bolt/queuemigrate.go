package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	bbolt "go.etcd.io/bbolt"
)

// QueueRecord is one record of the halls' queues in a form that does not depend on the store
// (hallctl migrate, to and from etcd: docs/HA.md). Kind is "meta" (Hall; Key ""), "event" (Hall;
// Key the seq in decimal), "ticket" (Key the ID), "token" (Key the follow token; Value the
// ticket ID), "open" (Hall; Key the ticket ID; Value the ticket, as the etcd store keeps it) or
// "idem" (Hall; Key the idempotency key). Values are the stored JSON, unchanged.
type QueueRecord struct {
	Kind, Hall, Key string
	Value           []byte
}

// QueueRecords calls fn with every record of the halls' queues (what the WAL holds written to the
// file first), in bucket order. The rest of the file (campus, staff, cases, …) is not included.
func (db *DB) QueueRecords(ctx context.Context, fn func(QueueRecord) error) error {
	if err := db.qlog.flush(); err != nil {
		return fmt.Errorf("bolt: queue records: %w", err)
	}
	return db.bolt.View(func(tx *bbolt.Tx) error {
		each := func(name []byte, rec func(k, v []byte) QueueRecord) error {
			b := tx.Bucket(name)
			if b == nil {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				return fn(rec(k, v))
			})
		}
		tickets := tx.Bucket(bucketTickets)
		if err := each(bucketTickets, func(k, v []byte) QueueRecord { return QueueRecord{Kind: "ticket", Key: string(k), Value: v} }); err != nil {
			return err
		}
		if err := each(bucketTokens, func(k, v []byte) QueueRecord { return QueueRecord{Kind: "token", Key: string(k), Value: v} }); err != nil {
			return err
		}
		if err := each(bucketMeta, func(k, v []byte) QueueRecord { return QueueRecord{Kind: "meta", Hall: string(k), Value: v} }); err != nil {
			return err
		}
		if err := each(bucketIdem, func(k, v []byte) QueueRecord {
			hall, key, _ := strings.Cut(string(k), "/")
			return QueueRecord{Kind: "idem", Hall: hall, Key: key, Value: v}
		}); err != nil {
			return err
		}
		return tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			switch n := string(name); {
			case strings.HasPrefix(n, "open/"):
				hall := strings.TrimPrefix(n, "open/")
				return each(name, func(k, _ []byte) QueueRecord {
					return QueueRecord{Kind: "open", Hall: hall, Key: string(k), Value: tickets.Get(k)}
				})
			case strings.HasPrefix(n, "events/"):
				hall := strings.TrimPrefix(n, "events/")
				return each(name, func(k, v []byte) QueueRecord {
					return QueueRecord{Kind: "event", Hall: hall, Key: strconv.FormatUint(binary.BigEndian.Uint64(k), 10), Value: v}
				})
			}
			return nil
		})
	})
}

// ErrNotEmpty is returned by PutQueueRecords when the file already holds a hall's queue.
var ErrNotEmpty = errors.New("the data file already holds queue records")

// PutQueueRecords writes records (QueueRecords' form) into the file's queue buckets in one
// transaction. The first call on a file refuses one that holds a hall's meta (ErrNotEmpty):
// records are migrated into a new file only.
func (db *DB) PutQueueRecords(recs []QueueRecord, first bool) error {
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if first {
			if k, _ := tx.Bucket(bucketMeta).Cursor().First(); k != nil {
				return ErrNotEmpty
			}
		}
		for _, r := range recs {
			var name, key []byte
			val := r.Value
			switch r.Kind {
			case "ticket":
				name, key = bucketTickets, []byte(r.Key)
			case "token":
				name, key = bucketTokens, []byte(r.Key)
			case "meta":
				name, key = bucketMeta, []byte(r.Hall)
			case "idem":
				name, key = bucketIdem, []byte(r.Hall+"/"+r.Key)
			case "open":
				name, key, val = openBucket(r.Hall), []byte(r.Key), []byte{}
			case "event":
				seq, err := strconv.ParseUint(r.Key, 10, 64)
				if err != nil {
					return fmt.Errorf("event seq %q: %w", r.Key, err)
				}
				name, key = eventsBucket(r.Hall), binary.BigEndian.AppendUint64(nil, seq)
			default:
				return fmt.Errorf("unknown record kind %q", r.Kind)
			}
			b, err := tx.CreateBucketIfNotExists(name)
			if err != nil {
				return err
			}
			if err := b.Put(key, bytes.Clone(val)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt: put queue records: %w", err)
	}
	return nil
}
