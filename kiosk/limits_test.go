package kiosk

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// withLimits (issue 13): the hall opens 08:30–18:00 on weekdays; A has a quota of 2 a day; B
// issues only in the morning (08:30–11:30); G is seasonal 2025-03-01..03-14 (the kiosk's day,
// Monday 2025-03-03, is inside); H is seasonal from 2025-04-01 (outside). Server and queue read
// the kiosk's start, 17:30.
func withLimits(e *hallEnv) {
	h := &e.campus.Halls[0]
	h.Hours = []hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-18:00"}}}
	h.Services[0].Quota = 2
	h.Services[1].Hours = []hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-11:30"}}}
	h.Services[5].Hours = h.Services[1].Hours // F, the walk-in request's service
	h.Services = append(h.Services,
		hall.Service{Code: "G", Name: hall.Text{Zh: "毕业离校", En: "Graduation leaving"}, AvgMinutes: 5, From: "2025-03-01", Until: "2025-03-14"},
		hall.Service{Code: "H", Name: hall.Text{Zh: "新生入学", En: "Enrolment of new students"}, AvgMinutes: 5, From: "2025-04-01", Until: "2025-04-30"})
	h.Counters[0].Services = append(h.Counters[0].Services, "G", "H")
	e.now = func() time.Time { return kioskStart }
	e.qnow = e.now
}

// TestKioskShowsQuotaHoursAndSeason: the home screen leaves out a seasonal service outside its
// range (H), marks one inside it "限时开放至3月14日" / "Limited period until 14 Mar" (G), greys out
// a service past its quota ("今日号已取完 · 明天 08:30 开始办理") and one outside its hours ("暂停取号
// · 明天 08:30 开始办理"), in Chinese and in English; a greyed button takes no touch.
func TestKioskShowsQuotaHoursAndSeason(t *testing.T) {
	env := newHallEnv(t, withLimits)
	issueDirect(t, env, "A")
	issueDirect(t, env, "A")
	openCounter(t, env, 1)
	k := newKiosk(t, env, kioskOpts{printer: driverPrinter(t, newSimPrinter(t))})
	k.waitFor("home with A past its quota", func(s State) bool {
		v, ok := s.ServiceByCode("A")
		return s.Screen == ScreenHome && ok && v.Closed == hall.EQUOTAREACHED && k.ui.rev == s.Rev
	})
	st := k.flow.State()
	if _, ok := st.ServiceByCode("H"); ok {
		t.Error("H (seasonal, outside its range) is listed")
	}
	if _, ok := k.ui.Button("service:H"); ok {
		t.Error("H has a button")
	}
	lines := func(id string) string {
		t.Helper()
		b, ok := k.ui.Button(id)
		if !ok {
			t.Fatalf("no button %s", id)
		}
		return strings.Join(b.Lines, "\n")
	}
	check := func(lang string, want map[string][]string) {
		t.Helper()
		for id, ws := range want {
			got := lines(id)
			for _, w := range ws {
				if !strings.Contains(got, w) {
					t.Errorf("%s %s: %q lacks %q", lang, id, got, w)
				}
			}
		}
	}
	check("zh", map[string][]string{
		"service:A": {"今日号已取完", "明天 08:30 开始办理"},
		"service:B": {"暂停取号", "明天 08:30 开始办理"},
		"service:G": {"限时开放至3月14日"},
	})
	for _, id := range []string{"service:A", "service:B"} {
		if b, _ := k.ui.Button(id); !b.Disabled {
			t.Errorf("%s is not greyed out", id)
		}
	}
	if b, _ := k.ui.Button("service:G"); b.Disabled || strings.Contains(lines("service:G"), "暂停取号") {
		t.Errorf("G (in its range, open) is greyed: %q", lines("service:G"))
	}
	shot := func(name string) {
		dir := os.Getenv("KIOSK_SCREENSHOTS")
		if dir == "" {
			return
		}
		k.pump()
		f, err := os.Create(filepath.Join(dir, "kiosk-home-limits-"+name+"-landscape.png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, k.win.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
	}
	shot("zh")
	k.tap("service:A")
	if s := k.flow.State(); s.Screen != ScreenHome {
		t.Errorf("a greyed service took a touch: screen %v", s.Screen)
	}
	k.tap("lang")
	k.waitFor("English", func(s State) bool { return s.Lang == "en" && k.ui.rev == s.Rev })
	check("en", map[string][]string{
		"service:A": {"No more numbers today", "opens tomorrow 08:30"},
		"service:B": {"Not issuing numbers now", "opens tomorrow 08:30"},
		"service:G": {"Limited period until 14 Mar"},
	})
	shot("en")
	// A walk-in request is still logged, but offered without a ticket while F issues none.
	k.request("consultation", "campus-network")
	k.waitScreen(ScreenConfirm)
	if _, ok := k.ui.Button("submit:ticket"); ok {
		t.Error("the request offers a ticket of F, which issues none now")
	}
	if _, ok := k.ui.Button("submit"); !ok {
		t.Error("the request cannot be submitted")
	}
	k.flow.Home()
	k.waitScreen(ScreenHome)
	// G takes a ticket as usual.
	k.tap("service:G")
	k.waitScreen(ScreenOptions)
}

// TestKioskQuotaReachedWhileChoosing: A had one ticket left when the person chose it; another
// kiosk took it meanwhile; the server answers 409 quota_reached: the kiosk goes home, says so,
// greys A out with when it opens again, and prints nothing.
func TestKioskQuotaReachedWhileChoosing(t *testing.T) {
	env := newHallEnv(t, withLimits)
	issueDirect(t, env, "A")
	openCounter(t, env, 1)
	sim := newSimPrinter(t)
	k := newKiosk(t, env, kioskOpts{printer: driverPrinter(t, sim)})
	k.waitFor("home with A open", func(s State) bool {
		v, ok := s.ServiceByCode("A")
		return s.Screen == ScreenHome && ok && v.Closed == "" && v.Remaining != nil && *v.Remaining == 1 && k.ui.rev == s.Rev
	})
	k.tap("service:A")
	k.waitScreen(ScreenOptions)
	issueDirect(t, env, "A") // the last one, at another kiosk
	k.tap("take:standard")
	st := k.waitFor("home, A greyed", func(s State) bool {
		v, _ := s.ServiceByCode("A")
		return s.Screen == ScreenHome && v.Closed == hall.EQUOTAREACHED && k.ui.rev == s.Rev
	})
	if st.Notice != "err.full" {
		t.Errorf("notice %q, want err.full", st.Notice)
	}
	if b, _ := k.ui.Button("service:A"); !b.Disabled || !strings.Contains(strings.Join(b.Lines, "\n"), "明天 08:30 开始办理") {
		t.Errorf("A after quota_reached: disabled %v lines %q", b.Disabled, b.Lines)
	}
	if n := len(sim.printed()); n != 0 {
		t.Errorf("%d pages printed", n)
	}
}
