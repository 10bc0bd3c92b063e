package http

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

// hubEvent is the event type of the hub tests: a seq and the department it is for.
type hubEvent struct {
	Seq  uint64 `json:"seq"`
	Dept string `json:"dept"`
}

// Views of the hub tests.
const (
	hubViewStaff  view = 1
	hubViewPublic view = 2
)

// hubFeed is an in-memory log for the hub tests; it counts the encodes per view.
type hubFeed struct {
	mu      sync.Mutex
	seq     uint64
	subs    []chan hubEvent
	encodes map[view]int
	last    map[view]string // the last message encoded per view
}

func newHubFeed() *hubFeed { return &hubFeed{encodes: map[view]int{}, last: map[view]string{}} }

func (f *hubFeed) log() streamLog[hubEvent] {
	return streamLog[hubEvent]{
		label: "test",
		subscribe: func(n int) (<-chan hubEvent, func()) {
			f.mu.Lock()
			defer f.mu.Unlock()
			ch := make(chan hubEvent, n)
			f.subs = append(f.subs, ch)
			return ch, func() { f.drop(ch) }
		},
		since: func(context.Context, uint64) ([]hubEvent, bool, error) { return nil, false, nil },
		seq:   func(ev *hubEvent) uint64 { return ev.Seq },
		encode: func(ev *hubEvent, v view) ([]byte, error) {
			msg := *ev
			if v == hubViewPublic {
				msg.Dept = "" // the public view leaves the department out
			}
			b, err := json.Marshal(msg)
			f.mu.Lock()
			f.encodes[v]++
			f.last[v] = string(b)
			f.mu.Unlock()
			return b, err
		},
		views: hubViewPublic,
	}
}

// drop closes a subscription once (as a log does with one that fell behind).
func (f *hubFeed) drop(ch chan hubEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range f.subs {
		if c == ch {
			close(c)
			f.subs = append(f.subs[:i:i], f.subs[i+1:]...)
			return
		}
	}
}

// dropAll closes every subscription.
func (f *hubFeed) dropAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.subs {
		close(c)
	}
	f.subs = nil
}

// publish appends an event (skip: after leaving out that many seqs) and delivers it.
func (f *hubFeed) publish(dept string, skip uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq += 1 + skip
	for _, c := range f.subs {
		c <- hubEvent{Seq: f.seq, Dept: dept}
	}
}

// encoded returns how often view v was encoded, and its last message.
func (f *hubFeed) encoded(v view) (int, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.encodes[v], f.last[v]
}

func newTestHub(t *testing.T, f *hubFeed) (*hub[hubEvent], *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	h := newHub(f.log(), newMetrics(reg), slog.New(slog.DiscardHandler))
	t.Cleanup(h.close)
	return h, reg
}

