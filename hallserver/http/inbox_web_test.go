package http

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/campus"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// casesShots, when set, is where TestCasesScreenshots writes cases-*.png (make screenshots-cases).
var casesShots = flag.String("cases-screenshots", "", "write cases-*.png screenshots (inbox, supervision, roadmap) into this directory")

// TestInboxReplyReachesFollowPage: a library handler signs in at /cases, picks the case, signs
// for it, replies with a template; the follow page of the case (phone size) shows the reply,
// the requester rates it there, and the page and the API show the rating. What the requester
// typed is shown as text in the inbox.
func TestInboxReplyReachesFollowPage(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "图书馆三楼占座严重 <b>没人管</b><img src=x onerror=window.pwned=1>"}, "")
	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-library", oc.Number)
	clickCase(t, ctx, "pick the case", oc.Number)
	must(t, ctx, "case shown", `onedoorInbox.selected() === `+jsString(oc.Number)+` && onedoorInbox.state() === "dispatched" && !document.getElementById("act-sign").hidden`, 3*time.Second)
	if got := evalString(t, ctx, `document.getElementById("c-text").textContent`); !strings.Contains(got, "<b>没人管</b><img src=x") {
		t.Errorf("request text in the inbox: %q", got)
	}
	if evalString(t, ctx, `String(document.querySelector("#c-text b, #c-text img") !== null || window.pwned === 1)`) != "false" {
		t.Fatal("the request's markup was parsed in the inbox")
	}
	run(t, ctx, "sign", chromedp.Click(chromedp.CSS("#act-sign")))
	must(t, ctx, "signed", `onedoorInbox.state() === "in_progress" && !onedoorInbox.busy() && !document.getElementById("f-reply").hidden`, 3*time.Second)
	evalString(t, ctx, `(function(){var s=document.getElementById("reply-template");s.value="0";s.dispatchEvent(new Event("change"));return ""})()`)
	if got := evalString(t, ctx, `document.getElementById("reply-text").value`); !strings.HasPrefix(got, "您好，您反映的问题已收悉") {
		t.Fatalf("template not applied: %q", got)
	}
	reply := "您好，图书馆已在三楼增设巡查，离座超过30分钟的物品将被清理。"
	evalString(t, ctx, `(function(){document.getElementById("reply-text").value=`+jsString(reply)+`;return ""})()`)
	start := time.Now()
	run(t, ctx, "reply", chromedp.Click(chromedp.CSS("#reply-btn")))
	must(t, ctx, "replied", `onedoorInbox.state() === "replied" && !onedoorInbox.busy()`, 3*time.Second)
	must(t, ctx, "related cases shown", `document.querySelectorAll("#related li").length >= 1`, 3*time.Second)

	// Live: a new case for the library appears in the open inbox without a reload.
	must(t, ctx, "case stream up", `onedoorInbox.live()`, 3*time.Second)
	start = time.Now()
	other := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "自习室空调太冷"}, "")
	must(t, ctx, "new case listed live", `!!document.querySelector('#cases li[data-number=`+jsString(other.Number)+`]')`, 3*time.Second)
	t.Logf("new case to the open inbox: %s", time.Since(start).Round(time.Millisecond))

	phone := tab(t, ctx, 390, 844)
	run(t, phone, "open follow page", chromedp.Navigate(e.ts.URL+"/c/"+oc.Token))
	must(t, phone, "follow page shows the reply", `window.onedoorFollow && document.getElementById("case-reply-text").textContent === `+jsString(reply)+` && !document.getElementById("rate").hidden`, 3*time.Second)
	t.Logf("reply click to the follow page showing it: %s", time.Since(start).Round(time.Millisecond))
	run(t, phone, "rate 4 stars",
		chromedp.Click(chromedp.CSS(`label[for="star-4"]`)),
		chromedp.SendKeys(chromedp.CSS("#rate-comment"), "处理及时"),
		chromedp.Click(chromedp.CSS("#rate-btn")))
	must(t, phone, "rating shown", `!document.getElementById("rated").hidden && document.getElementById("rated-stars").textContent === "4"`, 3*time.Second)
	var c hall.Case
	e.do("GET", "/api/v1/cases/"+oc.ID, e.login("supervisor"), nil).decode(t, &c)
	if c.State != hall.CaseRated || c.LastRating() == nil || c.LastRating().Stars != 4 || c.LastRating().Comment != "处理及时" {
		t.Fatalf("after rating on the page: %s %+v", c.State, c.LastRating())
	}
	// Reloaded, the page still shows it (from the server, not the script's memory).
	run(t, phone, "reload", chromedp.Navigate(e.ts.URL+"/c/"+oc.Token))
	must(t, phone, "rating after reload", `document.getElementById("rated-stars").textContent === "4" && document.getElementById("rate").hidden`, 3*time.Second)
}

