package http

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// inboxForms are the actions the inbox has a button or form for.
var inboxForms = []string{"dispatch", "sign", "respond", "ask", "resume", "reply", "return", "invite", "part",
	"extend", "duplicate", "not-accept", "note", "set-category"}

// checkInboxOffers compares what the inbox shows for the open case with the actions the case
// API gives the signed-in account (the engine's rule): the page offers exactly those it has a
// form for.
func checkInboxOffers(t *testing.T, ctx context.Context, what string) []string {
	t.Helper()
	must(t, ctx, what+": settled", `!onedoorInbox.busy()`, 3*time.Second)
	shown := strings.Split(evalString(t, ctx, `onedoorInbox.offered().join(",")`), ",")
	var want []string
	for _, a := range strings.Split(evalString(t, ctx, `onedoorInbox.actions().join(",")`), ",") {
		if slices.Contains(inboxForms, a) {
			want = append(want, a)
		}
	}
	slices.Sort(want)
	if shown[0] == "" {
		shown = nil
	}
	if !slices.Equal(shown, want) {
		t.Errorf("%s: the page offers %v, the engine allows %v", what, shown, want)
	}
	return shown
}

// setValue sets a form field's value in the page.
func setValue(t *testing.T, ctx context.Context, id, v string) {
	t.Helper()
	evalString(t, ctx, `(function(){var x=document.getElementById(`+jsString(id)+`);x.value=`+jsString(v)+`;x.dispatchEvent(new Event("change"));return ""})()`)
}

// TestInboxAssistingDepartmentFinishesItsPart: IT, invited to co-handle a library case, sees the
// case marked 协办 with the lead named, is offered only "finish our part" and a note, submits its
// part; the library then is offered the reply, which it was not while the part was pending.
func TestInboxAssistingDepartmentFinishesItsPart(t *testing.T) {
	e := newCaseEnv(t)
	wc, _ := e.webCaseWithPhone(t, "三楼座位被书包占着", "13712345678")
	lib := e.login("h-library")
	e.caseAct(lib, wc.Number, "sign", nil)
	e.caseAct(lib, wc.Number, "invite", map[string]string{"department": "it", "text": "查看监控"})

	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-it", wc.Number)
	row := evalString(t, ctx, `document.querySelector('#cases li[data-number=`+jsString(wc.Number)+`]').textContent`)
	if !strings.Contains(row, "协办") || !strings.Contains(row, "牵头") {
		t.Errorf("IT's list row: %q (want 协办 and the lead)", row)
	}
	clickCase(t, ctx, "pick the case", wc.Number)
	must(t, ctx, "part form", `onedoorInbox.selected() === `+jsString(wc.Number)+` && !document.getElementById("f-part").hidden`, 3*time.Second)
	if got := checkInboxOffers(t, ctx, "assisting"); !slices.Equal(got, []string{"note", "part"}) {
		t.Errorf("the assisting department is offered %v", got)
	}
	shot(t, ctx, "cases-part")
	setValue(t, ctx, "part-text", "监控已调取，确认为同一人占座")
	run(t, ctx, "submit part", chromedp.Click(chromedp.CSS("#f-part button[type=submit]")))
	must(t, ctx, "part done", `!onedoorInbox.busy() && document.getElementById("f-part").hidden && document.getElementById("c-parts").textContent.indexOf("✓") >= 0`, 3*time.Second)
	checkInboxOffers(t, ctx, "after the part")
	c := e.caseJSON(e.login("supervisor"), wc.Number)
	if len(c.Parts) != 1 || !c.Parts[0].Done || c.Parts[0].Text != "监控已调取，确认为同一人占座" {
		t.Fatalf("part after the page: %+v", c.Parts)
	}

	lctx := browser(t, 1280, 900)
	openInbox(t, lctx, e.ts.URL, "h-library", wc.Number)
	clickCase(t, lctx, "pick the case", wc.Number)
	must(t, lctx, "reply offered", `onedoorInbox.selected() === `+jsString(wc.Number)+` && !document.getElementById("f-reply").hidden`, 3*time.Second)
	checkInboxOffers(t, lctx, "lead after the part")
	shot(t, lctx, "cases-lead-actions")
}

