package http

import (
	"context"
	"encoding/json"
	"flag"
	stdhttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// webShots, when set, is where the counter console and follow page tests write their
// screenshots (make screenshots-web: docs/screenshots/counter-*.png and follow-*.png).
var webShots = flag.String("web-screenshots", "", "write counter-*.png and follow-*.png screenshots into this directory")

// run runs chromedp actions and fails the test on error.
func run(t testing.TB, ctx context.Context, what string, acts ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, acts...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// must waits until the JavaScript expression is true, failing with what otherwise.
func must(t testing.TB, ctx context.Context, what, expr string, d time.Duration) {
	t.Helper()
	if err := waitJS(t, ctx, expr, d); err != nil {
		t.Fatalf("%s: %s not true within %s: %v", what, expr, d*pageWaitScale, err)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

// tab opens another tab of the same browser (same cookies) with the given viewport.
func tab(t testing.TB, ctx context.Context, w, h int) context.Context {
	t.Helper()
	c, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	run(t, c, "new tab", chromedp.EmulateViewport(int64(w), int64(h)))
	return c
}

// openConsole signs user in at /counter (unless signed in already) and enters the counter.
func openConsole(t testing.TB, ctx context.Context, base, user string, counter int) {
	t.Helper()
	run(t, ctx, "open console", chromedp.Navigate(base+"/counter"))
	must(t, ctx, "console start", `window.onedoorCounter && (!document.getElementById("login").hidden || !document.getElementById("pick").hidden || !document.getElementById("console").hidden)`, 5*time.Second)
	if evalString(t, ctx, `String(!document.getElementById("login").hidden)`) == "true" {
		signInForm(t, ctx, user)
		must(t, ctx, "signed in", `!document.getElementById("pick").hidden || !document.getElementById("console").hidden`, 5*time.Second)
	}
	if evalString(t, ctx, `String(!document.getElementById("console").hidden)`) == "true" {
		run(t, ctx, "change counter", chromedp.Click(chromedp.CSS("#change-counter")))
	}
	must(t, ctx, "pick screen", `!document.getElementById("pick").hidden`, 2*time.Second)
	evalString(t, ctx, `(function(){var s=document.getElementById("pick-hall");s.value="students";s.dispatchEvent(new Event("change"));document.getElementById("pick-counter").value="`+itoa(counter)+`";return ""})()`)
	run(t, ctx, "enter counter", chromedp.Click(chromedp.CSS("#pick-btn")))
	must(t, ctx, "console live", `!document.getElementById("console").hidden && onedoorCounter.live() && onedoorCounter.state() !== ""`, 5*time.Second)
}

// eventually is must for a page that may reload meanwhile (evaluation errors are retried); d is
// stretched by pageWaitScale.
func eventually(t testing.TB, ctx context.Context, what, expr string, d time.Duration) {
	t.Helper()
	d *= pageWaitScale
	end := time.Now().Add(d)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s: %s not true within %s (%v)", what, expr, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openCounter presses "open" unless the counter is open already.
func openCounter(t testing.TB, ctx context.Context) {
	t.Helper()
	if evalString(t, ctx, `onedoorCounter.state()`) != "open" {
		run(t, ctx, "open counter", chromedp.Click(chromedp.CSS(`[data-act="open"]`)))
		must(t, ctx, "counter open", `onedoorCounter.state() === "open" && !onedoorCounter.busy()`, 3*time.Second)
	}
}

// openFollow loads a follow page and waits for its live link.
func openFollow(t testing.TB, ctx context.Context, url string) {
	t.Helper()
	run(t, ctx, "open follow page", chromedp.Navigate(url))
	must(t, ctx, "follow page live", `window.onedoorFollow && onedoorFollow.live()`, 5*time.Second)
}

// shot writes a screenshot when -web-screenshots is set.
func shot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	if *webShots == "" {
		return
	}
	run(t, ctx, "settle", chromedp.Sleep(150*time.Millisecond))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(*webShots, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*webShots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCounterConsoleCallReachesFollowPage: sign in, open a counter, call next; the follow page of
// that ticket (another tab, phone size) shows "called" and the counter within a second. A double
// click and F1 right after call nobody else.
func TestCounterConsoleCallReachesFollowPage(t *testing.T) {
	e := newEnv(t)
	first, second := e.issue("A"), e.issue("A")
	ctx := browser(t, 1280, 900)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)
	must(t, ctx, "waiting list", `document.querySelectorAll("#waiting tr").length === 2`, 2*time.Second)

	phone := tab(t, ctx, 390, 844)
	openFollow(t, phone, first.FollowURL)
	if got := evalString(t, phone, `document.getElementById("follow").dataset.state + " " + document.getElementById("ahead").textContent`); got != "waiting 0" {
		t.Fatalf("follow page before the call: %q", got)
	}

	// A double click, then F1: one call (the second ticket still waits).
	start := time.Now()
	run(t, ctx, "call next", chromedp.DoubleClick(chromedp.CSS("#call-next")), chromedp.KeyEvent("\ue031")) // F1
	must(t, phone, "follow page shows the call", `document.getElementById("follow").dataset.state === "called" && document.getElementById("counter").textContent === "1" && !document.getElementById("called").hidden`, time.Second)
	t.Logf("call-next click to follow page \"called\": %s", time.Since(start).Round(time.Millisecond))
	must(t, ctx, "console shows the current ticket", `onedoorCounter.current() === `+jsString(first.Number)+` && !onedoorCounter.busy()`, 2*time.Second)
	time.Sleep(300 * time.Millisecond)
	var w struct{ Tickets []wire.Ticket }
	e.do("GET", "/api/v1/halls/students/waiting", e.login("counter1"), nil).decode(t, &w)
	if len(w.Tickets) != 1 || w.Tickets[0].Number != second.Number {
		t.Fatalf("after a double click and F1 the waiting list is %+v, want only %s", w.Tickets, second.Number)
	}
	must(t, ctx, "console waiting list", `document.querySelectorAll("#waiting tr").length === 1`, 2*time.Second)
	if got := evalString(t, ctx, `document.getElementById("cur-number").textContent + "|" + document.getElementById("cur-materials").textContent`); !strings.HasPrefix(got, first.Number+"|") || !strings.Contains(got, "学生证") {
		t.Errorf("current ticket card: %q", got)
	}

	// Finishing ends the follow page's live part.
	run(t, ctx, "start", chromedp.Click(chromedp.CSS(`[data-act="start"]`)))
	must(t, phone, "serving", `document.getElementById("follow").dataset.state === "serving"`, 2*time.Second)
	must(t, ctx, "finish enabled", `!document.querySelector('[data-act="finish"]').disabled`, 2*time.Second)
	run(t, ctx, "finish", chromedp.Click(chromedp.CSS(`[data-act="finish"]`)))
	must(t, phone, "done", `document.getElementById("follow").dataset.state === "done"`, 2*time.Second)
	must(t, ctx, "counter free", `onedoorCounter.current() === ""`, 2*time.Second)
}

// TestCounterConsoleTransferUpdatesTargetList: counter 1 transfers its ticket to counter 3; the
// console of counter 3 (another tab) lists it at once.
func TestCounterConsoleTransferUpdatesTargetList(t *testing.T) {
	e := newEnv(t)
	tk := e.issue("A")
	e.issue("B")
	ctx := browser(t, 1280, 900)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)
	run(t, ctx, "call next", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "called", `onedoorCounter.current() === `+jsString(tk.Number)+` && !onedoorCounter.busy()`, 2*time.Second)

	other := tab(t, ctx, 1280, 900)
	openConsole(t, other, e.ts.URL, "counter1", 3)
	// Counter 3 serves B only: it lists the B ticket, not the A ticket at counter 1.
	must(t, other, "counter 3 list", `document.querySelectorAll("#waiting tr").length === 1`, 2*time.Second)

	run(t, ctx, "transfer panel", chromedp.Click(chromedp.CSS("#open-transfer")))
	evalString(t, ctx, `(function(){document.getElementById("tr-counter").value="3";document.getElementById("tr-note").value="需奖助学金窗口核对";return ""})()`)
	start := time.Now()
	run(t, ctx, "transfer", chromedp.Click(chromedp.CSS(`#transfer button[type="submit"]`)))
	must(t, other, "counter 3 lists the transferred ticket", `!!document.querySelector('#waiting tr[data-number=`+jsString(tk.Number)+`]')`, time.Second)
	t.Logf("transfer click to the target counter's list: %s", time.Since(start).Round(time.Millisecond))
	if got := evalString(t, other, `document.querySelector('#waiting tr').dataset.number`); got != tk.Number {
		t.Errorf("transferred to the front: first row is %q, want %s", got, tk.Number)
	}
	must(t, ctx, "counter 1 free", `onedoorCounter.current() === ""`, 2*time.Second)

	// Counter 3 opens, calls it and sees the earlier visit with its note.
	openCounter(t, other)
	run(t, other, "call at 3", chromedp.Click(chromedp.CSS("#call-next")))
	if err := waitJS(t, other, `onedoorCounter.current() === `+jsString(tk.Number)+` && document.getElementById("cur-visits").textContent.indexOf("需奖助学金窗口核对") >= 0`, 2*time.Second); err != nil {
		t.Fatalf("earlier visit at counter 3: current %q, visits %q", evalString(t, other, `onedoorCounter.current()`), evalString(t, other, `document.getElementById("cur-visits").textContent`))
	}
}

// TestCounterConsoleShowsRequestTextAsText: a walk-in request with markup in it reaches the
// counter as text: no element is made from it and no script runs.
func TestCounterConsoleShowsRequestTextAsText(t *testing.T) {
	e := newCaseEnv(t)
	tk := e.issue("A")
	evil := `<script>window.pwned=1</script><img src=x onerror="window.pwned=2"><b>宿舍</b>空调坏了`
	e.openKiosk(map[string]any{"hall": "students", "kind": "complaint", "text": evil, "ticketId": tk.ID}, "")
	ctx := browser(t, 1280, 900)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)
	run(t, ctx, "call next", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "request shown", `!document.getElementById("cur-request").hidden`, 2*time.Second)
	if got := evalString(t, ctx, `document.getElementById("cur-request-text").textContent`); got != evil {
		t.Errorf("request text %q, want %q", got, evil)
	}
	if got := evalString(t, ctx, `String(document.getElementById("cur-request-text").children.length) + " " + String(window.pwned)`); got != "0 undefined" {
		t.Errorf("markup in the request became elements or ran: %s", got)
	}
}

// TestCounterOpensCaseAndFollowPageRatesIt: 只进一门 from the console (route suggestion, case
// opened for a department, ticket finished with outcome case_opened); the ticket's follow page
// follows the case; the department replies; the person rates it on the phone.
func TestCounterOpensCaseAndFollowPageRatesIt(t *testing.T) {
	e := newCaseEnv(t)
	tk := e.issue("A")
	ctx := browser(t, 1280, 900)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)
	phone := tab(t, ctx, 390, 844)
	openFollow(t, phone, tk.FollowURL)
	run(t, ctx, "call next", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "called", `onedoorCounter.current() === `+jsString(tk.Number)+` && !onedoorCounter.busy()`, 2*time.Second)

	summary := "图书馆三楼座位总被占，预约了也没有座位 <script>window.pwned=1</script>"
	run(t, ctx, "case panel", chromedp.Click(chromedp.CSS("#open-case")))
	run(t, ctx, "summary", chromedp.SendKeys(chromedp.CSS("#case-text"), summary))
	run(t, ctx, "suggest", chromedp.Click(chromedp.CSS("#case-suggest")))
	must(t, ctx, "suggestion", `document.getElementById("case-suggestion").textContent.indexOf("%") > 0`, 3*time.Second)
	if got := evalString(t, ctx, `document.getElementById("case-dept").value`); got != "library" {
		t.Errorf("suggested department %q, want library", got)
	}
	run(t, ctx, "open case", chromedp.Click(chromedp.CSS(`#case button[type="submit"]`)))
	must(t, ctx, "finished", `onedoorCounter.current() === "" && document.getElementById("case").hidden`, 3*time.Second)

	// The ticket is done with outcome case_opened and linked to the case.
	var f wire.Follow
	e.do("GET", "/api/v1/follow/"+tk.Token, "", nil).decode(t, &f)
	if f.State != hall.TicketDone || f.Outcome != hall.OutcomeCaseOpened || !f.HasCase {
		t.Fatalf("ticket after the case: %+v", f)
	}
	stored, err := e.q.Ticket(context.Background(), "students", tk.ID)
	if err != nil || stored.CaseID == "" {
		t.Fatalf("stored ticket: %+v %v", stored, err)
	}
	lib := e.login("h-library")
	var c hall.Case
	e.do("GET", "/api/v1/cases/"+stored.CaseID, lib, nil).decode(t, &c)
	if c.Ticket != tk.ID || c.Channel != hall.ChannelCounter || c.Department != "library" || c.Text != summary {
		t.Fatalf("case %+v", c)
	}

	// The open follow page reloads itself and shows the case.
	eventually(t, phone, "case on the follow page", `!!document.getElementById("case") && document.getElementById("case-text").textContent === `+jsString(summary), 3*time.Second)
	// Three scripts: the boot data block, common.js and follow.js.
	if got := evalString(t, phone, `String(window.pwned) + " " + document.scripts.length`); got != "undefined 3" {
		t.Errorf("summary markup ran or made elements: %s", got)
	}

	for _, a := range []struct{ action, text string }{{"sign", ""}, {"reply", "已加强巡查：座位暂离超过 30 分钟自动释放。<b>谢谢</b>"}} {
		var body any
		if a.text != "" {
			body = map[string]string{"text": a.text}
		}
		if r := e.do("POST", "/api/v1/cases/"+c.ID+"/"+a.action, lib, body); r.status != 200 {
			t.Fatalf("%s: %d %s", a.action, r.status, r.body)
		}
	}
	run(t, phone, "reload", chromedp.Reload())
	must(t, phone, "rating form", `!document.getElementById("rate").hidden && document.getElementById("case-reply-text").textContent.indexOf("<b>谢谢</b>") > 0`, 3*time.Second)
	comment := "还是没座位 <script>window.pwned=3</script>"
	run(t, phone, "rate",
		chromedp.Click(chromedp.CSS(`label[for="star-2"]`)),
		chromedp.SendKeys(chromedp.CSS("#rate-comment"), comment),
		chromedp.Click(chromedp.CSS("#rate-btn")))
	// Two stars: unsatisfied, the case is reopened.
	must(t, phone, "rated", `document.getElementById("follow").dataset.caseState === "reopened" && !document.getElementById("rated").hidden`, 3*time.Second)
	if got := evalString(t, phone, `document.getElementById("rated-stars").textContent + document.getElementById("rated-comment").textContent + " " + String(window.pwned)`); got != "2 · "+comment+" undefined" {
		t.Errorf("rating shown as %q", got)
	}
	e.do("GET", "/api/v1/cases/"+c.ID, lib, nil).decode(t, &c)
	if c.State != hall.CaseReopened || len(c.Ratings) != 1 || c.Ratings[0].Stars != 2 || c.Ratings[0].Comment != comment {
		t.Fatalf("case after the rating: %s %+v", c.State, c.Ratings)
	}
}

// TestWebScreenshots drives the demo campus into a busy morning and takes the pictures in
// docs/screenshots (make screenshots-web): the console signed out, serving a transferred
// ticket, opening a case; the follow page waiting, called, and following a replied case.
// Without -web-screenshots it still checks that nothing sticks out of a phone's screen.
func TestWebScreenshots(t *testing.T) {
	e := newEnv(t, func(e *env) { e.campus = campus.Demo() })
	cs, err := bolt.NewCases(context.Background(), e.db, e.campus, cases.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	if err := e.auth.CreateStaff(context.Background(), hall.Staff{Username: "h-library", Role: hall.RoleHandler, Department: "library"}, "demo"); err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.ts.Close()
	e.config = func(c *Config) { c.Cases = cs }
	e.start()
	staff := e.login("admin")
	for _, c := range []int{1, 2, 3, 4} {
		e.act(staff, c, "open", nil, 200)
	}
	issue := func(svc string, prio bool, person string) wire.Ticket {
		r := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": svc, "priority": prio, "personId": person})
		if r.status != 201 {
			t.Fatalf("issue: %d %s", r.status, r.body)
		}
		var tj wire.Ticket
		r.decode(t, &tj)
		return tj
	}
	// A case ticket: called at counter 4, turned into a library case, replied.
	caseTk := issue("C", false, "")
	e.callNext(staff, 4)
	var oc wire.OpenedCase
	r := e.do("POST", "/api/v1/cases", staff, map[string]any{"hall": "students", "kind": "complaint", "channel": "counter", "ticketId": caseTk.ID,
		"department": "library", "text": "图书馆三楼自习室座位长期被书本占用，预约了也找不到空座，希望加强管理。"})
	if r.status != 201 {
		t.Fatalf("open case: %d %s", r.status, r.body)
	}
	r.decode(t, &oc)
	e.act(staff, 4, "finish", map[string]any{"outcome": "case_opened", "caseId": oc.ID}, 200)
	lib := e.login("h-library")
	for _, a := range []struct{ action, text string }{{"sign", ""}, {"reply", "您好！图书馆已于本周起加强三楼巡查：座位暂离超过 30 分钟由系统自动释放，书本占座将由管理员收存至服务台。感谢您的反映。"}} {
		var body any
		if a.text != "" {
			body = map[string]string{"text": a.text}
		}
		if r := e.do("POST", "/api/v1/cases/"+oc.ID+"/"+a.action, lib, body); r.status != 200 {
			t.Fatalf("%s: %d %s", a.action, r.status, r.body)
		}
	}
	// The morning queue; A001 goes to counter 2, which sends it on to counter 1.
	moved := issue("A", false, "2023104518")
	for _, svc := range []string{"A", "B", "A", "A", "B", "A", "B", "A"} {
		issue(svc, false, "")
	}
	e.callNext(staff, 2)
	e.act(staff, 2, "transfer", map[string]any{"toCounter": 1, "placement": "front", "note": "成绩证明需加盖学院公章，转 1 号窗口"}, 200)
	e.callNext(staff, 3)
	waiting := issue("A", false, "")

	ctx := browser(t, 1366, 900)
	run(t, ctx, "login page", chromedp.Navigate(e.ts.URL+"/counter"))
	must(t, ctx, "login form", `window.onedoorCounter && !document.getElementById("login").hidden`, 5*time.Second)
	shot(t, ctx, "counter-login")
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)
	run(t, ctx, "call next", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "called the transferred ticket", `onedoorCounter.current() === `+jsString(moved.Number)+` && !onedoorCounter.busy() && document.getElementById("cur-visits").textContent.length > 0`, 3*time.Second)
	issue("B", true, "") // a green-channel arrival shows up in the list live
	must(t, ctx, "priority arrival listed", `!!document.querySelector("#waiting .prio")`, 2*time.Second)
	run(t, ctx, "start", chromedp.Click(chromedp.CSS(`[data-act="start"]`)))
	must(t, ctx, "serving", `document.getElementById("cur-state").textContent.indexOf("Serving") >= 0 && !onedoorCounter.busy()`, 3*time.Second)
	evalString(t, ctx, `(document.getElementById("mat-0").checked = true, "")`)
	shot(t, ctx, "counter-console")
	run(t, ctx, "case panel", chromedp.Click(chromedp.CSS("#open-case")),
		chromedp.SendKeys(chromedp.CSS("#case-text"), "学生反映成绩单上的一门课程成绩与教务系统不一致，需教务处核查更正。"),
		chromedp.Click(chromedp.CSS("#case-suggest")))
	must(t, ctx, "suggestion", `document.getElementById("case-suggestion").textContent.indexOf("%") > 0`, 3*time.Second)
	evalString(t, ctx, `(document.getElementById("case").scrollIntoView({block: "end"}), "")`)
	shot(t, ctx, "counter-case")

	phone := tab(t, ctx, 390, 844)
	for _, p := range []struct {
		name string
		tk   wire.Ticket
		wait string
	}{
		{"follow-waiting", waiting, `document.getElementById("follow").dataset.state === "waiting" && onedoorFollow.live()`},
		{"follow-called", moved, `document.getElementById("follow").dataset.state === "serving"`},
		{"follow-case", caseTk, `document.getElementById("follow").dataset.state === "done" && !document.getElementById("rate").hidden`},
	} {
		run(t, phone, "open "+p.name, chromedp.Navigate(p.tk.FollowURL))
		must(t, phone, p.name, `window.onedoorFollow && `+p.wait, 5*time.Second)
		if got := evalString(t, phone, `String(document.documentElement.scrollWidth <= innerWidth)`); got != "true" {
			t.Errorf("%s: the page is wider than the phone", p.name)
		}
		if p.name == "follow-case" {
			evalString(t, phone, `(document.getElementById("star-4").checked = true, "")`)
		}
		shot(t, phone, p.name)
	}
	// The called state (before start) on the phone: call the waiting one at counter 3.
	e.act(staff, 3, "finish", nil, 200)
	run(t, phone, "open follow-called", chromedp.Navigate(waiting.FollowURL))
	must(t, phone, "follow live", `window.onedoorFollow && onedoorFollow.live()`, 5*time.Second)
	e.act(staff, 3, "call", map[string]any{"ticket": waiting.Number}, 200)
	must(t, phone, "called", `document.getElementById("follow").dataset.state === "called"`, 2*time.Second)
	shot(t, phone, "follow-called")
}

// TestCounterConsoleActions: recall, no-show, park, call a number (the parked one), finish with
// an outcome, pause and close, each enabled only when it makes sense.
func TestCounterConsoleActions(t *testing.T) {
	e := newEnv(t)
	a, b := e.issue("A"), e.issue("B")
	ctx := browser(t, 1280, 900)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	if got := evalString(t, ctx, `String(document.getElementById("call-next").disabled)`); got != "true" {
		t.Error("call next is enabled at a closed counter")
	}
	openCounter(t, ctx)
	idle := `!onedoorCounter.busy()`
	click := func(sel string) {
		t.Helper()
		must(t, ctx, sel+" enabled", idle+` && !document.querySelector('`+sel+`').disabled`, 2*time.Second)
		run(t, ctx, sel, chromedp.Click(chromedp.CSS(sel)))
	}
	click("#call-next")
	must(t, ctx, "called "+a.Number, `onedoorCounter.current() === `+jsString(a.Number), 2*time.Second)
	click(`[data-act="recall"]`)
	must(t, ctx, "recalled", idle+` && document.getElementById("cur-calls").textContent.indexOf("2") >= 0`, 2*time.Second)
	click(`[data-act="no-show"]`)
	must(t, ctx, "no-show frees the counter", idle+` && onedoorCounter.current() === ""`, 2*time.Second)
	click("#call-next")
	must(t, ctx, "called "+b.Number, `onedoorCounter.current() === `+jsString(b.Number), 2*time.Second)
	click(`[data-act="park"]`)
	must(t, ctx, "park frees the counter", idle+` && onedoorCounter.current() === ""`, 2*time.Second)
	run(t, ctx, "call the parked number", chromedp.SendKeys(chromedp.CSS("#call-number"), strings.ToLower(b.Number)), chromedp.Click(chromedp.CSS(`#call-one button`)))
	must(t, ctx, "called the parked ticket", `onedoorCounter.current() === `+jsString(b.Number), 2*time.Second)
	if got := evalString(t, ctx, `String(document.querySelector('[data-act="close"]').disabled)`); got != "true" {
		t.Error("close is enabled with a ticket at the counter")
	}
	evalString(t, ctx, `(document.getElementById("outcome").value = "redirected", "")`)
	click(`[data-act="finish"]`)
	must(t, ctx, "finished", idle+` && onedoorCounter.current() === ""`, 2*time.Second)
	var f wire.Follow
	e.do("GET", "/api/v1/follow/"+b.Token, "", nil).decode(t, &f)
	if f.State != hall.TicketDone || f.Outcome != hall.OutcomeRedirected {
		t.Errorf("finished ticket %s %s", f.State, f.Outcome)
	}
	click(`[data-act="pause"]`)
	must(t, ctx, "paused", idle+` && onedoorCounter.state() === "paused" && document.getElementById("call-next").disabled`, 2*time.Second)
	// Space outside a form field calls next, but not at a paused counter.
	run(t, ctx, "space", chromedp.KeyEvent(" "))
	time.Sleep(200 * time.Millisecond)
	if got := evalString(t, ctx, `onedoorCounter.current()`); got != "" {
		t.Errorf("space called %q at a paused counter", got)
	}
	run(t, ctx, "close", chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true }`))
	click(`[data-act="close"]`)
	must(t, ctx, "closed", idle+` && onedoorCounter.state() === "closed"`, 2*time.Second)
}

// TestCounterConsoleSpaceOnAFocusedButton: after a click on "park" the focus stays on it; Space
// must call next, not press "park" again.
func TestCounterConsoleSpaceOnAFocusedButton(t *testing.T) {
	e := newEnv(t)
	a, b := e.issue("A"), e.issue("A")
	ctx := browser(t, 1280, 900)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)
	run(t, ctx, "call", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "called", `onedoorCounter.current() === `+jsString(a.Number)+` && !onedoorCounter.busy()`, 2*time.Second)
	run(t, ctx, "park", chromedp.Click(chromedp.CSS(`[data-act="park"]`)))
	must(t, ctx, "parked", `onedoorCounter.current() === "" && !onedoorCounter.busy()`, 2*time.Second)
	evalString(t, ctx, `(document.querySelector('[data-act="pause"]').focus(), "")`)
	run(t, ctx, "space", chromedp.KeyEvent(" "))
	must(t, ctx, "space called next", `onedoorCounter.current() === `+jsString(b.Number)+` && !onedoorCounter.busy()`, 2*time.Second)
	if got := evalString(t, ctx, `onedoorCounter.state()`); got != "open" {
		t.Errorf("Space on the focused pause button paused the counter: %s", got)
	}
}

// TestFollowPagePollsWithoutStream: where WebSockets do not get through (a campus proxy), the
// follow page still learns of the call by polling the follow API.
func TestFollowPagePollsWithoutStream(t *testing.T) {
	e := newEnv(t)
	tk := e.issue("A")
	noWS := httptest.NewServer(stdhttp.HandlerFunc(func(w stdhttp.ResponseWriter, r *stdhttp.Request) {
		if strings.HasSuffix(r.URL.Path, "/stream") {
			stdhttp.Error(w, "no websockets here", stdhttp.StatusForbidden)
			return
		}
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(noWS.Close)
	ctx := browser(t, 390, 844)
	run(t, ctx, "follow page", chromedp.Navigate(noWS.URL+"/t/"+tk.Token))
	must(t, ctx, "page ready", `window.onedoorFollow && document.getElementById("follow").dataset.state === "waiting"`, 3*time.Second)
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	e.callNext(staff, 1)
	must(t, ctx, "called by polling", `document.getElementById("follow").dataset.state === "called" && !onedoorFollow.live()`, 7*time.Second)
}

// TestCounterConsoleVisitTimesInCampusZone: with Chromium in New York and the campus in Kolkata,
// the earlier visits of a transferred ticket show their times in the campus zone (the issue time
// is checked by TestPagesShowCampusTimesInAFarZone).
func TestCounterConsoleVisitTimesInCampusZone(t *testing.T) {
	e := newEnv(t, withCampusZone(farCampus))
	loc, err := time.LoadLocation(farCampus)
	if err != nil {
		t.Fatal(err)
	}
	tk := e.issue("A")
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	e.callNext(staff, 1)
	e.act(staff, 1, "transfer", map[string]any{"toCounter": 3, "placement": "front"}, 200)

	ctx := browserIn(t, 1366, 768, farBrowser)
	openConsole(t, ctx, e.ts.URL, "counter1", 3)
	openCounter(t, ctx)
	run(t, ctx, "call", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "called with its visit", `onedoorCounter.current() === `+jsString(tk.Number)+` && document.querySelectorAll("#cur-visits li").length === 1`, 3*time.Second)
	var v wire.CounterView
	e.do("GET", "/api/v1/halls/students/counters/3", staff, nil).decode(t, &v)
	if v.Current == nil || len(v.Current.Visits) != 1 {
		t.Fatalf("counter view %+v", v)
	}
	vis := v.Current.Visits[0]
	want := vis.CalledAt.In(loc).Format("15:04") + "–" + vis.FinishedAt.In(loc).Format("15:04")
	if got := evalString(t, ctx, `document.querySelector("#cur-visits li").textContent`); !strings.Contains(got, want) {
		t.Errorf("visit line %q, want the campus times %q", got, want)
	}
	shot(t, ctx, "counter-zone-visits")
}

// TestCounterCaseFormKindAndRequester: a ticket that came with a kiosk complaint opens the case
// form as a complaint (not 咨询), and the form takes the requester's name and phone, which reach
// the case; the next ticket, without a walk-in request, starts as a consultation again.
func TestCounterCaseFormKindAndRequester(t *testing.T) {
	e := newCaseEnv(t)
	tk, plain := e.issue("A"), e.issue("A")
	e.openKiosk(map[string]any{"hall": "students", "kind": "complaint", "text": "宿舍空调坏了两周没人修", "ticketId": tk.ID}, "")
	ctx := browser(t, 1366, 768)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)
	run(t, ctx, "call next", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "request shown", `onedoorCounter.current() === `+jsString(tk.Number)+` && !document.getElementById("cur-request").hidden && !onedoorCounter.busy()`, 3*time.Second)
	run(t, ctx, "case panel", chromedp.Click(chromedp.CSS("#open-case")))
	if got := evalString(t, ctx, `document.getElementById("case-kind").value`); got != "complaint" {
		t.Errorf("case kind for a walk-in complaint %q, want complaint", got)
	}
	if got := evalString(t, ctx, `String(!!document.getElementById("case-name") && !!document.getElementById("case-phone"))`); got != "true" {
		t.Fatal("the case form has no requester name and phone fields")
	}
	run(t, ctx, "requester",
		chromedp.SendKeys(chromedp.CSS("#case-name"), "李同学"),
		chromedp.SendKeys(chromedp.CSS("#case-phone"), "13800138000"))
	must(t, ctx, "catalogue", `document.getElementById("case-dept").options.length > 1`, 3*time.Second)
	evalString(t, ctx, `(document.getElementById("case-dept").value = "logistics", "")`)
	shot(t, ctx, "counter-case-form")
	run(t, ctx, "open case", chromedp.Click(chromedp.CSS(`#case button[type="submit"]`)))
	must(t, ctx, "finished", `onedoorCounter.current() === "" && document.getElementById("case").hidden && !onedoorCounter.busy()`, 3*time.Second)
	stored, err := e.q.Ticket(context.Background(), "students", tk.ID)
	if err != nil || stored.CaseID == "" {
		t.Fatalf("stored ticket: %+v %v", stored, err)
	}
	var c hall.Case
	e.do("GET", "/api/v1/cases/"+stored.CaseID, e.login("supervisor"), nil).decode(t, &c)
	if c.Kind != hall.KindComplaint || c.Requester.Name != "李同学" || c.Requester.Phone != "13800138000" {
		t.Errorf("case kind %s, requester %+v", c.Kind, c.Requester)
	}

	run(t, ctx, "call the next", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "next called", `onedoorCounter.current() === `+jsString(plain.Number)+` && !onedoorCounter.busy()`, 3*time.Second)
	run(t, ctx, "case panel", chromedp.Click(chromedp.CSS("#open-case")))
	if got := evalString(t, ctx, `document.getElementById("case-kind").value + "|" + document.getElementById("case-name").value + "|" + document.getElementById("case-phone").value`); got != "consultation||" {
		t.Errorf("case form for the next ticket %q, want a fresh consultation", got)
	}
}

// TestCounterConsoleMarksPriority: a 绿色通道 ticket is marked with that name (from the label
// catalogue) in the waiting list, and once called the whole current-ticket card is marked, not
// only a small badge; a regular ticket is not.
func TestCounterConsoleMarksPriority(t *testing.T) {
	e := newEnv(t)
	regular := e.issue("A")
	r := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "A", "priority": true})
	if r.status != 201 {
		t.Fatalf("issue priority: %d %s", r.status, r.body)
	}
	var prio wire.Ticket
	r.decode(t, &prio)
	ctx := browser(t, 1366, 768)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)
	must(t, ctx, "waiting list", `document.querySelectorAll("#waiting tr").length === 2`, 2*time.Second)
	l := staffLabels().Priority
	if l.Zh != "绿色通道" {
		t.Fatalf("priority label %+v", l)
	}
	row := func(n string) string {
		return evalString(t, ctx, `(function(){var r=document.querySelector('#waiting tr[data-number=`+jsString(n)+`]');return r.className+"|"+r.querySelector(".num").textContent})()`)
	}
	if got := row(prio.Number); got != "prio|"+prio.Number+l.Zh {
		t.Errorf("priority row %q, want class prio and the mark %s", got, l.Zh)
	}
	if got := row(regular.Number); got != "|"+regular.Number {
		t.Errorf("regular row %q", got)
	}
	shot(t, ctx, "counter-priority-list")
	run(t, ctx, "call next", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "priority called first", `onedoorCounter.current() === `+jsString(prio.Number)+` && !onedoorCounter.busy()`, 3*time.Second)
	if got := evalString(t, ctx, `document.getElementById("current").classList.contains("is-prio") + "|" + document.getElementById("cur-priority").hidden + "|" + document.getElementById("cur-priority").textContent`); got != "true|false|"+l.Zh+" "+l.En {
		t.Errorf("current card of a priority ticket: %q", got)
	}
	shot(t, ctx, "counter-priority-current")
	run(t, ctx, "finish", chromedp.Click(chromedp.CSS(`[data-act="finish"]`)))
	must(t, ctx, "free", `onedoorCounter.current() === "" && !onedoorCounter.busy()`, 3*time.Second)
	run(t, ctx, "call next", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "regular called", `onedoorCounter.current() === `+jsString(regular.Number)+` && !onedoorCounter.busy()`, 3*time.Second)
	if got := evalString(t, ctx, `document.getElementById("current").classList.contains("is-prio") + "|" + document.getElementById("cur-priority").hidden`); got != "false|true" {
		t.Errorf("current card of a regular ticket: %q", got)
	}
}

