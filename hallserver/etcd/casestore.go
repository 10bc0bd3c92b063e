package etcd

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/caseformat"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
)

var _ enginehost.CaseStore = (*CaseStore)(nil)

// readBatch is how many cases one read Txn fetches (two operations each: record and timeline),
// within etcd's --max-txn-ops.
const readBatch = 60

// pageSize is how many index keys one range read of an index takes.
const pageSize = 256

// CaseStore is the etcd store of the case log: enginehost.CaseStore, the attachments'
// enginehost.BlobStore (blobs.go) and the requester index's reads (layout: doc.go). As in the
// bbolt store (format 2) a case is its record without its timeline plus one key per timeline
// entry, and an event holds the case's head and the lengths of its append-only lists, never a
// full copy of the case.
type CaseStore struct {
	cli    *clientv3.Client
	prefix string
	fence  Fence
	now    func() time.Time

	// mu serialises Commit (the host has one committer; PruneIdem and ForgetRoutes write apart).
	mu sync.Mutex

	// txnLimit: a batch of changes that needs more is cut between changes (doc.go), so the
	// higher the cluster allows (an open is about 30 operations), the rarer that is.
	txnLimit

	// reports keeps the report form of final cases once read (a final case never changes).
	rmu     sync.Mutex
	reports map[string]*hall.Case
}

// NewCaseStore returns the case store on cli under prefix (e.g. "/onedoor/"), writing only
// while fence allows. now is the clock of idempotency records and attachments.
func NewCaseStore(cli *clientv3.Client, prefix string, fence Fence, now func() time.Time) *CaseStore {
	if now == nil {
		now = time.Now
	}
	return &CaseStore{cli: cli, prefix: prefix, fence: fence, now: now, reports: map[string]*hall.Case{}}
}

func (s *CaseStore) k(parts ...string) string { return s.prefix + "c/" + strings.Join(parts, "") }

func (s *CaseStore) metaKey() string           { return s.k("meta") }
func (s *CaseStore) recKey(id string) string   { return s.k("rec/", id) }
func (s *CaseStore) tlPrefix(id string) string { return s.k("tl/", id, "/") }
func (s *CaseStore) tlKey(id string, i int) string {
	return fmt.Sprintf("%s%06d", s.tlPrefix(id), i)
}
func (s *CaseStore) evKey(seq uint64) string   { return fmt.Sprintf("%s%020d", s.k("ev/"), seq) }
func (s *CaseStore) numKey(n string) string    { return s.k("num/", strings.ToUpper(n)) }
func (s *CaseStore) tokKey(t string) string    { return s.k("tok/", t) }
func (s *CaseStore) openKey(id string) string  { return s.k("open/", id) }
func (s *CaseStore) termsKey(id string) string { return s.k("terms/", id) }
func (s *CaseStore) searchKey(term, id string) string {
	return s.k("search/", term, "\x00", id)
}
func (s *CaseStore) idemKey(key string) string { return s.k("idem/", key) }
func (s *CaseStore) learnedKey(seq uint64, i int) string {
	return fmt.Sprintf("%s%020d/%05d", s.k("learned/"), seq, i)
}
func (s *CaseStore) forgotKey(by string) string { return s.k("forgot/", by) }

// stamp is the index form of a time: UnixNano, 20 decimal digits (negative times as 0).
func stamp(t time.Time) string { return fmt.Sprintf("%020d", max(t.UnixNano(), 0)) }

func (s *CaseStore) recvPrefix() string { return s.k("recv/") }
func (s *CaseStore) recvKey(c *hall.Case) string {
	return s.recvPrefix() + stamp(c.ReceivedAt) + "/" + c.ID
}
func (s *CaseStore) closedPrefix(dept string) string { return s.k("closed/", dept, "\x00") }
func (s *CaseStore) closedKey(dept string, c *hall.Case) string {
	return s.closedPrefix(dept) + stamp(c.ReceivedAt) + "/" + c.ID
}
func (s *CaseStore) reqPrefix(idKey string) string { return s.k("req/", idKey, "\x00") }
func (s *CaseStore) reqOfKey(id string) string     { return s.k("reqof/", id) }

