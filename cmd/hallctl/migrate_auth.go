package main

import (
	"context"
	"fmt"
	"io"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/etcd"
)

// authTargetFree refuses a cluster that already holds staff accounts, before anything is copied.
func authTargetFree(ctx context.Context, cli *clientv3.Client) error {
	if err := etcd.PutAuthRecords(ctx, cli, etcd.DefaultPrefix, nil, true); err != nil {
		return fmt.Errorf("migrate to etcd: %w", err)
	}
	return nil
}

// migrateAuth copies the accounts (staff, devices, revoked devices) and the audit bucket between
// the file and the cluster as migrateCmd does the queues, then reads the target back and
// compares it record by record. Sessions are not copied: staff sign in again after a migration.
func migrateAuth(ctx context.Context, db *bolt.DB, cli *clientv3.Client, toCluster bool, stdout io.Writer) error {
	m := newMigrated()
	var err error
	if toCluster {
		var batch []etcd.AuthRecord
		err = db.AuthRecords(ctx, func(r bolt.AuthRecord) error {
			m.note(r.Kind, "", r.Key, r.Value)
			batch = append(batch, etcd.AuthRecord(r))
			return nil
		})
		if err == nil {
			err = etcd.PutAuthRecords(ctx, cli, etcd.DefaultPrefix, batch, true)
		}
		if err != nil {
			return fmt.Errorf("migrate accounts to etcd: %w", err)
		}
		err = etcd.AuthRecords(ctx, cli, etcd.DefaultPrefix, func(r etcd.AuthRecord) error { return m.check(r.Kind, "", r.Key, r.Value) })
	} else {
		var batch []bolt.AuthRecord
		err = etcd.AuthRecords(ctx, cli, etcd.DefaultPrefix, func(r etcd.AuthRecord) error {
			m.note(r.Kind, "", r.Key, r.Value)
			batch = append(batch, bolt.AuthRecord(r))
			return nil
		})
		if err == nil {
			err = db.PutAuthRecords(batch, true)
		}
		if err != nil {
			return fmt.Errorf("migrate accounts from etcd: %w", err)
		}
		err = db.AuthRecords(ctx, func(r bolt.AuthRecord) error { return m.check(r.Kind, "", r.Key, r.Value) })
	}
	if err != nil {
		return fmt.Errorf("verify accounts: %w", err)
	}
	total, sum, err := m.verified("staff", "device", "revoked", "audit")
	if err != nil {
		return fmt.Errorf("verify accounts: %w", err)
	}
	fmt.Fprintf(stdout, "migrated %d account records (%s; sessions are not copied), verified record by record\n", total, sum)
	return nil
}
