package kiosk

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"onedoor/drivers/printersim"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// TestDoubleTapOneTicket: the "take a number" button touched twice (the second touch while the
// first request is on its way), plus two more presses racing from other goroutines: one HTTP
// issue request, one ticket.
func TestDoubleTapOneTicket(t *testing.T) {
	env := newHallEnv(t)
	sim := newSimPrinter(t)
	k := newKiosk(t, env, kioskOpts{printer: driverPrinter(t, sim)})
	k.waitScreen(ScreenHome)
	home, _ := k.ui.Button("service:B")
	k.tap("service:B")
	test.Tap(home) // a late second touch on the home button does nothing
	k.waitScreen(ScreenOptions)
	env.issueDelay.Store(int64(200 * time.Millisecond))
	b, _ := k.ui.Button("take:standard")
	test.Tap(b)
	test.Tap(b)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); k.flow.TakeTicket(false) }()
	}
	wg.Wait()
	st := k.waitFor("result", func(s State) bool { return s.Screen == ScreenResult && !s.Ticket.Printing })
	if n := env.issues.Load(); n != 1 {
		t.Fatalf("%d issue requests", n)
	}
	if w := env.waiting("B"); w != 1 || st.Ticket.Number != "B001" {
		t.Fatalf("waiting %d, ticket %s", w, st.Ticket.Number)
	}
	if n := len(sim.printed()); n != 1 {
		t.Fatalf("%d tickets printed", n)
	}
}

// flakyServer loses the answer of its first issue call (the server issued, the kiosk timed out).
type flakyServer struct {
	real  Server
	mu    sync.Mutex
	keys  []string
	calls int
}

func (f *flakyServer) Issue(ctx context.Context, h string, req wire.IssueRequest, key string) (*wire.Ticket, error) {
	f.mu.Lock()
	f.calls++
	first := f.calls == 1
	f.keys = append(f.keys, key)
	f.mu.Unlock()
	t, err := f.real.Issue(ctx, h, req, key)
	if first && err == nil {
		return nil, errors.New("read tcp: connection reset by peer")
	}
	return t, err
}

func (f *flakyServer) Health(ctx context.Context) error { return f.real.Health(ctx) }