// TestExtensionRequestedInInboxApprovedInSupervision: a handler asks for 3 more working days with
// a reason in /cases; the supervisor sees it in /supervision, approves it there; the due date
// moves.
func TestExtensionRequestedInInboxApprovedInSupervision(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "图书馆座位预约系统打不开"}, "")
	lib := e.login("h-library")
	e.caseAct(lib, oc.Number, "sign", nil)
	before := e.caseJSON(e.login("supervisor"), oc.Number)

	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-library", oc.Number)
	clickCase(t, ctx, "pick the case", oc.Number)
	must(t, ctx, "extend form", `onedoorInbox.selected() === `+jsString(oc.Number)+` && !document.getElementById("f-extend").hidden`, 3*time.Second)
	checkInboxOffers(t, ctx, "in progress")
	setValue(t, ctx, "extend-days", "3")
	setValue(t, ctx, "extend-text", "需要厂商上门维修")
	run(t, ctx, "request", chromedp.Click(chromedp.CSS("#f-extend button[type=submit]")))
	must(t, ctx, "requested", `!onedoorInbox.busy() && document.getElementById("f-extend").hidden && document.getElementById("c-extension").textContent.indexOf("需要厂商上门维修") >= 0`, 3*time.Second)
	checkInboxOffers(t, ctx, "extension pending")

	sctx := browser(t, 1280, 1000)
	run(t, sctx, "open supervision", chromedp.Navigate(e.ts.URL+"/supervision"))
	must(t, sctx, "sign-in form", `!!document.getElementById("login") && window.onedoorSupervision`, 5*time.Second)
	signInForm(t, sctx, "supervisor")
	must(t, sctx, "desk ready", `window.onedoorSupervision && onedoorSupervision.deskReady && onedoorSupervision.deskReady()`, 5*time.Second)
	evalString(t, sctx, `(onedoorSupervision.pick(`+jsString(oc.Number)+`), "")`)
	must(t, sctx, "approve offered", `onedoorSupervision.selected() === `+jsString(oc.Number)+` && onedoorSupervision.offered().indexOf("approve") >= 0`, 3*time.Second)
	if got := evalString(t, sctx, `document.getElementById("d-extension").textContent`); !strings.Contains(got, "需要厂商上门维修") || !strings.Contains(got, "3") {
		t.Errorf("the extension on the desk: %q", got)
	}
	shot(t, sctx, "supervision-extension")
	run(t, sctx, "approve", chromedp.Click(chromedp.CSS("#approve-btn")))
	must(t, sctx, "approved", `!onedoorSupervision.busy() && onedoorSupervision.offered().indexOf("approve") < 0 && document.getElementById("d-extension").textContent.indexOf("批准") >= 0`, 3*time.Second)
	after := e.caseJSON(e.login("supervisor"), oc.Number)
	if after.Extension == nil || !after.Extension.Approved || after.ExtendedDays != 3 || !after.Due.After(before.Due) {
		t.Fatalf("after approving on the page: %+v extended %d due %v → %v", after.Extension, after.ExtendedDays, before.Due, after.Due)
	}
}

