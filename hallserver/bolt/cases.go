package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

var (
	_ hall.CaseService = (*Cases)(nil)
	_ hall.CaseLog     = (*Cases)(nil)
)

// Buckets of the case system (top level, next to the ticket buckets):
//
//	cases           case ID → JSON hall.Case (every case ever opened, as of its last change)
//	cases.number    case number → case ID
//	cases.token     follow token → case ID
//	cases.open      case ID → nil, for cases not final: start-up reads only this and the meta
//	cases.received  8-byte big-endian ReceivedAt (Unix ns) + case ID → nil (periods: stats, lists)
//	cases.closed    department + 0x00 + 8-byte ReceivedAt + case ID → nil, for final cases, one
//	                key per involved department plus one with the empty department (all cases)
//	cases.events    8-byte big-endian seq → JSON hall.CaseEvent (the case log)
//	cases.learned   8-byte seq + 2-byte index → JSON hall.RouteExample (router re-training)
//	cases.meta      "meta" → JSON cases.Meta
//	cases.idem      source + 0x00 + idempotency key → JSON {id, at}
var (
	bucketCases         = []byte("cases")
	bucketCaseNumbers   = []byte("cases.number")
	bucketCaseTokens    = []byte("cases.token")
	bucketCaseOpen      = []byte("cases.open")
	bucketCaseReceived  = []byte("cases.received")
	bucketCaseClosed    = []byte("cases.closed")
	bucketCaseEvents    = []byte("cases.events")
	bucketCaseLearned   = []byte("cases.learned")
	bucketCaseMeta      = []byte("cases.meta")
	bucketCaseIdem      = []byte("cases.idem")
	caseMetaKey         = []byte("meta")
	caseBuckets         = [][]byte{bucketCases, bucketCaseNumbers, bucketCaseTokens, bucketCaseOpen, bucketCaseReceived, bucketCaseClosed, bucketCaseEvents, bucketCaseLearned, bucketCaseMeta, bucketCaseIdem}
	errCaseStoreClosing = hall.Errorf(hall.EUNAVAILABLE, "", "the case system is shutting down")
)

// CaseTickInterval is how often the tick loop runs the case engine's time rules (warnings,
// escalations, automatic archiving).
const CaseTickInterval = time.Minute

// CaseIdempotencyTTL is how long an idempotency key of Open keeps returning its case. A kiosk's
// outbox may hold a request while the server is away, so it is longer than for tickets.
const CaseIdempotencyTTL = 7 * 24 * time.Hour

// Cases runs the case workflow engine (package cases) on top of the bbolt file. It implements
// hall.CaseService and hall.CaseLog.
//
// Like Queue, each command locks the engine, runs it (pure, in memory), hands the resulting
// Change to its own group committer and unlocks, then waits: the committer writes everything
// queued at that moment in one bbolt transaction (one fsync), publishes the events to
// subscribers, then acknowledges. When a commit fails, its changes fail with EUNAVAILABLE, the
// engine (and its router) is rebuilt from the file, and changes computed on top of the failed
// state fail too (an epoch tells them apart). The engine keeps only open cases; closed ones are
// read from the file.
type Cases struct {
	db     *DB
	campus hall.Campus
	cfg    cases.Config
	now    func() time.Time

	mu     sync.Mutex                   // serialises engine calls and enqueueing
	eng    *cases.Engine                // nil after a failed commit, until reloaded
	router atomic.Pointer[cases.Router] // the engine's router (safe for concurrent Route)
	seq    uint64                       // engine seq after the last change computed (under mu)
	last   *caseRequest                 // the last change enqueued (under mu)
	epoch  atomic.Uint64                // bumped (under mu) when the engine is reloaded
	idem   map[string]*caseRequest      // idempotency keys of changes not yet committed (under mu)

	committed atomic.Uint64 // seq of the last committed event

	commits *batcher[*caseRequest] // changes handed to the group committer

	subs fanout[hall.CaseEvent]

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once

	// failCommits, when > 0, makes that many next commits fail (tests inject storage errors).
	failCommits atomic.Int32
}

// caseRequest is one change waiting for the committer.
type caseRequest struct {
	epoch   uint64
	change  cases.Change
	idemKey string // source + 0x00 + key, for an Open with an idempotency key
	idemID  string
	opened  map[string]bool // IDs of the cases this change opens
	cases   [][]byte        // JSON of change.Cases
	events  [][]byte        // JSON of change.Events

	done chan struct{}
	err  error
}

