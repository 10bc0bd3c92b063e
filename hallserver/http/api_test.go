package http

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/healthz", "", nil)
	if r.status != 200 || !strings.HasPrefix(string(r.body), `{"status":"ok","storage":{"ok":true,`) {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
	e.issue("A")
	r = e.do("GET", "/metrics", metricsToken, nil)
	for _, want := range []string{
		`onedoor_http_requests_total{route="GET /healthz",status="200"} 1`,
		`onedoor_tickets_issued_total{hall="students",service="A"} 1`,
		"onedoor_http_request_duration_seconds_bucket",
		"go_goroutines",
		"onedoor_storage_ok 1",
		"onedoor_storage_free_bytes",
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestLoginMeLogout(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v1/session", "", map[string]string{"username": "counter1", "password": "demo"})
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var s wire.Session
	r.decode(t, &s)
	if s.Token == "" || s.CSRFToken == "" || s.Username != "counter1" || s.Role != hall.RoleCounter {
		t.Fatalf("session %+v", s)
	}
	var sc, cc *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		switch c.Name {
		case sessionCookie:
			sc = c
		case csrfCookie:
			cc = c
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/" || sc.Value != s.Token {
		t.Fatalf("session cookie %+v", sc)
	}
	if cc == nil || cc.HttpOnly || cc.Value != s.CSRFToken {
		t.Fatalf("csrf cookie %+v", cc)
	}
	r = e.do("GET", "/api/v1/me", s.Token, nil)
	var p hall.Principal
	r.decode(t, &p)
	if r.status != 200 || p.Subject != "counter1" || p.Role != hall.RoleCounter {
		t.Fatalf("me: %d %s", r.status, r.body)
	}
	r = e.do("GET", "/api/v1/me", kioskStudents, nil)
	r.decode(t, &p)
	if r.status != 200 || !p.Device || p.Role != hall.RoleKiosk {
		t.Fatalf("me as kiosk: %d %s", r.status, r.body)
	}
	if r = e.do("DELETE", "/api/v1/session", kioskStudents, nil); r.status != 403 {
		t.Fatalf("device logout: %d %s", r.status, r.body)
	}
	if r = e.do("DELETE", "/api/v1/session", s.Token, nil); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if r = e.do("GET", "/api/v1/me", s.Token, nil); r.status != 401 {
		t.Fatalf("me after logout: %d %s", r.status, r.body)
	}
	r.apiError(t)
	for _, body := range []any{
		map[string]string{"username": "admin", "password": "x"},
		map[string]string{"username": "nobody", "password": "demo"},
	} {
		r = e.do("POST", "/api/v1/session", "", body)
		if r.status != 401 || r.apiError(t).Code != hall.EUNAUTHORIZED {
			t.Fatalf("bad login %v: %d %s", body, r.status, r.body)
		}
	}
	if r = e.do("POST", "/api/v1/session", "", map[string]string{"username": "admin"}); r.status != 400 || r.apiError(t).Field != "password" {
		t.Fatalf("login without password: %d %s", r.status, r.body)
	}
}

func TestCookieSessionNeedsCSRF(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v1/session", "", map[string]string{"username": "counter1", "password": "demo"})
	var s wire.Session
	r.decode(t, &s)
	cookie := sessionCookie + "=" + s.Token
	before := e.snapshotServices()
	// Reads need no CSRF header.
	if r = e.do("GET", "/api/v1/me", "", nil, "Cookie", cookie); r.status != 200 {
		t.Fatalf("me by cookie: %d %s", r.status, r.body)
	}
	for _, hdr := range [][]string{
		{"Cookie", cookie},
		{"Cookie", cookie, csrfHeader, "wrong"},
		{"Cookie", cookie, csrfHeader, csrfToken("another session")},
	} {
		r = e.do("POST", "/api/v1/halls/students/tickets", "", map[string]string{"service": "A"}, hdr...)
		if r.status != 403 || r.apiError(t).Field != csrfHeader {
			t.Fatalf("issue by cookie with %v: %d %s", hdr, r.status, r.body)
		}
	}
	if after := e.snapshotServices(); after != before {
		t.Fatalf("rejected requests changed the snapshot: %s -> %s", before, after)
	}
	r = e.do("POST", "/api/v1/halls/students/tickets", "", map[string]string{"service": "A"}, "Cookie", cookie, csrfHeader, s.CSRFToken)
	if r.status != 201 {
		t.Fatalf("issue by cookie with CSRF: %d %s", r.status, r.body)
	}
	// Bearer requests need no CSRF header.
	if r = e.do("POST", "/api/v1/halls/students/tickets", s.Token, map[string]string{"service": "A"}); r.status != 201 {
		t.Fatalf("issue by bearer: %d %s", r.status, r.body)
	}
	// Logout by cookie also needs it.
	if r = e.do("DELETE", "/api/v1/session", "", nil, "Cookie", cookie); r.status != 403 {
		t.Fatalf("logout by cookie without CSRF: %d", r.status)
	}
	if r = e.do("DELETE", "/api/v1/session", "", nil, "Cookie", cookie, csrfHeader, s.CSRFToken); r.status != 204 {
		t.Fatalf("logout by cookie: %d %s", r.status, r.body)
	}
}

func TestHalls(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/halls", "", nil)
	var list struct {
		Halls []wire.Hall `json:"halls"`
	}
	r.decode(t, &list)
	if r.status != 200 || len(list.Halls) != 2 || list.Halls[0].Code != "students" || len(list.Halls[0].Services) != 2 ||
		len(list.Halls[0].Services[0].Materials) != 2 || list.Halls[0].Services[0].AvgMinutes != 5 || len(list.Halls[0].Counters) != 3 {
		t.Fatalf("halls: %d %s", r.status, r.body)
	}
	r = e.do("GET", "/api/v1/halls/teachers", "", nil)
	var h wire.Hall
	r.decode(t, &h)
	if r.status != 200 || h.Name.Zh != "教师服务中心" || h.Services[0].Materials == nil {
		t.Fatalf("hall: %d %s", r.status, r.body)
	}
	if r = e.do("GET", "/api/v1/halls/nowhere", "", nil); r.status != 404 || r.apiError(t).Code != hall.ENOTFOUND {
		t.Fatalf("unknown hall: %d %s", r.status, r.body)
	}
}

func TestIssue(t *testing.T) {
	e := newEnv(t)
	t1 := e.issue("A")
	r := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "A", "priority": false, "lang": "en", "personId": "2023123456"})
	if r.status != 201 {
		t.Fatalf("issue: %d %s", r.status, r.body)
	}
	var t2 wire.Ticket
	r.decode(t, &t2)
	if t1.Number != "A001" || t2.Number != "A002" || t1.Hall != "students" || t1.Service != "A" || t1.State != hall.TicketWaiting {
		t.Fatalf("tickets %+v %+v", t1, t2)
	}
	if t1.Token == "" || t1.FollowURL != e.ts.URL+"/t/"+t1.Token || t1.ID == "" || t1.IssuedAt.IsZero() {
		t.Fatalf("ticket %+v", t1)
	}
	if *t1.Position != 0 || *t2.Position != 1 || t1.EtaSeconds == nil || len(t1.Materials) != 2 || t1.Materials[0].Zh != "学生证" {
		t.Fatalf("position/eta/materials %+v %+v", t1, t2)
	}
	if strings.Contains(string(r.body), "2023123456") || t2.PersonID != "20******56" || t2.Lang != "en" {
		t.Fatalf("person ID not masked: %s", r.body)
	}
	// The raw answer has the contract's fields, flat.
	var raw map[string]any
	r.decode(t, &raw)
	for _, k := range []string{"id", "number", "hall", "service", "token", "followUrl", "position", "etaSeconds", "materials", "issuedAt", "priority", "state"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("issue answer lacks %q: %s", k, r.body)
		}
	}
	// Idempotency: the same key gives the same ticket.
	var a, b wire.Ticket
	e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "B"}, "Idempotency-Key", "tap-1").decode(t, &a)
	e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "B"}, "Idempotency-Key", "tap-1").decode(t, &b)
	if a.Number != "B001" || b.Number != a.Number || b.ID != a.ID {
		t.Fatalf("idempotent issue: %+v then %+v", a, b)
	}
	// Staff allowed in the hall may issue; admins too.
	if r = e.do("POST", "/api/v1/halls/students/tickets", e.login("counter1"), map[string]any{"service": "B"}); r.status != 201 {
		t.Fatalf("issue by counter staff: %d %s", r.status, r.body)
	}
	if r = e.do("POST", "/api/v1/halls/teachers/tickets", e.login("counter1"), map[string]any{"service": "J"}); r.status != 403 {
		t.Fatalf("issue by counter staff of another hall: %d %s", r.status, r.body)
	}
	if r = e.do("POST", "/api/v1/halls/teachers/tickets", kioskTeachers, map[string]any{"service": "J"}); r.status != 201 {
		t.Fatalf("issue in teachers: %d %s", r.status, r.body)
	}
}

