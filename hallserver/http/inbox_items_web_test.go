package http

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

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
		run(t, ctx, "pick the case", chromedp.Click(chromedp.CSS(`#cases li[data-number=`+jsString(wc.Number)+`] button`)))
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
	run(t, ctx, "pick the web case", chromedp.Click(chromedp.CSS(`#cases li[data-number=`+jsString(wc.Number)+`] button`)))
	must(t, ctx, "case shown", `onedoorInbox.selected() === `+jsString(wc.Number), 3*time.Second)
	got := evalString(t, ctx, `document.getElementById("request").textContent`)
	if i, j := strings.Index(got, "三楼座位被书包占着"), strings.Index(got, added); i < 0 || j < i || !strings.Contains(got[i:j], "诉求人补充") {
		t.Errorf("the request as the department reads it: %q", got)
	}
	shot(t, ctx, "inbox-request-details")
	run(t, ctx, "pick the kiosk case", chromedp.Click(chromedp.CSS(`#cases li[data-number=`+jsString(kc.Number)+`] button`)))
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
	run(t, ctx, "pick the case", chromedp.Click(chromedp.CSS(`#cases li[data-number=`+jsString(wc.Number)+`] button`)))
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