func (r *caseRequest) encode() error {
	r.cases = make([][]byte, len(r.change.Cases))
	for i := range r.change.Cases {
		v, err := json.Marshal(&r.change.Cases[i])
		if err != nil {
			return fmt.Errorf("encode case %s: %w", r.change.Cases[i].ID, err)
		}
		r.cases[i] = v
	}
	r.events = make([][]byte, len(r.change.Events))
	for i := range r.change.Events {
		ev := &r.change.Events[i]
		v, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode case event %d: %w", ev.Seq, err)
		}
		r.events[i] = v
		if ev.Type == hall.CaseEvReceived && ev.Case != nil {
			if r.opened == nil {
				r.opened = map[string]bool{}
			}
			r.opened[ev.Case.ID] = true
		}
	}
	return nil
}

// wait waits for the commit. When ctx ends first it returns ctx's error; the change is still
// committed (or failed) by the committer.
func (r *caseRequest) wait(ctx context.Context) error {
	select {
	case <-r.done:
		return r.err
	default:
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return fmt.Errorf("bolt: waiting for case commit: %w", ctx.Err())
	}
}

// NewCases loads the case system from the file: its meta and open cases (never the history) and
// the router examples learned from re-routings, which it replays into the router before serving.
// It then starts the group committer and the tick loop. cfg is the engine configuration (demo
// catalogue and calendar when nil; the departments default to the campus's when it lists any,
// and the calendar's time zone to the campus's); now is the clock (time.Now when nil). After a
// failed commit the router is rebuilt with cases.NewRouter from the catalogue plus the learned
// examples, whatever cfg.Router was.
func NewCases(ctx context.Context, db *DB, campus hall.Campus, cfg cases.Config, now func() time.Time) (*Cases, error) {
	if now == nil {
		now = time.Now
	}
	if cfg.Catalogue == nil {
		cfg.Catalogue = cases.DemoCatalogue()
	}
	if cfg.Calendar == nil {
		cfg.Calendar = cases.DemoCalendar()
		if loc, err := campus.Location(); err == nil && campus.TimeZone != "" {
			cfg.Calendar.Loc = loc
		}
	}
	if len(cfg.Departments) == 0 {
		for _, d := range campus.Departments {
			cfg.Departments = append(cfg.Departments, d.Code)
		}
	}
	if err := db.ensureBuckets(caseBuckets...); err != nil {
		return nil, fmt.Errorf("bolt: create case buckets: %w", err)
	}
	s := &Cases{db: db, campus: campus, cfg: cfg, now: now, idem: map[string]*caseRequest{},
		stop: make(chan struct{}), commits: newBatcher[*caseRequest]()}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.load(cfg.Router); err != nil {
		return nil, err
	}
	s.wg.Add(2)
	go s.commitLoop()
	go s.tickLoop()
	return s, nil
}

// load (re)builds the engine from the meta, the open-case index and the learned examples. With
// router nil it trains a new router on the catalogue. Callers hold s.mu (or own s exclusively).
func (s *Cases) load(router *cases.Router) error {
	var (
		meta    cases.Meta
		open    []hall.Case
		learned []hall.RouteExample
	)
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketCaseMeta).Get(caseMetaKey); v != nil {
			if err := json.Unmarshal(v, &meta); err != nil {
				return fmt.Errorf("decode case meta: %w", err)
			}
		}
		all := tx.Bucket(bucketCases)
		err := tx.Bucket(bucketCaseOpen).ForEach(func(k, _ []byte) error {
			v := all.Get(k)
			if v == nil {
				return nil // index entry without case: ignore
			}
			var c hall.Case
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode case %s: %w", k, err)
			}
			open = append(open, c)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketCaseLearned).ForEach(func(k, v []byte) error {
			var ex hall.RouteExample
			if err := json.Unmarshal(v, &ex); err != nil {
				return fmt.Errorf("decode learned example %x: %w", k, err)
			}
			learned = append(learned, ex)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("bolt: load cases: %w", err)
	}
	cfg := s.cfg
	if router == nil {
		router = cases.NewRouter(cfg.Catalogue)
	}
	for _, ex := range learned {
		router.Learn(ex.Text, ex.Department)
	}
	cfg.Router = router
	eng, err := cases.Restore(cfg, meta, open)
	if err != nil {
		return fmt.Errorf("bolt: restore cases: %w", err)
	}
	s.eng = eng
	s.router.Store(router)
	s.seq = meta.Seq
	s.committed.Store(meta.Seq)
	return nil
}