// TestInboxMergeDuplicateAndNotAccept: the library merges a case into an earlier one it picks
// from its own cases, and does not accept another with a reason the requester then reads on the
// follow page.
func TestInboxMergeDuplicateAndNotAccept(t *testing.T) {
	e := newCaseEnv(t)
	orig := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼自习室占座严重"}, "")
	dup := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼自习室又被占座了"}, "")
	wc, _ := e.webCaseWithPhone(t, "请图书馆帮我找回丢失的耳机", "13712345678")

	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-library", dup.Number)
	clickCase(t, ctx, "pick the duplicate", dup.Number)
	must(t, ctx, "merge form lists the original", `onedoorInbox.selected() === `+jsString(dup.Number)+` && !document.getElementById("f-duplicate").hidden && !!document.querySelector('#duplicate-of option[value=`+jsString(orig.Number)+`]')`, 3*time.Second)
	if evalString(t, ctx, `String(!!document.querySelector('#duplicate-of option[value=`+jsString(dup.Number)+`]'))`) != "false" {
		t.Error("the merge form offers the case itself as its original")
	}
	checkInboxOffers(t, ctx, "dispatched")
	setValue(t, ctx, "duplicate-of", orig.Number)
	run(t, ctx, "merge", chromedp.Click(chromedp.CSS("#f-duplicate button[type=submit]")))
	must(t, ctx, "merged", `!onedoorInbox.busy() && onedoorInbox.state() === "duplicate"`, 3*time.Second)
	checkInboxOffers(t, ctx, "merged")
	c := e.caseJSON(e.login("supervisor"), dup.Number)
	if c.State != hall.CaseDuplicate || c.DuplicateOf != orig.Number {
		t.Fatalf("after merging on the page: %s of %q", c.State, c.DuplicateOf)
	}

	reason := "失物招领请联系保卫处，电话 62751234 <b>x</b>"
	clickCase(t, ctx, "pick the web case", wc.Number)
	must(t, ctx, "not-accept form", `onedoorInbox.selected() === `+jsString(wc.Number)+` && !document.getElementById("f-notaccept").hidden`, 3*time.Second)
	setValue(t, ctx, "notaccept-text", reason)
	shot(t, ctx, "cases-not-accept")
	run(t, ctx, "not accept", chromedp.Click(chromedp.CSS("#f-notaccept button[type=submit]")))
	must(t, ctx, "not accepted", `!onedoorInbox.busy() && onedoorInbox.state() === "not_accepted"`, 3*time.Second)

	phone := tab(t, ctx, 390, 844)
	run(t, phone, "open follow page", chromedp.Navigate(e.ts.URL+"/c/"+wc.Token))
	must(t, phone, "reason shown", `window.onedoorFollow && !document.getElementById("case-reason").hidden && document.getElementById("case-reason-text").textContent === `+jsString(reason), 3*time.Second)
	if evalString(t, phone, `String(!!document.querySelector("#case-reason-text b"))`) != "false" {
		t.Error("the reason's markup was parsed on the follow page")
	}
	shot(t, phone, "follow-not-accepted")
}

