package kiosk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"onedoor/drivers/escpos"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
)

// Screen is what the kiosk shows.
type Screen string

// Screens.
const (
	ScreenHome         Screen = "home"
	ScreenOptions      Screen = "options"   // standard or priority lane, optional number
	ScreenKeypad       Screen = "keypad"    // student/staff number
	ScreenIssuing      Screen = "issuing"   // waiting for the server
	ScreenResult       Screen = "result"    // the ticket: number, ahead, ETA, materials, QR
	ScreenKind         Screen = "req-kind"  // consultation, complaint or suggestion
	ScreenTopic        Screen = "req-topic" // topic buttons
	ScreenConfirm      Screen = "req-confirm"
	ScreenSubmitting   Screen = "req-submitting"
	ScreenReceipt      Screen = "req-receipt"
	ScreenOutOfService Screen = "out-of-service"
	ScreenPIN          Screen = "staff-pin"
)

// Server is what the flow needs of the hall server (a *client.Client).
type Server interface {
	Issue(ctx context.Context, hall string, req client.IssueRequest, idemKey string) (*client.Ticket, error)
	Health(ctx context.Context) error
}

// DeviceReporter tells the hall server about the kiosk's printer and request storage.
type DeviceReporter interface {
	ReportDevice(ctx context.Context, hall string, r hall.DeviceReport) error
}

// ReporterFunc adapts a function to DeviceReporter.
type ReporterFunc func(ctx context.Context, hall string, r hall.DeviceReport) error

// ReportDevice implements DeviceReporter.
func (f ReporterFunc) ReportDevice(ctx context.Context, hall string, r hall.DeviceReport) error {
	return f(ctx, hall, r)
}

// ServiceView is a service button of the home screen.
type ServiceView struct {
	hall.ServiceStatus
	Full bool // the server said no more numbers today
}

// TicketResult is an issued ticket as the result screen shows it.
type TicketResult struct {
	ID         string
	Number     string
	Service    hall.Text
	Priority   bool
	Ahead      int
	EtaSeconds int
	Materials  []hall.Text
	FollowURL  string
	IssuedAt   time.Time
	Printing   bool   // the printer is still working on it
	Printed    bool   // the printer took it
	PrintFault string // hall.Device* state when it did not print
}

// RequestResult is a logged walk-in request as the receipt screen shows it.
type RequestResult struct {
	Kind      string
	Topic     Topic
	Case      *CaseReceipt // nil while it waits in the outbox
	Queued    bool         // kept in the outbox: the case system is away
	Reference string       // local reference of a queued request
	// NotKept says the request could be neither stored in the outbox (its write failed: a full
	// disk) nor sent: nothing keeps it, and the screen sends the person to a counter.
	NotKept    bool
	Ticket     *TicketResult
	Printing   bool
	Printed    bool
	PrintFault string
}

// State is a copy of everything the UI needs to draw the current screen.
type State struct {
	// Rev changes whenever the screen must be rebuilt; live values (clock, counts) change
	// without it.
	Rev        uint64
	Screen     Screen
	Lang       string
	Now        time.Time
	Loc        *time.Location
	HallName   hall.Text
	Services   []ServiceView
	Online     bool
	Connecting bool // never reached the server yet
	Notice     Msg  // a message for the current screen ("" none)
	Service    string
	Priority   bool
	PersonID   string
	Ticket     *TicketResult
	Kind       string
	Topic      string
	Request    *RequestResult
	Topics     []Topic
	// RequestTicket says a walk-in request may come with a ticket (the hall has the service
	// and the server is reachable).
	RequestTicket bool
	PINDigits     int
	Printer       PrinterStatus
	OOSHint       hall.Text
	// Notices are the hall's notice line (the snapshot's, kept current by notice.published and
	// notice.withdrawn events), oldest first. The home screen rotates through them; a change
	// of their texts is live, their coming or going rebuilds the screen.
	Notices []hall.Notice
}

// Service returns the service view with the code.
func (s *State) ServiceByCode(code string) (ServiceView, bool) {
	for _, v := range s.Services {
		if v.Code == code {
			return v, true
		}
	}
	return ServiceView{}, false
}

// Config is what a Flow works with. Server, Printer, Cases and Spool are required.
type Config struct {
	Hall      string
	Server    Server
	Printer   Printer
	Cases     CaseSubmitter
	Spool     *Spool
	Reporter  DeviceReporter // nil: printer and storage states are not reported
	Catalogue Catalogue
	PIN       string         // staff exit PIN; empty: staff exit disabled
	Lang      string         // default language ("zh")
	Loc       *time.Location // the hall's zone (Asia/Shanghai when nil)
	Timing    Timing
	Now       func() time.Time // time.Now when nil
	NewKey    func() string    // idempotency keys; random when nil
	OnExit    func()           // staff exit confirmed
	Log       *slog.Logger
}

