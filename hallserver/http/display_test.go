package http

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"onedoor/hallserver/campus"
	"onedoor/hallserver/hall"
	"onedoor/internal/testtool"
)

var displayShots = flag.String("display-screenshots", "", "write display-web-*.png screenshots into this directory")

// chromiumPath finds the browser the web display tests drive ($ONEDOOR_CHROMIUM, chromium,
// chromium-browser, google-chrome). The tests fail, not skip, without one: CI installs it.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ONEDOOR_CHROMIUM"); p != "" {
		return p
	}
	return testtool.Path(t, "chromium")
}

// browser starts a headless Chromium with a fresh profile and returns a tab's context.
func browser(t testing.TB, w, h int) context.Context {
	t.Helper()
	return browserIn(t, w, h, "")
}

// browserIn is browser with Chromium in the time zone tz (its TZ; "" leaves it as it is).
func browserIn(t testing.TB, w, h int, tz string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(w, h),
	}
	if tz != "" {
		opts = append(opts, chromedp.Env("TZ="+tz))
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h))); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// evalString evaluates a JavaScript expression in the page.
func evalString(t testing.TB, ctx context.Context, expr string) string {
	t.Helper()
	for try := 0; ; try++ {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err == nil {
			return s
		}
		if !pageReloading(err) || try == 20 {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pageReloading reports whether err says the page's JavaScript context went away under the
// call: the page was reloading or navigating (the follow and case pages reload themselves on
// some stream news). The same call on the new page is the right retry.
func pageReloading(err error) bool {
	m := err.Error()
	return strings.Contains(m, "Cannot find context with specified id") ||
		strings.Contains(m, "Execution context was destroyed") ||
		strings.Contains(m, "Inspected target navigated or closed")
}

// pageWaitScale stretches every wait for a page's state (waitJS, untouched): a wait ends as soon
// as the state holds, so the stretch costs nothing when the test passes, and a page on a machine
// whose two cores are busy with other test binaries (CI) can need several times its usual time
// to render what the server sent (TestFollowPageQuietConsole and
// TestWebPagesRedrawAfterCampusChange each failed once that way at 5 s).
const pageWaitScale = 3

// waitJS waits until the expression is true in the page (d stretched by pageWaitScale).
func waitJS(t testing.TB, ctx context.Context, expr string, d time.Duration) error {
	t.Helper()
	end := time.Now().Add(d * pageWaitScale)
	for {
		tctx, cancel := context.WithTimeout(ctx, time.Until(end)+time.Second)
		err := chromedp.Do(tctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(max(time.Until(end), 10*time.Millisecond))))
		cancel()
		if err == nil || !pageReloading(err) || time.Now().After(end) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) callNext(staff string, counter int) string {
	e.t.Helper()
	r := e.act(staff, counter, "call-next", nil, 200)
	var tk struct {
		Number string `json:"number"`
	}
	r.decode(e.t, &tk)
	return tk.Number
}

func TestDisplayPage(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/display/students", "", nil)
	body := string(r.body)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(body, "学生事务大厅") || !strings.Contains(body, `data-hall="students"`) {
		t.Fatalf("display page: %d %s", r.status, body)
	}
	// The CSP allows no inline script or style: everything comes from /assets/.
	if strings.Contains(body, "<script>") || strings.Contains(body, "style=") || strings.Contains(body, "<style") || !strings.Contains(body, `src="/assets/display.js"`) {
		t.Fatal("the display page has inline script or style")
	}
	if !strings.Contains(body, `id="sound"`) || strings.Contains(string(e.do("GET", "/display/students?sound=off", "", nil).body), `id="sound"`) {
		t.Error("enable-sound overlay: shown by default, hidden with sound=off")
	}
	for f, ct := range map[string]string{"display.js": "text/javascript", "display.css": "text/css"} {
		if r := e.do("GET", "/assets/"+f, "", nil); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), ct) {
			t.Errorf("%s: %d %s", f, r.status, r.header.Get("Content-Type"))
		}
	}
	if r := e.do("GET", "/display/nowhere", "", nil); r.status != 404 {
		t.Errorf("unknown hall: %d", r.status)
	}
}

// TestWebDisplayShowsACallWithinOneSecond opens the display in headless Chromium and measures
// call-next to the number on screen.
func TestWebDisplayShowsACallWithinOneSecond(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t, 1920, 1080)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/display/students")); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(t, ctx, `window.onedoorDisplay && onedoorDisplay.connected && onedoorDisplay.renders > 0`, 5*time.Second); err != nil {
		t.Fatalf("the page did not connect: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#sound"))); err != nil {
		t.Fatalf("enable sound: %v", err)
	}
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	e.issue("A")
	start := time.Now()
	n := e.callNext(staff, 1)
	if err := waitJS(t, ctx, fmt.Sprintf(`document.getElementById("now-number").textContent === %q && document.getElementById("now-zh").textContent === "请到 1 号窗口"`, n), time.Second); err != nil {
		t.Fatalf("%s not on screen within 1 s of call-next: %v (shows %q)", n, err, evalString(t, ctx, `document.getElementById("now-number").textContent`))
	}
	t.Logf("call-next to screen: %v", time.Since(start))
	if got := evalString(t, ctx, `onedoorDisplay.announced.join(" ")`); got != n+"@1" {
		t.Fatalf("announced %q", got)
	}
	if got := evalString(t, ctx, `document.getElementById("sound") ? String(document.getElementById("sound").hidden) : "gone"`); got != "true" {
		t.Fatalf("overlay still shown after the tap: %s", got)
	}
}