// TestCounterConsoleListsSetAsideTickets: a parked and a no-show ticket do not vanish: the console
// lists them (with the time they were set aside, in the campus zone), "resume" calls the parked
// one back to this counter and "reinstate" puts the absent one back in the queue; a reload keeps
// the list (it comes from the server, not from the page's memory).
func TestCounterConsoleListsSetAsideTickets(t *testing.T) {
	e := newEnv(t, withCampusZone(farCampus))
	a, b, c := e.issue("A"), e.issue("A"), e.issue("A")
	ctx := browserIn(t, 1366, 768, farBrowser)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)
	idle := ` && !onedoorCounter.busy()`
	run(t, ctx, "call", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "called a", `onedoorCounter.current() === `+jsString(a.Number)+idle, 3*time.Second)
	run(t, ctx, "park", chromedp.Click(chromedp.CSS(`[data-act="park"]`)))
	must(t, ctx, "parked", `onedoorCounter.current() === ""`+idle, 3*time.Second)
	run(t, ctx, "call", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "called b", `onedoorCounter.current() === `+jsString(b.Number)+idle, 3*time.Second)
	run(t, ctx, "no-show", chromedp.Click(chromedp.CSS(`[data-act="no-show"]`)))
	must(t, ctx, "no-show", `onedoorCounter.current() === ""`+idle, 3*time.Second)

	rowSel := func(n string) string { return `#aside tr[data-number=` + jsString(n) + `]` }
	must(t, ctx, "both listed", `!!document.querySelector('`+rowSel(a.Number)+`') && !!document.querySelector('`+rowSel(b.Number)+`')`, 3*time.Second)
	run(t, ctx, "reload", chromedp.Reload())
	must(t, ctx, "both listed after a reload", `window.onedoorCounter && onedoorCounter.live() && !!document.querySelector('`+rowSel(a.Number)+`') && !!document.querySelector('`+rowSel(b.Number)+`')`, 5*time.Second)
	staff := e.login("counter1")
	var v wire.TicketList
	e.do("GET", "/api/v1/halls/students/waiting", staff, nil).decode(t, &v)
	if len(v.SetAside) != 2 {
		t.Fatalf("set-aside tickets from the API: %+v", v.SetAside)
	}
	loc, _ := time.LoadLocation(farCampus)
	for _, st := range v.SetAside {
		got := evalString(t, ctx, `document.querySelector('`+rowSel(st.Number)+`').textContent`)
		if want := st.CalledAt.In(loc).Format("15:04"); st.CalledAt == nil || !strings.Contains(got, want) {
			t.Errorf("row %s %q, want the campus time %s", st.Number, got, want)
		}
	}
	if got := evalString(t, ctx, `document.querySelector('`+rowSel(a.Number)+` button').dataset.act + "|" + document.querySelector('`+rowSel(b.Number)+` button').dataset.act`); got != "resume|reinstate" {
		t.Errorf("row actions %q, want resume|reinstate", got)
	}
	shot(t, ctx, "counter-set-aside")

	run(t, ctx, "reinstate", chromedp.Click(chromedp.CSS(rowSel(b.Number)+` button`)))
	must(t, ctx, "reinstated into the waiting list", `!document.querySelector('`+rowSel(b.Number)+`') && !!document.querySelector('#waiting tr[data-number=`+jsString(b.Number)+`]')`+idle, 3*time.Second)
	run(t, ctx, "resume", chromedp.Click(chromedp.CSS(rowSel(a.Number)+` button`)))
	must(t, ctx, "resumed at this counter", `onedoorCounter.current() === `+jsString(a.Number)+` && !document.querySelector('`+rowSel(a.Number)+`')`+idle, 3*time.Second)
	if got := evalString(t, ctx, `String(document.getElementById("aside-box").hidden)`); got != "true" {
		t.Errorf("the empty set-aside list is still shown")
	}
	_ = c
}