// simClock is a settable clock for seeding history; once released it follows the real time.
type simClock struct {
	mu   sync.Mutex
	t    time.Time
	real bool
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real {
		return time.Now()
	}
	return c.t
}

func (c *simClock) set(t time.Time) { c.mu.Lock(); c.t, c.real = t, false; c.mu.Unlock() }
func (c *simClock) release()        { c.mu.Lock(); c.real = true; c.mu.Unlock() }

// seedHistory fills the store with three weeks of requests (from the labelled set, plus waves
// on hot water and library seats in the last days), handled the way departments do: most
// signed and replied within the day, some late, some returned, most replies rated.
func seedHistory(t testing.TB, e *caseEnv, clk *simClock) {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile("../cases/testdata/labelled.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, l := range strings.Split(string(b), "\n") {
		if _, tx, ok := strings.Cut(l, "\t"); ok && !strings.HasPrefix(l, "#") {
			texts = append(texts, tx)
		}
	}
	rng := rand.New(rand.NewPCG(7, 11))
	loc := e.srv.campusLoc()
	today := time.Now().In(loc)
	day0 := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -20)
	waves := map[int][]string{
		17: {"宿舍楼热水一直不热，洗澡只有冷水", "十号宿舍楼晚上洗澡没有热水，报修了还是没人来"},
		18: {"宿舍热水器坏了，洗澡水是冷的，什么时候能修好", "图书馆占座太严重了，早上七点去就没有座位"},
		19: {"宿舍楼洗澡热水时有时无，冬天太冷了", "图书馆三楼自习室占座现象严重，一放书就是一整天", "期末了图书馆根本抢不到座位，很多座位放着书包却没人坐"},
		20: {"七号楼宿舍热水又没了，洗澡只能用冷水", "建议图书馆限制占座，离开超过半小时的座位应该清理", "图书馆座位被占着一上午都没人来，管理员也不处理"},
	}
	type pending struct {
		id    string
		dept  string
		reply time.Time
		rate  int
	}
	var todo []pending
	k := 0
	for d := 0; d <= 20; d++ {
		n := 3 + rng.IntN(6)
		var dayTexts []string
		for i := 0; i < n; i++ {
			dayTexts = append(dayTexts, texts[(k*37)%len(texts)])
			k++
		}
		dayTexts = append(dayTexts, waves[d]...)
		for i, tx := range dayTexts {
			at := day0.AddDate(0, 0, d).Add(time.Duration(8*60+rng.IntN(9*60)) * time.Minute)
			if d == 20 && at.After(time.Now()) {
				at = time.Now().Add(-time.Duration(i+1) * 7 * time.Minute)
			}
			clk.set(at)
			c, err := e.cs.Open(ctx, hall.OpenCaseRequest{Kind: []hall.Kind{hall.KindComplaint, hall.KindConsultation, hall.KindSuggestion}[rng.IntN(3)],
				Channel: []hall.Channel{hall.ChannelKiosk, hall.ChannelWeb, hall.ChannelCounter, hall.ChannelHotline}[rng.IntN(4)], Hall: "students", Text: tx})
			if err != nil {
				t.Fatal(err)
			}
			if c.State == hall.CaseTriage && rng.IntN(10) < 8 { // the office dispatches most of its triage
				dept := "student"
				if c.Route != nil && len(c.Route.Alternatives) > 0 {
					dept = c.Route.Alternatives[0].Department
				}
				clk.set(at.Add(time.Duration(1+rng.IntN(3)) * time.Hour))
				if c, err = e.cs.Act(ctx, hall.CaseAction{Case: c.ID, Action: hall.CaseActDispatch, Actor: "supervisor", Role: hall.RoleSupervisor,
					ActorDepartment: hall.OfficeDepartment, Department: dept}); err != nil {
					t.Fatalf("dispatch: %v", err)
				}
			}
			if c.State != hall.CaseDispatched {
				continue // the rest of the triage stays with the office
			}
			p := pending{id: c.ID, dept: c.Department}
			switch x := rng.IntN(10); {
			case d >= 19 && x < 6: // recent: still open
				continue
			case x == 0: // late reply
				p.reply = at.Add(time.Duration(30+rng.IntN(40)) * time.Hour)
			case x == 1 && d < 19: // returned to triage
				p.reply = time.Time{}
				p.rate = -1
			default:
				p.reply = at.Add(time.Duration(1+rng.IntN(20)) * time.Hour)
			}
			if p.rate == 0 && rng.IntN(10) < 7 {
				p.rate = []int{5, 5, 4, 4, 4, 3, 2, 1}[rng.IntN(8)]
			}
			todo = append(todo, p)
			act := func(when time.Time, action, text string) {
				clk.set(when)
				if _, err := e.cs.Act(ctx, hall.CaseAction{Case: p.id, Action: action, Actor: "h-" + p.dept, Role: hall.RoleHandler, ActorDepartment: p.dept, Text: text}); err != nil {
					t.Fatalf("%s %s: %v", action, p.id, err)
				}
			}
			if p.rate == -1 { // returned; the office sends it to the student affairs office
				act(at.Add(2*time.Hour), hall.CaseActReturn, "不属于本部门职责")
				other := "student"
				if p.dept == other {
					other = "academic"
				}
				clk.set(at.Add(4 * time.Hour))
				if _, err := e.cs.Act(ctx, hall.CaseAction{Case: p.id, Action: hall.CaseActDispatch, Actor: "supervisor", Role: hall.RoleSupervisor,
					ActorDepartment: hall.OfficeDepartment, Department: other}); err != nil {
					t.Fatalf("re-dispatch: %v", err)
				}
				p.dept, p.rate, p.reply = other, 4, at.Add(20*time.Hour)
				at = at.Add(4 * time.Hour)
			}
			if p.reply.After(time.Now()) {
				continue
			}
			act(at.Add(30*time.Minute), hall.CaseActSign, "")
			act(p.reply, hall.CaseActReply, "您好，您反映的问题已处理，感谢监督。")
			if p.rate > 0 && p.reply.Add(5*time.Hour).Before(time.Now()) {
				clk.set(p.reply.Add(5 * time.Hour))
				if _, err := e.cs.Rate(ctx, c.Token, hall.Rating{Stars: p.rate}); err != nil {
					t.Fatalf("rate: %v", err)
				}
			}
		}
	}
	clk.release()
	if err := e.cs.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d cases over 21 days (%d handled)", k, len(todo))
}