// TestRetrySameKey: a retry after a lost answer carries the attempt's idempotency key, so the
// server hands back the ticket it already issued instead of a second one.
func TestRetrySameKey(t *testing.T) {
	env := newHallEnv(t)
	fs := &flakyServer{real: client.New(env.url(), kioskToken)}
	ob, err := OpenSpool(filepath.Join(t.TempDir(), "o.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	f := NewFlow(Config{Hall: "students", Server: fs, Spool: ob, Cases: ClientCases(client.New(env.url(), ""))})
	snap, _ := env.q.Snapshot(context.Background(), "students")
	f.StreamState(true)
	f.ApplySnapshot(snap)
	f.ChooseService("A")
	f.TakeTicket(false)
	f.Wait()
	st := f.State()
	if st.Screen != ScreenResult || st.Ticket.Number != "A001" {
		t.Fatalf("screen %s ticket %+v", st.Screen, st.Ticket)
	}
	if len(fs.keys) != 2 || fs.keys[0] != fs.keys[1] || fs.keys[0] == "" {
		t.Fatalf("keys %q", fs.keys)
	}
	if env.waiting("A") != 1 {
		t.Fatalf("%d tickets", env.waiting("A"))
	}
}

// TestIdleReset: 60 s without a touch on any screen go home and forget the input; the result
// screen goes home after 20 s.
func TestIdleReset(t *testing.T) {
	env := newHallEnv(t)
	k := newKiosk(t, env, kioskOpts{printer: driverPrinter(t, newSimPrinter(t))})
	k.waitScreen(ScreenHome)
	k.tap("lang")
	k.tap("service:A")
	k.tap("keypad")
	k.tap("key:1")
	k.tap("key:2")
	k.tick(59 * time.Second)
	if st := k.flow.State(); st.Screen != ScreenKeypad || st.PersonID != "12" {
		t.Fatalf("after 59 s: %s %q", st.Screen, st.PersonID)
	}
	k.tap("key:3") // a touch restarts the timer
	k.tick(59 * time.Second)
	if k.flow.State().Screen != ScreenKeypad {
		t.Fatal("touch did not restart the idle timer")
	}
	k.tick(time.Second)
	st := k.waitScreen(ScreenHome)
	if st.PersonID != "" || st.Service != "" || st.Lang != "zh" {
		t.Fatalf("input not forgotten: %+v", st)
	}
	// Walk-in flow, idle at the topic screen.
	k.tap("request")
	k.tap("kind:complaint")
	k.tick(60 * time.Second)
	if st := k.waitScreen(ScreenHome); st.Kind != "" {
		t.Fatalf("kind kept: %q", st.Kind)
	}
	// The result screen stays 20 s.
	k.tap("service:A")
	k.tap("take:standard")
	k.waitFor("result", func(s State) bool { return s.Screen == ScreenResult && !s.Ticket.Printing })
	k.tick(19 * time.Second)
	if k.flow.State().Screen != ScreenResult {
		t.Fatal("result left before 20 s")
	}
	k.tick(time.Second)
	k.waitScreen(ScreenHome)
}

// TestPrinterFailures: out of paper, cover open, unplugged. The ticket is still issued; the
// screen shows the number and a large QR and says what happened; the hall server has the
// printer's state; when the printer is back the kiosk reports ok.
func TestPrinterFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		breakIt func(*simPrinter)
		state   string
	}{
		{"paper out", func(s *simPrinter) { s.p.SetStatus(printersim.Status{PaperOut: true}) }, hall.DevicePaperOut},
		{"cover open", func(s *simPrinter) { s.p.SetStatus(printersim.Status{CoverOpen: true}) }, hall.DeviceCoverOpen},
		{"unplugged", (*simPrinter).unplug, hall.DeviceOffline},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newHallEnv(t)
			sim := newSimPrinter(t)
			dp := driverPrinter(t, sim)
			k := newKiosk(t, env, kioskOpts{printer: dp})
			k.waitScreen(ScreenHome)
			k.tap("service:A")
			k.tap("take:standard") // a first ticket prints: the connection is open
			k.waitFor("printed", func(s State) bool { return s.Screen == ScreenResult && s.Ticket.Printed })
			k.flow.Finish()
			k.waitScreen(ScreenHome)
			tc.breakIt(sim)
			k.tap("service:A")
			k.tap("take:standard")
			st := k.waitFor("print failure", func(s State) bool {
				return s.Screen == ScreenResult && s.Ticket.PrintFault != "" && k.ui.rev == s.Rev
			})
			if st.Ticket.Number != "A002" || st.Ticket.PrintFault != tc.state || st.Ticket.FollowURL == "" {
				t.Fatalf("ticket %+v", st.Ticket)
			}
			if env.waiting("A") != 2 {
				t.Fatal("ticket not valid on the server")
			}
			if len(sim.printed()) != 1 {
				t.Fatalf("%d pages", len(sim.printed()))
			}
			// The number (150 px: smaller than a printed ticket's 200 px, so that it and the
			// code fit a 1366×768 screen, TestPrintFailureFits) and a QR of at least 560 px on
			// this 1920×1080 screen.
			found := map[string]bool{}
			for _, o := range test.LaidOutObjects(k.win.Content()) {
				if tx, ok := o.(*canvas.Text); ok && tx.Text == "A002" && tx.TextSize >= 150 {
					found["number"] = true
				}
				if im, ok := o.(*canvas.Image); ok && im.Size().Width >= 560 && im.Size().Height >= 560 {
					found["qr"] = true
				}
			}
			if !found["number"] || !found["qr"] {
				t.Fatalf("on screen: %v", found)
			}
			k.waitFor("reported", func(State) bool {
				for _, d := range env.deviceStates() {
					if d.Kind == "printer" && d.State == tc.state {
						return true
					}
				}
				return false
			})
			// Repaired: the next status poll reports ok.
			if tc.state == hall.DeviceOffline {
				sim.replug(t)
			} else {
				sim.p.SetStatus(printersim.Status{})
			}
			k.flow.Finish()
			k.waitScreen(ScreenHome)
			k.flow.SetPrinter(dp.Check(context.Background()))
			k.waitFor("reported ok", func(State) bool {
				for _, d := range env.deviceStates() {
					if d.Kind == "printer" && d.State == hall.DeviceOK {
						return true
					}
				}
				return false
			})
		})
	}
}

// TestServerDown: with the hall server away the kiosk shows the out-of-service screen, offers
// no service button and sends no issue request; when the server is back it returns home by
// itself and the next number is the server's.
func TestServerDown(t *testing.T) {
	env := newHallEnv(t)
	k := newKiosk(t, env, kioskOpts{printer: driverPrinter(t, newSimPrinter(t))})
	k.waitScreen(ScreenHome)
	k.tap("service:A")
	k.tap("take:standard")
	k.waitFor("result", func(s State) bool { return s.Screen == ScreenResult && !s.Ticket.Printing })
	k.flow.Finish()
	env.down()
	k.waitTicking("out of service", func(s State) bool { return s.Screen == ScreenOutOfService })
	before := env.issues.Load()
	for _, id := range k.ui.Buttons() {
		if len(id) > 8 && id[:8] == "service:" {
			t.Fatalf("service button %s while out of service", id)
		}
	}
	k.flow.ChooseService("A")
	k.flow.TakeTicket(false)
	k.tick(time.Second)
	if st := k.flow.State(); st.Screen != ScreenOutOfService || st.Ticket != nil {
		t.Fatalf("screen %s ticket %+v", st.Screen, st.Ticket)
	}
	if env.issues.Load() != before {
		t.Fatal("issue request sent while out of service")
	}
	env.up()
	k.waitTicking("back home", func(s State) bool { return s.Screen == ScreenHome })
	k.tap("service:A")
	k.tap("take:standard")
	st := k.waitFor("result", func(s State) bool { return s.Screen == ScreenResult })
	if st.Ticket.Number != "A002" {
		t.Fatalf("after recovery: %s", st.Ticket.Number)
	}
}

