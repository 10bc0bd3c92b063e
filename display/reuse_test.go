package display

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	"onedoor/ui/theme"
)

// testApp is a Fyne test app with the CJK theme; every window of a test shares it.
func testApp(t *testing.T) {
	t.Helper()
	a := test.NewTempApp(t)
	th, err := theme.Load()
	if err != nil {
		t.Fatal(err)
	}
	a.Settings().SetTheme(Theme(th))
}

// uiWindow shows a new UI in a 1920x1080 test window of the current test app.
func uiWindow(t *testing.T, ctx context.Context) (*UI, fyne.Window) {
	t.Helper()
	u := NewUI(ctx, false)
	win := test.NewTempWindow(t, u.Object())
	win.SetPadded(false)
	win.Resize(fyne.NewSize(1920, 1080))
	return u, win
}

// drawn describes every object of the screen as it would be drawn: visibility, text, colour,
// place and size (the flashing panel and the notice line aside: they move with time).
func drawn(u *UI) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []string
	for i, o := range u.root.Objects {
		if o == u.nowBg.Container || o == u.nowFlash || o == u.noticeClip {
			continue
		}
		d := fmt.Sprintf("%d visible=%v at=%v size=%v", i, o.Visible(), o.Position(), o.Size())
		switch x := o.(type) {
		case *canvas.Text:
			if x.Visible() {
				d += fmt.Sprintf(" text=%q colour=%v textsize=%v", x.Text, x.Color, x.TextSize)
			}
		case *canvas.Rectangle:
			d += fmt.Sprintf(" fill=%v", x.FillColor)
		case *fyne.Container: // a panel
			if c, ok := x.Objects[0].(*canvas.Circle); ok {
				d += fmt.Sprintf(" fill=%v", c.FillColor)
			}
		}
		out = append(out, d)
	}
	return out
}