// Flow is the kiosk's state machine. Its methods are safe for concurrent use; the UI calls them
// on touches, Run on stream messages and ticks. I/O (issue, print, submit) runs on goroutines
// started with the context given to Start, and its results change the state later; OnChange
// listeners learn of every change.
type Flow struct {
	cfg Config
	tm  Timing
	log *slog.Logger

	mu       sync.Mutex
	st       State
	ctx      context.Context
	wg       sync.WaitGroup
	onChange []func()

	lastTouch   time.Time
	screenSince time.Time
	attempt     string // idempotency key of the current ticket attempt
	reqKey      string // idempotency key of the current walk-in request
	full        map[string]bool
	seq         uint64 // last stream seq applied
	haveSnap    bool
	streamUp    bool
	downSince   time.Time
	issueDown   bool // an issue failed for server reasons; cleared by a probe or a reconnect
	probing     bool
	pinEntry    string
	pinFails    int
	pinLocked   time.Time
	cornerDown  time.Time
	storage     hall.DeviceReport // the outbox's last write: "" none yet, ok or error
	reports     map[string]*partReport
	outboxKick  chan struct{}
}

// NewFlow returns a flow on the out-of-service screen ("connecting") until the first snapshot.
func NewFlow(cfg Config) *Flow {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewKey == nil {
		cfg.NewKey = randomKey
	}
	if cfg.Lang != "en" {
		cfg.Lang = "zh"
	}
	if cfg.Loc == nil {
		if loc, err := time.LoadLocation(hall.DefaultTimeZone); err == nil {
			cfg.Loc = loc
		} else {
			cfg.Loc = time.FixedZone("CST", 8*3600)
		}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Catalogue.Topics) == 0 {
		cfg.Catalogue = DefaultCatalogue()
	}
	if cfg.Printer == nil {
		cfg.Printer = NoPrinter{}
	}
	now := cfg.Now()
	f := &Flow{cfg: cfg, tm: cfg.Timing.withDefaults(), log: cfg.Log, full: map[string]bool{},
		ctx: context.Background(), lastTouch: now, screenSince: now, outboxKick: make(chan struct{}, 1),
		reports: map[string]*partReport{}}
	f.st = State{Rev: 1, Screen: ScreenOutOfService, Lang: cfg.Lang, Now: now, Loc: cfg.Loc,
		Connecting: true, Topics: cfg.Catalogue.Topics, OOSHint: cfg.Catalogue.OutOfServiceHint,
		HallName: hall.Text{Zh: cfg.Hall, En: cfg.Hall}}
	return f
}

// randomKey returns 128 random bits in hex.
func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Start sets the context of the flow's background I/O. Call it once before touches arrive;
// Wait waits for the I/O started so far.
func (f *Flow) Start(ctx context.Context) {
	f.mu.Lock()
	f.ctx = ctx
	f.mu.Unlock()
}

// Wait waits for the background I/O the flow started.
func (f *Flow) Wait() { f.wg.Wait() }

// OnChange registers a function called (on the goroutine that made the change, without locks
// held) after every state change.
func (f *Flow) OnChange(fn func()) {
	f.mu.Lock()
	f.onChange = append(f.onChange, fn)
	f.mu.Unlock()
}

// State returns a copy of the current state.
func (f *Flow) State() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.st
	s.Services = append([]ServiceView(nil), f.st.Services...)
	s.Notices = append([]hall.Notice(nil), f.st.Notices...)
	return s
}

// update runs fn under the lock and notifies listeners afterwards.
func (f *Flow) update(fn func()) {
	f.mu.Lock()
	fn()
	ls := f.onChange
	f.mu.Unlock()
	for _, l := range ls {
		l()
	}
}

// goLocked moves to screen s (rebuild) and restarts its timers.
func (f *Flow) goLocked(s Screen) {
	f.st.Screen = s
	f.st.Rev++
	f.screenSince = f.cfg.Now()
}

// onlineLocked reports whether the kiosk may issue numbers.
func (f *Flow) onlineLocked() bool {
	return f.haveSnap && f.streamUp && !f.issueDown
}

