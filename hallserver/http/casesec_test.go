package http

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// openAs opens a case as a staff member (hotline) for a department and returns it.
func (e *caseEnv) openAs(token, dept, text string) wire.OpenedCase {
	e.t.Helper()
	r := e.do("POST", "/api/v1/cases", token, map[string]any{"kind": "complaint", "department": dept, "text": text})
	if r.status != 201 {
		e.t.Fatalf("open case for %s: %d %s", dept, r.status, r.body)
	}
	var oc wire.OpenedCase
	r.decode(e.t, &oc)
	return oc
}

// caseJSON reads a case as the supervisor sees it.
func (e *caseEnv) caseJSON(sup, id string) hall.Case {
	e.t.Helper()
	var c hall.Case
	r := e.do("GET", "/api/v1/cases/"+id, sup, nil)
	if r.status != 200 {
		e.t.Fatalf("get case %s: %d %s", id, r.status, r.body)
	}
	r.decode(e.t, &c)
	return c
}

// TestDuplicateOfInvisibleCaseIsNotFound: a library handler cannot link its case as a duplicate
// of a finance case it cannot see: the answer is exactly the answer for a case number that does
// not exist (no oracle), and neither case changes.
func TestDuplicateOfInvisibleCaseIsNotFound(t *testing.T) {
	e := newCaseEnv(t)
	sup, lib := e.login("supervisor"), e.login("h-library")
	fin := e.openAs(sup, "finance", "学费退款三个月还没到账")
	own := e.openAs(sup, "library", "图书馆三楼太吵")
	before := e.caseJSON(sup, fin.ID)
	seq := e.cs.LastSeq()

	// what a case that does not exist answers, for a reference of the same shape
	missing := fin.Number[:len(fin.Number)-4] + "9999"
	want := e.do("POST", "/api/v1/cases/"+own.ID+"/duplicate", lib, map[string]string{"original": missing})
	if want.status != 404 || want.apiError(t).Field != "original" {
		t.Fatalf("missing original: %d %s", want.status, want.body)
	}
	for _, ref := range []string{fin.Number, fin.ID, strings.ToLower(fin.Number)} {
		got := e.do("POST", "/api/v1/cases/"+own.ID+"/duplicate", lib, map[string]string{"original": ref})
		if got.status != want.status || strings.ReplaceAll(string(got.body), ref, missing) != string(want.body) {
			t.Errorf("original %s of another department: %d %s\nwant the missing-case answer %d %s", ref, got.status, got.body, want.status, want.body)
		}
	}
	if e.cs.LastSeq() != seq {
		t.Fatal("a refused duplicate changed the case log")
	}
	after := e.caseJSON(sup, fin.ID)
	if len(after.Timeline) != len(before.Timeline) || len(after.Duplicates) != 0 {
		t.Fatalf("the finance case changed: %d → %d entries, duplicates %v", len(before.Timeline), len(after.Timeline), after.Duplicates)
	}
	if c := e.caseJSON(sup, own.ID); c.State.Final() {
		t.Fatalf("the library case was closed: %s", c.State)
	}
	// the library's own other case, and the office's view, still work
	mine := e.openAs(sup, "library", "图书馆三楼太吵，第二次反映")
	if r := e.do("POST", "/api/v1/cases/"+mine.ID+"/duplicate", lib, map[string]string{"original": own.Number}); r.status != 200 {
		t.Fatalf("duplicate of a visible case: %d %s", r.status, r.body)
	}
	other := e.openAs(sup, "library", "占座")
	if r := e.do("POST", "/api/v1/cases/"+other.ID+"/duplicate", sup, map[string]string{"original": fin.Number}); r.status != 200 {
		t.Fatalf("the office links across departments: %d %s", r.status, r.body)
	}
}

