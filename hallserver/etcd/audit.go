package etcd

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/hall"
)

// AuditTrail is the audit entries of the accounts, devices and sessions on etcd (the entries the
// bbolt file keeps in its audit bucket), written in the Txn of the change they record by Auth
// and read with the other sources by bolt.Audit (its WithTrail). Keys sort by time (doc.go).
type AuditTrail struct {
	cli    *clientv3.Client
	prefix string
	fence  Fence
	keys   *auditKeys
}

// NewAuditTrail returns the audit entries on cli under prefix, written while fence allows.
func NewAuditTrail(cli *clientv3.Client, prefix string, fence Fence) *AuditTrail {
	return &AuditTrail{cli: cli, prefix: prefix, fence: fence, keys: newAuditKeys()}
}

func (t *AuditTrail) base() string { return t.prefix + "audit/" }

// Record writes an entry that changes nothing else (a backup) in its own Txn, fenced.
func (t *AuditTrail) Record(ctx context.Context, e hall.AuditEntry) error {
	op, err := t.keys.put(t.prefix, e)
	if err == nil {
		err = commit(ctx, t.cli, t.fence, nil, []clientv3.Op{op})
	}
	if err != nil {
		return unavailable("record audit entry", err)
	}
	return nil
}

// Prune deletes the entries before cut in one fenced DeleteRange and returns how many; a server
// that does not own the halls prunes nothing (the owner does).
func (t *AuditTrail) Prune(ctx context.Context, cut time.Time) (int, error) {
	end := t.base() + hex.EncodeToString(binary.BigEndian.AppendUint64(nil, uint64(max(cut.UnixNano(), 0))))
	r, err := t.deleteRange(ctx, end)
	if errors.Is(err, ErrNotOwner) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("etcd: prune audit: %w", err)
	}
	return r, nil
}

func (t *AuditTrail) deleteRange(ctx context.Context, end string) (int, error) {
	key, rev, ok := t.fence()
	if !ok {
		return 0, ErrNotOwner
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := t.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", rev)).
		Then(clientv3.OpDelete(t.base(), clientv3.WithRange(end))).Commit()
	if err != nil {
		return 0, err
	}
	if !r.Succeeded {
		return 0, ErrNotOwner
	}
	return int(r.Responses[0].GetResponseDeleteRange().Deleted), nil
}

// Before returns at most n entries whose keys are below before ("": the newest), newest first,
// with their keys.
func (t *AuditTrail) Before(ctx context.Context, before string, n int) ([]string, []hall.AuditEntry, error) {
	end := clientv3.GetPrefixRangeEnd(t.base())
	if before != "" {
		end = t.base() + before
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := t.cli.Get(ctx, t.base(), clientv3.WithRange(end), clientv3.WithLimit(int64(n)),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
	if err != nil {
		return nil, nil, fmt.Errorf("etcd: read audit entries: %w", err)
	}
	keys, out := make([]string, 0, len(r.Kvs)), make([]hall.AuditEntry, 0, len(r.Kvs))
	for _, kv := range r.Kvs {
		var e hall.AuditEntry
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			return nil, nil, fmt.Errorf("etcd: decode %s: %w", kv.Key, err)
		}
		keys, out = append(keys, strings.TrimPrefix(string(kv.Key), t.base())), append(out, e)
	}
	return keys, out, nil
}

// Bound is the key bound above every entry at or before at.
func (t *AuditTrail) Bound(at time.Time) string { return auditBound(at) }
