package etcd

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// The halls' event logs as the audit page reads them (bolt.HallLogs): the counter actions, with
// the staff member who acted, are audit entries in etcd's event log as in the file's.

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
	end := clientv3.GetPrefixRangeEnd(s.evPrefix(code))
	if before != math.MaxUint64 {
		end = s.evKey(code, before)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := s.cli.Get(ctx, s.evPrefix(code), clientv3.WithRange(end), clientv3.WithLimit(int64(n)),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
	if err != nil {
		return nil, nil, fmt.Errorf("etcd: read the events of %s: %w", code, err)
	}
	seqs, vals := make([]uint64, len(r.Kvs)), make([][]byte, len(r.Kvs))
	for i, kv := range r.Kvs {
		seq, err := strconv.ParseUint(strings.TrimPrefix(string(kv.Key), s.evPrefix(code)), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("etcd: event key %s: %w", kv.Key, err)
		}
		seqs[i], vals[i] = seq, kv.Value
	}
	return seqs, vals, nil
}
