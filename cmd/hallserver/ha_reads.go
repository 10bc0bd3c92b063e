package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/etcd"
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