// TestRejected sends the requests barstool's authz check sends, and more: each gets the right
// status with a JSON error, and none changes the queue.
func TestRejected(t *testing.T) {
	e := newEnv(t)
	e.issue("A")
	staff := e.login("counter1")
	before := e.snapshotServices()
	big := `{"service":"A","lang":"` + strings.Repeat("x", maxBody) + `"}`
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code, field               string
	}{
		{"issue without token", "POST", "/api/v1/halls/students/tickets", "", map[string]any{"service": "A"}, 401, hall.EUNAUTHORIZED, ""},
		{"issue with bad token", "POST", "/api/v1/halls/students/tickets", "nope", map[string]any{"service": "A"}, 401, hall.EUNAUTHORIZED, ""},
		{"issue with other hall's kiosk", "POST", "/api/v1/halls/students/tickets", kioskTeachers, map[string]any{"service": "A"}, 403, hall.EFORBIDDEN, ""},
		{"issue with display", "POST", "/api/v1/halls/students/tickets", displayStudents, map[string]any{"service": "A"}, 403, hall.EFORBIDDEN, ""},
		{"issue unknown service", "POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "ZZ"}, 422, hall.EUNPROCESSABLE, "service"},
		{"issue no service", "POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{}, 400, hall.EINVALID, "service"},
		{"issue malformed JSON", "POST", "/api/v1/halls/students/tickets", kioskStudents, `{"service":`, 400, hall.EINVALID, ""},
		{"issue syntax error", "POST", "/api/v1/halls/students/tickets", kioskStudents, `{"service" "A"}`, 400, hall.EINVALID, ""},
		{"issue empty body", "POST", "/api/v1/halls/students/tickets", kioskStudents, "", 400, hall.EINVALID, ""},
		{"issue unknown field", "POST", "/api/v1/halls/students/tickets", kioskStudents, `{"service":"A","vip":true}`, 400, hall.EINVALID, "vip"},
		{"issue wrong type", "POST", "/api/v1/halls/students/tickets", kioskStudents, `{"service":"A","priority":"yes"}`, 400, hall.EINVALID, "priority"},
		{"issue two objects", "POST", "/api/v1/halls/students/tickets", kioskStudents, `{"service":"A"}{"service":"A"}`, 400, hall.EINVALID, ""},
		{"issue array", "POST", "/api/v1/halls/students/tickets", kioskStudents, `[1]`, 400, hall.EINVALID, ""},
		{"issue too large", "POST", "/api/v1/halls/students/tickets", kioskStudents, big, 413, ETOOLARGE, ""},
		{"issue unknown hall", "POST", "/api/v1/halls/nowhere/tickets", kioskStudents, map[string]any{"service": "A"}, 404, hall.ENOTFOUND, "hall"},
		{"counter action with kiosk token", "POST", "/api/v1/halls/students/counters/1/call-next", kioskStudents, nil, 403, hall.EFORBIDDEN, ""},
		{"counter action with display token", "POST", "/api/v1/halls/students/counters/1/open", displayStudents, nil, 403, hall.EFORBIDDEN, ""},
		{"counter action without token", "POST", "/api/v1/halls/students/counters/1/call-next", "", nil, 401, hall.EUNAUTHORIZED, ""},
		{"counter action unknown counter", "POST", "/api/v1/halls/students/counters/9/call-next", staff, nil, 404, hall.ENOTFOUND, "counter"},
		{"counter action bad counter", "POST", "/api/v1/halls/students/counters/x/call-next", staff, nil, 404, hall.ENOTFOUND, "counter"},
		{"counter action unknown action", "POST", "/api/v1/halls/students/counters/1/dance", staff, nil, 404, hall.ENOTFOUND, "action"},
		{"counter action bad outcome", "POST", "/api/v1/halls/students/counters/1/finish", staff, map[string]any{"outcome": "meh"}, 400, hall.EINVALID, "outcome"},
		{"counter action unknown field", "POST", "/api/v1/halls/students/counters/1/call", staff, map[string]any{"tiket": "A001"}, 400, hall.EINVALID, "tiket"},
		{"counter staff of another hall", "POST", "/api/v1/halls/teachers/counters/1/open", staff, nil, 403, hall.EFORBIDDEN, ""},
		{"waiting with kiosk", "GET", "/api/v1/halls/students/waiting", kioskStudents, nil, 403, hall.EFORBIDDEN, ""},
		{"waiting without token", "GET", "/api/v1/halls/students/waiting", "", nil, 401, hall.EUNAUTHORIZED, ""},
		{"follow unknown token", "GET", "/api/v1/follow/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", nil, 404, hall.ENOTFOUND, "token"},
		{"cancel unknown token", "POST", "/api/v1/follow/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/cancel", "", nil, 404, hall.ENOTFOUND, ""},
		{"login wrong password", "POST", "/api/v1/session", "", map[string]string{"username": "admin", "password": "x"}, 401, hall.EUNAUTHORIZED, ""},
		{"snapshot unknown hall", "GET", "/api/v1/halls/nowhere/snapshot", "", nil, 404, hall.ENOTFOUND, "hall"},
		{"stream without upgrade", "GET", "/api/v1/halls/students/stream", "", nil, 400, hall.EINVALID, ""},
		{"stream bad since", "GET", "/api/v1/halls/students/stream?since=x", "", nil, 400, hall.EINVALID, "since"},
		{"unknown route", "GET", "/api/v1/nothing", "", nil, 404, hall.ENOTFOUND, ""},
		{"wrong method", "PUT", "/api/v1/halls/students/tickets", kioskStudents, nil, 405, hall.EINVALID, ""},
		{"malformed authorization", "POST", "/api/v1/halls/students/tickets", "", map[string]any{"service": "A"}, 401, hall.EUNAUTHORIZED, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r response
			if c.name == "malformed authorization" {
				r = e.do(c.method, c.path, "", c.body, "Authorization", "Basic YWRtaW46ZGVtbw==")
			} else {
				r = e.do(c.method, c.path, c.token, c.body)
			}
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			er := r.apiError(t)
			if er.Code != c.code || (c.field != "" && er.Field != c.field) {
				t.Fatalf("error %+v, want code %q field %q", er, c.code, c.field)
			}
		})
	}
	if after := e.snapshotServices(); after != before {
		t.Fatalf("rejected requests changed the snapshot: %s -> %s", before, after)
	}
	var w struct {
		Tickets []wire.Ticket `json:"tickets"`
	}
	e.do("GET", "/api/v1/halls/students/waiting", staff, nil).decode(t, &w)
	if len(w.Tickets) != 1 {
		t.Fatalf("waiting after rejected requests: %+v", w)
	}
}

