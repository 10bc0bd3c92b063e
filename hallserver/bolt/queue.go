package bolt

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

var (
	_ hall.QueueService = (*Queue)(nil)
	_ hall.EventLog     = (*Queue)(nil)
)

// MaxReplay is how far behind the last committed event Since still replays: a client more than
// MaxReplay events behind gets ok=false and must start from a snapshot, which is then cheaper.
const MaxReplay = 10000

// TickInterval is how often the tick loop lets each hall's engine run its time-based rules (day
// rollover at local midnight).
const TickInterval = 30 * time.Second

// IdempotencyTTL is how long an idempotency key keeps returning its ticket.
const IdempotencyTTL = 24 * time.Hour

// Queue runs every hall's queue engine on top of the bbolt file. It implements hall.QueueService
// and hall.EventLog.
//
// Each command locks its hall, runs the engine (pure, in memory), hands the resulting Change to the
// group committer and unlocks; then it waits for the commit. The committer writes everything queued
// at that moment in one bbolt transaction (one fsync for the whole batch), then publishes the events
// to subscribers in sequence order, then wakes the waiters. Nothing is acknowledged or published
// before it is durable. When a commit fails, its changes fail with EUNAVAILABLE, the engines of
// the halls involved are reloaded from the file, and changes already computed on top of the
// failed state (queued behind it) fail too: a per-hall epoch tells them apart.
type Queue struct {
	db     *DB
	campus hall.Campus
	loc    *time.Location
	now    func() time.Time
	log    *slog.Logger
	halls  map[string]*hallState // fixed after NewQueue

	commits *batcher[*request] // changes handed to the group committer

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once

	stats statsCounter

	// failCommits, when > 0, makes that many next commits fail (tests inject storage errors).
	failCommits atomic.Int32
	// beforeCommit, when set, runs in the committer before each batch is written (tests).
	beforeCommit func()
}

// hallState is one hall: its engine and everything around it.
type hallState struct {
	code string
	cfg  hall.Hall

	mu    sync.Mutex          // serialises engine calls and enqueueing
	eng   *queue.Engine       // nil after a failed commit, until reloaded from the file
	seq   uint64              // engine seq after the last change computed (under mu)
	last  *request            // the last change enqueued (under mu)
	epoch atomic.Uint64       // bumped (under mu) when the engine is reloaded after a failed commit
	idem  map[string]*request // idempotency keys of changes not yet committed (under mu)

	committed atomic.Uint64 // seq of the last committed event

	subs fanout[hall.Event]
}

// request is one change waiting for the committer.
type request struct {
	h      *hallState
	epoch  uint64
	change queue.Change
	// idemKey is set for an issue with an idempotency key (stored in the same transaction).
	idemKey string
	idemID  string
	// tickets and events are the JSON of change.Tickets and change.Events.
	tickets [][]byte
	events  [][]byte

	done chan struct{} // closed when err is set
	err  error
}

// encode prepares the JSON of the change's tickets and events.
func (r *request) encode() error {
	r.tickets = make([][]byte, len(r.change.Tickets))
	for i := range r.change.Tickets {
		v, err := json.Marshal(&r.change.Tickets[i])
		if err != nil {
			return fmt.Errorf("encode ticket %s: %w", r.change.Tickets[i].ID, err)
		}
		r.tickets[i] = v
	}
	r.events = make([][]byte, len(r.change.Events))
	for i := range r.change.Events {
		v, err := json.Marshal(&r.change.Events[i])
		if err != nil {
			return fmt.Errorf("encode event %d: %w", r.change.Events[i].Seq, err)
		}
		r.events[i] = v
	}
	return nil
}

// isDone reports whether the committer has finished the request.
func (r *request) isDone() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (r *request) finish(err error) {
	r.err = err
	close(r.done)
}

// wait waits for the commit. When ctx ends first it returns ctx's error, but the change is still
// committed (or failed) by the committer.
func (r *request) wait(ctx context.Context) error {
	select {
	case <-r.done:
		return r.err
	default:
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return fmt.Errorf("bolt: waiting for commit: %w", ctx.Err())
	}
}