// TestSupervisionNoteStaysInternal: the supervisor 督办s a case from the escalation list with a
// note; the case shows 督办 to the requester, never the note (follow API and page).
func TestSupervisionNoteStaysInternal(t *testing.T) {
	e := newCaseEnv(t)
	wc, _ := e.webCaseWithPhone(t, "三楼座位被书包占着，反映多次无人处理", "13712345678")
	lib := e.login("h-library")
	// returned twice: on the escalation list
	for i := 0; i < 2; i++ {
		e.caseAct(lib, wc.Number, "return", map[string]string{"text": "不属于本部门"})
		e.caseAct(e.login("supervisor"), wc.Number, "dispatch", map[string]string{"department": "library"})
	}
	quiet := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "借书证丢了"}, "")
	note := "请图书馆三日内给出整改方案（内部意见）"

	ctx := browser(t, 1280, 1000)
	run(t, ctx, "open supervision", chromedp.Navigate(e.ts.URL+"/supervision"))
	must(t, ctx, "sign-in form", `!!document.getElementById("login") && window.onedoorSupervision`, 5*time.Second)
	signInForm(t, ctx, "supervisor")
	must(t, ctx, "desk ready", `window.onedoorSupervision && onedoorSupervision.deskReady && onedoorSupervision.deskReady()`, 5*time.Second)
	esc := evalString(t, ctx, `onedoorSupervision.escalations().join(",")`)
	if !strings.Contains(esc, wc.Number) || strings.Contains(esc, quiet.Number) {
		t.Errorf("escalation list %q: want %s (returned twice), not %s", esc, wc.Number, quiet.Number)
	}
	must(t, ctx, "pick from the list", `(() => { const a = document.querySelector('#escalations li[data-number=`+jsString(wc.Number)+`] a'); if (!a) return false; a.click(); return true })()`, 3*time.Second)
	must(t, ctx, "supervise offered", `onedoorSupervision.selected() === `+jsString(wc.Number)+` && onedoorSupervision.offered().indexOf("supervise") >= 0`, 3*time.Second)
	setValue(t, ctx, "supervise-text", note)
	shot(t, ctx, "supervision-desk")
	run(t, ctx, "supervise", chromedp.Click(chromedp.CSS("#supervise-btn")))
	must(t, ctx, "supervised", `!onedoorSupervision.busy() && !document.getElementById("d-supervised").hidden`, 3*time.Second)

	c := e.caseJSON(e.login("supervisor"), wc.Number)
	if !c.Supervised {
		t.Fatal("not supervised after the page")
	}
	r := e.do("GET", "/api/v1/case-follow/"+wc.Token, "", nil)
	if r.status != 200 || strings.Contains(string(r.body), note) || strings.Contains(string(r.body), "内部意见") {
		t.Fatalf("follow API %d leaks the 督办 note: %s", r.status, r.body)
	}
	var f wire.CaseFollow
	r.decode(t, &f)
	phone := tab(t, ctx, 390, 844)
	run(t, phone, "open follow page", chromedp.Navigate(e.ts.URL+"/c/"+wc.Token))
	must(t, phone, "follow page", `window.onedoorFollow && document.body.textContent.indexOf(`+jsString(wc.Number)+`) >= 0`, 3*time.Second)
	if body := evalString(t, phone, `document.body.textContent`); strings.Contains(body, note) {
		t.Error("the follow page shows the 督办 note")
	}
}

// TestLongListEditorOnSupervisionAndAdmin: the office (a supervisor, who cannot open /admin)
// adds a long-standing list item with a milestone on /supervision, with the editor /admin uses
// (longlist.js, one copy); the public roadmap shows it, and /admin lists it in the same editor.
func TestLongListEditorOnSupervisionAndAdmin(t *testing.T) {
	e := newCaseEnv(t)
	ctx := browser(t, 1280, 1000)
	run(t, ctx, "open supervision", chromedp.Navigate(e.ts.URL+"/supervision"))
	must(t, ctx, "sign-in form", `!!document.getElementById("login") && window.onedoorSupervision`, 5*time.Second)
	signInForm(t, ctx, "supervisor")
	must(t, ctx, "editor drawn", `window.onedoorSupervision && onedoorSupervision.deskReady && onedoorSupervision.deskReady() && !!document.querySelector("#longlist-editor #item-form")`, 5*time.Second)
	title := "图书馆座位管理系统升级 <i>x</i>"
	evalString(t, ctx, `(function(){var f=document.getElementById("item-form");f.querySelector("[data-field='title.zh']").value=`+jsString(title)+`;f.querySelector("[data-field='title.en']").value="Library seat system";f.lead.value="library";return ""})()`)
	run(t, ctx, "add a milestone", chromedp.Click(chromedp.CSS("#add-milestone")))
	evalString(t, ctx, `(function(){var r=document.querySelector("#milestones tr");r.querySelector("[name='m-title-zh']").value="采购";r.querySelector("[name='m-due']").value="2027-03-01";r.querySelector("[name='m-progress']").value="40";return ""})()`)
	run(t, ctx, "save", chromedp.Click(chromedp.CSS("#item-form button[type=submit]")))
	must(t, ctx, "listed", `document.getElementById("longlist").textContent.indexOf(`+jsString(title)+`) >= 0`, 3*time.Second)
	shot(t, ctx, "supervision-longlist")
	r := e.do("GET", "/api/v1/roadmap", "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "采购") || !strings.Contains(string(r.body), "Library seat system") {
		t.Fatalf("roadmap after the office's edit: %d %s", r.status, r.body)
	}

	actx := browser(t, 1280, 900)
	run(t, actx, "open admin", chromedp.Navigate(e.ts.URL+"/admin#longlist"))
	must(t, actx, "sign-in form", `window.onedoorAdmin && onedoorAdmin.ready() && !document.getElementById("login").hidden`, 5*time.Second)
	signInForm(t, actx, "admin")
	must(t, actx, "long list tab", `(() => { const a = document.querySelector('#tabs a[data-tab="longlist"]'); if (!a || document.getElementById("app") && document.getElementById("app").hidden) return false; a.click(); return true })()`, 5*time.Second)
	must(t, actx, "admin lists the item", `!!document.getElementById("longlist") && document.getElementById("longlist").textContent.indexOf(`+jsString(title)+`) >= 0`, 5*time.Second)
}

