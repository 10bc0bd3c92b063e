package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"onedoor/hallserver/hall"
)

// fakeLog is an in-memory case log.
type fakeLog struct {
	mu     sync.Mutex
	events []hall.CaseEvent
	subs   map[chan hall.CaseEvent]bool
	fail   int // next EventsAfter calls that fail
}

func newFakeLog() *fakeLog { return &fakeLog{subs: map[chan hall.CaseEvent]bool{}} }

// add appends n events, alternating between three cases.
func (l *fakeLog) add(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; i < n; i++ {
		seq := uint64(len(l.events)) + 1
		c := &hall.Case{ID: fmt.Sprintf("case-%d", seq%3), Number: fmt.Sprintf("JS20260302-%04d", seq%3),
			Text: "宿舍空调坏了", Requester: hall.Requester{Name: "张三", Phone: "13812345678"}}
		ev := hall.CaseEvent{Seq: seq, Type: hall.CaseEvNoted, At: time.Now().UTC(), Actor: "h-it", Case: c}
		l.events = append(l.events, ev)
		for ch := range l.subs {
			select {
			case ch <- ev:
			default:
				delete(l.subs, ch)
				close(ch)
			}
		}
	}
}

func (l *fakeLog) EventsAfter(ctx context.Context, after uint64, limit int) ([]hall.CaseEvent, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail > 0 {
		l.fail--
		return nil, fmt.Errorf("injected read failure")
	}
	if after >= uint64(len(l.events)) {
		return nil, nil
	}
	out := l.events[after:]
	if len(out) > limit {
		out = out[:limit]
	}
	return append([]hall.CaseEvent(nil), out...), nil
}

func (l *fakeLog) LastSeq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.events))
}

func (l *fakeLog) Subscribe(buffer int) (<-chan hall.CaseEvent, func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan hall.CaseEvent, buffer)
	l.subs[ch] = true
	return ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.subs[ch] {
			delete(l.subs, ch)
			close(ch)
		}
	}
}

// memStore is an in-memory Store.
type memStore struct {
	mu     sync.Mutex
	cursor map[string]uint64
	notes  map[uint64][]byte
	saves  int
}

func newMemStore() *memStore {
	return &memStore{cursor: map[string]uint64{}, notes: map[uint64][]byte{}}
}

func (s *memStore) Cursor(_ context.Context, name string) (uint64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.cursor[name]
	return v, ok, nil
}

func (s *memStore) SetCursor(_ context.Context, name string, seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cursor[name] = seq
	s.saves++
	return nil
}

func (s *memStore) PutNote(_ context.Context, _ string, seq uint64, note []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if note == nil {
		delete(s.notes, seq)
	} else {
		s.notes[seq] = note
	}
	return nil
}

func (s *memStore) note(seq uint64) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notes[seq]
}

// fastClock records every wait asked for and lets it pass after a millisecond.
type fastClock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (c *fastClock) Now() time.Time { return time.Now() }

func (c *fastClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return time.After(time.Millisecond)
}

// backoffs returns the recorded waits other than the idle poll.
func (c *fastClock) backoffs(poll time.Duration) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, d := range c.waits {
		if d != poll {
			out = append(out, d)
		}
	}
	return out
}

// delivery is one request the receiver got.
type delivery struct {
	seq       uint64
	key       string
	attempt   int
	body      string
	signed    bool
	accepted  bool
	eventType string
}

