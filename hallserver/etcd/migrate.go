package etcd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Record is one record of the halls' queues in a form that does not depend on the store
// (hallctl migrate; the same kinds as bolt.QueueRecord): "meta", "event" (Key the seq in
// decimal), "ticket", "token" (Value the ticket ID), "open" (Value the ticket), "idem".
type Record struct {
	Kind, Hall, Key string
	Value           []byte
}

// Records calls fn with every record of the halls' queues (the open tickets of each hall's
// current generation), reading the prefix page by page at one revision.
func (s *QueueStore) Records(ctx context.Context, fn func(Record) error) error {
	base := s.prefix + "q/"
	gens := map[string]string{}
	g, err := s.cli.Get(ctx, base+"gen/", clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("etcd: read generations: %w", err)
	}
	for _, kv := range g.Kvs {
		gens[strings.TrimPrefix(string(kv.Key), base+"gen/")] = string(kv.Value)
	}
	rev := g.Header.Revision
	from, end := base, clientv3.GetPrefixRangeEnd(base)
	for {
		r, err := s.cli.Get(ctx, from, clientv3.WithRange(end), clientv3.WithLimit(1000), clientv3.WithRev(rev))
		if err != nil {
			return fmt.Errorf("etcd: read records: %w", err)
		}
		for _, kv := range r.Kvs {
			rest := strings.TrimPrefix(string(kv.Key), base)
			kind, rest, _ := strings.Cut(rest, "/")
			rec := Record{Kind: kind, Value: kv.Value}
			switch kind {
			case "meta":
				rec.Hall = rest
			case "t":
				rec.Kind, rec.Key = "ticket", rest
			case "tok":
				rec.Kind, rec.Key = "token", rest
			case "idem":
				rec.Hall, rec.Key, _ = strings.Cut(rest, "/")
			case "ev":
				var seq string
				rec.Kind = "event"
				rec.Hall, seq, _ = strings.Cut(rest, "/")
				n, err := strconv.ParseUint(seq, 10, 64)
				if err != nil {
					return fmt.Errorf("etcd: event key %s: %w", kv.Key, err)
				}
				rec.Key = strconv.FormatUint(n, 10)
			case "open":
				var gen string
				rec.Hall, rest, _ = strings.Cut(rest, "/")
				gen, rec.Key, _ = strings.Cut(rest, "/")
				cur, _ := strconv.ParseUint(gens[rec.Hall], 10, 64)
				if n, err := strconv.ParseUint(gen, 10, 64); err != nil || n != cur {
					continue // an old generation (not yet dropped)
				}
			default:
				continue // gen/ and what is not a queue record
			}
			if err := fn(rec); err != nil {
				return err
			}
		}
		if !r.More || len(r.Kvs) == 0 {
			return nil
		}
		from = string(r.Kvs[len(r.Kvs)-1].Key) + "\x00"
	}
}

// ErrNotEmpty is returned by PutRecords when the cluster already holds a hall's queue.
var ErrNotEmpty = errors.New("etcd already holds queue records")

// ErrOwned is returned by PutRecords while a hall server owns the halls: stop them first.
var ErrOwned = errors.New("a hall server owns the halls: stop every hall server before migrating")

// PutRecords writes records at most MaxTxnOps a Txn, each only while no server owns the halls.
// The first call refuses a cluster that already holds a hall's meta (ErrNotEmpty).
func (s *QueueStore) PutRecords(ctx context.Context, recs []Record, first bool) error {
	if first {
		if err := refuseHeld(ctx, s.cli, s.prefix+"q/meta/", ErrNotEmpty); err != nil {
			return err
		}
	}
	ops := make([]clientv3.Op, 0, len(recs))
	for _, r := range recs {
		var key string
		switch r.Kind {
		case "meta":
			key = s.metaKey(r.Hall)
		case "ticket":
			key = s.ticketKey(r.Key)
		case "token":
			key = s.tokenKey(r.Key)
		case "idem":
			key = s.idemPrefix(r.Hall) + r.Key
		case "open":
			key = s.openPrefix(r.Hall, 0) + r.Key
		case "event":
			seq, err := strconv.ParseUint(r.Key, 10, 64)
			if err != nil {
				return fmt.Errorf("etcd: event seq %q: %w", r.Key, err)
			}
			key = s.evKey(r.Hall, seq)
		default:
			return fmt.Errorf("etcd: unknown record kind %q", r.Kind)
		}
		ops = append(ops, clientv3.OpPut(key, string(r.Value)))
	}
	return putUnowned(ctx, s.cli, s.prefix, ops)
}

// refuseHeld returns held when the cluster holds a key under prefix (a migration's target must
// not).
func refuseHeld(ctx context.Context, cli *clientv3.Client, prefix string, held error) error {
	r, err := cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return fmt.Errorf("etcd: check target: %w", err)
	}
	if r.Count > 0 {
		return held
	}
	return nil
}

// putUnowned commits a migration's puts at most MaxTxnOps a Txn, each only while no server owns
// the halls (ErrOwned).
func putUnowned(ctx context.Context, cli *clientv3.Client, prefix string, ops []clientv3.Op) error {
	for len(ops) > 0 {
		n := min(len(ops), MaxTxnOps)
		t, err := cli.Txn(ctx).If(noOwner(prefix)).Then(ops[:n]...).Commit()
		if err != nil {
			return fmt.Errorf("etcd: put records: %w", err)
		}
		if !t.Succeeded {
			return ErrOwned
		}
		ops = ops[n:]
	}
	return nil
}

// noOwner is the compare of a migration's Txn: no server owns the halls.
func noOwner(prefix string) clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(prefix+"owner/"), "=", 0).WithPrefix()
}
