package etcd

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ProbeMaxTxnOps finds the cluster's --max-txn-ops (etcd's default is 128; it is not readable
// through the API): a binary search with Txns of compares only, on a key under prefix that
// nothing writes, so nothing is written and no fence is needed. It looks no higher than limit.
func ProbeMaxTxnOps(ctx context.Context, cli *clientv3.Client, prefix string, limit int) (int, error) {
	key := prefix + "probe/max-txn-ops"
	fits := func(n int) (bool, error) {
		cmps := make([]clientv3.Cmp, n)
		for i := range cmps {
			cmps[i] = clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
		}
		tctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		_, err := cli.Txn(tctx).If(cmps...).Commit()
		switch {
		case err == nil:
			return true, nil
		case strings.Contains(err.Error(), "too many operations in txn request"):
			return false, nil
		default:
			return false, fmt.Errorf("etcd: probe --max-txn-ops with %d operations: %w", n, err)
		}
	}
	lo, hi := 1, limit // lo fits (one compare always does); the answer is in [lo, hi]
	if ok, err := fits(hi); err != nil || ok {
		return hi, err
	}
	hi--
	for lo < hi {
		mid := (lo + hi + 1) / 2
		ok, err := fits(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, nil
}

// QueueTxnOps is what a queue store commits in one Txn on a cluster allowing max operations:
// max less room to spare (MaxTxnOps on etcd's default of 128).
func QueueTxnOps(max int) int {
	return max - (128 - MaxTxnOps)
}

// txnLimit is the most operations a store's commit puts in one Txn: MaxTxnOps (etcd's default
// less room to spare) unless SetMaxTxnOps told it the cluster's own limit. Safe for concurrent
// use.
type txnLimit struct{ maxOps atomic.Int64 }

// SetMaxTxnOps sets the most operations one commit's Txn carries: the cluster's --max-txn-ops
// (ProbeMaxTxnOps) less room to spare (QueueTxnOps). n ≤ 0 changes nothing.
func (l *txnLimit) SetMaxTxnOps(n int) {
	if n > 0 {
		l.maxOps.Store(int64(n))
	}
}

// maxTxnOps is the limit of operations per Txn.
func (l *txnLimit) maxTxnOps() int {
	if n := l.maxOps.Load(); n > 0 {
		return int(n)
	}
	return MaxTxnOps
}
