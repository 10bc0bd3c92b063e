package http

import (
	"context"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// caseEnv is env with the case system wired in and department staff: h-library and h-it
// (handlers), h-office (a handler of the office) and supervisor.
type caseEnv struct {
	*env
	cs     *bolt.Cases
	topics *bolt.Topics
	list   *bolt.LongList
}

func newCaseEnv(t testing.TB) *caseEnv { t.Helper(); return newCaseEnvAt(t, nil) }

// newCaseEnvAt is newCaseEnv with the case store, topics and list on the clock now (nil: the
// real one) and the env options opts.
func newCaseEnvAt(t testing.TB, now func() time.Time, opts ...envOption) *caseEnv {
	t.Helper()
	e := newEnv(t, opts...)
	ctx := context.Background()
	cs, err := bolt.NewCases(ctx, e.db, e.campus, cases.Config{}, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() }) // before env's cleanup closes the file
	for _, s := range []hall.Staff{
		{Username: "h-library", Role: hall.RoleHandler, Department: "library"},
		{Username: "h-it", Role: hall.RoleHandler, Department: "it"},
		{Username: "h-office", Role: hall.RoleHandler, Department: hall.OfficeDepartment},
		{Username: "supervisor", Role: hall.RoleSupervisor, Department: hall.OfficeDepartment},
	} {
		if err := e.auth.CreateStaff(ctx, s, "demo"); err != nil {
			t.Fatal(err)
		}
	}
	topics, err := bolt.NewTopics(e.db, cs, now)
	if err != nil {
		t.Fatal(err)
	}
	list, err := bolt.NewLongList(e.db, []string{"library", "it", "logistics", "academic", "student", "finance", "security", "health"}, now)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.ts.Close()
	e.ts = httptest.NewUnstartedServer(nil)
	e.srv = NewServer(Config{Queue: e.q, Events: e.q, Auth: e.auth, Campus: e.campus, PublicURL: "http://" + e.ts.Listener.Addr().String(),
		Cases: cs, Reports: cs, Topics: topics, LongList: list, MetricsToken: metricsToken,
		Admin: e.auth, Audit: bolt.NewAudit(e.db, 0, nil, nil)})
	e.ts.Config.Handler = e.srv
	e.ts.Start()
	return &caseEnv{env: e, cs: cs, topics: topics, list: list}
}

// openKiosk opens a case from the students kiosk as the kiosk team does.
func (e *caseEnv) openKiosk(body map[string]any, key string) wire.OpenedCase {
	e.t.Helper()
	var hdr []string
	if key != "" {
		hdr = []string{"Idempotency-Key", key}
	}
	r := e.do("POST", "/api/v1/cases", kioskStudents, body, hdr...)
	if r.status != 201 {
		e.t.Fatalf("open case: %d %s", r.status, r.body)
	}
	var oc wire.OpenedCase
	r.decode(e.t, &oc)
	return oc
}

func TestCaseRouteHTTP(t *testing.T) {
	e := newCaseEnv(t)
	sup := e.login("supervisor")
	r := e.do("POST", "/api/v1/route", sup, map[string]string{"text": "图书馆自习室总有人用书占座"})
	var rr hall.RouteResult
	r.decode(t, &rr)
	if r.status != 200 || rr.Department != "library" || rr.Confidence <= 0 || rr.Alternatives == nil {
		t.Fatalf("route: %d %s", r.status, r.body)
	}
	if !strings.Contains(string(r.body), `"alternatives":[`) {
		t.Fatalf("alternatives not an array: %s", r.body)
	}
	for _, tc := range []struct {
		body any
		code string
	}{
		{map[string]string{"text": "  "}, hall.EINVALID},
		{map[string]any{"text": 5}, hall.EINVALID},
		{map[string]string{"txt": "x"}, hall.EINVALID},
		{map[string]string{"text": strings.Repeat("长", maxRouteText+1)}, hall.EINVALID},
	} {
		r := e.do("POST", "/api/v1/route", sup, tc.body)
		if r.status != 400 || r.apiError(t).Code != tc.code {
			t.Fatalf("%v: %d %s", tc.body, r.status, r.body)
		}
	}
}