// caseWrite is a case change prepared for the committer.
type caseWrite struct {
	change            cases.Change
	idemKey           string
	idemID            string
	caseformat.Change // the records, the events as stored (storedCaseEvent), the cases opened
}

// storedCaseEvent and caseLens: a case event as c/ev/ holds it, the bbolt store's format 2
// (hallserver/caseformat).
type (
	storedCaseEvent = caseformat.Event
	caseLens        = caseformat.Lens
)

// Prepare encodes the change's cases (records) and events and notes the cases it opens.
func (s *CaseStore) Prepare(_ string, ch cases.Change, idemKey, idemID string) (any, error) {
	enc, err := caseformat.EncodeChange(ch.Cases, ch.Events)
	if err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	return &caseWrite{change: ch, idemKey: idemKey, idemID: idemID, Change: enc}, nil
}

// caseState is what a commit needs to know of a case already stored: how many timeline entries
// and which search terms it has.
type caseState struct {
	timeline int
	terms    []string
}

// stateOf reads the stored state of the cases (not opened by the batch) in read Txns.
func (s *CaseStore) stateOf(ids []string) (map[string]*caseState, error) {
	out := make(map[string]*caseState, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), readBatch)
		part := ids[:n]
		ids = ids[n:]
		var ops []clientv3.Op
		for _, id := range part {
			ops = append(ops, clientv3.OpGet(s.tlPrefix(id), clientv3.WithPrefix(), clientv3.WithCountOnly()),
				clientv3.OpGet(s.termsKey(id)))
		}
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		r, err := s.cli.Txn(ctx).Then(ops...).Commit()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("etcd: read the state of %d cases: %w", len(part), err)
		}
		for i, id := range part {
			st := &caseState{timeline: int(r.Responses[2*i].GetResponseRange().Count)}
			if kvs := r.Responses[2*i+1].GetResponseRange().Kvs; len(kvs) > 0 && len(kvs[0].Value) > 0 {
				st.terms = strings.Split(string(kvs[0].Value), "\x00")
			}
			out[id] = st
		}
	}
	return out, nil
}

// caseTxn is one Txn of a commit being built: every key once (the last write wins).
type caseTxn struct {
	order []string
	puts  map[string][]byte // nil value: delete
	bytes int
}

func newCaseTxn() *caseTxn { return &caseTxn{puts: map[string][]byte{}} }

func (b *caseTxn) set(k string, v []byte) {
	if _, ok := b.puts[k]; !ok {
		b.order = append(b.order, k)
	}
	b.puts[k] = v
	b.bytes += len(k) + len(v)
}

func (b *caseTxn) del(k string) { b.set(k, nil) }

// unit is a group of writes that go in one Txn (one case's record with its timeline entries and
// indexes; one event; ...).
type unit []kv

func (u unit) size() (ops, bytes int) {
	for _, e := range u {
		bytes += len(e.key) + len(e.val)
	}
	return len(u), bytes
}

// del is the write that deletes a key (a nil value).
func del(k string) kv { return kv{key: k} }

