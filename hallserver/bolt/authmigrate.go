package bolt

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"
)

// AuthRecord is one record of the accounts in a form that does not depend on the store (hallctl
// migrate; the same kinds as etcd.AuthRecord): "staff" (Key the username), "device" (Key the
// token's SHA-256 in hex), "revoked" (a revoked device, Key its ID), "audit" (an entry of the
// audit bucket, Key its 16-byte key in hex: time and sequence). Values are the stored JSON.
// Sessions are not records: they are not migrated (staff sign in again).
type AuthRecord struct {
	Kind, Key string
	Value     []byte
}

// authBuckets are the buckets of each kind of AuthRecord, and whether the key is hex.
var authBuckets = []struct {
	kind   string
	bucket []byte
	hexKey bool
}{
	{"staff", bucketStaff, false},
	{"device", bucketDevices, true},
	{"revoked", bucketDevicesRevoked, false},
	{"audit", bucketAudit, true},
}

// AuthRecords calls fn with every account record of the file, in one read transaction.
func (db *DB) AuthRecords(ctx context.Context, fn func(AuthRecord) error) error {
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		for _, ab := range authBuckets {
			b := tx.Bucket(ab.bucket)
			if b == nil {
				continue
			}
			err := b.ForEach(func(k, v []byte) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				key := string(k)
				if ab.hexKey {
					key = hex.EncodeToString(k)
				}
				return fn(AuthRecord{Kind: ab.kind, Key: key, Value: bytes.Clone(v)})
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt: read account records: %w", err)
	}
	return nil
}

// ErrAccountsExist is returned by PutAuthRecords when the file already holds a staff account.
var ErrAccountsExist = errors.New("the target already holds staff accounts")

// PutAuthRecords writes records (AuthRecords' form) into the file in one transaction. The first
// call refuses a file that holds a staff account (ErrAccountsExist).
func (db *DB) PutAuthRecords(recs []AuthRecord, first bool) error {
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if first {
			if k, _ := tx.Bucket(bucketStaff).Cursor().First(); k != nil {
				return ErrAccountsExist
			}
		}
		for _, r := range recs {
			i := 0
			for i < len(authBuckets) && authBuckets[i].kind != r.Kind {
				i++
			}
			if i == len(authBuckets) {
				return fmt.Errorf("unknown record kind %q", r.Kind)
			}
			key := []byte(r.Key)
			if authBuckets[i].hexKey {
				var err error
				if key, err = hex.DecodeString(r.Key); err != nil {
					return fmt.Errorf("%s key %q: %w", r.Kind, r.Key, err)
				}
			}
			b, err := tx.CreateBucketIfNotExists(authBuckets[i].bucket)
			if err != nil {
				return err
			}
			if err := b.Put(key, bytes.Clone(r.Value)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt: put account records: %w", err)
	}
	return nil
}