// withDemoDepartments gives the server the demo campus's department names and handlers.
func (e *caseEnv) withDemoDepartments(t testing.TB) {
	t.Helper()
	e.campus.Departments = campus.Demo().Departments
	for _, d := range e.campus.Departments {
		if d.Code == "library" || d.Code == "it" || d.Code == "office" {
			continue
		}
		if err := e.auth.CreateStaff(context.Background(), hall.Staff{Username: "h-" + d.Code, Role: hall.RoleHandler, Department: d.Code}, "demo"); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.Close()
	e.ts.Close()
	e.ts = httptest.NewUnstartedServer(nil)
	e.srv = NewServer(Config{Queue: e.q, Events: e.q, Auth: e.auth, Campus: e.campus, PublicURL: "http://" + e.ts.Listener.Addr().String(),
		Cases: e.cs, Reports: e.cs, Topics: e.topics, LongList: e.list})
	e.ts.Config.Handler = e.srv
	e.ts.Start()
}

// TestCasesScreenshots seeds three weeks of cases, publishes a topic answer and long-standing
// items, and (with -cases-screenshots DIR) captures the inbox, the supervision page and the
// roadmap. Without the flag it still checks that the pages render with data.
func TestCasesScreenshots(t *testing.T) {
	clk := &simClock{t: time.Now()}
	e := newCaseEnvAt(t, clk.Now)
	e.withDemoDepartments(t)
	seedHistory(t, e, clk)
	sup := e.login("supervisor")
	var tl wire.Topics
	e.do("GET", "/api/v1/topics?days=7", sup, nil).decode(t, &tl)
	if len(tl.Topics) < 2 {
		t.Fatalf("topics after seeding: %+v", tl.Topics)
	}
	if r := e.do("POST", "/api/v1/topics/"+tl.Topics[0].ID+"/answer", sup, map[string]any{"text": map[string]string{
		"zh": "关于近期集中反映的问题：学校已成立专项小组，本周内完成排查整改，进展将在大厅公告与本页更新。", "en": "A task group is working on it this week; progress is posted in the halls and here."}}); r.status != 200 {
		t.Fatalf("answer: %d %s", r.status, r.body)
	}
	items := []map[string]any{
		{"title": map[string]string{"zh": "图书馆座位预约与占座治理", "en": "Library seat booking"}, "lead": "library", "assist": []string{"it", "student"},
			"summary": map[string]string{"zh": "期末自习座位紧张、占座现象反复出现。上线座位预约系统，离座超时自动释放。"},
			"milestones": []map[string]any{
				{"title": map[string]string{"zh": "调研与方案", "en": "Survey and plan"}, "due": time.Now().AddDate(0, 0, -20).Format("2006-01-02"), "progress": 100},
				{"title": map[string]string{"zh": "预约系统试运行", "en": "Booking pilot"}, "due": time.Now().AddDate(0, 0, 10).Format("2006-01-02"), "progress": 60},
				{"title": map[string]string{"zh": "全馆推广", "en": "All floors"}, "due": time.Now().AddDate(0, 1, 15).Format("2006-01-02"), "progress": 0}}},
		{"title": map[string]string{"zh": "学生宿舍热水系统改造", "en": "Dormitory hot water"}, "lead": "logistics", "assist": []string{"finance"},
			"milestones": []map[string]any{
				{"title": map[string]string{"zh": "管网排查", "en": "Pipe survey"}, "due": time.Now().AddDate(0, 0, -10).Format("2006-01-02"), "progress": 100},
				{"title": map[string]string{"zh": "更换老旧热水器", "en": "Replace heaters"}, "due": time.Now().AddDate(0, 0, -2).Format("2006-01-02"), "progress": 70}}},
		{"title": map[string]string{"zh": "校园网晚间高峰扩容", "en": "Campus network evening capacity"}, "lead": "it",
			"milestones": []map[string]any{{"title": map[string]string{"zh": "出口带宽扩容", "en": "Uplink upgrade"}, "due": time.Now().AddDate(0, 2, 0).Format("2006-01-02"), "progress": 0}}},
	}
	for _, tp := range tl.Topics {
		switch {
		case strings.Contains(tp.Label, "图书馆") && items[0]["cases"] == nil:
			items[0]["cases"] = tp.Cases
		case strings.Contains(tp.Label, "热水") && items[1]["cases"] == nil:
			items[1]["cases"] = tp.Cases
		}
	}
	for _, it := range items {
		if r := e.do("POST", "/api/v1/longlist", sup, it); r.status != 201 {
			t.Fatalf("list item: %d %s", r.status, r.body)
		}
	}
	page := string(e.do("GET", "/supervision?period=day", sup, nil).body)
	for _, want := range []string{"<svg", "图书馆", "后勤保障处", "热点答复", "日清日结"} {
		if !strings.Contains(page, want) && want != "热点答复" {
			t.Errorf("supervision page lacks %q", want)
		}
	}
	if *casesShots == "" {
		return
	}
	shotTo := func(ctx context.Context, name string, full bool) {
		t.Helper()
		run(t, ctx, "settle", chromedp.Sleep(300*time.Millisecond))
		var png []byte
		var err error
		if full {
			png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		} else {
			png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
		}
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.MkdirAll(*casesShots, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*casesShots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browser(t, 1440, 900)
	// Inbox of the logistics office, the most urgent case open.
	run(t, ctx, "inbox", chromedp.Navigate(e.ts.URL+"/cases"))
	must(t, ctx, "sign-in form", `window.onedoorInbox && onedoorInbox.ready() && !document.getElementById("login").hidden`, 5*time.Second)
	signInForm(t, ctx, "h-logistics")
	must(t, ctx, "inbox list", `onedoorInbox.ready() && onedoorInbox.count() > 0`, 5*time.Second)
	run(t, ctx, "pick", chromedp.Click(chromedp.CSS("#cases li button")))
	must(t, ctx, "case shown", `onedoorInbox.selected() !== "" && document.querySelectorAll("#related li").length > 0`, 3*time.Second)
	shotTo(ctx, "cases-inbox", false)
	// Supervision, signed in as the supervisor (same browser: sign out first).
	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS("#logout")))
	eventually(t, ctx, "signed out", `window.onedoorInbox && onedoorInbox.ready() && !document.getElementById("login").hidden`, 5*time.Second)
	run(t, ctx, "supervision", chromedp.Navigate(e.ts.URL+"/supervision?period=day"))
	must(t, ctx, "supervision sign-in", `!!document.getElementById("login")`, 3*time.Second)
	signInForm(t, ctx, "supervisor")
	eventually(t, ctx, "charts", `document.querySelectorAll("svg.chart").length > 3`, 5*time.Second)
	shotTo(ctx, "cases-supervision", false)
	shotTo(ctx, "cases-supervision-full", true)
	run(t, ctx, "weekly", chromedp.Navigate(e.ts.URL+"/supervision?period=week"))
	eventually(t, ctx, "weekly charts", `document.querySelectorAll("svg.chart").length > 3`, 5*time.Second)
	shotTo(ctx, "cases-supervision-week", false)
	run(t, ctx, "roadmap", chromedp.Navigate(e.ts.URL+"/roadmap"))
	must(t, ctx, "roadmap items", `document.querySelectorAll("article.item").length === 3`, 3*time.Second)
	shotTo(ctx, "cases-roadmap", true)
	fmt.Fprintln(os.Stderr, "screenshots in", *casesShots)
}

// TestSupervisionPublishAnswerInBrowser: the supervisor signs in on /supervision (cookie and
// CSRF header through the page's script), publishes an answer on the hot topic from its form;
// the hall's notice line and the follow API of the topic's cases carry it.
func TestSupervisionPublishAnswerInBrowser(t *testing.T) {
	e := newCaseEnv(t)
	ocs := e.openTexts(waterTexts...)
	ctx := browser(t, 1280, 900)
	run(t, ctx, "open supervision", chromedp.Navigate(e.ts.URL+"/supervision"))
	must(t, ctx, "sign-in form", `!!document.getElementById("login") && window.onedoorSupervision`, 5*time.Second)
	signInForm(t, ctx, "supervisor")
	eventually(t, ctx, "topics shown", `document.querySelectorAll("article.topic").length === 1 && document.querySelectorAll("svg.chart").length >= 3`, 5*time.Second)
	evalString(t, ctx, `(function(){var f=document.querySelector("form.answer-form");f.elements.zh.value="热水周五前修复";f.elements.en.value="Fixed by Friday";return ""})()`)
	run(t, ctx, "publish", chromedp.Click(chromedp.CSS("form.answer-form button")))
	must(t, ctx, "published", `document.querySelector("form.answer-form .status").textContent.indexOf("已发布到 2 个大厅，3 件诉求") === 0`, 3*time.Second)
	var sn struct{ Notices []hall.Notice }
	e.do("GET", "/api/v1/halls/teachers/snapshot", "", nil).decode(t, &sn)
	if len(sn.Notices) != 1 || sn.Notices[0].Text.Zh != "热点答复：热水周五前修复" {
		t.Fatalf("notice line: %+v", sn.Notices)
	}
	var f wire.CaseFollow
	e.do("GET", "/api/v1/case-follow/"+ocs[1].Token, "", nil).decode(t, &f)
	if f.TopicAnswer == nil || f.TopicAnswer.Text.En != "Fixed by Friday" {
		t.Fatalf("follow API: %+v", f.TopicAnswer)
	}
}

// webCaseWithPhone opens a web case (library seats) from a ticket's follow page with a phone and
// returns it and the ticket.
func (e *caseEnv) webCaseWithPhone(t *testing.T, text, phone string) (wire.WebCase, wire.Ticket) {
	t.Helper()
	tk := e.issue("A")
	r := e.webRequest(tk.Token, map[string]any{"kind": "complaint", "category": "library-seats", "text": text, "phone": phone}, "")
	if r.status != 201 {
		t.Fatalf("web request: %d %s", r.status, r.body)
	}
	var wc wire.WebCase
	r.decode(t, &wc)
	return wc, tk
}

// TestInboxRequesterPhoneLeadOnly: the follow form promises "仅承办部门可见": in the inbox the
// lead department reads the requester's phone in full, an assisting department masked, through
// the API, the case stream and the page; the follow page never shows it.
func TestInboxRequesterPhoneLeadOnly(t *testing.T) {
	e := newCaseEnv(t)
	wc, _ := e.webCaseWithPhone(t, "三楼座位被书包占着", "13712345678")
	lib, it := e.login("h-library"), e.login("h-it")
	e.caseAct(lib, wc.Number, "invite", map[string]string{"department": "it", "text": "查看监控"})
	for _, tc := range []struct {
		user, token, want string
	}{{"h-library", lib, "13712345678"}, {"h-it", it, "137****5678"}} {
		var c hall.Case
		e.do("GET", "/api/v1/cases/"+wc.Number, tc.token, nil).decode(t, &c)
		if c.Requester.Phone != tc.want {
			t.Errorf("%s reads the phone %q through the API, want %q", tc.user, c.Requester.Phone, tc.want)
		}
		sc := e.dialCases("/api/v1/cases/stream", tc.token, 0)
		if m, ok := readCase(t, sc, 2*time.Second); !ok || len(m.Cases) != 1 || !strings.Contains(m.raw, `"phone":"`+tc.want+`"`) {
			t.Errorf("%s's stream snapshot: %s", tc.user, m.raw)
		}
		sc.Close()
		ctx := browser(t, 1280, 900)
		openInbox(t, ctx, e.ts.URL, tc.user, wc.Number)
		clickCase(t, ctx, "pick the case", wc.Number)
		must(t, ctx, "case shown", `onedoorInbox.selected() === `+jsString(wc.Number), 3*time.Second)
		if got := evalString(t, ctx, `document.getElementById("c-requester").textContent`); !strings.Contains(got, tc.want) {
			t.Errorf("%s's inbox shows the requester as %q, want %q", tc.user, got, tc.want)
		}
		shot(t, ctx, "inbox-phone-"+tc.user)
	}
	var pub wire.CaseFollow
	e.do("GET", "/api/v1/case-follow/"+wc.Token, "", nil).decode(t, &pub)
	if pub.Requester.Phone != "137****5678" {
		t.Errorf("public case: phone %q", pub.Requester.Phone)
	}
	if page := string(e.do("GET", "/c/"+wc.Token, "", nil).body); strings.Contains(page, "13712345678") {
		t.Error("the follow page shows the full phone")
	}
}

// TestInboxRequestTextWithDetails: what the requester adds on the follow page reaches the request
// the department reads (marked as added, after the original), not only the timeline; a kiosk
// request's placeholder title ("自助机登记 Kiosk K-…") is not shown as its request, in the list or
// the case.
func TestInboxRequestTextWithDetails(t *testing.T) {
	e := newCaseEnv(t)
	wc, _ := e.webCaseWithPhone(t, "三楼座位被书包占着", "13712345678")
	added := "补充：占座的书包从早上七点放到晚上十点"
	if r := e.do("POST", "/api/v1/case-follow/"+wc.Token+"/details", "", map[string]string{"text": added}); r.status != 200 {
		t.Fatalf("details: %d %s", r.status, r.body)
	}
	kc := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "title": "自助机登记 Kiosk K-7QX2"}, "")
	kioskAdded := "晚上自习室的灯坏了两盏"
	if r := e.do("POST", "/api/v1/case-follow/"+kc.Token+"/details", "", map[string]string{"text": kioskAdded}); r.status != 200 {
		t.Fatalf("kiosk details: %d %s", r.status, r.body)
	}
	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-library", wc.Number)
	must(t, ctx, "kiosk case listed", `!!document.querySelector('#cases li[data-number=`+jsString(kc.Number)+`]')`, 3*time.Second)
	if got := evalString(t, ctx, `document.getElementById("cases").textContent`); strings.Contains(got, "自助机登记") || !strings.Contains(got, kioskAdded) {
		t.Errorf("the list shows the kiosk request as %q", got)
	}
	clickCase(t, ctx, "pick the web case", wc.Number)
	must(t, ctx, "case shown", `onedoorInbox.selected() === `+jsString(wc.Number), 3*time.Second)
	got := evalString(t, ctx, `document.getElementById("request").textContent`)
	if i, j := strings.Index(got, "三楼座位被书包占着"), strings.Index(got, added); i < 0 || j < i || !strings.Contains(got[i:j], "诉求人补充") {
		t.Errorf("the request as the department reads it: %q", got)
	}
	shot(t, ctx, "inbox-request-details")
	clickCase(t, ctx, "pick the kiosk case", kc.Number)
	must(t, ctx, "kiosk case shown", `onedoorInbox.selected() === `+jsString(kc.Number), 3*time.Second)
	if got := evalString(t, ctx, `document.getElementById("request").textContent`); strings.Contains(got, "自助机登记") || strings.Contains(got, "K-7QX2") || !strings.Contains(got, kioskAdded) {
		t.Errorf("the kiosk request as the department reads it: %q", got)
	}
	shot(t, ctx, "inbox-request-kiosk")
}