// Commit writes the batch in as few fenced Txns as etcd's limits allow (doc.go). A change that
// fits is never cut; one that does not (a tick touching hundreds of cases, a long text's search
// terms) is cut between cases, and the meta (the log's last seq) goes with the Txn that ends it.
func (s *CaseStore) Commit(batch []any) error {
	key, rev, ok := s.fence()
	if !ok {
		return ErrNotOwner
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := make([]*caseWrite, len(batch))
	var known []string
	seen := map[string]bool{}
	for i, x := range batch {
		ws[i] = x.(*caseWrite)
		for _, c := range ws[i].change.Cases {
			if !seen[c.ID] && !ws[i].Opened[c.ID] {
				known = append(known, c.ID)
			}
			seen[c.ID] = true
		}
	}
	state, err := s.stateOf(known)
	if err != nil {
		return err
	}
	b := newCaseTxn()
	flush := func() error {
		if len(b.order) == 0 {
			return nil
		}
		if err := s.commit(key, rev, b); err != nil {
			return err
		}
		b = newCaseTxn()
		return nil
	}
	add := func(u unit) error {
		ops, bytes := u.size()
		if len(b.order) > 0 && (len(b.order)+ops+1 > s.maxTxnOps() || b.bytes+bytes > MaxTxnBytes) {
			if err := flush(); err != nil {
				return err
			}
		}
		for _, e := range u {
			b.set(e.key, e.val)
		}
		return nil
	}
	for _, w := range ws {
		pre, units, post, err := s.changeUnits(w, state)
		if err != nil {
			return err
		}
		meta, err := json.Marshal(&w.change.Meta)
		if err != nil {
			return fmt.Errorf("etcd: encode case meta: %w", err)
		}
		all := append(append(pre, units...), post...)
		total, tbytes := 0, 0
		for _, u := range all {
			o, by := u.size()
			total, tbytes = total+o, tbytes+by
		}
		if len(b.order) > 0 && (len(b.order)+total+1 > s.maxTxnOps() || b.bytes+tbytes > MaxTxnBytes) {
			if err := flush(); err != nil { // the change starts a Txn of its own
				return err
			}
		}
		// The search terms a case gains first, the record and the log, then the terms it lost:
		// a change cut in several Txns that fails half-way leaves a term too many in the index,
		// never one missing (the search checks its hits against the cases).
		for _, u := range append(pre, units...) {
			if err := add(u); err != nil {
				return err
			}
		}
		if len(w.change.Events) > 0 {
			if err := add(unit{{s.metaKey(), meta}}); err != nil {
				return err
			}
		}
		for _, u := range post {
			if err := add(u); err != nil {
				return err
			}
		}
	}
	return flush()
}

// changeUnits returns the writes of a change: the search terms its cases gain (pre), its events,
// cases, learned examples and idempotency record, in this order (units; the idempotency record
// after the case it answers), the terms they lose (post). state is brought up to date with the
// change.
func (s *CaseStore) changeUnits(w *caseWrite, state map[string]*caseState) (pre, units, post []unit, err error) {
	ch := &w.change
	// The events first: in a change cut in several Txns that fails half-way they are past the
	// meta's seq, never read, and overwritten by the next owner's events of those seqs.
	for i := range ch.Events {
		units = append(units, unit{{s.evKey(ch.Events[i].Seq), w.Events[i]}})
	}
	for i := range ch.Cases {
		c := &ch.Cases[i]
		st := state[c.ID]
		if st == nil {
			st = &caseState{}
			state[c.ID] = st
		}
		u := unit{{s.recKey(c.ID), w.Records[i]}}
		for j := st.timeline; j < len(c.Timeline); j++ {
			v, err := json.Marshal(&c.Timeline[j])
			if err != nil {
				return nil, nil, nil, fmt.Errorf("etcd: encode timeline entry %d of %s: %w", j, c.ID, err)
			}
			u = append(u, kv{s.tlKey(c.ID, j), v})
		}
		st.timeline = max(st.timeline, len(c.Timeline))
		if w.Opened[c.ID] {
			u = append(u, kv{s.numKey(c.Number), []byte(c.ID)}, kv{s.tokKey(c.Token), []byte(c.ID)},
				kv{s.recvKey(c), []byte{}})
			if id := c.Requester.Identity; id != nil && id.Check() == nil {
				u = append(u, kv{s.reqPrefix(id.Key()) + stamp(c.ReceivedAt) + "/" + c.ID, []byte{}},
					kv{s.reqOfKey(c.ID), []byte(id.Key())})
			}
		}
		if !c.State.Final() {
			u = append(u, kv{s.openKey(c.ID), []byte{}})
		} else {
			u = append(u, del(s.openKey(c.ID)))
			depts := []string{""}
			if c.Department != "" {
				depts = append(depts, c.Department)
			}
			for _, p := range c.Parts {
				depts = append(depts, p.Department)
			}
			for _, d := range depts {
				u = append(u, kv{s.closedKey(d, c), []byte{}})
			}
		}
		var terms []string
		for _, t := range cases.SearchTerms(c) {
			if strings.IndexByte(t, 0) < 0 {
				terms = append(terms, t)
			}
		}
		if !slices.Equal(terms, st.terms) {
			for _, t := range terms {
				if !slices.Contains(st.terms, t) {
					pre = append(pre, unit{{s.searchKey(t, c.ID), []byte{}}})
				}
			}
			for _, t := range st.terms {
				if !slices.Contains(terms, t) {
					post = append(post, unit{del(s.searchKey(t, c.ID))})
				}
			}
			u = append(u, kv{s.termsKey(c.ID), []byte(strings.Join(terms, "\x00"))})
			st.terms = terms
		}
		units = append(units, u)
	}
	for i := range ch.Learned {
		v, err := json.Marshal(&ch.Learned[i])
		if err != nil {
			return nil, nil, nil, fmt.Errorf("etcd: encode learned example: %w", err)
		}
		units = append(units, unit{{s.learnedKey(ch.Meta.Seq, i), v}})
	}
	if w.idemKey != "" {
		v, err := json.Marshal(idemRecord{ID: w.idemID, At: s.now().UTC()})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("etcd: encode idempotency record: %w", err)
		}
		units = append(units, unit{{s.idemKey(w.idemKey), v}})
	}
	return pre, units, post, nil
}

