// Package enginehost runs OneDoor's pure engines (package queue, one per hall; package cases) on
// top of a store, and is the queue and case services built on them (Queue, Cases). It knows
// nothing of the storage: it reaches it only through QueueStore and CaseStore (store.go); package
// bolt implements them on its bbolt file, and another store (e.g. a replicated one) plugs in by
// implementing them. It imports hall, queue and cases, never a storage package.
//
// The generic Host (host.go) keeps a set of logs (one engine each), serialises the commands of
// each log, hands the resulting changes to one group committer, publishes the events of what is
// durable and acknowledges. The life of a command: lock the log, run the engine (pure, in
// memory), Enqueue the change (the store prepares it, e.g. encodes it, in the caller's
// goroutine), unlock, wait. The committer takes everything queued at that moment as one batch and
// hands it to Store.Commit (one atomic transaction, one fsync), then advances each log's
// committed seq, publishes the events to subscribers in order, and wakes the waiters. Nothing is
// acknowledged or published before it is durable. When a commit fails, its changes fail with
// EUNAVAILABLE, the engines of the logs involved are dropped (reloaded from the store by the next
// command), and changes already computed on top of the failed state (queued behind it) fail too:
// a per-log epoch tells them apart. A change refused at shutdown drops its engine the same way.
//
// Files: host.go the generic host; batcher.go the hand-off to the group committer; fanout.go the
// subscribers; stats.go the commit figures; store.go the store interfaces; queue.go and
// hallinfo.go the queue service (hall.QueueService, hall.EventLog); cases.go and reports.go the
// case service (hall.CaseService, hall.CaseLog, hall.CaseReports).
package enginehost

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"onedoor/hallserver/hall"
)

// MaxReplay is how far behind the last committed event Since still replays: a client more than
// MaxReplay events behind gets ok=false and must start from a snapshot, which is then cheaper.
const MaxReplay = 10000

// Failpoints: the names a Failpoint is called with (fault injection in tests, after the
// failpoints of bbolt's gofail: named points in the code, a no-op unless a test enables them).
const (
	// PointEnqueue is passed just before a change is handed to the committer, in the caller's
	// goroutine, under the log's lock. An error refuses the change as if the host were closing.
	PointEnqueue = "enqueue"
	// PointCommit is passed by the store inside its transaction, before the batch is written. An
	// error fails the transaction (nothing written) like a storage error. A failpoint may block
	// here to hold the committer.
	PointCommit = "commit"
)

// A Failpoint is called at the named points above; nil (production) means none. One hook for all
// points, so that tests inject faults without test-only fields on the production types.
type Failpoint func(point string) error

// Hit calls the failpoint at point; nil when there is none.
func (fp Failpoint) Hit(point string) error {
	if fp == nil {
		return nil
	}
	return fp(point)
}

// ErrInjected is the error a test's failpoint returns to simulate a storage failure.
var ErrInjected = errors.New("injected commit failure")

// Store is what a Host needs from the storage of one family of logs (all halls' queues, or the
// case log): an atomic commit of a batch of changes (state and events with per-log sequence
// numbers) and a read of the events after a seq. Reading the state an engine starts from is the
// Config's Load. Ch is the engine's change type, Ev its event type, W the store's prepared form of
// a change.
//
// A Host is the only writer of its logs (bbolt holds an exclusive lock on its file), so it
// publishes what it committed itself: the store needs no watch. A replicated store with several
// writers would feed Subscribe from its watch instead.
type Store[Ch, Ev, W any] interface {
	// Prepare turns a change of the named log into what Commit writes (e.g. encodes it), in the
	// caller's goroutine so that the committer's serial path is only the write and the sync.
	// idemKey (may be "") is an idempotency key to store with the change, answering idemID.
	Prepare(log string, ch Ch, idemKey, idemID string) (W, error)
	// Commit writes the batch in one atomic, durable transaction: every change or none. It
	// calls the failpoint PointCommit inside the transaction.
	Commit(batch []W) error
	// Events returns at most limit committed events of the log with after < seq <= last, oldest
	// first.
	Events(ctx context.Context, log string, after, last uint64, limit int) ([]Ev, error)
}

