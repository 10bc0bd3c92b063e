package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/caseformat"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
)

var _ enginehost.CaseStore = (*caseStore)(nil)

// caseStore is the bbolt store of the case log: the enginehost.Store under Cases, and the reads
// of committed cases (by ID, number, token; closed ones by department; by receipt time):
// enginehost.CaseStore (layout: doc.go).
type caseStore struct {
	db  *DB
	now func() time.Time

	// reports holds the report form (reportForm) of final cases once read by FinalCases: a
	// final case never changes again, so the supervision page's reports decode each at most
	// once (about 1 KB each: a year of 30,000 cases, some 30 MiB).
	mu      sync.Mutex
	reports map[string]*hall.Case
	// byReceipt is every final case received in [lo, hi) in its report form, in the received
	// index's order (receipt time, then ID): FinalCases answers from it without reading the
	// file once its window is covered; Commit adds the cases that become final in it.
	byReceipt []*hall.Case
	lo, hi    int64 // UnixNano; lo == hi: nothing covered

	// pending holds the cases Commit made final, until the next FinalCases adds them to
	// byReceipt: the committer never waits for a report's read (pmu only guards the queue).
	// Past maxPendingFinal (no report for a long time) it is dropped and stale set: the next
	// FinalCases reads its window from the file again.
	pmu     sync.Mutex
	pending []pendingFinal
	stale   bool

	// finals holds whole final cases (record and timeline) once read by ClosedCases or
	// ReadCase, at most finalCacheSize (finalCache).
	finals *finalCache
}

// finalCacheSize bounds the whole final cases kept decoded: the inbox's lists of closed
// cases (up to 500 each, 200 from the page) of several departments. A year of the demo
// history's final cases averages about 3 KB each decoded (record, timeline), so some 12 MiB.
const finalCacheSize = 4096

// finalCache keeps up to size decoded final cases in two generations: new entries and hits go
// into the young one; when it holds size/2 the old one is dropped and the young one becomes
// old. A case read at least once per size/2 insertions stays. The cases are shared: read only.
// Safe for concurrent use.
type finalCache struct {
	mu         sync.Mutex
	size       int
	young, old map[string]*hall.Case
}

func newFinalCache(size int) *finalCache {
	return &finalCache{size: size, young: map[string]*hall.Case{}, old: map[string]*hall.Case{}}
}

// get returns the final case with this ID, nil when not kept.
func (f *finalCache) get(id []byte) *hall.Case {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.young[string(id)]; c != nil {
		return c
	}
	c := f.old[string(id)]
	if c != nil {
		f.putLocked(c)
	}
	return c
}

// put keeps a final case (others are ignored).
func (f *finalCache) put(c *hall.Case) {
	if !c.State.Final() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.putLocked(c)
}

func (f *finalCache) putLocked(c *hall.Case) {
	if len(f.young) >= f.size/2 {
		f.old, f.young = f.young, make(map[string]*hall.Case, f.size/2)
	}
	f.young[c.ID] = c
}

// len is the number of cases kept.
func (f *finalCache) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.young)
	for id := range f.old {
		if f.young[id] == nil {
			n++
		}
	}
	return n
}

// newCaseStore creates the case buckets when needed and rewrites case records and events stored
// in the format before 2 (caseformat.go).
func newCaseStore(db *DB, now func() time.Time) (*caseStore, error) {
	if err := db.ensureBuckets(caseBuckets...); err != nil {
		return nil, fmt.Errorf("bolt: create case buckets: %w", err)
	}
	if _, _, err := migrateCases(db); err != nil {
		return nil, err
	}
	if _, err := buildSearchIndex(db); err != nil {
		return nil, err
	}
	return &caseStore{db: db, now: now, reports: map[string]*hall.Case{}, finals: newFinalCache(finalCacheSize)}, nil
}

// caseWrite is a case change prepared for the committer.
type caseWrite struct {
	change            cases.Change
	idemKey           string // source + 0x00 + key, for an Open with an idempotency key
	idemID            string
	caseformat.Change // the records of change.Cases (without their timelines), the events as stored, the cases opened
}

// Prepare encodes the change's cases and events and notes the cases it opens.
func (s *caseStore) Prepare(_ string, ch cases.Change, idemKey, idemID string) (any, error) {
	enc, err := caseformat.EncodeChange(ch.Cases, ch.Events)
	if err != nil {
		return nil, err
	}
	return &caseWrite{change: ch, idemKey: idemKey, idemID: idemID, Change: enc}, nil
}

