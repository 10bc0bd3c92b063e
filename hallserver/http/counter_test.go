package http

import (
	"strings"
	"testing"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// TestCounterView: GET /api/v1/halls/{hall}/counters/{n} is for the hall's counter staff and shows
// the current ticket in full, with the earlier visits (and their notes) after a transfer.
func TestCounterView(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	for _, c := range []struct {
		path, token string
		want        int
	}{
		{"/api/v1/halls/students/counters/1", "", 401},
		{"/api/v1/halls/students/counters/1", kioskStudents, 403},
		{"/api/v1/halls/students/counters/1", displayStudents, 403},
		{"/api/v1/halls/teachers/counters/1", staff, 403},
		{"/api/v1/halls/students/counters/9", staff, 404},
		{"/api/v1/halls/students/counters/x", staff, 404},
		{"/api/v1/halls/nowhere/counters/1", staff, 404},
	} {
		r := e.do("GET", c.path, c.token, nil)
		if r.status != c.want {
			t.Errorf("GET %s: %d, want %d (%s)", c.path, r.status, c.want, r.body)
			continue
		}
		r.apiError(t)
	}
	var v wire.CounterView
	e.do("GET", "/api/v1/halls/students/counters/2", staff, nil).decode(t, &v)
	if v.Counter.State != hall.CounterClosed || v.Current != nil || len(v.Counter.Services) != 1 {
		t.Fatalf("closed counter: %+v", v)
	}
	tk := e.issue("A")
	e.act(staff, 2, "open", nil, 200)
	e.act(staff, 2, "call-next", nil, 200)
	e.act(staff, 2, "transfer", map[string]any{"toCounter": 1, "note": "需要核对 <b>原件</b>"}, 200)
	e.act(staff, 1, "open", nil, 200)
	e.act(staff, 1, "call-next", nil, 200)
	r := e.do("GET", "/api/v1/halls/students/counters/1", staff, nil)
	r.decode(t, &v)
	c := v.Current
	if r.status != 200 || v.Counter.State != hall.CounterOpen || c == nil {
		t.Fatalf("counter 1: %d %s", r.status, r.body)
	}
	if c.ID != tk.ID || c.Number != tk.Number || c.State != hall.TicketCalled || c.ServiceName.Zh != "学籍与成绩" || len(c.Materials) != 2 || c.WaitSeconds < 0 {
		t.Errorf("current ticket %+v", c)
	}
	if len(c.Visits) != 1 || c.Visits[0].Counter != 2 || c.Visits[0].Note != "需要核对 <b>原件</b>" || c.Visits[0].ServiceName.En == "" {
		t.Errorf("earlier visits %+v", c.Visits)
	}
	if c.Request != nil {
		t.Errorf("request without a case system: %+v", c.Request)
	}
	// The staff view is not the public one: the stream does not carry the note.
	if strings.Contains(string(e.do("GET", "/api/v1/halls/students/snapshot", "", nil).body), "原件") {
		t.Error("the public snapshot shows a staff note")
	}
}

// TestCounterViewShowsWalkInRequest: a kiosk case that names the ticket is the walk-in request
// the counter sees; a case of another ticket is not.
func TestCounterViewShowsWalkInRequest(t *testing.T) {
	e := newCaseEnv(t)
	staff := e.login("counter1")
	tk, other := e.issue("A"), e.issue("A")
	e.openKiosk(map[string]any{"hall": "students", "kind": "consultation", "text": "别人的事", "ticketId": other.ID}, "")
	e.openKiosk(map[string]any{"hall": "students", "kind": "complaint", "category": "library-seats", "text": "三楼占座", "ticketId": tk.ID}, "")
	e.act(staff, 1, "open", nil, 200)
	e.act(staff, 1, "call", map[string]any{"ticket": tk.Number}, 200)
	var v wire.CounterView
	e.do("GET", "/api/v1/halls/students/counters/1", staff, nil).decode(t, &v)
	if v.Current == nil || v.Current.Request == nil || v.Current.Request.Text != "三楼占座" || v.Current.Request.Kind != hall.KindComplaint {
		t.Fatalf("walk-in request: %+v", v.Current)
	}
}

// TestFinishLinksCase: finish with outcome case_opened and caseId links the ticket to the case;
// a caseId with another outcome, or too long, or case_opened without a caseId (a ticket that says
// "a case was opened" and leads nowhere) is refused naming the field and changes nothing.
func TestFinishLinksCase(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	tk := e.issue("A")
	e.act(staff, 1, "open", nil, 200)
	e.act(staff, 1, "call-next", nil, 200)
	before := e.snapshotServices()
	for _, body := range []map[string]any{
		{"outcome": "resolved", "caseId": "case-1"},
		{"caseId": "case-1"},
		{"outcome": "case_opened", "caseId": strings.Repeat("x", 65)},
		{"outcome": "case_opened"},
		{"outcome": "case_opened", "caseId": ""},
	} {
		r := e.act(staff, 1, "finish", body, 400)
		if r.apiError(t).Field != "caseId" {
			t.Errorf("finish %v: %s", body, r.body)
		}
	}
	if e.snapshotServices() != before {
		t.Fatal("a refused finish changed the hall")
	}
	var out wire.Ticket
	e.act(staff, 1, "finish", map[string]any{"outcome": "case_opened", "caseId": "case-20261125-7"}, 200).decode(t, &out)
	if out.State != hall.TicketDone || out.Outcome != hall.OutcomeCaseOpened || out.CaseID != "case-20261125-7" {
		t.Fatalf("finished %+v", out)
	}
	var f wire.Follow
	e.do("GET", "/api/v1/follow/"+tk.Token, "", nil).decode(t, &f)
	if !f.HasCase {
		t.Fatalf("follow %+v", f)
	}
}

// TestCounterPageAndAssets: the console page and its assets are served embedded, under the CSP.
func TestCounterPageAndAssets(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/counter", "", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), `id="call-next"`) {
		t.Fatalf("/counter: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(string(r.body), "<script>") || strings.Contains(string(r.body), "style=") {
		t.Error("the console has inline script or style (the CSP forbids them)")
	}
	for _, a := range []string{"common.js", "counter.js", "counter.css", "follow.js", "follow.css"} {
		r := e.do("GET", "/assets/"+a, "", nil)
		if r.status != 200 || len(r.body) == 0 {
			t.Errorf("asset %s: %d", a, r.status)
		}
		if strings.HasSuffix(a, ".js") && strings.Contains(string(r.body), "innerHTML") {
			t.Errorf("%s uses innerHTML: data must go in as text", a)
		}
	}
}
