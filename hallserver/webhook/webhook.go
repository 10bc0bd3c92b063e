// Package webhook delivers every event of the case log (接诉即办) to the university's existing
// platform through a webhook: at least once, in log order (so in order per case), each request
// carrying the event's seq as its idempotency key and an HMAC-SHA256 signature, with retries
// under capped exponential backoff and jitter. The position is the seq of the last delivered
// event, persisted in the data file, so deliveries resume after a restart.
//
// The deliverer reads committed events from the case log on its own goroutine; case handling never
// waits for it. An event that keeps failing gets a dead-letter note (logged, stored, counted)
// after Config.DeadAfter attempts but is never skipped: it is retried every Config.SlowRetry until
// the receiver takes it, and the events behind it wait.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"onedoor/hallserver/hall"
)

// Headers of a delivery. The receiver deduplicates by IdempotencyHeader (the event's seq: the
// same event always carries the same key and the same body) and checks SignatureHeader, which is
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)) with the timestamp of
// TimestampHeader (Unix seconds).
const (
	IdempotencyHeader = "Idempotency-Key"
	SeqHeader         = "X-OneDoor-Seq"
	EventHeader       = "X-OneDoor-Event"
	AttemptHeader     = "X-OneDoor-Attempt"
	TimestampHeader   = "X-OneDoor-Timestamp"
	SignatureHeader   = "X-OneDoor-Signature"
)

// Log is the case log as the deliverer reads it (bolt.Cases).
type Log interface {
	// EventsAfter returns at most limit committed events with a seq above after, oldest first.
	EventsAfter(ctx context.Context, after uint64, limit int) ([]hall.CaseEvent, error)
	// LastSeq returns the seq of the last committed event.
	LastSeq() uint64
}

// Notifier, when the Log implements it, wakes the deliverer as soon as events are committed
// instead of at the next poll.
type Notifier interface {
	Subscribe(buffer int) (<-chan hall.CaseEvent, func())
}

// Store persists a deliverer's cursor and its dead-letter notes (bolt.DeliveryStore).
type Store interface {
	// Cursor returns the seq of the last delivered event; ok is false when none was stored.
	Cursor(ctx context.Context, name string) (seq uint64, ok bool, err error)
	// SetCursor stores the seq of the last delivered event, durably.
	SetCursor(ctx context.Context, name string, seq uint64) error
	// PutNote stores the dead-letter note of an event (JSON); nil deletes it.
	PutNote(ctx context.Context, name string, seq uint64, note []byte) error
}

// Doer sends HTTP requests (*http.Client).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Clock is the deliverer's time: Now for timestamps and lag, After for waits.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Defaults of Config.
const (
	DefaultMinBackoff   = time.Second
	DefaultMaxBackoff   = 5 * time.Minute
	DefaultSlowRetry    = 10 * time.Minute
	DefaultDeadAfter    = 10
	DefaultTimeout      = 10 * time.Second
	DefaultPoll         = 2 * time.Second
	DefaultBatch        = 256
	DefaultSaveEvery    = 64
	DefaultSaveInterval = time.Second
)

// Config configures a Deliverer. URL, Log and Store are required.
type Config struct {
	// Name identifies the deliverer's cursor and notes in the Store (default "webhook").
	Name string
	// URL receives one POST per event.
	URL string
	// Secret keys the HMAC-SHA256 signature; without it requests are not signed.
	Secret []byte
	Log    Log
	Store  Store
	// Client sends the requests (default: an http.Client without redirects).
	Client Doer
	// Clock is the time source (default: the real clock).
	Clock Clock
	// Rand returns numbers in [0, 1) for the jitter (default math/rand/v2).
	Rand   func() float64
	Logger *slog.Logger
	// Registerer receives the deliverer's metrics (nil: not registered).
	Registerer prometheus.Registerer

	// MinBackoff is the wait after the first failure; it doubles per failure up to MaxBackoff.
	// Each wait is jittered to between half and all of it.
	MinBackoff, MaxBackoff time.Duration
	// DeadAfter is how many failed attempts make an event a dead letter (noted, logged,
	// counted); it is then retried every SlowRetry (jittered), never skipped.
	DeadAfter int
	SlowRetry time.Duration
	// Timeout bounds one attempt.
	Timeout time.Duration
	// Poll is how often the log is read when idle and no notification came.
	Poll time.Duration
	// Batch is how many events are read from the log at once.
	Batch int
	// The cursor is saved after SaveEvery deliveries, after SaveInterval, when the deliverer is
	// idle, and when it stops. A crash re-delivers what was delivered since the last save (with
	// the same idempotency keys).
	SaveEvery    int
	SaveInterval time.Duration
	// FromLatest starts a deliverer that has no cursor yet at the end of the log instead of its
	// beginning (only events committed from then on are delivered).
	FromLatest bool
	// IncludePersonal sends the requester's contact data unmasked. By default the webhook gets
	// the staff view of the case with the requester masked (Requester.Masked).
	IncludePersonal bool
}