// CommitStats describes the group committer's work since NewQueue.
type CommitStats struct {
	Batches  uint64 // committed transactions
	Changes  uint64 // changes committed in them
	Failed   uint64 // changes failed (storage errors and changes stacked on them)
	MaxBatch int    // largest batch
	// Sizes counts batches by size: [0] = 1, [1] = 2–3, [2] = 4–7, [3] = 8–15, … (powers of two).
	Sizes [16]uint64
}

// MeanBatch is the mean number of changes per committed transaction.
func (s CommitStats) MeanBatch() float64 {
	if s.Batches == 0 {
		return 0
	}
	return float64(s.Changes) / float64(s.Batches)
}

type statsCounter struct {
	mu sync.Mutex
	s  CommitStats
}

func (c *statsCounter) add(n int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok {
		c.s.Failed += uint64(n)
		return
	}
	c.s.Batches++
	c.s.Changes += uint64(n)
	c.s.MaxBatch = max(c.s.MaxBatch, n)
	b := 0
	for v := n; v > 1 && b < len(c.s.Sizes)-1; v >>= 1 {
		b++
	}
	c.s.Sizes[b]++
}

// Stats returns the committer's figures (batches, changes, batch sizes).
func (q *Queue) Stats() CommitStats {
	q.stats.mu.Lock()
	defer q.stats.mu.Unlock()
	return q.stats.s
}

// QueueOption configures a Queue.
type QueueOption func(*Queue)

// WithLogger makes the queue log what it must tell the operator (the clock set back) to l;
// without it nothing is logged.
func WithLogger(l *slog.Logger) QueueOption {
	return func(q *Queue) {
		if l != nil {
			q.log = l
		}
	}
}

// NewQueue loads every hall of the campus from the file: its meta and its open tickets (never the
// history, so start-up does not grow with the file) and starts the group committer and the tick
// loop. now is the clock (time.Now when nil).
func NewQueue(ctx context.Context, db *DB, campus hall.Campus, now func() time.Time, opts ...QueueOption) (*Queue, error) {
	if err := campus.Validate(); err != nil {
		return nil, err
	}
	loc, err := campus.Location()
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	q := &Queue{db: db, campus: campus, loc: loc, now: now, halls: map[string]*hallState{}, stop: make(chan struct{}),
		commits: newBatcher[*request](), log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(q)
	}
	var names [][]byte
	for _, h := range campus.Halls {
		names = append(names, openBucket(h.Code), eventsBucket(h.Code))
	}
	if err := db.ensureBuckets(names...); err != nil {
		return nil, fmt.Errorf("bolt: create hall buckets: %w", err)
	}
	for _, h := range campus.Halls {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hs := &hallState{code: h.Code, cfg: h, idem: map[string]*request{}}
		if err := q.load(hs); err != nil {
			return nil, err
		}
		q.halls[h.Code] = hs
	}
	q.wg.Add(2)
	go q.commitLoop()
	go q.tickLoop()
	return q, nil
}

// load (re)builds a hall's engine from its meta and open-ticket index. Callers hold hs.mu (or own
// hs exclusively).
func (q *Queue) load(hs *hallState) error {
	var (
		meta    queue.Meta
		hasMeta bool
		open    []hall.Ticket
	)
	err := q.db.bolt.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte(hs.code)); v != nil {
			if err := json.Unmarshal(v, &meta); err != nil {
				return fmt.Errorf("decode meta: %w", err)
			}
			hasMeta = true
		}
		ob := tx.Bucket(openBucket(hs.code))
		if ob == nil {
			return nil
		}
		tb := tx.Bucket(bucketTickets)
		return ob.ForEach(func(k, _ []byte) error {
			v := tb.Get(k)
			if v == nil {
				return nil // index entry without ticket: ignore
			}
			var t hall.Ticket
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("decode ticket %s: %w", k, err)
			}
			open = append(open, t)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("bolt: load hall %s: %w", hs.code, err)
	}
	var eng *queue.Engine
	if hasMeta {
		eng, err = queue.Restore(hs.cfg, q.loc, meta, open)
		if err != nil {
			return fmt.Errorf("bolt: restore hall %s: %w", hs.code, err)
		}
	} else {
		eng = queue.New(hs.cfg, q.loc)
	}
	hs.eng = eng
	hs.seq = meta.Seq
	hs.committed.Store(meta.Seq)
	return nil
}

