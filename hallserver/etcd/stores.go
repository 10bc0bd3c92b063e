package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/hall"
)

// The services kept next to the queues (appointments, visit ratings, topic answers, the
// long-standing list, the notifier's outbox): each record under prefix+"s/{bucket}/{key}", with
// the same keys and values as package bolt's bucket of that name (doc.go), so that hallctl
// migrate copies them one to one.

// Buckets of the service stores (package bolt's bucket names, doc.go).
const (
	bucketAppt        = "appt"          // booking ID → hall.Appointment (JSON)
	bucketApptToken   = "appt.token"    // booking token → ID
	bucketApptDay     = "appt.day"      // {hall}/{day}/{ID} → "" (a day's bookings)
	bucketApptWho     = "appt.who"      // {identity}\x00{day}\x00{ID} → "" (a requester's bookings)
	bucketApptVer     = "appt.ver"      // {hall}/{day} → version: every change of the day's bookings rewrites it
	bucketVisitRating = "visit.ratings" // ticket ID → hall.VisitRating (JSON)
	bucketTopicAnswer = "topics.answers"
	bucketTopicCase   = "topics.cases"
	bucketLongList    = "longlist"
	bucketNoticeOut   = "notify.outbox"
	bucketNoticeSent  = "notify.sent"
	bucketCursor      = "notify.cursor" // the notifier's cursors (bolt keeps them in outbox.cursor)
	bucketSeq         = "seq"           // bucket name → its last sequence number (bbolt's NextSequence)
)

// maxAttempts bounds how often a write is tried again after another write changed what it read.
const maxAttempts = 200

// kvStore is the fenced access the service stores share: reads at one revision, then one Txn
// that commits only while the owner's election key is this term's and every key read is
// unchanged (optimistic concurrency: on a conflict the write is computed again from fresh reads).
type kvStore struct {
	cli    *clientv3.Client
	prefix string
	fence  Fence
}

func (k *kvStore) key(bucket, key string) string { return k.prefix + "s/" + bucket + "/" + key }

// reads is the view of one attempt: every read is at the revision of the first, and the mod
// revision of every key read is compared at the commit.
type reads struct {
	k    *kvStore
	ctx  context.Context
	rev  int64
	seen map[string]int64
}

func (r *reads) opts(extra ...clientv3.OpOption) []clientv3.OpOption {
	if r.rev > 0 {
		extra = append(extra, clientv3.WithRev(r.rev))
	}
	return extra
}

// get reads a key of a bucket (nil when absent) and compares it at the commit.
func (r *reads) get(bucket, key string) ([]byte, error) {
	return r.getKey(r.k.key(bucket, key))
}

// getKey reads a key (nil when absent) and compares it at the commit.
func (r *reads) getKey(k string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(r.ctx, opTimeout)
	defer cancel()
	g, err := r.k.cli.Get(ctx, k, r.opts()...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", k, err)
	}
	if r.rev == 0 {
		r.rev = g.Header.Revision
	}
	if len(g.Kvs) == 0 {
		r.seen[k] = 0
		return nil, nil
	}
	r.seen[k] = g.Kvs[0].ModRevision
	return g.Kvs[0].Value, nil
}

// getAll reads keys of a bucket in one Txn (at most MaxTxnOps) and compares them at the commit;
// a missing key's value is nil.
func (r *reads) getAll(bucket string, keys []string) ([][]byte, error) {
	ops := make([]clientv3.Op, len(keys))
	for i, k := range keys {
		ops[i] = clientv3.OpGet(r.k.key(bucket, k), r.opts()...)
	}
	ctx, cancel := context.WithTimeout(r.ctx, opTimeout)
	defer cancel()
	t, err := r.k.cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return nil, fmt.Errorf("read %d keys of %s: %w", len(keys), bucket, err)
	}
	if r.rev == 0 {
		r.rev = t.Header.Revision
	}
	out := make([][]byte, len(keys))
	for i, resp := range t.Responses {
		k := r.k.key(bucket, keys[i])
		r.seen[k] = 0
		if kvs := resp.GetResponseRange().Kvs; len(kvs) > 0 {
			r.seen[k], out[i] = kvs[0].ModRevision, kvs[0].Value
		}
	}
	return out, nil
}

