package enginehost

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

var (
	_ hall.QueueService = (*Queue)(nil)
	_ hall.EventLog     = (*Queue)(nil)
)

// TickInterval is how often the tick loop lets each hall's engine run its time-based rules (day
// rollover at local midnight, device silence and outbox alerts). A device alert is due at most
// this long before staff see it (the issue asks for 5 s); a tick that changes nothing writes
// nothing.
const TickInterval = 2 * time.Second

// IdempotencyTTL is how long an idempotency key keeps returning its ticket.
const IdempotencyTTL = 24 * time.Hour

// hallLog is one hall's queue log in the engine host.
type hallLog = Log[*queue.Engine, queue.Change, hall.Event, any]

// Queue runs every hall's queue engine on a QueueStore. It implements hall.QueueService and
// hall.EventLog.
//
// It is the queue's configuration of the Host: one log per hall, one group committer for all
// halls, publish after the commit, a failed commit reloads the halls involved. Nothing is
// acknowledged or published before it is durable.
type Queue struct {
	// cfgMu guards campus, version and halls, which a campus change replaces (campus.go).
	cfgMu   sync.RWMutex
	campus  hall.Campus
	version uint64
	halls   map[string]hall.Hall
	// starting are the halls of a campus change being applied: their logs exist, they are
	// reachable once it is committed.
	starting map[string]hall.Hall
	// applyMu serialises campus changes; onCampus are told of each one (campus.go).
	applyMu  sync.Mutex
	onCampus []func(hall.Campus)
	checks   []func(context.Context, hall.Campus) []*hall.Error

	days  hall.Days // the campus business calendar (opening hours close on its holidays); guarded by cfgMu, replaced with the campus
	loc   *time.Location
	now   func() time.Time
	log   *slog.Logger
	store QueueStore
	fp    Failpoint
	// bookings feeds each engine the bookings not yet checked in on the tick (WithBookings).
	bookings Bookings
	host     *Host[*queue.Engine, queue.Change, hall.Event, any]
	replica  bool // AsReplica
}

// Bookings reads the bookings of a hall on a local date (hall.AppointmentStore.Day).
type Bookings interface {
	Day(ctx context.Context, hall, day string) ([]hall.Appointment, error)
}

// WithBookings feeds every hall's engine, on each tick, the slot starts of the day's bookings
// not yet checked in: its wait estimates count those due before a walk-in's call
// (queue.Engine.SetBooked).
func WithBookings(b Bookings) QueueOption { return func(q *Queue) { q.bookings = b } }

// bookingRead bounds one tick's read of a hall's bookings.
const bookingRead = time.Second

// tick runs an engine's time rules (Config.Tick) after feeding it the day's bookings not yet
// checked in (WithBookings). A failed read keeps the bookings it had and is logged.
func (q *Queue) tick(eng *queue.Engine, now time.Time) queue.Change {
	if q.bookings != nil {
		ctx, cancel := context.WithTimeout(context.Background(), bookingRead)
		as, err := q.bookings.Day(ctx, eng.HallCode(), eng.Day(now))
		cancel()
		if err != nil {
			q.log.Warn("queue: read the bookings for the wait estimates", "hall", eng.HallCode(), "err", err)
		} else {
			starts := map[string][]time.Time{}
			for _, a := range as {
				if a.State == hall.AppointmentBooked {
					starts[a.Service] = append(starts[a.Service], a.Start)
				}
			}
			eng.SetBooked(starts)
		}
	}
	return eng.Tick(now)
}

// Stats returns the committer's figures (batches, changes, batch sizes).
func (q *Queue) Stats() CommitStats { return q.host.Stats() }

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

// WithCampusVersion sets the version of the campus the Queue starts with (the stored one's; 0
// when the store keeps none).
func WithCampusVersion(v uint64) QueueOption { return func(q *Queue) { q.version = v } }

// AsReplica makes the Queue a read replica of halls another server owns: no tick loop, no
// pruning; its store refuses every commit and Replicate feeds it what the owner committed.
func AsReplica() QueueOption { return func(q *Queue) { q.replica = true } }