// Config configures a Host for one kind of engine. E is the engine, Ch its change, Ev its event.
type Config[E, Ch, Ev any] struct {
	// Logs names the logs (e.g. the hall codes); each has its own engine, lock, seq and epoch.
	Logs []string
	// Load (re)builds a log's engine from the store: at start and after a failed commit. It
	// returns the engine and the seq of its last committed event.
	Load func(log string) (E, uint64, error)
	// Events are the events of a change (consecutive seqs after the previous change).
	Events func(Ch) []Ev
	// EventSeq is an event's seq.
	EventSeq func(Ev) uint64
	// Seq is the engine's seq after the change.
	Seq func(Ch) uint64
	// Empty reports whether a change has nothing to write.
	Empty func(Ch) bool
	// Tick runs the engine's time rules (every TickEvery, and on Host.Tick).
	Tick func(E, time.Time) Ch
	// TickEvery is the tick loop's period.
	TickEvery time.Duration
	// Prune, when set, runs hourly in the tick loop (e.g. expired idempotency keys).
	Prune func(now time.Time)
	// Enqueued, when set, is called after a change was handed to the committer, under the log's
	// lock (e.g. to log a clock step).
	Enqueued func(log string, ch Ch)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Closing is the error of a command after Close (EUNAVAILABLE).
	Closing error
	// Failpoint is the fault injection hook (nil in production).
	Failpoint Failpoint
}

// Host runs the engines of a family of logs over a Store. Its methods are safe for concurrent use.
type Host[E, Ch, Ev, W any] struct {
	cfg    Config[E, Ch, Ev]
	store  Store[Ch, Ev, W]
	logsMu sync.RWMutex
	logs   map[string]*Log[E, Ch, Ev, W] // grows by AddLog (a hall added live)

	commits *batcher[*Request[E, Ch, Ev, W]]
	stats   statsCounter

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// Log is one log of a Host: its engine and everything around it.
type Log[E, Ch, Ev, W any] struct {
	name string
	host *Host[E, Ch, Ev, W]

	mu     sync.Mutex                        // serialises engine calls and enqueueing
	eng    E                                 // valid when loaded (under mu)
	loaded bool                              // false after a failed commit, until reloaded
	seq    uint64                            // engine seq after the last change computed (under mu)
	last   *Request[E, Ch, Ev, W]            // the last change enqueued (under mu)
	epoch  atomic.Uint64                     // bumped (under mu) when the engine is dropped
	idem   map[string]*Request[E, Ch, Ev, W] // idempotency keys of changes not yet committed (under mu)
	subs   fanout[Ev]                        // subscribers of committed events

	committed atomic.Uint64 // seq of the last committed event
}

// Request is one change waiting for the committer.
type Request[E, Ch, Ev, W any] struct {
	log     *Log[E, Ch, Ev, W]
	epoch   uint64
	change  Ch
	w       W
	idemKey string
	idemID  string
	// extra are prepared writes committed with this change (EnqueueGroup: the campus record).
	extra []W
	// group, when set, names the requests that commit all together or not at all.
	group *group

	done chan struct{} // closed when err is set
	err  error
}

// New loads every log's engine and starts the group committer and the tick loop. Close stops
// them.
func New[E, Ch, Ev, W any](ctx context.Context, cfg Config[E, Ch, Ev], store Store[Ch, Ev, W]) (*Host[E, Ch, Ev, W], error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Closing == nil {
		cfg.Closing = hall.Errorf(hall.EUNAVAILABLE, "", "the server is shutting down")
	}
	h := &Host[E, Ch, Ev, W]{cfg: cfg, store: store, logs: map[string]*Log[E, Ch, Ev, W]{},
		commits: newBatcher[*Request[E, Ch, Ev, W]](), stop: make(chan struct{})}
	for _, name := range cfg.Logs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l := &Log[E, Ch, Ev, W]{name: name, host: h, idem: map[string]*Request[E, Ch, Ev, W]{}}
		if err := l.load(); err != nil {
			return nil, err
		}
		h.logs[name] = l
	}
	h.wg.Add(2)
	go func() {
		defer h.wg.Done()
		h.commits.run(h.commit)
	}()
	go h.tickLoop()
	return h, nil
}

// Log returns the named log; false when there is none.
func (h *Host[E, Ch, Ev, W]) Log(name string) (*Log[E, Ch, Ev, W], bool) {
	h.logsMu.RLock()
	l, ok := h.logs[name]
	h.logsMu.RUnlock()
	return l, ok
}

// allLogs returns the logs in no particular order.
func (h *Host[E, Ch, Ev, W]) allLogs() []*Log[E, Ch, Ev, W] {
	h.logsMu.RLock()
	defer h.logsMu.RUnlock()
	out := make([]*Log[E, Ch, Ev, W], 0, len(h.logs))
	for _, l := range h.logs {
		out = append(out, l)
	}
	return out
}

