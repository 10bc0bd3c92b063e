package http

import (
	"bytes"
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// TestCaseAssignHTTP: named assignment through the API. The handler who signs owns the case
// (assignee in the answer and the list, "mine" lists it); a handler of the department and the
// office give it to another handler of the department, each time an internal case.assigned entry
// and an audit entry; nobody gives it outside the department, to a disabled account or to a
// non-handler (400 assignee), and another department does not reach it (404). The answers match
// openapi.json; the follow view never names the assignee.
func TestCaseAssignHTTP(t *testing.T) {
	e := newCaseEnv(t)
	s := loadSpec(t)
	ctx := context.Background()
	for _, st := range []hall.Staff{
		{Username: "h-library2", Role: hall.RoleHandler, Department: "library"},
		{Username: "h-library3", Role: hall.RoleHandler, Department: "library", Disabled: true},
	} {
		if err := e.auth.CreateStaff(ctx, st, "demo"); err != nil {
			t.Fatal(err)
		}
	}
	lib, lib2, it, sup, off := e.login("h-library"), e.login("h-library2"), e.login("h-it"), e.login("supervisor"), e.login("h-office")
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼占座严重"}, "")
	other := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "二楼太吵"}, "")
	signed := e.do("POST", "/api/v1/cases/"+oc.ID+"/sign", lib, nil)
	var c hall.Case
	signed.decode(t, &c)
	if c.Assignee != "h-library" {
		t.Fatalf("signed by h-library, assignee %q", c.Assignee)
	}
	mine := func(token string) []string {
		t.Helper()
		r := e.do("GET", "/api/v1/cases?mine=1&view=summary", token, nil)
		s.checkSamples(t, []schemaSample{{"mine", r.body, "CaseList"}})
		var l wire.CaseList
		r.decode(t, &l)
		out := []string{}
		for _, c := range l.Cases {
			out = append(out, c.Number+"@"+c.Assignee)
		}
		return out
	}
	if got := mine(lib); len(got) != 1 || got[0] != oc.Number+"@h-library" {
		t.Fatalf("h-library's cases: %v (another open case unsigned: %s)", got, other.Number)
	}
	if got := mine(lib2); len(got) != 0 {
		t.Fatalf("h-library2 owns %v", got)
	}

	assign := func(token, to string) response {
		t.Helper()
		return e.do("POST", "/api/v1/cases/"+oc.ID+"/assign", token, map[string]string{"assignee": to})
	}
	r := assign(lib, "h-library2")
	if r.status != 200 {
		t.Fatalf("h-library gives it to h-library2: %d %s", r.status, r.body)
	}
	s.checkSamples(t, []schemaSample{{"assign", r.body, "Case"}})
	if got := mine(lib2); len(got) != 1 || got[0] != oc.Number+"@h-library2" {
		t.Fatalf("h-library2's cases after the assignment: %v", got)
	}
	if got := mine(lib); len(got) != 0 {
		t.Fatalf("h-library still owns %v", got)
	}
	var byName wire.CaseList
	e.do("GET", "/api/v1/cases?assignee=h-library2", sup, nil).decode(t, &byName)
	if byName.Count != 1 || byName.Cases[0].Number != oc.Number {
		t.Fatalf("the office lists h-library2's cases: %+v", byName)
	}
	for _, tc := range []struct {
		who, token, to string
		status         int
		field          string
	}{
		{"h-library", lib, "h-it", 400, "assignee"},       // another department's handler
		{"h-library", lib, "h-library3", 400, "assignee"}, // disabled
		{"h-library", lib, "supervisor", 400, "assignee"}, // not a handler
		{"h-library", lib, "nobody", 400, "assignee"},     // no such account
		{"h-library", lib, "", 400, "assignee"},           //
		{"h-it", it, "h-library", 404, "case"},            // another department does not see it
		{"h-office", off, "h-it", 400, "assignee"},        // the office, outside the department
		{"kiosk", kioskStudents, "h-library", 403, ""},    // devices do not work cases
	} {
		before := e.cs.LastSeq()
		r := assign(tc.token, tc.to)
		if r.status != tc.status || (tc.field != "" && r.apiError(t).Field != tc.field) {
			t.Errorf("%s assigns to %q: %d %s, want %d %s", tc.who, tc.to, r.status, r.body, tc.status, tc.field)
		}
		if e.cs.LastSeq() != before {
			t.Errorf("%s assigns to %q: the refused assignment changed the case log", tc.who, tc.to)
		}
	}
	if r := assign(off, "h-library"); r.status != 200 {
		t.Fatalf("the office gives it back to h-library: %d %s", r.status, r.body)
	}
	e.do("GET", "/api/v1/cases/"+oc.Number, sup, nil).decode(t, &c)
	var got []string
	for _, en := range c.Timeline {
		if en.Type == hall.CaseEvAssigned {
			if en.Public {
				t.Errorf("a public assignment entry %+v", en)
			}
			got = append(got, en.Actor+"→"+en.Text)
		}
	}
	if len(got) != 2 || got[0] != "h-library→h-library2" || got[1] != "h-office→h-library" {
		t.Fatalf("the timeline's assignments: %v", got)
	}
	l := e.auditPage(sup, url.Values{})
	if !has(l.Entries, string(hall.CaseEvAssigned), "h-library", oc.Number) || !has(l.Entries, string(hall.CaseEvAssigned), "h-office", oc.Number) {
		t.Fatalf("no case.assigned in the audit trail: %+v", l.Entries)
	}
	var pub wire.CaseFollow
	raw := e.do("GET", "/api/v1/case-follow/"+oc.Token, "", nil)
	raw.decode(t, &pub)
	if pub.Assignee != "" || len(raw.body) == 0 || bytes.Contains(raw.body, []byte("h-library")) {
		t.Fatalf("the follow view names the assignee: %s", raw.body)
	}
}

