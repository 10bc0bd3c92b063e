package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
	"onedoor/hallserver/wire"
)

// storageUnavailable is how every write is refused while a server serves its last state read-only
// (etcd without a quorum): nothing was changed, the client may retry.
const storageUnavailable = "storage unavailable, nothing changed"

// readOnlyTerm is a term that ended because its lease could not be renewed (etcd lost its quorum,
// or this server was paused or cut off). Its API stays up read-only: GETs (snapshots, follow
// pages, hall streams, which keep their connection) are served from the last committed state,
// every other request is refused with 503 storageUnavailable. Its store is read-only
// (etcd.QueueStore.ReadLocal: serializable reads, which a member without quorum answers, and no
// commit; its fence had ended anyway), so an engine dropped by a failed commit reloads from what
// etcd committed, never from what was not. It lasts until another server is known to own the
// halls, or this one wins them again: then end tears the term down (the forwarder takes over,
// streams close and their clients resume by seq on the owner).
type readOnlyTerm struct {
	once     sync.Once
	done     chan struct{}
	teardown func()
}

// keepReadOnly puts a term whose lease ended into read-only service (setHandler) and watches etcd
// for the next owner; teardown ends the term (forwarder, API, notifier, engines).
func keepReadOnly(ctx context.Context, cli *clientv3.Client, self string, store *etcd.QueueStore, api http.Handler,
	setHandler func(http.Handler), teardown func(), log *slog.Logger) *readOnlyTerm {
	store.ReadLocal()
	setHandler(readOnlyAPI(api))
	log.Warn("serving the last committed state read-only (writes: 503) until a hall server owns the halls again")
	t := &readOnlyTerm{done: make(chan struct{}), teardown: teardown}
	go func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.done:
				return
			case <-tick.C:
			}
			lctx, cancel := context.WithTimeout(ctx, time.Second)
			owner, err := etcd.Leader(lctx, cli, etcdPrefix)
			cancel()
			if err == nil && owner != "" && owner != self {
				log.Info("another server owns the halls: read-only service ends, forwarding", "owner", owner)
				t.end()
				return
			}
		}
	}()
	return t
}

// end tears the read-only term down (once; nil does nothing).
func (t *readOnlyTerm) end() {
	if t == nil {
		return
	}
	t.once.Do(func() {
		close(t.done)
		t.teardown()
	})
}

// readOnlyAPI serves GET, HEAD and OPTIONS with api and refuses every other request with 503
// storageUnavailable (JSON error, code unavailable), before api sees it.
func readOnlyAPI(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			w.Header().Set("X-OneDoor-Read-Only", "1")
			api.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(wire.ErrorBody{Error: wire.ErrorDetail{Code: "unavailable",
			Message: storageUnavailable + " (the etcd cluster has no quorum or this server lost its lease; reads show the last committed state): retry"}})
	})
}

// followerReads serves a follower's hall snapshots and hall streams from its own replica of the
// halls (etcd.Replica: loaded at one revision, then one watch on the prefix), instead of
// forwarding them: a display on a follower keeps its stream when the owner dies or etcd loses
// its quorum (the replica keeps the last state), and follows the next owner's events gap-free.
// A request whose credentials do not authenticate here (auth: the accounts on etcd) is
// forwarded as before.
type followerReads struct {
	cli    *clientv3.Client
	campus hall.Campus
	auth   interface {
		Authenticate(ctx context.Context, token string) (*hall.Principal, error)
	}
	// build makes the replica's API (the owner's, over the replica queue).
	build func(q *enginehost.Queue) (*hallhttp.Server, error)
	log   *slog.Logger

	mu   sync.Mutex
	stop func() // the running replica's, nil when none
	api  atomic.Pointer[hallhttp.Server]
}

// start runs the replica (when it does not already): it loads the halls, then serves until stop
// or until its watch fails (then it loads them again).
func (fr *followerReads) start(ctx context.Context) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if fr.stop != nil {
		return
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	fr.stop = func() { cancel(); <-done }
	go func() {
		defer close(done)
		failed := false // log the first failure of a row only (etcd without a quorum: every second)
		for rctx.Err() == nil {
			began := time.Now()
			if err := fr.run(rctx); err != nil && rctx.Err() == nil {
				if time.Since(began) > 10*time.Second {
					failed = false // it had run: a new failure
				}
				if !failed {
					fr.log.Warn("follower's replica of the halls stopped; loading it again every second", "err", err)
				}
				failed = true
				select {
				case <-rctx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	}()
}

// run is one life of the replica: sync, serve, watch.
func (fr *followerReads) run(ctx context.Context) error {
	rp := etcd.NewReplica(fr.cli, etcdPrefix)
	if err := rp.Sync(ctx); err != nil {
		return err
	}
	q, err := enginehost.NewQueue(ctx, rp, fr.campus, nil, enginehost.AsReplica(), enginehost.WithLogger(fr.log))
	if err != nil {
		return err
	}
	defer q.Close()
	api, err := fr.build(q)
	if err != nil {
		return err
	}
	fr.api.Store(api)
	defer func() {
		fr.api.CompareAndSwap(api, nil)
		api.Close()
	}()
	return rp.Run(ctx, q.Replicate)
}

// end stops the replica (this server owns the halls: its own API serves them).
func (fr *followerReads) end() {
	fr.mu.Lock()
	stop := fr.stop
	fr.stop = nil
	fr.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// handler returns the replica's API for a read it serves (GET of a hall's snapshot or stream
// with no credentials or credentials that authenticate; while the accounts cannot be read, the
// public view without the credentials), nil for anything else.
func (fr *followerReads) handler(r *http.Request) http.Handler {
	if fr == nil || r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/api/v1/halls/") ||
		!(strings.HasSuffix(r.URL.Path, "/snapshot") || strings.HasSuffix(r.URL.Path, "/stream")) {
		return nil
	}
	api := fr.api.Load()
	if api == nil {
		return nil
	}
	token := ""
	if a := r.Header.Get("Authorization"); a != "" {
		scheme, tok, _ := strings.Cut(a, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return nil
		}
		token = strings.TrimSpace(tok)
	} else if c, err := r.Cookie("onedoor_session"); err == nil {
		token = c.Value
	}
	if token != "" {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		p, err := fr.auth.Authenticate(ctx, token)
		cancel()
		switch {
		case err == nil && p != nil:
		case err != nil && (hall.ErrorCode(err) == hall.EUNAVAILABLE || errors.Is(err, context.DeadlineExceeded)):
			// The accounts cannot be read (etcd without a quorum): serve the public view these
			// routes give anyone, without the credentials (never more than they allow).
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r = r.Clone(r.Context())
				r.Header.Del("Authorization")
				r.Header.Del("Cookie")
				api.ServeHTTP(w, r)
			})
		default:
			return nil // unknown here: the owner answers
		}
	}
	return api
}