// homeLocked returns to the home screen (or out-of-service), forgetting everything the person
// entered. Language goes back to the default when reset says so (a new person).
func (f *Flow) homeLocked(reset bool) {
	f.st.Service, f.st.Priority, f.st.PersonID = "", false, ""
	f.st.Kind, f.st.Topic = "", ""
	f.st.Ticket, f.st.Request = nil, nil
	f.st.Notice = ""
	f.attempt, f.reqKey, f.pinEntry = "", "", ""
	f.st.PINDigits = 0
	if reset {
		f.st.Lang = f.cfg.Lang
	}
	if f.st.Online {
		f.goLocked(ScreenHome)
	} else {
		f.goLocked(ScreenOutOfService)
	}
}

// touchLocked records a touch (idle timer).
func (f *Flow) touchLocked() { f.lastTouch = f.cfg.Now() }

// spawn runs fn on a goroutine tracked by Wait.
func (f *Flow) spawn(fn func(ctx context.Context)) {
	ctx := f.ctx
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		fn(ctx)
	}()
}

// Touch records a touch anywhere (resets the idle timer). A touch on the result or receipt
// screen finishes it.
func (f *Flow) Touch() {
	f.update(func() {
		f.touchLocked()
	})
}

// Finish leaves the result or receipt screen (a touch on it).
func (f *Flow) Finish() {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen == ScreenResult || f.st.Screen == ScreenReceipt {
			f.homeLocked(true)
		}
	})
}

// SetLang switches the language ("zh" or "en").
func (f *Flow) SetLang(lang string) {
	if lang != "en" {
		lang = "zh"
	}
	f.update(func() {
		f.touchLocked()
		if f.st.Lang != lang {
			f.st.Lang = lang
			f.st.Rev++
		}
	})
}

// ToggleLang switches between Chinese and English.
func (f *Flow) ToggleLang() {
	f.mu.Lock()
	l := "en"
	if f.st.Lang == "en" {
		l = "zh"
	}
	f.mu.Unlock()
	f.SetLang(l)
}

// Home goes back to the home screen, forgetting the input.
func (f *Flow) Home() {
	f.update(func() {
		f.touchLocked()
		switch f.st.Screen {
		case ScreenIssuing, ScreenSubmitting:
			return // the answer is on its way
		}
		f.homeLocked(false)
	})
}

// Back goes one step back.
func (f *Flow) Back() {
	f.update(func() {
		f.touchLocked()
		switch f.st.Screen {
		case ScreenKeypad:
			f.st.PersonID = ""
			f.goLocked(ScreenOptions)
		case ScreenTopic:
			f.st.Topic = ""
			f.goLocked(ScreenKind)
		case ScreenConfirm:
			f.reqKey = ""
			f.goLocked(ScreenTopic)
		case ScreenOptions, ScreenKind, ScreenPIN:
			f.homeLocked(false)
		}
	})
}

// ChooseService is the first touch of a ticket: the service button on the home screen.
func (f *Flow) ChooseService(code string) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenHome || !f.st.Online {
			return
		}
		v, ok := f.st.ServiceByCode(code)
		if !ok || v.Full {
			return
		}
		f.st.Service, f.st.Priority, f.st.PersonID, f.st.Notice = code, false, "", ""
		f.attempt = f.cfg.NewKey()
		f.goLocked(ScreenOptions)
	})
}

// OpenKeypad shows the number keypad (optional student/staff number).
func (f *Flow) OpenKeypad(priority bool) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen == ScreenOptions {
			f.st.Priority = priority
			f.goLocked(ScreenKeypad)
		}
	})
}

// maxPersonID bounds the keypad entry (the server takes at most 32).
const maxPersonID = 20

// KeypadKey handles a keypad key: a digit, "del" or "clear".
func (f *Flow) KeypadKey(k string) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenKeypad {
			return
		}
		switch {
		case k == "del":
			if n := len(f.st.PersonID); n > 0 {
				f.st.PersonID = f.st.PersonID[:n-1]
			}
		case k == "clear":
			f.st.PersonID = ""
		case len(k) == 1 && k[0] >= '0' && k[0] <= '9' && len(f.st.PersonID) < maxPersonID:
			f.st.PersonID += k
		default:
			return
		}
	})
}

// TakeTicket issues the ticket of the chosen service (standard or priority lane). Only the
// first call of an attempt does anything: a double tap issues one ticket, and every retry of
// the request carries the attempt's idempotency key.
func (f *Flow) TakeTicket(priority bool) {
	f.update(func() {
		f.touchLocked()
		switch f.st.Screen {
		case ScreenOptions:
			f.st.Priority = priority
		case ScreenKeypad:
			// the lane was chosen before the keypad opened
		default:
			return
		}
		if f.attempt == "" {
			return
		}
		req := client.IssueRequest{Service: f.st.Service, Priority: f.st.Priority, Lang: f.st.Lang, PersonID: f.st.PersonID}
		key := f.attempt
		name := hall.Text{Zh: req.Service, En: req.Service}
		if v, ok := f.st.ServiceByCode(req.Service); ok {
			name = v.Name
		}
		f.goLocked(ScreenIssuing)
		f.spawn(func(ctx context.Context) { f.issue(ctx, key, req, name) })
	})
}