// DeadLetter is the note stored (and logged) for an event that failed DeadAfter times.
type DeadLetter struct {
	Seq       uint64             `json:"seq"`
	Type      hall.CaseEventType `json:"type"`
	Case      string             `json:"case,omitempty"` // case number
	Attempts  int                `json:"attempts"`
	FirstFail time.Time          `json:"firstFailure"`
	At        time.Time          `json:"at"`
	LastError string             `json:"lastError"`
}

// Status is a snapshot of the deliverer's progress.
type Status struct {
	Cursor    uint64 `json:"cursor"`    // last delivered seq
	LastSeq   uint64 `json:"lastSeq"`   // last committed seq of the log
	Lag       uint64 `json:"lag"`       // events not yet delivered
	Failing   int    `json:"failing"`   // failed attempts of the event at the head (0: none)
	Delivered uint64 `json:"delivered"` // deliveries since start (duplicates included)
	Failures  uint64 `json:"failures"`  // failed attempts since start
	Dead      bool   `json:"dead"`      // the head event is a dead letter
}

// Deliverer delivers the case log to a webhook. Create it with New and run it with Run.
type Deliverer struct {
	cfg   Config
	log   *slog.Logger
	clock Clock
	rand  func() float64

	cursor    atomic.Uint64
	failing   atomic.Int64
	dead      atomic.Bool
	headAt    atomic.Int64 // Unix ns of the oldest undelivered event being worked on (0: none)
	delivered atomic.Uint64
	failures  atomic.Uint64

	m *metrics

	running sync.Mutex // held by Run
}

type metrics struct {
	delivered prometheus.Counter
	failures  prometheus.Counter
	dead      prometheus.Counter
	duration  prometheus.Histogram
}