// engine returns the hall's engine, reloading it after a failed commit. Callers hold hs.mu.
func (q *Queue) engine(hs *hallState) (*queue.Engine, error) {
	if hs.eng == nil {
		if err := q.load(hs); err != nil {
			return nil, hall.Errorf(hall.EUNAVAILABLE, "", "storage unavailable: %v", err)
		}
	}
	return hs.eng, nil
}

func (q *Queue) hall(code string) (*hallState, error) {
	hs, ok := q.halls[code]
	if !ok {
		return nil, hall.Errorf(hall.ENOTFOUND, "hall", "no hall %q", code)
	}
	return hs, nil
}

// enqueue hands a change to the committer. Callers hold hs.mu, which keeps each hall's changes in
// order. It never blocks.
func (q *Queue) enqueue(hs *hallState, ch queue.Change) (*request, error) {
	return q.enqueueIdem(hs, ch, "", "")
}

// enqueueIdem is enqueue for an issue that stores an idempotency key with its ticket.
func (q *Queue) enqueueIdem(hs *hallState, ch queue.Change, idemKey, idemID string) (*request, error) {
	r := &request{h: hs, epoch: hs.epoch.Load(), change: ch, idemKey: idemKey, idemID: idemID, done: make(chan struct{})}
	// Encode here, in the caller's goroutine, so that the committer's serial path is only the
	// B+tree work and the fsync.
	if err := r.encode(); err != nil {
		// Cannot happen with these types; if it does, forget the change like a failed commit.
		hs.eng = nil
		hs.epoch.Add(1)
		return nil, hall.Errorf(hall.EINTERNAL, "", "bolt: %v", err)
	}
	if !q.commits.enqueue(r) {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "the queue is shutting down")
	}
	if cb := ch.ClockBack; cb != nil {
		q.log.Warn("clock set back: the hall keeps its business day and queue order",
			"hall", hs.code, "from", cb.From, "to", cb.To, "back", cb.From.Sub(cb.To).String(), "day", cb.Day)
	}
	hs.seq = ch.Meta.Seq
	hs.last = r
	return r, nil
}

// Close stops the tick loop, commits every change already handed to the committer, stops it and
// closes all subscriptions. It does not close the DB.
func (q *Queue) Close() error {
	q.closeOnce.Do(func() {
		close(q.stop)
		q.commits.close()
		q.wg.Wait()
		for _, hs := range q.halls {
			hs.subs.closeAll()
		}
	})
	return nil
}

func (q *Queue) commitLoop() {
	defer q.wg.Done()
	q.commits.run(q.commit)
}

var errInjected = errors.New("injected commit failure")

