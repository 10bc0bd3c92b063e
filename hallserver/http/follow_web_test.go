package http

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// settableClock is a case-service clock a test moves forward.
type settableClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *settableClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.at }
func (c *settableClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// timelineLines is what the follow page's timeline says, line by line.
const timelineLines = `Array.prototype.map.call(document.querySelectorAll("#timeline li"), function (li) { return li.textContent; }).join("\n")`

// refreshCase makes the follow page fetch the case again (as it does every 15 s and when the
// phone comes back to the page) and waits until it has drawn the answer.
func refreshCase(t *testing.T, ctx context.Context) {
	t.Helper()
	evalString(t, ctx, `(document.getElementById("follow").removeAttribute("data-case-state"), document.dispatchEvent(new Event("visibilitychange")), "")`)
	must(t, ctx, "case drawn again", `!!document.getElementById("follow").dataset.caseState`, 3*time.Second)
}

// TestFollowPageLiveUpdateKeepsZoneAndNames: with the browser in New York and the campus in
// Kolkata, the timeline the follow page draws after a live update says exactly what the server
// wrote: the same campus times, the same department names ("已请…协办", "· 图书馆").
func TestFollowPageLiveUpdateKeepsZoneAndNames(t *testing.T) {
	e := newCaseEnvAt(t, nil, withCampusZone(farCampus))
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "图书馆三楼占座严重"}, "")
	lib := e.login("h-library")
	e.caseAct(lib, oc.ID, "sign", nil)
	e.caseAct(lib, oc.ID, "invite", map[string]string{"department": "it", "text": "检查座位预约系统"})
	ctx := browserIn(t, 390, 844, farBrowser)
	run(t, ctx, "open follow page", chromedp.Navigate(e.ts.URL+"/c/"+oc.Token))
	must(t, ctx, "follow page", `window.onedoorFollow && !!document.getElementById("follow").dataset.caseToken`, 3*time.Second)
	before := evalString(t, ctx, timelineLines)
	it := e.srv.departmentName("it")
	if !strings.Contains(before, it.Zh) {
		t.Fatalf("server-drawn timeline names no co-handling department %q:\n%s", it.Zh, before)
	}
	refreshCase(t, ctx)
	if after := evalString(t, ctx, timelineLines); after != before {
		t.Errorf("timeline after a live update:\n%s\nwant what the server wrote:\n%s", after, before)
	}
	shot(t, ctx, "follow-live-timeline")
}

// TestFollowPageReopenedReplyBy: after the requester's 2-star rating reopens the case, the
// follow page by its own case token (/c/) shows the new reply-by time, as the ticket's page
// (/t/) does, both when the rating is sent from the page and after a reload.
func TestFollowPageReopenedReplyBy(t *testing.T) {
	clk := &settableClock{at: time.Date(2031, 5, 6, 2, 0, 0, 0, time.UTC)} // a Tuesday, 10:00 in Shanghai
	e := newCaseEnvAt(t, clk.now)
	loc := e.srv.campusLoc()
	tk := e.issue("A")
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "图书馆三楼占座严重", "ticketId": tk.ID}, "")
	lib := e.login("h-library")
	e.caseAct(lib, oc.ID, "sign", nil)
	clk.add(time.Hour)
	e.caseAct(lib, oc.ID, "reply", map[string]string{"text": "已加强巡查"})
	old := e.caseJSON(e.login("supervisor"), oc.ID).ReplyDue.In(loc).Format("01-02 15:04")
	clk.add(26 * time.Hour)

	ctx := browser(t, 390, 844)
	run(t, ctx, "open follow page", chromedp.Navigate(e.ts.URL+"/c/"+oc.Token))
	must(t, ctx, "rating form", `window.onedoorFollow && !document.getElementById("rate").hidden`, 3*time.Second)
	if got := evalString(t, ctx, `document.getElementById("case-due").textContent`); got != old {
		t.Fatalf("reply-by before the rating %q, want %q", got, old)
	}
	run(t, ctx, "rate 2 stars", chromedp.Click(chromedp.CSS(`label[for="star-2"]`)), chromedp.Click(chromedp.CSS("#rate-btn")))
	must(t, ctx, "reopened", `document.getElementById("follow").dataset.caseState === "reopened"`, 3*time.Second)
	c := e.caseJSON(e.login("supervisor"), oc.ID)
	want := c.ReplyDue.In(loc).Format("01-02 15:04")
	if c.State != hall.CaseReopened || want == old {
		t.Fatalf("case after the rating: %s, reply-by %s (was %s)", c.State, want, old)
	}
	if got := evalString(t, ctx, `document.getElementById("case-due").textContent`); got != want {
		t.Errorf("/c/ page after the rating shows reply-by %q, want the new %q", got, want)
	}
	if got := evalString(t, ctx, `document.getElementById("case-promise").hidden ? "" : document.getElementById("case-promise").textContent`); got != "" && !strings.Contains(got, want) {
		t.Errorf("promise %q names another time than %q", got, want)
	}
	for _, u := range []string{"/c/" + oc.Token, "/t/" + tk.Token} {
		run(t, ctx, "reload "+u, chromedp.Navigate(e.ts.URL+u))
		must(t, ctx, "page", `window.onedoorFollow && !!document.getElementById("case-due")`, 3*time.Second)
		if got := evalString(t, ctx, `document.getElementById("case-due").textContent`); got != want {
			t.Errorf("%s shows reply-by %q, want %q", u, got, want)
		}
	}
	shot(t, ctx, "follow-reopened")
}