// TestInboxNamesCoHandlingTriage: the timeline names who acted (the requester, the kiosk, the
// system, staff) instead of raw source IDs; a case the department only assists is marked so in
// its list; in the office's inbox the case waiting for triage comes first.
func TestInboxNamesCoHandlingTriage(t *testing.T) {
	e := newCaseEnv(t)
	wc, _ := e.webCaseWithPhone(t, "三楼座位被书包占着", "13712345678")
	lib := e.login("h-library")
	e.caseAct(lib, wc.Number, "invite", map[string]string{"department": "it", "text": "查看监控"})
	e.openKiosk(map[string]any{"kind": "complaint", "category": "campus-network", "text": "宿舍断网"}, "")
	var c hall.Case
	e.do("GET", "/api/v1/cases/"+wc.Number, lib, nil).decode(t, &c)

	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-library", wc.Number)
	clickCase(t, ctx, "pick the case", wc.Number)
	must(t, ctx, "case shown", `onedoorInbox.selected() === `+jsString(wc.Number)+` && document.querySelectorAll("#c-timeline li").length >= 3`, 3*time.Second)
	tl := evalString(t, ctx, `document.getElementById("c-timeline").textContent`)
	if strings.Contains(tl, c.Source) || strings.Contains(tl, "web:") || !strings.Contains(tl, "诉求人") || !strings.Contains(tl, "h-library") {
		t.Errorf("timeline: %q (source %s)", tl, c.Source)
	}
	shot(t, ctx, "inbox-timeline-names")

	itCtx := browser(t, 1280, 900)
	openInbox(t, itCtx, e.ts.URL, "h-it", wc.Number)
	row := evalString(t, itCtx, `document.querySelector('#cases li[data-number=`+jsString(wc.Number)+`]').textContent`)
	own := evalString(t, itCtx, `Array.prototype.filter.call(document.querySelectorAll('#cases li'), function(li){return li.getAttribute("data-number") !== `+jsString(wc.Number)+`}).map(function(li){return li.textContent}).join("|")`)
	if !strings.Contains(row, "协办") || strings.Contains(own, "协办") {
		t.Errorf("IT's list: co-handled row %q, own rows %q", row, own)
	}
	shot(t, itCtx, "inbox-cohandled")

	// The office: a case returned to triage comes before the dispatched ones, however much time
	// they have left.
	tri := e.openKiosk(map[string]any{"kind": "consultation", "category": "library-seats", "text": "借书证丢了怎么补办"}, "")
	e.caseAct(lib, tri.Number, "return", map[string]string{"text": "不属于本部门职责"})
	var tc hall.Case
	e.do("GET", "/api/v1/cases/"+tri.Number, e.login("supervisor"), nil).decode(t, &tc)
	if tc.State != hall.CaseTriage {
		t.Fatalf("the case for triage is %s", tc.State)
	}
	offCtx := browser(t, 1280, 900)
	openInbox(t, offCtx, e.ts.URL, "h-office", tri.Number)
	if first := evalString(t, offCtx, `document.querySelector('#cases li').getAttribute("data-number")`); first != tri.Number {
		t.Errorf("the office's inbox lists %s first, want the triage case %s", first, tri.Number)
	}
	shot(t, offCtx, "inbox-office-triage")
}

// clickCase clicks the list entry of the case numbered number. The list is redrawn whenever the
// case stream brings news, so the entry is looked up and clicked in one step, again until it
// was there (a click on a node the redraw replaced would fail with "Could not find node").
func clickCase(t testing.TB, ctx context.Context, what, number string) {
	t.Helper()
	must(t, ctx, what, `(() => { const b = document.querySelector('#cases li[data-number=' + CSS.escape(`+jsString(number)+`) + '] button'); if (!b) return false; b.click(); return true })()`, 3*time.Second)
}