func TestCounterFlow(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	a1 := e.issue("A")
	r := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "B", "personId": "T1234567"})
	var b1 wire.Ticket
	r.decode(t, &b1)

	var w struct {
		Tickets []wire.Ticket `json:"tickets"`
	}
	r = e.do("GET", "/api/v1/halls/students/waiting", staff, nil)
	r.decode(t, &w)
	if r.status != 200 || len(w.Tickets) != 2 || w.Tickets[0].Number != "A001" || w.Tickets[1].PersonID != "T1****67" || strings.Contains(string(r.body), "T1234567") {
		t.Fatalf("waiting: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), a1.Token) {
		t.Fatalf("waiting list shows follow tokens: %s", r.body)
	}

	var cr struct {
		Counter hall.CounterStatus `json:"counter"`
	}
	e.act(staff, 1, "open", nil, 200).decode(t, &cr)
	if cr.Counter.Number != 1 || cr.Counter.State != hall.CounterOpen {
		t.Fatalf("open: %+v", cr)
	}
	var got wire.Ticket
	e.act(staff, 1, "call-next", nil, 200).decode(t, &got)
	if got.Number != "A001" || got.State != hall.TicketCalled || got.Counter != 1 {
		t.Fatalf("call-next: %+v", got)
	}
	e.act(staff, 1, "recall", nil, 200)
	e.act(staff, 1, "start", nil, 200).decode(t, &got)
	if got.State != hall.TicketServing {
		t.Fatalf("start: %+v", got)
	}
	e.act(staff, 1, "finish", map[string]any{"outcome": "resolved"}, 200).decode(t, &got)
	if got.State != hall.TicketDone || got.Outcome != hall.OutcomeResolved {
		t.Fatalf("finish: %+v", got)
	}
	// An empty JSON body is fine too.
	e.act(staff, 1, "call-next", "{}", 200).decode(t, &got)
	if got.Number != "B001" {
		t.Fatalf("second call-next: %+v", got)
	}
	e.act(staff, 1, "no-show", nil, 200)
	r = e.act(staff, 1, "call-next", nil, 204)
	if len(r.body) != 0 {
		t.Fatalf("204 with a body: %s", r.body)
	}
	// Admins work any hall's counters.
	e.act(e.login("admin"), 2, "open", nil, 200)
	e.act(staff, 1, "pause", nil, 200).decode(t, &cr)
	if cr.Counter.State != hall.CounterPaused {
		t.Fatalf("pause: %+v", cr)
	}
	// A conflict (nothing to start) is a 409 with a JSON error.
	r = e.do("POST", "/api/v1/halls/students/counters/1/start", staff, nil)
	if r.status < 400 || r.status >= 500 {
		t.Fatalf("start with nothing called: %d %s", r.status, r.body)
	}
	r.apiError(t)
	e.act(staff, 1, "close", nil, 200).decode(t, &cr)
	if cr.Counter.State != hall.CounterClosed {
		t.Fatalf("close: %+v", cr)
	}
	r = e.do("GET", "/metrics", metricsToken, nil)
	if !strings.Contains(string(r.body), `onedoor_desk_actions_total{action="call-next",hall="students"} 3`) {
		t.Fatalf("counter action metrics missing")
	}
}