// engine returns the engine, reloading it after a failed commit. Callers hold s.mu.
func (s *Cases) engine() (*cases.Engine, error) {
	if s.eng == nil {
		if err := s.load(nil); err != nil {
			return nil, hall.Errorf(hall.EUNAVAILABLE, "", "storage unavailable: %v", err)
		}
	}
	return s.eng, nil
}

// enqueue hands a change to the committer. Callers hold s.mu, which keeps changes in order.
func (s *Cases) enqueue(ch cases.Change, idemKey, idemID string) (*caseRequest, error) {
	r := &caseRequest{epoch: s.epoch.Load(), change: ch, idemKey: idemKey, idemID: idemID, done: make(chan struct{})}
	if err := r.encode(); err != nil {
		// Cannot happen with these types; if it does, forget the change like a failed commit.
		s.eng = nil
		s.epoch.Add(1)
		return nil, hall.Errorf(hall.EINTERNAL, "", "bolt: %v", err)
	}
	if !s.commits.enqueue(r) {
		// The engine already applied the change: forget it.
		s.eng = nil
		s.epoch.Add(1)
		return nil, errCaseStoreClosing
	}
	s.seq = ch.Meta.Seq
	s.last = r
	if idemKey != "" {
		s.idem[idemKey] = r
	}
	return r, nil
}

// Close stops the tick loop, commits every change already handed to the committer, stops it and
// closes all subscriptions. It does not close the DB.
func (s *Cases) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.commits.close()
		s.wg.Wait()
		s.subs.closeAll()
	})
	return nil
}

func (s *Cases) commitLoop() {
	defer s.wg.Done()
	s.commits.run(s.commit)
}