// commit commits one Txn if the fence still holds.
func (s *CaseStore) commit(fenceKey string, rev int64, b *caseTxn) error {
	ops := make([]clientv3.Op, 0, len(b.order))
	for _, k := range b.order {
		if v := b.puts[k]; v != nil {
			ops = append(ops, clientv3.OpPut(k, string(v)))
		} else {
			ops = append(ops, clientv3.OpDelete(k))
		}
	}
	return s.txn(fenceKey, rev, ops)
}

// txn runs ops in one Txn fenced on the owner's key.
func (s *CaseStore) txn(fenceKey string, rev int64, ops []clientv3.Op) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	r, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(fenceKey), "=", rev)).Then(ops...).Commit()
	if err != nil {
		return hall.Errorf(hall.EUNAVAILABLE, "", "etcd: commit %d operations: %v", len(ops), err)
	}
	if !r.Succeeded {
		return ErrNotOwner
	}
	return nil
}

// fenced runs ops in Txns of at most MaxTxnOps, each fenced.
func (s *CaseStore) fenced(ops []clientv3.Op) error {
	key, rev, ok := s.fence()
	if !ok {
		return ErrNotOwner
	}
	for len(ops) > 0 {
		n := min(len(ops), MaxTxnOps)
		if err := s.txn(key, rev, ops[:n]); err != nil {
			return err
		}
		ops = ops[n:]
	}
	return nil
}

// readCases reads the committed cases with these IDs (records, and timelines unless
// noTimeline), in read Txns of readBatch cases; an ID without a record is left out.
func (s *CaseStore) readCases(ctx context.Context, ids []string, noTimeline bool) (map[string]*hall.Case, error) {
	out := make(map[string]*hall.Case, len(ids))
	for len(ids) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(len(ids), readBatch)
		part := ids[:n]
		ids = ids[n:]
		var ops []clientv3.Op
		for _, id := range part {
			ops = append(ops, clientv3.OpGet(s.recKey(id)))
			if !noTimeline {
				ops = append(ops, clientv3.OpGet(s.tlPrefix(id), clientv3.WithPrefix()))
			}
		}
		c, cancel := context.WithTimeout(ctx, opTimeout)
		r, err := s.cli.Txn(c).Then(ops...).Commit()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("etcd: read %d cases: %w", len(part), err)
		}
		per := 2
		if noTimeline {
			per = 1
		}
		for i, id := range part {
			kvs := r.Responses[per*i].GetResponseRange().Kvs
			if len(kvs) == 0 {
				continue
			}
			one := new(hall.Case)
			if err := json.Unmarshal(kvs[0].Value, one); err != nil {
				return nil, fmt.Errorf("etcd: decode case %s: %w", id, err)
			}
			one.Timeline = []hall.CaseEntry{}
			if !noTimeline {
				for _, e := range r.Responses[per*i+1].GetResponseRange().Kvs {
					var en hall.CaseEntry
					if err := json.Unmarshal(e.Value, &en); err != nil {
						return nil, fmt.Errorf("etcd: decode %s: %w", e.Key, err)
					}
					one.Timeline = append(one.Timeline, en)
				}
			}
			out[id] = one
		}
	}
	return out, nil
}

