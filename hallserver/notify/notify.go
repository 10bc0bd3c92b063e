// Package notify tells the people who must act: it reads the case log from its cursor, turns
// each event into notifications (who: the department's handlers, its group robot, the office;
// where: WeChat Work, the robot, e-mail), puts them in a durable outbox (the store seam, bolt
// NoticeStore) and delivers them with capped exponential backoff. See docs/NOTIFY.md.
//
// Guarantees. Adding an event batch's notifications and moving the cursor are one transaction,
// and each notification has a dedupe key (event seq, channel, recipient) that is remembered after
// delivery: a crash or an outage delays notifications but never loses one nor makes one twice.
// Sending is at least once: a crash after the channel took a notification but before the outbox
// marked it delivered sends it again. WeChat Work application messages carry the API's duplicate
// check (the same body within 4 hours is delivered once), so they reach the member once; robot
// posts and e-mails (Message-ID is the dedupe key) may repeat in that window only.
//
// Quiet hours of a department hold its notifications (all but urgent ones: escalations and
// supervision) until the hours end.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"onedoor/hallserver/hall"
)

// subscribeBuffer is the case events the subscription holds before the log closes it (they are
// shared, not copied); resubscribeAfter is the wait before a closed one is taken again.
const (
	subscribeBuffer  = 4096
	resubscribeAfter = 50 * time.Millisecond
)

// CursorName is the notifier's cursor in the store (next to the webhook deliverers').
const CursorName = "notify"

// Log is the case log (bolt.Cases).
type Log interface {
	EventsAfter(ctx context.Context, after uint64, limit int) ([]hall.CaseEvent, error)
	LastSeq() uint64
}

// Subscriber, when the Log implements it, wakes the notifier as events are committed.
type Subscriber interface {
	Subscribe(buffer int) (<-chan hall.CaseEvent, func())
}

// Store is the outbox (bolt.NoticeStore).
type Store interface {
	Cursor(ctx context.Context, name string) (uint64, bool, error)
	Enqueue(ctx context.Context, name string, seq uint64, ns []hall.Notification) (int, error)
	Pending(ctx context.Context) ([]hall.Notification, error)
	Delivered(ctx context.Context, key string, at time.Time) error
	Update(ctx context.Context, n hall.Notification) (bool, error)
	PruneDelivered(ctx context.Context, before time.Time) (int, error)
}

// Halls is the halls' event logs (enginehost.Queue), for the device alerts.
type Halls interface {
	// Since returns the hall's committed events after seq; ok is false when seq is unknown or
	// too far behind (the notifier then starts again at the end).
	Since(ctx context.Context, code string, seq uint64) ([]hall.Event, bool, error)
	LastSeq(code string) (uint64, error)
}

// HallCursorPrefix starts the cursor name of a hall's log ("notify.hall.<code>").
const HallCursorPrefix = "notify.hall."

// Directory tells who works where: the staff accounts and the campus's departments.
type Directory interface {
	ListStaff(ctx context.Context) ([]hall.Staff, error)
	Campus(ctx context.Context) (hall.Campus, error)
}

// AppSender sends WeChat Work application messages (a textcard) to members; it returns the user
// IDs WeChat Work did not take (wecom.Client through an adapter in cmd).
type AppSender interface {
	SendCard(ctx context.Context, users []string, title, description, url string) (invalid []string, err error)
}

// RobotSender posts markdown to a group robot (wecom.Robots).
type RobotSender interface {
	Send(ctx context.Context, key, markdown string) error
}

// MailSender sends one e-mail; id is the notification's dedupe key (its Message-ID).
type MailSender interface {
	SendMail(ctx context.Context, to, subject, body, id string) error
}

// Permanent marks a sending error that retrying cannot fix (an unknown user, a bad key): the
// notification becomes a dead letter at once.
type Permanent struct{ Err error }

func (p *Permanent) Error() string { return p.Err.Error() }
func (p *Permanent) Unwrap() error { return p.Err }

// RequesterContact returns the WeChat Work user ID of an identified requester of the case, or ""
// (the seam for the identity of requesters: CAS or WeChat Work OAuth).
type RequesterContact func(ctx context.Context, c *hall.Case) string

// Defaults of Config.
const (
	DefaultMinBackoff = 2 * time.Second
	DefaultMaxBackoff = 10 * time.Minute
	DefaultProbe      = 30 * time.Second
	DefaultDeadAfter  = 12
	DefaultPoll       = 2 * time.Second
	DefaultParallel   = 16
	// KeepDelivered is how long the dedupe keys of delivered notifications are kept.
	KeepDelivered = 30 * 24 * time.Hour
)