// serverTrouble reports whether an issue error means the server cannot issue now (unreachable,
// unavailable, or the kiosk's token refused), as opposed to a refusal of this request.
func serverTrouble(err error) bool {
	switch client.Code(err) {
	case "", hall.EUNAVAILABLE, hall.EINTERNAL, hall.EUNAUTHORIZED, hall.EFORBIDDEN:
		return true
	}
	return false
}

// retryable reports whether the same request may succeed when sent again.
func retryable(err error) bool {
	c := client.Code(err)
	return c == "" || c == hall.EUNAVAILABLE
}

// issueWithRetry sends the issue request up to IssueTries times with the same key.
func (f *Flow) issueWithRetry(ctx context.Context, key string, req client.IssueRequest) (*client.Ticket, error) {
	var err error
	for try := 0; try < f.tm.IssueTries; try++ {
		if try > 0 {
			t := time.NewTimer(time.Duration(try) * 300 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
		}
		c, cancel := context.WithTimeout(ctx, f.tm.IssueTry)
		var t *client.Ticket
		t, err = f.cfg.Server.Issue(c, f.cfg.Hall, req, key)
		cancel()
		if err == nil {
			return t, nil
		}
		if !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

// issue runs on a goroutine: issue, show, print.
func (f *Flow) issue(ctx context.Context, key string, req client.IssueRequest, name hall.Text) {
	t, err := f.issueWithRetry(ctx, key, req)
	if err != nil {
		f.log.Warn("issue failed", "service", req.Service, "err", err)
		f.update(func() {
			if f.attempt != key {
				return
			}
			switch {
			case serverTrouble(err):
				f.markIssueDownLocked()
				f.homeLocked(false)
			case client.Code(err) == hall.ECONFLICT:
				f.full[req.Service] = true
				f.applyFullLocked()
				f.homeLocked(false)
				f.st.Notice = "err.full"
			default:
				f.homeLocked(false)
				f.st.Notice = "err.rejected"
			}
		})
		return
	}
	res := &TicketResult{ID: t.ID, Number: t.Number, Service: name, Priority: t.Priority, Ahead: t.Ahead(),
		EtaSeconds: t.Eta(), Materials: t.Materials, FollowURL: t.FollowURL, IssuedAt: t.IssuedAt, Printing: true}
	var hallName hall.Text
	f.update(func() {
		hallName = f.st.HallName
		if f.attempt != key {
			return
		}
		f.attempt = "" // spent: nothing more can be issued from this attempt
		f.st.Ticket = res
		f.goLocked(ScreenResult)
	})
	data := f.ticketData(hallName, res)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	st, perr := f.cfg.Printer.PrintTicket(pctx, data)
	cancel()
	if perr != nil {
		f.log.Warn("ticket not printed", "number", res.Number, "state", st.State, "err", perr)
	}
	f.update(func() {
		f.setPrinterLocked(st)
		if f.st.Ticket != res {
			return
		}
		r := *res
		r.Printing, r.Printed = false, perr == nil
		if perr != nil {
			r.PrintFault = st.State
			f.screenSince = f.cfg.Now() // the person needs time to photograph the code
		}
		f.st.Ticket = &r
		f.st.Rev++
	})
}

// ticketData is what the printer prints for a ticket.
func (f *Flow) ticketData(hallName hall.Text, r *TicketResult) escpos.TicketData {
	mats := make([]string, 0, len(r.Materials))
	for _, m := range r.Materials {
		s := m.Zh
		if m.En != "" && m.En != m.Zh {
			s += " " + m.En
		}
		mats = append(mats, s)
	}
	issued := r.IssuedAt
	if issued.IsZero() {
		issued = f.cfg.Now()
	}
	return escpos.TicketData{
		Hall: hallName.Zh, HallEn: hallName.En, Service: r.Service.Zh, ServiceEn: r.Service.En,
		Number: r.Number, Ahead: r.Ahead, EtaSeconds: r.EtaSeconds, IssuedAt: issued, Loc: f.cfg.Loc,
		FollowURL: r.FollowURL, Materials: mats,
	}
}

// markIssueDownLocked shows the server as unreachable and starts probing it.
func (f *Flow) markIssueDownLocked() {
	f.issueDown = true
	f.refreshOnlineLocked()
	if f.probing {
		return
	}
	f.probing = true
	f.spawn(f.probe)
}

// probe asks /healthz with backoff (0.5 s doubling to 15 s) until the server answers.
func (f *Flow) probe(ctx context.Context) {
	wait := 500 * time.Millisecond
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			f.update(func() { f.probing = false })
			return
		case <-t.C:
		}
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f.cfg.Server.Health(c)
		cancel()
		if err == nil {
			f.update(func() {
				f.probing = false
				f.issueDown = false
				f.refreshOnlineLocked()
			})
			return
		}
		wait = min(2*wait, 15*time.Second)
	}
}

// refreshOnlineLocked recomputes Online and moves between home and out-of-service.
func (f *Flow) refreshOnlineLocked() {
	online := f.onlineLocked()
	if !online && !f.issueDown && f.haveSnap && !f.downSince.IsZero() &&
		f.cfg.Now().Sub(f.downSince) < f.tm.DownGrace {
		online = f.st.Online // a short drop: keep the screen for the grace period
	}
	if online == f.st.Online {
		return
	}
	f.st.Online = online
	if online {
		f.st.Connecting = false
	}
	f.st.Rev++
	switch {
	case online && f.st.Screen == ScreenOutOfService:
		f.goLocked(ScreenHome)
	case !online:
		switch f.st.Screen {
		case ScreenHome, ScreenOptions, ScreenKeypad:
			f.homeLocked(false)
		}
	}
}

// StreamState tells the flow whether the hall's stream is connected.
func (f *Flow) StreamState(connected bool) {
	f.update(func() {
		if connected == f.streamUp {
			return
		}
		f.streamUp = connected
		if connected {
			f.downSince = time.Time{}
			f.issueDown = false // the server answers again
		} else {
			f.downSince = f.cfg.Now()
		}
		f.refreshOnlineLocked()
	})
}

// ApplySnapshot replaces the hall's state (a stream snapshot or a fetched one). Snapshots older
// than what the flow has seen are ignored.
func (f *Flow) ApplySnapshot(s *hall.Snapshot) {
	f.update(func() {
		if f.haveSnap && s.Seq < f.seq {
			return
		}
		f.seq = s.Seq
		f.haveSnap = true
		if s.Name != f.st.HallName {
			f.st.HallName = s.Name
			f.st.Rev++
		}
		views := make([]ServiceView, len(s.Services))
		for i, sv := range s.Services {
			views[i] = ServiceView{ServiceStatus: sv}
		}
		f.setServicesLocked(views)
		f.applyFullLocked()
		f.setNoticesLocked(append([]hall.Notice(nil), s.Notices...))
		f.refreshOnlineLocked()
	})
}

// setNoticesLocked installs the notice line; its appearing or disappearing rebuilds the screen.
func (f *Flow) setNoticesLocked(ns []hall.Notice) {
	if (len(ns) == 0) != (len(f.st.Notices) == 0) {
		f.st.Rev++
	}
	f.st.Notices = ns
}

// applyNoticeLocked applies notice.published (a new notice goes last; a known ID is replaced in
// place) and notice.withdrawn (removed).
func (f *Flow) applyNoticeLocked(e *hall.Event) {
	if e.Notice == nil {
		return
	}
	ns := make([]hall.Notice, 0, len(f.st.Notices)+1)
	found := false
	for _, n := range f.st.Notices {
		if n.ID != e.Notice.ID {
			ns = append(ns, n)
			continue
		}
		found = true
		if e.Type == hall.EventNotice {
			ns = append(ns, *e.Notice)
		}
	}
	if e.Type == hall.EventNotice && !found {
		ns = append(ns, *e.Notice)
	}
	f.setNoticesLocked(ns)
}

// ApplyEvent applies a stream event: the waiting counts and the notice line. It reports whether the event may have
// changed what a snapshot shows beyond the counts (ETAs, open services), so the caller can
// fetch a fresh snapshot.
func (f *Flow) ApplyEvent(e *hall.Event) bool {
	f.update(func() {
		if e.Seq <= f.seq {
			return
		}
		f.seq = e.Seq
		switch e.Type {
		case hall.EventDayReset:
			f.full = map[string]bool{}
		case hall.EventNotice, hall.EventNoticeGone:
			f.applyNoticeLocked(e)
		}
		if e.Waiting == nil {
			return
		}
		views := append([]ServiceView(nil), f.st.Services...)
		for i := range views {
			if n, ok := e.Waiting[views[i].Code]; ok {
				views[i].Waiting = n
			}
		}
		f.setServicesLocked(views)
	})
	return true
}

// setServicesLocked installs new service views; a change of the set, of open or of full
// rebuilds the screen, a change of counts only is live.
func (f *Flow) setServicesLocked(views []ServiceView) {
	old := f.st.Services
	structural := len(old) != len(views)
	for i := 0; !structural && i < len(views); i++ {
		structural = old[i].Code != views[i].Code || old[i].Open != views[i].Open ||
			old[i].Full != views[i].Full || old[i].Name != views[i].Name
	}
	f.st.Services = views
	if structural {
		f.st.Rev++
	}
}

// applyFullLocked marks the services the server said are full.
func (f *Flow) applyFullLocked() {
	views := append([]ServiceView(nil), f.st.Services...)
	for i := range views {
		views[i].Full = f.full[views[i].Code]
	}
	f.setServicesLocked(views)
}

// Tick advances the clock: idle and result timeouts, the out-of-service grace, the staff
// corner, printer reports. Run calls it every second; tests call it with a fake clock.
func (f *Flow) Tick() {
	f.update(func() {
		now := f.cfg.Now()
		f.st.Now = now
		switch f.st.Screen {
		case ScreenHome, ScreenOutOfService, ScreenIssuing, ScreenSubmitting:
		case ScreenResult, ScreenReceipt:
			printing := (f.st.Ticket != nil && f.st.Ticket.Printing) || (f.st.Request != nil && f.st.Request.Printing)
			if !printing && now.Sub(f.screenSince) >= f.tm.Result && now.Sub(f.lastTouch) >= f.tm.Result {
				f.homeLocked(true)
			}
		default:
			if now.Sub(f.lastTouch) >= f.tm.Idle {
				f.homeLocked(true)
			}
		}
		if !f.cornerDown.IsZero() && now.Sub(f.cornerDown) >= f.tm.LongPress {
			f.cornerDown = time.Time{}
			f.openPINLocked()
		}
		f.refreshOnlineLocked()
		f.maybeReportLocked(now)
	})
}

// CornerDown and CornerUp are the staff corner: held for Timing.LongPress it asks for the PIN.
func (f *Flow) CornerDown() {
	f.update(func() { f.cornerDown = f.cfg.Now() })
}

// CornerUp ends a press of the staff corner.
func (f *Flow) CornerUp() {
	f.update(func() {
		if !f.cornerDown.IsZero() && f.cfg.Now().Sub(f.cornerDown) >= f.tm.LongPress {
			f.openPINLocked()
		}
		f.cornerDown = time.Time{}
	})
}

func (f *Flow) openPINLocked() {
	if f.cfg.PIN == "" || f.st.Screen == ScreenIssuing || f.st.Screen == ScreenSubmitting {
		return
	}
	f.touchLocked()
	f.homeLocked(false)
	f.st.Notice = ""
	if f.cfg.Now().Before(f.pinLocked) {
		f.st.Notice = "pin.locked"
	}
	f.goLocked(ScreenPIN)
}

// PINKey handles a key of the staff PIN pad: a digit, "del" or "ok". A correct PIN calls
// Config.OnExit.
func (f *Flow) PINKey(k string) {
	exit := false
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenPIN {
			return
		}
		now := f.cfg.Now()
		switch {
		case k == "del":
			if n := len(f.pinEntry); n > 0 {
				f.pinEntry = f.pinEntry[:n-1]
			}
		case k == "ok":
			switch {
			case now.Before(f.pinLocked):
				f.st.Notice = "pin.locked"
			case f.pinEntry == f.cfg.PIN:
				f.pinFails = 0
				exit = true
			default:
				f.pinFails++
				f.st.Notice = "pin.wrong"
				if f.pinFails >= f.tm.PINAttempts {
					f.pinFails = 0
					f.pinLocked = now.Add(f.tm.PINLock)
					f.st.Notice = "pin.locked"
				}
			}
			f.pinEntry = ""
			f.st.Rev++
		case len(k) == 1 && k[0] >= '0' && k[0] <= '9' && len(f.pinEntry) < 16:
			f.pinEntry += k
		}
		f.st.PINDigits = len(f.pinEntry)
	})
	if exit {
		f.log.Info("staff exit")
		if f.cfg.OnExit != nil {
			f.cfg.OnExit()
		}
	}
}