// Events reads the committed case events after seq up to last, each with its case as it was
// after the event (filled from the case's current lists, which only grow).
func (s *CaseStore) Events(ctx context.Context, _ string, after, last uint64, limit int) ([]hall.CaseEvent, error) {
	out := []hall.CaseEvent{}
	if after >= last || limit <= 0 {
		return out, nil
	}
	c, cancel := context.WithTimeout(ctx, opTimeout)
	r, err := s.cli.Get(c, s.evKey(after+1), clientv3.WithRange(s.evKey(last+1)), clientv3.WithLimit(int64(limit)))
	cancel()
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read case events: %v", err)
	}
	evs := make([]storedCaseEvent, len(r.Kvs))
	var ids []string
	seen := map[string]bool{}
	for i, kv := range r.Kvs {
		if err := json.Unmarshal(kv.Value, &evs[i]); err != nil {
			return nil, fmt.Errorf("etcd: decode %s: %w", kv.Key, err)
		}
		if e := &evs[i]; e.Lens != nil && e.Case != nil && !seen[e.Case.ID] {
			seen[e.Case.ID] = true
			ids = append(ids, e.Case.ID)
		}
	}
	cur, err := s.readCases(ctx, ids, false)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read the cases of events: %v", err)
	}
	for i := range evs {
		e := &evs[i]
		if e.Lens != nil && e.Case != nil {
			now := cur[e.Case.ID]
			if now == nil {
				now = &hall.Case{}
			}
			caseformat.Fill(e.Case, now, e.Lens)
		}
		out = append(out, e.CaseEvent)
	}
	return out, nil
}

// keys reads the keys under a prefix (keys only, in pages).
func (s *CaseStore) keys(ctx context.Context, p string) ([]string, error) {
	var out []string
	from := p
	end := clientv3.GetPrefixRangeEnd(p)
	for {
		c, cancel := context.WithTimeout(ctx, opTimeout)
		r, err := s.cli.Get(c, from, clientv3.WithRange(end), clientv3.WithKeysOnly(), clientv3.WithLimit(1000))
		cancel()
		if err != nil {
			return nil, err
		}
		for _, kv := range r.Kvs {
			out = append(out, string(kv.Key))
		}
		if !r.More || len(r.Kvs) == 0 {
			return out, nil
		}
		from = string(r.Kvs[len(r.Kvs)-1].Key) + "\x00"
	}
}