// Config configures a Notifier. Log, Store and Directory are required; channels without a sender
// are not used.
type Config struct {
	Log       Log
	Store     Store
	Directory Directory
	App       AppSender
	Robot     RobotSender
	Mail      MailSender
	Requester RequesterContact
	// Halls, when set, makes raised device alerts (a printer out of paper, a silent kiosk)
	// notifications to the hall's counter staff.
	Halls Halls
	// PublicURL is the base of the links in notifications (the inbox: {PublicURL}/cases?case=N).
	PublicURL string
	// Demo gives every staff member without a WeChat Work user ID their username as one.
	Demo bool
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// MinBackoff doubles per failed attempt up to MaxBackoff (jittered to between half and all);
	// after DeadAfter attempts a notification is a dead letter.
	MinBackoff, MaxBackoff time.Duration
	DeadAfter              int
	// Probe bounds how long a channel that failed (WeChat Work's API, a robot, the mail server)
	// goes untried while notices wait for it: when none of its notices is due for longer, the
	// one due first is tried as a probe (a failed probe does not count as an attempt). Any
	// notice the channel takes makes all its waiting notices due at once, so an outage of any
	// length ends for everyone within Probe of the channel's return, not after a backoff of up
	// to MaxBackoff (default DefaultProbe).
	Probe time.Duration
	// Poll is how often the log and the outbox are read when nothing wakes the notifier.
	Poll time.Duration
	// Parallel bounds the sends in flight.
	Parallel int
}

// Status is a snapshot of the notifier.
type Status struct {
	Cursor    uint64 `json:"cursor"`
	LastSeq   uint64 `json:"lastSeq"`
	Pending   int    `json:"pending"`
	Dead      int    `json:"dead"`
	Delivered uint64 `json:"delivered"`
	Failures  uint64 `json:"failures"`
}

// Notifier turns case events into notifications and delivers them. Create it with New, run it
// with Run.
type Notifier struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	cursor   uint64
	inflight map[string]bool
	// Per channel (chanOf): when it was last tried, how many notices wait for it after failed
	// attempts, whether it took one since (release the waiting ones), which sends are probes.
	lastTry   map[string]time.Time
	retrying  map[string]int
	release   map[string]bool
	probing   map[string]bool
	delivered uint64
	failures  uint64
	pending   int
	dead      int
}

