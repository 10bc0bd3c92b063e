package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

var _ enginehost.QueueStore = (*QueueStore)(nil)

// MaxTxnOps is the most operations one Txn of a commit carries: etcd's default --max-txn-ops
// (128) less room to spare.
const MaxTxnOps = 120

// MaxTxnBytes is the most value bytes one Txn carries: well below etcd's default request limit
// (1.5 MiB).
const MaxTxnBytes = 1 << 20

// opTimeout bounds one etcd request: a cluster without quorum refuses instead of hanging.
const opTimeout = 5 * time.Second

// A Fence is what a write must compare to be allowed: the owner's election key and its create
// revision. ok is false when this server owns nothing (then every write is refused).
type Fence func() (key string, rev int64, ok bool)

// ErrNotOwner is the error of a commit by a server that does not (or no longer) own the halls.
var ErrNotOwner = errors.New("this server is not the owner (lost or never had the lease): nothing written")

// QueueStore is the etcd store of the halls' queue logs (layout: doc.go).
type QueueStore struct {
	cli    *clientv3.Client
	prefix string
	fence  Fence
	now    func() time.Time

	mu  sync.Mutex
	gen map[string]uint64 // the open index generation of each hall, as committed
	// seen is each hall's highest seq this store committed or loaded: after ReadLocal a member
	// behind it is not read (the hall would go back in time).
	seen map[string]uint64

	local atomic.Bool // ReadLocal: serializable reads, no commit

	// txnLimit: a day reset writes two operations per ticket it cancels, so with etcd's default
	// of 128 a reset cancelling more than about 55 tickets cannot commit (docs/HA.md).
	txnLimit
}

// ErrReadOnly is the error of a Commit after ReadLocal: nothing written.
var ErrReadOnly = errors.New("etcd: storage unavailable (this server's term ended; reads only): nothing written")

// ReadLocal turns the store read-only for the rest of its life: Commit refuses (ErrReadOnly) and
// every read is served by the member the client reaches from its own applied state
// (serializable), which needs no quorum. Such a read may be behind the cluster but shows only
// what was committed. hallserver calls it when its term ends because the lease could not be
// renewed, to keep serving the last state read-only (docs/HA.md).
func (s *QueueStore) ReadLocal() { s.local.Store(true) }

// readOpts adds the serializable option after ReadLocal.
func (s *QueueStore) readOpts(opts ...clientv3.OpOption) []clientv3.OpOption {
	if s.local.Load() {
		return append(opts, clientv3.WithSerializable())
	}
	return opts
}

// NewQueueStore returns the store on cli under prefix (e.g. "/onedoor/"), writing only while
// fence allows. now is the clock of idempotency records.
func NewQueueStore(cli *clientv3.Client, prefix string, fence Fence, now func() time.Time) *QueueStore {
	if now == nil {
		now = time.Now
	}
	return &QueueStore{cli: cli, prefix: prefix, fence: fence, now: now, gen: map[string]uint64{}, seen: map[string]uint64{}}
}

func (s *QueueStore) metaKey(code string) string  { return s.prefix + "q/meta/" + code }
func (s *QueueStore) evPrefix(code string) string { return s.prefix + "q/ev/" + code + "/" }
func (s *QueueStore) evKey(code string, seq uint64) string {
	return fmt.Sprintf("%s%020d", s.evPrefix(code), seq)
}
func (s *QueueStore) ticketKey(id string) string    { return s.prefix + "q/t/" + id }
func (s *QueueStore) tokenKey(tok string) string    { return s.prefix + "q/tok/" + tok }
func (s *QueueStore) genKey(code string) string     { return s.prefix + "q/gen/" + code }
func (s *QueueStore) idemPrefix(code string) string { return s.prefix + "q/idem/" + code + "/" }
func (s *QueueStore) openPrefix(code string, gen uint64) string {
	return fmt.Sprintf("%sq/open/%s/%020d/", s.prefix, code, gen)
}

// write is a change of one hall prepared for the committer.
type write struct {
	hall    string
	reset   bool
	tickets []ticketWrite
	events  []kv
	idem    *kv
	meta    *queue.Meta
}

type ticketWrite struct {
	id, token string
	val       []byte
	open      bool
}

type kv struct {
	key string
	val []byte
}

// idemRecord is the stored form of an idempotency record.
type idemRecord struct {
	ID  string    `json:"id"`
	At  time.Time `json:"at"`
	Seq uint64    `json:"seq,omitempty"`
}