// Commit writes the batch in one transaction: cases and their indexes, events, learned
// examples, idempotency keys and the latest meta. Once it is durable, the cases that became
// final are queued for the report cache (before the host publishes the commit: a report that
// saw such a case leave the engine waits for this commit, and then finds it queued).
func (s *caseStore) Commit(batch []any) error {
	ws := prepared[*caseWrite](batch)
	if err := s.db.commit(func(tx *bbolt.Tx) error { return s.write(tx, ws) }); err != nil {
		return err
	}
	s.queueFinal(ws)
	return nil
}

// pendingFinal is a case a commit made final: its record as stored and its returns to triage.
type pendingFinal struct {
	rec      []byte
	returned []hall.CaseEntry
}

// maxPendingFinal bounds the cases queued for the report cache between two reports.
const maxPendingFinal = 4096

// queueFinal queues the batch's cases that became final for the report cache.
func (s *caseStore) queueFinal(ws []*caseWrite) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	for _, w := range ws {
		for i := range w.change.Cases {
			c := &w.change.Cases[i]
			if !c.State.Final() || s.stale {
				continue
			}
			if len(s.pending) >= maxPendingFinal {
				s.pending, s.stale = nil, true
				continue
			}
			p := pendingFinal{rec: w.Records[i]}
			for _, en := range c.Timeline {
				if en.Type == hall.CaseEvReturned {
					p.returned = append(p.returned, en)
				}
			}
			s.pending = append(s.pending, p)
		}
	}
}

// addPending adds the queued final cases received in the covered window to the report cache,
// in their report form decoded from the record as stored, as reportForm would read it (s.mu
// held).
func (s *caseStore) addPending() {
	s.pmu.Lock()
	pending, stale := s.pending, s.stale
	s.pending, s.stale = nil, false
	s.pmu.Unlock()
	if stale {
		s.lo, s.hi, s.byReceipt = 0, 0, nil // read from the file next time
		return
	}
	for _, p := range pending {
		one := new(hall.Case)
		if err := json.Unmarshal(p.rec, one); err != nil {
			s.lo, s.hi, s.byReceipt = 0, 0, nil
			return
		}
		at := one.ReceivedAt.UnixNano()
		if at < s.lo || at >= s.hi || s.reports[one.ID] != nil {
			continue
		}
		one.Timeline = []hall.CaseEntry{}
		for _, en := range p.returned {
			var cp hall.CaseEntry
			if b, err := json.Marshal(&en); err == nil && json.Unmarshal(b, &cp) == nil {
				one.Timeline = append(one.Timeline, cp)
			}
		}
		one.Route = nil
		s.reports[one.ID] = one
		k := sort.Search(len(s.byReceipt), func(j int) bool { return receiptLess(one, s.byReceipt[j]) })
		s.byReceipt = slices.Insert(s.byReceipt, k, one)
	}
}

// receiptLess orders cases as the received index does: by receipt time, then ID.
func receiptLess(a, b *hall.Case) bool {
	ta, tb := a.ReceivedAt.UnixNano(), b.ReceivedAt.UnixNano()
	if ta != tb {
		return ta < tb
	}
	return a.ID < b.ID
}

// Events reads the committed case events after seq up to last, each with its case as it was
// after the event.
func (s *caseStore) Events(ctx context.Context, _ string, after, last uint64, limit int) ([]hall.CaseEvent, error) {
	return readCaseEvents(ctx, s.db, after, last, limit)
}

// LoadCases reads the meta, the open cases and the router examples learned from re-routings.
func (s *caseStore) LoadCases() (meta cases.Meta, open []hall.Case, learned []hall.RouteExample, err error) {
	err = s.db.bolt.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketCaseMeta).Get(caseMetaKey); v != nil {
			if err := json.Unmarshal(v, &meta); err != nil {
				return fmt.Errorf("decode case meta: %w", err)
			}
		}
		ct := caseTxOf(tx)
		err := tx.Bucket(bucketCaseOpen).ForEach(func(k, _ []byte) error {
			c, err := ct.get(k)
			if c != nil {
				open = append(open, *c)
			}
			return err
		})
		if err != nil {
			return err
		}
		forgot := map[string]uint64{}
		if b := tx.Bucket(bucketCaseForgot); b != nil {
			err := b.ForEach(func(k, v []byte) error {
				var rec caseformat.Forgot
				if err := json.Unmarshal(v, &rec); err != nil {
					return fmt.Errorf("decode forgotten re-routes of %q: %w", k, err)
				}
				forgot[string(k)] = rec.Seq
				return nil
			})
			if err != nil {
				return err
			}
		}
		return tx.Bucket(bucketCaseLearned).ForEach(func(k, v []byte) error {
			var ex hall.RouteExample
			if err := json.Unmarshal(v, &ex); err != nil {
				return fmt.Errorf("decode learned example %x: %w", k, err)
			}
			if seq, ok := forgot[ex.By]; ok && ex.By != "" && binary.BigEndian.Uint64(k[:8]) <= seq {
				return nil
			}
			learned = append(learned, ex)
			return nil
		})
	})
	if err != nil {
		return cases.Meta{}, nil, nil, fmt.Errorf("bolt: load cases: %w", err)
	}
	return meta, open, learned, nil
}

