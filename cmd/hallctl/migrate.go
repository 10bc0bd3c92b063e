package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/etcd"
)

// migrateCmd copies the halls' queues (tickets, tokens, open tickets, meta, event logs,
// idempotency records), the case system (migrateCases), the services beside them
// (migrateServices: appointments, visit ratings, topic answers, the long list, the notifier's
// outbox) and the accounts (migrate_auth.go: staff, devices, the audit trail) from a bbolt data
// file to an etcd cluster or back (docs/HA.md), then reads the target back and compares it with
// the source record by record. Every hall server must be stopped; the target must hold no queue,
// no case and no staff account yet. The rest of the file (campus, …) is not on etcd and is not
// copied.
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "bbolt data file to copy from (server stopped)")
	toEtcd := fs.String("to-etcd", "", "etcd client URLs (comma-separated) to copy to")
	fromEtcd := fs.String("from-etcd", "", "etcd client URLs (comma-separated) to copy from")
	to := fs.String("to", "", "new bbolt data file to copy to (must not exist)")
	ca := fs.String("etcd-ca", os.Getenv("ONEDOOR_ETCD_CA"), "CA certificate of the cluster")
	cert := fs.String("etcd-cert", os.Getenv("ONEDOOR_ETCD_CERT"), "client certificate")
	key := fs.String("etcd-key", os.Getenv("ONEDOOR_ETCD_KEY"), "client key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	toCluster := *from != "" && *toEtcd != "" && *fromEtcd == "" && *to == ""
	fromCluster := *fromEtcd != "" && *to != "" && *from == "" && *toEtcd == ""
	if !toCluster && !fromCluster {
		return errors.New("migrate needs -from FILE -to-etcd URLS, or -from-etcd URLS -to FILE")
	}
	tlsCfg, err := etcd.TLSConfig(*ca, *cert, *key)
	if err != nil {
		return err
	}
	urls := *toEtcd
	if fromCluster {
		urls = *fromEtcd
		if _, err := os.Stat(*to); err == nil {
			return fmt.Errorf("-to %s exists: migrate writes a new file only", *to)
		}
	} else if _, err := os.Stat(*from); err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	cli, err := etcd.Dial(strings.Split(urls, ","), tlsCfg)
	if err != nil {
		return err
	}
	defer cli.Close()
	store := etcd.NewQueueStore(cli, etcd.DefaultPrefix, func() (string, int64, bool) { return "", 0, false }, nil)
	cstore := etcd.NewCaseStore(cli, etcd.DefaultPrefix, func() (string, int64, bool) { return "", 0, false }, nil)
	if toCluster {
		// A cluster holding cases is refused before anything is copied (no records: a check).
		if err := cstore.PutCaseRecords(ctx, nil, true); err != nil {
			return fmt.Errorf("migrate to etcd: %w", err)
		}
	}
	file := *from
	if fromCluster {
		file = *to
	}
	db, err := bolt.OpenWith(file, bolt.Options{})
	if err != nil {
		return err
	}
	defer db.Close()

	m := newMigrated()
	if toCluster {
		if err := authTargetFree(ctx, cli); err != nil {
			return err
		}
		var batch []etcd.Record
		first := true
		flush := func() error {
			err := store.PutRecords(ctx, batch, first)
			first, batch = false, batch[:0]
			return err
		}
		err = db.QueueRecords(ctx, func(r bolt.QueueRecord) error {
			m.note(r.Kind, r.Hall, r.Key, r.Value)
			batch = append(batch, etcd.Record(r))
			if len(batch) >= 1000 {
				return flush()
			}
			return nil
		})
		if err == nil && (len(batch) > 0 || first) {
			err = flush()
		}
		if err != nil {
			return fmt.Errorf("migrate to etcd: %w", err)
		}
		err = store.Records(ctx, func(r etcd.Record) error { return m.check(r.Kind, r.Hall, r.Key, r.Value) })
	} else {
		var batch []bolt.QueueRecord
		first := true
		flush := func() error {
			err := db.PutQueueRecords(batch, first)
			first, batch = false, batch[:0]
			return err
		}
		err = store.Records(ctx, func(r etcd.Record) error {
			m.note(r.Kind, r.Hall, r.Key, r.Value)
			batch = append(batch, bolt.QueueRecord(r))
			if len(batch) >= 5000 {
				return flush()
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			err = flush()
		}
		if err != nil {
			return fmt.Errorf("migrate from etcd: %w", err)
		}
		err = db.QueueRecords(ctx, func(r bolt.QueueRecord) error { return m.check(r.Kind, r.Hall, r.Key, r.Value) })
	}
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	services, err := migrateServices(ctx, store, db, toCluster, m.note, m.check)
	if err != nil {
		return err
	}
	total, sum, err := m.verified("meta", "ticket", "token", "open", "event", "idem")
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	fmt.Fprintf(stdout, "migrated %d records (%s, appointments, ratings, topic answers, list, outbox %d), verified record by record\n",
		total+services, sum, services)
	if err := migrateCases(ctx, db, cstore, toCluster, stdout); err != nil {
		return err
	}
	return migrateAuth(ctx, db, cli, toCluster, stdout)
}

// migrateCases copies the case system (cases with their timelines, the case event log, learned
// router examples, forgotten re-routes, idempotency records, attachments, the webhook cursors and
// notes) between the file and etcd in the direction of toCluster, the target building its
// indexes, then reads the target back and compares it with the source record by record.
func migrateCases(ctx context.Context, db *bolt.DB, store *etcd.CaseStore, toCluster bool, stdout io.Writer) error {
	m := newMigrated()
	var err error
	if toCluster {
		var batch []etcd.CaseRecord
		first := true
		flush := func() error {
			err := store.PutCaseRecords(ctx, batch, first)
			first, batch = false, batch[:0]
			return err
		}
		err = db.CaseRecords(ctx, func(r bolt.CaseRecord) error {
			m.note(r.Kind, "", r.Key, r.Value)
			batch = append(batch, etcd.CaseRecord(r))
			if len(batch) >= 500 {
				return flush()
			}
			return nil
		})
		if err == nil && (len(batch) > 0 || first) {
			err = flush()
		}
		if err != nil {
			return fmt.Errorf("migrate cases to etcd: %w", err)
		}
		err = store.CaseRecords(ctx, func(r etcd.CaseRecord) error { return m.check(r.Kind, "", r.Key, r.Value) })
	} else {
		var batch []bolt.CaseRecord
		first := true
		flush := func() error {
			err := db.PutCaseRecords(batch, first)
			first, batch = false, batch[:0]
			return err
		}
		err = store.CaseRecords(ctx, func(r etcd.CaseRecord) error {
			m.note(r.Kind, "", r.Key, r.Value)
			batch = append(batch, bolt.CaseRecord(r))
			if len(batch) >= 2000 {
				return flush()
			}
			return nil
		})
		if err == nil && (len(batch) > 0 || first) {
			err = flush()
		}
		if err != nil {
			return fmt.Errorf("migrate cases from etcd: %w", err)
		}
		err = db.CaseRecords(ctx, func(r bolt.CaseRecord) error { return m.check(r.Kind, "", r.Key, r.Value) })
	}
	if err != nil {
		return fmt.Errorf("verify cases: %w", err)
	}
	total, sum, err := m.verified("meta", "case", "event", "learned", "forgot", "idem", "blob", "cursor", "note")
	if err != nil {
		return fmt.Errorf("verify cases: %w", err)
	}
	fmt.Fprintf(stdout, "migrated %d case records (%s), verified record by record\n", total, sum)
	return nil
}

// migrated is what a migration read from its source: each record by identity (kind, hall, key)
// until the target's copy is checked, and how many of each kind.
type migrated struct {
	src    map[string][]byte
	counts map[string]int
}

func newMigrated() *migrated { return &migrated{src: map[string][]byte{}, counts: map[string]int{}} }

// note records a source record.
func (m *migrated) note(kind, hall, key string, v []byte) {
	m.src[kind+"\x00"+hall+"\x00"+key] = bytes.Clone(v)
	m.counts[kind]++
}

// check removes the target record from the source's, failing when it is not there or differs.
func (m *migrated) check(kind, hall, key string, v []byte) error {
	id := kind + "\x00" + hall + "\x00" + key
	want, ok := m.src[id]
	if !ok {
		return fmt.Errorf("the target holds %s %s/%s, which the source does not", kind, hall, key)
	}
	if !bytes.Equal(want, v) {
		return fmt.Errorf("%s %s/%s differs between source and target", kind, hall, key)
	}
	delete(m.src, id)
	return nil
}

// verified fails when a source record was not found in the target, and otherwise sums the
// counts up: the total and "kind n, …".
func (m *migrated) verified(kinds ...string) (int, string, error) {
	if len(m.src) > 0 {
		var missing []string
		for k := range m.src {
			missing = append(missing, strings.ReplaceAll(k, "\x00", "/"))
		}
		sort.Strings(missing)
		return 0, "", fmt.Errorf("%d records missing in the target, e.g. %s", len(missing), missing[0])
	}
	total := 0
	var parts []string
	for _, k := range kinds {
		total += m.counts[k]
		parts = append(parts, fmt.Sprintf("%s %d", k, m.counts[k]))
	}
	return total, strings.Join(parts, ", "), nil
}