// Prepare encodes the change's tickets, events and idempotency record.
func (s *QueueStore) Prepare(code string, ch queue.Change, idemKey, idemID string) (any, error) {
	meta := ch.Meta
	w := &write{hall: code, meta: &meta}
	for i := range ch.Events {
		ev := &ch.Events[i]
		if ev.Type == hall.EventDayReset {
			w.reset = true
		}
		v, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("etcd: encode event %d: %w", ev.Seq, err)
		}
		w.events = append(w.events, kv{s.evKey(code, ev.Seq), v})
	}
	for i := range ch.Tickets {
		t := &ch.Tickets[i]
		v, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("etcd: encode ticket %s: %w", t.ID, err)
		}
		tw := ticketWrite{id: t.ID, val: v, open: t.State.Open() || t.State == hall.TicketNoShow}
		if t.Token != "" && issuedIn(ch, t.ID) {
			tw.token = t.Token
		}
		w.tickets = append(w.tickets, tw)
	}
	if idemKey != "" {
		var seq uint64
		if n := len(ch.Events); n > 0 {
			seq = ch.Events[n-1].Seq
		}
		v, err := json.Marshal(idemRecord{ID: idemID, At: s.now().UTC(), Seq: seq})
		if err != nil {
			return nil, fmt.Errorf("etcd: encode idempotency record: %w", err)
		}
		w.idem = &kv{s.idemPrefix(code) + idemKey, v}
	}
	return w, nil
}

func issuedIn(ch queue.Change, id string) bool {
	for i := range ch.Events {
		if ev := &ch.Events[i]; ev.Type == hall.EventIssued && ev.Ticket != nil && ev.Ticket.ID == id {
			return true
		}
	}
	return false
}

// txnBuilder merges the changes of one Txn: every key once (the last write wins), the open index
// of a reset hall dropped by one DeleteRange of its old generation.
type txnBuilder struct {
	s      *QueueStore
	order  []string
	puts   map[string][]byte // nil value: delete
	ranges []string          // prefixes deleted whole
	gens   map[string]uint64 // halls whose generation this Txn moves to
	bytes  int
}

func (s *QueueStore) newTxn() *txnBuilder {
	return &txnBuilder{s: s, puts: map[string][]byte{}, gens: map[string]uint64{}}
}

func (b *txnBuilder) set(k string, v []byte) {
	if _, ok := b.puts[k]; !ok {
		b.order = append(b.order, k)
	}
	b.puts[k] = v
	b.bytes += len(k) + len(v)
}

// ops is the number of operations the Txn holds.
func (b *txnBuilder) ops() int { return len(b.order) + len(b.ranges) }

// add merges a change; gen is the hall's open generation before it.
func (b *txnBuilder) add(w *write, gen uint64) uint64 {
	s := b.s
	if w.reset {
		old := s.openPrefix(w.hall, gen)
		// Writes to the old generation earlier in this Txn would overlap the DeleteRange.
		for k := range b.puts {
			if strings.HasPrefix(k, old) {
				delete(b.puts, k)
			}
		}
		kept := b.order[:0]
		for _, k := range b.order {
			if _, ok := b.puts[k]; ok {
				kept = append(kept, k)
			}
		}
		b.order = kept
		b.ranges = append(b.ranges, old)
		gen++
		b.gens[w.hall] = gen
		b.set(s.genKey(w.hall), []byte(strconv.FormatUint(gen, 10)))
	}
	open := s.openPrefix(w.hall, gen)
	for _, t := range w.tickets {
		b.set(s.ticketKey(t.id), t.val)
		if t.open {
			b.set(open+t.id, t.val)
		} else if !w.reset { // after a reset the new generation holds only what this change puts
			b.set(open+t.id, nil)
		}
		if t.token != "" {
			b.set(s.tokenKey(t.token), []byte(t.id))
		}
	}
	for _, e := range w.events {
		b.set(e.key, e.val)
	}
	if w.idem != nil {
		b.set(w.idem.key, w.idem.val)
	}
	return gen
}

// size is what adding w costs at most (ops, bytes).
func (w *write) size() (ops, bytes int) {
	ops = len(w.events)
	for _, t := range w.tickets {
		ops++ // its key
		if t.open || !w.reset {
			ops++ // its open entry: put, or delete (none after a reset)
		}
		if t.token != "" {
			ops++
		}
		bytes += 2 * len(t.val)
	}
	for _, e := range w.events {
		bytes += len(e.val)
	}
	if w.idem != nil {
		ops++
	}
	if w.reset {
		ops += 2
	}
	return ops, bytes + 1024
}