// New checks the configuration, fills in the defaults and registers the metrics.
func New(cfg Config) (*Deliverer, error) {
	if cfg.URL == "" {
		return nil, errors.New("webhook: no URL")
	}
	if !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("webhook: URL %q is not http(s)", cfg.URL)
	}
	if cfg.Log == nil || cfg.Store == nil {
		return nil, errors.New("webhook: Log and Store are required")
	}
	if cfg.Name == "" {
		cfg.Name = "webhook"
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.MinBackoff, DefaultMinBackoff)
	def(&cfg.MaxBackoff, DefaultMaxBackoff)
	def(&cfg.SlowRetry, DefaultSlowRetry)
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.Poll, DefaultPoll)
	def(&cfg.SaveInterval, DefaultSaveInterval)
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.DeadAfter <= 0 {
		cfg.DeadAfter = DefaultDeadAfter
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.SaveEvery <= 0 {
		cfg.SaveEvery = DefaultSaveEvery
	}
	o := &Deliverer{cfg: cfg, log: cfg.Logger, clock: cfg.Clock, rand: cfg.Rand}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	o.log = o.log.With("outbox", cfg.Name)
	if o.clock == nil {
		o.clock = realClock{}
	}
	if o.rand == nil {
		o.rand = rand.Float64
	}
	if err := o.registerMetrics(cfg.Registerer); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *Deliverer) registerMetrics(reg prometheus.Registerer) error {
	labels := prometheus.Labels{"outbox": o.cfg.Name}
	o.m = &metrics{
		delivered: prometheus.NewCounter(prometheus.CounterOpts{Name: "onedoor_outbox_delivered_total",
			Help: "Case events the webhook accepted (re-deliveries included).", ConstLabels: labels}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "onedoor_outbox_failures_total",
			Help: "Failed delivery attempts (network errors and non-2xx answers).", ConstLabels: labels}),
		dead: prometheus.NewCounter(prometheus.CounterOpts{Name: "onedoor_outbox_dead_letters_total",
			Help: "Events that failed DeadAfter times (still retried, never skipped).", ConstLabels: labels}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "onedoor_outbox_attempt_duration_seconds",
			Help: "Duration of delivery attempts.", ConstLabels: labels,
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10}}),
	}
	if reg == nil {
		return nil
	}
	cs := []prometheus.Collector{o.m.delivered, o.m.failures, o.m.dead, o.m.duration,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "onedoor_outbox_lag_events",
			Help: "Committed case events not yet delivered.", ConstLabels: labels},
			func() float64 { return float64(o.Status().Lag) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "onedoor_outbox_lag_seconds",
			Help: "Age of the oldest undelivered event being worked on (0 when caught up).", ConstLabels: labels},
			func() float64 {
				at := o.headAt.Load()
				if at == 0 {
					return 0
				}
				return max(0, o.clock.Now().Sub(time.Unix(0, at)).Seconds())
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "onedoor_outbox_cursor",
			Help: "Seq of the last delivered case event.", ConstLabels: labels},
			func() float64 { return float64(o.cursor.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "onedoor_outbox_head_failures",
			Help: "Consecutive failed attempts of the event at the head of the deliverer.", ConstLabels: labels},
			func() float64 { return float64(o.failing.Load()) }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("webhook: register metrics: %w", err)
		}
	}
	return nil
}

// Status returns the deliverer's progress now.
func (o *Deliverer) Status() Status {
	cur, last := o.cursor.Load(), o.cfg.Log.LastSeq()
	st := Status{Cursor: cur, LastSeq: last, Failing: int(o.failing.Load()), Delivered: o.delivered.Load(),
		Failures: o.failures.Load(), Dead: o.dead.Load()}
	if last > cur {
		st.Lag = last - cur
	}
	return st
}

// Run delivers events until ctx ends; it then saves the cursor and returns nil. It returns an
// error only when it cannot start (the cursor cannot be read). Run must not be called twice at
// once.
func (o *Deliverer) Run(ctx context.Context) error {
	if !o.running.TryLock() {
		return errors.New("webhook: already running")
	}
	defer o.running.Unlock()
	cursor, ok, err := o.cfg.Store.Cursor(ctx, o.cfg.Name)
	if err != nil {
		return fmt.Errorf("webhook %s: read cursor: %w", o.cfg.Name, err)
	}
	if !ok && o.cfg.FromLatest {
		cursor = o.cfg.Log.LastSeq()
		if err := o.cfg.Store.SetCursor(ctx, o.cfg.Name, cursor); err != nil {
			return fmt.Errorf("webhook %s: write cursor: %w", o.cfg.Name, err)
		}
	}
	o.cursor.Store(cursor)
	o.log.Info("webhook deliverer started", "url", o.cfg.URL, "cursor", cursor, "lastSeq", o.cfg.Log.LastSeq())

	var bell <-chan hall.CaseEvent
	cancelBell := func() {}
	defer func() { cancelBell() }()
	subscribe := func() {
		cancelBell()
		bell, cancelBell = nil, func() {}
		if n, ok := o.cfg.Log.(Notifier); ok {
			bell, cancelBell = n.Subscribe(1024)
		}
	}
	subscribe()

	saved, lastSave := cursor, o.clock.Now()
	save := func(ctx context.Context) {
		cur := o.cursor.Load()
		if cur == saved {
			return
		}
		if err := o.cfg.Store.SetCursor(ctx, o.cfg.Name, cur); err != nil {
			o.log.Error("webhook: save cursor", "cursor", cur, "err", err)
			return // kept in memory; saved next time (a crash re-delivers, which is allowed)
		}
		saved, lastSave = cur, o.clock.Now()
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		save(sctx)
		o.log.Info("webhook deliverer stopped", "cursor", o.cursor.Load())
	}()

	readFailures := 0
	for ctx.Err() == nil {
		evs, err := o.cfg.Log.EventsAfter(ctx, o.cursor.Load(), o.cfg.Batch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			readFailures++
			o.log.Warn("webhook: read case log", "after", o.cursor.Load(), "err", err)
			o.wait(ctx, o.backoff(readFailures), nil)
			continue
		}
		readFailures = 0
		if len(evs) == 0 {
			o.headAt.Store(0)
			save(ctx)
			if bell == nil {
				o.wait(ctx, o.cfg.Poll, nil)
				subscribe()
				continue
			}
			if closed := o.wait(ctx, o.cfg.Poll, bell); closed {
				subscribe() // the notification channel fell behind or the log closed
			}
			continue
		}
		for _, ev := range evs {
			if ev.Seq <= o.cursor.Load() {
				continue
			}
			if want := o.cursor.Load() + 1; ev.Seq != want {
				o.log.Warn("webhook: gap in the case log", "want", want, "got", ev.Seq)
			}
			if err := o.deliver(ctx, ev); err != nil {
				return nil // ctx ended
			}
			o.cursor.Store(ev.Seq)
			if o.cursor.Load()-saved >= uint64(o.cfg.SaveEvery) || o.clock.Now().Sub(lastSave) >= o.cfg.SaveInterval {
				save(ctx)
			}
		}
	}
	return nil
}