// ForgetRoutes records in cases.forgotten that the re-routes of by learned by changes up to seq
// are undone; it returns once the record is on disk.
func (s *caseStore) ForgetRoutes(by string, seq uint64, at time.Time) error {
	if by == "" {
		return hall.Errorf(hall.EINVALID, "username", "username is required")
	}
	v, err := json.Marshal(caseformat.Forgot{Seq: seq, At: at.UTC()})
	if err != nil {
		return fmt.Errorf("encode forgotten re-routes: %w", err)
	}
	err = s.db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketCaseForgot)
		if err != nil {
			return err
		}
		return b.Put([]byte(by), v)
	})
	if err != nil {
		return fmt.Errorf("bolt: forget re-routes of %q: %w", by, err)
	}
	return nil
}

// Idem returns the case ID stored for an idempotency key and when it was stored ("" when none).
func (s *caseStore) Idem(key string) (enginehost.IdemRecord, error) {
	return s.db.readIdem(bucketCaseIdem, key)
}

// PruneIdem deletes the case idempotency records older than ttl.
func (s *caseStore) PruneIdem(ttl time.Duration, now time.Time) {
	s.db.pruneIdem(bucketCaseIdem, ttl, now)
}

// ReadCase reads a committed case by ID, by number or (byToken) by follow token; nil when none.
func (s *caseStore) ReadCase(ctx context.Context, ref string, byToken bool) (*hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ref == "" || len(ref) > 256 {
		return nil, nil
	}
	var c *hall.Case
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		ct := caseTxOf(tx)
		id := []byte(ref)
		if byToken {
			id = tx.Bucket(bucketCaseTokens).Get(id)
		} else if ct.all.Get(id) == nil {
			id = tx.Bucket(bucketCaseNumbers).Get([]byte(strings.ToUpper(ref)))
		}
		if id == nil {
			return nil
		}
		if f := s.finals.get(id); f != nil {
			cp := *f // a copy of the record: the caller may change it, not the shared lists
			c = &cp
			return nil
		}
		var err error
		if c, err = ct.get(id); err == nil && c != nil && c.State.Final() {
			cp := *c
			s.finals.put(&cp)
		}
		return err
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read case: %v", err)
	}
	return c, nil
}

// ClosedCases reads final cases matching the filter from the department's part of cases.closed,
// newest first, at most f.Limit (when positive). The cases come from the cache of whole final
// cases when kept there (finalCache) and are shallow copies: their lists are shared, read only.
// With f.NoTimeline a case not in the cache is read without its timeline (and not cached).
func (s *caseStore) ClosedCases(ctx context.Context, f hall.CaseFilter, now time.Time) ([]hall.Case, error) {
	prefix := append([]byte(f.Department), 0)
	var out []hall.Case
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		ct := caseTxOf(tx)
		c := tx.Bucket(bucketCaseClosed).Cursor()
		// Seek just past the prefix range (or to its Until bound), then walk backwards.
		hi := append([]byte(f.Department), 1)
		if !f.Until.IsZero() {
			hi = binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(f.Until.UnixNano()))
		}
		k, _ := c.Seek(hi)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for n := 0; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			if n++; n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			rest := k[len(prefix):]
			if len(rest) < 8 {
				continue
			}
			if !f.Since.IsZero() && int64(binary.BigEndian.Uint64(rest)) < f.Since.UnixNano() {
				break
			}
			cs := s.finals.get(rest[8:])
			if cs == nil {
				v := ct.all.Get(rest[8:])
				if v == nil {
					continue
				}
				cs = new(hall.Case)
				if f.NoTimeline {
					// the record alone (format 1 records hold their timeline: drop it); not
					// cached, the cache keeps whole cases
					if err := json.Unmarshal(v, cs); err != nil {
						return fmt.Errorf("decode case %s: %w", rest[8:], err)
					}
					cs.Timeline = []hall.CaseEntry{}
				} else {
					if err := ct.decode(rest[8:], v, cs); err != nil {
						return err
					}
					s.finals.put(cs)
				}
			}
			if !cases.Match(cs, f, now) {
				continue
			}
			out = append(out, *cs)
			if f.Limit > 0 && len(out) >= f.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read closed cases: %v", err)
	}
	return out, nil
}

