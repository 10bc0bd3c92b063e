package etcd

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

var _ enginehost.QueueStore = (*Replica)(nil)

// ReplicaTail is how many of each hall's latest events a Replica keeps in memory to replay
// (since=N); older ones are read from etcd.
const ReplicaTail = 2000

// Replica is a read replica of the halls' queues for a server that does not own them: a copy in
// memory of each hall's meta and open tickets and of its latest events, loaded at one revision
// (Sync) and kept up to date by one watch on the prefix from the next revision (Run), so it holds
// exactly what the owner committed, Txn by Txn, in order, and a hall's events reach it gap-free.
// It implements enginehost.QueueStore read-only (Commit refuses) for an enginehost.Queue made
// with AsReplica, which Run feeds (Queue.Replicate). Tickets by ID or token and idempotency
// records are read from etcd.
type Replica struct {
	*QueueStore // reads not kept in memory; Commit refuses (ReadLocal)

	mu   sync.RWMutex
	meta map[string][]byte            // hall → its meta (JSON)
	gen  map[string]uint64            // hall → its open generation
	open map[string]map[string][]byte // hall → key after q/open/{hall}/ ({gen}/{id}) → ticket (JSON)
	tail map[string][]hall.Event      // hall → its latest events, consecutive
	rev  int64                        // the revision the copy is at
}

// NewReplica returns an empty replica of the state under prefix (Sync loads it).
func NewReplica(cli *clientv3.Client, prefix string) *Replica {
	st := NewQueueStore(cli, prefix, func() (string, int64, bool) { return "", 0, false }, nil)
	st.ReadLocal()
	return &Replica{QueueStore: st}
}

