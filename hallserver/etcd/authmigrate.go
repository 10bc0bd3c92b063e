package etcd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// AuthRecord is one record of the accounts in a form that does not depend on the store (hallctl
// migrate; the same kinds as bolt.AuthRecord): "staff" (Key the username), "device" (Key the
// token's SHA-256 in hex), "revoked" (Key the device ID), "audit" (Key the entry's key: hex of
// its time and a number that orders entries of the same instant). Sessions are not migrated.
type AuthRecord struct {
	Kind, Key string
	Value     []byte
}

// authKinds are the key prefixes (under the store's prefix) of each kind of AuthRecord.
var authKinds = []struct{ kind, dir string }{
	{"staff", "auth/staff/"},
	{"device", "auth/dev/"},
	{"revoked", "auth/devrev/"},
	{"audit", "audit/"},
}

// AuthRecords calls fn with every account record under prefix, page by page at one revision.
func AuthRecords(ctx context.Context, cli *clientv3.Client, prefix string, fn func(AuthRecord) error) error {
	var rev int64
	for _, k := range authKinds {
		from, end := prefix+k.dir, clientv3.GetPrefixRangeEnd(prefix+k.dir)
		for {
			opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(1000)}
			if rev != 0 {
				opts = append(opts, clientv3.WithRev(rev))
			}
			r, err := cli.Get(ctx, from, opts...)
			if err != nil {
				return fmt.Errorf("etcd: read account records: %w", err)
			}
			rev = r.Header.Revision
			for _, kv := range r.Kvs {
				key := strings.TrimPrefix(string(kv.Key), prefix+k.dir)
				if err := fn(AuthRecord{Kind: k.kind, Key: key, Value: kv.Value}); err != nil {
					return err
				}
			}
			if !r.More || len(r.Kvs) == 0 {
				break
			}
			from = string(r.Kvs[len(r.Kvs)-1].Key) + "\x00"
		}
	}
	return nil
}

// ErrAccountsExist is returned by PutAuthRecords when the cluster already holds a staff account.
var ErrAccountsExist = errors.New("etcd already holds staff accounts")

// PutAuthRecords writes records at most MaxTxnOps a Txn, each only while no server owns the
// halls (ErrOwned). The first call refuses a cluster that holds a staff account.
func PutAuthRecords(ctx context.Context, cli *clientv3.Client, prefix string, recs []AuthRecord, first bool) error {
	if first {
		if err := refuseHeld(ctx, cli, prefix+"auth/staff/", ErrAccountsExist); err != nil {
			return err
		}
	}
	ops := make([]clientv3.Op, 0, len(recs))
	for _, r := range recs {
		i := 0
		for i < len(authKinds) && authKinds[i].kind != r.Kind {
			i++
		}
		if i == len(authKinds) || r.Key == "" || strings.Contains(r.Key, "/") {
			return fmt.Errorf("etcd: record %s %q: not an account record", r.Kind, r.Key)
		}
		ops = append(ops, clientv3.OpPut(prefix+authKinds[i].dir+r.Key, string(r.Value)))
	}
	return putUnowned(ctx, cli, prefix, ops)
}
