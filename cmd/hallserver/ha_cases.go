package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
)

// etcdCases is the case system of one term of the owner on etcd: the case service over the etcd
// case store, fenced on the term, and the webhook deliverer with its cursor on etcd.
type etcdCases struct {
	cs          *enginehost.Cases
	store       *etcd.CaseStore
	stopWebhook func()
}

// openEtcdCases opens the case system on etcd for a term (runHA): it loads the meta, the open
// cases and the learned router examples from etcd, every write fenced on the term, and starts
// the -webhook deliverer (only the owner delivers; it resumes from the cursor on etcd). close
// stops the deliverer (saving its cursor while the fence holds) and the case service.
func openEtcdCases(ctx context.Context, cli *clientv3.Client, term *etcd.Term, c hall.Campus, cfg config,
	reg prometheus.Registerer, log *slog.Logger) (*etcdCases, error) {
	ccfg, err := caseConfig(c, cfg.catalogue, log)
	if err != nil {
		return nil, err
	}
	store := etcd.NewCaseStore(cli, etcdPrefix, term.Fence, time.Now)
	cs, err := enginehost.NewCases(ctx, store, c, ccfg, time.Now)
	if err != nil {
		return nil, fmt.Errorf("case system on etcd: %w", err)
	}
	stop, err := runWebhook(ctx, cfg, etcd.NewDeliveryStore(cli, etcdPrefix, term.Fence), cs, reg, log)
	if err != nil {
		cs.Close()
		return nil, err
	}
	return &etcdCases{cs: cs, store: store, stopWebhook: stop}, nil
}

// requesters gives r (the requesters' sessions) the cases opened under an identity from the
// requester index on etcd ("my requests"): the cases of the term are on etcd, not in the local
// file that r reads them from.
func (e *etcdCases) requesters(r hall.RequesterService) hall.RequesterService {
	if r == nil {
		return nil
	}
	return requesterCasesOnEtcd{RequesterService: r, store: e.store}
}

// requesterCasesOnEtcd is a RequesterService whose RequesterCases reads etcd.
type requesterCasesOnEtcd struct {
	hall.RequesterService
	store *etcd.CaseStore
}

// RequesterCases returns the cases opened under the identity, newest first, at most limit (at
// most bolt.MaxRequesterCases, as on the bbolt server).
func (r requesterCasesOnEtcd) RequesterCases(ctx context.Context, id hall.Identity, limit int) ([]hall.Case, error) {
	if limit <= 0 || limit > bolt.MaxRequesterCases {
		limit = bolt.MaxRequesterCases
	}
	return r.store.RequesterCases(ctx, id, limit)
}

// close stops the deliverer and the case service.
func (e *etcdCases) close() {
	e.stopWebhook()
	e.cs.Close()
}