// StartRequest opens the walk-in request flow (咨询投诉建议).
func (f *Flow) StartRequest() {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenHome && f.st.Screen != ScreenOutOfService {
			return
		}
		f.homeLocked(false)
		f.goLocked(ScreenKind)
	})
}

// ChooseKind picks consultation, complaint or suggestion.
func (f *Flow) ChooseKind(kind string) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenKind {
			return
		}
		ok := false
		for _, k := range Kinds() {
			ok = ok || k == kind
		}
		if !ok {
			return
		}
		f.st.Kind = kind
		f.goLocked(ScreenTopic)
	})
}

// ChooseTopic picks the topic; the confirmation screen follows.
func (f *Flow) ChooseTopic(code string) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenTopic {
			return
		}
		if _, ok := f.cfg.Catalogue.Topic(code); !ok {
			return
		}
		f.st.Topic = code
		f.reqKey = f.cfg.NewKey()
		f.st.RequestTicket = f.st.Online && f.hasRequestServiceLocked()
		f.goLocked(ScreenConfirm)
	})
}

func (f *Flow) hasRequestServiceLocked() bool {
	v, ok := f.st.ServiceByCode(f.cfg.Catalogue.RequestService)
	return ok && !v.Full
}

// SubmitRequest confirms the walk-in request, with a ticket for a counter when withTicket (and
// the server is reachable). The request is written to the outbox before it is sent.
func (f *Flow) SubmitRequest(withTicket bool) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenConfirm || f.reqKey == "" {
			return
		}
		topic, _ := f.cfg.Catalogue.Topic(f.st.Topic)
		req := CaseRequest{Kind: f.st.Kind, Topic: topic.Code, Hall: f.cfg.Hall, Lang: f.st.Lang,
			IdempotencyKey: f.reqKey, ConfirmedAt: f.cfg.Now().UTC()}
		withTicket = withTicket && f.st.RequestTicket && f.st.Online
		var svcName hall.Text
		if v, ok := f.st.ServiceByCode(f.cfg.Catalogue.RequestService); ok {
			svcName = v.Name
		}
		key := f.reqKey
		f.goLocked(ScreenSubmitting)
		f.spawn(func(ctx context.Context) { f.submit(ctx, key, req, topic, withTicket, svcName) })
	})
}