// New checks the configuration and fills in the defaults.
func New(cfg Config) (*Notifier, error) {
	if cfg.Log == nil || cfg.Store == nil || cfg.Directory == nil {
		return nil, errors.New("notify: Log, Store and Directory are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.MinBackoff, DefaultMinBackoff)
	def(&cfg.MaxBackoff, DefaultMaxBackoff)
	def(&cfg.Poll, DefaultPoll)
	def(&cfg.Probe, DefaultProbe)
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.DeadAfter <= 0 {
		cfg.DeadAfter = DefaultDeadAfter
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	n := &Notifier{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1), inflight: map[string]bool{},
		lastTry: map[string]time.Time{}, retrying: map[string]int{}, release: map[string]bool{}, probing: map[string]bool{}}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.log = n.log.With("component", "notify")
	return n, nil
}

// Status returns the notifier's progress.
func (n *Notifier) Status() Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	return Status{Cursor: n.cursor, LastSeq: n.cfg.Log.LastSeq(), Pending: n.pending, Dead: n.dead,
		Delivered: n.delivered, Failures: n.failures}
}

func (n *Notifier) kick() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run feeds the outbox from the case log and delivers it until ctx ends. A notifier without a
// stored cursor starts at the end of the log (it does not notify the past); so does one whose
// cursor is past the log's end (the cursor of another log: with -etcd the outbox fails over
// while the case log is still each server's own), as the halls' cursors do.
func (n *Notifier) Run(ctx context.Context) error {
	cur, ok, err := n.cfg.Store.Cursor(ctx, CursorName)
	if err != nil {
		return err
	}
	if !ok || cur > n.cfg.Log.LastSeq() {
		cur = n.cfg.Log.LastSeq()
		if _, err := n.cfg.Store.Enqueue(ctx, CursorName, cur, nil); err != nil {
			return err
		}
	}
	n.mu.Lock()
	n.cursor = cur
	n.mu.Unlock()
	// The subscription only wakes the notifier (the log is read from the cursor); one that fell
	// behind (a slow fsync while cases pour in) is closed by the log and taken again after
	// resubscribeAfter, the log read from the cursor meanwhile (not at once: a log being closed
	// would close it again and again; not at the next poll: new events would wait up to Poll,
	// measured as stalls of 2 s at 100 cases a second through /ask, cmd/askload).
	var events <-chan hall.CaseEvent
	unsubscribe := func() {}
	defer func() { unsubscribe() }()
	subscribe := func() {
		if s, ok := n.cfg.Log.(Subscriber); ok {
			unsubscribe()
			events, unsubscribe = s.Subscribe(subscribeBuffer)
		}
	}
	subscribe()
	var resub <-chan time.Time
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n.deliverLoop(ctx)
	}()
	defer wg.Wait()
	t := time.NewTicker(n.cfg.Poll)
	defer t.Stop()
	for {
		if err := n.feed(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("notify: read the case log", "err", err)
		}
		if err := n.feedHalls(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("notify: read the halls' logs", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-events:
			// One feed reads every event committed so far: drain the wake-ups that came with
			// them, or the subscription fills (one entry per event, one taken per feed) and is
			// closed, and new events wait for the next poll (measured: stalls of ~1 s at 100
			// cases a second through /ask, cmd/askload).
			for ok {
				select {
				case _, ok = <-events:
					continue
				default:
				}
				break
			}
			if !ok {
				events = nil
				resub = time.After(min(resubscribeAfter, n.cfg.Poll))
			}
		case <-resub:
			resub = nil
			subscribe()
		case <-t.C:
			if events == nil && resub == nil {
				subscribe()
			}
		}
	}
}

// feed adds the notifications of every event after the cursor.
func (n *Notifier) feed(ctx context.Context) error {
	for {
		n.mu.Lock()
		cur := n.cursor
		n.mu.Unlock()
		evs, err := n.cfg.Log.EventsAfter(ctx, cur, 256)
		if err != nil || len(evs) == 0 {
			return err
		}
		var batch []hall.Notification
		staff, campus, err := n.directory(ctx)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			batch = append(batch, n.notificationsOf(ctx, ev, staff, campus)...)
		}
		last := evs[len(evs)-1].Seq
		added, err := n.cfg.Store.Enqueue(ctx, CursorName, last, batch)
		if err != nil {
			return err
		}
		n.mu.Lock()
		n.cursor = last
		n.mu.Unlock()
		if added > 0 {
			n.kick()
		}
	}
}

// feedHalls adds the notifications of the device alerts of every hall after its cursor. A hall
// without a cursor (new, or a first start) begins at the end of its log.
func (n *Notifier) feedHalls(ctx context.Context) error {
	if n.cfg.Halls == nil || (n.cfg.App == nil && n.cfg.Mail == nil) {
		return nil
	}
	staff, campus, err := n.directory(ctx)
	if err != nil {
		return err
	}
	for _, h := range campus.Halls {
		name := HallCursorPrefix + h.Code
		cur, ok, err := n.cfg.Store.Cursor(ctx, name)
		if err != nil {
			return err
		}
		last, err := n.cfg.Halls.LastSeq(h.Code)
		if err != nil {
			continue // a hall the queue does not run (yet)
		}
		if !ok || cur > last {
			if _, err := n.cfg.Store.Enqueue(ctx, name, last, nil); err != nil {
				return err
			}
			continue
		}
		if cur == last {
			continue
		}
		evs, ok, err := n.cfg.Halls.Since(ctx, h.Code, cur)
		if err != nil {
			return err
		}
		if !ok { // too far behind to replay: start again at the end
			if _, err := n.cfg.Store.Enqueue(ctx, name, last, nil); err != nil {
				return err
			}
			continue
		}
		if len(evs) == 0 {
			continue
		}
		var batch []hall.Notification
		for _, ev := range evs {
			batch = append(batch, n.deviceNotifications(h.Code, ev, staff, campus)...)
		}
		added, err := n.cfg.Store.Enqueue(ctx, name, evs[len(evs)-1].Seq, batch)
		if err != nil {
			return err
		}
		if added > 0 {
			n.kick()
		}
	}
	return nil
}

func (n *Notifier) directory(ctx context.Context) ([]hall.Staff, hall.Campus, error) {
	staff, err := n.cfg.Directory.ListStaff(ctx)
	if err != nil {
		return nil, hall.Campus{}, fmt.Errorf("notify: staff: %w", err)
	}
	c, err := n.cfg.Directory.Campus(ctx)
	if err != nil {
		return nil, hall.Campus{}, fmt.Errorf("notify: campus: %w", err)
	}
	return staff, c, nil
}

