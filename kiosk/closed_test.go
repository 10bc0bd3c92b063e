package kiosk

import (
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// kioskStart is the kiosk tests' clock at start: Monday 2025-03-03 17:30 in Shanghai, after the
// end of the day.
var kioskStart = time.Date(2025, 3, 3, 9, 30, 0, 0, time.UTC)

// withHallHours gives the test hall weekday hours with a lunch break and sets the server's clock
// to the kiosk's start.
func withHallHours(e *hallEnv) {
	e.campus.Halls[0].Hours = []hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-11:30", "14:00-17:00"}}}
	e.campus.Halls[0].IssueOutsideHours = true // tickets taken after hours wait for the morning
	e.now = func() time.Time { return kioskStart }
}

// noWait fails when s gives a wait (minutes, "无需等待") or lacks one of want.
func noWait(t *testing.T, where, s string, want ...string) {
	t.Helper()
	for _, bad := range []string{"分钟", "无需等待", " min", "no wait"} {
		if strings.Contains(s, bad) {
			t.Errorf("%s says %q although nobody serves A:\n%s", where, bad, s)
		}
	}
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", where, w, s)
		}
	}
}

// TestClosedServiceSaysWhenItOpens (issue 12, kiosk 3): after the end of the day, with no counter
// serving A, the home button, the result screen and the printed ticket say that no counter
// serves it and when it opens (the server's opensAt: "明天 08:30 开始办理"), in both languages,
// and never a wait in minutes ("约 0 分钟", "无需等待"). The next morning at 08:30, with still
// nobody serving, the button gives the hall information's opening hours instead of a time past.
// Once a counter opens, the wait is shown again.
func TestClosedServiceSaysWhenItOpens(t *testing.T) {
	env := newHallEnv(t, withHallHours)
	sim := newSimPrinter(t)
	issueDirect(t, env, "A")
	k := newKiosk(t, env, kioskOpts{printer: driverPrinter(t, sim)})
	if k.clock.Now() != kioskStart {
		t.Fatalf("kiosk clock %v, want %v", k.clock.Now(), kioskStart)
	}
	k.waitFor("home with A waiting, its hours known", func(s State) bool {
		v, ok := s.ServiceByCode("A")
		return s.Screen == ScreenHome && ok && v.Waiting == 1 && v.OpensAt != nil && v.Hours.Zh != "" && k.ui.rev == s.Rev
	})
	b, _ := k.ui.Button("service:A")
	noWait(t, "home button A", strings.Join(b.Lines, "\n"), "暂无窗口办理", "明天 08:30 开始办理", "可先取号")
	k.tap("lang")
	k.waitFor("English", func(s State) bool { return s.Lang == "en" && k.ui.rev == s.Rev })
	b, _ = k.ui.Button("service:A")
	noWait(t, "home button A in English", strings.Join(b.Lines, "\n"), "no counter now", "opens tomorrow 08:30")
	k.tap("lang")
	k.waitFor("Chinese", func(s State) bool { return s.Lang == "zh" && k.ui.rev == s.Rev })

	k.tap("service:A")
	k.tap("take:standard")
	k.waitFor("printed", func(s State) bool { return s.Screen == ScreenResult && !s.Ticket.Printing && k.ui.rev == s.Rev })
	noWait(t, "result screen", strings.Join(k.screenTexts(), "\n"), "暂无窗口办理此业务", "明天 08:30 开始办理")
	pages := sim.printed()
	if len(pages) != 1 {
		t.Fatalf("%d pages", len(pages))
	}
	noWait(t, "printed ticket", strings.Join(pages[0].Lines, "\n"), "暂无窗口办理此业务", "明天 08:30 开始办理", "opens tomorrow 08:30")
	k.flow.Finish()
	k.waitScreen(ScreenHome)

	// 08:30 the next morning, nobody at the counters yet: no time in the past, the hours instead.
	k.tick(15 * time.Hour)
	k.waitFor("opening time past", func(s State) bool {
		v, _ := s.ServiceByCode("A")
		return v.OpensAt == nil && k.ui.rev == s.Rev
	})
	b, _ = k.ui.Button("service:A")
	noWait(t, "home button A at 08:30", strings.Join(b.Lines, "\n"), "暂无窗口办理", "办理时间 周一至周五 08:30–11:30、14:00–17:00")
	if strings.Contains(strings.Join(b.Lines, "\n"), "开始办理") {
		t.Errorf("home button A at 08:30 still gives an opening time: %q", b.Lines)
	}

	openCounter(t, env, 1)
	k.waitFor("A open", func(s State) bool {
		v, _ := s.ServiceByCode("A")
		return v.Open && k.ui.rev == s.Rev
	})
	b, _ = k.ui.Button("service:A")
	if l := strings.Join(b.Lines, "\n"); !strings.Contains(l, "分钟") || strings.Contains(l, "暂无窗口") {
		t.Errorf("open service A: %q, want the wait in minutes", l)
	}
}