// submit runs on a goroutine: optional ticket, outbox, delivery, receipt.
func (f *Flow) submit(ctx context.Context, key string, req CaseRequest, topic Topic, withTicket bool, svcName hall.Text) {
	res := &RequestResult{Kind: req.Kind, Topic: topic}
	if withTicket {
		t, err := f.issueWithRetry(ctx, key+"-ticket", client.IssueRequest{Service: f.cfg.Catalogue.RequestService, Lang: req.Lang})
		if err != nil {
			f.log.Warn("request ticket failed", "err", err)
			if serverTrouble(err) {
				f.update(f.markIssueDownLocked)
			}
		} else {
			req.TicketID = t.ID
			res.Ticket = &TicketResult{ID: t.ID, Number: t.Number, Service: svcName, Ahead: t.Ahead(),
				EtaSeconds: t.Eta(), Materials: t.Materials, FollowURL: t.FollowURL, IssuedAt: t.IssuedAt}
		}
	}
	putErr := f.cfg.Spool.Put(req)
	if putErr != nil {
		f.log.Error("outbox write failed", "key", key, "err", putErr)
	}
	f.update(func() { f.setStorageLocked(putErr) })
	sctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	rec, err := f.cfg.Spool.Send(sctx, f.cfg.Cases, req)
	cancel()
	switch {
	case err == nil:
		res.Case = rec
		res.Printing = true
	case putErr != nil:
		// Neither stored nor sent: nothing keeps it, so no reference; the person goes to a
		// counter (with the ticket, when one was issued).
		f.log.Error("request not kept", "key", key, "err", err)
		res.NotKept = true
		res.Printing = res.Ticket != nil
	case errors.Is(err, ErrCasesUnavailable) || errors.Is(err, errInFlight):
		res.Queued = true
		res.Reference = Reference(key)
		f.KickOutbox()
		res.Printing = res.Ticket != nil
	default:
		f.log.Error("case refused", "key", key, "err", err)
		res.Queued = true // kept in the failed bucket; the desk can look the reference up
		res.Reference = Reference(key)
		res.Printing = res.Ticket != nil
	}
	var hallName hall.Text
	f.update(func() {
		hallName = f.st.HallName
		if f.reqKey != key {
			return
		}
		f.reqKey = ""
		f.st.Request = res
		f.goLocked(ScreenReceipt)
	})
	if !res.Printing {
		return
	}
	var st PrinterStatus
	var perr error
	pctx, pcancel := context.WithTimeout(ctx, 15*time.Second)
	if res.Case != nil {
		c := escpos.CaseReceiptData{Hall: hallName.Zh, HallEn: hallName.En, CaseNumber: res.Case.Number,
			Category: topic.Name.Zh, CategoryEn: topic.Name.En, ReceivedAt: req.ConfirmedAt, Loc: f.cfg.Loc,
			FollowURL: res.Case.FollowURL}
		st, perr = f.cfg.Printer.PrintCaseReceipt(pctx, c)
	}
	if res.Ticket != nil && (perr == nil || res.Case == nil) {
		var terr error
		st, terr = f.cfg.Printer.PrintTicket(pctx, f.ticketData(hallName, res.Ticket))
		perr = errors.Join(perr, terr)
	}
	pcancel()
	f.update(func() {
		f.setPrinterLocked(st)
		if f.st.Request != res {
			return
		}
		r := *res
		r.Printing, r.Printed = false, perr == nil
		if perr != nil {
			r.PrintFault = st.State
			f.screenSince = f.cfg.Now()
		}
		f.st.Request = &r
		f.st.Rev++
	})
}

