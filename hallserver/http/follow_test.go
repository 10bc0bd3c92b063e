package http

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"onedoor/hallserver/wire"
)

// TestFollowPageTicket: the page carries the ticket number (the smoke check reads it), the hall
// to follow live, the materials, and no one else's data or the person's full number.
func TestFollowPageTicket(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "A", "personId": "2023123456"})
	var tk wire.Ticket
	r.decode(t, &tk)
	page := e.do("GET", "/t/"+tk.Token, "", nil)
	body := string(page.body)
	if page.status != 200 || !strings.Contains(body, `<h1 id="number">`+tk.Number+`</h1>`) {
		t.Fatalf("follow page: %d %s", page.status, body)
	}
	for _, want := range []string{`data-hall="students"`, `data-state="waiting"`, "学生证", "20******56", `id="cancel"`, "/assets/follow.js"} {
		if !strings.Contains(body, want) {
			t.Errorf("follow page lacks %q", want)
		}
	}
	if strings.Contains(body, "2023123456") {
		t.Error("follow page shows the full person number")
	}
	if cc := page.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if r := e.do("GET", "/t/not-a-token", "", nil); r.status != 404 || !strings.Contains(string(r.body), "未找到") {
		t.Errorf("unknown token: %d", r.status)
	}
}

// TestFollowPageFollowsTheCase: a ticket a counter turned into a case shows that case, with
// everything people typed escaped; a ticket linked to someone else's case shows nothing of it.
func TestFollowPageFollowsTheCase(t *testing.T) {
	e := newCaseEnv(t)
	staff := e.login("counter1")
	mine, theirs := e.issue("A"), e.issue("A")
	e.act(staff, 1, "open", nil, 200)
	open := func(tk wire.Ticket, text string) wire.OpenedCase {
		t.Helper()
		e.act(staff, 1, "call", map[string]any{"ticket": tk.Number}, 200)
		r := e.do("POST", "/api/v1/cases", staff, map[string]any{"hall": "students", "kind": "complaint", "channel": "counter", "ticketId": tk.ID, "department": "library", "text": text})
		if r.status != 201 {
			t.Fatalf("open case: %d %s", r.status, r.body)
		}
		var oc wire.OpenedCase
		r.decode(t, &oc)
		return oc
	}
	oc := open(mine, `<script>alert(1)</script>"onmouseover="x`)
	e.act(staff, 1, "finish", map[string]any{"outcome": "case_opened", "caseId": oc.ID}, 200)
	body := string(e.do("GET", "/t/"+mine.Token, "", nil).body)
	for _, want := range []string{oc.Number, `data-case-token="` + oc.Token + `"`, "&lt;script&gt;alert(1)&lt;/script&gt;&#34;onmouseover=&#34;x", `id="case-dept">library`, `id="details"`, "已转部门办理"} {
		if !strings.Contains(body, want) {
			t.Errorf("follow page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("request text reached the page unescaped")
	}
	// A wrong link (the counter names the case of another ticket) shows nothing of that case.
	open(theirs, "someone else's matter")
	e.act(staff, 1, "finish", map[string]any{"outcome": "case_opened", "caseId": oc.ID}, 200)
	body = string(e.do("GET", "/t/"+theirs.Token, "", nil).body)
	if strings.Contains(body, oc.Number) || strings.Contains(body, oc.Token) || strings.Contains(body, `id="case"`) {
		t.Error("a ticket shows a case opened for another ticket")
	}
}

// TestFollowPageShowsWalkInRequest: the ticket a kiosk issued with a walk-in request follows that
// request on its page (details, reply, rating), while the ticket still waits.
func TestFollowPageShowsWalkInRequest(t *testing.T) {
	e := newCaseEnv(t)
	tk := e.issue("A")
	oc := e.openKiosk(map[string]any{"hall": "students", "kind": "suggestion", "category": "library-seats", "text": "希望延长开馆时间", "ticketId": tk.ID}, "")
	body := string(e.do("GET", "/t/"+tk.Token, "", nil).body)
	for _, want := range []string{`<h1 id="number">` + tk.Number, `data-state="waiting"`, oc.Number, `data-case-token="` + oc.Token + `"`, "希望延长开馆时间"} {
		if !strings.Contains(body, want) {
			t.Errorf("follow page lacks %q", want)
		}
	}
	// Another ticket's page does not.
	if body := string(e.do("GET", "/t/"+e.issue("A").Token, "", nil).body); strings.Contains(body, oc.Number) {
		t.Error("another ticket shows the walk-in request")
	}
}

// TestCaseFollowPageAlone: the interactive page for a case followed by its own token (no ticket)
// renders the case and nothing of a ticket.
func TestCaseFollowPageAlone(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"hall": "students", "kind": "consultation", "category": "library-seats", "text": "<i>开馆时间</i>", "requester": map[string]any{"phone": "13712345678"}}, "")
	c, err := e.cs.Get(context.Background(), oc.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	e.srv.serveCaseFollowPage(rec, httptest.NewRequest("GET", "/c/"+oc.Token, nil), c)
	body := rec.Body.String()
	for _, want := range []string{oc.Number, `data-case-token="` + oc.Token + `"`, "&lt;i&gt;开馆时间&lt;/i&gt;", `id="details"`, "/assets/follow.js"} {
		if !strings.Contains(body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	for _, bad := range []string{`id="number"`, `data-hall=`, "13712345678", `id="cancel"`} {
		if strings.Contains(body, bad) {
			t.Errorf("case page has %q", bad)
		}
	}
}