// AddLog adds a log (a hall added while the server runs), its engine loaded from the store; an
// existing log is returned as it is.
func (h *Host[E, Ch, Ev, W]) AddLog(name string) (*Log[E, Ch, Ev, W], error) {
	h.logsMu.Lock()
	defer h.logsMu.Unlock()
	if l, ok := h.logs[name]; ok {
		return l, nil
	}
	l := &Log[E, Ch, Ev, W]{name: name, host: h, idem: map[string]*Request[E, Ch, Ev, W]{}}
	if err := l.load(); err != nil {
		return nil, err
	}
	h.logs[name] = l
	return l, nil
}

// group ties the requests of one EnqueueGroup together.
type group struct{}

// GroupChange is one log's part of a change of several logs (EnqueueGroup): the engine that has
// applied the change, which becomes the log's engine.
type GroupChange[E, Ch any] struct {
	Log    string
	Engine E
	Change Ch
}

// EnqueueGroup hands the changes of several logs, and extra writes prepared by the store, to the
// committer in one step: they are committed in one batch (one transaction), all or none; when
// one of them cannot be committed none is. Callers hold the locks of every log named (in a fixed
// order) and have computed each change on a copy of the log's engine, which becomes the log's
// engine here. It returns the requests to wait for; on error nothing was handed over and the
// logs keep their engines.
func (h *Host[E, Ch, Ev, W]) EnqueueGroup(changes []GroupChange[E, Ch], extra []W) ([]*Request[E, Ch, Ev, W], error) {
	g := &group{}
	reqs := make([]*Request[E, Ch, Ev, W], len(changes))
	for i, gc := range changes {
		l, ok := h.Log(gc.Log)
		if !ok {
			return nil, hall.Errorf(hall.EINTERNAL, "", "no log %q", gc.Log)
		}
		w, err := h.store.Prepare(l.name, gc.Change, "", "")
		if err != nil {
			return nil, hall.Errorf(hall.EINTERNAL, "", "prepare change: %v", err)
		}
		reqs[i] = &Request[E, Ch, Ev, W]{log: l, epoch: l.epoch.Load(), change: gc.Change, w: w, group: g, done: make(chan struct{})}
	}
	if len(reqs) > 0 {
		reqs[0].extra = extra
	}
	if err := h.cfg.Failpoint.Hit(PointEnqueue); err != nil {
		return nil, h.cfg.Closing
	}
	if !h.commits.enqueueAll(reqs) {
		return nil, h.cfg.Closing
	}
	for i, gc := range changes {
		l := reqs[i].log
		l.eng, l.loaded = gc.Engine, true
		l.seq = h.cfg.Seq(gc.Change)
		l.last = reqs[i]
		if h.cfg.Enqueued != nil {
			h.cfg.Enqueued(l.name, gc.Change)
		}
	}
	return reqs, nil
}

// Now reads the host's clock.
func (h *Host[E, Ch, Ev, W]) Now() time.Time { return h.cfg.Now() }

// Stats returns the committer's figures since New.
func (h *Host[E, Ch, Ev, W]) Stats() CommitStats { return h.stats.get() }

// Close stops the tick loop, commits every change already handed to the committer, stops it and
// closes all subscriptions. Commands after Close fail with Config.Closing.
func (h *Host[E, Ch, Ev, W]) Close() {
	h.closeOnce.Do(func() {
		close(h.stop)
		h.commits.close()
		h.wg.Wait()
		for _, l := range h.allLogs() {
			l.subs.closeAll()
		}
	})
}

// Name is the log's name.
func (l *Log[E, Ch, Ev, W]) Name() string { return l.name }

// Lock locks the log: engine calls and Enqueue happen under it, which keeps the log's changes in
// order.
func (l *Log[E, Ch, Ev, W]) Lock() { l.mu.Lock() }

// Unlock unlocks the log.
func (l *Log[E, Ch, Ev, W]) Unlock() { l.mu.Unlock() }

// load (re)builds the engine from the store. Callers hold l.mu (or own l exclusively).
func (l *Log[E, Ch, Ev, W]) load() error {
	eng, seq, err := l.host.cfg.Load(l.name)
	if err != nil {
		return err
	}
	l.eng, l.loaded, l.seq = eng, true, seq
	l.committed.Store(seq)
	return nil
}

// drop forgets the engine (reloaded from the store by the next command) and makes every change
// computed on it fail. Callers hold l.mu.
func (l *Log[E, Ch, Ev, W]) drop() {
	var zero E
	l.eng, l.loaded = zero, false
	l.epoch.Add(1)
}

