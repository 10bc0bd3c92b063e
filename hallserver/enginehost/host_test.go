package enginehost

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// A counter engine: each command appends n events to its log.
type counter struct{ seq uint64 }

type change struct {
	events []uint64
	seq    uint64
}

func (c *counter) add(n int) change {
	ch := change{}
	for range n {
		c.seq++
		ch.events = append(ch.events, c.seq)
	}
	ch.seq = c.seq
	return ch
}

// memStore is a Store in memory: the committed seq of each log and its events (an event is its
// seq). fail, when set, fails the next commit.
type memStore struct {
	mu      sync.Mutex
	start   map[string]uint64 // first committed seq of a log (events before it are implied)
	events  map[string][]uint64
	fail    error
	hold    chan struct{} // when set, Commit waits for it to close
	commits int
	loads   int
}

func newMemStore() *memStore {
	return &memStore{start: map[string]uint64{}, events: map[string][]uint64{}}
}

type write struct {
	log string
	ch  change
}

func (s *memStore) Prepare(log string, ch change, _, _ string) (write, error) {
	return write{log, ch}, nil
}

func (s *memStore) Commit(batch []write) error {
	if s.hold != nil {
		<-s.hold
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail; err != nil {
		s.fail = nil
		return err
	}
	s.commits++
	for _, w := range batch {
		s.events[w.log] = append(s.events[w.log], w.ch.events...)
	}
	return nil
}

func (s *memStore) last(log string) uint64 {
	if evs := s.events[log]; len(evs) > 0 {
		return evs[len(evs)-1]
	}
	return s.start[log]
}

func (s *memStore) Events(_ context.Context, log string, after, last uint64, limit int) ([]uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint64
	for seq := after + 1; seq <= last && len(out) < limit; seq++ {
		out = append(out, seq) // every event up to the last one is there
	}
	return out, nil
}

func (s *memStore) load(log string) (*counter, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	seq := s.last(log)
	return &counter{seq: seq}, seq, nil
}

func newHost(t *testing.T, s *memStore, fp Failpoint, logs ...string) *Host[*counter, change, uint64, write] {
	t.Helper()
	h, err := New(context.Background(), Config[*counter, change, uint64]{
		Logs:      logs,
		Load:      s.load,
		Events:    func(ch change) []uint64 { return ch.events },
		EventSeq:  func(ev uint64) uint64 { return ev },
		Seq:       func(ch change) uint64 { return ch.seq },
		Empty:     func(ch change) bool { return len(ch.events) == 0 },
		Tick:      func(c *counter, _ time.Time) change { return c.add(1) },
		TickEvery: time.Hour,
		Failpoint: fp,
	}, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func add(n int) func(*counter, time.Time) (change, error) {
	return func(c *counter, _ time.Time) (change, error) { return c.add(n), nil }
}

// Since replays at most MaxReplay events; further behind, ok is false (start from a snapshot),
// and so is a seq ahead of the log. EventsAfter pages through any distance.
func TestSinceReplayWindow(t *testing.T) {
	s := newMemStore()
	s.start["a"] = MaxReplay + 10
	h := newHost(t, s, nil, "a")
	l, _ := h.Log("a")
	ctx := context.Background()
	if _, ok, _ := l.Since(ctx, 9); ok {
		t.Fatal("replay of more than MaxReplay events accepted")
	}
	evs, ok, err := l.Since(ctx, 10)
	if !ok || err != nil || len(evs) != MaxReplay || evs[0] != 11 {
		t.Fatalf("replay of exactly MaxReplay events: %d events, ok=%v, %v", len(evs), ok, err)
	}
	if _, ok, _ := l.Since(ctx, MaxReplay+11); ok {
		t.Fatal("a seq ahead of the log accepted")
	}
	if evs, ok, _ := l.Since(ctx, MaxReplay+10); !ok || len(evs) != 0 {
		t.Fatalf("since the last seq: %v %v", evs, ok)
	}
	if evs, err := l.EventsAfter(ctx, 0, 100); err != nil || len(evs) != 100 || evs[0] != 1 {
		t.Fatalf("EventsAfter far behind: %d %v", len(evs), err)
	}
	if evs, _ := l.EventsAfter(ctx, MaxReplay+10, 10); len(evs) != 0 {
		t.Fatalf("events after the last: %v", evs)
	}
}

// A committed change is published to subscribers in order and advances Committed; a failed
// commit fails its change, drops the engine (reloaded from the store, so the change is gone) and
// counts as failed; other logs keep their engines.
func TestCommitPublishesAndFailureDropsEngine(t *testing.T) {
	s := newMemStore()
	h := newHost(t, s, nil, "a", "b")
	a, _ := h.Log("a")
	b, _ := h.Log("b")
	ctx := context.Background()
	sub, cancel := a.Subscribe(10)
	defer cancel()
	if err := a.Apply(ctx, add(2)); err != nil {
		t.Fatal(err)
	}
	if a.Committed() != 2 || <-sub != 1 || <-sub != 2 {
		t.Fatalf("committed %d", a.Committed())
	}
	if err := b.Apply(ctx, add(1)); err != nil {
		t.Fatal(err)
	}
	loads := s.loads
	s.mu.Lock()
	s.fail = errors.New("disk full")
	s.mu.Unlock()
	if err := a.Apply(ctx, add(1)); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("apply with a failing commit: %v", err)
	}
	if st := h.Stats(); st.Failed != 1 || st.Changes != 2 {
		t.Fatalf("stats %+v", st)
	}
	var seq uint64
	if err := a.View(ctx, func(c *counter, _ time.Time) { seq = c.seq }); err != nil || seq != 2 {
		t.Fatalf("engine after the failure at seq %d (%v), want 2 (reloaded)", seq, err)
	}
	if s.loads != loads+1 {
		t.Fatalf("%d loads after the failure, want 1 (log a only)", s.loads-loads)
	}
	select {
	case ev := <-sub:
		t.Fatalf("failed event %d published", ev)
	default:
	}
}

// A change refused at the enqueue point (the failpoint here, Close in production) drops the
// engine that applied it, and the failpoint PointEnqueue sees every enqueue.
func TestRefusedEnqueueDropsEngine(t *testing.T) {
	s := newMemStore()
	var refuse bool
	var seen int
	h := newHost(t, s, func(point string) error {
		if point == PointEnqueue {
			seen++
			if refuse {
				return ErrInjected
			}
		}
		return nil
	}, "a")
	l, _ := h.Log("a")
	ctx := context.Background()
	if err := l.Apply(ctx, add(1)); err != nil {
		t.Fatal(err)
	}
	refuse = true
	if err := l.Apply(ctx, add(1)); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("refused apply: %v", err)
	}
	refuse = false
	var seq uint64
	l.View(ctx, func(c *counter, _ time.Time) { seq = c.seq })
	if seq != 1 || seen != 2 {
		t.Fatalf("engine at seq %d after a refused change (want 1), %d enqueues seen (want 2)", seq, seen)
	}
	h.Close()
	if err := l.Apply(ctx, add(1)); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("apply after Close: %v", err)
	}
	l.View(ctx, func(c *counter, _ time.Time) { seq = c.seq })
	if seq != 1 {
		t.Fatalf("engine at seq %d after Close refused a change, want 1", seq)
	}
}

