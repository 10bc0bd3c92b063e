package kiosk

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"onedoor/drivers/escpos"
	"onedoor/drivers/printersim"
	"onedoor/hallserver/bolt"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
	uitheme "onedoor/ui/theme"
)

const kioskToken = "test-kiosk-students"

// testCampus is one hall with three services: A, B and F (咨询投诉, the request service).
func testCampus() hall.Campus {
	return hall.Campus{
		Name: hall.Text{Zh: "测试大学", En: "Test University"}, TimeZone: hall.DefaultTimeZone,
		Halls: []hall.Hall{{
			Code: "students", Name: hall.Text{Zh: "学生事务大厅", En: "Student Affairs Hall"},
			Services: []hall.Service{
				{Code: "A", Name: hall.Text{Zh: "学籍与成绩", En: "Enrolment & transcripts"}, AvgMinutes: 5,
					Materials: []hall.Text{{Zh: "学生证", En: "Student card"}, {Zh: "身份证", En: "ID card"}}},
				{Code: "B", Name: hall.Text{Zh: "奖助学金", En: "Scholarships"}, AvgMinutes: 8},
				{Code: "C", Name: hall.Text{Zh: "财务缴费", En: "Fees and payments"}, AvgMinutes: 6},
				{Code: "D", Name: hall.Text{Zh: "校园卡与网络", En: "Campus card & network"}, AvgMinutes: 4},
				{Code: "E", Name: hall.Text{Zh: "就业与档案", En: "Careers & records"}, AvgMinutes: 7},
				{Code: "F", Name: hall.Text{Zh: "咨询投诉", En: "Questions & complaints"}, AvgMinutes: 10},
			},
			Counters: []hall.CounterConfig{{Number: 1, Services: []string{"A", "B", "C"}}, {Number: 2, Services: []string{"D", "E", "F"}}},
		}},
	}
}

// hallEnv is a real hall server (bbolt store, queue engine, case system, HTTP API) on a fixed
// local address that can go down and come back.
type hallEnv struct {
	t      testing.TB
	campus hall.Campus
	db     *bolt.DB
	q      *bolt.Queue
	auth   *bolt.Auth
	addr   string

	mu  sync.Mutex
	hs  *hallhttp.Server
	srv *http.Server

	now        func() time.Time // the server's clock (nil: the wall clock)
	qnow       func() time.Time // the queue engine's clock (nil: the wall clock)
	issues     atomic.Int64     // POST …/tickets requests seen
	issueDelay atomic.Int64     // nanoseconds each issue request waits first
	cases      *realCases
	appts      *bolt.Appointments
}

func newHallEnv(t testing.TB, opts ...func(*hallEnv)) *hallEnv {
	t.Helper()
	e := &hallEnv{t: t, campus: testCampus()}
	for _, o := range opts {
		o(e)
	}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := bolt.NewQueue(context.Background(), db, e.campus, e.qnow)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	e.db, e.q, e.auth = db, q, bolt.NewAuth(db)
	cs, err := bolt.NewCases(context.Background(), db, e.campus, cases.Config{}, nil)
	if err != nil {
		q.Close()
		db.Close()
		t.Fatal(err)
	}
	e.cases = &realCases{cs: cs}
	if e.appts, err = bolt.NewAppointments(db, e.now); err != nil {
		t.Fatal(err)
	}
	if _, err := e.auth.CreateDevice(context.Background(), hall.Device{Role: hall.RoleKiosk, Hall: "students"}, kioskToken); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	e.serve(ln)
	t.Cleanup(func() {
		e.down()
		cs.Close()
		q.Close()
		db.Close()
	})
	return e
}

func (e *hallEnv) url() string { return "http://" + e.addr }

func (e *hallEnv) serve(ln net.Listener) {
	hs := hallhttp.NewServer(hallhttp.Config{Queue: e.q, Events: e.q, Auth: e.auth, Campus: e.campus, CampusLive: e.q, PublicURL: e.url(), Cases: e.cases.cs, Now: e.now,
		Appointments: e.appts})
	mux := http.NewServeMux()
	mux.Handle("POST /api/v1/cases", e.cases.handler(hs))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/tickets") {
			e.issues.Add(1)
			if d := time.Duration(e.issueDelay.Load()); d > 0 {
				time.Sleep(d)
			}
		}
		hs.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: mux}
	e.mu.Lock()
	e.hs, e.srv = hs, srv
	e.mu.Unlock()
	go srv.Serve(ln)
}

// down stops the server: streams end, connections are refused.
func (e *hallEnv) down() {
	e.mu.Lock()
	hs, srv := e.hs, e.srv
	e.hs, e.srv = nil, nil
	e.mu.Unlock()
	if hs == nil {
		return
	}
	hs.Close()
	srv.Close()
}