// metric returns the value of the counter or gauge name of the "test" stream (with the drop
// reason, when given) in reg.
func metric(t *testing.T, reg *prometheus.Registry, name string, reason ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "hall" && l.GetValue() != "test" || l.GetName() == "reason" && (len(reason) == 0 || l.GetValue() != reason[0]) {
					continue next
				}
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// staffOf gets the events of one department in the staff view; publicAll gets every event in
// the public view.
func staffOf(dept string) func(*hubEvent) view {
	return func(ev *hubEvent) view {
		if ev.Dept == dept {
			return hubViewStaff
		}
		return noView
	}
}

func publicAll(*hubEvent) view { return hubViewPublic }

// waitDropped waits until the hub drops the subscriber and checks the close code and reason.
func waitDropped(t *testing.T, c *subscriber, code int, reason string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		stopped, gotCode, gotReason := c.dropped()
		if stopped {
			if gotCode != code || gotReason != reason {
				t.Fatalf("subscriber dropped with %d %q, want %d %q", gotCode, gotReason, code, reason)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscriber not dropped (want %d %q)", code, reason)
		}
		time.Sleep(time.Millisecond)
	}
}

// stillThere checks that the hub has not dropped the subscriber.
func stillThere(t *testing.T, c *subscriber) {
	t.Helper()
	if stopped, code, reason := c.dropped(); stopped {
		t.Fatalf("subscriber dropped with %d %q", code, reason)
	}
}

// queued returns how many frames wait in the subscriber's queue.
func queued(c *subscriber) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// next waits for the subscriber's next frame and takes it from the queue (the hub tests' writer).
func next(t *testing.T, c *subscriber) *frame {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			f := c.queue[0]
			c.queue = c.queue[1:]
			c.mu.Unlock()
			return f
		}
		stopped, code, reason := c.stopped, c.code, c.reason
		c.mu.Unlock()
		if stopped {
			t.Fatalf("subscriber dropped: %d %q", code, reason)
		}
		if time.Now().After(deadline) {
			t.Fatal("no frame")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestHubRegisterUnregister(t *testing.T) {
	f := newHubFeed()
	h, reg := newTestHub(t, f)
	a, b := newSubscriber(), newSubscriber()
	if !h.register(a, publicAll) || !h.register(b, publicAll) {
		t.Fatal("register refused")
	}
	if got := metric(t, reg, "onedoor_stream_subscribers"); got != 2 {
		t.Fatalf("subscribers = %v after two registrations", got)
	}
	f.publish("library", 0)
	if fa, fb := next(t, a), next(t, b); fa.seq != 1 || fb.seq != 1 || fa.prev != 0 {
		t.Fatalf("frames %d/%d prev %d", fa.seq, fb.seq, fa.prev)
	}
	h.unregister(b)
	h.unregister(b) // twice is harmless
	f.publish("library", 0)
	if fa := next(t, a); fa.seq != 2 || fa.prev != 1 {
		t.Fatalf("frame %d prev %d", fa.seq, fa.prev)
	}
	if queued(b) != 0 {
		t.Fatal("an unregistered subscriber got a frame")
	}
	if got := metric(t, reg, "onedoor_stream_subscribers"); got != 1 {
		t.Fatalf("subscribers = %v after unregistering one", got)
	}
	h.close()
	waitDropped(t, a, websocket.CloseGoingAway, reasonShutdown)
	if h.register(newSubscriber(), publicAll) {
		t.Fatal("a closed hub took a subscriber")
	}
	if got := metric(t, reg, "onedoor_stream_dropped_total", "shutdown"); got != 1 {
		t.Fatalf("dropped{shutdown} = %v", got)
	}
}

// TestHubDropsSlowSubscriber: a subscriber that takes nothing is dropped when its queue is full,
// while another that keeps up gets every event and one that sees none of them stays.
func TestHubDropsSlowSubscriber(t *testing.T) {
	f := newHubFeed()
	h, reg := newTestHub(t, f)
	slow, fast, other := newSubscriber(), newSubscriber(), newSubscriber()
	h.register(slow, publicAll)
	h.register(fast, publicAll)
	h.register(other, staffOf("it"))
	for i := 1; i <= clientBuffer+10; i++ {
		f.publish("library", 0)
		if got := next(t, fast); got.seq != uint64(i) {
			t.Fatalf("fast subscriber got seq %d, want %d", got.seq, i)
		}
	}
	waitDropped(t, slow, websocket.CloseTryAgainLater, reasonSlow)
	stillThere(t, other) // it sees none of the events
	if got := metric(t, reg, "onedoor_stream_dropped_total", "slow"); got != 1 {
		t.Fatalf("dropped{slow} = %v", got)
	}
	if got := metric(t, reg, "onedoor_stream_subscribers"); got != 2 {
		t.Fatalf("subscribers = %v after the drop", got)
	}
}

// TestHubEncodesOncePerView: each view of an event is encoded once, however many subscribers
// share it, and not at all when nobody gets it; subscribers of one view get the same bytes.
func TestHubEncodesOncePerView(t *testing.T) {
	f := newHubFeed()
	h, reg := newTestHub(t, f)
	var pub, lib []*subscriber
	for range 5 {
		c := newSubscriber()
		h.register(c, publicAll)
		pub = append(pub, c)
	}
	for range 3 {
		c := newSubscriber()
		h.register(c, staffOf("library"))
		lib = append(lib, c)
	}
	it := newSubscriber()
	h.register(it, staffOf("it"))

	f.publish("library", 0)
	first := next(t, pub[0])
	for _, c := range pub[1:] {
		if next(t, c) != first {
			t.Fatal("public subscribers got different messages")
		}
	}
	staff := next(t, lib[0])
	for _, c := range lib[1:] {
		if next(t, c) != staff {
			t.Fatal("staff subscribers got different messages")
		}
	}
	np, pubMsg := f.encoded(hubViewPublic)
	ns, staffMsg := f.encoded(hubViewStaff)
	if np != 1 || ns != 1 {
		t.Fatalf("encodes: public %d, staff %d; want 1 each", np, ns)
	}
	if pubMsg != `{"seq":1,"dept":""}` || staffMsg != `{"seq":1,"dept":"library"}` {
		t.Fatalf("messages: public %s, staff %s", pubMsg, staffMsg)
	}
	if queued(it) != 0 {
		t.Fatal("the IT subscriber got a library event")
	}

	// With only subscribers that do not get it, an event is not encoded (nor counted as sent).
	for _, c := range append(pub, lib...) {
		h.unregister(c)
	}
	f.publish("library", 0)
	f.publish("it", 0) // handled after the library event: the IT subscriber's frame shows it
	if got := next(t, it); got.seq != 3 || got.prev != 2 {
		t.Fatalf("IT frame %d prev %d", got.seq, got.prev)
	}
	np, _ = f.encoded(hubViewPublic)
	ns, _ = f.encoded(hubViewStaff)
	if np != 1 || ns != 2 {
		t.Fatalf("encodes after: public %d, staff %d; want 1 and 2", np, ns)
	}
	if got := metric(t, reg, "onedoor_stream_events_total"); got != 2 {
		t.Fatalf("events sent = %v, want 2 (the third went to nobody)", got)
	}
}

// TestHubGapDropsEveryone: an event that does not follow the previous one drops every
// subscriber with the resync reason; a new subscriber goes on from there.
func TestHubGapDropsEveryone(t *testing.T) {
	f := newHubFeed()
	h, reg := newTestHub(t, f)
	a, b := newSubscriber(), newSubscriber()
	h.register(a, publicAll)
	h.register(b, staffOf("it")) // gets none of the events, is dropped all the same
	f.publish("library", 0)
	next(t, a)
	f.publish("library", 1) // seq 3: seq 2 never came
	waitDropped(t, a, websocket.CloseTryAgainLater, reasonGap)
	waitDropped(t, b, websocket.CloseTryAgainLater, reasonGap)
	if got := metric(t, reg, "onedoor_stream_dropped_total", "gap"); got != 2 {
		t.Fatalf("dropped{gap} = %v", got)
	}
	c := newSubscriber()
	h.register(c, publicAll)
	f.publish("library", 0)
	if got := next(t, c); got.seq != 4 || got.prev != 3 {
		t.Fatalf("after the gap: frame %d prev %d", got.seq, got.prev)
	}
}

// TestHubResubscribesAfterDrop: when its subscription ends (the log dropped it), the hub drops its
// subscribers with the resync reason and serves new ones from a new subscription.
func TestHubResubscribesAfterDrop(t *testing.T) {
	f := newHubFeed()
	h, reg := newTestHub(t, f)
	a := newSubscriber()
	h.register(a, publicAll)
	f.publish("library", 0)
	next(t, a)
	f.dropAll()
	waitDropped(t, a, websocket.CloseTryAgainLater, reasonBehind)
	if got := metric(t, reg, "onedoor_stream_dropped_total", "behind"); got != 1 {
		t.Fatalf("dropped{behind} = %v", got)
	}
	// The hub resubscribes (after a pause: the subscription delivered nothing after the drop).
	b := newSubscriber()
	deadline := time.Now().Add(5 * time.Second)
	for !h.register(b, publicAll) {
		if time.Now().After(deadline) {
			t.Fatal("the hub never took subscribers again")
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.publish("library", 5) // a new subscription starts anywhere: no gap check for its first event
	if got := next(t, b); got.seq != 7 || got.prev != 0 {
		t.Fatalf("after resubscribing: frame %d prev %d", got.seq, got.prev)
	}
}

// dropped reports whether the subscriber was stopped, and with what close code and reason.
func (c *subscriber) dropped() (stopped bool, code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped, c.code, c.reason
}

// writes records what a test writer sent: the seqs of each write.
type writes struct {
	mu  sync.Mutex
	got [][]uint64
}

// writingSubscriber returns a subscriber whose writer takes frames as streamConn.write does and
// records each take as one write.
func writingSubscriber(w *writes) *subscriber {
	c := newSubscriber()
	c.run = func() {
		for {
			c.mu.Lock()
			q := c.takeLocked(false)
			if len(q) == 0 {
				c.writing = false
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			var seqs []uint64
			for _, f := range q {
				seqs = append(seqs, f.seq)
			}
			w.mu.Lock()
			w.got = append(w.got, seqs)
			w.mu.Unlock()
			c.giveBack(q)
		}
	}
	return c
}

// wait waits until n writes were made and returns them.
func (w *writes) wait(t *testing.T, n int) [][]uint64 {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		w.mu.Lock()
		got := append([][]uint64(nil), w.got...)
		w.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes %v, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestHubLazyFramesGoWithTheNextUrgentOne: the frames of lazy events wake no writer; they go,
// in order, in the same write as the next urgent frame, or when the hub flushes them (lazyDelay
// after the first of them); nothing is lost or reordered.
func TestHubLazyFramesGoWithTheNextUrgentOne(t *testing.T) {
	f := newHubFeed()
	src := f.log()
	src.lazy = func(ev *hubEvent) bool { return ev.Dept == "lazy" }
	h := newHub(src, newMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
	t.Cleanup(h.close)
	h.mu.Lock()
	h.delay = time.Hour // flushed by hand below
	h.mu.Unlock()
	var w writes
	c := writingSubscriber(&w)
	h.register(c, publicAll)

	f.publish("lazy", 0)
	f.publish("lazy", 0)
	f.publish("library", 0)
	if got := w.wait(t, 1); len(got) != 1 || len(got[0]) != 3 || got[0][0] != 1 || got[0][2] != 3 {
		t.Fatalf("writes %v, want one write of 1, 2, 3", got)
	}

	// A lazy frame alone waits for the hub's flush.
	f.publish("lazy", 0)
	deadline := time.Now().Add(2 * time.Second)
	for queued(c) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the lazy frame was not queued")
		}
		time.Sleep(time.Millisecond)
	}
	h.mu.Lock()
	listed := len(h.listed)
	h.mu.Unlock()
	if listed != 1 {
		t.Fatalf("%d clients listed for the flush, want 1", listed)
	}
	h.flushLazy()
	if got := w.wait(t, 2); len(got[1]) != 1 || got[1][0] != 4 {
		t.Fatalf("writes %v, want the flush to write 4", got)
	}

	// A burst of lazy frames wakes the writer at lazyMax, long before the queue is full.
	for range lazyMax {
		f.publish("lazy", 0)
	}
	burst := w.wait(t, 3)[2]
	if len(burst) != lazyMax || burst[0] != 5 {
		t.Fatalf("burst written as %v", burst)
	}
	stillThere(t, c)
	h.flushLazy() // forgets the client listed by the burst (nothing is left to write)

	// The hub's timer flushes by itself; every frame went out once, in order.
	h.mu.Lock()
	h.delay = time.Millisecond
	h.mu.Unlock()
	f.publish("lazy", 0)
	w.wait(t, 4)
	f.publish("lazy", 0)
	got := w.wait(t, 5)
	var all []uint64
	for _, g := range got {
		all = append(all, g...)
	}
	for i, seq := range all {
		if seq != uint64(i+1) || len(all) != lazyMax+6 {
			t.Fatalf("writes %v", got)
		}
	}
}