// Replicate hands the replica the hall's events the owner committed (seen by a watch), in
// order, once its store shows them (Log.Replicate): subscribers get them, the next snapshot
// reloads the hall.
func (q *Queue) Replicate(code string, evs []hall.Event) {
	if l, ok := q.host.Log(code); ok {
		l.Replicate(evs)
	}
}

// WithFailpoint sets the fault injection hook (tests).
func WithFailpoint(fp Failpoint) QueueOption { return func(q *Queue) { q.fp = fp } }

// NewQueue loads every hall of the campus from the store: its meta and its open tickets (never the
// history, so start-up does not grow with the log) and starts the group committer and the tick
// loop. now is the clock (time.Now when nil).
func NewQueue(ctx context.Context, store QueueStore, campus hall.Campus, now func() time.Time, opts ...QueueOption) (*Queue, error) {
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
	cal, err := cases.CampusCalendar(&campus)
	if err != nil {
		return nil, fmt.Errorf("queue: campus calendar: %w", err)
	}
	q := &Queue{store: store, campus: campus, loc: loc, days: cal, now: now, halls: map[string]hall.Hall{}, starting: map[string]hall.Hall{}, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(q)
	}
	var codes []string
	for _, h := range campus.Halls {
		q.halls[h.Code] = h
		codes = append(codes, h.Code)
	}
	tickEvery, prune := TickInterval, func(now time.Time) { store.PruneIdem(IdempotencyTTL, now) }
	if q.replica {
		tickEvery, prune = 24*time.Hour, nil // a replica runs no time rules: the owner does
	}
	q.host, err = New(ctx, Config[*queue.Engine, queue.Change, hall.Event]{
		Logs:      codes,
		Load:      q.load,
		Events:    func(ch queue.Change) []hall.Event { return ch.Events },
		EventSeq:  func(ev hall.Event) uint64 { return ev.Seq },
		Seq:       func(ch queue.Change) uint64 { return ch.Meta.Seq },
		Empty:     queue.Change.Empty,
		Tick:      q.tick,
		TickEvery: tickEvery,
		Prune:     prune,
		Enqueued:  q.enqueued,
		Now:       now,
		Closing:   hall.Errorf(hall.EUNAVAILABLE, "", "the queue is shutting down"),
		Failpoint: q.fp,
	}, store)
	if err != nil {
		return nil, err
	}
	return q, nil
}

// load (re)builds a hall's engine from its meta and open-ticket index (Config.Load).
func (q *Queue) load(code string) (*queue.Engine, uint64, error) {
	meta, hasMeta, open, err := q.store.LoadHall(code)
	if err != nil {
		return nil, 0, err
	}
	q.cfgMu.RLock()
	h, ok := q.halls[code]
	if !ok {
		h = q.starting[code]
	}
	days := q.days
	q.cfgMu.RUnlock()
	if !hasMeta {
		return queue.New(h, q.loc, queue.WithCalendar(days)), meta.Seq, nil
	}
	eng, err := queue.Restore(h, q.loc, meta, open, queue.WithCalendar(days))
	if err != nil {
		return nil, 0, fmt.Errorf("restore hall %s: %w", code, err)
	}
	return eng, meta.Seq, nil
}

// enqueued logs a clock set back (Config.Enqueued).
func (q *Queue) enqueued(code string, ch queue.Change) {
	if cb := ch.ClockBack; cb != nil {
		q.log.Warn("clock set back: the hall keeps its business day and queue order",
			"hall", code, "from", cb.From, "to", cb.To, "back", cb.From.Sub(cb.To).String(), "day", cb.Day)
	}
}

// hall returns the hall's log and configuration.
func (q *Queue) hall(code string) (*hallLog, hall.Hall, error) {
	q.cfgMu.RLock()
	h, configured := q.halls[code]
	q.cfgMu.RUnlock()
	l, ok := q.host.Log(code)
	if !ok || !configured {
		return nil, hall.Hall{}, hall.Errorf(hall.ENOTFOUND, "hall", "no hall %q", code)
	}
	return l, h, nil
}

// Close stops the tick loop, commits every change already handed to the committer, stops it and
// closes all subscriptions. It does not close the DB.
func (q *Queue) Close() error {
	q.host.Close()
	return nil
}