// deliverLoop sends the due notifications until ctx ends.
func (n *Notifier) deliverLoop(ctx context.Context) {
	sem := make(chan struct{}, n.cfg.Parallel)
	var wg sync.WaitGroup
	defer wg.Wait()
	lastPrune := time.Time{}
	for {
		next := n.deliverDue(ctx, sem, &wg)
		if now := n.cfg.Now(); now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			if _, err := n.cfg.Store.PruneDelivered(ctx, now.Add(-KeepDelivered)); err != nil && ctx.Err() == nil {
				n.log.Warn("notify: prune delivered keys", "err", err)
			}
		}
		wait := n.cfg.Poll
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(n.cfg.Now()), 10*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-n.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// deliverDue starts the sends of every due notification not in flight; it returns the earliest
// time a waiting one falls due (zero: none).
func (n *Notifier) deliverDue(ctx context.Context, sem chan struct{}, wg *sync.WaitGroup) time.Time {
	all, err := n.cfg.Store.Pending(ctx)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Error("notify: read the outbox", "err", err)
		}
		return time.Time{}
	}
	now := n.cfg.Now()
	var next time.Time
	dead := 0
	// WeChat Work messages of the same event and text go out as one call (touser "a|b").
	type group struct{ ns []hall.Notification }
	groups := map[string]*group{}
	var order []string
	var singles []hall.Notification
	take := func(x hall.Notification) {
		n.inflight[x.Key] = true
		if x.Channel == hall.NoticeWecom {
			gk := fmt.Sprint(x.Hall, "\x00", x.Seq, "\x00", x.Title, "\x00", x.Body, "\x00", x.URL)
			g := groups[gk]
			if g == nil || len(g.ns) >= 1000 {
				g = &group{}
				groups[gk] = g
				order = append(order, gk)
			}
			g.ns = append(g.ns, x)
			return
		}
		singles = append(singles, x)
	}
	busy := map[string]bool{}               // channels with a notice due or in flight
	first := map[string]hall.Notification{} // per channel, the retried notice due first
	retrying := map[string]int{}
	n.mu.Lock()
	release := n.release
	n.release = map[string]bool{}
	for _, x := range all {
		if x.Dead {
			dead++
			continue
		}
		ch := chanOf(x)
		if n.inflight[x.Key] {
			busy[ch] = true
			continue
		}
		if x.NextAt.After(now) && !(x.Attempts > 0 && release[ch]) {
			if x.Attempts > 0 {
				retrying[ch]++
				if f, ok := first[ch]; !ok || x.NextAt.Before(f.NextAt) {
					first[ch] = x
				}
			}
			if next.IsZero() || x.NextAt.Before(next) {
				next = x.NextAt
			}
			continue
		}
		busy[ch] = true
		take(x)
	}
	// A channel none of whose notices is due is probed with the one due first once Probe has
	// passed since it was last tried.
	for ch, x := range first {
		if busy[ch] {
			continue
		}
		at := n.lastTry[ch].Add(n.cfg.Probe)
		if !at.After(now) {
			n.probing[x.Key] = true
			n.lastTry[ch] = now
			take(x)
			continue
		}
		if at.Before(x.NextAt) && at.Before(next) {
			next = at
		}
	}
	n.retrying = retrying
	n.pending, n.dead = len(all)-dead, dead
	n.mu.Unlock()
	run := func(f func()) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f()
		}()
	}
	for _, gk := range order {
		ns := groups[gk].ns
		run(func() { n.sendApp(ctx, ns) })
	}
	for _, x := range singles {
		if x.Channel == hall.NoticeRobot {
			// A robot send waits for its robot's rate limit (up to minutes): it must not hold a
			// slot the other channels need. The Robots queue bounds what it sends.
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.finish(ctx, x, n.sendOne(ctx, x))
			}()
			continue
		}
		run(func() { n.finish(ctx, x, n.sendOne(ctx, x)) })
	}
	return next
}

func (n *Notifier) sendApp(ctx context.Context, ns []hall.Notification) {
	if n.cfg.App == nil {
		for _, x := range ns {
			n.finish(ctx, x, &Permanent{errors.New("WeChat Work is not configured")})
		}
		return
	}
	users := make([]string, len(ns))
	for i, x := range ns {
		users[i] = x.To
	}
	invalid, err := n.cfg.App.SendCard(ctx, users, ns[0].Title, ns[0].Body, ns[0].URL)
	bad := map[string]bool{}
	for _, u := range invalid {
		bad[strings.ToLower(u)] = true
	}
	for _, x := range ns {
		e := err
		if e == nil && bad[strings.ToLower(x.To)] {
			e = &Permanent{fmt.Errorf("WeChat Work does not know user %q", x.To)}
		}
		n.finish(ctx, x, e)
	}
}