// commit writes one batch in one transaction, then publishes and acknowledges it, or fails it and
// resets the engines involved.
func (q *Queue) commit(batch []*request) {
	live := make([]*request, 0, len(batch))
	for _, r := range batch {
		if r.epoch != r.h.epoch.Load() {
			// Computed on an engine state that a failed commit discarded.
			q.finish(r, hall.Errorf(hall.EUNAVAILABLE, "", "storage error: an earlier change failed; retry"))
			q.stats.add(1, false)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	if q.beforeCommit != nil {
		q.beforeCommit()
	}
	err := q.db.bolt.Update(func(tx *bbolt.Tx) error { return q.write(tx, live) })
	q.db.noteCommit(err) // /healthz reports a failing store (storage.go)
	if err != nil {
		err = fmt.Errorf("bolt: commit batch of %d: %w", len(live), err)
		fail := hall.Errorf(hall.EUNAVAILABLE, "", "storage error, nothing was changed: %v", err)
		reset := map[*hallState]bool{}
		for _, r := range live {
			reset[r.h] = true
		}
		for hs := range reset {
			hs.mu.Lock()
			hs.eng = nil // reloaded from the file by the next command
			hs.epoch.Add(1)
			hs.mu.Unlock()
		}
		for _, r := range live {
			q.finish(r, fail)
		}
		q.stats.add(len(live), false)
		return
	}
	q.stats.add(len(live), true)
	// Durable: advance the committed seqs, then publish in order, then acknowledge.
	for _, r := range live {
		if n := len(r.change.Events); n > 0 {
			r.h.committed.Store(r.change.Events[n-1].Seq)
		}
	}
	for _, r := range live {
		r.h.subs.publish(r.change.Events)
	}
	for _, r := range live {
		q.finish(r, nil)
	}
}

// finish reports a request's outcome to its waiters and forgets its idempotency key, which from
// now on is found in the file (or was not stored).
func (q *Queue) finish(r *request, err error) {
	r.finish(err)
	if r.idemKey != "" {
		hs := r.h
		hs.mu.Lock()
		if hs.idem[r.idemKey] == r {
			delete(hs.idem, r.idemKey)
		}
		hs.mu.Unlock()
	}
}

// write puts one batch into the transaction: tickets, tokens, open index, events, idempotency keys
// and each hall's latest meta.
func (q *Queue) write(tx *bbolt.Tx, batch []*request) error {
	for {
		n := q.failCommits.Load()
		if n <= 0 {
			break
		}
		if q.failCommits.CompareAndSwap(n, n-1) {
			return errInjected
		}
	}
	tickets := tx.Bucket(bucketTickets)
	tokens := tx.Bucket(bucketTokens)
	idem := tx.Bucket(bucketIdem)
	metas := map[*hallState]*queue.Meta{}
	var key [8]byte
	for _, r := range batch {
		hs := r.h
		open := tx.Bucket(openBucket(hs.code))
		events := tx.Bucket(eventsBucket(hs.code))
		if dayReset(r.change) {
			// At the day reset the engine drops every ticket it held (no-shows without an
			// event) except those at a counter, which the change lists with the cancelled
			// ones: the index starts again from the tickets of this change.
			if err := tx.DeleteBucket(openBucket(hs.code)); err != nil {
				return fmt.Errorf("reset open index %s: %w", hs.code, err)
			}
			var err error
			if open, err = tx.CreateBucket(openBucket(hs.code)); err != nil {
				return fmt.Errorf("reset open index %s: %w", hs.code, err)
			}
		}
		for i := range r.change.Tickets {
			t := &r.change.Tickets[i]
			id := []byte(t.ID)
			if err := tickets.Put(id, r.tickets[i]); err != nil {
				return fmt.Errorf("put ticket %s: %w", t.ID, err)
			}
			if t.Token != "" && issuedIn(r.change, t.ID) {
				// A token never changes: write it once (random keys cost a page each).
				if err := tokens.Put([]byte(t.Token), id); err != nil {
					return fmt.Errorf("put token: %w", err)
				}
			}
			var err error
			if keepOpen(t) {
				err = open.Put(id, nil)
			} else {
				err = open.Delete(id)
			}
			if err != nil {
				return fmt.Errorf("open index %s: %w", t.ID, err)
			}
		}
		for i := range r.change.Events {
			ev := &r.change.Events[i]
			binary.BigEndian.PutUint64(key[:], ev.Seq)
			if err := events.Put(key[:], r.events[i]); err != nil {
				return fmt.Errorf("put event %s/%d: %w", hs.code, ev.Seq, err)
			}
		}
		if r.idemKey != "" {
			var seq uint64
			if n := len(r.change.Events); n > 0 {
				seq = r.change.Events[n-1].Seq
			}
			v, _ := json.Marshal(idemRecord{ID: r.idemID, At: q.now().UTC(), Seq: seq})
			if err := idem.Put([]byte(hs.code+"/"+r.idemKey), v); err != nil {
				return fmt.Errorf("put idempotency key: %w", err)
			}
		}
		metas[hs] = &r.change.Meta
	}
	for hs, m := range metas {
		v, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode meta %s: %w", hs.code, err)
		}
		if err := tx.Bucket(bucketMeta).Put([]byte(hs.code), v); err != nil {
			return fmt.Errorf("put meta %s: %w", hs.code, err)
		}
	}
	return nil
}

// issuedIn reports whether the change issues the ticket with this ID.
func issuedIn(ch queue.Change, id string) bool {
	for i := range ch.Events {
		if ev := &ch.Events[i]; ev.Type == hall.EventIssued && ev.Ticket != nil && ev.Ticket.ID == id {
			return true
		}
	}
	return false
}

// dayReset reports whether a change contains the day reset.
func dayReset(ch queue.Change) bool {
	for i := range ch.Events {
		if ch.Events[i].Type == hall.EventDayReset {
			return true
		}
	}
	return false
}

// keepOpen reports whether a ticket belongs in the open index: open states and no-shows (which
// may be reinstated; Restore decides, and the day reset clears the index).
func keepOpen(t *hall.Ticket) bool {
	return t.State.Open() || t.State == hall.TicketNoShow
}

type idemRecord struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// Seq is the seq of the ticket's ticket.issued event (0 in records written before it was
	// kept): a record below the hall's last day reset answers for a ticket the reset cancelled.
	Seq uint64 `json:"seq,omitempty"`
}