// Tick runs every hall's time rules now (the day reset at local midnight) and waits until their
// changes are durable. The tick loop runs them every TickInterval; tests call it directly.
func (q *Queue) Tick(ctx context.Context) error {
	q.cfgMu.RLock()
	halls := q.campus.Halls
	q.cfgMu.RUnlock()
	for _, h := range halls {
		l, _ := q.host.Log(h.Code)
		if err := l.Tick(ctx); err != nil {
			return err
		}
	}
	return nil
}

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newFollowToken returns 20 random bytes in base32 (32 characters): unguessable.
func newFollowToken() string {
	var b [20]byte
	rand.Read(b[:])
	return tokenEncoding.EncodeToString(b[:])
}

// sortedTokenEncoding is base32 with the same 32 characters as tokenEncoding, in ASCII order, so
// that the encoded strings sort like the bytes.
var sortedTokenEncoding = base32.NewEncoding("234567ABCDEFGHIJKLMNOPQRSTUVWXYZ").WithPadding(base32.NoPadding)

// newTicketToken returns a ticket's follow token: 32 base32 characters like newFollowToken's,
// made of the issue time in milliseconds (6 bytes, big-endian) and 14 random bytes (112 bits:
// unguessable). Tokens issued later sort later, so the store's token index grows at its end
// (one page written per commit) instead of taking a random page for every ticket.
func newTicketToken(now time.Time) string {
	var b [20]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	rand.Read(b[6:])
	return sortedTokenEncoding.EncodeToString(b[:])
}

// Issue creates a ticket and returns once it is durable. With an idempotency key that was seen in
// the last day, it returns the ticket created then (position and wait recomputed), unless the
// hall's day has been reset since (that ticket was cancelled at midnight and must not be printed):
// then it issues a ticket for today under the same key, which later retries get.
func (q *Queue) Issue(ctx context.Context, req hall.IssueRequest) (*hall.Issued, error) {
	l, h, err := q.hall(req.Hall)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	token := newTicketToken(q.now())
	var eng *queue.Engine
	for {
		l.Lock()
		if eng, err = l.Engine(); err != nil {
			l.Unlock()
			return nil, err
		}
		if req.IdempotencyKey == "" {
			break
		}
		if r, ok := l.Pending(req.IdempotencyKey); ok {
			// The same key is being committed right now: look again once it is durable.
			l.Unlock()
			if err := r.Wait(ctx); err != nil {
				return nil, err
			}
			continue
		}
		id, again, err := q.idemAnswer(ctx, l, eng, req.IdempotencyKey)
		if err != nil {
			l.Unlock()
			return nil, err
		}
		if again {
			l.Unlock()
			return q.issuedByID(ctx, l, h, id)
		}
		break
	}
	now := q.now()
	// The ID must be chosen before the engine picks the number, so it uses the hall's next event
	// seq, which (like numbers) is never reused: hall-yyyymmdd-seq.
	id := h.Code + "-" + now.In(q.loc).Format("20060102") + "-" + strconv.FormatUint(l.Seq()+1, 10)
	iss, ch, err := eng.Issue(now, req, id, token)
	if err != nil {
		l.Unlock()
		return nil, err
	}
	r, err := l.Enqueue(ch, req.IdempotencyKey, id)
	l.Unlock()
	if err != nil {
		return nil, err
	}
	if err := r.Wait(ctx); err != nil {
		return nil, err
	}
	return iss, nil
}