// Received reads the committed cases received in [from, to), oldest first, through the
// received index (checking ctx every 256 entries). Its errors are the raw ones of the read.
func (s *caseStore) Received(ctx context.Context, from, to time.Time) ([]hall.Case, error) {
	var cs []hall.Case
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		ct := caseTxOf(tx)
		c := tx.Bucket(bucketCaseReceived).Cursor()
		lo := binary.BigEndian.AppendUint64(nil, uint64(max(from.UnixNano(), 0)))
		n := 0
		for k, _ := c.Seek(lo); k != nil && len(k) >= 8 && int64(binary.BigEndian.Uint64(k)) < to.UnixNano(); k, _ = c.Next() {
			if n++; n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			v := ct.all.Get(k[8:])
			if v == nil {
				continue
			}
			var one hall.Case
			if err := ct.decode(k[8:], v, &one); err != nil {
				return err
			}
			cs = append(cs, one)
		}
		return nil
	})
	return cs, err
}

// FinalCases reads the committed final cases received in [from, to), oldest first, in their
// report form (reportForm), from the cache once read (a final case never changes again): the
// cases are shared, read them only. The cache covers one window of receipt times, grown to each
// request's (only the part not covered yet is read from the file) and kept up to date with
// the cases Commit made final. Its errors are the raw ones of the read.
func (s *caseStore) FinalCases(ctx context.Context, from, to time.Time) ([]*hall.Case, error) {
	lo, hi := max(from.UnixNano(), 0), to.UnixNano()
	if lo >= hi {
		return nil, nil
	}
	// The queued cases are taken before the read transaction begins: a case made final by a
	// commit after that is in the snapshot, or queued for the next call, or both (the reports
	// map keeps it once).
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addPending()
	if s.lo == s.hi || hi < s.lo || lo > s.hi {
		// nothing covered, or a window apart from the covered one: start again from it
		s.byReceipt, s.lo, s.hi = nil, lo, lo
	}
	if lo < s.lo {
		head, err := s.readFinal(ctx, lo, s.lo)
		if err != nil {
			return nil, err
		}
		s.byReceipt, s.lo = append(head, s.byReceipt...), lo
	}
	if hi > s.hi {
		tail, err := s.readFinal(ctx, s.hi, hi)
		if err != nil {
			return nil, err
		}
		s.byReceipt, s.hi = append(s.byReceipt, tail...), hi
	}
	i := sort.Search(len(s.byReceipt), func(j int) bool { return s.byReceipt[j].ReceivedAt.UnixNano() >= lo })
	j := sort.Search(len(s.byReceipt), func(j int) bool { return s.byReceipt[j].ReceivedAt.UnixNano() >= hi })
	return slices.Clone(s.byReceipt[i:j]), nil
}

// readFinal reads the final cases received in [lo, hi) (UnixNano) in their report form, in the
// received index's order, through the reports map (s.mu held).
func (s *caseStore) readFinal(ctx context.Context, lo, hi int64) ([]*hall.Case, error) {
	var cs []*hall.Case
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		ct := caseTxOf(tx)
		open := tx.Bucket(bucketCaseOpen)
		c := tx.Bucket(bucketCaseReceived).Cursor()
		n := 0
		for k, _ := c.Seek(binary.BigEndian.AppendUint64(nil, uint64(lo))); k != nil && len(k) >= 8 && int64(binary.BigEndian.Uint64(k)) < hi; k, _ = c.Next() {
			if n++; n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			id := k[8:]
			if r := s.reports[string(id)]; r != nil {
				cs = append(cs, r)
				continue
			}
			if open.Get(id) != nil {
				continue
			}
			v := ct.all.Get(id)
			if v == nil {
				continue
			}
			one := new(hall.Case)
			if err := ct.reportForm(id, v, one); err != nil {
				return err
			}
			if one.State.Final() {
				s.reports[one.ID] = one
				cs = append(cs, one)
			}
		}
		return nil
	})
	return cs, err
}