var _ enginehost.BatchLimiter[any] = (*QueueStore)(nil)

// ErrTooBig is the error of a Commit whose batch does not fit in one Txn (MaxTxnOps,
// MaxTxnBytes): nothing is written. The engine host never hands such a batch (Fits).
var ErrTooBig = errors.New("etcd: the batch is too big for one Txn (a day reset cancelling many tickets needs a higher --max-txn-ops on the cluster: docs/HA.md): nothing written")

// Fits reports whether Commit writes batch in one Txn: at most maxTxnOps operations (the meta of
// each hall included) and MaxTxnBytes, counted from above (a key written twice counts twice).
func (s *QueueStore) Fits(batch []any) bool {
	ops, bytes := 0, 0
	halls := map[string]bool{}
	for _, x := range batch {
		w := x.(*write)
		o, b := w.size()
		ops, bytes = ops+o, bytes+b
		if !halls[w.hall] {
			halls[w.hall] = true
			ops++
		}
	}
	return ops <= s.maxTxnOps() && bytes <= MaxTxnBytes
}

// Commit writes the batch in one fenced Txn: all of it or nothing. A batch that does not fit
// (Fits) is refused with ErrTooBig before anything is written.
func (s *QueueStore) Commit(batch []any) error {
	if s.local.Load() {
		return ErrReadOnly
	}
	key, rev, ok := s.fence()
	if !ok {
		return ErrNotOwner
	}
	if !s.Fits(batch) {
		return fmt.Errorf("commit of %d changes: %w", len(batch), ErrTooBig)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gens := map[string]uint64{}
	for h, g := range s.gen {
		gens[h] = g
	}
	metas := map[string]*queue.Meta{}
	b := s.newTxn()
	for _, x := range batch {
		w := x.(*write)
		gens[w.hall] = b.add(w, gens[w.hall])
		metas[w.hall] = w.meta
	}
	for h, m := range metas {
		v, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("etcd: encode meta of %s: %w", h, err)
		}
		b.set(s.metaKey(h), v)
	}
	if b.ops() == 0 {
		return nil
	}
	if err := s.commitTxn(key, rev, b); err != nil {
		return err
	}
	for h, g := range b.gens {
		s.gen[h] = g
	}
	for h, m := range metas {
		s.seen[h] = max(s.seen[h], m.Seq)
	}
	return nil
}

// commitTxn commits one Txn if the fence still holds.
func (s *QueueStore) commitTxn(fenceKey string, rev int64, b *txnBuilder) error {
	var ops []clientv3.Op
	for _, p := range b.ranges {
		ops = append(ops, clientv3.OpDelete(p, clientv3.WithPrefix()))
	}
	for _, k := range b.order {
		if v := b.puts[k]; v != nil {
			ops = append(ops, clientv3.OpPut(k, string(v)))
		} else {
			ops = append(ops, clientv3.OpDelete(k))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	r, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(fenceKey), "=", rev)).Then(ops...).Commit()
	if err != nil {
		return fmt.Errorf("etcd: commit %d operations: %w", len(ops), err)
	}
	if !r.Succeeded {
		return ErrNotOwner
	}
	return nil
}

