package http

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The stream hub: one per event log a stream serves (one per hall, one for the case log). A hub
// reads its log through one subscription with a large buffer and hands each event to every
// client's bounded queue without ever blocking on one. Clients see an event in a view (the public
// hall view; the full, masked or public view of a case): the hub encodes each view of an event at
// most once, as a ready WebSocket frame, and every client of that view gets the same bytes.
// serveStream (stream.go) runs the client side: snapshot or replay, then the queued frames.
//
// A quiet client costs little: its queue is allocated when an event comes and given back when
// the writer has taken it, and no goroutine writes for it until there is something to write (a
// frame, a ping, a close): the hub's push starts one, which writes everything queued by then in
// one system call and ends when the queue is empty. Frames of lazy events (on the hall stream,
// whatever is not a call) start no writer: they go with the next urgent frame or the hub's flush
// lazyDelay later, so a call's fan-out is not followed at once by another round of writes.
//
// On the hall stream an event leaves out what did not change since the event before it
// (hallstream.go, publicEvent): every client of the hub has that one.

// Stream tuning.
const (
	hubBuffer    = 8192 // events the hub's own subscription may lag behind
	clientBuffer = 256  // events a client may lag behind before it is dropped
	// spareQueue is the largest queue capacity a client keeps between events (beyond it the
	// queue goes back to the heap).
	spareQueue = 16
	// lazyDelay is the longest a frame of a lazy event (streamLog.lazy) waits for a frame that
	// cannot wait, to go with it in one write.
	lazyDelay = 50 * time.Millisecond
	// lazyMax is the most frames a client's queue holds before a lazy one wakes the writer
	// all the same: a burst of lazy events (a day reset's cancellations) never fills the queue.
	lazyMax = 32
)

// Close reasons sent to dropped stream clients; each but the last tells the client to reconnect
// with since=N.
const (
	reasonSlow        = "slow consumer, resync"
	reasonBehind      = "stream fell behind, resync"
	reasonGap         = "gap in stream, resync"
	reasonUnavailable = "stream unavailable, retry"
	reasonShutdown    = "server shutting down"
)

// view is the form in which a client gets an event. Views are numbered from 1 up to
// streamLog.views; noView means the client does not get the event at all.
type view uint8

// noView leaves an event out of a client's stream.
const noView view = 0

// streamLog is an event log as a hub and serveStream read it.
type streamLog[E any] struct {
	// label names the stream in metrics (the "hall" label) and logs: the hall's code, or
	// caseHubLabel.
	label string
	// subscribe delivers every event committed after the call, in order, until cancel is called
	// or the subscriber falls more than buffer events behind (the channel is then closed).
	subscribe func(buffer int) (events <-chan E, cancel func())
	// since returns the events after seq, oldest first; ok is false when the log no longer has
	// them (or seq is ahead of it): the client then starts from a snapshot.
	since func(ctx context.Context, seq uint64) (events []E, ok bool, err error)
	// seq returns an event's sequence number; consecutive events have consecutive numbers.
	seq func(ev *E) uint64
	// encode returns the message of ev in view v. The hub calls it at most once per event and
	// view, however many clients share the view.
	encode func(ev *E, v view) ([]byte, error)
	// encodeAfter, when set, encodes the live events instead of encode (the replay after since=N
	// uses it too, from its second event on). prev is the event just before ev (its seq is one
	// less), which every client of the hub has when it gets ev, so the message may leave out what
	// did not change since prev. Only for logs whose clients see every event.
	encodeAfter func(ev, prev *E, v view) ([]byte, error)
	// lazy, when set, reports the events that clients may get a little later (lazyDelay at
	// most), with the next event that cannot wait: no writer is woken for them alone, so a
	// client gets a lazy event and the urgent one after it in one write (one system call, one
	// wake-up of the client) instead of two. nil: every event is urgent.
	lazy func(ev *E) bool
	// views is the highest view encode accepts.
	views view
}

// frame is one encoded event ready for every client of its view. Clients of one view share it:
// their queues hold pointers.
type frame struct {
	seq uint64
	// prev is the seq of the event the hub handled before this one (0: this is the first event
	// of the hub's subscription). The hub saw every event between prev and seq, so a client that
	// is at prev or later missed nothing it may see, even when the events in between were not
	// for it.
	prev uint64
	// msg is the event's message as one WebSocket text frame, header included (wsFrame).
	msg []byte
	// lazy frames wait in the queue for an urgent frame, a ping or the hub's flush
	// (streamLog.lazy).
	lazy bool
}

// subscriber is one stream client as the hub sees it: a bounded queue of frames and the writer
// that empties it. The writer (stream.go) runs only while there is work: push, flush and stop
// start it through run, and it ends when it finds nothing left to take.
type subscriber struct {
	mu sync.Mutex
	// queue holds the frames the writer has not taken yet (at most clientBuffer); nil when
	// empty. spare is an emptied queue kept for the next event.
	queue, spare []*frame
	// urgent is the number of frames at the head of the queue that the writer takes: up to the
	// last urgent one. The lazy frames after it wait for the next urgent frame or the hub's
	// flush.
	urgent int
	// listed is set while the client is on its hub's list of clients with lazy frames to
	// flush; flushing is set by the flush: the writer then takes every frame.
	listed, flushing bool
	// writing is set while a writer runs (or the connection is being started): push and stop
	// start no other.
	writing bool
	// stopped is set when the client must go: dropped by the hub (code and reason say why; code 0
	// means the connection is already dead, no close frame) or its connection failed. The first
	// code and reason win.
	stopped bool
	code    int
	reason  string
	// run is the writer, started in a goroutine of its own; nil leaves the frames queued (the hub
	// tests take them themselves).
	run func()
}