// TestClosedServiceWithoutHours: a server whose campus gives no opening hours: the kiosk says
// nobody serves A, never a wait, and not the catalogue's demo hours either (the server's word
// stands once it is reached).
func TestClosedServiceWithoutHours(t *testing.T) {
	env := newHallEnv(t)
	issueDirect(t, env, "A")
	k := newKiosk(t, env, kioskOpts{})
	demo := DefaultCatalogue().OpeningHours.Zh
	if demo == "" {
		t.Fatal("the embedded catalogue has no fallback opening hours")
	}
	k.waitFor("home with A waiting, hall information read", func(s State) bool {
		v, ok := s.ServiceByCode("A")
		return s.Screen == ScreenHome && ok && v.Waiting == 1 && s.OpeningHours.Zh == "" && k.ui.rev == s.Rev
	})
	b, _ := k.ui.Button("service:A")
	l := strings.Join(b.Lines, "\n")
	noWait(t, "home button A", l, "暂无窗口办理", "可先取号")
	if strings.Contains(l, demo) || strings.Contains(l, "办理时间") {
		t.Errorf("home button A gives hours the server does not know: %q", l)
	}
}

// TestClosedNoteFallsBackToTheCatalogue: before the hall information arrives, the catalogue's
// opening hours stand in; an opensAt from the server comes first.
func TestClosedNoteFallsBackToTheCatalogue(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, loc)
	fallback := hall.Text{Zh: "工作日 8:30-17:00", En: "weekdays 8:30-17:00"}
	if got := closedNote(ServiceView{}, now, loc, fallback); got.Zh != "办理时间 工作日 8:30-17:00" || got.En != "Open weekdays 8:30-17:00" {
		t.Errorf("fallback: %+v", got)
	}
	at := time.Date(2026, 12, 4, 14, 0, 0, 0, loc)
	v := ServiceView{Hours: hall.Text{Zh: "周一至周五 08:30–17:00", En: "Mon–Fri 08:30–17:00"}}
	v.OpensAt = &at
	if got := closedNote(v, now, loc, fallback); got.Zh != "14:00 开始办理" || got.En != "opens 14:00" {
		t.Errorf("with opensAt: %+v", got)
	}
	if got := closedNote(v, at, loc, fallback); got.Zh != "办理时间 周一至周五 08:30–17:00" {
		t.Errorf("opensAt reached: %+v", got)
	}
	if got := closedNote(ServiceView{}, now, loc, hall.Text{}); got != (hall.Text{}) {
		t.Errorf("nothing known: %+v", got)
	}
}

// TestClosedTicketData: the printed ticket of a service nobody serves carries no estimate (-1)
// and, below "暂无窗口办理此业务…", when it opens in both languages.
func TestClosedTicketData(t *testing.T) {
	f := NewFlow(Config{Hall: "students"})
	at := time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)
	r := &TicketResult{Number: "C007", Service: hall.Text{Zh: "财务缴费", En: "Fees"}, Closed: true, EtaSeconds: 0, IssuedAt: at,
		ClosedNote: hall.Text{Zh: "12月7日 08:30 开始办理", En: "opens 7 Dec 08:30"}}
	d := f.ticketData(hall.Text{Zh: "学生事务大厅", En: "Student Affairs Hall"}, r)
	if d.EtaSeconds != -1 {
		t.Errorf("estimate %d printed for a service nobody serves", d.EtaSeconds)
	}
	if d.Footer != "暂无窗口办理此业务，有窗口开放后按顺序叫号\n12月7日 08:30 开始办理" ||
		d.FooterEn != "Nobody serves this now: numbers are called in turn once a counter opens\nopens 7 Dec 08:30" {
		t.Errorf("footer %q / %q", d.Footer, d.FooterEn)
	}
}

// TestSnapshotWithAnOpeningTimePast: a snapshot that arrives after the kiosk's clock passed the
// service's opensAt (a late answer, or a server clock behind the kiosk's) gives no opening time:
// the screen says the hours, never a time that has come (a CI run saw the late snapshot undo
// the Tick that had forgotten it).
func TestSnapshotWithAnOpeningTimePast(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC) // 08:30 in Shanghai
	f := NewFlow(Config{Hall: "students", Now: func() time.Time { return now }})
	past, next := now.Add(-time.Minute), now.Add(time.Hour)
	f.ApplySnapshot(&hall.Snapshot{Seq: 3, Services: []hall.ServiceStatus{
		{Code: "A", Waiting: 1, OpensAt: &past},
		{Code: "B", Waiting: 1, OpensAt: &next},
		{Code: "C", Closed: hall.EQUOTAREACHED, NextIssueAt: &past},
	}})
	st := f.State()
	a, _ := st.ServiceByCode("A")
	b, _ := st.ServiceByCode("B")
	c, _ := st.ServiceByCode("C")
	if a.OpensAt != nil {
		t.Errorf("A keeps the opening time %v that has come", a.OpensAt)
	}
	if b.OpensAt == nil || !b.OpensAt.Equal(next) {
		t.Errorf("B's opening time to come: %v", b.OpensAt)
	}
	if !c.Takes() {
		t.Errorf("C closed until a time that has come: %q until %v", c.Closed, c.NextIssueAt)
	}
}