// wait waits for d, a notification on bell (drained), or the end of ctx. It reports whether bell
// was closed.
func (o *Deliverer) wait(ctx context.Context, d time.Duration, bell <-chan hall.CaseEvent) (closed bool) {
	select {
	case <-ctx.Done():
	case <-o.clock.After(d):
	case _, ok := <-bell:
		if !ok {
			return true
		}
		for {
			select {
			case _, ok := <-bell:
				if !ok {
					return true
				}
			default:
				return false
			}
		}
	}
	return false
}

// backoff is the wait after the n-th consecutive failure: MinBackoff·2^(n-1) capped at
// MaxBackoff, or SlowRetry once the event is a dead letter; jittered to [½, 1] of it.
func (o *Deliverer) backoff(n int) time.Duration {
	var d time.Duration
	if n >= o.cfg.DeadAfter {
		d = o.cfg.SlowRetry
	} else {
		d = o.cfg.MinBackoff
		for i := 1; i < n && d < o.cfg.MaxBackoff; i++ {
			d *= 2
		}
		d = min(d, o.cfg.MaxBackoff)
	}
	return d/2 + time.Duration(o.rand()*float64(d/2))
}

// Payload returns the body delivered for an event: the event as JSON with the case's staff
// view (requester masked unless personal data is included).
func Payload(ev hall.CaseEvent, includePersonal bool) ([]byte, error) {
	if ev.Case != nil && !includePersonal {
		c := *ev.Case
		c.Requester = c.Requester.Masked()
		ev.Case = &c
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("webhook: encode event %d: %w", ev.Seq, err)
	}
	return b, nil
}