// idemAnswer decides how a stored idempotency key answers: again is true when the request is a
// repeat of one that issued ticket id today. It is false when the key is unknown (or expired), and
// when the hall's day was reset after that ticket was issued (the reset cancelled it): the caller
// then issues a new ticket under the key. A reset that is due (midnight passed, no command yet)
// runs first. Callers hold the hall's lock.
func (q *Queue) idemAnswer(ctx context.Context, l *hallLog, eng *queue.Engine, key string) (id string, again bool, err error) {
	rec, err := q.store.Idem(l.Name(), key)
	if err != nil || rec.ID == "" || q.now().Sub(rec.At) > IdempotencyTTL {
		return "", false, err
	}
	if ch := eng.Tick(q.now()); !ch.Empty() {
		if _, err := l.Enqueue(ch, "", ""); err != nil {
			return "", false, err
		}
	}
	current := rec.Seq > eng.ResetSeq()
	if rec.Seq == 0 { // a record from before Seq was kept: go by the ticket's day
		t, err := q.store.TicketByID(ctx, rec.ID)
		if err != nil {
			return "", false, err
		}
		current = t.Day == eng.BusinessDay()
	}
	if !current {
		q.log.Info("idempotency key repeated after the day reset: issuing a ticket for today",
			"hall", l.Name(), "cancelled", rec.ID)
	}
	return rec.ID, current, nil
}

// issuedByID answers a repeated issue request with the stored ticket.
func (q *Queue) issuedByID(ctx context.Context, l *hallLog, h hall.Hall, id string) (*hall.Issued, error) {
	t, err := q.store.TicketByID(ctx, id)
	if err != nil {
		return nil, err
	}
	iss := &hall.Issued{Ticket: *t, Materials: []hall.Text{}}
	if svc, ok := h.Service(t.Service); ok && svc.Materials != nil {
		iss.Materials = svc.Materials
	}
	iss.Position, iss.EtaSeconds, _ = q.position(l, id, t.Service)
	return iss, nil
}

// position is a waiting ticket's place in the live queue, its estimated wait (0, 0 when it
// does not wait) and whether no open counter serves its service svc now.
func (q *Queue) position(l *hallLog, id, svc string) (ahead, eta int, unserved bool) {
	l.Lock()
	defer l.Unlock()
	if eng, err := l.Engine(); err == nil {
		if a, e, ok := eng.Position(q.now(), id); ok {
			return a, e, !eng.Served(svc)
		}
	}
	return 0, 0, false
}

// apply runs one engine command on the hall under its lock and waits until its change is durable.
func (q *Queue) apply(ctx context.Context, code string, cmd func(eng *queue.Engine, now time.Time) (queue.Change, error)) error {
	l, _, err := q.hall(code)
	if err != nil {
		return err
	}
	return l.Apply(ctx, cmd)
}