// TestWebDisplayReplaysCallsMadeWhileOffline cuts the page's link to the server, checks the
// offline indicator after 5 s with the last call still shown, makes three calls, restores the
// link: all three are shown in order and each announced once.
func TestWebDisplayReplaysCallsMadeWhileOffline(t *testing.T) {
	e := newEnv(t)
	px := testtool.NewLinkProxy(t, e.ts.Listener.Addr().String())
	ctx := browser(t, 1920, 1080)
	if err := chromedp.Do(ctx, chromedp.Navigate(px.URL()+"/display/students?sound=off")); err != nil {
		t.Fatal(err)
	}
	staff := e.login("counter1")
	for _, c := range []int{1, 2, 3} {
		e.act(staff, c, "open", nil, 200)
	}
	for _, s := range []string{"A", "A", "B", "A"} {
		e.issue(s)
	}
	first := e.callNext(staff, 1)
	if err := waitJS(t, ctx, fmt.Sprintf(`document.getElementById("now-number").textContent === %q`, first), 5*time.Second); err != nil {
		t.Fatalf("first call not shown: %v", err)
	}
	px.SetDown(true)
	if err := waitJS(t, ctx, `!document.getElementById("conn").hidden`, 8*time.Second); err != nil {
		t.Fatalf("no offline indicator: %v", err)
	}
	if got := evalString(t, ctx, `document.getElementById("now-number").textContent`); got != first {
		t.Fatalf("offline screen shows %q, want the last call %s", got, first)
	}
	e.act(staff, 1, "finish", nil, 200)
	calls := []string{e.callNext(staff, 2) + "@2", e.callNext(staff, 3) + "@3", e.callNext(staff, 1) + "@1"}
	px.SetDown(false)
	if err := waitJS(t, ctx, `document.getElementById("conn").hidden && onedoorDisplay.announced.length === 4`, 15*time.Second); err != nil {
		t.Fatalf("no recovery: %v (announced %s)", err, evalString(t, ctx, `onedoorDisplay.announced.join(" ")`))
	}
	want := first + "@1 " + strings.Join(calls, " ")
	if got := evalString(t, ctx, `onedoorDisplay.announced.join(" ")`); got != want {
		t.Fatalf("announced %q, want %q", got, want)
	}
	// On screen: the last of the three now, the other two beside it (called at once), the first
	// call below.
	shown := evalString(t, ctx, `document.getElementById("now-number").textContent + " " + Array.from(document.querySelectorAll("#now-also .num, #recent .num")).map(function(e){return e.textContent}).join(" ")`)
	num := func(s string) string { return strings.Split(s, "@")[0] }
	if w := num(calls[2]) + " " + num(calls[1]) + " " + num(calls[0]) + " " + first; shown != w {
		t.Fatalf("screen shows %q, want %q", shown, w)
	}
}