// Events reads the hall's committed events after seq up to last (a range read).
func (s *QueueStore) Events(ctx context.Context, code string, after, last uint64, limit int) ([]hall.Event, error) {
	out := []hall.Event{}
	if after >= last || limit <= 0 {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := s.cli.Get(ctx, s.evKey(code, after+1), s.readOpts(clientv3.WithRange(s.evKey(code, last+1)), clientv3.WithLimit(int64(limit)))...)
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read events of %s: %v", code, err)
	}
	for _, kv := range r.Kvs {
		var ev hall.Event
		if err := json.Unmarshal(kv.Value, &ev); err != nil {
			return nil, fmt.Errorf("etcd: decode %s: %w", kv.Key, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// LoadHall reads a hall's meta and its open tickets (two reads at one revision).
func (s *QueueStore) LoadHall(code string) (meta queue.Meta, hasMeta bool, open []hall.Ticket, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	r, err := s.cli.Txn(ctx).Then(clientv3.OpGet(s.metaKey(code), s.readOpts()...), clientv3.OpGet(s.genKey(code), s.readOpts()...)).Commit()
	if err != nil {
		return meta, false, nil, fmt.Errorf("etcd: load hall %s: %w", code, err)
	}
	if kvs := r.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
		if err := json.Unmarshal(kvs[0].Value, &meta); err != nil {
			return meta, false, nil, fmt.Errorf("etcd: decode meta of %s: %w", code, err)
		}
		hasMeta = true
	}
	var gen uint64
	if kvs := r.Responses[1].GetResponseRange().Kvs; len(kvs) > 0 {
		if gen, err = strconv.ParseUint(string(kvs[0].Value), 10, 64); err != nil {
			return meta, false, nil, fmt.Errorf("etcd: open generation of %s: %w", code, err)
		}
	}
	o, err := s.cli.Get(ctx, s.openPrefix(code, gen), s.readOpts(clientv3.WithPrefix(), clientv3.WithRev(r.Header.Revision))...)
	if err != nil {
		return meta, false, nil, fmt.Errorf("etcd: load open tickets of %s: %w", code, err)
	}
	for _, kv := range o.Kvs {
		var t hall.Ticket
		if err := json.Unmarshal(kv.Value, &t); err != nil {
			return meta, false, nil, fmt.Errorf("etcd: decode %s: %w", kv.Key, err)
		}
		open = append(open, t)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if seen := s.seen[code]; s.local.Load() && meta.Seq < seen {
		return meta, false, nil, fmt.Errorf("etcd: load hall %s: the member read is behind what this server showed (seq %d < %d)", code, meta.Seq, seen)
	}
	s.gen[code] = gen
	s.seen[code] = max(s.seen[code], meta.Seq)
	return meta, hasMeta, open, nil
}

// Idem returns the record of an idempotency key of the hall (ID "" when none).
func (s *QueueStore) Idem(code, key string) (enginehost.IdemRecord, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	r, err := s.cli.Get(ctx, s.idemPrefix(code)+key, s.readOpts()...)
	if err != nil {
		return enginehost.IdemRecord{}, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: idempotency lookup: %v", err)
	}
	var rec idemRecord
	if len(r.Kvs) > 0 {
		if err := json.Unmarshal(r.Kvs[0].Value, &rec); err != nil {
			return enginehost.IdemRecord{}, fmt.Errorf("etcd: decode idempotency record: %w", err)
		}
	}
	return enginehost.IdemRecord(rec), nil
}

// PruneIdem deletes idempotency records older than ttl (fenced, at most MaxTxnOps a Txn;
// errors: pruned next time).
func (s *QueueStore) PruneIdem(ttl time.Duration, now time.Time) {
	key, rev, ok := s.fence()
	if !ok || s.local.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	r, err := s.cli.Get(ctx, s.prefix+"q/idem/", clientv3.WithPrefix())
	if err != nil {
		return
	}
	b := s.newTxn()
	for _, kv := range r.Kvs {
		var rec idemRecord
		if json.Unmarshal(kv.Value, &rec) == nil && now.Sub(rec.At) <= ttl {
			continue
		}
		b.set(string(kv.Key), nil)
		if b.ops() >= MaxTxnOps {
			if s.commitTxn(key, rev, b) != nil {
				return
			}
			b = s.newTxn()
		}
	}
	if b.ops() > 0 {
		s.commitTxn(key, rev, b)
	}
}

// TicketByID reads a committed ticket.
func (s *QueueStore) TicketByID(ctx context.Context, id string) (*hall.Ticket, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := s.cli.Get(ctx, s.ticketKey(id), s.readOpts()...)
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read ticket %s: %v", id, err)
	}
	if len(r.Kvs) == 0 {
		return nil, hall.Errorf(hall.ENOTFOUND, "ticket", "no ticket %s", id)
	}
	t := new(hall.Ticket)
	if err := json.Unmarshal(r.Kvs[0].Value, t); err != nil {
		return nil, fmt.Errorf("etcd: decode ticket %s: %w", id, err)
	}
	return t, nil
}

// TicketByToken reads the committed ticket with a follow token.
func (s *QueueStore) TicketByToken(ctx context.Context, token string) (*hall.Ticket, error) {
	c, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := s.cli.Get(c, s.tokenKey(token), s.readOpts()...)
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read token: %v", err)
	}
	if len(r.Kvs) == 0 {
		return nil, hall.Errorf(hall.ENOTFOUND, "ticket", "no ticket with this token")
	}
	return s.TicketByID(ctx, string(r.Kvs[0].Value))
}
