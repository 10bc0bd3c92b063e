package http

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
)

// TestRatePageWeb: the counter's rating tablet opens /rate/1 with its device token; the counter
// console (another tab) calls, serves and finishes a ticket; the tablet asks about that very
// ticket, the person taps 2 stars (不满意) and a reason, the tablet thanks and goes back to
// waiting, and the counter console shows the low-rating alert with the ticket, counter, staff
// member, stars and reason. The visit is then rated: the follow page's rating is refused.
func TestRatePageWeb(t *testing.T) {
	e := newEnv(t)
	e.addRaters()
	tk := e.issue("A")
	ctx := browser(t, 1280, 900)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)

	pad := tab(t, ctx, 1280, 800)
	run(t, pad, "open the rating page", chromedp.Navigate(e.ts.URL+"/rate/1?hall=students#token="+raterStudents1))
	must(t, pad, "waiting for a visit", `window.onedoorRate && onedoorRate.screen() === "wait"`, 5*time.Second)
	if got := evalString(t, pad, `location.hash + "|" + document.getElementById("where").textContent`); got != "|1 号窗口 · Counter 1 · students" {
		t.Errorf("address and counter line: %q (the token must leave the address bar)", got)
	}
	shot(t, pad, "rate-waiting")

	run(t, ctx, "call next", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "called", `onedoorCounter.current() === `+jsString(tk.Number)+` && !onedoorCounter.busy()`, 3*time.Second)
	must(t, pad, "the tablet sees the visit at its counter", `onedoorRate.screen() === "wait" && document.getElementById("wait-line").textContent.indexOf(`+jsString(tk.Number)+`) >= 0`, 3*time.Second)
	run(t, ctx, "start", chromedp.Click(chromedp.CSS(`[data-act="start"]`)))
	must(t, ctx, "finish enabled", `!document.querySelector('[data-act="finish"]').disabled`, 3*time.Second)
	run(t, ctx, "finish", chromedp.Click(chromedp.CSS(`[data-act="finish"]`)))
	must(t, ctx, "counter free", `onedoorCounter.current() === ""`, 3*time.Second)

	must(t, pad, "the tablet asks about the finished visit", `onedoorRate.screen() === "ask" && document.getElementById("ask-line").textContent.indexOf(`+jsString(tk.Number)+`) >= 0`, 3*time.Second)
	if got := evalString(t, pad, `Array.prototype.map.call(document.querySelectorAll("#stars .star .zh"), function (x) { return x.textContent; }).join(" ")`); got != "非常满意 满意 基本满意 不满意 非常不满意" {
		t.Errorf("the scale: %q", got)
	}
	// Big touch targets: every star button at least 64 px high and wide.
	if got := evalString(t, pad, `String(Array.prototype.every.call(document.querySelectorAll("#stars .star"), function (b) { var r = b.getBoundingClientRect(); return r.height >= 64 && r.width >= 64; }))`); got != "true" {
		t.Error("a star button is smaller than 64 px")
	}
	run(t, pad, "tap 2 stars", chromedp.Click(chromedp.CSS(`#stars [data-stars="2"]`)))
	must(t, pad, "reasons for a low rating", `!document.getElementById("reasons-box").hidden && !!document.querySelector('#reasons [data-reason="wait_long"]') && !document.querySelector('#reasons [data-reason="friendly"]') && !document.getElementById("submit").disabled`, 2*time.Second)
	run(t, pad, "tap a reason", chromedp.Click(chromedp.CSS(`#reasons [data-reason="wait_long"]`)))
	shot(t, pad, "rate-ask")
	run(t, pad, "submit", chromedp.Click(chromedp.CSS("#submit")))
	must(t, pad, "thanks", `onedoorRate.screen() === "thanks" && document.getElementById("thanks").textContent.indexOf("感谢您的评价") >= 0`, 3*time.Second)
	shot(t, pad, "rate-thanks")

	must(t, ctx, "the console's low-rating alert", `!document.getElementById("low-ratings").hidden && !!document.querySelector('#low-list li[data-ticket=`+jsString(tk.Number)+`][data-stars="2"]')`, 3*time.Second)
	line := evalString(t, ctx, `document.querySelector("#low-list li").textContent`)
	for _, want := range []string{tk.Number, "1 号窗口", "counter1", "2 星", "不满意", "等候太久", "Waited too long"} {
		if !strings.Contains(line, want) {
			t.Errorf("alert line %q lacks %q", line, want)
		}
	}
	shot(t, ctx, "counter-low-rating")

	must(t, pad, "back to waiting", `onedoorRate.screen() === "wait"`, 8*time.Second)
	if r := e.do("POST", "/api/v1/follow/"+tk.Token+"/rating", "", map[string]any{"stars": 5}); r.status != 409 {
		t.Errorf("the follow page rates the visit again: %d %s", r.status, r.body)
	}
}