// TestWebDisplayScreenshots renders the display in both orientations in a busy hall; with
// -screenshots DIR it writes display-web-landscape.png and display-web-portrait.png.
func TestWebDisplayScreenshots(t *testing.T) {
	e := newEnv(t, func(e *env) { e.campus = campus.Demo() })
	staff := e.login("admin")
	for _, c := range []int{1, 2, 3, 4, 5} {
		e.act(staff, c, "open", nil, 200)
	}
	for i := 0; i < 40; i++ {
		e.issue([]string{"A", "B", "A", "C", "D", "A", "E", "B"}[i%8])
	}
	for _, c := range []int{5, 4, 3, 2, 5, 4, 1} {
		e.do("POST", "/api/v1/halls/students/counters/"+itoa(c)+"/finish", staff, nil) // nothing to finish at first
		e.callNext(staff, c)
	}
	for _, n := range []hall.Text{
		{Zh: "今天 16:00 起暂停办理奖助学金业务，请合理安排时间。", En: "Scholarships close at 16:00 today."},
		{Zh: "请保管好随身物品。", En: "Please mind your belongings."},
	} {
		if r := e.do("POST", "/api/v1/halls/students/notices", staff, map[string]any{"text": n}); r.status != 201 {
			t.Fatalf("notice: %d %s", r.status, r.body)
		}
	}
	for _, o := range []struct {
		name string
		w, h int
	}{{"landscape", 1920, 1080}, {"portrait", 1080, 1920}} {
		t.Run(o.name, func(t *testing.T) {
			ctx := browser(t, o.w, o.h)
			if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/display/students")); err != nil {
				t.Fatal(err)
			}
			if err := waitJS(t, ctx, `window.onedoorDisplay && onedoorDisplay.renders > 0 && document.fonts.status === "loaded"`, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#sound")), chromedp.Sleep(300*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			// The calls beside the current one stay inside its panel.
			if got := evalString(t, ctx, `String(document.getElementById("now-also").getBoundingClientRect().bottom <= document.getElementById("now").getBoundingClientRect().bottom)`); got != "true" {
				t.Errorf("the calls at once stick out of the now panel at %dx%d", o.w, o.h)
			}
			// Nothing may stick out of the screen.
			if got := evalString(t, ctx, `String(document.documentElement.scrollWidth <= innerWidth && document.getElementById("display").getBoundingClientRect().bottom <= innerHeight + 1)`); got != "true" {
				t.Errorf("the display overflows the %dx%d screen", o.w, o.h)
			}
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			if *displayShots == "" {
				return
			}
			if err := os.MkdirAll(*displayShots, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(*displayShots, "display-web-"+o.name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// BenchmarkWebDisplayCallToScreen measures call-next to the number drawn by the web display in
// Chromium (the page's own clock, same machine) while 99 other displays follow the stream.
// Run: go test -run '^$' -bench WebDisplayCallToScreen -benchtime 30x ./hallserver/http
func BenchmarkWebDisplayCallToScreen(b *testing.B) {
	e := newEnv(b)
	staff := e.login("admin")
	e.act(staff, 1, "open", nil, 200)
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/api/v1/halls/students/stream"
	for i := 0; i < 99; i++ {
		c, _, err := websocket.DefaultDialer.Dial(u, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
	}
	ctx := browser(b, 1920, 1080)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/display/students?sound=off")); err != nil {
		b.Fatal(err)
	}
	if err := waitJS(b, ctx, `window.onedoorDisplay && onedoorDisplay.connected && onedoorDisplay.renders > 0`, 5*time.Second); err != nil {
		b.Fatal(err)
	}
	var lat []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e.issue("A")
		time.Sleep(50 * time.Millisecond)
		b.StartTimer()
		t0 := time.Now()
		n := e.callNext(staff, 1)
		if err := waitJS(b, ctx, fmt.Sprintf(`onedoorDisplay.lastCall && onedoorDisplay.lastCall.number === %q`, n), 5*time.Second); err != nil {
			b.Fatalf("%s not shown: %v", n, err)
		}
		at, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`onedoorDisplay.lastCall.t`))
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, at-float64(t0.UnixNano())/1e6)
		b.StopTimer()
		e.act(staff, 1, "finish", nil, 200)
		b.StartTimer()
	}
	b.StopTimer()
	sort.Float64s(lat)
	b.ReportMetric(lat[len(lat)/2], "p50-ms")
	b.ReportMetric(lat[len(lat)*99/100], "p99-ms")
	b.ReportMetric(lat[len(lat)-1], "max-ms")
}

// TestWebDisplayShowsCallsBeforeSoundIsEnabled: a TV without touch shows the calls at once (no
// overlay covers them), sound off until a remote key or ?sound=on turns it on.
func TestWebDisplayShowsCallsBeforeSoundIsEnabled(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	e.issue("A")
	n := e.callNext(staff, 1)
	ctx := browser(t, 1920, 1080)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/display/students")); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(t, ctx, fmt.Sprintf(`window.onedoorDisplay && document.getElementById("now-number").textContent === %q`, n), 5*time.Second); err != nil {
		t.Fatalf("call not shown: %v", err)
	}
	// What a viewer sees at the middle of the number, a recent-call heading and a service card is
	// that element itself, not something laid over it.
	visible := `["now-number", "now-zh", "services"].every(function (id) {
		var r = document.getElementById(id).getBoundingClientRect();
		var hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 40));
		return document.getElementById(id).contains(hit);
	})`
	if got := evalString(t, ctx, `String(`+visible+`)`); got != "true" {
		t.Fatal("the calls are covered before sound is enabled")
	}
	if got := evalString(t, ctx, `String(onedoorDisplay.sound)`); got != "false" {
		t.Fatalf("sound on without a gesture: %s", got)
	}
	// A remote's OK key (Enter) turns the sound on.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r")); err != nil {
		t.Fatal(err)
	}
	if got := evalString(t, ctx, `String(onedoorDisplay.sound && document.getElementById("sound").hidden)`); got != "true" {
		t.Fatalf("the OK key did not enable sound: %s", got)
	}
	// ?sound=on: on at load, nothing to press.
	ctx2 := browser(t, 1920, 1080)
	if err := chromedp.Do(ctx2, chromedp.Navigate(e.ts.URL+"/display/students?sound=on")); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(t, ctx2, `window.onedoorDisplay && onedoorDisplay.sound && document.getElementById("sound").hidden`, 5*time.Second); err != nil {
		t.Fatalf("?sound=on did not enable sound: %v", err)
	}
}