// LoadCases reads the meta, the open cases and the router examples learned from re-routings.
func (s *CaseStore) LoadCases() (meta cases.Meta, open []hall.Case, learned []hall.RouteExample, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*opTimeout)
	defer cancel()
	fail := func(err error) (cases.Meta, []hall.Case, []hall.RouteExample, error) {
		return cases.Meta{}, nil, nil, fmt.Errorf("etcd: load cases: %w", err)
	}
	r, err := s.cli.Get(ctx, s.metaKey())
	if err != nil {
		return fail(err)
	}
	if len(r.Kvs) > 0 {
		if err := json.Unmarshal(r.Kvs[0].Value, &meta); err != nil {
			return fail(fmt.Errorf("decode case meta: %w", err))
		}
	}
	ks, err := s.keys(ctx, s.k("open/"))
	if err != nil {
		return fail(err)
	}
	ids := make([]string, len(ks))
	for i, k := range ks {
		ids[i] = strings.TrimPrefix(k, s.k("open/"))
	}
	got, err := s.readCases(ctx, ids, false)
	if err != nil {
		return fail(err)
	}
	for _, id := range ids {
		if c := got[id]; c != nil {
			open = append(open, *c)
		}
	}
	forgot := map[string]uint64{}
	f, err := s.cli.Get(ctx, s.k("forgot/"), clientv3.WithPrefix())
	if err != nil {
		return fail(err)
	}
	for _, kv := range f.Kvs {
		var rec caseformat.Forgot
		if err := json.Unmarshal(kv.Value, &rec); err != nil {
			return fail(fmt.Errorf("decode %s: %w", kv.Key, err))
		}
		forgot[strings.TrimPrefix(string(kv.Key), s.k("forgot/"))] = rec.Seq
	}
	l, err := s.cli.Get(ctx, s.k("learned/"), clientv3.WithPrefix())
	if err != nil {
		return fail(err)
	}
	for _, kv := range l.Kvs {
		var ex hall.RouteExample
		if err := json.Unmarshal(kv.Value, &ex); err != nil {
			return fail(fmt.Errorf("decode %s: %w", kv.Key, err))
		}
		rest := strings.TrimPrefix(string(kv.Key), s.k("learned/"))
		seq, _ := strconv.ParseUint(rest[:min(20, len(rest))], 10, 64)
		if fs, ok := forgot[ex.By]; ok && ex.By != "" && seq <= fs {
			continue
		}
		learned = append(learned, ex)
	}
	return meta, open, learned, nil
}

// ForgetRoutes durably records (fenced) that the re-routes of by learned up to seq are undone.
func (s *CaseStore) ForgetRoutes(by string, seq uint64, at time.Time) error {
	if by == "" {
		return hall.Errorf(hall.EINVALID, "username", "username is required")
	}
	v, err := json.Marshal(caseformat.Forgot{Seq: seq, At: at.UTC()})
	if err != nil {
		return fmt.Errorf("etcd: encode forgotten re-routes: %w", err)
	}
	if err := s.fenced([]clientv3.Op{clientv3.OpPut(s.forgotKey(by), string(v))}); err != nil {
		return fmt.Errorf("etcd: forget re-routes of %q: %w", by, err)
	}
	return nil
}

// Idem returns the record of an idempotency key (ID "" when none).
func (s *CaseStore) Idem(key string) (enginehost.IdemRecord, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	r, err := s.cli.Get(ctx, s.idemKey(key))
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

// PruneIdem deletes idempotency records older than ttl (fenced; errors: pruned next time).
func (s *CaseStore) PruneIdem(ttl time.Duration, now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	r, err := s.cli.Get(ctx, s.k("idem/"), clientv3.WithPrefix())
	if err != nil {
		return
	}
	var ops []clientv3.Op
	for _, kv := range r.Kvs {
		var rec idemRecord
		if json.Unmarshal(kv.Value, &rec) == nil && now.Sub(rec.At) <= ttl {
			continue
		}
		ops = append(ops, clientv3.OpDelete(string(kv.Key)))
	}
	_ = s.fenced(ops)
}

// ReadCase reads a committed case by ID, by number or (byToken) by follow token; nil when none.
func (s *CaseStore) ReadCase(ctx context.Context, ref string, byToken bool) (*hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ref == "" || len(ref) > 256 {
		return nil, nil
	}
	c, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	id := ref
	var ops []clientv3.Op
	if byToken {
		ops = []clientv3.Op{clientv3.OpGet(s.tokKey(ref))}
	} else {
		ops = []clientv3.Op{clientv3.OpGet(s.recKey(ref), clientv3.WithKeysOnly()), clientv3.OpGet(s.numKey(ref))}
	}
	r, err := s.cli.Txn(c).Then(ops...).Commit()
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read case: %v", err)
	}
	if byToken || len(r.Responses[0].GetResponseRange().Kvs) == 0 {
		kvs := r.Responses[len(ops)-1].GetResponseRange().Kvs
		if len(kvs) == 0 {
			return nil, nil
		}
		id = string(kvs[0].Value)
	}
	got, err := s.readCases(ctx, []string{id}, false)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read case: %v", err)
	}
	return got[id], nil
}