func (n *Notifier) sendOne(ctx context.Context, x hall.Notification) error {
	switch x.Channel {
	case hall.NoticeRobot:
		if n.cfg.Robot == nil {
			return &Permanent{errors.New("WeChat Work robots are not configured")}
		}
		return n.cfg.Robot.Send(ctx, x.To, robotMarkdown(x))
	case hall.NoticeEmail:
		if n.cfg.Mail == nil {
			return &Permanent{errors.New("e-mail is not configured")}
		}
		return n.cfg.Mail.SendMail(ctx, x.To, x.Title, x.Body+"\n\n"+x.URL, x.Key)
	}
	return &Permanent{fmt.Errorf("unknown channel %q", x.Channel)}
}

// chanOf names the channel whose outage holds a notification: WeChat Work's application API,
// one robot (by its key), the mail server.
func chanOf(x hall.Notification) string {
	if x.Channel == hall.NoticeRobot {
		return string(x.Channel) + "\x00" + x.To
	}
	return string(x.Channel)
}

// finish records the outcome of one notification's attempt.
func (n *Notifier) finish(ctx context.Context, x hall.Notification, err error) {
	ch := chanOf(x)
	n.mu.Lock()
	probe := n.probing[x.Key]
	delete(n.probing, x.Key)
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.inflight, x.Key)
		n.mu.Unlock()
	}()
	if ctx.Err() != nil {
		return // stopping: the attempt's outcome is unknown; it is tried again after the restart
	}
	now := n.cfg.Now()
	var p *Permanent
	n.mu.Lock()
	n.lastTry[ch] = now
	back := err == nil && n.retrying[ch] > 0
	if back {
		n.release[ch] = true // the channel is back: its waiting notices need not wait their backoff
	}
	n.mu.Unlock()
	if back {
		n.kick()
	}
	if probe && err != nil && !errors.As(err, &p) {
		// A failed probe only says the channel is still out: the notice keeps its attempts and
		// its due time.
		n.mu.Lock()
		n.failures++
		n.mu.Unlock()
		return
	}
	if err == nil {
		if e := n.cfg.Store.Delivered(ctx, x.Key, now); e != nil {
			n.log.Error("notify: mark delivered", "key", x.Key, "err", e)
			return
		}
		n.mu.Lock()
		n.delivered++
		n.mu.Unlock()
		return
	}
	n.mu.Lock()
	n.failures++
	n.mu.Unlock()
	x.Attempts++
	x.LastError = err.Error()
	if errors.As(err, &p) || x.Attempts >= n.cfg.DeadAfter {
		x.Dead = true
		n.log.Warn("notify: dead letter", "key", x.Key, "case", x.Case, "channel", x.Channel, "attempts", x.Attempts, "err", err)
	} else {
		x.NextAt = now.Add(n.backoff(x.Attempts))
	}
	if _, e := n.cfg.Store.Update(ctx, x); e != nil {
		n.log.Error("notify: update notification", "key", x.Key, "err", e)
	}
}

// backoff is the wait after the given number of failed attempts: MinBackoff doubled per attempt,
// capped at MaxBackoff, jittered to between half and all of it.
func (n *Notifier) backoff(attempts int) time.Duration {
	d := n.cfg.MinBackoff
	for i := 1; i < attempts && d < n.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, n.cfg.MaxBackoff)
	return d/2 + time.Duration(rand.Float64()*float64(d/2))
}

// DeadLetters returns the notifications that failed too often.
func (n *Notifier) DeadLetters(ctx context.Context) ([]hall.Notification, error) {
	all, err := n.cfg.Store.Pending(ctx)
	if err != nil {
		return nil, err
	}
	out := []hall.Notification{}
	for _, x := range all {
		if x.Dead {
			out = append(out, x)
		}
	}
	return out, nil
}

// ErrNotFound is returned by Retry for a key that is not a dead letter.
var ErrNotFound = errors.New("notify: no such dead letter")

// Retry makes a dead letter due again with a fresh count of attempts.
func (n *Notifier) Retry(ctx context.Context, key string) error {
	all, err := n.cfg.Store.Pending(ctx)
	if err != nil {
		return err
	}
	for _, x := range all {
		if x.Key == key && x.Dead {
			x.Dead, x.Attempts, x.NextAt = false, 0, n.cfg.Now()
			ok, err := n.cfg.Store.Update(ctx, x)
			if err != nil {
				return err
			}
			if !ok {
				return ErrNotFound
			}
			n.kick()
			return nil
		}
	}
	return ErrNotFound
}