// TestDuplicatesPerCaseBounded: an original takes at most cases.MaxDuplicates duplicates; the
// next one is a 409 naming the field, and changes nothing.
func TestDuplicatesPerCaseBounded(t *testing.T) {
	e := newCaseEnv(t)
	sup, lib := e.login("supervisor"), e.login("h-library")
	orig := e.openAs(sup, "library", "自习室空调不制冷")
	var pub0 wire.CaseFollow
	e.do("GET", "/api/v1/case-follow/"+orig.Token, "", nil).decode(t, &pub0)
	for i := 0; i < cases.MaxDuplicates; i++ {
		d := e.openAs(sup, "library", "自习室空调不制冷 "+itoa(i))
		if r := e.do("POST", "/api/v1/cases/"+d.ID+"/duplicate", lib, map[string]string{"original": orig.Number}); r.status != 200 {
			t.Fatalf("duplicate %d: %d %s", i, r.status, r.body)
		}
	}
	d := e.openAs(sup, "library", "自习室空调不制冷，又一次")
	seq := e.cs.LastSeq()
	r := e.do("POST", "/api/v1/cases/"+d.ID+"/duplicate", lib, map[string]string{"original": orig.Number})
	if r.status != 409 || r.apiError(t).Field != "original" || r.apiError(t).Code != hall.ECONFLICT {
		t.Fatalf("duplicate %d: %d %s", cases.MaxDuplicates+1, r.status, r.body)
	}
	if e.cs.LastSeq() != seq || e.caseJSON(sup, d.ID).State.Final() {
		t.Fatal("the refused duplicate changed something")
	}
	if n := len(e.caseJSON(sup, orig.ID).Duplicates); n != cases.MaxDuplicates {
		t.Fatalf("original has %d duplicates", n)
	}
	// other cases' closing adds nothing to the original requester's timeline
	var pub wire.CaseFollow
	e.do("GET", "/api/v1/case-follow/"+orig.Token, "", nil).decode(t, &pub)
	if len(pub.Timeline) != len(pub0.Timeline) {
		t.Fatalf("the original's public timeline grew from %d to %d entries", len(pub0.Timeline), len(pub.Timeline))
	}
}

// TestFollowViewsShowNoStaffText works a walk-in request through every staff action that
// carries text (co-handling task, part, notes, extension, supervision remark, list item, return
// reason, dispatch note, resume and reopen notes) and checks that none of that text, nor a staff
// name, reaches the ticket's page, the case's page, the follow API or the follow stream; the
// public lines still say what happened, and the texts addressed to the requester are shown.
func TestFollowViewsShowNoStaffText(t *testing.T) {
	e := newCaseEnv(t)
	lib, sup := e.login("h-library"), e.login("supervisor")
	tk := e.issue("A")
	oc := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "三楼有人长期占座", "ticketId": tk.ID}, "")
	stream := e.dialCases("/api/v1/case-follow/"+oc.Token+"/stream", "", 0)
	if snap, ok := readCase(t, stream, 2*time.Second); !ok || snap.Type != "snapshot" {
		t.Fatalf("follow snapshot: %s", snap.raw)
	}
	secrets := []string{"SECRET-TASK", "SECRET-PART", "SECRET-NOTE", "SECRET-EXTEND", "SECRET-APPROVE",
		"处长张某某多次拖延", "SECRET-LIST", "SECRET-RETURN", "SECRET-DISPATCH", "SECRET-RESUME", "SECRET-REOPEN",
		"SECRET-UNSUPERVISE", "h-library", "supervisor"}
	e.caseAct(lib, oc.ID, "sign", nil)
	e.caseAct(lib, oc.ID, "invite", map[string]string{"department": "security", "text": "SECRET-TASK 请调取三楼监控"})
	e.caseAct(lib, oc.ID, "note", map[string]string{"text": "SECRET-NOTE 此人常来"})
	e.caseAct(lib, oc.ID, "extend", map[string]any{"days": 2, "text": "SECRET-EXTEND 监控需要审批"})
	e.caseAct(sup, oc.ID, "approve", map[string]string{"text": "SECRET-APPROVE"})
	e.caseAct(sup, oc.ID, "supervise", map[string]any{"on": true, "text": "处长张某某多次拖延"})
	e.caseAct(sup, oc.ID, "list", map[string]any{"on": true, "listItem": "SECRET-LIST"})
	e.caseAct(sup, oc.ID, "part", map[string]string{"department": "security", "text": "SECRET-PART 已调取"})
	e.caseAct(lib, oc.ID, "return", map[string]string{"text": "SECRET-RETURN 不归我们管"})
	e.caseAct(sup, oc.ID, "dispatch", map[string]string{"department": "library", "text": "SECRET-DISPATCH 就是你们的"})
	e.caseAct(lib, oc.ID, "sign", nil)
	e.caseAct(lib, oc.ID, "ask", map[string]string{"text": "请问具体是哪个区域？"})
	e.caseAct(lib, oc.ID, "resume", map[string]string{"text": "SECRET-RESUME"})
	e.caseAct(sup, oc.ID, "supervise", map[string]any{"on": false, "text": "SECRET-UNSUPERVISE"})
	e.caseAct(lib, oc.ID, "reply", map[string]string{"text": "已安排每日巡查"})
	e.caseAct(sup, oc.ID, "reopen", map[string]string{"text": "SECRET-REOPEN"})
	e.caseAct(lib, oc.ID, "respond", map[string]string{"text": "正在重新核查"})
	final := e.cs.LastSeq()

	views := map[string]string{
		"ticket page":                string(e.do("GET", "/t/"+tk.Token, "", nil).body),
		"case page":                  string(e.do("GET", "/c/"+oc.Token, "", nil).body),
		"follow API":                 string(e.do("GET", "/api/v1/case-follow/"+oc.Token, "", nil).body),
		"follow API by ticket token": string(e.do("GET", "/api/v1/case-follow/"+tk.Token, "", nil).body),
	}
	for i, m := range readUntil(t, stream, final) {
		views["stream message "+itoa(i)] = m.raw
	}
	for name, body := range views {
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s shows staff text %q", name, s)
			}
		}
	}
	for _, page := range []string{"ticket page", "case page"} {
		for _, want := range []string{"已请security协办", "已列入督办", "已退回重新分派", "请问具体是哪个区域？", "已安排每日巡查", "正在重新核查"} {
			if !strings.Contains(views[page], want) {
				t.Errorf("%s does not say %q", page, want)
			}
		}
	}
	var cf wire.CaseFollow
	if err := json.Unmarshal([]byte(views["follow API"]), &cf); err != nil {
		t.Fatal(err)
	}
	for _, en := range cf.Timeline {
		want, _ := en.Type.Visibility()
		if !want.Shown || en.Actor != "" || (en.Text != "" && !want.Text) || (en.Department != "" && !want.Department) {
			t.Errorf("public entry %+v beyond its type's rule %+v", en, want)
		}
	}
	if cf.DepartmentNames["security"].Zh == "" {
		t.Errorf("departmentNames %v", cf.DepartmentNames)
	}

	// The page script renders the timeline again from the follow API (after details here).
	ctx := browser(t, 390, 844)
	run(t, ctx, "open the case page", chromedp.Navigate(oc.FollowURL))
	must(t, ctx, "page script ready", `!!window.onedoorFollow && onedoorFollow.ready`, 5*time.Second)
	run(t, ctx, "add details", chromedp.SendKeys(chromedp.CSS("#details-text"), "补充：东区靠窗"), chromedp.Click(chromedp.CSS("#details-btn")))
	must(t, ctx, "timeline rendered by the script", `document.getElementById("timeline").textContent.indexOf("补充：东区靠窗") >= 0`, 3*time.Second)
	tl := evalString(t, ctx, `document.getElementById("timeline").textContent`)
	for _, want := range []string{"已请security协办", "已列入督办", "已退回重新分派", "请问具体是哪个区域？", "已安排每日巡查"} {
		if !strings.Contains(tl, want) {
			t.Errorf("script-rendered timeline does not say %q: %s", want, tl)
		}
	}
	for _, s := range secrets {
		if strings.Contains(tl, s) {
			t.Errorf("script-rendered timeline shows staff text %q", s)
		}
	}
}