// idOf is the case ID at the end of an index key ({...}/{stamp}/{id}).
func idOf(k string) string { return k[strings.LastIndexByte(k, '/')+1:] }

// ClosedCases reads final cases matching the filter from the department's part of the closed
// index, newest first, at most f.Limit (when positive).
func (s *CaseStore) ClosedCases(ctx context.Context, f hall.CaseFilter, now time.Time) ([]hall.Case, error) {
	p := s.closedPrefix(f.Department)
	lo, hi := p, clientv3.GetPrefixRangeEnd(p)
	if !f.Since.IsZero() {
		lo = p + stamp(f.Since)
	}
	if !f.Until.IsZero() {
		hi = p + stamp(f.Until)
	}
	var out []hall.Case
	for lo < hi {
		c, cancel := context.WithTimeout(ctx, opTimeout)
		r, err := s.cli.Get(c, lo, clientv3.WithRange(hi), clientv3.WithKeysOnly(), clientv3.WithLimit(pageSize),
			clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read closed cases: %v", err)
		}
		ids := make([]string, len(r.Kvs))
		for i, kv := range r.Kvs {
			ids[i] = idOf(string(kv.Key))
		}
		got, err := s.readCases(ctx, ids, f.NoTimeline)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read closed cases: %v", err)
		}
		for _, id := range ids {
			cs := got[id]
			if cs == nil || !cases.Match(cs, f, now) {
				continue
			}
			out = append(out, *cs)
			if f.Limit > 0 && len(out) >= f.Limit {
				return out, nil
			}
		}
		if !r.More || len(r.Kvs) == 0 {
			break
		}
		hi = string(r.Kvs[len(r.Kvs)-1].Key)
	}
	return out, nil
}

// received walks the received index over [from, to), oldest first, a page at a time.
func (s *CaseStore) received(ctx context.Context, from, to time.Time, page func(ids []string) error) error {
	lo, hi := s.recvPrefix()+stamp(from), s.recvPrefix()+stamp(to)
	for lo < hi {
		c, cancel := context.WithTimeout(ctx, opTimeout)
		r, err := s.cli.Get(c, lo, clientv3.WithRange(hi), clientv3.WithKeysOnly(), clientv3.WithLimit(pageSize))
		cancel()
		if err != nil {
			return err
		}
		ids := make([]string, len(r.Kvs))
		for i, kv := range r.Kvs {
			ids[i] = idOf(string(kv.Key))
		}
		if err := page(ids); err != nil {
			return err
		}
		if !r.More || len(r.Kvs) == 0 {
			return nil
		}
		lo = string(r.Kvs[len(r.Kvs)-1].Key) + "\x00"
	}
	return nil
}

// Received reads the committed cases received in [from, to), oldest first.
func (s *CaseStore) Received(ctx context.Context, from, to time.Time) ([]hall.Case, error) {
	var out []hall.Case
	err := s.received(ctx, from, to, func(ids []string) error {
		got, err := s.readCases(ctx, ids, false)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if c := got[id]; c != nil {
				out = append(out, *c)
			}
		}
		return nil
	})
	return out, err
}