// receiver is a webhook endpoint whose answers the test scripts.
type receiver struct {
	t      *testing.T
	secret []byte
	mu     sync.Mutex
	got    []delivery
	// answer returns the status for the n-th request (0-based); nil accepts everything.
	answer func(n int, d delivery) int
	hang   chan struct{} // when set, requests wait for it to close
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rc.hang != nil {
		select {
		case <-rc.hang:
		case <-r.Context().Done():
			return
		}
	}
	body, _ := io.ReadAll(r.Body)
	seq, _ := strconv.ParseUint(r.Header.Get(SeqHeader), 10, 64)
	att, _ := strconv.Atoi(r.Header.Get(AttemptHeader))
	d := delivery{seq: seq, key: r.Header.Get(IdempotencyHeader), attempt: att, body: string(body),
		signed: Verify(rc.secret, r.Header.Get(TimestampHeader), r.Header.Get(SignatureHeader), body), eventType: r.Header.Get(EventHeader)}
	rc.mu.Lock()
	n := len(rc.got)
	status := http.StatusNoContent
	if rc.answer != nil {
		status = rc.answer(n, d)
	}
	d.accepted = status < 300
	rc.got = append(rc.got, d)
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// accepted returns the seqs in the order the receiver accepted them.
func (rc *receiver) accepted() []uint64 {
	var out []uint64
	for _, d := range rc.deliveries() {
		if d.accepted {
			out = append(out, d.seq)
		}
	}
	return out
}

// gauge returns the value of the (single-series) metric name in reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name || len(mf.GetMetric()) != 1 {
			continue
		}
		m := mf.GetMetric()[0]
		if c := m.GetCounter(); c != nil {
			return c.GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}

const testPoll = 7 * time.Millisecond