func newSubscriber() *subscriber { return &subscriber{} }

// push queues f and, unless f is lazy (and fewer than lazyMax frames wait), starts the writer
// when none runs. ok is false when the
// queue is full (the hub then drops the client); listed is true when f is the client's first
// lazy frame since its last flush: the hub must flush it within lazyDelay. Frames for a stopped
// client are dropped.
func (c *subscriber) push(f *frame) (ok, listed bool) {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return true, false
	}
	if len(c.queue) >= clientBuffer {
		c.mu.Unlock()
		return false, false
	}
	if c.queue == nil {
		c.queue, c.spare = c.spare, nil
	}
	c.queue = append(c.queue, f)
	start := false
	if !f.lazy || len(c.queue) >= lazyMax {
		c.urgent = len(c.queue)
		start = c.startLocked()
	} else if !c.listed {
		c.listed, listed = true, true
	}
	c.mu.Unlock()
	if start {
		go c.run()
	}
	return true, listed
}

// flush has the writer send the lazy frames still waiting, starting it when none runs.
func (c *subscriber) flush() {
	c.mu.Lock()
	c.listed = false
	start := false
	if len(c.queue) > 0 {
		c.flushing = true
		start = c.startLocked()
	}
	c.mu.Unlock()
	if start {
		go c.run()
	}
}

// takeLocked returns the frames the writer sends now and leaves the others queued: all of them
// when all is set or the hub flushed, else up to the last urgent one. c.mu must be held.
func (c *subscriber) takeLocked(all bool) []*frame {
	q, n := c.queue, min(c.urgent, len(c.queue))
	if all || c.flushing {
		n = len(q)
	}
	c.urgent = 0
	switch n {
	case len(q):
		c.queue, c.flushing = nil, false
		return q
	case 0:
		return nil
	}
	c.queue = append(make([]*frame, 0, len(q)-n+1), q[n:]...)
	return q[:n]
}

// startLocked reports whether the caller must start the writer (and marks it running); c.mu must
// be held.
func (c *subscriber) startLocked() bool {
	if c.writing || c.run == nil {
		return false
	}
	c.writing = true
	return true
}

// giveBack keeps a queue the writer has emptied for the next frames when it is small.
func (c *subscriber) giveBack(q []*frame) {
	if q == nil || cap(q) > spareQueue {
		return
	}
	q = q[:cap(q)]
	clear(q)
	c.mu.Lock()
	if c.spare == nil && !c.stopped {
		c.spare = q[:0]
	}
	c.mu.Unlock()
}

// stop ends the subscriber once (the first code and reason win), lets its queued frames go and
// starts the writer, which closes the connection.
func (c *subscriber) stop(code int, reason string) {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	c.stopped, c.code, c.reason = true, code, reason
	c.queue, c.spare = nil, nil
	start := c.startLocked()
	c.mu.Unlock()
	if start {
		go c.run()
	}
}

// streamHub is what the server keeps of a hub of any event type: it closes them all on shutdown.
type streamHub interface {
	close()
}

// hub fans one log's events out to its stream clients.
type hub[E any] struct {
	src     streamLog[E]
	metrics *metrics
	log     *slog.Logger

	mu sync.Mutex
	// clients maps each client to its view of an event.
	clients map[*subscriber]func(*E) view
	// encoded and failed hold the views of the event being broadcast (under mu).
	encoded []*frame
	failed  []bool
	cancel  func()
	// listed holds the clients with lazy frames waiting; flushLazy, delay (lazyDelay; tests
	// change it) after the first of them was listed, has their writers send them.
	listed   []*subscriber
	flushing *time.Timer
	delay    time.Duration
	closed   bool
	down     bool          // resubscribing after a failed subscription: new clients must retry
	last     uint64        // seq of the last event handled in this subscription (0: none yet)
	lastEv   E             // that event (for src.encodeAfter)
	quit     chan struct{} // closed by close
	done     chan struct{} // closed when run returns
}

// newHub subscribes to the log and starts fanning out. The subscription exists when newHub
// returns, so a client registered afterwards misses no event committed after it registered.
func newHub[E any](src streamLog[E], m *metrics, log *slog.Logger) *hub[E] {
	h := &hub[E]{src: src, metrics: m, log: log, clients: map[*subscriber]func(*E) view{},
		encoded: make([]*frame, src.views+1), failed: make([]bool, src.views+1),
		delay: lazyDelay, quit: make(chan struct{}), done: make(chan struct{})}
	ch, cancel := src.subscribe(hubBuffer)
	h.cancel = cancel
	go h.run(ch)
	return h
}