// TestRatePageRefusesOtherCounter: the tablet of counter 2 opened on /rate/1 says it may not
// rate there and shows no visit.
func TestRatePageRefusesOtherCounter(t *testing.T) {
	e := newEnv(t)
	e.addRaters()
	ctx := browser(t, 1024, 768)
	run(t, ctx, "open", chromedp.Navigate(e.ts.URL+"/rate/1?hall=students#token="+raterStudents2))
	must(t, ctx, "denied", `window.onedoorRate && onedoorRate.screen() === "denied" && document.getElementById("denied").textContent.indexOf("不能为该窗口评价") >= 0`, 5*time.Second)
}

// TestAdminShowsLowRatings: the admin page lists the day's 1–2 star ratings of every hall (the
// staff view of each hall's stream), a new one live, with its ticket, counter, staff member,
// stars and reason; a good rating is not listed.
func TestAdminShowsLowRatings(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.CampusLive = c.Queue.(hall.CampusService) }))
	e.addRaters()
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	good := e.issue("A")
	e.serve(staff, 1)
	if r := e.do("POST", "/api/v1/halls/students/counter-ratings/1", raterStudents1, map[string]any{"ticket": good.Number, "stars": 5}); r.status != 201 {
		t.Fatalf("rate: %d %s", r.status, r.body)
	}
	ctx := browser(t, 1440, 900)
	run(t, ctx, "open /admin", chromedp.Navigate(e.ts.URL+"/admin"))
	must(t, ctx, "sign-in form", `window.onedoorAdmin && onedoorAdmin.ready() && !document.getElementById("login").hidden`, 5*time.Second)
	signInForm(t, ctx, "admin")
	must(t, ctx, "admin page", `!document.getElementById("app").hidden && !!document.querySelector('[data-path="halls[0].code"]')`, 5*time.Second)
	if evalString(t, ctx, `String(document.getElementById("low-ratings").hidden)`) != "true" {
		t.Error("a 5-star rating shows as a low rating")
	}
	bad := e.issue("A")
	e.serve(staff, 1)
	if r := e.do("POST", "/api/v1/follow/"+bad.Token+"/rating", "", map[string]any{"stars": 1, "comment": "<b>态度差</b>"}); r.status != 201 {
		t.Fatalf("follow rating: %d %s", r.status, r.body)
	}
	must(t, ctx, "the low rating listed", `!document.getElementById("low-ratings").hidden && !!document.querySelector('#low-list li[data-ticket=`+jsString(bad.Number)+`][data-hall="students"]')`, 5*time.Second)
	line := evalString(t, ctx, `document.querySelector("#low-list li").textContent`)
	for _, want := range []string{bad.Number, "1 号窗口", "counter1", "1 星", "非常不满意", "<b>态度差</b>"} {
		if !strings.Contains(line, want) {
			t.Errorf("admin alert line %q lacks %q", line, want)
		}
	}
	if n := evalString(t, ctx, `String(document.querySelectorAll("#low-list li").length + "/" + document.querySelectorAll("#low-list b b").length)`); n != "1/0" {
		t.Errorf("low list items/markup: %s", n)
	}
}