// Act performs a counter action and returns once it is durable. call-next returns (nil, nil) when
// nobody waits.
func (q *Queue) Act(ctx context.Context, a hall.CounterAction) (*hall.Ticket, error) {
	var t *hall.Ticket
	err := q.apply(ctx, a.Hall, func(e *queue.Engine, now time.Time) (ch queue.Change, err error) {
		t, ch, err = e.Act(now, a)
		return ch, err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// CancelByToken cancels the ticket with this follow token on its holder's request.
func (q *Queue) CancelByToken(ctx context.Context, token string) (*hall.Ticket, error) {
	t, err := q.store.TicketByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	var ct *hall.Ticket
	err = q.apply(ctx, t.Hall, func(e *queue.Engine, now time.Time) (ch queue.Change, err error) {
		ct, ch, err = e.CancelByToken(now, token)
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
	l, _, err := q.hall(code)
	if err != nil {
		return nil, err
	}
	var snap hall.Snapshot
	if err := l.View(ctx, func(eng *queue.Engine, now time.Time) { snap = eng.Snapshot(now) }); err != nil {
		return nil, err
	}
	return &snap, nil
}

// Follow returns the public view of the ticket with this follow token: the committed ticket, and
// for a waiting one its position and estimated wait from the live queue.
func (q *Queue) Follow(ctx context.Context, token string) (*hall.Follow, error) {
	t, err := q.store.TicketByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	l, h, err := q.hall(t.Hall)
	if err != nil {
		return nil, err
	}
	f := &hall.Follow{Ticket: t.Public(), Number: t.Number, State: t.State, HallName: h.Name, Materials: []hall.Text{}}
	if svc, ok := h.Service(t.Service); ok {
		f.Service = svc.Name
		if svc.Materials != nil {
			f.Materials = svc.Materials
		}
	}
	if t.State == hall.TicketCalled || t.State == hall.TicketServing {
		f.Counter = t.Counter
	}
	if t.State == hall.TicketWaiting {
		f.Position, f.EtaSeconds, f.Unserved = q.position(l, t.ID, t.Service)
	}
	return f, nil
}

// Waiting lists the hall's waiting tickets in call order.
func (q *Queue) Waiting(ctx context.Context, code string) ([]hall.Ticket, error) {
	l, _, err := q.hall(code)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.Lock()
	defer l.Unlock()
	eng, err := l.Engine()
	if err != nil {
		return nil, err
	}
	return eng.Waiting(), nil
}

// SetAside lists the hall's parked and reinstatable absent tickets of today (staff view).
func (q *Queue) SetAside(ctx context.Context, code string) ([]hall.Ticket, error) {
	l, _, err := q.hall(code)
	if err != nil {
		return nil, err
	}
	var out []hall.Ticket
	if err := l.View(ctx, func(eng *queue.Engine, _ time.Time) { out = eng.SetAside() }); err != nil {
		return nil, err
	}
	return out, nil
}

// Ticket returns an open ticket of the hall by ID or by today's number, from the live queue; a
// ticket no longer open is read from the store by ID.
func (q *Queue) Ticket(ctx context.Context, code, ref string) (*hall.Ticket, error) {
	l, _, err := q.hall(code)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ref == "" || len(ref) > 64 {
		return nil, hall.Errorf(hall.ENOTFOUND, "ticket", "no ticket %q in hall %s", ref, code)
	}
	l.Lock()
	eng, err := l.Engine()
	if err != nil {
		l.Unlock()
		return nil, err
	}
	t, ok := eng.Ticket(ref)
	if !ok {
		t, ok = eng.TicketByNumber(ref)
	}
	l.Unlock()
	if ok {
		return &t, nil
	}
	old, err := q.store.TicketByID(ctx, ref)
	if err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
		return nil, err
	}
	if err != nil || old.Hall != code {
		return nil, hall.Errorf(hall.ENOTFOUND, "ticket", "no ticket %q in hall %s", ref, code)
	}
	return old, nil
}

// Since returns the committed events of the hall after seq, oldest first. ok is false when seq is
// ahead of the committed log (unknown: e.g. the store was replaced by a restore) or more than
// MaxReplay events behind it (a snapshot is cheaper): the caller starts from a snapshot.
//
// To follow a hall without a gap, Subscribe first, then call Since (or Snapshot), and drop
// subscribed events whose Seq is not above the last one already handled.
func (q *Queue) Since(ctx context.Context, code string, seq uint64) ([]hall.Event, bool, error) {
	l, _, err := q.hall(code)
	if err != nil {
		return nil, false, err
	}
	if q.replica {
		// A client may have seen, from the owner, events this replica's watch has not brought
		// yet: wait a little for them rather than send it a snapshot.
		for deadline := time.Now().Add(replicaCatchUp); l.Committed() < seq && time.Now().Before(deadline) && ctx.Err() == nil; {
			time.Sleep(10 * time.Millisecond)
		}
	}
	return l.Since(ctx, seq)
}

// replicaCatchUp is how long a replica's Since waits for a seq it has not seen yet.
const replicaCatchUp = 3 * time.Second

// LastSeq returns the seq of the hall's last committed event.
func (q *Queue) LastSeq(code string) (uint64, error) {
	l, _, err := q.hall(code)
	if err != nil {
		return 0, err
	}
	return l.Committed(), nil
}

// Subscribe delivers every event of the hall committed after the call, in order. The channel is
// closed by cancel, by Close, or when the subscriber falls more than buffer events behind (it must
// then resynchronise from Since or a snapshot). An unknown hall gives a closed channel. Events are
// shared by all subscribers (Ticket, Counter and Waiting point to the same values): read them,
// never modify them. Tickets in events are full (person ID, channel): apply Ticket.Public before
// sending them to public streams.
func (q *Queue) Subscribe(code string, buffer int) (<-chan hall.Event, func()) {
	l, ok := q.host.Log(code)
	if !ok {
		ch := make(chan hall.Event, max(buffer, 1))
		close(ch)
		return ch, func() {}
	}
	return l.Subscribe(buffer)
}