// FinalCases reads the committed final cases received in [from, to), oldest first, in their
// report form (the timeline holds only the returns to triage, no Route). A final case never
// changes: its report form is kept once read, shared (read only).
func (s *CaseStore) FinalCases(ctx context.Context, from, to time.Time) ([]*hall.Case, error) {
	var out []*hall.Case
	err := s.received(ctx, from, to, func(ids []string) error {
		s.rmu.Lock()
		var need []string
		for _, id := range ids {
			if s.reports[id] == nil {
				need = append(need, id)
			}
		}
		s.rmu.Unlock()
		got, err := s.readCases(ctx, need, true)
		if err != nil {
			return err
		}
		var withReturns []string
		for id, c := range got {
			if c.State.Final() && c.Returns > 0 {
				withReturns = append(withReturns, id)
			}
		}
		full, err := s.readCases(ctx, withReturns, false)
		if err != nil {
			return err
		}
		s.rmu.Lock()
		defer s.rmu.Unlock()
		for id, c := range got {
			if !c.State.Final() {
				continue
			}
			tl := []hall.CaseEntry{}
			if fc := full[id]; fc != nil {
				for _, en := range fc.Timeline {
					if en.Type == hall.CaseEvReturned {
						tl = append(tl, en)
					}
				}
			}
			c.Timeline, c.Route = tl, nil
			s.reports[id] = c
		}
		for _, id := range ids {
			if c := s.reports[id]; c != nil {
				out = append(out, c)
			}
		}
		return nil
	})
	return out, err
}

// SearchCases looks the query up in the search index (c/search/): the cases whose number or
// phone is the query and those holding any of its tokens, counted; with dept, only the cases
// involving that department. In no order.
func (s *CaseStore) SearchCases(ctx context.Context, q cases.Query, dept string) ([]cases.SearchHit, error) {
	hits := map[string]*cases.SearchHit{}
	scan := func(term string, pre bool, fn func(h *cases.SearchHit)) error {
		p := s.k("search/", term)
		if !pre {
			p += "\x00"
		}
		ks, err := s.keys(ctx, p)
		if err != nil {
			return err
		}
		for _, k := range ks {
			i := strings.IndexByte(k[len(s.k("search/")):], 0)
			if i < 0 {
				continue
			}
			id := k[len(s.k("search/"))+i+1:]
			if h := cases.Hit(hits, id); h != nil {
				fn(h)
			}
		}
		return nil
	}
	fail := func(err error) ([]cases.SearchHit, error) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: search cases: %v", err)
	}
	if err := q.Scan(scan); err != nil {
		return fail(err)
	}
	if dept != "" && len(hits) > 0 {
		in := map[string]bool{}
		ks, err := s.keys(ctx, s.searchKey(cases.TermDept+dept, ""))
		if err != nil {
			return fail(err)
		}
		for _, k := range ks {
			in[k[strings.LastIndexByte(k, 0)+1:]] = true
		}
		for id := range hits {
			if !in[id] {
				delete(hits, id)
			}
		}
	}
	out := make([]cases.SearchHit, 0, len(hits))
	for _, h := range hits {
		out = append(out, *h)
	}
	return out, nil
}

// RequesterCases reads the cases opened under the identity (the requester index c/req/), newest
// first, at most limit: what bolt.Requesters.RequesterCases answers from the bbolt file.
func (s *CaseStore) RequesterCases(ctx context.Context, id hall.Identity, limit int) ([]hall.Case, error) {
	c, cancel := context.WithTimeout(ctx, opTimeout)
	p := s.reqPrefix(id.Key())
	r, err := s.cli.Get(c, p, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(int64(max(limit, 1))),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
	cancel()
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read requester cases: %v", err)
	}
	ids := make([]string, len(r.Kvs))
	for i, kv := range r.Kvs {
		ids[i] = idOf(string(kv.Key))
	}
	got, err := s.readCases(ctx, ids, false)
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read requester cases: %v", err)
	}
	var out []hall.Case
	for _, id := range ids {
		if c := got[id]; c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

// CaseRequester returns the identity the case was opened under (nil when none).
func (s *CaseStore) CaseRequester(ctx context.Context, caseID string) (*hall.Identity, error) {
	c, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := s.cli.Get(c, s.reqOfKey(caseID))
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read the requester of case %s: %v", caseID, err)
	}
	if len(r.Kvs) == 0 {
		return nil, nil
	}
	src, acct, ok := strings.Cut(string(r.Kvs[0].Value), "\x00")
	if !ok {
		return nil, fmt.Errorf("etcd: case %s: a requester key without its separator", caseID)
	}
	return &hall.Identity{Source: hall.IdentitySource(src), ID: acct}, nil
}
