package kiosk

import (
	"strings"
	"testing"
)

// TestClosedServiceNoZeroWait (issue 12, kiosk 3): with no counter serving A, the home button,
// the result screen and the printed ticket say that nobody serves it now and when it opens (the
// catalogue's opening hours), and never "无需等待" or a wait in minutes ("约 0 分钟"). Once a
// counter opens, the wait is shown again.
func TestClosedServiceNoZeroWait(t *testing.T) {
	env := newHallEnv(t)
	sim := newSimPrinter(t)
	issueDirect(t, env, "A")
	k := newKiosk(t, env, kioskOpts{printer: driverPrinter(t, sim)})
	k.waitFor("home with A waiting", func(s State) bool {
		v, ok := s.ServiceByCode("A")
		return s.Screen == ScreenHome && ok && v.Waiting == 1 && k.ui.rev == s.Rev
	})
	hours := DefaultCatalogue().OpeningHours.Zh
	if hours == "" {
		t.Fatal("the embedded catalogue has no opening hours")
	}
	noWait := func(where, s string) {
		t.Helper()
		for _, bad := range []string{"分钟", "无需等待"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s says %q although nobody serves A:\n%s", where, bad, s)
			}
		}
		for _, want := range []string{"现在无人办理", hours} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %q:\n%s", where, want, s)
			}
		}
	}
	b, _ := k.ui.Button("service:A")
	noWait("home button A", strings.Join(b.Lines, "\n"))
	k.tap("service:A")
	k.tap("take:standard")
	k.waitFor("printed", func(s State) bool { return s.Screen == ScreenResult && !s.Ticket.Printing && k.ui.rev == s.Rev })
	noWait("result screen", strings.Join(k.screenTexts(), "\n"))
	pages := sim.printed()
	if len(pages) != 1 {
		t.Fatalf("%d pages", len(pages))
	}
	noWait("printed ticket", strings.Join(pages[0].Lines, ""))
	k.flow.Finish()
	k.waitScreen(ScreenHome)

	openCounter(t, env, 1)
	k.waitFor("A open", func(s State) bool {
		v, _ := s.ServiceByCode("A")
		return v.Open && k.ui.rev == s.Rev
	})
	b, _ = k.ui.Button("service:A")
	if l := strings.Join(b.Lines, "\n"); !strings.Contains(l, "分钟") || strings.Contains(l, "无人办理") {
		t.Errorf("open service A: %q, want the wait in minutes", l)
	}
}
