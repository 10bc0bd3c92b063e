package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
	"onedoor/hallserver/wire"
)

// etcdPrefix is where the hall servers keep their state in etcd (layout: hallserver/etcd doc.go).
const etcdPrefix = etcd.DefaultPrefix

// runHA runs the server on an etcd cluster (-etcd, docs/HA.md). Every server campaigns for the
// ownership of the halls (one etcd lease election, -lease-ttl). The owner runs the queue
// engines on the etcd store, every write fenced on its lease, and serves the API; the others
// forward every request to the owner's advertised address (a reverse proxy, WebSocket streams
// included), and take over when its lease ends: the new owner loads the halls from etcd and
// carries on numbering. The case system (cases, their event log, attachments, the webhook
// cursor; ha_cases.go), appointments, visit ratings, topic answers, the long-standing list and
// the notifier's outbox (ha_stores.go), staff and devices, sessions and the audit entries of
// sign-ins and administration (ha_auth.go) are on etcd too and fail over the same way. What is
// left in a local bbolt file per server
// (-data when given, else a new file in a temporary directory): it does not fail over.
func runHA(ctx context.Context, cfg config, given hall.Campus, log *slog.Logger) error {
	tlsCfg, err := etcd.TLSConfig(cfg.etcdCA, cfg.etcdCert, cfg.etcdKey)
	if err != nil {
		return fmt.Errorf("-etcd-ca/-etcd-cert/-etcd-key: %w", err)
	}
	var endpoints []string
	for _, e := range strings.Split(cfg.etcd, ",") {
		if e = strings.TrimSpace(e); e != "" {
			endpoints = append(endpoints, e)
		}
	}
	cli, err := etcd.Dial(endpoints, tlsCfg)
	if err != nil {
		return err
	}
	defer cli.Close()

	data := cfg.data
	if !cfg.dataSet {
		dir, err := os.MkdirTemp("", "hallserver-local-")
		if err != nil {
			return fmt.Errorf("local data file: %w", err)
		}
		defer os.RemoveAll(dir)
		data = filepath.Join(dir, "local.db")
	}
	log.Warn("with -etcd the halls' queues, the case system, appointments, visit ratings, topic answers, the long list, the notifier's outbox, staff, devices, sessions and the audit entries are on etcd and fail over; what is left in this server's local file does not", "local", data)
	db, err := bolt.OpenWith(data, bolt.Options{Init: cfg.initData, Check: cfg.checkData})
	if err != nil {
		return err
	}
	defer db.Close()
	c, _, err := storedCampus(db, given, "the campus given", false, log)
	if err != nil {
		return err
	}
	// The case system is on etcd, opened by each term (ha_cases.go): the catalogue is checked
	// once here, so that a bad -catalogue stops the server instead of every term.
	if _, err := caseConfig(c, cfg.catalogue, log); err != nil {
		return err
	}
	st, err := openLocalStores(db, c, nil, bolt.NewAuth(db), cfg, log)
	if err != nil {
		return err
	}
	// Accounts, sessions and the audit entries are on etcd: they fail over (ha_auth.go).
	haa, err := useEtcdAuth(ctx, cli, cfg, c, st)
	if err != nil {
		return err
	}
	pruneCtx, stopPrune := context.WithCancel(ctx)
	defer stopPrune()
	go st.audit.Run(pruneCtx, time.Hour)

	if err := cfg.identity.wire(&hallhttp.Config{}, st.wecom); err != nil {
		return err // the sign-in flags, checked once before any term
	}

	soft, _, _ := raiseFileLimit()
	lim := connLimits(int(min(soft, 1<<30)), cfg)
	inner, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ln, err := limitListener(inner, lim, prometheus.NewRegistry(), log)
	if err != nil {
		inner.Close()
		return err
	}
	advertise := cfg.advertise
	if advertise == "" {
		advertise = "http://" + ln.Addr().String()
	}
	publicURL := cfg.publicURL
	if publicURL == "" {
		publicURL = advertise
	}
	// A follower serves hall snapshots and streams from its own replica (ha_reads.go).
	reads := &followerReads{cli: cli, campus: c, auth: st.auth, log: log, build: func(q *enginehost.Queue) (*hallhttp.Server, error) {
		hc, err := apiConfig(cfg, q, c, st, nil, apiNet{publicURL: publicURL, registry: prometheus.NewRegistry(),
			maxStreams: lim.maxStreams, underPressure: ln.UnderPressure, log: log})
		if err != nil {
			return nil, err
		}
		return hallhttp.NewServer(hc), nil
	}}
	fwd := &forwarder{cli: cli, self: advertise, log: log, reads: reads}
	var handler atomic.Pointer[http.Handler]
	setHandler := func(h http.Handler) { handler.Store(&h) }
	setHandler(fwd)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			(*handler.Load()).ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       cfg.idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("hallserver ready (follower until elected)", "addr", ln.Addr().String(), "advertise", advertise,
		"etcd", strings.Join(endpoints, ","), "lease_ttl", cfg.leaseTTL, "demo", cfg.demo, "halls", len(c.Halls))

	// One term after another: campaign, own (serve the API), lose the lease or stop.
	terms := make(chan error, 1)
	go func() {
		var ro *readOnlyTerm // the last term, serving read-only until a new owner (ha_reads.go)
		for ctx.Err() == nil {
			reads.start(ctx)
			term, err := etcd.Campaign(ctx, cli, etcdPrefix, cfg.leaseTTL, advertise)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				log.Warn("campaign for the halls failed; retrying", "err", err)
				time.Sleep(time.Second)
				continue
			}
			ro.end()
			ro = nil
			log.Info("this server owns the halls: loading them from etcd")
			haa.own(term)
			store := etcd.NewQueueStore(cli, etcdPrefix, term.Fence, time.Now)
			txnOps := txnLimit(ctx, cli, log)
			store.SetMaxTxnOps(txnOps)
			reg := prometheus.NewRegistry()
			reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
			// The case system of the term: on etcd, fenced on the term (ha_cases.go).
			ec, err := openEtcdCases(ctx, cli, term, c, cfg, reg, log)
			if err != nil {
				log.Error("loading the case system from etcd failed; giving the ownership up", "err", err)
				term.Resign()
				time.Sleep(time.Second)
				continue
			}
			ec.store.SetMaxTxnOps(txnOps)
			tst := st.onEtcd(cli, term, ec.cs, c) // the services on etcd, fenced on this term
			tst.cases = ec.cs
			q, err := enginehost.NewQueue(ctx, store, c, time.Now, enginehost.WithLogger(log), enginehost.WithBookings(tst.appointments))
			if err != nil {
				log.Error("loading the halls from etcd failed; giving the ownership up", "err", err)
				ec.close()
				term.Resign()
				time.Sleep(time.Second)
				continue
			}
			// The notifier runs while this server owns the halls: it reads the case log on etcd
			// and this term's halls, its outbox on etcd.
			notifier, stopNotifier, err := startNotifier(ctx, cfg, st.wecom, tst.outbox, ec.cs, st.auth, q, q, ec.store, strings.TrimRight(publicURL, "/"), log)
			if err != nil {
				log.Error("starting the notifier failed; giving the ownership up", "err", err)
				ec.close()
				q.Close()
				term.Resign()
				time.Sleep(time.Second)
				continue
			}
			// The API as the bbolt server's (apiConfig), less apiConfigDiffers: no online
			// backup, no bbolt storage status, no queue reports (503 with a message).
			hc, err := apiConfig(cfg, q, c, tst, notifier, apiNet{publicURL: publicURL, registry: reg,
				maxStreams: lim.maxStreams, underPressure: ln.UnderPressure, log: log})
			if err != nil { // the flags were checked before the first term
				log.Error("building the API failed; giving the ownership up", "err", err)
				stopNotifier()
				ec.close()
				q.Close()
				term.Resign()
				time.Sleep(time.Second)
				continue
			}
			hc.Requesters = ec.requesters(hc.Requesters) // "my requests": the cases on etcd
			api := hallhttp.NewServer(hc)
			setHandler(api)
			reads.end()
			cfg.builtAPI("etcd", hc)
			key, rev, _ := term.Fence()
			log.Info("owner: serving the halls", "key", key, "rev", rev)
			teardown := func() {
				setHandler(fwd)
				api.Close()
				stopNotifier()
				ec.close()
				q.Close()
				term.Resign()
			}
			select {
			case <-term.Done():
				log.Warn("lost the ownership of the halls (lease ended): read-only until a new owner is known, then forwarding to it")
				ro = keepReadOnly(ctx, cli, advertise, store, api, setHandler, teardown, log)
			case <-ctx.Done():
				teardown()
			}
		}
		ro.end()
		reads.end()
		terms <- nil
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	<-terms
	return srv.Shutdown(sctx)
}

