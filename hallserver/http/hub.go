package http

import (
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/hall"
)

// Stream tuning. A hub reads its hall's log tail through one subscription with a large buffer and
// hands each event, encoded once, to every client's bounded queue without ever blocking on one.
const (
	hubBuffer    = 8192 // events the hub's own subscription may lag behind
	clientBuffer = 256  // events a client may lag behind before it is dropped
)

// Close reasons sent to dropped stream clients; each tells the client to reconnect with since=N.
const (
	reasonSlow     = "slow consumer, resync"
	reasonBehind   = "stream fell behind, resync"
	reasonGap      = "gap in stream, resync"
	reasonShutdown = "server shutting down"
)

// frame is one encoded event ready for every client.
type frame struct {
	seq uint64
	pm  *websocket.PreparedMessage
}

// subscriber is one stream client as the hub sees it.
type subscriber struct {
	send chan frame
	// gone is closed when the client must stop: dropped by the hub (code and reason say why, code
	// 0 means the connection is already dead) or its connection failed.
	gone   chan struct{}
	once   sync.Once
	code   int
	reason string
}

func newSubscriber() *subscriber {
	return &subscriber{send: make(chan frame, clientBuffer), gone: make(chan struct{})}
}

// stop ends the subscriber once; the first code and reason win.
func (c *subscriber) stop(code int, reason string) {
	c.once.Do(func() {
		c.code, c.reason = code, reason
		close(c.gone)
	})
}

// hub fans one hall's events out to its stream clients.
type hub struct {
	hall    string
	events  hall.EventLog
	metrics *metrics
	log     *slog.Logger

	mu      sync.Mutex
	clients map[*subscriber]struct{}
	cancel  func()
	closed  bool
	down    bool          // resubscribing after a failed subscription: new clients must retry
	quit    chan struct{} // closed by close
	done    chan struct{} // closed when run returns
}

// newHub subscribes to the hall's log and starts fanning out. The subscription exists when
// newHub returns, so a client registered afterwards misses no event committed after it registered.
func newHub(hallCode string, events hall.EventLog, m *metrics, log *slog.Logger) *hub {
	h := &hub{hall: hallCode, events: events, metrics: m, log: log, clients: map[*subscriber]struct{}{}, quit: make(chan struct{}), done: make(chan struct{})}
	ch, cancel := events.Subscribe(hallCode, hubBuffer)
	h.cancel = cancel
	go h.run(ch)
	return h
}

// run broadcasts events until the hub is closed. When the subscription ends because the hub fell
// behind, every client is dropped (they resync with since=N) and the hub subscribes again; clients
// registering meanwhile wait on the lock, so none of them can miss an event. A subscription that
// ends without delivering anything (the log is closing) is retried with a growing pause, during
// which new clients are turned away.
func (h *hub) run(ch <-chan hall.Event) {
	defer close(h.done)
	var pause time.Duration
	for {
		n := 0
		for ev := range ch {
			h.broadcast(ev)
			n++
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return
		}
		h.cancel()
		h.log.Warn("stream hub lost its event subscription; dropping its clients", "hall", h.hall, "clients", len(h.clients))
		h.dropAllLocked(websocket.CloseTryAgainLater, reasonBehind, "behind")
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
		ch, h.cancel = h.events.Subscribe(h.hall, hubBuffer)
		h.mu.Unlock()
	}
}

// broadcast encodes ev once and queues it for every client; a client whose queue is full is
// dropped.
func (h *hub) broadcast(ev hall.Event) {
	b, err := json.Marshal(publicEvent(ev))
	if err != nil {
		h.log.Error("encode stream event", "hall", h.hall, "seq", ev.Seq, "err", err)
		return
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		h.log.Error("prepare stream event", "hall", h.hall, "seq", ev.Seq, "err", err)
		return
	}
	f := frame{seq: ev.Seq, pm: pm}
	h.metrics.events.WithLabelValues(h.hall).Inc()
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c.send <- f:
		default:
			delete(h.clients, c)
			c.stop(websocket.CloseTryAgainLater, reasonSlow)
			h.metrics.subscribers.WithLabelValues(h.hall).Dec()
			h.metrics.dropped.WithLabelValues(h.hall, "slow").Inc()
		}
	}
}

// register adds a client; it reports false when the hub is closed or resubscribing.
func (h *hub) register(c *subscriber) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.down {
		return false
	}
	h.clients[c] = struct{}{}
	h.metrics.subscribers.WithLabelValues(h.hall).Inc()
	return true
}