// Reference is the short local reference of a request key, shown while it waits in the outbox.
func Reference(key string) string {
	k := strings.ToUpper(key)
	if len(k) > 8 {
		k = k[:8]
	}
	return "K-" + k
}

// KickOutbox asks the delivery loop to try the outbox now.
func (f *Flow) KickOutbox() {
	select {
	case f.outboxKick <- struct{}{}:
	default:
	}
}

// SetPrinter records the printer's condition (from a print or a status poll).
func (f *Flow) SetPrinter(st PrinterStatus) {
	f.update(func() { f.setPrinterLocked(st) })
}

func (f *Flow) setPrinterLocked(st PrinterStatus) {
	if st.State == "" {
		return
	}
	if st.State != f.st.Printer.State {
		f.st.Rev++
	}
	f.st.Printer = st
	f.maybeReportLocked(f.cfg.Now())
}

// partReport is the reporting state of one device part (printer, storage).
type partReport struct {
	reported  string // the state the server last acknowledged
	reporting bool
	after     time.Time // no attempt before (backoff after a failure)
	wait      time.Duration
}

// maxReportMessage bounds a report's message (the server takes at most 200 characters).
const maxReportMessage = 200

// setStorageLocked records the result of an outbox write: an error makes the storage state
// error (reported to the server), a success after an error makes it ok again.
func (f *Flow) setStorageLocked(err error) {
	switch {
	case err != nil:
		msg := []rune(strings.ToValidUTF8("outbox write failed: "+err.Error(), "?"))
		f.storage = hall.DeviceReport{Kind: hall.DeviceStorage, State: hall.DeviceError, Message: string(msg[:min(len(msg), maxReportMessage)])}
	case f.storage.State != "":
		f.storage = hall.DeviceReport{Kind: hall.DeviceStorage, State: hall.DeviceOK}
	default:
		return // storage never failed: nothing to report
	}
	f.maybeReportLocked(f.cfg.Now())
}