// TestWebDisplayOfflineBanner: with the link cut, the reconnect banner covers no heading, its
// English fits in it, and the notice line keeps the last notices; in both orientations.
func TestWebDisplayOfflineBanner(t *testing.T) {
	e := newEnv(t)
	staff := e.login("admin")
	if r := e.do("POST", "/api/v1/halls/students/notices", staff, map[string]any{"text": hall.Text{Zh: "请保管好随身物品。", En: "Please mind your belongings."}}); r.status != 201 {
		t.Fatalf("notice: %d %s", r.status, r.body)
	}
	for _, o := range []struct {
		name string
		w, h int
	}{{"landscape", 1920, 1080}, {"portrait", 1080, 1920}, {"small", 1280, 720}} {
		t.Run(o.name, func(t *testing.T) {
			px := testtool.NewLinkProxy(t, e.ts.Listener.Addr().String())
			ctx := browser(t, o.w, o.h)
			if err := chromedp.Do(ctx, chromedp.Navigate(px.URL()+"/display/students?sound=off")); err != nil {
				t.Fatal(err)
			}
			if err := waitJS(t, ctx, `window.onedoorDisplay && onedoorDisplay.connected && document.getElementById("notice").textContent.indexOf("随身物品") >= 0`, 5*time.Second); err != nil {
				t.Fatalf("notice not shown: %v", err)
			}
			px.SetDown(true)
			if err := waitJS(t, ctx, `!document.getElementById("conn").hidden`, 8*time.Second); err != nil {
				t.Fatalf("no offline indicator: %v", err)
			}
			overlaps := evalString(t, ctx, `(function () {
				var b = document.getElementById("conn").getBoundingClientRect(), out = [];
				document.querySelectorAll("#now .label, .recent h2, header .hall, header .clock, header .date, #now-number").forEach(function (h) {
					var r = h.getBoundingClientRect();
					if (r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom) { out.push(h.className || h.id); }
				});
				document.querySelectorAll("#conn, #conn span").forEach(function (s) {
					if (s.scrollWidth > s.clientWidth + 1 && s.clientWidth > 0) { out.push("overflow:" + s.textContent); }
					var r = s.getBoundingClientRect();
					if (r.left < 0 || r.right > innerWidth) { out.push("off screen:" + s.textContent); }
				});
				return out.join(", ");
			})()`)
			if overlaps != "" {
				t.Errorf("offline banner: %s", overlaps)
			}
			if got := evalString(t, ctx, `document.getElementById("notice").textContent`); !strings.Contains(got, "随身物品") {
				t.Errorf("offline notice line shows %q, want the last notices", got)
			}
			shot(t, ctx, "display-web-offline-"+o.name)
		})
	}
}