// TestStaffCannotPlantRequestOnTicket: only the ticket's holder (its follow token) or a kiosk or
// counter of the ticket's hall attaches a request to a ticket; staff enter cases through their
// role's own channel, never web or kiosk. Refusals change nothing: the ticket's page still
// offers its holder the request form, and the holder's request goes through.
func TestStaffCannotPlantRequestOnTicket(t *testing.T) {
	e := newCaseEnv(t)
	lib, sup, admin, counter := e.login("h-library"), e.login("supervisor"), e.login("admin"), e.login("counter1")
	tk := e.issue("A")
	tt := e.do("POST", "/api/v1/halls/teachers/tickets", kioskTeachers, map[string]any{"service": "J"})
	var teachersTk wire.Ticket
	tt.decode(t, &teachersTk)
	seq := e.cs.LastSeq()
	evil := func(extra map[string]any) map[string]any {
		b := map[string]any{"kind": "complaint", "department": "library", "text": "PLANTED 窗口人员态度恶劣"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	for _, tc := range []struct {
		name, token string
		body        map[string]any
		status      int
		field       string
	}{
		{"handler claims web with a ticket of another hall", lib, evil(map[string]any{"channel": "web", "hall": "students", "ticketId": tk.ID}), 403, "ticketId"},
		{"handler claims web", lib, evil(map[string]any{"channel": "web"}), 403, "channel"},
		{"handler, ticket, no channel", lib, evil(map[string]any{"hall": "students", "ticketId": tk.ID}), 403, "ticketId"},
		{"handler claims the counter channel", lib, evil(map[string]any{"channel": "counter"}), 403, "channel"},
		{"supervisor, ticket", sup, evil(map[string]any{"channel": "hotline", "hall": "students", "ticketId": tk.ID}), 403, "ticketId"},
		{"admin claims web", admin, evil(map[string]any{"channel": "web"}), 403, "channel"},
		{"admin claims kiosk", admin, evil(map[string]any{"channel": "kiosk", "hall": "students", "ticketId": tk.ID}), 403, "channel"},
		{"supervisor claims web", sup, evil(map[string]any{"channel": "web"}), 403, "channel"},
		{"counter claims web", counter, evil(map[string]any{"channel": "web", "hall": "students", "ticketId": tk.ID}), 403, "channel"},
		{"counter claims kiosk", counter, evil(map[string]any{"channel": "kiosk", "hall": "students", "ticketId": tk.ID}), 403, "channel"},
		{"counter, ticket of another hall", counter, evil(map[string]any{"channel": "counter", "hall": "teachers", "ticketId": teachersTk.ID}), 403, "hall"},
		{"kiosk claims web", kioskStudents, map[string]any{"channel": "web", "category": "library-seats", "ticketId": tk.ID}, 403, "channel"},
	} {
		r := e.do("POST", "/api/v1/cases", tc.token, tc.body)
		if r.status != tc.status || r.apiError(t).Field != tc.field {
			t.Errorf("%s: %d %s (want %d naming %s)", tc.name, r.status, r.body, tc.status, tc.field)
		}
	}
	if e.cs.LastSeq() != seq {
		t.Fatal("a refused request changed the case log")
	}
	page := string(e.do("GET", "/t/"+tk.Token, "", nil).body)
	if strings.Contains(page, "PLANTED") || !strings.Contains(page, `id="ask"`) {
		t.Fatalf("ticket page after refused plants: planted shown %v, form offered %v", strings.Contains(page, "PLANTED"), strings.Contains(page, `id="ask"`))
	}
	// staff cases carry their role's channel
	var c hall.Case
	for _, x := range []struct {
		token string
		want  hall.Channel
	}{{lib, hall.ChannelHotline}, {sup, hall.ChannelHotline}, {counter, hall.ChannelCounter}} {
		oc := e.openAs(x.token, "library", "电话反映：自习室太吵")
		e.do("GET", "/api/v1/cases/"+oc.ID, sup, nil).decode(t, &c)
		if c.Channel != x.want {
			t.Errorf("staff case channel %s, want %s", c.Channel, x.want)
		}
	}
	// who may attach: the counter of the ticket's hall, and the holder
	r := e.do("POST", "/api/v1/cases", counter, map[string]any{"kind": "complaint", "channel": "counter", "hall": "students", "ticketId": tk.ID, "department": "library", "text": "窗口转办"})
	if r.status != 201 {
		t.Fatalf("counter of the hall: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/follow/"+tk.Token+"/request", "", map[string]any{"kind": "consultation", "category": "library-seats", "text": "本人的诉求"})
	if r.status != 201 {
		t.Fatalf("the holder's own request: %d %s", r.status, r.body)
	}
}

// TestTicketShowsOnlyHolderOrHallRequests: a case that names a ticket but was not attached by
// its holder or a kiosk of its hall (as stored before this check existed: a handler's "web"
// case, a kiosk case of another hall) shows neither on the ticket's page nor at the counter, and
// does not block the holder's own request.
func TestTicketShowsOnlyHolderOrHallRequests(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	tk := e.issue("A")
	for _, planted := range []hall.OpenCaseRequest{
		{Kind: hall.KindComplaint, Channel: hall.ChannelWeb, Hall: "students", Ticket: tk.ID, Department: "library", Text: "PLANTED by a handler", Source: "h-library"},
		{Kind: hall.KindComplaint, Channel: hall.ChannelKiosk, Hall: "teachers", Ticket: tk.ID, Department: "library", Text: "PLANTED by another hall's kiosk", Source: "kiosk-teachers-1"},
		{Kind: hall.KindComplaint, Channel: hall.ChannelWeb, Hall: "students", Ticket: tk.ID, Department: "library", Text: "PLANTED by another ticket's holder", Source: "web:students-20991231-1" + tk.ID},
	} {
		if _, err := e.cs.Open(ctx, planted); err != nil {
			t.Fatal(err)
		}
	}
	page := string(e.do("GET", "/t/"+tk.Token, "", nil).body)
	if strings.Contains(page, "PLANTED") {
		t.Fatal("the ticket's page shows a request its holder did not make")
	}
	counter := e.login("counter1")
	e.act(counter, 1, "open", nil, 200)
	e.act(counter, 1, "call-next", nil, 200)
	if v := e.do("GET", "/api/v1/halls/students/counters/1", counter, nil); strings.Contains(string(v.body), "PLANTED") {
		t.Fatalf("the counter sees a planted request: %s", v.body)
	}
	r := e.do("POST", "/api/v1/follow/"+tk.Token+"/request", "", map[string]any{"kind": "consultation", "category": "library-seats", "text": "本人的诉求"})
	if r.status != 201 {
		t.Fatalf("the holder's own request: %d %s", r.status, r.body)
	}
	// the holder's request and the hall kiosk's request are the ticket's
	if page := string(e.do("GET", "/t/"+tk.Token, "", nil).body); !strings.Contains(page, "本人的诉求") {
		t.Fatal("the ticket's page does not show its holder's request")
	}
	if v := e.do("GET", "/api/v1/halls/students/counters/1", counter, nil); !strings.Contains(string(v.body), "本人的诉求") {
		t.Fatalf("the counter does not see the holder's request: %s", v.body)
	}
	tk2 := e.issue("A")
	e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "大厅自助机登记", "ticketId": tk2.ID}, "")
	if page := string(e.do("GET", "/t/"+tk2.Token, "", nil).body); !strings.Contains(page, "大厅自助机登记") {
		t.Fatal("the ticket's page does not show its hall kiosk's request")
	}
}

// dayNumbering matches internal IDs that carry the day and a running count: ticket IDs
// (students-20261125-12) and case IDs (case-20261125-57).
var dayNumbering = regexp.MustCompile(`[a-z]+-20\d{6}-\d+`)

// TestPublicViewsHideDayNumbering: the ticket's and the case's public views (pages, follow APIs,
// follow stream) carry no ticket or case ID, nor another case's number; the ticket's follow API
// says hasCase instead of the case's ID.
func TestPublicViewsHideDayNumbering(t *testing.T) {
	e := newCaseEnv(t)
	lib, counter := e.login("h-library"), e.login("counter1")
	tk := e.issue("A")
	e.act(counter, 1, "open", nil, 200)
	e.act(counter, 1, "call-next", nil, 200)
	r := e.do("POST", "/api/v1/cases", counter, map[string]any{"kind": "complaint", "channel": "counter", "hall": "students", "ticketId": tk.ID, "department": "library", "text": "借书证无法续期"})
	var oc wire.OpenedCase
	r.decode(t, &oc)
	e.act(counter, 1, "finish", map[string]any{"outcome": "case_opened", "caseId": oc.ID}, 200)
	orig := e.openAs(lib, "library", "借书证续期系统故障")
	stream := e.dialCases("/api/v1/case-follow/"+oc.Token+"/stream", "", 0)
	if m, ok := readCase(t, stream, 2*time.Second); !ok || dayNumbering.MatchString(m.raw) || strings.Contains(m.raw, `"id"`) {
		t.Fatalf("follow snapshot: %s", m.raw)
	}
	e.caseAct(lib, oc.ID, "duplicate", map[string]string{"original": orig.Number, "text": "已与同类问题合并办理"})
	views := map[string]string{
		"ticket page":      string(e.do("GET", "/t/"+tk.Token, "", nil).body),
		"case page":        string(e.do("GET", "/c/"+oc.Token, "", nil).body),
		"ticket follow":    string(e.do("GET", "/api/v1/follow/"+tk.Token, "", nil).body),
		"case follow":      string(e.do("GET", "/api/v1/case-follow/"+oc.Token, "", nil).body),
		"follow by ticket": string(e.do("GET", "/api/v1/case-follow/"+tk.Token, "", nil).body),
		"follow stream":    readUntil(t, stream, e.cs.LastSeq()-1)[0].raw,
	}
	for name, body := range views {
		for _, s := range []string{tk.ID, oc.ID, orig.Number, `"caseId"`, `"duplicateOf"`, `"ticket":`} {
			if strings.Contains(body, s) {
				t.Errorf("%s shows %q", name, s)
			}
		}
		if m := dayNumbering.FindString(body); m != "" {
			t.Errorf("%s shows the internal ID %q", name, m)
		}
	}
	var f wire.Follow
	if err := json.Unmarshal([]byte(views["ticket follow"]), &f); err != nil || !f.HasCase {
		t.Fatalf("ticket follow: %v %s", err, views["ticket follow"])
	}
	if !strings.Contains(views["case follow"], oc.Number) || !strings.Contains(views["case page"], oc.Number) {
		t.Fatal("the requester's own case number is gone")
	}
}