// forwarder sends every request to the owner's advertised address (a reverse proxy, WebSocket
// upgrades included); 503 while no server owns the halls. When etcd does not answer (no quorum)
// it keeps forwarding to the last owner it knew, which serves reads of its last state
// (ha_reads.go); a request already forwarded by another server is not forwarded again.
type forwarder struct {
	cli   *clientv3.Client
	self  string
	log   *slog.Logger
	reads *followerReads // serves hall snapshots and streams itself (nil: forwards them too)

	mu      sync.Mutex
	owner   string
	checked time.Time
	looking bool // a lookup is under way
	failing bool // the last lookup failed: look up in the background meanwhile
}

// forwardedBy is the header a forwarder adds: a server forwards a request at most once.
const forwardedBy = "X-OneDoor-Forwarded-By"

// lookup asks etcd who owns the halls (1 s at most) and remembers the answer; when etcd does not
// answer, the last owner known stays.
func (f *forwarder) lookup() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	owner, err := etcd.Leader(ctx, f.cli, etcdPrefix)
	cancel()
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil && !f.failing {
		f.log.Warn("who owns the halls: etcd does not answer; forwarding to the last owner known", "owner", f.owner, "err", err)
	}
	f.looking, f.failing, f.checked = false, err != nil, time.Now()
	if err == nil {
		f.owner = owner
	}
}