// maybeReportLocked sends the printer's and the storage's states to the server when they
// changed since the last successful report, retrying each with backoff.
func (f *Flow) maybeReportLocked(now time.Time) {
	if f.cfg.Reporter == nil {
		return
	}
	pr := f.st.Printer
	f.reportLocked(now, hall.DeviceReport{Kind: hall.DevicePrinter, State: pr.State, Message: pr.Message})
	f.reportLocked(now, f.storage)
}

// reportLocked sends one part's report unless it is what the server has, is on its way, or
// waits out a backoff.
func (f *Flow) reportLocked(now time.Time, r hall.DeviceReport) {
	if r.State == "" {
		return
	}
	p := f.reports[r.Kind]
	if p == nil {
		p = &partReport{}
		f.reports[r.Kind] = p
	}
	if p.reporting || r.State == p.reported || now.Before(p.after) {
		return
	}
	p.reporting = true
	f.spawn(func(ctx context.Context) {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f.cfg.Reporter.ReportDevice(c, f.cfg.Hall, r)
		cancel()
		f.update(func() {
			p.reporting = false
			if err != nil {
				f.log.Warn("device state not reported", "kind", r.Kind, "state", r.State, "err", err)
				p.wait = min(max(2*p.wait, time.Second), time.Minute)
				p.after = f.cfg.Now().Add(p.wait)
				return
			}
			p.wait = 0
			p.reported = r.State
		})
	})
}
