package http

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
)

// farCampus and farBrowser: a campus zone (+05:30) far from the browser's (−05:00/−04:00), and
// from the zone the display used to assume (Asia/Shanghai), so a page that shows a time in any
// zone but the campus's shows another hour and minute.
const (
	farCampus  = "Asia/Kolkata"
	farBrowser = "America/New_York"
)

// TestPagesShowCampusTimesInAFarZone: with Chromium in New York and the campus in Kolkata, the
// counter console, the hall display, the department inbox and the follow page show their times
// in the campus zone, and their state and event names come from the label catalogue.
func TestPagesShowCampusTimesInAFarZone(t *testing.T) {
	e := newCaseEnvAt(t, nil, withCampusZone(farCampus))
	loc, err := time.LoadLocation(farCampus)
	if err != nil {
		t.Fatal(err)
	}
	ctx := browserIn(t, 1280, 900, farBrowser)
	run(t, ctx, "blank", chromedp.Navigate(e.ts.URL+"/healthz"))
	if got := evalString(t, ctx, `Intl.DateTimeFormat().resolvedOptions().timeZone`); got != farBrowser {
		t.Fatalf("browser zone %q, want %q", got, farBrowser)
	}
	staffText := func(l hall.Text) string { return l.Zh + " " + l.En }

	t.Run("counter", func(t *testing.T) {
		tk := e.issue("A")
		openConsole(t, ctx, e.ts.URL, "counter1", 1)
		openCounter(t, ctx)
		run(t, ctx, "call", chromedp.Click(chromedp.CSS("#call-next")))
		must(t, ctx, "called", `onedoorCounter.current() === `+jsString(tk.Number)+` && !onedoorCounter.busy()`, 3*time.Second)
		if got, want := evalString(t, ctx, `document.getElementById("cur-issued").textContent`), tk.IssuedAt.In(loc).Format("15:04"); got != want {
			t.Errorf("issued at %q, want %q (campus time)", got, want)
		}
		if got, want := evalString(t, ctx, `document.getElementById("cur-state").textContent`), staffText(staffLabels().Ticket[hall.TicketCalled]); got != want {
			t.Errorf("ticket state %q, want %q", got, want)
		}
		if got, want := evalString(t, ctx, `document.getElementById("counter-state").textContent`), staffText(staffLabels().Counter[hall.CounterOpen]); got != want {
			t.Errorf("counter state %q, want %q", got, want)
		}
		shot(t, ctx, "zone-counter")
	})

	t.Run("display", func(t *testing.T) {
		before := time.Now().In(loc)
		run(t, ctx, "open display", chromedp.Navigate(e.ts.URL+"/display/students?sound=off"))
		must(t, ctx, "clock", `document.getElementById("clock").textContent !== "--:--:--"`, 3*time.Second)
		clock := evalString(t, ctx, `document.getElementById("clock").textContent`)
		date := evalString(t, ctx, `document.getElementById("date").textContent`)
		after := time.Now().In(loc)
		if clock[:5] != before.Format("15:04") && clock[:5] != after.Format("15:04") {
			t.Errorf("clock %q, want campus time %s–%s", clock, before.Format("15:04:05"), after.Format("15:04:05"))
		}
		day := func(d time.Time) string { return fmt.Sprintf("%d年%d月%d日", d.Year(), d.Month(), d.Day()) }
		if !strings.HasPrefix(date, day(before)) && !strings.HasPrefix(date, day(after)) {
			t.Errorf("date %q, want the campus day %s", date, day(before))
		}
		shot(t, ctx, "zone-display")
	})

	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "图书馆三楼占座严重"}, "")
	var c hall.Case
	e.do("GET", "/api/v1/cases/"+oc.ID, e.login("supervisor"), nil).decode(t, &c)

	t.Run("inbox", func(t *testing.T) {
		openInbox(t, ctx, e.ts.URL, "h-library", oc.Number)
		clickCase(t, ctx, "pick the case", oc.Number)
		must(t, ctx, "case shown", `onedoorInbox.selected() === `+jsString(oc.Number), 3*time.Second)
		if got, want := evalString(t, ctx, `document.getElementById("c-meta").textContent`), "受理 "+c.ReceivedAt.In(loc).Format("01-02 15:04"); !strings.Contains(got, want) {
			t.Errorf("case meta %q, want %q (campus time)", got, want)
		}
		if got, want := evalString(t, ctx, `document.getElementById("c-due").textContent`), c.Due.In(loc).Format("01-02 15:04"); got != want {
			t.Errorf("due %q, want %q", got, want)
		}
		if got, want := evalString(t, ctx, `document.getElementById("c-state").textContent`), staffText(staffLabels().Case[c.State]); got != want {
			t.Errorf("case state %q, want %q", got, want)
		}
		first := evalString(t, ctx, `document.querySelector("#c-timeline li").textContent`)
		if l := staffLabels().Event[hall.CaseEvReceived]; !strings.HasPrefix(first, c.ReceivedAt.In(loc).Format("01-02 15:04")+l.Zh+" "+l.En) {
			t.Errorf("first timeline line %q", first)
		}
		evalString(t, ctx, `(document.getElementById("c-timeline").scrollIntoView(), "")`)
		shot(t, ctx, "zone-inbox")
	})

	t.Run("follow", func(t *testing.T) {
		phone := tab(t, ctx, 390, 844)
		run(t, phone, "open follow page", chromedp.Navigate(e.ts.URL+"/c/"+oc.Token))
		must(t, phone, "follow page", `window.onedoorFollow && !document.getElementById("details").hidden`, 3*time.Second)
		// Details sent from the page: the script draws the timeline anew (times and labels).
		run(t, phone, "add details",
			chromedp.SendKeys(chromedp.CSS("#details-text"), "三楼东侧"),
			chromedp.Click(chromedp.CSS("#details-btn")))
		must(t, phone, "details on the timeline", `document.querySelectorAll("#timeline li").length >= 2 && document.getElementById("timeline").textContent.indexOf("三楼东侧") >= 0`, 3*time.Second)
		var after hall.Case
		e.do("GET", "/api/v1/cases/"+oc.ID, e.login("supervisor"), nil).decode(t, &after)
		last := after.Timeline[len(after.Timeline)-1]
		if last.Type != hall.CaseEvDetails {
			t.Fatalf("last entry %s", last.Type)
		}
		l := publicLabels().Event[hall.CaseEvDetails]
		got := evalString(t, phone, `(function(){var li=document.querySelectorAll("#timeline li");li=li[li.length-1];return li.querySelector("time").textContent+"|"+li.querySelector("b").textContent+"|"+li.querySelector(".en").textContent})()`)
		if want := last.At.In(loc).Format("01-02 15:04") + "|" + l.Zh + "|" + l.En; got != want {
			t.Errorf("details line %q, want %q (campus time, catalogue label)", got, want)
		}
		if got, want := evalString(t, phone, `document.querySelector("#timeline time").textContent`), c.ReceivedAt.In(loc).Format("01-02 15:04"); got != want {
			t.Errorf("received %q, want %q", got, want)
		}
		if got, l := evalString(t, phone, `document.getElementById("case-state").textContent`), publicLabels().Case[after.State]; got != l.Zh+" "+l.En {
			t.Errorf("case state %q, want %+v", got, l)
		}
		evalString(t, phone, `(document.getElementById("timeline").scrollIntoView(), "")`)
		shot(t, phone, "zone-follow")
	})
}

// signInForm fills the staff sign-in form (the "login" partial) as user, password "demo", and sends it.
func signInForm(t testing.TB, ctx context.Context, user string) {
	t.Helper()
	run(t, ctx, "sign in as "+user,
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), "demo"),
		chromedp.Click(chromedp.CSS("#login-btn")))
}

// openInbox opens the department inbox, signs user in and waits until it lists the case number.
func openInbox(t testing.TB, ctx context.Context, base, user, number string) {
	t.Helper()
	run(t, ctx, "open inbox", chromedp.Navigate(base+"/cases"))
	must(t, ctx, "sign-in form", `window.onedoorInbox && onedoorInbox.ready() && !document.getElementById("login").hidden`, 5*time.Second)
	signInForm(t, ctx, user)
	must(t, ctx, "inbox lists the case", `!document.getElementById("app").hidden && !!document.querySelector('#cases li[data-number=`+jsString(number)+`]')`, 5*time.Second)
}