// up serves again on the same address.
func (e *hallEnv) up() {
	e.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", e.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.serve(ln)
}

// waiting returns the number of waiting tickets of a service.
func (e *hallEnv) waiting(code string) int {
	snap, err := e.q.Snapshot(context.Background(), "students")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range snap.Services {
		if s.Code == code {
			return s.Waiting
		}
	}
	return -1
}

// realCases is the real case system (bolt.NewCases on the hall server's file, behind
// POST /api/v1/cases of hallserver/http) with a switch that makes the endpoint answer 404, as a
// hall server without the case system deployed did, and a count of the requests it saw.
type realCases struct {
	cs *bolt.Cases

	mu       sync.Mutex
	absent   bool
	requests int
}

func (c *realCases) setAbsent(a bool) {
	c.mu.Lock()
	c.absent = a
	c.mu.Unlock()
}

// list returns every case in the store.
func (c *realCases) list(t testing.TB) []hall.Case {
	t.Helper()
	cs, err := c.cs.List(context.Background(), hall.CaseFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// counts returns the POST /api/v1/cases requests seen and the cases in the store.
func (c *realCases) counts() (requests, creates int) {
	cs, err := c.cs.List(context.Background(), hall.CaseFilter{Limit: 1000})
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests, len(cs)
}

func (c *realCases) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		absent := c.absent
		if !absent {
			c.requests++
		}
		c.mu.Unlock()
		if absent {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// simPrinter is the virtual printer on a local TCP port, like `printersim serve -tcp`.
type simPrinter struct {
	p      *printersim.Printer
	addr   string
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	pages []*printersim.Page
}

func newSimPrinter(t testing.TB) *simPrinter {
	t.Helper()
	s := &simPrinter{}
	s.p = printersim.New(printersim.Config{Width: printersim.Width80mm, OnPage: func(pg *printersim.Page) {
		s.mu.Lock()
		s.pages = append(s.pages, pg)
		s.mu.Unlock()
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.start(ln)
	t.Cleanup(s.unplug)
	return s
}

func (s *simPrinter) start(ln net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		_ = printersim.ServeTCP(ctx, ln, s.p)
	}()
}

// unplug closes the printer's port and connection.
func (s *simPrinter) unplug() {
	if s.cancel != nil {
		s.cancel()
		<-s.done
		s.cancel = nil
	}
}

// printed returns the pages printed so far.
func (s *simPrinter) printed() []*printersim.Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*printersim.Page(nil), s.pages...)
}

// kioskEnv is a flow and its UI on a test window, wired to a hall server and a printer. Posted
// UI updates queue up and run on the test goroutine (pump), as fyne.Do runs them on the UI
// goroutine in the app.
type kioskEnv struct {
	t      testing.TB
	flow   *Flow
	ui     *UI
	win    fyne.Window
	clock  *fakeClock
	outbox *Spool
	posted chan func()
	cancel context.CancelFunc
	done   chan struct{}
	exits  atomic.Int64
	taps   int
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type kioskOpts struct {
	printer    Printer
	outboxPath string
	lang       string
	size       fyne.Size
	catalogue  Catalogue // the topics file's (the embedded one when empty)
}

// newKiosk starts a kiosk against the hall server env.
func newKiosk(t testing.TB, env *hallEnv, o kioskOpts) *kioskEnv {
	t.Helper()
	if o.outboxPath == "" {
		o.outboxPath = filepath.Join(t.TempDir(), "outbox.db")
	}
	if o.size.IsZero() {
		o.size = fyne.NewSize(1920, 1080)
	}
	ob, err := OpenSpool(o.outboxPath)
	if err != nil {
		t.Fatal(err)
	}
	cl := client.New(env.url(), kioskToken)
	cl.HTTP.Timeout = 3 * time.Second
	k := &kioskEnv{t: t, clock: &fakeClock{now: time.Date(2025, 3, 3, 9, 30, 0, 0, time.UTC)}, outbox: ob, posted: make(chan func(), 1024)}
	k.flow = NewFlow(Config{
		Hall: "students", Server: cl, Printer: o.printer, Spool: ob, Lang: o.lang, Catalogue: o.catalogue,
		Cases:    ClientCases(cl),
		Reporter: ClientReporter(cl),
		PIN:      "2468", Now: k.clock.Now, OnExit: func() { k.exits.Add(1) },
		Timing: Timing{DownGrace: time.Millisecond, IssueTry: 2 * time.Second},
	})
	ctx, cancel := context.WithCancel(context.Background())
	k.cancel, k.done = cancel, make(chan struct{})
	go func() {
		defer close(k.done)
		Run(ctx, k.flow, cl, RunOptions{Tick: time.Hour, PrinterPoll: time.Hour,
			Stream: &client.StreamOptions{MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}})
	}()
	app := test.NewTempApp(t)
	th, err := uitheme.Load()
	if err != nil {
		t.Fatal(err)
	}
	app.Settings().SetTheme(NewTheme(th))
	k.ui = NewUI(k.flow, func(fn func()) { k.posted <- fn })
	k.win = test.NewTempWindow(t, k.ui.Content())
	k.win.Resize(o.size)
	t.Cleanup(k.stop)
	return k
}

// stop ends the kiosk (a power cut as far as the outbox is concerned, after its I/O ends).
func (k *kioskEnv) stop() {
	if k.cancel == nil {
		return
	}
	k.cancel()
	<-k.done
	k.outbox.Close()
	k.cancel = nil
}

// pump runs the posted UI updates.
func (k *kioskEnv) pump() {
	for {
		select {
		case fn := <-k.posted:
			fn()
		default:
			return
		}
	}
}

// waitFor pumps UI updates until cond holds, failing after 10 s.
func (k *kioskEnv) waitFor(what string, cond func(State) bool) State {
	k.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		k.pump()
		st := k.flow.State()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("timed out waiting for %s; state: screen=%s online=%v printer=%+v notice=%q", what, st.Screen, st.Online, st.Printer, st.Notice)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (k *kioskEnv) waitScreen(s Screen) State {
	k.t.Helper()
	return k.waitFor("screen "+string(s), func(st State) bool { return st.Screen == s && k.ui.rev == st.Rev })
}

// tap touches the button with the id on the current screen, as a person does.
func (k *kioskEnv) tap(id string) {
	k.t.Helper()
	k.pump()
	b, ok := k.ui.Button(id)
	if !ok {
		k.t.Fatalf("no button %q on screen %s (have %v)", id, k.flow.State().Screen, k.ui.Buttons())
	}
	k.taps++
	test.Tap(b)
	k.pump()
}

// tick advances the fake clock and ticks the flow.
func (k *kioskEnv) tick(d time.Duration) {
	k.clock.Add(d)
	k.flow.Tick()
	k.pump()
}

// driverPrinter returns a kiosk printer on the virtual printer's TCP port.
func driverPrinter(t testing.TB, sim *simPrinter) *DriverPrinter {
	t.Helper()
	p, err := NewDriverPrinter("tcp:"+sim.addr, "80mm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// deviceStates returns the device states of the hall's snapshot.
func (e *hallEnv) deviceStates() []hall.DeviceStatus {
	snap, err := e.q.Snapshot(context.Background(), "students")
	if err != nil {
		e.t.Fatal(err)
	}
	return snap.Devices
}

var _ = escpos.Profile{}

// writePNG writes a printed page as PNG.
func writePNG(path string, pg *printersim.Page) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pg.WritePNG(f)
}

// issueDirect issues a ticket on the server, as another kiosk would.
func issueDirect(t testing.TB, env *hallEnv, svc string) *hall.Issued {
	t.Helper()
	iss, err := env.q.Issue(context.Background(), hall.IssueRequest{Hall: "students", Service: svc, Channel: "other"})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// openCounter opens a counter.
func openCounter(t testing.TB, env *hallEnv, n int) {
	t.Helper()
	if _, err := env.q.Act(context.Background(), hall.CounterAction{Hall: "students", Counter: n, Action: hall.ActOpen, Actor: "counter1"}); err != nil {
		t.Fatal(err)
	}
}

func printersimPaperOut() printersim.Status { return printersim.Status{PaperOut: true} }

// waitTicking is waitFor with the fake clock advancing 100 ms and the flow ticking each round
// (grace periods and timers).
func (k *kioskEnv) waitTicking(what string, cond func(State) bool) State {
	k.t.Helper()
	return k.waitFor(what, func(s State) bool {
		if cond(s) && k.ui.rev == s.Rev {
			return true
		}
		k.clock.Add(100 * time.Millisecond)
		k.flow.Tick()
		return false
	})
}

// replug serves the printer again on its address.
func (s *simPrinter) replug(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.start(ln)
}

// newPrintingKiosk starts a hall server, a virtual printer on TCP and a kiosk printing on it
// (with the options o), and waits for the home screen.
func newPrintingKiosk(t testing.TB, o kioskOpts) (*hallEnv, *simPrinter, *kioskEnv) {
	t.Helper()
	env := newHallEnv(t)
	sim := newSimPrinter(t)
	o.printer = driverPrinter(t, sim)
	k := newKiosk(t, env, o)
	k.waitScreen(ScreenHome)
	return env, sim, k
}

// request taps through a walk-in request up to the confirmation screen: its entry (home or
// out-of-service), the kind and the topic.
func (k *kioskEnv) request(kind, topic string) {
	k.t.Helper()
	k.tap("request")
	k.tap("kind:" + kind)
	k.tap("topic:" + topic)
}