// TestInboxMergePicksOriginalBySearch: in the merge form the library searches the original
// (GET /api/v1/cases?q=) instead of typing a number: the results hold its own open case with
// those words, never the case itself nor another department's case it may not see; picking a
// result selects it and the merge goes to that case.
func TestInboxMergePicksOriginalBySearch(t *testing.T) {
	e := newCaseEnv(t)
	sup := e.login("supervisor")
	orig := e.openAs(sup, "library", "东区自习室空调漏水，座位都湿了")
	hidden := e.openAs(sup, "finance", "东区自习室空调费为什么要学生交")
	dup := e.openAs(sup, "library", "东区自习室空调又漏水了")

	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-library", dup.Number)
	clickCase(t, ctx, "pick the duplicate", dup.Number)
	must(t, ctx, "merge form", `onedoorInbox.selected() === `+jsString(dup.Number)+` && !document.getElementById("f-duplicate").hidden`, 3*time.Second)
	run(t, ctx, "search the original", chromedp.SendKeys(chromedp.CSS("#duplicate-q"), "空调漏水"))
	must(t, ctx, "results", `!document.getElementById("duplicate-results").hidden && !!document.querySelector('#duplicate-results button[data-number=`+jsString(orig.Number)+`]')`, 3*time.Second)
	got := evalString(t, ctx, `Array.prototype.map.call(document.querySelectorAll("#duplicate-results button"), function (b) { return b.dataset.number; }).join(",")`)
	if strings.Contains(got, dup.Number) || strings.Contains(got, hidden.Number) {
		t.Errorf("search results %q: want %s only, not the case itself (%s) nor finance's (%s)", got, orig.Number, dup.Number, hidden.Number)
	}
	run(t, ctx, "pick the result", chromedp.Click(chromedp.CSS(`#duplicate-results button[data-number="`+orig.Number+`"]`)))
	if v := evalString(t, ctx, `document.getElementById("duplicate-of").value`); v != orig.Number {
		t.Fatalf("picked %q, want %s", v, orig.Number)
	}
	evalString(t, ctx, `(function(){document.getElementById("f-duplicate").scrollIntoView({block:"center"});return ""})()`)
	shot(t, ctx, "cases-merge-search")
	run(t, ctx, "merge", chromedp.Click(chromedp.CSS("#f-duplicate button[type=submit]")))
	must(t, ctx, "merged", `!onedoorInbox.busy() && onedoorInbox.state() === "duplicate"`, 3*time.Second)
	if c := e.caseJSON(sup, dup.Number); c.State != hall.CaseDuplicate || c.DuplicateOf != orig.Number {
		t.Fatalf("after merging: %s of %q", c.State, c.DuplicateOf)
	}
}