func newTestDeliverer(t *testing.T, url string, l Log, st Store, clk Clock, mod ...func(*Config)) *Deliverer {
	t.Helper()
	cfg := Config{URL: url, Secret: []byte("s3cret"), Log: l, Store: st, Clock: clk, Poll: testPoll,
		MinBackoff: time.Second, MaxBackoff: 16 * time.Second, SlowRetry: time.Minute, DeadAfter: 6, SaveEvery: 5}
	for _, m := range mod {
		m(&cfg)
	}
	o, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// start runs the deliverer until the returned stop is called (or the test ends).
func start(t *testing.T, o *Deliverer) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkInOrder: every seq 1..n was accepted, first acceptances in increasing order, and no seq
// was accepted before all lower ones were.
func checkInOrder(t *testing.T, acc []uint64, n uint64) {
	t.Helper()
	var next uint64 = 1
	for _, s := range acc {
		if s > next {
			t.Fatalf("seq %d accepted before %d: %v", s, next, acc)
		}
		if s == next {
			next++
		}
	}
	if next != n+1 {
		t.Fatalf("accepted up to %d of %d: %v", next-1, n, acc)
	}
}

func TestDeliversAllInOrder(t *testing.T) {
	rc := &receiver{t: t, secret: []byte("s3cret")}
	ts := httptest.NewServer(rc)
	defer ts.Close()
	l := newFakeLog()
	l.add(40)
	st := newMemStore()
	reg := prometheus.NewRegistry()
	o := newTestDeliverer(t, ts.URL, l, st, &fastClock{}, func(c *Config) { c.Registerer = reg; c.Batch = 7 })
	start(t, o)
	waitFor(t, "40 deliveries", 5*time.Second, func() bool { return o.Status().Cursor == 40 })
	// Later events are delivered as they are committed.
	l.add(3)
	waitFor(t, "43 deliveries", 5*time.Second, func() bool { return o.Status().Cursor == 43 })
	got := rc.deliveries()
	if len(got) != 43 {
		t.Fatalf("%d requests for 43 events", len(got))
	}
	for i, d := range got {
		if d.seq != uint64(i+1) || d.key != strconv.Itoa(i+1) || !d.signed || d.attempt != 1 || d.eventType != string(hall.CaseEvNoted) {
			t.Fatalf("delivery %d: %+v", i, d)
		}
		var ev hall.CaseEvent
		if err := json.Unmarshal([]byte(d.body), &ev); err != nil || ev.Seq != d.seq || ev.Case == nil || ev.Case.Text != "宿舍空调坏了" {
			t.Fatalf("body %d: %v %s", i, err, d.body)
		}
		if strings.Contains(d.body, "13812345678") || ev.Case.Requester.Phone != "138****5678" {
			t.Fatalf("requester not masked: %s", d.body)
		}
	}
	st.mu.Lock()
	saved := st.cursor["webhook"]
	st.mu.Unlock()
	if saved != 43 {
		t.Fatalf("cursor saved when idle: %d", saved)
	}
	if v := gauge(t, reg, "onedoor_outbox_delivered_total"); v != 43 {
		t.Fatalf("delivered metric %v", v)
	}
	if v := gauge(t, reg, "onedoor_outbox_cursor"); v != 43 {
		t.Fatalf("cursor metric %v", v)
	}
	if v := gauge(t, reg, "onedoor_outbox_lag_events"); v != 0 {
		t.Fatalf("lag metric %v", v)
	}
	if lag := o.Status().Lag; lag != 0 {
		t.Fatalf("lag %d", lag)
	}
}

// TestReceiverDownThenUp: the receiver's port refuses connections, then it answers 500s and
// loses an acknowledgement, then it works: every event arrives, in order, at least once, and
// duplicates carry the same idempotency key and body.
func TestReceiverDownThenUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // down: connection refused

	l := newFakeLog()
	l.add(12)
	st := newMemStore()
	clk := &fastClock{}
	o := newTestDeliverer(t, "http://"+addr+"/hook", l, st, clk)
	start(t, o)
	waitFor(t, "failed attempts while down", 5*time.Second, func() bool { return o.Status().Failing >= 3 })
	if o.Status().Cursor != 0 {
		t.Fatalf("cursor moved while the receiver was down: %d", o.Status().Cursor)
	}

	// Up again, but flaky: 500 for the first two requests, and the 5th request (seq 3) is
	// processed but its answer is a 502, so it comes again.
	rc := &receiver{t: t, secret: []byte("s3cret"), answer: func(n int, d delivery) int {
		switch n {
		case 0, 1:
			return http.StatusInternalServerError
		case 4:
			return http.StatusBadGateway
		}
		return http.StatusOK
	}}
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen again on %s: %v", addr, err)
	}
	ts := httptest.NewUnstartedServer(rc)
	ts.Listener = ln2
	ts.Start()
	defer ts.Close()

	waitFor(t, "all delivered", 5*time.Second, func() bool { return o.Status().Cursor == 12 })
	checkInOrder(t, rc.accepted(), 12)
	bySeq := map[uint64][]delivery{}
	for _, d := range rc.deliveries() {
		bySeq[d.seq] = append(bySeq[d.seq], d)
	}
	for seq := uint64(1); seq <= 12; seq++ {
		ds := bySeq[seq]
		if len(ds) == 0 {
			t.Fatalf("seq %d never delivered", seq)
		}
		for _, d := range ds[1:] {
			if d.key != ds[0].key || d.body != ds[0].body || d.attempt <= ds[0].attempt {
				t.Fatalf("duplicate of %d differs: %+v vs %+v", seq, d, ds[0])
			}
		}
	}
	if len(bySeq[1]) < 3 || len(bySeq[3]) != 2 {
		t.Fatalf("retries: seq1 %d, seq3 %d", len(bySeq[1]), len(bySeq[3]))
	}
	if st := o.Status(); st.Failing != 0 || st.Failures < 5 || st.Dead {
		t.Fatalf("status after recovery %+v", st)
	}
}