// run broadcasts events until the hub is closed. When the subscription ends because the hub fell
// behind, every client is dropped (they resync with since=N) and the hub subscribes again; clients
// registering meanwhile wait on the lock, so none of them can miss an event. A subscription that
// ends without delivering anything (the log is closing) is retried with a growing pause, during
// which new clients are turned away.
func (h *hub[E]) run(ch <-chan E) {
	defer close(h.done)
	var pause time.Duration
	for {
		n := 0
		for ev := range ch {
			h.broadcast(&ev)
			n++
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return
		}
		h.cancel()
		h.log.Warn("stream hub lost its event subscription; dropping its clients", "stream", h.src.label, "clients", len(h.clients))
		h.dropAllLocked(websocket.CloseTryAgainLater, reasonBehind, "behind")
		h.last, h.lastEv = 0, *new(E)
		if n > 0 {
			pause = 0
		} else {
			pause = min(max(2*pause, 10*time.Millisecond), 2*time.Second)
			h.down = true
			h.mu.Unlock()
			select {
			case <-time.After(pause):
			case <-h.quit:
			}
			h.mu.Lock()
			h.down = false
			if h.closed {
				h.mu.Unlock()
				return
			}
		}
		ch, h.cancel = h.src.subscribe(hubBuffer)
		h.mu.Unlock()
	}
}

// broadcast queues the event for every client that may see it, each view encoded once; a client
// whose queue is full is dropped. An event that does not follow the last one drops every client
// (they resync with since=N).
func (h *hub[E]) broadcast(ev *E) {
	seq := h.src.seq(ev)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last != 0 && seq != h.last+1 {
		h.log.Warn("gap in a stream hub's subscription; its clients resync", "stream", h.src.label, "after", h.last, "got", seq)
		h.dropAllLocked(websocket.CloseTryAgainLater, reasonGap, "gap")
	}
	prev := h.last
	var before *E // the event before ev, which every client has
	if prev != 0 && prev == seq-1 && h.src.encodeAfter != nil {
		before = new(E)
		*before = h.lastEv
	}
	h.last, h.lastEv = seq, *ev
	clear(h.encoded)
	clear(h.failed)
	sent := false
	for c, viewOf := range h.clients {
		v := viewOf(ev)
		if v == noView || v > h.src.views || h.failed[v] {
			continue
		}
		f := h.encoded[v]
		if f == nil {
			var b []byte
			var err error
			if before != nil {
				b, err = h.src.encodeAfter(ev, before, v)
			} else {
				b, err = h.src.encode(ev, v)
			}
			if err != nil {
				h.log.Error("encode stream event", "stream", h.src.label, "seq", seq, "view", v, "err", err)
				h.failed[v] = true
				continue
			}
			f = &frame{seq: seq, prev: prev, msg: wsFrame(websocket.TextMessage, b), lazy: h.src.lazy != nil && h.src.lazy(ev)}
			h.encoded[v] = f
		}
		if !sent {
			sent = true
			h.metrics.events.WithLabelValues(h.src.label).Inc()
		}
		ok, listed := c.push(f)
		if !ok {
			delete(h.clients, c)
			c.stop(websocket.CloseTryAgainLater, reasonSlow)
			h.metrics.subscribers.WithLabelValues(h.src.label).Dec()
			h.metrics.dropped.WithLabelValues(h.src.label, "slow").Inc()
		}
		if listed {
			h.listed = append(h.listed, c)
		}
	}
	if len(h.listed) > 0 && h.flushing == nil {
		h.flushing = time.AfterFunc(h.delay, h.flushLazy)
	}
}

// flushLazy has the listed clients' writers send their lazy frames.
func (h *hub[E]) flushLazy() {
	h.mu.Lock()
	listed := h.listed
	h.listed, h.flushing = nil, nil
	h.mu.Unlock()
	for _, c := range listed {
		c.flush()
	}
}

// register adds a client that gets events in the views viewOf gives; it reports false when the
// hub is closed or resubscribing.
func (h *hub[E]) register(c *subscriber, viewOf func(*E) view) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.down {
		return false
	}
	h.clients[c] = viewOf
	h.metrics.subscribers.WithLabelValues(h.src.label).Inc()
	return true
}

// unregister removes a client (if the hub has not dropped it already).
func (h *hub[E]) unregister(c *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		h.metrics.subscribers.WithLabelValues(h.src.label).Dec()
	}
}

// dropAllLocked stops every client; h.mu must be held.
func (h *hub[E]) dropAllLocked(code int, reason, metric string) {
	for c := range h.clients {
		c.stop(code, reason)
		delete(h.clients, c)
		h.metrics.subscribers.WithLabelValues(h.src.label).Dec()
		h.metrics.dropped.WithLabelValues(h.src.label, metric).Inc()
	}
}

// close stops the hub and drops its clients.
func (h *hub[E]) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.quit)
	if h.flushing != nil {
		h.flushing.Stop()
	}
	h.cancel()
	h.dropAllLocked(websocket.CloseGoingAway, reasonShutdown, "shutdown")
	h.mu.Unlock()
	<-h.done
}