// TestWebDisplayNobodyServes: tickets wait for a service no counter serves: the card says
// 暂无窗口办理 / no counter now, never "约 N 分钟".
func TestWebDisplayNobodyServes(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	e.issue("A")
	e.issue("A")
	e.act(staff, 1, "close", nil, 200)
	ctx := browser(t, 1920, 1080)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/display/students?sound=off")); err != nil {
		t.Fatal(err)
	}
	card := `document.querySelector('#services li[data-code="A"]')`
	if err := waitJS(t, ctx, `window.onedoorDisplay && onedoorDisplay.renders > 0 && `+card+`.querySelector(".count").textContent === "2"`, 5*time.Second); err != nil {
		t.Fatalf("A's card: %v", err)
	}
	if got := evalString(t, ctx, card+`.querySelector(".wait").textContent`); !strings.Contains(got, "暂无窗口办理") || !strings.Contains(got, "no counter now") || strings.Contains(got, "分钟") {
		t.Fatalf("A nobody serves shows %q", got)
	}
}

// TestWebDisplayRecentCalls: a recalled number is listed once; in portrait the recent calls fill
// row by row; calls several counters make at once stand beside the newest.
func TestWebDisplayRecentCalls(t *testing.T) {
	e := newEnv(t)
	staff := e.login("admin")
	for _, c := range []int{1, 2, 3} {
		e.act(staff, c, "open", nil, 200)
	}
	for i := 0; i < 8; i++ {
		e.issue("A")
	}
	e.issue("B")
	ctx := openDisplay(t, e.ts.URL+"/display/students?sound=off", 1080, 1920)
	first := e.callNext(staff, 1)
	e.act(staff, 1, "recall", nil, 200)
	var nums []string
	for i := 0; i < 3; i++ {
		e.act(staff, 1, "finish", nil, 200)
		nums = append(nums, e.callNext(staff, 1))
	}
	recent := `Array.from(document.querySelectorAll("#recent .num")).map(function(e){return e.textContent}).join(" ")`
	want := nums[1] + " " + nums[0] + " " + first
	if err := waitJS(t, ctx, fmt.Sprintf(`document.getElementById("now-number").textContent === %q && %s === %q`, nums[2], recent, want), 5*time.Second); err != nil {
		t.Fatalf("recent calls %q, want %q (the recalled %s once): %v", evalString(t, ctx, recent), want, first, err)
	}
	// Portrait: the second recent call is right of the first, the third below the first.
	order := evalString(t, ctx, `(function () {
		var li = document.querySelectorAll("#recent li"), a = li[0].getBoundingClientRect(), b = li[1].getBoundingClientRect(), c = li[2].getBoundingClientRect();
		return String(Math.abs(a.top - b.top) < 1 && b.left > a.left && c.top > a.top && Math.abs(c.left - a.left) < 1);
	})()`)
	if order != "true" {
		t.Errorf("portrait recent calls are not in reading order")
	}
	// Counters 2 and 3 call at once: counter 3's call is "now", 2's and 1's stand beside it.
	n2, n3 := e.callNext(staff, 2), e.callNext(staff, 3)
	also := `Array.from(document.querySelectorAll("#now-also .num")).map(function(e){return e.textContent}).join(" ")`
	if err := waitJS(t, ctx, fmt.Sprintf(`document.getElementById("now-number").textContent === %q && %s === %q`, n3, also, n2+" "+nums[2]), 5*time.Second); err != nil {
		t.Fatalf("calls at once: beside %s shows %q, want %q: %v", n3, evalString(t, ctx, also), n2+" "+nums[2], err)
	}
	if got := evalString(t, ctx, `String(document.getElementById("display").getBoundingClientRect().bottom <= innerHeight + 1 && document.getElementById("now").scrollHeight <= document.getElementById("now").clientHeight + 1)`); got != "true" {
		t.Errorf("the now panel overflows with calls beside it")
	}
	shot(t, ctx, "display-web-at-once-portrait")
}