// TestInboxAssignee: the inbox shows who owns a case (the list's line and the case), the lead
// department reassigns it through the assignee's form, and the "mine" tab lists the new owner's
// cases.
func TestInboxAssignee(t *testing.T) {
	e := newCaseEnv(t)
	if err := e.auth.CreateStaff(context.Background(), hall.Staff{Username: "h-library2", Role: hall.RoleHandler, Department: "library"}, "demo"); err != nil {
		t.Fatal(err)
	}
	lib := e.login("h-library")
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼占座严重"}, "")
	e.caseAct(lib, oc.ID, "sign", nil)
	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-library", oc.Number)
	must(t, ctx, "the list names the owner", `document.querySelector('#cases li[data-number=`+jsString(oc.Number)+`] .title').textContent.indexOf("承办人 h-library") >= 0`, 5*time.Second)
	clickCase(t, ctx, "pick the case", oc.Number)
	must(t, ctx, "the case names the owner", `document.getElementById("c-assignee").textContent === "h-library" && !document.getElementById("f-assign").hidden`, 5*time.Second)
	run(t, ctx, "reassign", chromedp.Evaluate[chromedp.Void](`(function(){document.getElementById("assign-to").value="h-library2";document.getElementById("f-assign").requestSubmit();})()`))
	must(t, ctx, "the new owner shown", `document.getElementById("c-assignee").textContent === "h-library2"`, 5*time.Second)
	shot(t, ctx, "inbox-assignee")
	var c hall.Case
	e.do("GET", "/api/v1/cases/"+oc.ID, lib, nil).decode(t, &c)
	if c.Assignee != "h-library2" {
		t.Fatalf("after the page's reassignment the case is owned by %q", c.Assignee)
	}
	run(t, ctx, "mine tab", chromedp.Evaluate[chromedp.Void](`document.querySelector('#tabs a[data-filter="mine"]').click()`))
	must(t, ctx, "h-library owns nothing now", `document.querySelectorAll("#cases li").length === 0`, 5*time.Second)
}
