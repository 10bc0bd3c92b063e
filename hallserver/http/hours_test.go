package http

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// withOfficeHours gives the students hall weekday hours with a lunch break (service B its own:
// Tuesday only), a holiday on Friday 2026-12-25, and sets the server's clock to at. The hall
// takes tickets outside its hours (issueOutsideHours): they wait until the service opens.
func withOfficeHours(at time.Time) envOption {
	return func(e *env) {
		h := &e.campus.Halls[0]
		h.Hours = []hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-11:30", "14:00-17:00"}}}
		h.IssueOutsideHours = true
		h.Services[1].Hours = []hall.OpeningHours{{Days: "tue", Times: []string{"09:00-11:00"}}}
		e.campus.Calendar = &hall.Calendar{Holidays: []string{"2026-12-25"}}
		e.config = func(c *Config) { c.Now = func() time.Time { return at } }
	}
}

func inShanghai(t testing.TB, v string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	x, err := time.ParseInLocation("2006-01-02 15:04", v, loc)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestOpensAtOnTheWire: outside the hours, a waiting ticket nobody serves says in its follow view
// when the service opens (RFC 3339 in the campus zone), and so do the services of the hall's
// snapshot (fetched and streamed); the hall information gives the hours. Within the hours or with
// a counter serving, there is no opensAt.
func TestOpensAtOnTheWire(t *testing.T) {
	e := newEnv(t, withOfficeHours(inShanghai(t, "2026-12-07 07:10"))) // Monday before opening
	tk := e.issue("A")
	r := e.do("GET", "/api/v1/follow/"+tk.Token, "", nil)
	if !strings.Contains(string(r.body), `"opensAt":"2026-12-07T08:30:00+08:00"`) {
		t.Errorf("follow view before opening: %s, want opensAt 08:30 +08:00", r.body)
	}
	c := e.dial("students", 0)
	m := read(t, c, 3*time.Second)
	c.Close()
	// The answers with the new fields match openapi.json.
	loadSpec(t).checkSamples(t, []schemaSample{
		{"follow", r.body, "Follow"},
		{"hall", e.do("GET", "/api/v1/halls/students", "", nil).body, "Hall"},
		{"snapshot", e.do("GET", "/api/v1/halls/students/snapshot", "", nil).body, "Snapshot"},
		{"stream snapshot", m.raw, "StreamSnapshot"},
	})
	var snap hall.Snapshot
	e.do("GET", "/api/v1/halls/students/snapshot", "", nil).decode(t, &snap)
	want := map[string]string{"A": "2026-12-07 08:30", "B": "2026-12-08 09:00"}
	for _, sv := range snap.Services {
		if sv.OpensAt == nil || !sv.OpensAt.Equal(inShanghai(t, want[sv.Code])) {
			t.Errorf("snapshot service %s opensAt %v, want %s", sv.Code, sv.OpensAt, want[sv.Code])
		}
	}
	if m.Snapshot == nil || len(m.Snapshot.Services) == 0 || m.Snapshot.Services[0].OpensAt == nil {
		t.Errorf("streamed snapshot without opensAt: %+v", m.Snapshot)
	}
	var h wire.Hall
	e.do("GET", "/api/v1/halls/students", "", nil).decode(t, &h)
	if got := h.Services[0].HoursText; got.Zh != "周一至周五 08:30–11:30、14:00–17:00" || got.En != "Mon–Fri 08:30–11:30, 14:00–17:00" {
		t.Errorf("hall info hours of A: %+v", got)
	}
	if got := h.Services[1]; len(got.Hours) != 1 || got.Hours[0].Days != "tue" || got.HoursText.Zh != "周二 09:00–11:00" {
		t.Errorf("hall info hours of B: %+v", got)
	}
	// Nothing configured (teachers): nothing said.
	var th wire.Hall
	r = e.do("GET", "/api/v1/halls/teachers", "", nil)
	r.decode(t, &th)
	if strings.Contains(string(r.body), "hours") {
		t.Errorf("a hall without hours: %s", r.body)
	}

	// Within the hours (Monday 10:00): unserved, but no opensAt.
	e2 := newEnv(t, withOfficeHours(inShanghai(t, "2026-12-07 10:00")))
	tk2 := e2.issue("A")
	var f wire.Follow
	e2.do("GET", "/api/v1/follow/"+tk2.Token, "", nil).decode(t, &f)
	if !f.Unserved || f.OpensAt != nil {
		t.Errorf("within the hours: unserved %v opensAt %v, want unserved without opensAt", f.Unserved, f.OpensAt)
	}
	// Outside the hours with a counter open (staff stayed): served, no opensAt.
	e.act(e.login("counter1"), 1, "open", nil, 200)
	var served wire.Follow
	e.do("GET", "/api/v1/follow/"+tk.Token, "", nil).decode(t, &served)
	if served.Unserved || served.OpensAt != nil {
		t.Errorf("with a counter open: unserved %v opensAt %v", served.Unserved, served.OpensAt)
	}
}

// pinBrowserClock makes the page's Date.now() start at at (the pages say "today"/"tomorrow" by
// the browser's clock, the server's in the test).
func pinBrowserClock(t *testing.T, ctx context.Context, at time.Time) {
	t.Helper()
	src := `(function () { var t0 = performance.now(), at = ` + strconv.FormatInt(at.UnixMilli(), 10) + `;
  Date.now = function () { return Math.floor(at + performance.now() - t0); }; })();`
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
		t.Fatal(err)
	}
}