// unregister removes a client (if the hub has not dropped it already).
func (h *hub) unregister(c *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		h.metrics.subscribers.WithLabelValues(h.hall).Dec()
	}
}

// dropAllLocked stops every client; h.mu must be held.
func (h *hub) dropAllLocked(code int, reason, metric string) {
	for c := range h.clients {
		c.stop(code, reason)
		delete(h.clients, c)
		h.metrics.subscribers.WithLabelValues(h.hall).Dec()
		h.metrics.dropped.WithLabelValues(h.hall, metric).Inc()
	}
}

// close stops the hub and drops its clients.
func (h *hub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.quit)
	h.cancel()
	h.dropAllLocked(websocket.CloseGoingAway, reasonShutdown, "shutdown")
	h.mu.Unlock()
	<-h.done
}

// streamEvent is an event as the public stream sends it: what displays, kiosks and follow pages
// use, and nothing else (no follow token, person number, staff names, notes or internal IDs). Kept
// small because it goes to every screen in the hall.
type streamEvent struct {
	Seq     uint64             `json:"seq"`
	Hall    string             `json:"hall"`
	Type    hall.EventType     `json:"type"`
	At      time.Time          `json:"at"`
	Ticket  *streamTicket      `json:"ticket,omitempty"`
	Counter *streamCounter     `json:"counter,omitempty"`
	Waiting map[string]int     `json:"waiting,omitempty"`
	Device  *hall.DeviceStatus `json:"device,omitempty"`
	Notice  *hall.Notice       `json:"notice,omitempty"`
}

// streamTicket is the public face of a ticket in an event.
type streamTicket struct {
	Number        string           `json:"number"`
	Service       string           `json:"service"`
	State         hall.TicketState `json:"state"`
	Priority      bool             `json:"priority,omitempty"`
	Counter       int              `json:"counter,omitempty"`
	TargetCounter int              `json:"targetCounter,omitempty"`
	CalledAt      *time.Time       `json:"calledAt,omitempty"`
	Calls         int              `json:"calls,omitempty"`
	Outcome       hall.Outcome     `json:"outcome,omitempty"`
}

// streamCounter is the public face of a counter in an event.
type streamCounter struct {
	Number   int               `json:"number"`
	State    hall.CounterState `json:"state"`
	Services []string          `json:"services"`
}

// publicEvent returns the event as the public stream shows it.
func publicEvent(ev hall.Event) streamEvent {
	out := streamEvent{Seq: ev.Seq, Hall: ev.Hall, Type: ev.Type, At: ev.At, Waiting: ev.Waiting}
	if d := ev.Device; d != nil {
		out.Device = &hall.DeviceStatus{Kind: d.Kind, State: d.State, Message: d.Message, At: d.At} // without the device ID
	}
	if n := ev.Notice; n != nil {
		out.Notice = &hall.Notice{ID: n.ID, Text: n.Text, At: n.At} // without By, the staff member
	}
	if t := ev.Ticket; t != nil {
		out.Ticket = &streamTicket{Number: t.Number, Service: t.Service, State: t.State, Priority: t.Priority,
			Counter: t.Counter, TargetCounter: t.TargetCounter, CalledAt: t.CalledAt, Calls: t.Calls, Outcome: t.Outcome}
	}
	if c := ev.Counter; c != nil {
		out.Counter = &streamCounter{Number: c.Number, State: c.State, Services: c.Services}
	}
	return out
}

// publicSnapshot returns a copy of the snapshot fit for everyone: notices without the username
// of the staff member who published them, device reports without the device ID.
func publicSnapshot(snap *hall.Snapshot) *hall.Snapshot {
	if snap == nil {
		return nil
	}
	out := *snap
	if snap.Devices != nil {
		out.Devices = make([]hall.DeviceStatus, len(snap.Devices))
		for i, d := range snap.Devices {
			out.Devices[i] = hall.DeviceStatus{Kind: d.Kind, State: d.State, Message: d.Message, At: d.At}
		}
	}
	if snap.Notices != nil {
		out.Notices = make([]hall.Notice, len(snap.Notices))
		for i, n := range snap.Notices {
			out.Notices[i] = hall.Notice{ID: n.ID, Text: n.Text, At: n.At}
		}
	}
	return &out
}