// TestIssueFailsServerAway: the server goes away between the service touch and the ticket
// touch: no number is shown, the out-of-service screen is, and the kiosk recovers by probing.
func TestIssueFailsServerAway(t *testing.T) {
	env := newHallEnv(t)
	k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}})
	k.waitScreen(ScreenHome)
	k.tap("service:A")
	env.cases.setAbsent(true)
	env.down()
	k.tap("take:standard")
	st := k.waitFor("out of service", func(s State) bool { return s.Screen == ScreenOutOfService })
	if st.Ticket != nil {
		t.Fatalf("ticket invented: %+v", st.Ticket)
	}
	env.up()
	k.waitTicking("back home", func(s State) bool { return s.Screen == ScreenHome })
}

// TestOutboxSurvivesRestart: against the real case system (bolt.NewCases behind POST
// /api/v1/cases). A complaint confirmed while the server is away waits in the outbox; the kiosk
// restarts (a new instance on the same file); with the case endpoint answering 404 it keeps
// waiting; when the case system is back it is delivered exactly once (one case in the store),
// and a fourth start sends nothing more. The case carries what was chosen at the kiosk and is
// followable at /c/{token}.
func TestOutboxSurvivesRestart(t *testing.T) {
	env := newHallEnv(t)
	path := filepath.Join(t.TempDir(), "outbox.db")
	k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}, outboxPath: path})
	k.waitScreen(ScreenHome)
	env.down()
	k.waitTicking("out of service", func(s State) bool { return s.Screen == ScreenOutOfService })
	k.tap("request")
	k.tap("kind:complaint")
	k.tap("topic:dorm-repairs")
	if _, ok := k.ui.Button("submit:ticket"); ok {
		t.Fatal("a ticket offered while the server is away")
	}
	sb, _ := k.ui.Button("submit")
	test.Tap(sb)
	test.Tap(sb) // double tap
	st := k.waitFor("queued", func(s State) bool { return s.Screen == ScreenReceipt })
	if !st.Request.Queued || st.Request.Reference == "" {
		t.Fatalf("request %+v", st.Request)
	}
	k.stop()
	env.up()
	env.cases.setAbsent(true) // the case endpoint not deployed: 404 keeps it waiting
	k2 := newKiosk(t, env, kioskOpts{printer: NoPrinter{}, outboxPath: path})
	k2.waitScreen(ScreenHome)
	time.Sleep(100 * time.Millisecond)
	if _, c := env.cases.counts(); c != 0 {
		t.Fatal("created while absent")
	}
	k2.stop()
	env.cases.setAbsent(false)
	k3 := newKiosk(t, env, kioskOpts{printer: NoPrinter{}, outboxPath: path})
	k3.waitFor("delivered", func(State) bool { _, c := env.cases.counts(); return c == 1 })
	k3.waitFor("outbox empty", func(State) bool {
		p, err := k3.outbox.Pending()
		return err == nil && len(p) == 0
	})
	k3.stop()
	k4 := newKiosk(t, env, kioskOpts{printer: NoPrinter{}, outboxPath: path})
	k4.waitScreen(ScreenHome)
	time.Sleep(100 * time.Millisecond)
	k4.stop()
	cs := env.cases.list(t)
	if req, _ := env.cases.counts(); len(cs) != 1 {
		t.Fatalf("%d cases in the store from %d requests", len(cs), req)
	}
	c := cs[0]
	if c.Kind != hall.Kind(KindComplaint) || c.Category != "dorm-repairs" || c.Hall != "students" ||
		c.Channel != hall.ChannelKiosk || c.Token == "" {
		t.Fatalf("case %+v", c)
	}
	// The desk finds it by the reference the screen showed.
	found, err := env.cases.cs.List(context.Background(), hall.CaseFilter{Text: st.Request.Reference})
	if err != nil || len(found) != 1 || found[0].ID != c.ID {
		t.Fatalf("case by reference %s: %v %v", st.Request.Reference, found, err)
	}
	resp, err := http.Get(env.url() + "/c/" + c.Token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /c/{token}: %d", resp.StatusCode)
	}
}