// Engine returns the log's engine, reloading it after a failed commit. Callers hold the lock.
func (l *Log[E, Ch, Ev, W]) Engine() (E, error) {
	if !l.loaded {
		if err := l.load(); err != nil {
			var zero E
			return zero, hall.Errorf(hall.EUNAVAILABLE, "", "storage unavailable: %v", err)
		}
	}
	return l.eng, nil
}

// Seq is the engine's seq after the last change computed. Callers hold the lock.
func (l *Log[E, Ch, Ev, W]) Seq() uint64 { return l.seq }

// Committed is the seq of the log's last committed event.
func (l *Log[E, Ch, Ev, W]) Committed() uint64 { return l.committed.Load() }

// Pending returns the change being committed under an idempotency key, if any. Callers hold the
// lock.
func (l *Log[E, Ch, Ev, W]) Pending(idemKey string) (*Request[E, Ch, Ev, W], bool) {
	r, ok := l.idem[idemKey]
	if ok && r.Done() {
		return nil, false
	}
	return r, ok
}

// Enqueue hands a change the engine has applied to the committer, with an idempotency key to
// store with it (or ""). Callers hold the lock. It never blocks on the commit. When the change
// cannot be handed over (it cannot be prepared, or the host is closing), the engine, which has
// applied it, is dropped: the next command reloads it from the store.
func (l *Log[E, Ch, Ev, W]) Enqueue(ch Ch, idemKey, idemID string) (*Request[E, Ch, Ev, W], error) {
	h := l.host
	r := &Request[E, Ch, Ev, W]{log: l, epoch: l.epoch.Load(), change: ch, idemKey: idemKey, idemID: idemID, done: make(chan struct{})}
	w, err := h.store.Prepare(l.name, ch, idemKey, idemID)
	if err != nil {
		// Cannot happen with these types; if it does, forget the change like a failed commit.
		l.drop()
		return nil, hall.Errorf(hall.EINTERNAL, "", "prepare change: %v", err)
	}
	r.w = w
	if err := h.cfg.Failpoint.Hit(PointEnqueue); err != nil {
		l.drop()
		return nil, h.cfg.Closing
	}
	if !h.commits.enqueue(r) {
		l.drop()
		return nil, h.cfg.Closing
	}
	l.seq = h.cfg.Seq(ch)
	l.last = r
	if idemKey != "" {
		l.idem[idemKey] = r
	}
	if h.cfg.Enqueued != nil {
		h.cfg.Enqueued(l.name, ch)
	}
	return r, nil
}

// Apply runs one engine command under the lock and waits until its change is durable. cmd gets
// the engine and the time; an empty change is not written.
func (l *Log[E, Ch, Ev, W]) Apply(ctx context.Context, cmd func(eng E, now time.Time) (Ch, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	eng, err := l.Engine()
	if err != nil {
		l.mu.Unlock()
		return err
	}
	ch, err := cmd(eng, l.host.cfg.Now())
	if err != nil || l.host.cfg.Empty(ch) {
		l.mu.Unlock()
		return err
	}
	r, err := l.Enqueue(ch, "", "")
	l.mu.Unlock()
	if err != nil {
		return err
	}
	return r.Wait(ctx)
}

// View runs read on the engine under the lock and returns once the state it read is durable, so
// that what it shows is never ahead of the committed log. When the change it waited for fails
// (the engine was dropped) it reads again, at most 3 times.
func (l *Log[E, Ch, Ev, W]) View(ctx context.Context, read func(eng E, now time.Time)) error {
	for attempt := 0; ; attempt++ {
		l.mu.Lock()
		eng, err := l.Engine()
		if err != nil {
			l.mu.Unlock()
			return err
		}
		read(eng, l.host.cfg.Now())
		last, seq := l.last, l.seq
		l.mu.Unlock()
		if last == nil || seq <= l.committed.Load() {
			return nil
		}
		err = last.Wait(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || attempt >= 3 {
			return err
		}
	}
}

// Tick runs the engine's time rules now and waits until their change is durable.
func (l *Log[E, Ch, Ev, W]) Tick(ctx context.Context) error {
	return l.Apply(ctx, func(eng E, now time.Time) (Ch, error) { return l.host.cfg.Tick(eng, now), nil })
}

// Since returns the committed events after seq, oldest first. ok is false when seq is ahead of
// the committed log (unknown: e.g. the store was replaced by a restore) or more than MaxReplay
// events behind it (a snapshot is cheaper): the caller starts from a snapshot.
//
// To follow a log without a gap, Subscribe first, then call Since (or read a snapshot), and drop
// subscribed events whose seq is not above the last one already handled.
func (l *Log[E, Ch, Ev, W]) Since(ctx context.Context, seq uint64) ([]Ev, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	last := l.committed.Load()
	if seq > last || last-seq > MaxReplay {
		return nil, false, nil
	}
	if seq == last {
		return []Ev{}, true, nil
	}
	evs, err := l.host.store.Events(ctx, l.name, seq, last, MaxReplay)
	if err != nil {
		return nil, false, hall.Errorf(hall.EUNAVAILABLE, "", "read events of %s: %v", l.name, err)
	}
	return evs, true, nil
}

// EventsAfter returns at most limit committed events with a seq above after, oldest first.
// Unlike Since it has no replay window: a reader that was away for long reads the log in pages.
func (l *Log[E, Ch, Ev, W]) EventsAfter(ctx context.Context, after uint64, limit int) ([]Ev, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	last := l.committed.Load()
	if after >= last || limit <= 0 {
		return nil, nil
	}
	evs, err := l.host.store.Events(ctx, l.name, after, last, limit)
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "read events of %s: %v", l.name, err)
	}
	return evs, nil
}

