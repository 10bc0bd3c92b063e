package bolt

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	bbolt "go.etcd.io/bbolt"
)

// The services beside the queues that the etcd store keeps too (hallctl migrate: docs/HA.md):
// their records have the same keys and values in both stores, Kind the bucket's name.
var serviceBuckets = [][]byte{bucketAppt, bucketApptToken, bucketApptDay, bucketApptWho, bucketVisitRatings,
	bucketTopicAnswers, bucketTopicCases, bucketLongList, bucketNoticeOutbox, bucketNoticeSent}

// Service record kinds that are not a bucket of the same name.
const (
	// ServiceCursor is the kind of the notifier's cursors (its names in outbox.cursor: "notify"
	// and "notify.hall.{code}"; the webhook deliverers' are not among them).
	ServiceCursor = "notify.cursor"
	// ServiceSeq is the kind of a bucket's sequence (Key the bucket: appt, longlist; Value in
	// decimal): IDs carry on after a migration.
	ServiceSeq = "seq"
)

// isNotifyCursor reports whether a name of outbox.cursor is the notifier's.
func isNotifyCursor(name string) bool { return name == "notify" || strings.HasPrefix(name, "notify.") }

// ServiceRecords calls fn with every record of the services the etcd store keeps too
// (appointments, visit ratings, topic answers, the long-standing list, the notifier's outbox and
// cursors, and the sequences of appt and longlist), as QueueRecords with Kind the bucket's name.
func (db *DB) ServiceRecords(ctx context.Context, fn func(QueueRecord) error) error {
	if err := db.ensureBuckets(append(serviceBuckets, bucketDeliveryCursor)...); err != nil {
		return fmt.Errorf("bolt: service records: %w", err)
	}
	return db.bolt.View(func(tx *bbolt.Tx) error {
		for _, name := range serviceBuckets {
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				return fn(QueueRecord{Kind: string(name), Key: string(k), Value: v})
			})
			if err != nil {
				return err
			}
		}
		for _, name := range [][]byte{bucketAppt, bucketLongList} {
			if n := tx.Bucket(name).Sequence(); n > 0 {
				if err := fn(QueueRecord{Kind: ServiceSeq, Key: string(name), Value: []byte(strconv.FormatUint(n, 10))}); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketDeliveryCursor).ForEach(func(k, v []byte) error {
			if !isNotifyCursor(string(k)) {
				return nil
			}
			return fn(QueueRecord{Kind: ServiceCursor, Key: string(k), Value: v})
		})
	})
}

// PutServiceRecords writes records of ServiceRecords into the file in one transaction.
func (db *DB) PutServiceRecords(recs []QueueRecord) error {
	if err := db.ensureBuckets(append(serviceBuckets, bucketDeliveryCursor)...); err != nil {
		return fmt.Errorf("bolt: put service records: %w", err)
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, r := range recs {
			var b *bbolt.Bucket
			switch r.Kind {
			case ServiceSeq:
				n, err := strconv.ParseUint(string(r.Value), 10, 64)
				if err != nil || (r.Key != string(bucketAppt) && r.Key != string(bucketLongList)) {
					return fmt.Errorf("sequence %q of %q", r.Value, r.Key)
				}
				if err := tx.Bucket([]byte(r.Key)).SetSequence(n); err != nil {
					return err
				}
				continue
			case ServiceCursor:
				b = tx.Bucket(bucketDeliveryCursor)
			default:
				for _, name := range serviceBuckets {
					if string(name) == r.Kind {
						b = tx.Bucket(name)
					}
				}
			}
			if b == nil {
				return fmt.Errorf("unknown service record kind %q", r.Kind)
			}
			if err := b.Put([]byte(r.Key), bytes.Clone(r.Value)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt: put service records: %w", err)
	}
	return nil
}
