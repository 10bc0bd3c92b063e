package etcd

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/authkit"
	"onedoor/hallserver/hall"
)

// commit runs ops in one Txn if every compare holds and, when fence is not nil, only while the
// fence holds: ErrNotOwner when it does not, errConflict when it does but another compare
// failed (a compare-and-swap that lost).
func commit(ctx context.Context, cli *clientv3.Client, fence Fence, cmps []clientv3.Cmp, ops []clientv3.Op) error {
	var (
		fenceKey string
		fenceRev int64
	)
	if fence != nil {
		key, rev, ok := fence()
		if !ok {
			return ErrNotOwner
		}
		fenceKey, fenceRev = key, rev
		cmps = append([]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(key), "=", rev)}, cmps...)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	txn := cli.Txn(ctx).If(cmps...).Then(ops...)
	if fence != nil {
		txn = txn.Else(clientv3.OpGet(fenceKey))
	}
	r, err := txn.Commit()
	if err != nil {
		return fmt.Errorf("etcd: commit: %w", err)
	}
	if r.Succeeded {
		return nil
	}
	if fence != nil {
		kvs := r.Responses[0].GetResponseRange().Kvs
		if len(kvs) == 0 || kvs[0].CreateRevision != fenceRev {
			return ErrNotOwner
		}
	}
	return errConflict
}

// auditKeys makes the key suffixes of one store's audit entries: the entry's time (Unix ns), a
// counter and a number drawn at random when the store was made, in hex, so that keys sort by
// time, entries of the same instant keep the order this store wrote them in, and two stores (two
// servers) never write the same key.
type auditKeys struct {
	rnd uint32
	n   atomic.Uint32
}

func newAuditKeys() *auditKeys { return &auditKeys{rnd: rand.Uint32()} }

func (k *auditKeys) key(at time.Time) string {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(max(at.UnixNano(), 0)))
	b = binary.BigEndian.AppendUint32(b, k.n.Add(1))
	b = binary.BigEndian.AppendUint32(b, k.rnd)
	return hex.EncodeToString(b)
}

// auditBound is the smallest key suffix after every entry at or before t.
func auditBound(t time.Time) string {
	return hex.EncodeToString(binary.BigEndian.AppendUint64(nil, uint64(max(t.UnixNano()+1, 0))))
}

// put is the operation writing an audit entry under prefix, in the Txn of the change it
// records.
func (k *auditKeys) put(prefix string, e hall.AuditEntry) (clientv3.Op, error) {
	e = authkit.ClipAudit(e)
	v, err := json.Marshal(e)
	if err != nil {
		return clientv3.Op{}, fmt.Errorf("etcd: encode audit entry: %w", err)
	}
	return clientv3.OpPut(prefix+"audit/"+k.key(e.At), string(v)), nil
}