// Replicate is for a host that follows a log another writer commits (a read replica fed by a
// watch): evs, consecutive after the log's committed seq, are committed already and the store
// already shows them. The log's engine is dropped (the next read reloads it from the store), its
// committed seq advanced and the events published to subscribers, in order. Such a host commits
// nothing itself (its store refuses).
func (l *Log[E, Ch, Ev, W]) Replicate(evs []Ev) {
	if len(evs) == 0 {
		return
	}
	last := l.host.cfg.EventSeq(evs[len(evs)-1])
	l.mu.Lock()
	l.drop()
	l.seq = last
	l.last = nil
	l.committed.Store(last)
	l.mu.Unlock()
	l.subs.publish(evs)
}

// Subscribe delivers every event of the log committed after the call, in order. The channel is
// closed by cancel, by Close, or when the subscriber falls more than buffer events behind (it
// must then resynchronise from Since or a snapshot). Events are shared by all subscribers: read
// them, never modify them.
func (l *Log[E, Ch, Ev, W]) Subscribe(buffer int) (<-chan Ev, func()) {
	return l.subs.subscribe(buffer, l.host.stop)
}

// Done reports whether the committer has finished the request.
func (r *Request[E, Ch, Ev, W]) Done() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// IdemID is the ID the request's idempotency key answers.
func (r *Request[E, Ch, Ev, W]) IdemID() string { return r.idemID }

// Wait waits for the commit. When ctx ends first it returns ctx's error, but the change is still
// committed (or failed) by the committer: a request's context never aborts a commit.
func (r *Request[E, Ch, Ev, W]) Wait(ctx context.Context) error {
	select {
	case <-r.done:
		return r.err
	default:
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return fmt.Errorf("waiting for commit: %w", ctx.Err())
	}
}

// commit writes what the committer took as batches the store commits atomically: the whole of
// it, or, when the store is a BatchLimiter, consecutive parts each within its limit (cut between
// requests, never inside a group), committed one after the other. A failed part fails the
// changes of its logs queued behind it (their epoch). A request or group that does not fit
// alone is refused (nothing written) and its logs' engines dropped.
func (h *Host[E, Ch, Ev, W]) commit(batch []*Request[E, Ch, Ev, W]) {
	lim, ok := any(h.store).(BatchLimiter[W])
	if !ok {
		h.commitBatch(batch)
		return
	}
	var ws, unit []W
	start := 0
	for i := 0; i < len(batch); {
		j := i + 1
		for g := batch[i].group; g != nil && j < len(batch) && batch[j].group == g; j++ {
		}
		unit = unit[:0]
		for _, r := range batch[i:j] {
			unit = append(unit, r.w)
			unit = append(unit, r.extra...)
		}
		if len(ws) > 0 && !lim.Fits(append(ws[:len(ws):len(ws)], unit...)) {
			h.commitBatch(batch[start:i])
			ws, start = ws[:0], i
		}
		if len(ws) == 0 && !lim.Fits(unit) {
			h.refuse(batch[i:j])
			start, i = j, j
			continue
		}
		ws = append(ws, unit...)
		i = j
	}
	if start < len(batch) {
		h.commitBatch(batch[start:])
	}
}