// tickLoop runs the engines' time rules every TickInterval and prunes old idempotency keys hourly.
func (q *Queue) tickLoop() {
	defer q.wg.Done()
	t := time.NewTicker(TickInterval)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case <-q.stop:
			return
		case <-t.C:
		}
		q.tick()
		if now := q.now(); now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			q.pruneIdem(now)
		}
	}
}

// tick lets every hall's engine apply its time rules; changes are committed like any other.
func (q *Queue) tick() {
	for _, hs := range q.halls {
		hs.mu.Lock()
		eng, err := q.engine(hs)
		if err == nil {
			if ch := eng.Tick(q.now()); !ch.Empty() {
				q.enqueue(hs, ch)
			}
		}
		hs.mu.Unlock()
	}
}

// pruneIdem deletes idempotency keys older than IdempotencyTTL.
func (q *Queue) pruneIdem(now time.Time) {
	q.db.pruneIdem(bucketIdem, IdempotencyTTL, now)
}

// pruneIdem deletes the idempotency records of bucket older than ttl (and any it cannot decode).
// Errors are ignored: the next prune tries again.
func (db *DB) pruneIdem(bucket []byte, ttl time.Duration, now time.Time) {
	_ = db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket)
		var old [][]byte
		b.ForEach(func(k, v []byte) error {
			var rec idemRecord
			if json.Unmarshal(v, &rec) != nil || now.Sub(rec.At) > ttl {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newFollowToken returns 20 random bytes in base32 (32 characters): unguessable.
func newFollowToken() string {
	var b [20]byte
	rand.Read(b[:])
	return tokenEncoding.EncodeToString(b[:])
}

// Issue creates a ticket and returns once it is durable. With an idempotency key that was seen in
// the last day, it returns the ticket created then (position and wait recomputed), unless the
// hall's day has been reset since (that ticket was cancelled at midnight and must not be printed):
// then it issues a ticket for today under the same key, which later retries get.
func (q *Queue) Issue(ctx context.Context, req hall.IssueRequest) (*hall.Issued, error) {
	hs, err := q.hall(req.Hall)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	token := newFollowToken()
	var eng *queue.Engine
	for {
		hs.mu.Lock()
		if eng, err = q.engine(hs); err != nil {
			hs.mu.Unlock()
			return nil, err
		}
		if req.IdempotencyKey == "" {
			break
		}
		if r, ok := hs.idem[req.IdempotencyKey]; ok && !r.isDone() {
			// The same key is being committed right now: look again once it is durable.
			hs.mu.Unlock()
			if err := r.wait(ctx); err != nil {
				return nil, err
			}
			continue
		}
		id, again, err := q.idemAnswer(ctx, hs, eng, req.IdempotencyKey)
		if err != nil {
			hs.mu.Unlock()
			return nil, err
		}
		if again {
			hs.mu.Unlock()
			return q.issuedByID(ctx, hs, id)
		}
		break
	}
	now := q.now()
	// The ID must be chosen before the engine picks the number, so it uses the hall's next event
	// seq, which (like numbers) is never reused: hall-yyyymmdd-seq.
	id := hs.code + "-" + now.In(q.loc).Format("20060102") + "-" + strconv.FormatUint(hs.seq+1, 10)
	iss, ch, err := eng.Issue(now, req, id, token)
	if err != nil {
		hs.mu.Unlock()
		return nil, err
	}
	r, err := q.enqueueIdem(hs, ch, req.IdempotencyKey, id)
	if err != nil {
		hs.mu.Unlock()
		return nil, err
	}
	if req.IdempotencyKey != "" {
		hs.idem[req.IdempotencyKey] = r
	}
	hs.mu.Unlock()
	if err := r.wait(ctx); err != nil {
		return nil, err
	}
	return iss, nil
}

// idemAnswer decides how a stored idempotency key answers: again is true when the request is a
// repeat of one that issued ticket id today. It is false when the key is unknown (or expired), and
// when the hall's day was reset after that ticket was issued (the reset cancelled it): the caller
// then issues a new ticket under the key. A reset that is due (midnight passed, no command yet)
// runs first. Callers hold hs.mu.
func (q *Queue) idemAnswer(ctx context.Context, hs *hallState, eng *queue.Engine, key string) (id string, again bool, err error) {
	rec, err := q.idemLookup(hs.code, key)
	if err != nil || rec.ID == "" {
		return "", false, err
	}
	if ch := eng.Tick(q.now()); !ch.Empty() {
		if _, err := q.enqueue(hs, ch); err != nil {
			return "", false, err
		}
	}
	current := rec.Seq > eng.ResetSeq()
	if rec.Seq == 0 { // a record from before Seq was kept: go by the ticket's day
		t, err := q.ticketByID(ctx, rec.ID)
		if err != nil {
			return "", false, err
		}
		current = t.Day == eng.BusinessDay()
	}
	if !current {
		q.log.Info("idempotency key repeated after the day reset: issuing a ticket for today",
			"hall", hs.code, "cancelled", rec.ID)
	}
	return rec.ID, current, nil
}

// idemLookup returns the record stored for an idempotency key; its ID is "" when there is none
// (or it expired).
func (q *Queue) idemLookup(hallCode, key string) (idemRecord, error) {
	var rec idemRecord
	err := q.db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketIdem).Get([]byte(hallCode + "/" + key))
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		return idemRecord{}, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: idempotency lookup: %v", err)
	}
	if rec.ID == "" || q.now().Sub(rec.At) > IdempotencyTTL {
		return idemRecord{}, nil
	}
	return rec, nil
}

// issuedByID answers a repeated issue request with the stored ticket.
func (q *Queue) issuedByID(ctx context.Context, hs *hallState, id string) (*hall.Issued, error) {
	t, err := q.ticketByID(ctx, id)
	if err != nil {
		return nil, err
	}
	iss := &hall.Issued{Ticket: *t, Materials: []hall.Text{}}
	if svc, ok := hs.cfg.Service(t.Service); ok && svc.Materials != nil {
		iss.Materials = svc.Materials
	}
	hs.mu.Lock()
	if eng, err := q.engine(hs); err == nil {
		if ahead, eta, ok := eng.Position(q.now(), id); ok {
			iss.Position, iss.EtaSeconds = ahead, eta
		}
	}
	hs.mu.Unlock()
	return iss, nil
}

// ticketByID reads a committed ticket.
func (q *Queue) ticketByID(ctx context.Context, id string) (*hall.Ticket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var t *hall.Ticket
	err := q.db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketTickets).Get([]byte(id))
		if v == nil {
			return nil
		}
		t = new(hall.Ticket)
		return json.Unmarshal(v, t)
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read ticket %s: %v", id, err)
	}
	if t == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "ticket", "no ticket %s", id)
	}
	return t, nil
}

