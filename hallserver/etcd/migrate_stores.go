package etcd

import (
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ServiceRecords calls fn with every record of the services kept beside the queues
// (appointments, visit ratings, topic answers, the long-standing list, the notifier's outbox,
// cursors and the sequences: Kind the bucket, as bolt.DB.ServiceRecords), reading prefix+"s/"
// page by page at one revision. The days' versions (appt.ver) are the store's own and left out.
func (s *QueueStore) ServiceRecords(ctx context.Context, fn func(Record) error) error {
	base := s.prefix + "s/"
	from, end := base, clientv3.GetPrefixRangeEnd(base)
	var rev int64
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(1000)}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		r, err := s.cli.Get(ctx, from, opts...)
		if err != nil {
			return fmt.Errorf("etcd: read service records: %w", err)
		}
		rev = r.Header.Revision
		for _, kv := range r.Kvs {
			bucket, key, _ := strings.Cut(string(kv.Key[len(base):]), "/")
			if bucket == bucketApptVer {
				continue
			}
			if err := fn(Record{Kind: bucket, Key: key, Value: kv.Value}); err != nil {
				return err
			}
		}
		if !r.More || len(r.Kvs) == 0 {
			return nil
		}
		from = string(r.Kvs[len(r.Kvs)-1].Key) + "\x00"
	}
}

// serviceKinds are the record kinds of ServiceRecords.
var serviceKinds = map[string]bool{bucketAppt: true, bucketApptToken: true, bucketApptDay: true, bucketApptWho: true,
	bucketVisitRating: true, bucketTopicAnswer: true, bucketTopicCase: true, bucketLongList: true,
	bucketNoticeOut: true, bucketNoticeSent: true, bucketCursor: true, bucketSeq: true}

// PutServiceRecords writes records of ServiceRecords at most MaxTxnOps a Txn, each only while no
// server owns the halls (ErrOwned). The first call refuses a cluster that holds service records
// already (ErrNotEmpty).
func (s *QueueStore) PutServiceRecords(ctx context.Context, recs []Record, first bool) error {
	if first {
		r, err := s.cli.Get(ctx, s.prefix+"s/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			return fmt.Errorf("etcd: check target: %w", err)
		}
		if r.Count > 0 {
			return ErrNotEmpty
		}
	}
	noOwner := clientv3.Compare(clientv3.CreateRevision(s.prefix+"owner/"), "=", 0).WithPrefix()
	kv := kvStore{prefix: s.prefix}
	for len(recs) > 0 {
		n := min(len(recs), MaxTxnOps)
		var ops []clientv3.Op
		for _, r := range recs[:n] {
			if !serviceKinds[r.Kind] {
				return fmt.Errorf("etcd: unknown service record kind %q", r.Kind)
			}
			ops = append(ops, clientv3.OpPut(kv.key(r.Kind, r.Key), string(r.Value)))
		}
		t, err := s.cli.Txn(ctx).If(noOwner).Then(ops...).Commit()
		if err != nil {
			return fmt.Errorf("etcd: put service records: %w", err)
		}
		if !t.Succeeded {
			return ErrOwned
		}
		recs = recs[n:]
	}
	return nil
}
