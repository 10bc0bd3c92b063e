package etcd

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// The halls' event logs and the case log as the audit page reads them (bolt.HallLogs,
// bolt.CaseLog): the counter actions and the case actions, with who acted, are audit entries in
// etcd's logs as in the file's.

// Halls returns the codes of the halls with a queue on etcd (a meta key).
func (s *QueueStore) Halls(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	base := s.prefix + "q/meta/"
	r, err := s.cli.Get(ctx, base, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, fmt.Errorf("etcd: read the halls: %w", err)
	}
	out := make([]string, 0, len(r.Kvs))
	for _, kv := range r.Kvs {
		out = append(out, strings.TrimPrefix(string(kv.Key), base))
	}
	return out, nil
}

// EventsBefore returns at most n events (JSON) of the hall with seqs below before, newest first,
// with their seqs.
func (s *QueueStore) EventsBefore(ctx context.Context, code string, before uint64, n int) ([]uint64, [][]byte, error) {
	return seqsBefore(ctx, s.cli, s.evPrefix(code), before, n)
}

// CaseEventsBefore returns at most n stored case events (JSON, the bbolt store's format 2) with
// seqs below before, newest first, with their seqs: the case log as the audit page reads it.
func (s *CaseStore) CaseEventsBefore(ctx context.Context, before uint64, n int) ([]uint64, [][]byte, error) {
	return seqsBefore(ctx, s.cli, s.k("ev/"), before, n)
}

// seqsBefore reads a log keyed prefix + %020d seq backwards: at most n values with seqs below
// before (math.MaxUint64: from the newest), newest first.
func seqsBefore(ctx context.Context, cli *clientv3.Client, prefix string, before uint64, n int) ([]uint64, [][]byte, error) {
	end := clientv3.GetPrefixRangeEnd(prefix)
	if before != math.MaxUint64 {
		end = fmt.Sprintf("%s%020d", prefix, before)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := cli.Get(ctx, prefix, clientv3.WithRange(end), clientv3.WithLimit(int64(n)),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
	if err != nil {
		return nil, nil, fmt.Errorf("etcd: read %s: %w", prefix, err)
	}
	seqs, vals := make([]uint64, len(r.Kvs)), make([][]byte, len(r.Kvs))
	for i, kv := range r.Kvs {
		seq, err := strconv.ParseUint(strings.TrimPrefix(string(kv.Key), prefix), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("etcd: log key %s: %w", kv.Key, err)
		}
		seqs[i], vals[i] = seq, kv.Value
	}
	return seqs, vals, nil
}