// commit writes one batch in one transaction, then publishes and acknowledges it, or fails it and
// resets the engine.
func (s *Cases) commit(batch []*caseRequest) {
	live := make([]*caseRequest, 0, len(batch))
	for _, r := range batch {
		if r.epoch != s.epoch.Load() {
			s.finish(r, hall.Errorf(hall.EUNAVAILABLE, "", "storage error: an earlier change failed; retry"))
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	err := s.db.bolt.Update(func(tx *bbolt.Tx) error { return s.write(tx, live) })
	s.db.noteCommit(err) // /healthz reports a failing store (storage.go)
	if err != nil {
		err = fmt.Errorf("bolt: commit batch of %d case changes: %w", len(live), err)
		fail := hall.Errorf(hall.EUNAVAILABLE, "", "storage error, nothing was changed: %v", err)
		s.mu.Lock()
		s.eng = nil // reloaded from the file by the next command
		s.epoch.Add(1)
		s.mu.Unlock()
		for _, r := range live {
			s.finish(r, fail)
		}
		return
	}
	for _, r := range live {
		if n := len(r.change.Events); n > 0 {
			s.committed.Store(r.change.Events[n-1].Seq)
		}
	}
	for _, r := range live {
		s.subs.publish(r.change.Events)
	}
	for _, r := range live {
		s.finish(r, nil)
	}
}

// finish reports a request's outcome and forgets its pending idempotency key (from now on it is
// found in the file, or was not stored).
func (s *Cases) finish(r *caseRequest, err error) {
	r.err = err
	close(r.done)
	if r.idemKey != "" {
		s.mu.Lock()
		if s.idem[r.idemKey] == r {
			delete(s.idem, r.idemKey)
		}
		s.mu.Unlock()
	}
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

// write puts one batch into the transaction: cases and their indexes, events, learned examples,
// idempotency keys and the latest meta.
func (s *Cases) write(tx *bbolt.Tx, batch []*caseRequest) error {
	for {
		n := s.failCommits.Load()
		if n <= 0 {
			break
		}
		if s.failCommits.CompareAndSwap(n, n-1) {
			return errInjected
		}
	}
	all := tx.Bucket(bucketCases)
	numbers, tokens := tx.Bucket(bucketCaseNumbers), tx.Bucket(bucketCaseTokens)
	open, received, closed := tx.Bucket(bucketCaseOpen), tx.Bucket(bucketCaseReceived), tx.Bucket(bucketCaseClosed)
	events, learned, idem := tx.Bucket(bucketCaseEvents), tx.Bucket(bucketCaseLearned), tx.Bucket(bucketCaseIdem)
	var meta *cases.Meta
	var key [10]byte
	for _, r := range batch {
		for i := range r.change.Cases {
			c := &r.change.Cases[i]
			id := []byte(c.ID)
			if err := all.Put(id, r.cases[i]); err != nil {
				return fmt.Errorf("put case %s: %w", c.ID, err)
			}
			if r.opened[c.ID] {
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
			if err := events.Put(key[:8], r.events[i]); err != nil {
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

// tickLoop runs the engine's time rules every CaseTickInterval and prunes old idempotency keys
// hourly.
func (s *Cases) tickLoop() {
	defer s.wg.Done()
	t := time.NewTicker(CaseTickInterval)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.Tick(context.Background())
		if now := s.now(); now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			s.pruneIdem(now)
		}
	}
}

// Tick runs the engine's time rules now (warnings, escalations, archiving) and waits until their
// change is durable. The tick loop calls it every CaseTickInterval; tests call it directly.
func (s *Cases) Tick(ctx context.Context) error {
	s.mu.Lock()
	eng, err := s.engine()
	if err != nil {
		s.mu.Unlock()
		return err
	}
	ch := eng.Tick(s.now())
	if ch.Empty() {
		s.mu.Unlock()
		return nil
	}
	r, err := s.enqueue(ch, "", "")
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return r.wait(ctx)
}

// pruneIdem deletes idempotency keys older than CaseIdempotencyTTL.
func (s *Cases) pruneIdem(now time.Time) {
	s.db.pruneIdem(bucketCaseIdem, CaseIdempotencyTTL, now)
}

// ---- hall.CaseService ----

// Open logs a new case, routes it and returns once it is durable. With an idempotency key seen
// from the same source (device or staff) within CaseIdempotencyTTL it returns the case created
// then, as it is now.
func (s *Cases) Open(ctx context.Context, req hall.OpenCaseRequest) (*hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req.Hall != "" {
		if _, ok := s.campus.Hall(req.Hall); !ok {
			return nil, hall.Errorf(hall.ENOTFOUND, "hall", "no hall %q", req.Hall)
		}
	}
	idemKey := ""
	if req.IdempotencyKey != "" {
		idemKey = req.Source + "\x00" + req.IdempotencyKey
	}
	token := newFollowToken()
	s.mu.Lock()
	if idemKey != "" {
		if r, ok := s.idem[idemKey]; ok {
			// The same key is being committed right now: answer with its case once durable.
			s.mu.Unlock()
			if err := r.wait(ctx); err != nil {
				return nil, err
			}
			return s.Get(ctx, r.idemID)
		}
		id, err := s.idemLookup(idemKey)
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		if id != "" {
			s.mu.Unlock()
			return s.Get(ctx, id)
		}
	}
	eng, err := s.engine()
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	now := s.now()
	// Like ticket IDs: the next event seq is never reused by a committed case.
	id := "case-" + now.In(eng.Calendar().Loc).Format("20060102") + "-" + strconv.FormatUint(s.seq+1, 10)
	c, ch, err := eng.Open(now, req, id, token)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	r, err := s.enqueue(ch, idemKey, id)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := r.wait(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// idemLookup returns the case ID stored for an idempotency key, "" when none (or expired).
func (s *Cases) idemLookup(key string) (string, error) {
	var rec idemRecord
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketCaseIdem).Get([]byte(key))
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		return "", hall.Errorf(hall.EUNAVAILABLE, "", "bolt: idempotency lookup: %v", err)
	}
	if rec.ID == "" || s.now().Sub(rec.At) > CaseIdempotencyTTL {
		return "", nil
	}
	return rec.ID, nil
}

// readCase reads a committed case by ID, by number or (byToken) by follow token; nil when none.
func (s *Cases) readCase(ctx context.Context, ref string, byToken bool) (*hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ref == "" || len(ref) > 256 {
		return nil, nil
	}
	var c *hall.Case
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		all := tx.Bucket(bucketCases)
		var v []byte
		if byToken {
			if id := tx.Bucket(bucketCaseTokens).Get([]byte(ref)); id != nil {
				v = all.Get(id)
			}
		} else {
			v = all.Get([]byte(ref))
			if v == nil {
				if id := tx.Bucket(bucketCaseNumbers).Get([]byte(strings.ToUpper(ref))); id != nil {
					v = all.Get(id)
				}
			}
		}
		if v == nil {
			return nil
		}
		c = new(hall.Case)
		return json.Unmarshal(v, c)
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read case: %v", err)
	}
	return c, nil
}

// Get returns a committed case by ID or number (open or closed; staff view).
func (s *Cases) Get(ctx context.Context, id string) (*hall.Case, error) {
	c, err := s.readCase(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "case", "no case %q", id)
	}
	return c, nil
}

// GetByToken returns the public view of the committed case with this follow token.
func (s *Cases) GetByToken(ctx context.Context, token string) (*hall.Case, error) {
	c, err := s.readCase(ctx, token, true)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "token", "no case with this token")
	}
	p := c.Public()
	return &p, nil
}

// List returns the cases matching the filter, most urgent first (cases.Filter): open cases from
// the engine (once their state is durable), closed ones from the file, newest first. A filter
// that only open cases can pass (Open, Overdue, or only open states) reads no closed case.
func (s *Cases) List(ctx context.Context, f hall.CaseFilter) ([]hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var open []hall.Case
	var now time.Time
	for attempt := 0; ; attempt++ {
		s.mu.Lock()
		eng, err := s.engine()
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		now = s.now()
		open = open[:0]
		for _, c := range eng.Cases() {
			if cases.Match(&c, f, now) {
				open = append(open, c)
			}
		}
		last, seq := s.last, s.seq
		s.mu.Unlock()
		if last == nil || seq <= s.committed.Load() {
			break
		}
		err = last.wait(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil || attempt >= 3 {
			return nil, err
		}
		// The change failed: the engine was reset; read again.
	}
	out := cases.Filter(open, f, now)
	if !wantsClosed(f) || (f.Limit > 0 && countHandling(out) >= f.Limit) {
		return out, nil
	}
	closed, err := s.closedCases(ctx, f, now)
	if err != nil {
		return nil, err
	}
	return cases.Filter(append(out, closed...), f, now), nil
}

// wantsClosed reports whether a final case can pass the filter.
func wantsClosed(f hall.CaseFilter) bool {
	if f.Open || f.Overdue {
		return false
	}
	if len(f.States) == 0 {
		return true
	}
	for _, st := range f.States {
		if st.Final() {
			return true
		}
	}
	return false
}

// countHandling counts the cases being handled (which Filter ranks before all others).
func countHandling(cs []hall.Case) int {
	n := 0
	for i := range cs {
		if cs[i].State.Handling() {
			n++
		}
	}
	return n
}

// closedCases reads final cases matching the filter from the department's part of cases.closed,
// newest first, at most f.Limit (when positive).
func (s *Cases) closedCases(ctx context.Context, f hall.CaseFilter, now time.Time) ([]hall.Case, error) {
	prefix := append([]byte(f.Department), 0)
	var out []hall.Case
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		all := tx.Bucket(bucketCases)
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
			v := all.Get(rest[8:])
			if v == nil {
				continue
			}
			var cs hall.Case
			if err := json.Unmarshal(v, &cs); err != nil {
				return fmt.Errorf("decode case %s: %w", rest[8:], err)
			}
			if !cases.Match(&cs, f, now) {
				continue
			}
			out = append(out, cs)
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

// Act performs a staff action and returns once it is durable. An action on a closed case is a
// conflict (ECONFLICT), not "not found".
func (s *Cases) Act(ctx context.Context, a hall.CaseAction) (*hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.command(ctx, func(eng *cases.Engine, now time.Time) (*hall.Case, cases.Change, error) {
		return eng.Act(now, a)
	})
	if hall.ErrorCode(err) == hall.ENOTFOUND && hall.ErrorField(err) == "case" {
		if old, _ := s.readCase(ctx, a.Case, false); old != nil && old.State.Final() {
			return nil, hall.Errorf(hall.ECONFLICT, "state", "case %s is closed (%s)", old.Number, old.State)
		}
	}
	return c, err
}

// command runs one engine command and waits until its change is durable.
func (s *Cases) command(ctx context.Context, cmd func(eng *cases.Engine, now time.Time) (*hall.Case, cases.Change, error)) (*hall.Case, error) {
	s.mu.Lock()
	eng, err := s.engine()
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	c, ch, err := cmd(eng, s.now())
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if ch.Empty() {
		s.mu.Unlock()
		return c, nil
	}
	r, err := s.enqueue(ch, "", "")
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := r.wait(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// byToken runs a requester's command and returns the public view of the case; a closed case is
// a conflict.
func (s *Cases) byToken(ctx context.Context, token string, cmd func(eng *cases.Engine, now time.Time) (*hall.Case, cases.Change, error)) (*hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.command(ctx, cmd)
	if err != nil {
		if hall.ErrorCode(err) == hall.ENOTFOUND {
			if old, _ := s.readCase(ctx, token, true); old != nil && old.State.Final() {
				return nil, hall.Errorf(hall.ECONFLICT, "state", "case %s is closed", old.Number)
			}
		}
		return nil, err
	}
	p := c.Public()
	return &p, nil
}

// Rate records the requester's rating (1–2 stars reopen the case) and returns the public view.
func (s *Cases) Rate(ctx context.Context, token string, r hall.Rating) (*hall.Case, error) {
	return s.byToken(ctx, token, func(eng *cases.Engine, now time.Time) (*hall.Case, cases.Change, error) {
		return eng.Rate(now, token, r.Stars, r.Comment)
	})
}

// AddDetails appends the requester's details and returns the public view.
func (s *Cases) AddDetails(ctx context.Context, token string, text string) (*hall.Case, error) {
	return s.byToken(ctx, token, func(eng *cases.Engine, now time.Time) (*hall.Case, cases.Change, error) {
		return eng.AddDetails(now, token, text)
	})
}

// Route suggests a department for a text (no state change, no lock on the engine).
func (s *Cases) Route(ctx context.Context, text string) (*hall.RouteResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := s.router.Load().Route(text)
	return &r, nil
}

// Stats returns the per-department figures for the cases received in [from, to), read from the
// file (committed state).
func (s *Cases) Stats(ctx context.Context, from, to time.Time) ([]hall.DepartmentStats, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return []hall.DepartmentStats{}, nil
	}
	cs, err := s.readReceived(ctx, from, to)
	if err != nil {
		if errors.Is(err, ctx.Err()) {
			return nil, err
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read cases for stats: %v", err)
	}
	return cases.Stats(cs, from, to, s.now()), nil
}

// Catalogue returns the dispatch catalogue.
func (s *Cases) Catalogue(ctx context.Context) (*hall.Catalogue, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.cfg.Catalogue, nil
}

// Meta returns the engine meta (last seq, day and number of the last case).
func (s *Cases) Meta() cases.Meta {
	s.mu.Lock()
	defer s.mu.Unlock()
	eng, err := s.engine()
	if err != nil {
		return cases.Meta{Seq: s.committed.Load()}
	}
	return eng.Meta()
}

// Calendar returns the business calendar the limits run on.
func (s *Cases) Calendar() *cases.Calendar { return s.cfg.Calendar }

// ---- hall.CaseLog ----

// Since returns the committed case events after seq, oldest first. ok is false when seq is ahead
// of the log or more than MaxReplay events behind it.
//
// To follow the log without a gap, Subscribe first, then call Since, and drop subscribed events
// whose Seq is not above the last one already handled.
func (s *Cases) Since(ctx context.Context, seq uint64) ([]hall.CaseEvent, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	last := s.committed.Load()
	if seq > last || last-seq > MaxReplay {
		return nil, false, nil
	}
	events := make([]hall.CaseEvent, 0, last-seq)
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketCaseEvents).Cursor()
		key := binary.BigEndian.AppendUint64(nil, seq+1)
		for k, v := c.Seek(key); k != nil && binary.BigEndian.Uint64(k) <= last; k, v = c.Next() {
			var ev hall.CaseEvent
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("decode case event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			events = append(events, ev)
		}
		return nil
	})
	if err != nil {
		return nil, false, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read case events: %v", err)
	}
	return events, true, nil
}

// LastSeq returns the seq of the last committed case event.
func (s *Cases) LastSeq() uint64 { return s.committed.Load() }

// Subscribe delivers every case event committed after the call, in order. The channel is closed
// by cancel, by Close, or when the subscriber falls more than buffer events behind. Events are
// shared by all subscribers: read them, never modify them.
func (s *Cases) Subscribe(buffer int) (<-chan hall.CaseEvent, func()) {
	return s.subs.subscribe(buffer, s.stop)
}