// TestRestartResumesFromCursor stops the deliverer mid-way and starts a new one on the same
// store: it goes on after the saved cursor, skipping nothing.
func TestRestartResumesFromCursor(t *testing.T) {
	l := newFakeLog()
	l.add(30)
	st := newMemStore()
	var gate sync.Mutex
	limit := 11 // accept this many, then hang up
	rc := &receiver{t: t, secret: []byte("s3cret"), answer: func(n int, d delivery) int {
		gate.Lock()
		defer gate.Unlock()
		if n < limit {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	}}
	ts := httptest.NewServer(rc)
	defer ts.Close()
	o1 := newTestDeliverer(t, ts.URL, l, st, &fastClock{})
	stop := start(t, o1)
	waitFor(t, "11 delivered", 5*time.Second, func() bool { return o1.Status().Cursor == 11 })
	stop()
	if c, _, _ := st.Cursor(context.Background(), "webhook"); c != 11 {
		t.Fatalf("saved cursor %d, want 11", c)
	}

	gate.Lock()
	limit = 1 << 30
	gate.Unlock()
	o2 := newTestDeliverer(t, ts.URL, l, st, &fastClock{})
	start(t, o2)
	waitFor(t, "rest delivered", 5*time.Second, func() bool { return o2.Status().Cursor == 30 })
	checkInOrder(t, rc.accepted(), 30)
	// The second deliverer began right after the cursor.
	acc := rc.accepted()
	if acc[11] != 12 {
		t.Fatalf("after restart the first accepted is %d: %v", acc[11], acc)
	}
	// A retry of the first deliverer still in flight when it stopped may be accepted too: that is
	// at-least-once (same key). Beyond that, nothing is delivered twice after a clean stop.
	if len(acc) > 31 {
		t.Fatalf("%d acceptances for 30 events: %v", len(acc), acc)
	}
}

// TestBackoffDeadLetterKeepsRetrying: waits double from MinBackoff up to MaxBackoff (jittered
// to [½, 1]); after DeadAfter failures the event is noted as a dead letter and retried every
// SlowRetry, and the events behind it wait; once accepted, the note goes away.
func TestBackoffDeadLetterKeepsRetrying(t *testing.T) {
	var up sync.Mutex
	working := false
	rc := &receiver{t: t, secret: []byte("s3cret"), answer: func(n int, d delivery) int {
		up.Lock()
		defer up.Unlock()
		if working {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	}}
	ts := httptest.NewServer(rc)
	defer ts.Close()
	l := newFakeLog()
	l.add(3)
	st := newMemStore()
	clk := &fastClock{}
	reg := prometheus.NewRegistry()
	rnd := 0.0
	o := newTestDeliverer(t, ts.URL, l, st, clk, func(c *Config) {
		c.Registerer = reg
		c.Rand = func() float64 { return rnd }
	})
	start(t, o)
	waitFor(t, "9 failed attempts", 5*time.Second, func() bool { return o.Status().Failing >= 9 })
	if note := st.note(1); note == nil {
		t.Fatal("no dead-letter note after DeadAfter failures")
	} else {
		var dl DeadLetter
		if err := json.Unmarshal(note, &dl); err != nil || dl.Seq != 1 || dl.Attempts != 6 || !strings.Contains(dl.LastError, "500") || dl.Case == "" {
			t.Fatalf("note %s (%v)", note, err)
		}
	}
	if !o.Status().Dead || gauge(t, reg, "onedoor_outbox_dead_letters_total") != 1 || gauge(t, reg, "onedoor_outbox_lag_events") != 3 ||
		gauge(t, reg, "onedoor_outbox_lag_seconds") <= 0 || gauge(t, reg, "onedoor_outbox_failures_total") < 9 {
		t.Fatalf("status %+v", o.Status())
	}
	for _, d := range rc.deliveries() {
		if d.seq != 1 {
			t.Fatalf("seq %d sent while seq 1 is failing", d.seq)
		}
	}
	// rand 0: each wait is half the nominal one: 1,2,4,8,16,16 s nominal; then SlowRetry.
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}
	got := clk.backoffs(testPoll)
	if len(got) < len(want) {
		t.Fatalf("waits %v", got)
	}
	for i, w := range want {
		if got[i] != w {
			t.Fatalf("wait %d = %v, want %v (all %v)", i, got[i], w, got)
		}
	}
	up.Lock()
	working = true
	up.Unlock()
	waitFor(t, "delivered after recovery", 5*time.Second, func() bool { return o.Status().Cursor == 3 })
	if st.note(1) != nil || o.Status().Dead {
		t.Fatal("dead-letter note kept after delivery")
	}
	checkInOrder(t, rc.accepted(), 3)
}

func TestBackoffJitterBounds(t *testing.T) {
	o := newTestDeliverer(t, "http://127.0.0.1:1/", newFakeLog(), newMemStore(), &fastClock{})
	for _, r := range []float64{0, 0.5, 0.999999} {
		o.rand = func() float64 { return r }
		for n := 1; n <= 12; n++ {
			nominal := min(time.Second<<(n-1), 16*time.Second)
			if n >= 6 {
				nominal = time.Minute
			}
			d := o.backoff(n)
			if d < nominal/2 || d > nominal {
				t.Fatalf("backoff(%d) with rand %v = %v, nominal %v", n, r, d, nominal)
			}
		}
	}
}

// TestRetryAfterHonoured: a 429 with Retry-After waits that long (capped).
func TestRetryAfterHonoured(t *testing.T) {
	n := 0
	var mu sync.Mutex
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n == 1 {
			w.Header().Set("Retry-After", "42")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer ts.Close()
	l := newFakeLog()
	l.add(1)
	clk := &fastClock{}
	o := newTestDeliverer(t, ts.URL, l, newMemStore(), clk)
	start(t, o)
	waitFor(t, "delivery", 5*time.Second, func() bool { return o.Status().Cursor == 1 })
	if w := clk.backoffs(testPoll); len(w) == 0 || w[0] != 42*time.Second {
		t.Fatalf("waits %v", w)
	}
}

func TestSignature(t *testing.T) {
	body := []byte(`{"seq":1}`)
	sig := Sign([]byte("k"), "1700000000", body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != 7+64 {
		t.Fatalf("signature %q", sig)
	}
	if !Verify([]byte("k"), "1700000000", sig, body) {
		t.Fatal("valid signature refused")
	}
	for _, bad := range []struct {
		key, ts string
		body    []byte
	}{{"other", "1700000000", body}, {"k", "1700000001", body}, {"k", "1700000000", []byte(`{"seq":2}`)}} {
		if Verify([]byte(bad.key), bad.ts, sig, bad.body) {
			t.Fatalf("forged signature accepted: %+v", bad)
		}
	}
}

// TestReadFailuresRetried: errors reading the log are retried with backoff.
func TestReadFailuresRetried(t *testing.T) {
	rc := &receiver{t: t, secret: []byte("s3cret")}
	ts := httptest.NewServer(rc)
	defer ts.Close()
	l := newFakeLog()
	l.add(2)
	l.fail = 3
	o := newTestDeliverer(t, ts.URL, l, newMemStore(), &fastClock{})
	start(t, o)
	waitFor(t, "delivery", 5*time.Second, func() bool { return o.Status().Cursor == 2 })
	checkInOrder(t, rc.accepted(), 2)
}

func TestFromLatest(t *testing.T) {
	rc := &receiver{t: t, secret: []byte("s3cret")}
	ts := httptest.NewServer(rc)
	defer ts.Close()
	l := newFakeLog()
	l.add(5)
	o := newTestDeliverer(t, ts.URL, l, newMemStore(), &fastClock{}, func(c *Config) { c.FromLatest = true })
	start(t, o)
	waitFor(t, "started", 5*time.Second, func() bool { return o.Status().Cursor == 5 })
	l.add(1)
	waitFor(t, "new event", 5*time.Second, func() bool { return o.Status().Cursor == 6 })
	if acc := rc.accepted(); len(acc) != 1 || acc[0] != 6 {
		t.Fatalf("accepted %v", acc)
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{{}, {URL: "ftp://x", Log: newFakeLog(), Store: newMemStore()}, {URL: "http://x"}} {
		if _, err := New(cfg); err == nil {
			t.Fatalf("accepted %+v", cfg)
		}
	}
}