// consoleTab opens a phone-sized tab that records what the page's console shows: every log
// entry (the browser's interventions and failed loads among them), console.error and uncaught
// exceptions, as "level: text" lines.
func consoleTab(t *testing.T, ctx context.Context) (context.Context, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var lines []string
	add := func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() }
	c, cancel := chromedp.NewContext(ctx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			add(string(ev.Entry.Level) + ": " + ev.Entry.Text + " " + ev.Entry.URL)
		case *runtime.EventExceptionThrown:
			add("exception: " + ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				msg := ""
				if len(ev.Args) > 0 {
					msg = string(ev.Args[0].Value)
				}
				add("console." + string(ev.Type) + ": " + msg)
			}
		}
	}))
	t.Cleanup(cancel)
	run(t, c, "new tab", chromedp.EmulateViewport(390, 844))
	// Headless Chromium blocks navigator.vibrate without a gesture silently: the page's calls are
	// recorded, and one made before any user activation is reported as the phone's browser does.
	if _, err := chromedp.Call(c, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `(function () {
  var v = navigator.vibrate;
  navigator.vibrate = function () {
    if (navigator.userActivation && !navigator.userActivation.hasBeenActive) {
      window.blockedVibrate = (window.blockedVibrate || 0) + 1;
      console.error("[Intervention] Blocked call to navigator.vibrate because user hasn't tapped on the frame");
      return false;
    }
    return v ? v.apply(navigator, arguments) : false;
  };
})();`}); err != nil {
		t.Fatal(err)
	}
	return c, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), lines...) }
}

// untouched waits until the expression is true with plain evaluations (no user gesture, unlike
// must's chromedp.Poll), failing with what after 5 s (stretched by pageWaitScale).
func untouched(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	d := 5 * time.Second * pageWaitScale
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if evalString(t, ctx, `String(!!(`+expr+`))`) == "true" {
			return
		}
	}
	t.Fatalf("%s: %s not true within %s", what, expr, d)
}

// TestFollowPageQuietConsole: a phone follows its ticket and is called without anyone having
// touched the page: the page alerts (data-alert) without calling navigator.vibrate, which the
// browser blocks without a user gesture and reports on the console; the page has an icon that
// loads, and /favicon.ico is no 404. Nothing lands on the console.
func TestFollowPageQuietConsole(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	tk := e.issue("A")
	phone, console := consoleTab(t, browser(t, 390, 844))
	// chromedp's Poll (must) runs as a user gesture: wait with plain evaluations, as nobody taps.
	run(t, phone, "open follow page", chromedp.Navigate(tk.FollowURL))
	untouched(t, phone, "follow page live", `window.onedoorFollow && onedoorFollow.live()`)
	e.act(staff, 1, "call", map[string]any{"ticket": tk.Number}, 200)
	untouched(t, phone, "called and alerted", `document.getElementById("follow").dataset.state === "called" && (document.getElementById("follow").dataset.alert || "").indexOf("called") === 0`)
	if got := evalString(t, phone, `String(navigator.userActivation.hasBeenActive)`); got != "false" {
		t.Fatalf("the test touched the page (user activation %s)", got)
	}
	if got := evalString(t, phone, `String(window.blockedVibrate || 0)`); got != "0" {
		t.Errorf("the page called navigator.vibrate %s times before anyone touched it", got)
	}
	icon := evalString(t, phone, `(function(){var l=document.querySelector('link[rel~="icon"]');return l?l.href:""})()`)
	if icon == "" {
		t.Error("the follow page names no icon")
	} else if r := e.do("GET", strings.TrimPrefix(icon, e.ts.URL), "", nil); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "image/") {
		t.Errorf("icon %s: %d %q", icon, r.status, r.header.Get("Content-Type"))
	}
	if r := e.do("GET", "/favicon.ico", "", nil); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "image/") {
		t.Errorf("/favicon.ico: %d %q", r.status, r.header.Get("Content-Type"))
	}
	run(t, phone, "settle", chromedp.Sleep(300*time.Millisecond))
	for _, l := range console() {
		if strings.Contains(l, "vibrate") || strings.HasPrefix(l, "error") || strings.HasPrefix(l, "exception") || strings.HasPrefix(l, "console.") {
			t.Errorf("console: %s", l)
		}
	}
}