// target returns the owner's address, looked up at most every 500 ms ("" when none, or this
// server itself between terms). While etcd does not answer, the lookup runs in the background and
// the last owner known is returned meanwhile.
func (f *forwarder) target(fresh bool) string {
	f.mu.Lock()
	due := !f.looking && (fresh || time.Since(f.checked) > 500*time.Millisecond)
	background := f.failing
	if due {
		f.looking = true
	}
	f.mu.Unlock()
	if due && background {
		go f.lookup()
	} else if due {
		f.lookup()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.owner == f.self {
		return ""
	}
	return f.owner
}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := f.reads.handler(r); h != nil {
		w.Header().Set("X-OneDoor-Replica", "1") // answered by this follower's replica
		h.ServeHTTP(w, r)
		return
	}
	owner := f.target(false)
	u, err := url.Parse(owner)
	if owner == "" || err != nil || r.Header.Get(forwardedBy) != "" {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(wire.ErrorBody{Error: wire.ErrorDetail{Code: "unavailable",
			Message: "no hall server owns the halls at the moment (an election is on): nothing changed, retry"}})
		return
	}
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			pr.Out.Header.Set(forwardedBy, f.self)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			f.target(true) // the owner may have changed
			if !errors.Is(err, context.Canceled) {
				f.log.Warn("forward to the owner failed", "owner", owner, "err", err)
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(wire.ErrorBody{Error: wire.ErrorDetail{Code: "unavailable",
				Message: "the owning hall server does not answer (failover under way): retry"}})
		},
	}
	w.Header().Set("X-OneDoor-Forwarded-To", owner)
	p.ServeHTTP(w, r)
}

// txnLimit returns how many operations the term's queue and case stores put in one Txn: the
// cluster's --max-txn-ops (probed) less room to spare, 0 (the stores' default) when it cannot
// be learned. It warns when the cluster keeps etcd's default: a day reset writes two operations
// per ticket it cancels, so a hall closing with more waiting tickets than that allows could not
// start its next day, and case changes are cut into several Txns more often (docs/HA.md:
// --max-txn-ops 1024).
func txnLimit(ctx context.Context, cli *clientv3.Client, log *slog.Logger) int {
	max, err := etcd.ProbeMaxTxnOps(ctx, cli, etcdPrefix, 1<<16)
	if err != nil {
		log.Warn("could not learn etcd's --max-txn-ops; assuming its default", "err", err)
		return 0
	}
	ops := etcd.QueueTxnOps(max)
	if max < 1024 {
		log.Warn("etcd takes few operations per transaction: a day reset cancelling more waiting tickets than this cannot commit; set --max-txn-ops 1024 on every member (docs/HA.md)",
			"max_txn_ops", max, "reset_tickets_at_most", (ops-8)/2)
	}
	return ops
}
