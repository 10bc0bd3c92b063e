package http

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/hall"
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

// TestVisitRatingAPI: the holder rates a finished visit once (好差评) through
// POST /api/v1/follow/{token}/rating; before the visit is finished, a second time, or with bad
// input the answer is a 4xx naming the field and nothing is stored; the rating is in the bbolt
// file (a second store on the file reads it) and in the follow view.
func TestVisitRatingAPI(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	tk := e.issue("A")
	path := "/api/v1/follow/" + tk.Token + "/rating"
	refused := func(what string, body any, status int, code, field string) {
		t.Helper()
		r := e.do("POST", path, "", body)
		var eb wire.ErrorBody
		if r.status != status || json.Unmarshal(r.body, &eb) != nil || eb.Error.Code != code || eb.Error.Field != field {
			t.Errorf("%s: %d %s, want %d %s naming %q", what, r.status, r.body, status, code, field)
		}
	}
	refused("while waiting", map[string]any{"stars": 5}, 409, hall.ECONFLICT, "state")
	e.act(staff, 1, "call-next", nil, 200)
	e.act(staff, 1, "start", nil, 200)
	e.act(staff, 1, "finish", map[string]any{"outcome": "resolved"}, 200)

	refused("no stars", map[string]any{"comment": "好"}, 400, hall.EINVALID, "stars")
	refused("6 stars", map[string]any{"stars": 6}, 400, hall.EINVALID, "stars")
	refused("stars as text", map[string]any{"stars": "5"}, 400, hall.EINVALID, "stars")
	refused("long comment", map[string]any{"stars": 4, "comment": strings.Repeat("好", hall.MaxVisitComment+1)}, 400, hall.EINVALID, "comment")
	refused("unknown field", map[string]any{"stars": 4, "person": "x"}, 400, hall.EINVALID, "person")
	if r := e.do("POST", "/api/v1/follow/not-a-token/rating", "", map[string]any{"stars": 4}); r.status != 404 {
		t.Errorf("unknown token: %d %s", r.status, r.body)
	}
	var f wire.Follow
	e.do("GET", "/api/v1/follow/"+tk.Token, "", nil).decode(t, &f)
	if f.VisitRating != nil {
		t.Fatalf("refused ratings stored: %+v", f.VisitRating)
	}

	r := e.do("POST", path, "", map[string]any{"stars": 2, "comment": "等太久 <b>"})
	var got hall.VisitRating
	if r.status != 201 {
		t.Fatalf("rate: %d %s", r.status, r.body)
	}
	r.decode(t, &got)
	if got.Stars != 2 || got.Comment != "等太久 <b>" || got.At.IsZero() {
		t.Errorf("stored rating %+v", got)
	}
	refused("a second time", map[string]any{"stars": 5}, 409, hall.ECONFLICT, "rating")

	e.do("GET", "/api/v1/follow/"+tk.Token, "", nil).decode(t, &f)
	if f.VisitRating == nil || f.VisitRating.Stars != 2 {
		t.Errorf("follow view: %+v", f.VisitRating)
	}
	other, err := bolt.NewVisitRatings(e.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := other.VisitRating(context.Background(), tk.Token); err != nil || v == nil || v.Stars != 2 || v.Comment != got.Comment {
		t.Errorf("read from the file: %+v %v", v, err)
	}
}