// scan reads the keys of a bucket starting with p, in key order (descending with desc), at
// most limit (0: all). A scan is not compared at the commit: a write that depends on a range
// reads (get) a version key that every change of the range rewrites.
func (r *reads) scan(bucket, p string, desc bool, limit int64) ([]*mvccpb.KeyValue, error) {
	k := r.k.key(bucket, p)
	ctx, cancel := context.WithTimeout(r.ctx, opTimeout)
	defer cancel()
	o := r.opts(clientv3.WithPrefix(), clientv3.WithLimit(limit))
	if desc {
		o = append(o, clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
	}
	g, err := r.k.cli.Get(ctx, k, o...)
	if err != nil {
		return nil, fmt.Errorf("read %s…: %w", k, err)
	}
	if r.rev == 0 {
		r.rev = g.Header.Revision
	}
	return g.Kvs, nil
}

// base returns the key of a record of the scan's bucket (prefix+"s/{bucket}/" dropped).
func (k *kvStore) base(bucket string, kv *mvccpb.KeyValue) string {
	return string(kv.Key[len(k.key(bucket, "")):])
}

// decode decodes a stored JSON value (what names it in the error).
func decode[T any](what string, v []byte) (*T, error) {
	x := new(T)
	if err := json.Unmarshal(v, x); err != nil {
		return nil, fmt.Errorf("decode %s: %w", what, err)
	}
	return x, nil
}

// getJSON reads and decodes the value of a key of a bucket (nil when absent), compared at the
// commit.
func getJSON[T any](r *reads, bucket, key string) (*T, error) {
	return getKeyJSON[T](r, r.k.key(bucket, key))
}

// getKeyJSON is getJSON of a whole key.
func getKeyJSON[T any](r *reads, k string) (*T, error) {
	v, err := r.getKey(k)
	if err != nil || v == nil {
		return nil, err
	}
	return decode[T](k, v)
}

// writes are the operations of one attempt's Txn.
type writes []clientv3.Op

func (w *writes) put(k *kvStore, bucket, key string, v []byte) {
	*w = append(*w, clientv3.OpPut(k.key(bucket, key), string(v)))
}

func (w *writes) del(k *kvStore, bucket, key string) {
	*w = append(*w, clientv3.OpDelete(k.key(bucket, key)))
}

// errConflict is an attempt's Txn refused because a key it read has changed.
var errConflict = errors.New("changed meanwhile")

// notOwner is the error of a write refused by the fence: EUNAVAILABLE (503, nothing changed)
// and ErrNotOwner.
func notOwner(what string) error {
	return fmt.Errorf("%w: %w", hall.Errorf(hall.EUNAVAILABLE, "", "etcd: %s: this server no longer owns the halls, nothing changed: retry", what), ErrNotOwner)
}

// unavailable wraps a storage failure as EUNAVAILABLE (a *hall.Error is returned as it is).
func unavailable(what string, err error) error {
	var he *hall.Error
	if err == nil || errors.As(err, &he) || errors.Is(err, context.Canceled) {
		return err
	}
	return hall.Errorf(hall.EUNAVAILABLE, "", "etcd: %s: %v", what, err)
}

// view runs fn over reads at one revision (no write).
func (k *kvStore) view(ctx context.Context, what string, fn func(r *reads) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return unavailable(what, fn(&reads{k: k, ctx: ctx, seen: map[string]int64{}}))
}

// update runs fn over fresh reads and commits the writes it returns in one Txn fenced on the
// owner's election key and compared on every key fn read; when one of those changed meanwhile,
// fn runs again. A *hall.Error of fn refuses the change (nothing is written) and is returned as
// it is; storage failures are EUNAVAILABLE; a server that is not the owner gets ErrNotOwner.
func (k *kvStore) update(ctx context.Context, what string, fn func(r *reads) (writes, error)) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		fkey, frev, ok := k.fence()
		if !ok {
			return notOwner(what)
		}
		r := &reads{k: k, ctx: ctx, seen: map[string]int64{}}
		w, err := fn(r)
		if err != nil {
			return unavailable(what, err)
		}
		if len(w) == 0 {
			return nil
		}
		err = k.commit(ctx, fkey, frev, r.seen, w)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errConflict) {
			if errors.Is(err, ErrNotOwner) {
				return notOwner(what)
			}
			return unavailable(what, err)
		}
		if attempt >= maxAttempts {
			return hall.Errorf(hall.EUNAVAILABLE, "", "etcd: %s: too many concurrent changes, nothing changed: retry", what)
		}
		// Let the writer that won go first: a short random pause spreads the retries.
		select {
		case <-time.After(time.Duration(rand.IntN(5*(min(attempt, 10)+1))) * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// commit is one fenced Txn: ErrNotOwner when the fence no longer holds, errConflict when a key
// read changed.
func (k *kvStore) commit(ctx context.Context, fkey string, frev int64, seen map[string]int64, w writes) error {
	cmps := []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(fkey), "=", frev)}
	for key, rev := range seen {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(key), "=", rev))
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := k.cli.Txn(ctx).If(cmps...).Then(w...).Else(clientv3.OpGet(fkey)).Commit()
	if err != nil {
		return fmt.Errorf("commit %d operations: %w", len(w), err)
	}
	if r.Succeeded {
		return nil
	}
	if kvs := r.Responses[0].GetResponseRange().Kvs; len(kvs) == 0 || kvs[0].CreateRevision != frev {
		return ErrNotOwner
	}
	return errConflict
}
