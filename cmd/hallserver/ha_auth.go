package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/campus"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
)

// haAuth is what of the accounts lives on etcd with -etcd (docs/HA.md), shared by the servers
// so that it fails over: staff and device accounts, staff sessions, requester sessions and the
// audit entries of sign-ins and of the administration. Its writes are fenced on the current
// term of this server (none between terms: every write refused).
type haAuth struct {
	term atomic.Pointer[etcd.Term]
}

// useEtcdAuth puts the etcd stores in st in place of the local file's (the requesters' cases
// stay in the case store's index), follows the auth keys for the token cache until ctx ends,
// and with -demo seeds the demo accounts on etcd once (compare-and-swaps: servers starting
// together neither fail nor write an account twice).
func useEtcdAuth(ctx context.Context, cli *clientv3.Client, cfg config, c hall.Campus, st *localStores) (*haAuth, error) {
	h := &haAuth{}
	fence := func() (string, int64, bool) { return h.term.Load().Fence() }
	auth := etcd.NewAuth(cli, etcdPrefix, fence, time.Now)
	go auth.Watch(ctx)
	if cfg.demo {
		if err := campus.SeedDemo(ctx, auth, c); err != nil {
			return nil, fmt.Errorf("seed the demo accounts on etcd: %w", err)
		}
	}
	st.requesters = etcd.NewRequesters(cli, etcdPrefix, fence, time.Now, st.requesters)
	st.auth = auth
	// The audit page: the entries on etcd, the halls' logs (the counter actions) and the case
	// log on etcd (the stores are only read here).
	st.audit = st.audit.WithTrail(etcd.NewAuditTrail(cli, etcdPrefix, fence)).
		WithHallLogs(etcd.NewQueueStore(cli, etcdPrefix, fence, time.Now)).
		WithCaseLog(etcd.NewCaseStore(cli, etcdPrefix, fence, time.Now))
	return h, nil
}

// own makes t the term the writes are fenced on (nil: none).
func (h *haAuth) own(t *etcd.Term) { h.term.Store(t) }