// Pending answers for an idempotency key until its change is committed.
func TestPendingIdempotencyKey(t *testing.T) {
	s := newMemStore()
	s.hold = make(chan struct{})
	h := newHost(t, s, nil, "a")
	l, _ := h.Log("a")
	l.Lock()
	eng, _ := l.Engine()
	r, err := l.Enqueue(eng.add(1), "k", "id-1")
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	l.Lock()
	p, ok := l.Pending("k")
	l.Unlock()
	if !ok || p.IdemID() != "id-1" {
		t.Fatalf("pending while held: %v", ok)
	}
	close(s.hold)
	if err := r.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.Lock()
	_, ok = l.Pending("k")
	l.Unlock()
	if ok {
		t.Fatal("key still pending after the commit")
	}
}

// A group of changes commits all or nothing: when an earlier change of one of its logs fails
// (its engine is dropped), the group's changes of the other logs fail too and their engines
// are reloaded from the store.
func TestGroupFailsWhole(t *testing.T) {
	s := newMemStore()
	s.hold = make(chan struct{})
	h := newHost(t, s, nil, "a", "b")
	a, _ := h.Log("a")
	b, _ := h.Log("b")
	first := make(chan error, 1)
	go func() { first <- a.Apply(context.Background(), add(1)) }()
	// Wait until the first change is in the committer (held in Commit).
	for {
		a.Lock()
		seq := a.Seq()
		a.Unlock()
		if seq > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	a.Lock()
	b.Lock()
	ea, _ := a.Engine()
	eb, _ := b.Engine()
	na, nb := &counter{seq: ea.seq}, &counter{seq: eb.seq}
	reqs, err := h.EnqueueGroup([]GroupChange[*counter, change]{{Log: "a", Engine: na, Change: na.add(1)}, {Log: "b", Engine: nb, Change: nb.add(1)}}, nil)
	b.Unlock()
	a.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.fail = errors.New("disk full")
	s.mu.Unlock()
	close(s.hold)
	if err := <-first; err == nil {
		t.Fatal("the first change did not fail")
	}
	for _, r := range reqs {
		if err := r.Wait(context.Background()); hall.ErrorCode(err) != hall.EUNAVAILABLE {
			t.Fatalf("group member of %s: %v, want unavailable", r.log.name, err)
		}
	}
	s.mu.Lock()
	got := len(s.events["b"])
	s.mu.Unlock()
	if got != 0 || b.Committed() != 0 {
		t.Fatalf("log b has %d events (committed %d): the group was half applied", got, b.Committed())
	}
	b.Lock()
	eng, err := b.Engine()
	b.Unlock()
	if err != nil || eng.seq != 0 {
		t.Fatalf("b's engine after the failed group: seq %d, %v (want reloaded at 0)", eng.seq, err)
	}
}

// limitStore is a memStore that commits at most max events in one transaction (as etcd bounds a
// Txn), refusing a bigger batch whole, and fails its failAt-th commit.
type limitStore struct {
	*memStore
	max, failAt int
	calls       int
	sizes       []int // events of each Commit call
}

func events(batch []write) int {
	n := 0
	for _, w := range batch {
		n += len(w.ch.events)
	}
	return n
}

func (s *limitStore) Fits(batch []write) bool { return events(batch) <= s.max }

func (s *limitStore) Commit(batch []write) error {
	s.mu.Lock()
	s.calls++
	s.sizes = append(s.sizes, events(batch))
	fail := s.calls == s.failAt
	s.mu.Unlock()
	if !s.Fits(batch) {
		return errors.New("too many operations in one transaction")
	}
	if fail {
		s.mu.Lock()
		s.fail = errors.New("the Txn failed")
		s.mu.Unlock()
	}
	return s.memStore.Commit(batch)
}

// The committer cuts what it took into batches the store commits atomically (BatchLimiter):
// every change acknowledged is durable and every change failed is not, also when a later part
// fails; a change too big for one transaction is refused with nothing written, and the changes
// of its log queued behind it fail with it.
func TestBatchCutToStoreLimit(t *testing.T) {
	m := newMemStore()
	m.hold = make(chan struct{})
	s := &limitStore{memStore: m, max: 4, failAt: 3}
	h, err := New(context.Background(), Config[*counter, change, uint64]{
		Logs: []string{"a", "b", "c"}, Load: m.load,
		Events:   func(ch change) []uint64 { return ch.events },
		EventSeq: func(ev uint64) uint64 { return ev },
		Seq:      func(ch change) uint64 { return ch.seq },
		Empty:    func(ch change) bool { return len(ch.events) == 0 },
		Tick:     func(c *counter, _ time.Time) change { return change{} }, TickEvery: time.Hour,
	}, Store[change, uint64, write](s))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	a, _ := h.Log("a")
	b, _ := h.Log("b")
	c, _ := h.Log("c")
	ctx := context.Background()
	seq := func(l *Log[*counter, change, uint64, write]) uint64 {
		l.Lock()
		defer l.Unlock()
		return l.Seq()
	}
	waitSeq := func(l *Log[*counter, change, uint64, write], n uint64) {
		for seq(l) < n {
			time.Sleep(time.Millisecond)
		}
	}
	first := make(chan error, 1)
	go func() { first <- a.Apply(ctx, add(1)) }()
	waitSeq(a, 1) // held in the first Commit: what follows queues up behind it
	bErrs := make(chan error, 6)
	for range 6 {
		go func() { bErrs <- b.Apply(ctx, add(1)) }()
	}
	waitSeq(b, 6)
	big := make(chan error, 1)
	go func() { big <- c.Apply(ctx, add(5)) }()
	waitSeq(c, 5)
	behind := make(chan error, 1)
	go func() { behind <- c.Apply(ctx, add(1)) }()
	waitSeq(c, 6)
	close(m.hold)

	if err := <-first; err != nil {
		t.Fatal(err)
	}
	acked := 0
	for range 6 {
		if err := <-bErrs; err == nil {
			acked++
		} else if hall.ErrorCode(err) != hall.EUNAVAILABLE {
			t.Fatalf("a change of b: %v", err)
		}
	}
	m.mu.Lock()
	durable := len(m.events["b"])
	m.mu.Unlock()
	if acked != 4 || durable != acked {
		t.Fatalf("log b: %d changes acknowledged (want 4: the part after them failed), %d durable (commits %v)", acked, durable, s.sizes)
	}
	if err := <-big; hall.ErrorCode(err) != hall.EINTERNAL || !strings.Contains(err.Error(), "too big") {
		t.Fatalf("a change too big for one transaction: %v", err)
	}
	if err := <-behind; hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("the change queued behind the refused one: %v", err)
	}
	m.mu.Lock()
	cDurable := len(m.events["c"])
	m.mu.Unlock()
	if cDurable != 0 || c.Committed() != 0 {
		t.Fatalf("log c has %d durable events after its changes were refused", cDurable)
	}
	for _, n := range s.sizes {
		if n > s.max {
			t.Fatalf("the committer handed a batch of %d events to a store that fits %d (commits %v)", n, s.max, s.sizes)
		}
	}
	if err := b.Apply(ctx, add(1)); err != nil || b.Committed() != 5 {
		t.Fatalf("b after the failed part: committed %d, %v (want 5: reloaded at 4)", b.Committed(), err)
	}
}