// TestCaseKioskContract: the body and answer the kiosk team codes against, the idempotency key,
// the follow URL and the public endpoints behind it.
func TestCaseKioskContract(t *testing.T) {
	e := newCaseEnv(t)
	body := map[string]any{"hall": "students", "kind": "complaint", "category": "library-seats", "channel": "kiosk", "lang": "zh-CN"}
	oc := e.openKiosk(body, "kiosk-outbox-1")
	if oc.ID == "" || oc.Number == "" || len(oc.Token) < 26 || oc.Department != "library" || oc.Category != "library-seats" ||
		oc.State != hall.CaseDispatched || oc.DueAt.IsZero() || !oc.ResolveDueAt.After(oc.DueAt) || oc.CategoryName.Zh == "" {
		t.Fatalf("opened %+v", oc)
	}
	if oc.FollowURL != e.ts.URL+"/c/"+oc.Token {
		t.Fatalf("followUrl %q", oc.FollowURL)
	}
	if again := e.openKiosk(body, "kiosk-outbox-1"); again.ID != oc.ID || again.Token != oc.Token {
		t.Fatalf("idempotent open gave %s, want %s", again.ID, oc.ID)
	}
	if other := e.openKiosk(body, "kiosk-outbox-2"); other.ID == oc.ID {
		t.Fatal("another key gave the same case")
	}
	// text only: routed by the router
	byText := e.openKiosk(map[string]any{"hall": "students", "text": "校园网晚上老是断线，宿舍根本连不上", "requester": map[string]any{"name": "李四", "phone": "13900001111"}}, "")
	if byText.Department != "it" {
		t.Fatalf("routed to %s", byText.Department)
	}
	// the public view masks the requester and hides internals
	r := e.do("GET", "/api/v1/case-follow/"+byText.Token, "", nil)
	if r.status != 200 || strings.Contains(string(r.body), "13900001111") || strings.Contains(string(r.body), `"source"`) || strings.Contains(string(r.body), `"route"`) {
		t.Fatalf("follow: %d %s", r.status, r.body)
	}
	page := e.do("GET", "/c/"+byText.Token, "", nil)
	if page.status != 200 || !strings.Contains(string(page.body), byText.Number) || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", page.status, page.body)
	}
	if p := e.do("GET", "/c/NOPE", "", nil); p.status != 404 {
		t.Fatalf("unknown page: %d", p.status)
	}
	// details are stored as given (escaping is the pages' job) and size-limited
	script := "<script>alert(1)</script> 三楼"
	r = e.do("POST", "/api/v1/case-follow/"+byText.Token+"/details", "", map[string]string{"text": script})
	var cf wire.CaseFollow
	r.decode(t, &cf)
	if r.status != 200 || cf.Timeline[len(cf.Timeline)-1].Text != script {
		t.Fatalf("details: %d %s", r.status, r.body)
	}
	if page := e.do("GET", "/c/"+byText.Token, "", nil); strings.Contains(string(page.body), "<script>alert") {
		t.Fatal("page does not escape details")
	}
	seq := e.cs.LastSeq()
	for _, bad := range []any{map[string]string{"text": strings.Repeat("多", cases.MaxText+1)}, map[string]string{"text": ""}, "{"} {
		if r := e.do("POST", "/api/v1/case-follow/"+byText.Token+"/details", "", bad); r.status != 400 {
			t.Fatalf("bad details: %d %s", r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/case-follow/"+byText.Token+"/rate", "", map[string]int{"stars": 5}); r.status != 409 {
		t.Fatalf("rating an unreplied case: %d %s", r.status, r.body)
	}
	if e.cs.LastSeq() != seq {
		t.Fatal("rejected requests changed the case log")
	}
	// kiosks: no department, no other hall, no other channel, a category or text needed
	for _, tc := range []struct {
		body   map[string]any
		status int
	}{
		{map[string]any{"hall": "students", "department": "it", "text": "x"}, 403},
		{map[string]any{"hall": "teachers", "category": "library-seats"}, 403},
		{map[string]any{"hall": "students", "channel": "web", "category": "library-seats"}, 403},
		{map[string]any{"hall": "students"}, 400},
		{map[string]any{"hall": "students", "category": "nope"}, 404},
		{map[string]any{"hall": "students", "kind": "rant", "category": "library-seats"}, 400},
		{map[string]any{"hall": "students", "category": "library-seats", "extra": 1}, 400},
	} {
		if r := e.do("POST", "/api/v1/cases", kioskStudents, tc.body); r.status != tc.status {
			t.Fatalf("%v: %d %s", tc.body, r.status, r.body)
		}
	}
	if e.cs.LastSeq() != seq {
		t.Fatal("rejected opens changed the case log")
	}
}

// TestCaseWorkflowHTTP: a department works its case from the inbox to the rating; another
// department neither sees nor touches it; the office sees everything and the rates.
func TestCaseWorkflowHTTP(t *testing.T) {
	e := newCaseEnv(t)
	lib, it, sup := e.login("h-library"), e.login("h-it"), e.login("supervisor")
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼占座严重", "requester": map[string]any{"phone": "13712345678"}}, "")
	var list wire.CaseList
	e.do("GET", "/api/v1/cases?open=1", lib, nil).decode(t, &list)
	if list.Count != 1 || list.Cases[0].ID != oc.ID || list.Cases[0].Requester.Phone != "13712345678" {
		t.Fatalf("library inbox %+v", list)
	}
	e.do("GET", "/api/v1/cases", it, nil).decode(t, &list)
	if list.Count != 0 {
		t.Fatalf("it sees %d library cases", list.Count)
	}
	if r := e.do("GET", "/api/v1/cases?department=library", it, nil); r.status != 403 {
		t.Fatalf("it lists library: %d", r.status)
	}
	for _, p := range []string{"/api/v1/cases/" + oc.ID, "/api/v1/cases/" + oc.Number} {
		if r := e.do("GET", p, it, nil); r.status != 404 {
			t.Fatalf("it reads library case: %d", r.status)
		}
		if r := e.do("GET", p, lib, nil); r.status != 200 {
			t.Fatalf("library reads its case: %d %s", r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/cases/"+oc.ID+"/sign", it, nil); r.status != 404 {
		t.Fatalf("it signs library case: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/cases/"+oc.ID+"/fly", lib, nil); r.status != 404 {
		t.Fatalf("unknown action: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/cases/"+oc.ID+"/approve", lib, nil); r.status != 403 && r.status != 409 {
		t.Fatalf("library approves: %d %s", r.status, r.body)
	}
	var c hall.Case
	e.do("POST", "/api/v1/cases/"+oc.ID+"/sign", lib, nil).decode(t, &c)
	if c.State != hall.CaseInProgress {
		t.Fatalf("sign: %s", c.State)
	}
	// co-handling: IT is invited, then sees the case with the requester masked
	if r := e.do("POST", "/api/v1/cases/"+oc.ID+"/invite", lib, map[string]string{"department": "it", "text": "检查座位预约系统"}); r.status != 200 {
		t.Fatalf("invite: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/api/v1/cases/"+oc.ID, it, nil)
	r.decode(t, &c)
	if r.status != 200 || c.Requester.Phone == "13712345678" {
		t.Fatalf("assisting view: %d %+v", r.status, c.Requester)
	}
	if r := e.do("POST", "/api/v1/cases/"+oc.ID+"/reply", lib, map[string]string{"text": "已加强巡查"}); r.status != 409 {
		t.Fatalf("reply before the part is done: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/cases/"+oc.ID+"/part", it, map[string]string{"text": "预约超时自动释放"}); r.status != 200 {
		t.Fatalf("part: %d %s", r.status, r.body)
	}
	e.do("POST", "/api/v1/cases/"+oc.ID+"/reply", lib, map[string]string{"text": "已加强巡查，座位超时自动释放"}).decode(t, &c)
	if c.State != hall.CaseReplied {
		t.Fatalf("reply: %s", c.State)
	}
	var cf wire.CaseFollow
	r = e.do("POST", "/api/v1/case-follow/"+oc.Token+"/rate", "", map[string]any{"stars": 5, "comment": "谢谢"})
	r.decode(t, &cf)
	if r.status != 200 || cf.State != hall.CaseRated || cf.Replies[0].By != "" {
		t.Fatalf("rate: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/cases/"+oc.ID+"/archive", lib, nil); r.status != 200 {
		t.Fatalf("archive: %d %s", r.status, r.body)
	}
	// closed: still read (from the store), listed, no more actions
	if r := e.do("POST", "/api/v1/cases/"+oc.ID+"/note", lib, map[string]string{"text": "x"}); r.status != 409 {
		t.Fatalf("note on a closed case: %d %s", r.status, r.body)
	}
	e.do("GET", "/api/v1/cases?state=archived", lib, nil).decode(t, &list)
	if list.Count != 1 {
		t.Fatalf("archived list %d", list.Count)
	}
	if r := e.do("GET", "/api/v1/cases?state=bogus", lib, nil); r.status != 400 {
		t.Fatalf("bad state: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/cases/stats", lib, nil); r.status != 403 {
		t.Fatalf("handler stats: %d", r.status)
	}
	var st wire.CaseStats
	r = e.do("GET", "/api/v1/cases/stats", sup, nil)
	r.decode(t, &st)
	if r.status != 200 || len(st.Departments) != 1 || st.Departments[0].Satisfied != 1 || st.Departments[0].SatisfactionRate != 1 {
		t.Fatalf("stats: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/cases/stats?from=2026-13-01", sup, nil); r.status != 400 {
		t.Fatalf("bad from: %d", r.status)
	}
}

// TestCaseAuthzMatrix: every role against every case endpoint; rejected requests change nothing.
func TestCaseAuthzMatrix(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "占座"}, "")
	roles := []struct{ name, token string }{
		{"anonymous", ""}, {"kiosk", kioskStudents}, {"display", displayStudents}, {"counter", e.login("counter1")},
		{"handler X (library)", e.login("h-library")}, {"handler Y (it)", e.login("h-it")},
		{"supervisor", e.login("supervisor")}, {"admin", e.login("admin")},
	}
	type ep struct {
		method, path string
		body         any
		want         [8]int // per role, in the order above
	}
	openBody := map[string]any{"hall": "students", "category": "campus-network"}
	eps := []ep{
		{"POST", "/api/v1/route", map[string]string{"text": "网费"}, [8]int{401, 403, 403, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/catalogue", nil, [8]int{200, 200, 200, 200, 200, 200, 200, 200}},
		{"POST", "/api/v1/cases", openBody, [8]int{401, 201, 403, 201, 201, 201, 201, 201}},
		{"GET", "/api/v1/cases", nil, [8]int{401, 403, 403, 403, 200, 200, 200, 200}},
		{"GET", "/api/v1/cases/stats", nil, [8]int{401, 403, 403, 403, 403, 403, 200, 200}},
		{"GET", "/api/v1/cases/" + oc.ID, nil, [8]int{401, 403, 403, 403, 200, 404, 200, 200}},
		{"POST", "/api/v1/cases/" + oc.ID + "/note", map[string]string{"text": "备注"}, [8]int{401, 403, 403, 403, 200, 404, 200, 200}},
		{"POST", "/api/v1/cases/" + oc.ID + "/supervise", map[string]bool{"on": true}, [8]int{401, 403, 403, 403, 403, 404, 200, 200}},
		{"POST", "/api/v1/cases/" + oc.ID + "/sign", nil, [8]int{401, 403, 403, 403, 200, 404, 409, 409}},
		{"GET", "/api/v1/case-follow/" + oc.Token, nil, [8]int{200, 200, 200, 200, 200, 200, 200, 200}},
		{"POST", "/api/v1/case-follow/" + oc.Token + "/details", map[string]string{"text": "补充"}, [8]int{200, 200, 200, 200, 200, 200, 200, 200}},
		{"POST", "/api/v1/case-follow/" + oc.Token + "/rate", map[string]int{"stars": 4}, [8]int{409, 409, 409, 409, 409, 409, 409, 409}},
		{"GET", "/api/v1/case-follow/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil, [8]int{404, 404, 404, 404, 404, 404, 404, 404}},
		{"GET", "/c/" + oc.Token, nil, [8]int{200, 200, 200, 200, 200, 200, 200, 200}},
	}
	for _, x := range eps {
		for i, role := range roles {
			seq := e.cs.LastSeq()
			r := e.do(x.method, x.path, role.token, x.body)
			if r.status != x.want[i] {
				t.Errorf("%s %s as %s: %d, want %d (%.200s)", x.method, x.path, role.name, r.status, x.want[i], r.body)
				continue
			}
			if r.status >= 400 {
				if !strings.HasPrefix(x.path, "/c/") {
					r.apiError(t)
				}
				if e.cs.LastSeq() != seq {
					t.Errorf("%s %s as %s: rejected with %d but the case log moved", x.method, x.path, role.name, r.status)
				}
			}
		}
	}
}

// TestCaseResponsesMatchSpec checks sample answers of the case endpoints against openapi.json.
func TestCaseResponsesMatchSpec(t *testing.T) {
	e := newCaseEnv(t)
	s := loadSpec(t)
	sup, lib := e.login("supervisor"), e.login("h-library")
	opened := e.do("POST", "/api/v1/cases", kioskStudents, map[string]any{"hall": "students", "category": "library-seats", "requester": map[string]string{"name": "王五"}})
	var oc wire.OpenedCase
	opened.decode(t, &oc)
	e.do("POST", "/api/v1/cases/"+oc.ID+"/sign", lib, nil)
	replied := e.do("POST", "/api/v1/cases/"+oc.ID+"/reply", lib, map[string]string{"text": "已处理"})
	samples := []schemaSample{
		{"route", e.do("POST", "/api/v1/route", sup, map[string]string{"text": "图书馆占座"}).body, "RouteResult"},
		{"catalogue", e.do("GET", "/api/v1/catalogue?topics=1", "", nil).body, "Catalogue"},
		{"open", opened.body, "OpenedCase"},
		{"reply", replied.body, "Case"},
		{"get", e.do("GET", "/api/v1/cases/"+oc.Number, sup, nil).body, "Case"},
		{"list", e.do("GET", "/api/v1/cases", sup, nil).body, "CaseList"},
		{"stats", e.do("GET", "/api/v1/cases/stats", sup, nil).body, "CaseStats"},
		{"follow", e.do("GET", "/api/v1/case-follow/"+oc.Token, "", nil).body, "CaseFollow"},
		{"rate", e.do("POST", "/api/v1/case-follow/"+oc.Token+"/rate", "", map[string]int{"stars": 2}).body, "CaseFollow"},
		{"error", e.do("GET", "/api/v1/case-follow/nothing", "", nil).body, "Error"},
	}
	s.checkSamples(t, samples)
}

// TestCasesNotConfigured: without a case service the routes answer 503, not 404 or a panic.
func TestCasesNotConfigured(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	for _, p := range []string{"/api/v1/catalogue", "/api/v1/cases", "/api/v1/case-follow/x"} {
		if r := e.do("GET", p, admin, nil); r.status != 503 {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
	}
}

// TestCaseFollowByTicketToken: a counter turns a visit into a case (只进一门); the ticket's QR
// code then follows the case; a ticket without a case does not.
func TestCaseFollowByTicketToken(t *testing.T) {
	e := newCaseEnv(t)
	counter := e.login("counter1")
	tj := e.issue("A")
	other := e.issue("A")
	e.act(counter, 1, "open", nil, 200)
	e.act(counter, 1, "call-next", nil, 200)
	r := e.do("POST", "/api/v1/cases", counter, map[string]any{"hall": "students", "ticketId": tj.ID, "kind": "complaint", "department": "logistics", "text": "宿舍楼下的路灯坏了"})
	var oc wire.OpenedCase
	r.decode(t, &oc)
	if r.status != 201 || oc.Department != "logistics" {
		t.Fatalf("counter open: %d %s", r.status, r.body)
	}
	e.act(counter, 1, "start", nil, 200)
	e.act(counter, 1, "finish", map[string]string{"outcome": "case_opened", "caseId": oc.ID}, 200)
	var cf wire.CaseFollow
	r = e.do("GET", "/api/v1/case-follow/"+tj.Token, "", nil)
	r.decode(t, &cf)
	if r.status != 200 || cf.Number != oc.Number || cf.Source != "" {
		t.Fatalf("follow by ticket token: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/case-follow/"+tj.Token+"/details", "", map[string]string{"text": "在3号楼"}); r.status != 200 {
		t.Fatalf("details by ticket token: %d %s", r.status, r.body)
	}
	if p := e.do("GET", "/c/"+tj.Token, "", nil); p.status != 200 || !strings.Contains(string(p.body), oc.Number) {
		t.Fatalf("page by ticket token: %d", p.status)
	}
	if r := e.do("GET", "/api/v1/case-follow/"+other.Token, "", nil); r.status != 404 {
		t.Fatalf("ticket without a case: %d %s", r.status, r.body)
	}
}

// TestCaseListSummaryView: ?view=summary lists the cases without route, replies and ratings
// and, of the timeline, only the requester's additions (what the inbox's list shows), every
// other field as it is; the default view is whole; an unknown view is a 400 naming the field.
func TestCaseListSummaryView(t *testing.T) {
	e := newCaseEnv(t)
	lib := e.login("h-library")
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼占座严重", "requester": map[string]any{"phone": "13712345678"}}, "")
	if r := e.do("POST", "/api/v1/case-follow/"+oc.Token+"/details", "", map[string]string{"text": "四楼也一样"}); r.status != 200 {
		t.Fatalf("details: %d %s", r.status, r.body)
	}
	var full, sum wire.CaseList
	e.do("GET", "/api/v1/cases?open=1", lib, nil).decode(t, &full)
	e.do("GET", "/api/v1/cases?open=1&view=summary", lib, nil).decode(t, &sum)
	if full.Count != 1 || sum.Count != 1 {
		t.Fatalf("lists: %d and %d cases", full.Count, sum.Count)
	}
	f, s := full.Cases[0], sum.Cases[0]
	if len(f.Timeline) < 2 || len(s.Timeline) != 1 || s.Timeline[0].Type != hall.CaseEvDetails || s.Timeline[0].Text != "四楼也一样" {
		t.Fatalf("summary timeline %+v (full %d entries)", s.Timeline, len(f.Timeline))
	}
	raw := string(e.do("GET", "/api/v1/cases?open=1&view=summary", lib, nil).body)
	for _, k := range []string{`"route"`, `"replies"`, `"ratings"`} {
		if strings.Contains(raw, k) {
			t.Fatalf("summary has %s: %s", k, raw)
		}
	}
	f.Timeline, s.Timeline = nil, nil
	f.Route, f.Replies, f.Ratings = s.Route, s.Replies, s.Ratings
	if !reflect.DeepEqual(f, s) {
		t.Fatalf("summary differs beyond the timeline:\n%+v\n%+v", s, f)
	}
	if r := e.do("GET", "/api/v1/cases?view=short", lib, nil); r.status != 400 || !strings.Contains(string(r.body), `"view"`) {
		t.Fatalf("bad view: %d %s", r.status, r.body)
	}
}

// TestForgetRoutesHTTP: the office undoes a user's re-routes through the API (the router answers
// as before the re-route); a department handler may not; a bad username is a 400 naming it.
func TestForgetRoutesHTTP(t *testing.T) {
	e := newCaseEnv(t)
	sup, lib := e.login("supervisor"), e.login("h-library")
	text := "食堂三楼的饭菜又贵又难吃"
	route := func() string {
		t.Helper()
		var rr hall.RouteResult
		e.do("POST", "/api/v1/route", sup, map[string]string{"text": text}).decode(t, &rr)
		return rr.Department
	}
	before := route()
	oc := e.openKiosk(map[string]any{"kind": "complaint", "text": text}, "")
	e.caseAct(sup, oc.ID, "dispatch", map[string]string{"department": "library"})
	if got := route(); got != "library" || before == "library" {
		t.Fatalf("re-route not learned: before %s, after %s", before, got)
	}
	if r := e.do("DELETE", "/api/v1/route/learned/supervisor", lib, nil); r.status != 403 {
		t.Fatalf("handler undoing re-routes: %d %s", r.status, r.body)
	}
	if got := route(); got != "library" {
		t.Fatalf("a refused DELETE changed the router: %s", got)
	}
	r := e.do("DELETE", "/api/v1/route/learned/supervisor", sup, nil)
	var f wire.ForgottenRoutes
	r.decode(t, &f)
	if r.status != 200 || f.Username != "supervisor" || f.Forgotten != 1 {
		t.Fatalf("forget: %d %s", r.status, r.body)
	}
	if got := route(); got != before {
		t.Fatalf("after forgetting %q goes to %s, want %s as before the re-route", text, got, before)
	}
	r = e.do("DELETE", "/api/v1/route/learned/"+strings.Repeat("x", 65), sup, nil)
	if r.status != 400 || !strings.Contains(string(r.body), `"field":"username"`) {
		t.Fatalf("long username: %d %s", r.status, r.body)
	}
}
