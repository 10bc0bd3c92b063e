package main

import (
	"context"
	"fmt"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/etcd"
)

// migrateServices copies the records of the services the etcd store keeps beside the queues
// (appointments, visit ratings, topic answers, the long-standing list, the notifier's outbox and
// cursors, the ID sequences) the same way as the queues (toCluster: file to etcd, else back),
// noting each source record, then reads the target back through verify. It returns how many
// records it copied.
func migrateServices(ctx context.Context, store *etcd.QueueStore, db *bolt.DB, toCluster bool,
	note func(kind, hall, key string, v []byte), verify func(kind, hall, key string, v []byte) error) (int, error) {
	n := 0
	var recs []etcd.Record
	collect := func(r etcd.Record) error {
		note(r.Kind, r.Hall, r.Key, r.Value)
		recs = append(recs, r)
		n++
		return nil
	}
	if toCluster {
		if err := db.ServiceRecords(ctx, func(r bolt.QueueRecord) error { return collect(etcd.Record(r)) }); err != nil {
			return n, fmt.Errorf("migrate services to etcd: %w", err)
		}
		if err := store.PutServiceRecords(ctx, recs, true); err != nil {
			return n, fmt.Errorf("migrate services to etcd: %w", err)
		}
		return n, store.ServiceRecords(ctx, func(r etcd.Record) error { return verify(r.Kind, r.Hall, r.Key, r.Value) })
	}
	if err := store.ServiceRecords(ctx, collect); err != nil {
		return n, fmt.Errorf("migrate services from etcd: %w", err)
	}
	brecs := make([]bolt.QueueRecord, len(recs))
	for i, r := range recs {
		brecs[i] = bolt.QueueRecord(r)
	}
	if err := db.PutServiceRecords(brecs); err != nil {
		return n, fmt.Errorf("migrate services from etcd: %w", err)
	}
	return n, db.ServiceRecords(ctx, func(r bolt.QueueRecord) error { return verify(r.Kind, r.Hall, r.Key, r.Value) })
}