// TestFollowPageSaysWhenServiceOpens: a ticket taken outside the hours: the follow page says
// nobody serves it and when it opens, as served and after a live update (drawn by the script),
// "today" during the lunch break and "tomorrow" after the end of the day; never minutes.
func TestFollowPageSaysWhenServiceOpens(t *testing.T) {
	for _, tc := range []struct{ now, zh, en string }{
		{"2026-12-07 12:10", "暂无窗口办理此业务 · 14:00 开始办理", "Nobody serves this now · opens 14:00"},
		{"2026-12-07 17:20", "暂无窗口办理此业务 · 明天 08:30 开始办理", "Nobody serves this now · opens tomorrow 08:30"},
		{"2026-12-24 17:20", "暂无窗口办理此业务 · 12月28日 08:30 开始办理", "Nobody serves this now · opens 28 Dec 08:30"},
	} {
		t.Run(tc.now, func(t *testing.T) {
			at := inShanghai(t, tc.now)
			e := newEnv(t, withOfficeHours(at))
			tk := e.issue("A")
			ctx := browserIn(t, 390, 844, "America/New_York")
			pinBrowserClock(t, ctx, at)
			text := `document.getElementById("unserved").textContent`
			check := func(when string) {
				t.Helper()
				got := evalString(t, ctx, text)
				if !strings.Contains(got, tc.zh) || !strings.Contains(got, tc.en) || strings.Contains(got, "分钟") {
					t.Errorf("%s: %q, want %q and %q", when, got, tc.zh, tc.en)
				}
				if evalString(t, ctx, `String(document.getElementById("unserved").hidden)+String(document.getElementById("eta-box").hidden)`) != "falsetrue" {
					t.Errorf("%s: the notice is hidden or the estimate shown", when)
				}
			}
			openFollow(t, ctx, tk.FollowURL)
			check("as served")
			evalString(t, ctx, `(document.getElementById("opens-zh").textContent = "", document.getElementById("follow").removeAttribute("data-state"), document.dispatchEvent(new Event("visibilitychange")), "")`)
			must(t, ctx, "ticket drawn again", `document.getElementById("follow").dataset.state === "waiting"`, 3*time.Second)
			check("after a live update")
			if tc.now == "2026-12-07 12:10" {
				shot(t, ctx, "follow-opens")
			}
		})
	}
}

// TestWebDisplaySaysWhenServiceOpens: tickets wait for a service outside its hours: the card says
// 暂无窗口办理 · 14:00 开始办理 / no counter now · opens 14:00; a service with nothing waiting says
// 暂停服务 and when it opens; never minutes.
func TestWebDisplaySaysWhenServiceOpens(t *testing.T) {
	at := inShanghai(t, "2026-12-07 12:10")
	e := newEnv(t, withOfficeHours(at))
	e.issue("A")
	e.issue("A")
	ctx := browserIn(t, 1920, 1080, "UTC")
	pinBrowserClock(t, ctx, at)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/display/students?sound=off")); err != nil {
		t.Fatal(err)
	}
	card := func(code string) string { return `document.querySelector('#services li[data-code="` + code + `"]')` }
	must(t, ctx, "A's card", `window.onedoorDisplay && onedoorDisplay.renders > 0 && `+card("A")+`.querySelector(".count").textContent === "2"`, 5*time.Second)
	if got := evalString(t, ctx, card("A")+`.querySelector(".wait").textContent`); !strings.Contains(got, "暂无窗口办理 · 14:00 开始办理") ||
		!strings.Contains(got, "no counter now · opens 14:00") || strings.Contains(got, "分钟") {
		t.Errorf("A outside its hours shows %q", got)
	}
	if got := evalString(t, ctx, card("B")+`.querySelector(".wait").textContent`); !strings.Contains(got, "暂停服务 · 明天 09:00 开始办理") ||
		!strings.Contains(got, "closed · opens tomorrow 09:00") {
		t.Errorf("B (Tuesdays) shows %q", got)
	}
	// A counter opens for A outside the hours: it is served; the estimate comes back.
	e.act(e.login("counter1"), 2, "open", nil, 200)
	must(t, ctx, "A served", `!`+card("A")+`.querySelector(".wait").textContent.includes("开始办理")`, 5*time.Second)
}