func TestFollow(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	t1 := e.issue("A")
	t2 := e.issue("A")
	r := e.do("GET", "/api/v1/follow/"+t2.Token, "", nil)
	var f wire.Follow
	r.decode(t, &f)
	if r.status != 200 || f.Number != "A002" || f.State != hall.TicketWaiting || f.Position != 1 || f.Hall != "students" ||
		f.HallName.Zh != "学生事务大厅" || f.Service != "A" || f.ServiceName.En != "Enrolment & transcripts" || len(f.Materials) != 2 || f.IssuedAt.IsZero() {
		t.Fatalf("follow: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), `"token"`) {
		t.Fatalf("follow answer repeats the token: %s", r.body)
	}
	e.act(staff, 1, "open", nil, 200)
	e.act(staff, 1, "call-next", nil, 200)
	e.do("GET", "/api/v1/follow/"+t1.Token, "", nil).decode(t, &f)
	if f.State != hall.TicketCalled || f.Counter != 1 || f.CalledAt == nil {
		t.Fatalf("follow after call: %+v", f)
	}

	// The page shows the number, in a page with the security headers.
	r = e.do("GET", "/t/"+t2.Token, "", nil)
	page := string(r.body)
	if r.status != 200 || !strings.Contains(page, "A002") || !strings.Contains(page, "学生证") || !strings.Contains(page, `lang="zh-CN"`) {
		t.Fatalf("page: %d %s", r.status, page)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("headers %v", r.header)
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "style=") {
		t.Fatalf("inline script or style would break the CSP")
	}
	for _, asset := range []string{"/assets/follow.js", "/assets/follow.css"} {
		if r = e.do("GET", asset, "", nil); r.status != 200 {
			t.Fatalf("%s: %d", asset, r.status)
		}
	}
	if r = e.do("GET", "/assets/nothing.js", "", nil); r.status != 404 {
		t.Fatalf("missing asset: %d", r.status)
	}
	r = e.do("GET", "/t/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", nil)
	if r.status != 404 || !strings.Contains(string(r.body), "未找到") {
		t.Fatalf("unknown page: %d %s", r.status, r.body)
	}
	// A hostile token is escaped, never echoed raw.
	r = e.do("GET", "/t/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "", nil)
	if r.status != 404 || strings.Contains(string(r.body), "<script>alert") {
		t.Fatalf("hostile token: %d %s", r.status, r.body)
	}

	// The holder leaves.
	r = e.do("POST", "/api/v1/follow/"+t2.Token+"/cancel", "", nil)
	r.decode(t, &f)
	if r.status != 200 || f.State != hall.TicketCancelled || f.Number != "A002" {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	var snap hall.Snapshot
	e.do("GET", "/api/v1/halls/students/snapshot", "", nil).decode(t, &snap)
	if snap.Services[0].Waiting != 0 {
		t.Fatalf("cancelled ticket still waiting: %+v", snap.Services)
	}
	if r = e.do("POST", "/api/v1/follow/"+t2.Token+"/cancel", "", nil); r.status != 409 && r.status != 404 {
		t.Fatalf("cancel twice: %d %s", r.status, r.body)
	}
}

func TestSnapshot(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "A", "personId": "2023123456"})
	e.act(staff, 1, "open", nil, 200)
	e.act(staff, 1, "call-next", nil, 200)
	e.issue("B")
	r := e.do("GET", "/api/v1/halls/students/snapshot", "", nil)
	var snap hall.Snapshot
	r.decode(t, &snap)
	if r.status != 200 || snap.Seq == 0 || len(snap.Services) != 2 || snap.Services[1].Waiting != 1 || len(snap.Counters) != 3 ||
		snap.Counters[0].Current == nil || snap.Counters[0].Current.Number != "A001" || len(snap.RecentCalls) != 1 {
		t.Fatalf("snapshot: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "2023123456") || strings.Contains(string(r.body), "personId") {
		t.Fatalf("snapshot has personal data: %s", r.body)
	}
	var raw map[string]json.RawMessage
	r.decode(t, &raw)
	for _, k := range []string{"seq", "services", "counters", "recentCalls"} {
		if raw[k] == nil {
			t.Errorf("snapshot lacks %q", k)
		}
	}
}

func TestConcurrentCallNext(t *testing.T) {
	e := newEnv(t)
	staff := e.login("admin")
	for n := 1; n <= 2; n++ {
		e.act(staff, n, "open", nil, 200)
	}
	for i := 0; i < 10; i++ {
		e.issue("A")
	}
	type res struct {
		status int
		num    string
	}
	out := make(chan res, 20)
	for i := 0; i < 20; i++ {
		go func(n int) {
			req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/halls/students/counters/"+itoa(n)+"/call-next", nil)
			req.Header.Set("Authorization", "Bearer "+staff)
			resp, err := e.ts.Client().Do(req)
			if err != nil {
				out <- res{0, err.Error()}
				return
			}
			defer resp.Body.Close()
			var tj wire.Ticket
			json.NewDecoder(resp.Body).Decode(&tj)
			out <- res{resp.StatusCode, tj.Number}
		}(i%2 + 1)
	}
	seen := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for i := 0; i < 20; i++ {
		select {
		// A counter that already has a called ticket answers 409: each counter gets at most one.
		case r := <-out:
			if r.status == 200 {
				if seen[r.num] {
					t.Fatalf("%s called twice", r.num)
				}
				seen[r.num] = true
			} else if r.status != 204 && r.status != 409 {
				t.Fatalf("call-next status %d %s", r.status, r.num)
			}
		case <-deadline:
			t.Fatal("timeout")
		}
	}
}