// Sync loads every hall's meta, open generation and open tickets at one revision.
func (r *Replica) Sync(ctx context.Context) error {
	s := r.QueueStore
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := s.cli.Txn(ctx).Then(
		clientv3.OpGet(s.prefix+"q/meta/", clientv3.WithPrefix()),
		clientv3.OpGet(s.prefix+"q/gen/", clientv3.WithPrefix()),
		clientv3.OpGet(s.prefix+"q/open/", clientv3.WithPrefix())).Commit()
	if err != nil {
		return fmt.Errorf("etcd: replica: load the halls: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.meta, r.gen, r.open, r.tail = map[string][]byte{}, map[string]uint64{}, map[string]map[string][]byte{}, map[string][]hall.Event{}
	for _, res := range resp.Responses {
		for _, kv := range res.GetResponseRange().Kvs {
			if _, err := r.apply(string(kv.Key), kv.Value, false); err != nil {
				return err
			}
		}
	}
	r.rev = resp.Header.Revision
	return nil
}

// apply changes the copy by one key (del: deleted); an event's key returns the event (its
// Hall set from the key).
func (r *Replica) apply(key string, val []byte, del bool) (*hall.Event, error) {
	rest, ok := strings.CutPrefix(key, r.prefix+"q/")
	if !ok {
		return nil, nil
	}
	kind, rest, _ := strings.Cut(rest, "/")
	switch kind {
	case "meta":
		if del {
			delete(r.meta, rest)
		} else {
			r.meta[rest] = val
		}
	case "gen":
		g, err := strconv.ParseUint(string(val), 10, 64)
		if err != nil && !del {
			return nil, fmt.Errorf("etcd: replica: generation of %s: %w", rest, err)
		}
		r.gen[rest] = g
	case "open":
		code, sub, _ := strings.Cut(rest, "/")
		m := r.open[code]
		if m == nil {
			m = map[string][]byte{}
			r.open[code] = m
		}
		if del {
			delete(m, sub)
		} else {
			m[sub] = val
		}
	case "ev":
		if del {
			return nil, nil
		}
		ev := new(hall.Event)
		if err := json.Unmarshal(val, ev); err != nil {
			return nil, fmt.Errorf("etcd: replica: decode %s: %w", key, err)
		}
		code, _, _ := strings.Cut(rest, "/")
		ev.Hall = code
		t := append(r.tail[code], *ev)
		if len(t) > ReplicaTail {
			t = append(t[:0:0], t[len(t)-ReplicaTail:]...)
		}
		r.tail[code] = t
		return ev, nil
	}
	return nil, nil
}

// Run watches the prefix from the revision after Sync's and applies every Txn of the owner to
// the copy, then hands each hall's new events to replicate (in order, once the copy shows them),
// until ctx ends or the watch fails (e.g. the revision was compacted: Sync again).
func (r *Replica) Run(ctx context.Context, replicate func(hall string, evs []hall.Event)) error {
	r.mu.RLock()
	rev := r.rev
	r.mu.RUnlock()
	// Without WithRequireLeader: while etcd has no quorum the watch stays, the copy keeps the
	// last state, and it resumes from its revision afterwards.
	wch := r.cli.Watch(ctx, r.prefix+"q/", clientv3.WithPrefix(), clientv3.WithRev(rev+1))
	for resp := range wch {
		if err := resp.Err(); err != nil {
			return fmt.Errorf("etcd: replica: watch: %w", err)
		}
		var order []string
		evs := map[string][]hall.Event{}
		r.mu.Lock()
		for _, e := range resp.Events {
			ev, err := r.apply(string(e.Kv.Key), e.Kv.Value, e.Type == clientv3.EventTypeDelete)
			if err != nil {
				r.mu.Unlock()
				return err
			}
			if ev != nil {
				if _, ok := evs[ev.Hall]; !ok {
					order = append(order, ev.Hall)
				}
				evs[ev.Hall] = append(evs[ev.Hall], *ev)
			}
		}
		r.rev = resp.Header.Revision
		r.mu.Unlock()
		for _, code := range order {
			replicate(code, evs[code])
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("etcd: replica: the watch ended")
}

// LoadHall reads a hall's meta and open tickets from the copy.
func (r *Replica) LoadHall(code string) (meta queue.Meta, hasMeta bool, open []hall.Ticket, err error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if v, ok := r.meta[code]; ok {
		if err := json.Unmarshal(v, &meta); err != nil {
			return meta, false, nil, fmt.Errorf("etcd: replica: decode meta of %s: %w", code, err)
		}
		hasMeta = true
	}
	gen := fmt.Sprintf("%020d/", r.gen[code])
	var keys []string
	for k := range r.open[code] {
		if strings.HasPrefix(k, gen) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		var t hall.Ticket
		if err := json.Unmarshal(r.open[code][k], &t); err != nil {
			return meta, false, nil, fmt.Errorf("etcd: replica: decode open ticket %s: %w", k, err)
		}
		open = append(open, t)
	}
	return meta, hasMeta, open, nil
}

// Events reads the hall's events after seq up to last from the copy's tail, or from etcd (a
// linearizable read: never fewer than the copy has) when they are older.
func (r *Replica) Events(ctx context.Context, code string, after, last uint64, limit int) ([]hall.Event, error) {
	out := []hall.Event{}
	if after >= last || limit <= 0 {
		return out, nil
	}
	r.mu.RLock()
	t := r.tail[code]
	if len(t) > 0 && t[0].Seq <= after+1 && t[len(t)-1].Seq >= last {
		for _, ev := range t[after+1-t[0].Seq:] {
			if ev.Seq > last || len(out) >= limit {
				break
			}
			out = append(out, ev)
		}
		r.mu.RUnlock()
		return out, nil
	}
	r.mu.RUnlock()
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := r.cli.Get(ctx, r.evKey(code, after+1), clientv3.WithRange(r.evKey(code, last+1)), clientv3.WithLimit(int64(limit)))
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read events of %s: %v", code, err)
	}
	for _, kv := range resp.Kvs {
		var ev hall.Event
		if err := json.Unmarshal(kv.Value, &ev); err != nil {
			return nil, fmt.Errorf("etcd: decode %s: %w", kv.Key, err)
		}
		out = append(out, ev)
	}
	return out, nil
}