// receivedKey is the time-ordered index key of a case: 8-byte big-endian ReceivedAt + ID.
func receivedKey(c *hall.Case) []byte {
	k := make([]byte, 8, 8+len(c.ID))
	binary.BigEndian.PutUint64(k, uint64(c.ReceivedAt.UnixNano()))
	return append(k, c.ID...)
}

// closedKey is the key of a final case in the department's part of cases.closed.
func closedKey(dept string, c *hall.Case) []byte {
	k := make([]byte, 0, len(dept)+9+len(c.ID))
	k = append(k, dept...)
	k = append(k, 0)
	return append(k, receivedKey(c)...)
}

// write puts one batch into the transaction: cases (record and new timeline entries) and their
// indexes (the search index among them), events, learned examples, idempotency keys and the
// latest meta.
func (s *caseStore) write(tx *bbolt.Tx, batch []*caseWrite) error {
	ct := caseTxOf(tx)
	numbers, tokens := tx.Bucket(bucketCaseNumbers), tx.Bucket(bucketCaseTokens)
	open, received, closed := tx.Bucket(bucketCaseOpen), tx.Bucket(bucketCaseReceived), tx.Bucket(bucketCaseClosed)
	events, learned, idem := tx.Bucket(bucketCaseEvents), tx.Bucket(bucketCaseLearned), tx.Bucket(bucketCaseIdem)
	events.FillPercent = caseEventsFill
	var meta *cases.Meta
	var key [10]byte
	for _, r := range batch {
		for i := range r.change.Cases {
			c := &r.change.Cases[i]
			id := []byte(c.ID)
			if err := ct.put(c, r.Records[i]); err != nil {
				return err
			}
			if err := indexCase(tx, c); err != nil {
				return err
			}
			if r.Opened[c.ID] {
				// Numbers, tokens and the receipt time never change: write them once.
				if err := numbers.Put([]byte(c.Number), id); err != nil {
					return fmt.Errorf("put case number: %w", err)
				}
				if err := tokens.Put([]byte(c.Token), id); err != nil {
					return fmt.Errorf("put case token: %w", err)
				}
				if err := received.Put(receivedKey(c), nil); err != nil {
					return fmt.Errorf("put case receipt: %w", err)
				}
				if err := indexRequester(tx, c); err != nil {
					return err
				}
			}
			if !c.State.Final() {
				if err := open.Put(id, nil); err != nil {
					return fmt.Errorf("open index %s: %w", c.ID, err)
				}
				continue
			}
			// Final cases never change again: index them by department once.
			if err := open.Delete(id); err != nil {
				return fmt.Errorf("open index %s: %w", c.ID, err)
			}
			depts := []string{""}
			if c.Department != "" {
				depts = append(depts, c.Department)
			}
			for _, p := range c.Parts {
				depts = append(depts, p.Department)
			}
			for _, d := range depts {
				if err := closed.Put(closedKey(d, c), nil); err != nil {
					return fmt.Errorf("closed index %s: %w", c.ID, err)
				}
			}
		}
		for i := range r.change.Events {
			binary.BigEndian.PutUint64(key[:8], r.change.Events[i].Seq)
			if err := events.Put(key[:8], r.Events[i]); err != nil {
				return fmt.Errorf("put case event %d: %w", r.change.Events[i].Seq, err)
			}
		}
		for i := range r.change.Learned {
			v, err := json.Marshal(&r.change.Learned[i])
			if err != nil {
				return fmt.Errorf("encode learned example: %w", err)
			}
			binary.BigEndian.PutUint64(key[:8], r.change.Meta.Seq)
			binary.BigEndian.PutUint16(key[8:], uint16(i))
			if err := learned.Put(key[:], v); err != nil {
				return fmt.Errorf("put learned example: %w", err)
			}
		}
		if r.idemKey != "" {
			v, _ := json.Marshal(idemRecord{ID: r.idemID, At: s.now().UTC()})
			if err := idem.Put([]byte(r.idemKey), v); err != nil {
				return fmt.Errorf("put idempotency key: %w", err)
			}
		}
		if len(r.change.Events) > 0 {
			meta = &r.change.Meta
		}
	}
	if meta != nil {
		v, err := json.Marshal(meta)
		if err != nil {
			return fmt.Errorf("encode case meta: %w", err)
		}
		if err := tx.Bucket(bucketCaseMeta).Put(caseMetaKey, v); err != nil {
			return fmt.Errorf("put case meta: %w", err)
		}
	}
	return nil
}
