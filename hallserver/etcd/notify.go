package etcd

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/notify"
)

var _ notify.Store = (*NoticeStore)(nil)

// noticesPerTxn bounds the notices one Enqueue Txn adds: each reads and compares two keys
// (waiting, delivered) and etcd bounds a Txn's reads and compares like its operations
// (--max-txn-ops).
const noticesPerTxn = (MaxTxnOps - 2) / 2

// NoticeStore is the notifier's outbox on etcd (package notify's Store; buckets notify.outbox,
// notify.sent, notify.cursor: doc.go), as package bolt's NoticeStore: the notices not yet
// delivered, the dedupe keys of those delivered and the notifier's cursors (the case log's and
// each hall's). Adding the notices of a batch of events and moving the cursor past them is one
// Txn fenced on the owner's key (a batch of more notices than a Txn takes is added in several,
// the cursor with the last: a crash between them makes the notifier read the events again, and
// the dedupe keys keep it from adding a notice twice).
type NoticeStore struct {
	kv kvStore
}

// NewNoticeStore returns the outbox on cli under prefix, written only while fence allows.
func NewNoticeStore(cli *clientv3.Client, prefix string, fence Fence) *NoticeStore {
	return &NoticeStore{kv: kvStore{cli: cli, prefix: prefix, fence: fence}}
}

// Cursor returns the seq of the last event whose notices are in the outbox; ok is false when
// none was stored.
func (s *NoticeStore) Cursor(ctx context.Context, name string) (seq uint64, ok bool, err error) {
	err = s.kv.view(ctx, "read the notifier's cursor", func(r *reads) error {
		v, err := r.get(bucketCursor, name)
		switch {
		case err != nil || v == nil:
			return err
		case len(v) != 8:
			return fmt.Errorf("cursor %q of %d bytes", name, len(v))
		}
		seq, ok = binary.BigEndian.Uint64(v), true
		return nil
	})
	return seq, ok, err
}

// Enqueue adds the notices whose keys are neither waiting nor delivered, and sets the cursor to
// seq. It returns how many notices were added.
func (s *NoticeStore) Enqueue(ctx context.Context, name string, seq uint64, ns []hall.Notification) (int, error) {
	added := 0
	for {
		part := ns[:min(len(ns), noticesPerTxn)]
		ns = ns[len(part):]
		n := 0
		err := s.kv.update(ctx, "enqueue notices", func(r *reads) (writes, error) {
			var w writes
			n = 0
			var keys []string
			for _, x := range part {
				if x.Key != "" {
					keys = append(keys, x.Key)
				}
			}
			waiting, err := r.getAll(bucketNoticeOut, keys)
			if err != nil {
				return nil, err
			}
			sent, err := r.getAll(bucketNoticeSent, keys)
			if err != nil {
				return nil, err
			}
			known := map[string]bool{}
			for i, k := range keys {
				known[k] = waiting[i] != nil || sent[i] != nil
			}
			for _, x := range part {
				if x.Key == "" || known[x.Key] {
					continue
				}
				v, err := json.Marshal(x)
				if err != nil {
					return nil, err
				}
				w.put(&s.kv, bucketNoticeOut, x.Key, v)
				known[x.Key] = true
				n++
			}
			if len(ns) == 0 {
				w.put(&s.kv, bucketCursor, name, binary.BigEndian.AppendUint64(nil, seq))
			}
			return w, nil
		})
		if err != nil {
			return added, err
		}
		added += n
		if len(ns) == 0 {
			return added, nil
		}
	}
}

// Pending returns the notices waiting in the outbox (dead ones included), in key order.
func (s *NoticeStore) Pending(ctx context.Context) ([]hall.Notification, error) {
	var out []hall.Notification
	err := s.kv.view(ctx, "read notices", func(r *reads) error {
		kvs, err := r.scan(bucketNoticeOut, "", false, 0)
		for _, kv := range kvs {
			var n hall.Notification
			if err := json.Unmarshal(kv.Value, &n); err != nil {
				return fmt.Errorf("notice %q: %w", kv.Key, err)
			}
			out = append(out, n)
		}
		return err
	})
	return out, err
}

// Delivered removes the notice from the outbox and records its key as delivered at at.
func (s *NoticeStore) Delivered(ctx context.Context, key string, at time.Time) error {
	return s.kv.update(ctx, "mark notice delivered", func(*reads) (writes, error) {
		var w writes
		w.del(&s.kv, bucketNoticeOut, key)
		w.put(&s.kv, bucketNoticeSent, key, binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano())))
		return w, nil
	})
}

// Update stores a waiting notice again (attempts, next try, error, dead); a notice no longer in
// the outbox (delivered meanwhile) is left out, and ok is false.
func (s *NoticeStore) Update(ctx context.Context, n hall.Notification) (ok bool, err error) {
	err = s.kv.update(ctx, "update notice", func(r *reads) (writes, error) {
		ok = false
		old, err := r.get(bucketNoticeOut, n.Key)
		if err != nil || old == nil {
			return nil, err
		}
		v, err := json.Marshal(n)
		if err != nil {
			return nil, err
		}
		ok = true
		var w writes
		w.put(&s.kv, bucketNoticeOut, n.Key, v)
		return w, nil
	})
	return ok, err
}

// PruneDelivered forgets the dedupe keys of notices delivered before t. It returns how many
// were removed.
func (s *NoticeStore) PruneDelivered(ctx context.Context, t time.Time) (int, error) {
	var old []string
	err := s.kv.view(ctx, "read delivered notices", func(r *reads) error {
		kvs, err := r.scan(bucketNoticeSent, "", false, 0)
		for _, kv := range kvs {
			if len(kv.Value) == 8 && int64(binary.BigEndian.Uint64(kv.Value)) < t.UnixNano() {
				old = append(old, s.kv.base(bucketNoticeSent, kv))
			}
		}
		return err
	})
	n := 0
	for err == nil && n < len(old) {
		part := old[n:min(len(old), n+MaxTxnOps)]
		err = s.kv.update(ctx, "prune delivered notices", func(*reads) (writes, error) {
			var w writes
			for _, k := range part {
				w.del(&s.kv, bucketNoticeSent, k)
			}
			return w, nil
		})
		if err == nil {
			n += len(part)
		}
	}
	return n, err
}