// shownNumber is the big number as its character cells show it.
func shownNumber(u *UI) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var b strings.Builder
	for _, c := range u.nowNumber.cells {
		if c.Visible() {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

// TestUIManyUpdatesShowTheSameAsAFreshScreen: the screen reuses its objects and redraws only
// what changed; after hundreds of calls, recalls, priority calls, calls at once, queue and
// counter changes, notices coming and going, resync snapshots with fewer services and no calls,
// and the link dropping, every object shows exactly what a freshly built screen shows for the
// same view: no stale number, row, card, colour or place.
func TestUIManyUpdatesShowTheSameAsAFreshScreen(t *testing.T) {
	testApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u, _ := uiWindow(t, ctx)
	s := demoState(t)
	loc := shanghai(t)
	r := rand.New(rand.NewPCG(1, 19))
	now := time.Date(2026, 11, 25, 2, 0, 5, 0, time.UTC)
	seq := uint64(100)
	codes := []string{"A", "B", "C", "D", "E", "F"}
	n := map[string]int{}
	link := Link{Connected: true}
	var v View
	for step := 1; step <= 600; step++ {
		seq++
		now = now.Add(time.Duration(r.IntN(40)) * time.Second)
		switch k := r.IntN(20); {
		case k < 10: // a call, sometimes a green-channel one, numbers growing past 999
			code := codes[r.IntN(len(codes))]
			n[code] += 1 + r.IntN(150)
			m := called(seq, hall.EventCalled, fmt.Sprintf("%s%03d", code, n[code]), 1+r.IntN(6), now, map[string]int{code: r.IntN(30)})
			m.Event.Ticket.Priority = r.IntN(5) == 0
			s.Apply(m)
		case k < 12: // a recall of a recent number
			if len(s.Recent) > 0 {
				c := s.Recent[r.IntN(len(s.Recent))]
				s.Apply(called(seq, hall.EventRecalled, c.Number, c.Counter, now, nil))
			}
		case k < 14: // a counter pauses or opens: the services' state changes
			st := hall.CounterOpen
			if r.IntN(2) == 0 {
				st = hall.CounterPaused
			}
			s.Apply(client.Message{Type: "counter.state", Seq: seq, Event: &hall.Event{Seq: seq, Type: hall.EventCounter, At: now,
				Counter: &hall.Counter{Number: 1 + r.IntN(6), State: st, Services: []string{codes[r.IntN(6)]}}}})
		case k < 16: // a notice comes, long or short, or goes
			id := fmt.Sprint(r.IntN(3))
			if r.IntN(3) == 0 {
				s.Apply(client.Message{Type: string(hall.EventNoticeGone), Seq: seq, Event: &hall.Event{Seq: seq, Type: hall.EventNoticeGone, At: now, Notice: &hall.Notice{ID: id}}})
			} else {
				text := hall.Text{Zh: fmt.Sprintf("通知 %d：", step) + strings.Repeat("请携带校园卡办理业务。", 1+r.IntN(8)), En: "Notice " + id}
				s.Apply(client.Message{Type: string(hall.EventNotice), Seq: seq, Event: &hall.Event{Seq: seq, Type: hall.EventNotice, At: now, Notice: &hall.Notice{ID: id, Text: text}}})
			}
		case k < 17: // a resync snapshot: three services, no calls today
			snap := &hall.Snapshot{Seq: seq, Hall: "students", Name: hall.Text{Zh: "学生事务大厅", En: "Student Affairs Hall"}}
			for _, c := range codes[:3] {
				snap.Services = append(snap.Services, hall.ServiceStatus{Code: c, Name: hall.Text{Zh: "业务" + c, En: "Service " + c}, Waiting: r.IntN(9), EtaSeconds: 300, Open: true})
			}
			s.Apply(client.Message{Type: "snapshot", Seq: seq, Snapshot: snap})
		case k < 18: // back to six services
			s2 := demoState(t)
			s.Services = s2.Services
		default: // the link drops or comes back
			link = Link{Connected: r.IntN(2) == 0, Since: now.Add(-time.Duration(r.IntN(20)) * time.Second)}
		}
		v = s.View(now, loc, link)
		u.Show(v)

		want := "—"
		if v.Now != nil {
			want = v.Now.Number
		}
		if got := shownNumber(u); got != want {
			t.Fatalf("step %d: the big number shows %q, the view %q", step, got, want)
		}
		if step%50 != 0 {
			continue
		}
		fresh, _ := uiWindow(t, nil)
		fresh.Show(v)
		got, exp := drawn(u), drawn(fresh)
		if len(got) != len(exp) {
			t.Fatalf("step %d: %d objects against %d", step, len(got), len(exp))
		}
		for i := range got {
			if got[i] != exp[i] {
				t.Fatalf("step %d: after reuse\n  %s\na fresh screen\n  %s", step, got[i], exp[i])
			}
		}
		gp, _ := u.NoticePages()
		fp, _ := fresh.NoticePages()
		if strings.Join(gp, "|") != strings.Join(fp, "|") {
			t.Fatalf("step %d: notice pages %q, fresh %q", step, gp, fp)
		}
	}
}

// TestUIIdleRunsNoAnimation: with nothing moving (no flash, a notice that fits) no animation
// is due and no goroutine is left per call; a call flashes, then stops; a notice wider than
// the screen is shown a page at a time, each page fitting, together the whole notice.
func TestUIIdleRunsNoAnimation(t *testing.T) {
	testApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u, _ := uiWindow(t, ctx)
	s := demoState(t)
	loc := shanghai(t)
	now := time.Date(2026, 11, 25, 2, 0, 5, 0, time.UTC)
	s.Apply(client.Message{Type: string(hall.EventNoticeGone), Seq: 101, Event: &hall.Event{Seq: 101, Type: hall.EventNoticeGone, At: now, Notice: &hall.Notice{ID: "2"}}})
	u.Show(s.View(now, loc, Link{Connected: true}))
	if pages, _ := u.NoticePages(); len(pages) != 1 || !strings.Contains(pages[0], "16:00") {
		t.Fatalf("one short notice shown as %q", pages)
	}
	if u.Animating() || u.Flashing() {
		t.Fatal("animating with nothing moving")
	}
	before := runtime.NumGoroutine()
	for i := 0; i < 300; i++ {
		s.Apply(called(uint64(200+i), hall.EventCalled, fmt.Sprintf("C%03d", i), 1+i%6, now.Add(time.Duration(i)*time.Minute), nil))
		u.Show(s.View(now, loc, Link{Connected: true}))
	}
	if g := runtime.NumGoroutine(); g > before+2 {
		t.Errorf("%d goroutines after 300 calls, %d before", g, before)
	}
	if !u.Flashing() || !u.Animating() {
		t.Fatal("a new call does not flash")
	}
	deadline := time.Now().Add(10 * time.Second)
	for u.Animating() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if u.Animating() || u.Flashing() {
		t.Fatal("still animating 10 s after the last call")
	}

	long := strings.Repeat("图书馆今晚闭馆维修，借还书请到东区分馆办理。 The library closes tonight for repairs. ", 4)
	s.Apply(client.Message{Type: string(hall.EventNotice), Seq: 900, Event: &hall.Event{Seq: 900, Type: hall.EventNotice, At: now, Notice: &hall.Notice{ID: "long", Text: hall.Text{Zh: long}}}})
	u.Show(s.View(now, loc, Link{Connected: true}))
	pages, _ := u.NoticePages()
	if len(pages) < 2 || !u.Animating() {
		t.Fatalf("a long notice in %d pages, animating %v", len(pages), u.Animating())
	}
	u.mu.Lock()
	width := u.pagesWidth
	size, style := u.noticeText.TextSize, u.noticeText.TextStyle
	u.mu.Unlock()
	for _, p := range pages {
		if w := fyne.MeasureText(p, size, style).Width; w > width {
			t.Errorf("page %q is %v wide in %v", p, w, width)
		}
	}
	// (a separator " · " between two notices is left out where a page ends)
	squash := func(s string) string { return strings.ReplaceAll(strings.Join(strings.Fields(s), ""), "·", "") }
	if got, want := squash(strings.Join(pages, "")), squash(u.Last().Notice); got != want {
		t.Errorf("pages %q\ncover %q", got, want)
	}
}

// TestCutPages: notices stay whole where they fit; a long one breaks between CJK characters
// (punctuation kept with its character) and Latin words.
func TestCutPages(t *testing.T) {
	measure := func(s string) float32 { return float32(len([]rune(s))) } // one unit a character
	got := cutPages("短通知"+noticeSep+"第二条", 20, measure)
	if len(got) != 1 || got[0] != "短通知"+noticeSep+"第二条" {
		t.Errorf("two short notices: %q", got)
	}
	got = cutPages("请携带校园卡，按顺序办理。 Please bring your card", 10, measure)
	want := []string{"请携带校园卡，按顺序", "办理。 Please", "bring your", "card"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("cut %q, want %q", got, want)
	}
}

// TestControllerDrawsTheLatestOfABurst: views coming faster than FrameGap are drawn together;
// the screen ends showing the last one.
func TestControllerDrawsTheLatestOfABurst(t *testing.T) {
	testApp(t)
	u, _ := uiWindow(t, nil)
	c := NewController(Config{Hall: "students", UI: u})
	c.state = *demoState(t)
	now := time.Date(2026, 11, 25, 2, 0, 5, 0, time.UTC)
	for i := 0; i < 50; i++ {
		if err := c.handle(called(uint64(200+i), hall.EventCalled, fmt.Sprintf("E%03d", i), 1+i%6, now.Add(time.Duration(i)*time.Second), nil)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for shownNumber(u) != "E049" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := shownNumber(u); got != "E049" || u.Last().Now.Number != "E049" {
		t.Fatalf("after a burst the screen shows %q", got)
	}
}

// TestNewEstimatesWaitForTheFlashToEnd: wait estimates fetched while a call flashes are drawn
// in the frame that ends the flash (one frame, not two); a call shown meanwhile supersedes them.
func TestNewEstimatesWaitForTheFlashToEnd(t *testing.T) {
	testApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u, _ := uiWindow(t, ctx)
	s := demoState(t)
	loc := shanghai(t)
	now := time.Date(2026, 11, 25, 2, 0, 5, 0, time.UTC)
	u.Show(s.View(now, loc, Link{Connected: true}))
	s.Apply(called(101, hall.EventCalled, "B005", 1, now, nil))
	u.Show(s.View(now, loc, Link{Connected: true}))
	if !u.Flashing() {
		t.Fatal("no flash")
	}
	s.Services[1].Waiting, s.Services[1].EtaSeconds = 4, 600 // B, which counter 1 serves
	u.ShowLater(s.View(now, loc, Link{Connected: true}))
	u.mu.Lock()
	during := u.cards[1].count.Text
	u.mu.Unlock()
	if during != "5" {
		t.Fatalf("estimates drawn during the flash: %q", during)
	}
	deadline := time.Now().Add(10 * time.Second)
	for u.Flashing() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	u.mu.Lock()
	after, wait := u.cards[1].count.Text, u.cards[1].waitZh.Text
	u.mu.Unlock()
	if after != "4" || !strings.Contains(wait, "约 10 分钟") {
		t.Fatalf("after the flash: %q %q", after, wait)
	}
}

// TestAQueueChangeWaitsForTheCall: a ticket issued (a waiting count, nobody called) is drawn
// within LazyGap, or at once with a call that comes first: one frame for both.
func TestAQueueChangeWaitsForTheCall(t *testing.T) {
	testApp(t)
	u, _ := uiWindow(t, nil)
	c := NewController(Config{Hall: "students", UI: u})
	c.state = *demoState(t)
	now := time.Date(2026, 11, 25, 2, 0, 5, 0, time.UTC)
	u.Show(c.View())
	issued := client.Message{Type: string(hall.EventIssued), Seq: 101, Event: &hall.Event{Seq: 101, Type: hall.EventIssued, At: now, Waiting: map[string]int{"B": 6}}}
	if err := c.handle(issued); err != nil {
		t.Fatal(err)
	}
	count := func() string { u.mu.Lock(); defer u.mu.Unlock(); return u.cards[1].count.Text }
	if got := count(); got != "5" {
		t.Fatalf("a ticket issued drawn at once: B shows %q", got)
	}
	if err := c.handle(called(102, hall.EventCalled, "A013", 2, now, map[string]int{"A": 11})); err != nil {
		t.Fatal(err)
	}
	if got, n := count(), shownNumber(u); got != "6" || n != "A013" {
		t.Fatalf("with the call: B shows %q, the number %q", got, n)
	}
	if err := c.handle(client.Message{Type: string(hall.EventIssued), Seq: 103, Event: &hall.Event{Seq: 103, Type: hall.EventIssued, At: now, Waiting: map[string]int{"B": 7}}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(LazyGap + 5*time.Second)
	for count() != "7" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := count(); got != "7" {
		t.Fatalf("%v after a ticket issued B shows %q", LazyGap+5*time.Second, got)
	}
}

// TestNoticePagesTurnWithTheCalls: a notice of several pages turns its page in the frame a call
// draws anyway once the page has been up for noticeMinPage (no frame of its own while calls
// come), not earlier, and not when nothing on the screen changed.
func TestNoticePagesTurnWithTheCalls(t *testing.T) {
	testApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u, _ := uiWindow(t, ctx)
	s := demoState(t)
	loc := shanghai(t)
	now := time.Date(2026, 11, 25, 2, 0, 5, 0, time.UTC)
	long := strings.Repeat("图书馆今晚闭馆维修，借还书请到东区分馆办理。 The library closes tonight for repairs. ", 4)
	s.Apply(client.Message{Type: string(hall.EventNotice), Seq: 900, Event: &hall.Event{Seq: 900, Type: hall.EventNotice, At: now, Notice: &hall.Notice{ID: "long", Text: hall.Text{Zh: long}}}})
	u.Show(s.View(now, loc, Link{Connected: true}))
	pages, page := u.NoticePages()
	if len(pages) < 3 || page != 0 {
		t.Fatalf("a long notice in %d pages, page %d shown", len(pages), page)
	}
	call := func(i int) {
		s.Apply(called(uint64(901+i), hall.EventCalled, fmt.Sprintf("C%03d", i), 1+i%6, now.Add(time.Duration(i)*time.Minute), nil))
		u.Show(s.View(now, loc, Link{Connected: true}))
	}
	call(0)
	if _, page := u.NoticePages(); page != 0 {
		t.Fatalf("a call right after the notice turned its page (%d)", page)
	}
	u.mu.Lock()
	u.pageFrom = time.Now().Add(-noticeMinPage)
	u.mu.Unlock()
	u.Show(u.Last()) // nothing changed: no frame, no page turn
	if _, page := u.NoticePages(); page != 0 {
		t.Fatalf("the same view again turned the page (%d)", page)
	}
	call(1)
	if _, page := u.NoticePages(); page != 1 {
		t.Fatalf("a call %v after the page was shown left page %d", noticeMinPage, page)
	}
	u.mu.Lock()
	line := u.noticeText.Text
	u.mu.Unlock()
	if line != pages[1] {
		t.Fatalf("the notice line shows %q, page 1 is %q", line, pages[1])
	}
}

// TestBackdropAndPanelsTileTheWindow: the window is cleared to the panels' colour, so the
// background must be painted exactly where no header, notice line or panel of that colour is:
// together they cover every pixel of the window once, in both orientations and with fewer
// service cards.
func TestBackdropAndPanelsTileTheWindow(t *testing.T) {
	if got := uncovered(10, 10, []box{{0, 0, 10, 2}, {2, 4, 5, 8}}); len(got) != 4 {
		t.Fatalf("uncovered: %v", got)
	}
	for _, o := range []struct {
		portrait bool
		w, h     float32
		services int
	}{{false, 1920, 1080, 6}, {true, 1080, 1920, 6}, {false, 1920, 1080, 4}, {false, 1280, 1024, 6}} {
		u, win, s, loc, now := demoUI(t, o.portrait, o.w, o.h)
		v := s.View(now, loc, Link{Connected: true})
		v.Services = v.Services[:o.services]
		u.Show(v)
		capture(u, win)
		u.mu.Lock()
		boxes := []box{boxOf(u.headerBg), boxOf(u.noticeBg), boxOf(u.nowBg), boxOf(u.recentBg)}
		for i := range u.cards {
			if !u.cards[i].bg.Hidden {
				boxes = append(boxes, boxOf(u.cards[i].bg))
			}
		}
		for _, p := range u.backdrop.Objects {
			if p.Visible() {
				boxes = append(boxes, boxOf(p))
			}
		}
		u.mu.Unlock()
		// Count each pixel's cover on a grid of every 4th pixel.
		for y := float32(1); y < o.h; y += 4 {
			for x := float32(1); x < o.w; x += 4 {
				n := 0
				for _, b := range boxes {
					if x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1 {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("%vx%v with %d services: pixel (%v,%v) covered %d times", o.w, o.h, o.services, x, y, n)
				}
			}
		}
	}
}