// refuse fails requests too big for one transaction of the store: nothing of them is written,
// and the engines of their logs, which applied them, are dropped (reloaded from the store).
func (h *Host[E, Ch, Ev, W]) refuse(reqs []*Request[E, Ch, Ev, W]) {
	err := hall.Errorf(hall.EINTERNAL, "", "storage: the change is too big for one atomic commit of the store (etcd's Txn limits): nothing was changed")
	for _, r := range reqs {
		l := r.log
		l.mu.Lock()
		if r.epoch == l.epoch.Load() {
			l.drop()
		}
		l.mu.Unlock()
	}
	for _, r := range reqs {
		h.finish(r, err)
	}
	h.stats.add(len(reqs), false)
}

// commitBatch writes one batch in one transaction, then publishes and acknowledges it, or fails
// it and drops the engines involved.
func (h *Host[E, Ch, Ev, W]) commitBatch(batch []*Request[E, Ch, Ev, W]) {
	live := make([]*Request[E, Ch, Ev, W], 0, len(batch))
	var staleGroups map[*group]bool
	for _, r := range batch {
		if r.group != nil && r.epoch != r.log.epoch.Load() {
			if staleGroups == nil {
				staleGroups = map[*group]bool{}
			}
			staleGroups[r.group] = true
		}
	}
	for _, r := range batch {
		if r.group != nil && staleGroups[r.group] && r.epoch == r.log.epoch.Load() {
			// Its own log is current but a member of its group is not: it fails with the
			// group, and its engine, which applied it, is dropped.
			r.log.mu.Lock()
			r.log.drop()
			r.log.mu.Unlock()
			h.finish(r, hall.Errorf(hall.EUNAVAILABLE, "", "storage error: an earlier change failed; retry"))
			h.stats.add(1, false)
			continue
		}
		if r.epoch != r.log.epoch.Load() {
			// Computed on an engine state that a failed commit discarded.
			h.finish(r, hall.Errorf(hall.EUNAVAILABLE, "", "storage error: an earlier change failed; retry"))
			h.stats.add(1, false)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	ws := make([]W, 0, len(live))
	for _, r := range live {
		ws = append(ws, r.w)
		ws = append(ws, r.extra...)
	}
	if err := h.store.Commit(ws); err != nil {
		err = fmt.Errorf("commit batch of %d: %w", len(live), err)
		fail := hall.Errorf(hall.EUNAVAILABLE, "", "storage unavailable, nothing changed: %v", err)
		dropped := map[*Log[E, Ch, Ev, W]]bool{}
		for _, r := range live {
			if l := r.log; !dropped[l] {
				dropped[l] = true
				l.mu.Lock()
				l.drop()
				l.mu.Unlock()
			}
		}
		for _, r := range live {
			h.finish(r, fail)
		}
		h.stats.add(len(live), false)
		return
	}
	h.stats.add(len(live), true)
	// Durable: advance the committed seqs, then publish in order, then acknowledge.
	for _, r := range live {
		if evs := h.cfg.Events(r.change); len(evs) > 0 {
			r.log.committed.Store(h.cfg.EventSeq(evs[len(evs)-1]))
		}
	}
	for _, r := range live {
		r.log.subs.publish(h.cfg.Events(r.change))
	}
	for _, r := range live {
		h.finish(r, nil)
	}
}

// finish reports a request's outcome to its waiters and forgets its pending idempotency key,
// which from now on is found in the store (or was not stored).
func (h *Host[E, Ch, Ev, W]) finish(r *Request[E, Ch, Ev, W], err error) {
	r.err = err
	close(r.done)
	if r.idemKey != "" {
		l := r.log
		l.mu.Lock()
		if l.idem[r.idemKey] == r {
			delete(l.idem, r.idemKey)
		}
		l.mu.Unlock()
	}
}

// tickLoop runs every engine's time rules every TickEvery (without waiting for their commits)
// and Prune hourly.
func (h *Host[E, Ch, Ev, W]) tickLoop() {
	defer h.wg.Done()
	t := time.NewTicker(h.cfg.TickEvery)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		for _, l := range h.allLogs() {
			l.mu.Lock()
			if eng, err := l.Engine(); err == nil {
				if ch := h.cfg.Tick(eng, h.cfg.Now()); !h.cfg.Empty(ch) {
					l.Enqueue(ch, "", "")
				}
			}
			l.mu.Unlock()
		}
		if now := h.cfg.Now(); h.cfg.Prune != nil && now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			h.cfg.Prune(now)
		}
	}
}