// ticketByToken reads the committed ticket with a follow token.
func (q *Queue) ticketByToken(ctx context.Context, token string) (*hall.Ticket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var t *hall.Ticket
	err := q.db.bolt.View(func(tx *bbolt.Tx) error {
		id := tx.Bucket(bucketTokens).Get([]byte(token))
		if id == nil {
			return nil
		}
		v := tx.Bucket(bucketTickets).Get(id)
		if v == nil {
			return nil
		}
		t = new(hall.Ticket)
		return json.Unmarshal(v, t)
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read ticket by token: %v", err)
	}
	if t == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "token", "no ticket with this token")
	}
	return t, nil
}

// Act performs a counter action and returns once it is durable. call-next returns (nil, nil) when
// nobody waits.
func (q *Queue) Act(ctx context.Context, a hall.CounterAction) (*hall.Ticket, error) {
	var t *hall.Ticket
	err := q.apply(ctx, a.Hall, func(e *queue.Engine) (ch queue.Change, err error) {
		t, ch, err = e.Act(q.now(), a)
		return ch, err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// CancelByToken cancels the ticket with this follow token on its holder's request.
func (q *Queue) CancelByToken(ctx context.Context, token string) (*hall.Ticket, error) {
	t, err := q.ticketByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	var ct *hall.Ticket
	err = q.apply(ctx, t.Hall, func(e *queue.Engine) (ch queue.Change, err error) {
		ct, ch, err = e.CancelByToken(q.now(), token)
		return ch, err
	})
	if err != nil {
		return nil, err
	}
	return ct, nil
}

// Snapshot returns the hall's state. It waits until the state it shows is durable, so its Seq is
// never ahead of the committed log (Since(Seq) always works).
func (q *Queue) Snapshot(ctx context.Context, code string) (*hall.Snapshot, error) {
	hs, err := q.hall(code)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		hs.mu.Lock()
		eng, err := q.engine(hs)
		if err != nil {
			hs.mu.Unlock()
			return nil, err
		}
		snap := eng.Snapshot(q.now())
		last := hs.last
		hs.mu.Unlock()
		if last == nil || snap.Seq <= hs.committed.Load() {
			return &snap, nil
		}
		err = last.wait(ctx)
		if err == nil {
			return &snap, nil
		}
		if ctx.Err() != nil || attempt >= 3 {
			return nil, err
		}
		// The change failed: the engine was reset; take the snapshot again.
	}
}

// Follow returns the public view of the ticket with this follow token: the committed ticket, and
// for a waiting one its position and estimated wait from the live queue.
func (q *Queue) Follow(ctx context.Context, token string) (*hall.Follow, error) {
	t, err := q.ticketByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	hs, err := q.hall(t.Hall)
	if err != nil {
		return nil, err
	}
	f := &hall.Follow{Ticket: t.Public(), Number: t.Number, State: t.State, HallName: hs.cfg.Name, Materials: []hall.Text{}}
	if svc, ok := hs.cfg.Service(t.Service); ok {
		f.Service = svc.Name
		if svc.Materials != nil {
			f.Materials = svc.Materials
		}
	}
	if t.State == hall.TicketCalled || t.State == hall.TicketServing {
		f.Counter = t.Counter
	}
	if t.State == hall.TicketWaiting {
		hs.mu.Lock()
		if eng, err := q.engine(hs); err == nil {
			if ahead, eta, ok := eng.Position(q.now(), t.ID); ok {
				f.Position, f.EtaSeconds = ahead, eta
			}
		}
		hs.mu.Unlock()
	}
	return f, nil
}

// Waiting lists the hall's waiting tickets in call order.
func (q *Queue) Waiting(ctx context.Context, code string) ([]hall.Ticket, error) {
	hs, err := q.hall(code)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	eng, err := q.engine(hs)
	if err != nil {
		return nil, err
	}
	return eng.Waiting(), nil
}

// Ticket returns an open ticket of the hall by ID or by today's number, from the live queue; a
// ticket no longer open is read from the file by ID.
func (q *Queue) Ticket(ctx context.Context, code, ref string) (*hall.Ticket, error) {
	hs, err := q.hall(code)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ref == "" || len(ref) > 64 {
		return nil, hall.Errorf(hall.ENOTFOUND, "ticket", "no ticket %q in hall %s", ref, code)
	}
	hs.mu.Lock()
	eng, err := q.engine(hs)
	if err != nil {
		hs.mu.Unlock()
		return nil, err
	}
	t, ok := eng.Ticket(ref)
	if !ok {
		t, ok = eng.TicketByNumber(ref)
	}
	hs.mu.Unlock()
	if ok {
		return &t, nil
	}
	old, err := q.ticketByID(ctx, ref)
	if err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
		return nil, err
	}
	if err != nil || old.Hall != code {
		return nil, hall.Errorf(hall.ENOTFOUND, "ticket", "no ticket %q in hall %s", ref, code)
	}
	return old, nil
}

// Since returns the committed events of the hall after seq, oldest first. ok is false when seq is
// ahead of the committed log (unknown: e.g. the file was replaced by a restore) or more than
// MaxReplay events behind it (a snapshot is cheaper): the caller starts from a snapshot.
//
// To follow a hall without a gap, Subscribe first, then call Since (or Snapshot), and drop
// subscribed events whose Seq is not above the last one already handled.
func (q *Queue) Since(ctx context.Context, code string, seq uint64) ([]hall.Event, bool, error) {
	hs, err := q.hall(code)
	if err != nil {
		return nil, false, err
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	last := hs.committed.Load()
	if seq > last || last-seq > MaxReplay {
		return nil, false, nil
	}
	events := make([]hall.Event, 0, last-seq)
	err = q.db.bolt.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(eventsBucket(code)).Cursor()
		var key [8]byte
		binary.BigEndian.PutUint64(key[:], seq+1)
		for k, v := c.Seek(key[:]); k != nil && binary.BigEndian.Uint64(k) <= last; k, v = c.Next() {
			var ev hall.Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("decode event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			events = append(events, ev)
		}
		return nil
	})
	if err != nil {
		return nil, false, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read events of %s: %v", code, err)
	}
	return events, true, nil
}

// LastSeq returns the seq of the hall's last committed event.
func (q *Queue) LastSeq(code string) (uint64, error) {
	hs, err := q.hall(code)
	if err != nil {
		return 0, err
	}
	return hs.committed.Load(), nil
}

// Subscribe delivers every event of the hall committed after the call, in order. The channel is
// closed by cancel, by Close, or when the subscriber falls more than buffer events behind (it must
// then resynchronise from Since or a snapshot). An unknown hall gives a closed channel. Events are
// shared by all subscribers (Ticket, Counter and Waiting point to the same values): read them,
// never modify them. Tickets in events are full (person ID, channel): apply Ticket.Public before
// sending them to public streams.
func (q *Queue) Subscribe(code string, buffer int) (<-chan hall.Event, func()) {
	hs, ok := q.halls[code]
	if !ok {
		ch := make(chan hall.Event, max(buffer, 1))
		close(ch)
		return ch, func() {}
	}
	return hs.subs.subscribe(buffer, q.stop)
}