// deliver posts the event until the receiver accepts it; it returns only then (nil) or when
// ctx ends (its error).
func (o *Deliverer) deliver(ctx context.Context, ev hall.CaseEvent) error {
	body, err := Payload(ev, o.cfg.IncludePersonal)
	if err != nil {
		// Cannot happen with these types; deliver a minimal body rather than stall forever.
		o.log.Error("webhook: encode event", "seq", ev.Seq, "err", err)
		body, _ = json.Marshal(hall.CaseEvent{Seq: ev.Seq, Type: ev.Type, At: ev.At})
	}
	o.headAt.Store(ev.At.UnixNano())
	var first time.Time
	for attempt := 1; ; attempt++ {
		retryAfter, err := o.attempt(ctx, ev, body, attempt)
		if err == nil {
			o.delivered.Add(1)
			o.m.delivered.Inc()
			if o.dead.Load() {
				o.log.Info("webhook: dead letter delivered", "seq", ev.Seq, "attempts", attempt)
				if err := o.cfg.Store.PutNote(ctx, o.cfg.Name, ev.Seq, nil); err != nil {
					o.log.Warn("webhook: clear dead-letter note", "seq", ev.Seq, "err", err)
				}
			}
			o.failing.Store(0)
			o.dead.Store(false)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt == 1 {
			first = o.clock.Now()
		}
		o.failures.Add(1)
		o.m.failures.Inc()
		o.failing.Store(int64(attempt))
		lvl := slog.LevelWarn
		if attempt > 1 && attempt != o.cfg.DeadAfter {
			lvl = slog.LevelDebug
		}
		o.log.Log(ctx, lvl, "webhook: delivery failed", "seq", ev.Seq, "type", ev.Type, "attempt", attempt, "err", err)
		if attempt == o.cfg.DeadAfter {
			o.deadLetter(ctx, ev, attempt, first, err)
		}
		d := o.backoff(attempt)
		if retryAfter > d {
			d = min(retryAfter, max(o.cfg.MaxBackoff, o.cfg.SlowRetry))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-o.clock.After(d):
		}
	}
}

// deadLetter notes that an event failed DeadAfter times: logged, stored and counted. Delivery
// goes on (slowly); nothing behind it is delivered first.
func (o *Deliverer) deadLetter(ctx context.Context, ev hall.CaseEvent, attempts int, first time.Time, err error) {
	o.dead.Store(true)
	o.m.dead.Inc()
	note := DeadLetter{Seq: ev.Seq, Type: ev.Type, Attempts: attempts, FirstFail: first.UTC(), At: o.clock.Now().UTC(), LastError: err.Error()}
	if ev.Case != nil {
		note.Case = ev.Case.Number
	}
	o.log.Error("webhook: dead letter; retrying every slow interval, later events wait", "seq", ev.Seq, "case", note.Case,
		"attempts", attempts, "since", note.FirstFail, "err", err, "retry", o.cfg.SlowRetry)
	b, _ := json.Marshal(note)
	if err := o.cfg.Store.PutNote(ctx, o.cfg.Name, ev.Seq, b); err != nil {
		o.log.Warn("webhook: store dead-letter note", "seq", ev.Seq, "err", err)
	}
}

// errStatus is a non-2xx answer.
type errStatus struct {
	code int
	body string
}

func (e *errStatus) Error() string {
	if e.body == "" {
		return fmt.Sprintf("webhook answered %d", e.code)
	}
	return fmt.Sprintf("webhook answered %d: %s", e.code, e.body)
}

// attempt sends one request. It returns nil when the receiver answered 2xx, and the wait the
// receiver asked for (Retry-After) with a 429 or 503.
func (o *Deliverer) attempt(ctx context.Context, ev hall.CaseEvent, body []byte, n int) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	ts := strconv.FormatInt(o.clock.Now().Unix(), 10)
	h := req.Header
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", "OneDoor-Outbox/1")
	h.Set(IdempotencyHeader, strconv.FormatUint(ev.Seq, 10))
	h.Set(SeqHeader, strconv.FormatUint(ev.Seq, 10))
	h.Set(EventHeader, string(ev.Type))
	h.Set(AttemptHeader, strconv.Itoa(n))
	h.Set(TimestampHeader, ts)
	if len(o.cfg.Secret) > 0 {
		h.Set(SignatureHeader, Sign(o.cfg.Secret, ts, body))
	}
	start := time.Now()
	resp, err := o.cfg.Client.Do(req)
	o.m.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		return 0, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	var wait time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
	}
	return wait, &errStatus{code: resp.StatusCode, body: strings.TrimSpace(string(snippet))}
}

// Sign returns the signature header value of a body sent at the timestamp ts (Unix seconds as
// sent in TimestampHeader): "sha256=" + hex(HMAC-SHA256(secret, ts + "." + body)).
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery's signature in constant time (for receivers and tests). It does not
// check the timestamp's age; receivers should refuse old ones to stop replays.
func Verify(secret []byte, ts, signature string, body []byte) bool {
	return hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature))
}
