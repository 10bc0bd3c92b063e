package kiosk

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
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
	ScreenPhone        Screen = "req-phone" // optional call-back number on the keypad
	ScreenSubmitting   Screen = "req-submitting"
	ScreenReceipt      Screen = "req-receipt"
	ScreenOutOfService Screen = "out-of-service"
	ScreenPIN          Screen = "staff-pin"
)

// Server is what the flow needs of the hall server (a *client.Client).
type Server interface {
	Issue(ctx context.Context, hall string, req wire.IssueRequest, idemKey string) (*wire.Ticket, error)
	Health(ctx context.Context) error
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
	Phone      string // optional call-back number of a walk-in request
	// Booking is the booking code typed so far, Refusal the check-in refused as too early or
	// too late (flow_appointment.go).
	Booking string
	Refusal *Refusal
	Request *RequestResult
	Topics  []Topic
	// RequestTicket says a walk-in request may come with a ticket (the hall has the service
	// and the server is reachable).
	RequestTicket bool
	PINDigits     int
	Printer       PrinterStatus
	OOSHint       hall.Text
	// OpeningHours says when the counters serve when the hall information does not (the
	// catalogue's fallback, shown while the server was never reached; empty: not known).
	OpeningHours hall.Text
	// Notices are the hall's notice line (the snapshot's, kept current by notice.published and
	// notice.withdrawn events), oldest first. The home screen rotates through them; a change
	// of their texts is live, their coming or going rebuilds the screen.
	Notices []hall.Notice
}

// ServiceByCode returns the service view with the code.
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
	Version   string         // software version in the heartbeat (client.Version())
	Catalogue Catalogue
	PIN       string         // staff exit PIN; empty: staff exit disabled
	Lang      string         // default language ("zh")
	Loc       *time.Location // the hall's zone (Asia/Shanghai when nil)
	Timing    Timing
	Now       func() time.Time // time.Now when nil
	NewKey    func() string    // idempotency keys; random when nil
	// PublicURL is the base of the follow links (the hall server's public URL) until an answer
	// of the server shows it: the QR code of a request printed before delivery points there.
	PublicURL string
	OnExit    func() // staff exit confirmed
	Log       *slog.Logger
}

// Flow is the kiosk's state machine. Its methods are safe for concurrent use; the UI calls them
// on touches, Run on stream messages and ticks. I/O (issue, print, submit) runs on goroutines
// started with the context given to Start, and its results change the state later; OnChange
// listeners learn of every change.
//
// The methods live by sub-flow: this file has the screen state machine (touch, language,
// home, back, timers); flow_ticket.go the ticket (service, lane, keypad, issue, print);
// flow_request.go the walk-in request (kind, topic, spool, receipt); flow_stream.go the hall's
// stream (snapshot, events, services, notices); flow_online.go the server's reachability;
// flow_staff.go the staff exit (corner, PIN); flow_devices.go the printer and storage reports.
type Flow struct {
	cfg Config
	tm  Timing
	log *slog.Logger

	mu       sync.Mutex
	st       State
	ctx      context.Context
	wg       sync.WaitGroup
	onChange []func()

	lastTouch   time.Time // idle timer
	screenSince time.Time // result timer

	// Each sub-flow's own state, next to its methods (all guarded by mu).
	ticket  ticketFlow    // flow_ticket.go
	request requestFlow   // flow_request.go
	view    streamView    // flow_stream.go
	link    serverLink    // flow_online.go
	staff   staffExit     // flow_staff.go
	devices deviceReports // flow_devices.go
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
	f := &Flow{cfg: cfg, tm: cfg.Timing.withDefaults(), log: cfg.Log,
		ctx: context.Background(), lastTouch: now, screenSince: now,
		request: requestFlow{kick: make(chan struct{}, 1), public: strings.TrimRight(cfg.PublicURL, "/")},
		view:    streamView{full: map[string]bool{}},
		devices: deviceReports{parts: map[string]*partReport{}}}
	f.st = State{Rev: 1, Screen: ScreenOutOfService, Lang: cfg.Lang, Now: now, Loc: cfg.Loc,
		Connecting: true, Topics: cfg.Catalogue.Topics, OOSHint: cfg.Catalogue.OutOfServiceHint,
		OpeningHours: cfg.Catalogue.OpeningHours,
		HallName:     hall.Text{Zh: cfg.Hall, En: cfg.Hall}}
	return f
}

// newFollowToken returns a case follow token (hall.IsFollowToken): 20 random bytes in unpadded
// base32.
func newFollowToken() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
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

// homeLocked returns to the home screen (or out-of-service), forgetting everything the person
// entered. Language goes back to the default when reset says so (a new person).
func (f *Flow) homeLocked(reset bool) {
	f.st.Service, f.st.Priority, f.st.PersonID = "", false, ""
	f.st.Kind, f.st.Topic, f.st.Phone = "", "", ""
	f.st.Ticket, f.st.Request = nil, nil
	f.st.Booking, f.st.Refusal = "", nil
	f.st.Notice = ""
	f.ticket.attempt, f.request.key, f.staff.entry = "", "", ""
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
		case ScreenIssuing, ScreenSubmitting, ScreenCheckingIn:
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
			f.request.key = ""
			f.goLocked(ScreenTopic)
		case ScreenPhone:
			f.st.Phone, f.st.Notice = "", ""
			f.goLocked(ScreenConfirm)
		case ScreenOptions, ScreenKind, ScreenPIN, ScreenBooking, ScreenBookingRefused:
			f.homeLocked(false)
		}
	})
}

// Tick advances the clock: idle and result timeouts, the out-of-service grace, the staff
// corner, printer reports. Run calls it every second; tests call it with a fake clock.
func (f *Flow) Tick() {
	f.update(func() {
		now := f.cfg.Now()
		f.st.Now = now
		switch f.st.Screen {
		case ScreenHome, ScreenOutOfService, ScreenIssuing, ScreenSubmitting, ScreenCheckingIn:
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
		if !f.staff.cornerDown.IsZero() && now.Sub(f.staff.cornerDown) >= f.tm.LongPress {
			f.staff.cornerDown = time.Time{}
			f.openPINLocked()
		}
		f.expireOpensLocked(now)
		f.refreshOnlineLocked()
		f.maybeReportLocked(now)
	})
}