// TestWebDisplayMarksAPriorityCall: a green-channel ticket says 绿色通道 beside its number when
// called and in the recent list; a regular one does not.
func TestWebDisplayMarksAPriorityCall(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	if r := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "A", "priority": true}); r.status != 201 {
		t.Fatalf("priority ticket: %d %s", r.status, r.body)
	}
	e.issue("A")
	ctx := openDisplay(t, e.ts.URL+"/display/students?sound=off", 1920, 1080)
	p := e.callNext(staff, 1)
	badge := `(function () { var b = document.getElementById("now-priority"); return !b.hidden && b.getBoundingClientRect().width > 0 && b.textContent.indexOf("绿色通道") >= 0; })()`
	if err := waitJS(t, ctx, fmt.Sprintf(`document.getElementById("now-number").textContent === %q && %s`, p, badge), 5*time.Second); err != nil {
		t.Fatalf("priority call %s not marked: %v", p, err)
	}
	shot(t, ctx, "display-web-priority")
	e.act(staff, 1, "finish", nil, 200)
	n := e.callNext(staff, 1)
	if err := waitJS(t, ctx, fmt.Sprintf(`document.getElementById("now-number").textContent === %q && !(%s) && document.querySelector("#recent li.priority .prio") !== null`, n, badge), 5*time.Second); err != nil {
		t.Fatalf("regular call %s marked, or %s not marked in the recent list: %v", n, p, err)
	}
}

// TestWebDisplayWaitTimesFollowTheServer: after tickets are issued and a second counter opens for
// B, the web display's B wait is the server's estimate (what the kiosk says), not the page's
// first estimate per person scaled by the waiting count.
func TestWebDisplayWaitTimesFollowTheServer(t *testing.T) {
	e := newEnv(t)
	staff := e.login("admin")
	e.act(staff, 1, "open", nil, 200)
	e.issue("B")
	ctx := browser(t, 1920, 1080)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/display/students?sound=off")); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(t, ctx, `window.onedoorDisplay && onedoorDisplay.connected && onedoorDisplay.renders > 0`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		e.issue("B")
	}
	e.act(staff, 3, "open", nil, 200)
	var snap hall.Snapshot
	e.do("GET", "/api/v1/halls/students/snapshot", "", nil).decode(t, &snap)
	want := ""
	for _, s := range snap.Services {
		if s.Code == "B" {
			want = fmt.Sprintf("约 %d 分钟", max(1, (s.EtaSeconds+59)/60))
		}
	}
	wait := `document.querySelector('#services li[data-code="B"] .wait .zh').textContent`
	if err := waitJS(t, ctx, fmt.Sprintf(`%s.indexOf(%q) >= 0`, wait, want), 5*time.Second); err != nil {
		t.Fatalf("B on the web display %q, the server says %q: %v", evalString(t, ctx, wait), want, err)
	}
}

// openDisplay opens the web display at url in a headless Chromium of w x h and waits until it
// follows the stream.
func openDisplay(t *testing.T, url string, w, h int) context.Context {
	t.Helper()
	ctx := browser(t, w, h)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(t, ctx, `window.onedoorDisplay && onedoorDisplay.connected`, 5*time.Second); err != nil {
		t.Fatalf("the display did not connect: %v", err)
	}
	return ctx
}