// TestCounterPanelsWithoutScrolling: at 1366×768, with a walk-in request and earlier visits on
// the current card, the transfer and case panels open where they can be filled in and sent
// without scrolling, and the current number stays in sight beside them.
func TestCounterPanelsWithoutScrolling(t *testing.T) {
	e := newCaseEnv(t)
	tk := e.issue("A")
	e.openKiosk(map[string]any{"hall": "students", "kind": "complaint", "text": "宿舍楼热水器坏了，报修三次没人来。\n希望尽快处理。", "ticketId": tk.ID}, "")
	staff := e.login("counter1")
	e.act(staff, 2, "open", nil, 200)
	e.callNext(staff, 2)
	e.act(staff, 2, "transfer", map[string]any{"toCounter": 1, "placement": "front", "note": "需学籍窗口核对"}, 200)
	ctx := browser(t, 1366, 768)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)
	run(t, ctx, "call", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "called with request and visit", `onedoorCounter.current() === `+jsString(tk.Number)+` && !document.getElementById("cur-request").hidden && !document.getElementById("cur-visits-box").hidden && !onedoorCounter.busy()`, 3*time.Second)
	inView := func(sel string) string {
		return `(function(){var r=document.querySelector(` + jsString(sel) + `).getBoundingClientRect();return r.height>0&&r.top>=0&&r.bottom<=innerHeight&&r.left>=0&&r.right<=innerWidth})()`
	}
	for _, p := range []struct{ open, panel, name string }{{"#open-transfer", "#transfer", "counter-transfer-panel"}, {"#open-case", "#case", "counter-case-panel"}} {
		run(t, ctx, "top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
		run(t, ctx, "open "+p.panel, chromedp.Click(chromedp.CSS(p.open)))
		must(t, ctx, p.panel+" shown", `!document.querySelector(`+jsString(p.panel)+`).hidden`, 2*time.Second)
		shot(t, ctx, p.name)
		for _, sel := range []string{p.panel + " h3", p.panel + ` button[type="submit"]`, "#cur-number"} {
			if got := evalString(t, ctx, `String(`+inView(sel)+`)`); got != "true" {
				t.Errorf("%s open: %s is not in sight at 1366×768 (scrollY %s)", p.panel, sel, evalString(t, ctx, `String(scrollY)`))
			}
		}
	}
}