// TestFollowPageNobodyServes: while no open counter serves the ticket's service, the follow page
// says so and shows no wait estimate (never "0 分钟"), in the page as served and after live
// updates; once a counter opens for it, the estimate comes back without a reload.
func TestFollowPageNobodyServes(t *testing.T) {
	e := newEnv(t)
	tk := e.issue("A")
	var f wire.Follow
	e.do("GET", "/api/v1/follow/"+tk.Token, "", nil).decode(t, &f)
	if !f.Unserved {
		t.Errorf("follow API with no counter open: %+v, want unserved", f)
	}
	ctx := browser(t, 390, 844)
	visible := func(id string) string {
		return `(function(){var e=document.getElementById("` + id + `");return !!e && !e.hidden && e.offsetParent !== null})()`
	}
	check := func(when string, unserved bool) {
		t.Helper()
		got := evalString(t, ctx, `String(`+visible("unserved")+`) + " " + String(`+visible("eta")+`)`)
		if want := fmt.Sprintf("%t %t", unserved, !unserved); got != want {
			t.Errorf("%s: nobody-serves notice and estimate shown %q, want %q", when, got, want)
		}
	}
	openFollow(t, ctx, tk.FollowURL)
	check("as served", true)
	refreshTicket := `(document.getElementById("follow").removeAttribute("data-state"), document.dispatchEvent(new Event("visibilitychange")), "")`
	evalString(t, ctx, refreshTicket)
	must(t, ctx, "ticket drawn again", `document.getElementById("follow").dataset.state === "waiting"`, 3*time.Second)
	check("after a live update", true)
	shot(t, ctx, "follow-nobody-serves")

	e.act(e.login("counter1"), 1, "open", nil, 200)
	must(t, ctx, "estimate back", visible("eta"), 5*time.Second)
	check("after a counter opened", false)
}

// TestFollowPageRatesVisitAndAdvisesMissed: the open follow page of a ticket finished at the
// counter offers the visit rating (好差评); the holder gives 4 stars and the page, also after a
// reload, shows the rating instead of the form. A missed (过号) ticket's page says how to be put
// back in the queue.
func TestFollowPageRatesVisitAndAdvisesMissed(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	tk, missed := e.issue("A"), e.issue("A")
	ctx := browser(t, 390, 844)
	openFollow(t, ctx, tk.FollowURL)
	if got := evalString(t, ctx, `String(document.getElementById("visit").hidden)`); got != "true" {
		t.Errorf("rating offered while waiting")
	}
	e.act(staff, 1, "call-next", nil, 200)
	e.act(staff, 1, "start", nil, 200)
	e.act(staff, 1, "finish", map[string]any{"outcome": "resolved"}, 200)
	must(t, ctx, "rating offered", `document.getElementById("follow").dataset.state === "done" && !document.getElementById("visit").hidden && !document.getElementById("visit-rate").hidden`, 3*time.Second)
	shot(t, ctx, "follow-visit-form")
	run(t, ctx, "rate 4 stars",
		chromedp.Click(chromedp.CSS(`label[for="vstar-4"]`)),
		chromedp.SendKeys(chromedp.CSS("#visit-comment"), "很快 <i>谢谢</i>"),
		chromedp.Click(chromedp.CSS("#visit-btn")))
	must(t, ctx, "rated", `!document.getElementById("visit-rated").hidden && document.getElementById("visit-rate").hidden`, 3*time.Second)
	shot(t, ctx, "follow-visit-rated")
	for _, when := range []string{"after rating", "after a reload"} {
		if got := evalString(t, ctx, `document.getElementById("visit-stars").textContent + document.getElementById("visit-said").textContent`); got != "4 · 很快 <i>谢谢</i>" {
			t.Errorf("%s: rating shown as %q", when, got)
		}
		run(t, ctx, "reload", chromedp.Reload())
		must(t, ctx, "page", `window.onedoorFollow && document.getElementById("visit-rate").hidden && !document.getElementById("visit-rated").hidden`, 3*time.Second)
	}

	openFollow(t, ctx, missed.FollowURL)
	must(t, ctx, "no advice while waiting", `document.getElementById("missed").hidden`, time.Second)
	e.act(staff, 1, "call-next", nil, 200)
	e.act(staff, 1, "no-show", nil, 200)
	must(t, ctx, "missed advice", `document.getElementById("follow").dataset.state === "no_show" && !document.getElementById("missed").hidden && document.getElementById("visit").hidden`, 3*time.Second)
	if got := evalString(t, ctx, `document.getElementById("missed").textContent`); !strings.Contains(got, "恢复排队") || !strings.Contains(got, "put you back in the queue") {
		t.Errorf("missed advice %q", got)
	}
	evalString(t, ctx, `(document.getElementById("missed").scrollIntoView(), "")`)
	shot(t, ctx, "follow-missed")
}