// TestRequestReceiptRealCases: a request logged online with the real case system prints a
// receipt on the in-process virtual printer (sim:DIR) whose QR code decodes (zbarimg, from the
// PNG the printer wrote) to the case's follow URL, PublicURL/c/{token} of the case in the store.
func TestRequestReceiptRealCases(t *testing.T) {
	env := newHallEnv(t)
	dir := filepath.Join(t.TempDir(), "printer")
	prn, err := NewDriverPrinter("sim:"+dir, "80mm")
	if err != nil {
		t.Fatal(err)
	}
	k := newKiosk(t, env, kioskOpts{printer: prn})
	k.waitScreen(ScreenHome)
	k.tap("request")
	k.tap("kind:consultation")
	k.tap("topic:campus-network")
	k.tap("submit")
	st := k.waitFor("receipt printed", func(s State) bool { return s.Screen == ScreenReceipt && !s.Request.Printing })
	r := st.Request
	if r.Case == nil || !r.Printed {
		t.Fatalf("request %+v", r)
	}
	cs := env.cases.list(t)
	if len(cs) != 1 {
		t.Fatalf("%d cases", len(cs))
	}
	want := env.url() + "/c/" + cs[0].Token
	if r.Case.FollowURL != want || r.Case.Number != cs[0].Number {
		t.Fatalf("receipt %+v, want follow URL %s and number %s", r.Case, want, cs[0].Number)
	}
	pages := prn.Sim.Pages()
	if len(pages) != 1 {
		t.Fatalf("%d pages", len(pages))
	}
	checkPage(t, pages[0].Page, cs[0].Number, want)
	checkPNG(t, pages[0].Path, want)
}

// TestRequestWithTicketOnline: complaint with a ticket while online: case created in the real
// case system, receipt and ticket printed, the case carries the ticket.
func TestRequestWithTicketOnline(t *testing.T) {
	env := newHallEnv(t)
	sim := newSimPrinter(t)
	k := newKiosk(t, env, kioskOpts{printer: driverPrinter(t, sim)})
	k.waitScreen(ScreenHome)
	k.tap("request")
	k.tap("kind:suggestion")
	k.tap("topic:canteens")
	k.tap("submit:ticket")
	st := k.waitFor("receipt", func(s State) bool { return s.Screen == ScreenReceipt && !s.Request.Printing })
	r := st.Request
	if r.Case == nil || r.Ticket == nil || r.Ticket.Number != "F001" || !r.Printed {
		t.Fatalf("request %+v", r)
	}
	pages := sim.printed()
	if len(pages) != 2 {
		t.Fatalf("%d pages", len(pages))
	}
	checkPage(t, pages[0], r.Case.Number, r.Case.FollowURL)
	checkPage(t, pages[1], "F001", r.Ticket.FollowURL)
	cs := env.cases.list(t)
	if len(cs) != 1 || cs[0].Ticket != r.Ticket.ID || cs[0].Number != r.Case.Number {
		t.Fatalf("cases %+v, want one carrying ticket %s", cs, r.Ticket.ID)
	}
}

// TestNothingTouchableExits: hundreds of random touches on whatever is on screen never leave
// the app; a long press in the corner and the right PIN do.
func TestNothingTouchableExits(t *testing.T) {
	env := newHallEnv(t)
	k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}})
	k.waitScreen(ScreenHome)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		ids := k.ui.Buttons()
		sort.Strings(ids)
		k.tap(ids[rng.IntN(len(ids))])
		if rng.IntN(10) == 0 {
			k.flow.Finish()
		}
		k.flow.Wait()
		k.pump()
	}
	if k.exits.Load() != 0 {
		t.Fatal("a touch left the app")
	}
	k.flow.Home()
	k.waitScreen(ScreenHome)
	// A short press does nothing; a long one asks for the PIN.
	k.flow.CornerDown()
	k.clock.Add(time.Second)
	k.flow.CornerUp()
	if k.flow.State().Screen == ScreenPIN {
		t.Fatal("short press opened the PIN pad")
	}
	k.flow.CornerDown()
	k.tick(3 * time.Second)
	k.flow.CornerUp()
	k.waitScreen(ScreenPIN)
	for _, d := range "1111" {
		k.tap("pin:" + string(d))
	}
	k.tap("pin:ok")
	if k.exits.Load() != 0 || k.flow.State().Notice != "pin.wrong" {
		t.Fatal("wrong PIN")
	}
	for _, d := range "2468" {
		k.tap("pin:" + string(d))
	}
	k.tap("pin:ok")
	if k.exits.Load() != 1 {
		t.Fatal("right PIN did not exit")
	}
}
