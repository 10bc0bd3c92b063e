package http

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// dialWith opens a stream at path with a bearer token and reads its first message.
func (e *env) dialWith(path, token string) *websocket.Conn {
	e.t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.ts.URL, "http")+path, h)
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		e.t.Fatalf("dial %s: %v (%d)", path, err, code)
	}
	e.t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); err != nil {
		e.t.Fatalf("first message of %s: %v", path, err)
	}
	return c
}

// closedWith reads until the stream ends and returns its close code (0: it did not close
// within 5 s).
func closedWith(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("stream did not close with a close frame: %v", err)
	}
}

// loginStatus signs in and returns the status.
func (e *env) loginStatus(user, pw string) int {
	e.t.Helper()
	return e.do("POST", "/api/v1/session", "", map[string]string{"username": user, "password": pw}).status
}

func (e *env) staffList(admin string) map[string]wire.StaffMember {
	e.t.Helper()
	r := e.do("GET", "/api/v1/admin/staff", admin, nil)
	if r.status != 200 {
		e.t.Fatalf("staff list: %d %s", r.status, r.body)
	}
	var l wire.StaffList
	r.decode(e.t, &l)
	out := map[string]wire.StaffMember{}
	for _, s := range l.Staff {
		out[s.Username] = s
	}
	return out
}

// TestAdminStaffDisableEndsSessionsAndStreams: an admin adds a counter clerk, who signs in and
// watches the hall stream; disabling the account gives the clerk's token 401 on GET
// /api/v1/me at once, closes the stream (1008) and refuses the next sign-in (401). Enabling it
// again lets the clerk sign in, with a new session only.
func TestAdminStaffDisableEndsSessionsAndStreams(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	r := e.do("POST", "/api/v1/admin/staff", admin, map[string]any{"username": "clerk", "password": "correct horse", "role": "counter", "halls": []string{"students"}})
	if r.status != 201 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	if bytes.Contains(bytes.ToLower(r.body), []byte("password")) {
		t.Fatalf("the answer shows the password: %s", r.body)
	}
	var m wire.StaffMember
	r.decode(t, &m)
	if m.Username != "clerk" || m.Role != hall.RoleCounter || len(m.Halls) != 1 || m.Disabled {
		t.Fatalf("added %+v", m)
	}
	if r := e.do("POST", "/api/v1/admin/staff", admin, map[string]any{"username": "clerk", "password": "another one", "role": "counter"}); r.status != 409 {
		t.Fatalf("add twice: %d %s", r.status, r.body)
	}
	tok := e.loginAs("clerk", "correct horse")
	if r := e.do("GET", "/api/v1/me", tok, nil); r.status != 200 {
		t.Fatalf("me: %d", r.status)
	}
	e.act(tok, 1, "open", nil, 200)
	stream := e.dialWith("/api/v1/halls/students/stream", tok)

	r = e.do("PATCH", "/api/v1/admin/staff/clerk", admin, map[string]any{"disabled": true})
	if r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/me", tok, nil); r.status != 401 {
		t.Fatalf("me after disable: %d %s", r.status, r.body)
	}
	if code := closedWith(t, stream); code != websocket.ClosePolicyViolation {
		t.Fatalf("stream closed with %d", code)
	}
	if st := e.loginStatus("clerk", "correct horse"); st != 401 && st != 403 {
		t.Fatalf("sign-in of a disabled account: %d", st)
	}
	if r := e.do("POST", "/api/v1/halls/students/counters/1/call-next", tok, nil); r.status != 401 {
		t.Fatalf("counter action after disable: %d", r.status)
	}
	if !e.staffList(admin)["clerk"].Disabled {
		t.Fatal("the list does not show the account disabled")
	}
	// Enabled again: the old session stays gone, a new sign-in works.
	if r := e.do("PATCH", "/api/v1/admin/staff/clerk", admin, map[string]any{"disabled": false}); r.status != 200 {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/me", tok, nil); r.status != 401 {
		t.Fatalf("old session after enable: %d", r.status)
	}
	e.loginAs("clerk", "correct horse")
}

// loginAs signs in with a password and returns the token.
func (e *env) loginAs(user, pw string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/session", "", map[string]string{"username": user, "password": pw})
	if r.status != 200 {
		e.t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
	var s wire.Session
	r.decode(e.t, &s)
	return s.Token
}

// TestAdminStaffPatchRefusals: unknown fields, wrong types and bad values are 400 naming the
// field and change nothing; a counter clerk gets 403, a kiosk 403, no token 401.
func TestAdminStaffPatchRefusals(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	clerk := e.login("counter1")
	before := e.staffList(admin)
	for _, c := range []struct {
		body  string
		field string
	}{
		{`{"disabled": true, "colour": "red"}`, "colour"},
		{`{"disabled": "yes"}`, "disabled"},
		{`{"halls": "students"}`, "halls"},
		{`{"role": "kiosk"}`, "role"},
		{`{"halls": ["nowhere"]}`, "halls[0]"},
		{`{"password": "short"}`, "password"},
		{`{"departments": ["a", "b"]}`, "departments"},
		{`{"assignments": [{"hall": "teachers", "counters": [9], "from": "2027-01-04", "until": "2027-01-15"}]}`, "assignments[0].counters[0]"},
		{`{"assignments": [{"hall": "teachers", "counters": [1], "from": "2027-01-15", "until": "2027-01-04"}]}`, "assignments[0].until"},
		{`{"assignments": [{"hall": "teachers", "counters": [1], "from": "4 Jan", "until": "2027-01-04"}]}`, "assignments[0].from"},
	} {
		r := e.do("PATCH", "/api/v1/admin/staff/counter1", admin, c.body)
		if r.status != 400 || r.apiError(t).Field != c.field {
			t.Errorf("%s: %d %s, want 400 naming %s", c.body, r.status, r.body, c.field)
		}
	}
	if r := e.do("PATCH", "/api/v1/admin/staff/nobody", admin, map[string]any{"disabled": true}); r.status != 404 {
		t.Errorf("unknown account: %d", r.status)
	}
	for _, c := range []struct {
		token string
		want  int
	}{{clerk, 403}, {kioskStudents, 403}, {"", 401}} {
		for _, rq := range []struct{ method, path string }{
			{"GET", "/api/v1/admin/staff"}, {"POST", "/api/v1/admin/staff"}, {"PATCH", "/api/v1/admin/staff/counter1"},
			{"GET", "/api/v1/admin/devices"}, {"POST", "/api/v1/admin/devices"}, {"DELETE", "/api/v1/admin/devices/x"},
			{"GET", "/api/v1/admin/audit"},
		} {
			if r := e.do(rq.method, rq.path, c.token, `{"disabled": true}`); r.status != c.want {
				t.Errorf("%s %s with %q: %d, want %d", rq.method, rq.path, c.token, r.status, c.want)
			}
		}
	}
	if r := e.do("POST", "/api/v1/admin/staff", admin, map[string]any{"username": "x y", "password": "long enough", "role": "counter"}); r.status != 400 || r.apiError(t).Field != "username" {
		t.Errorf("bad username: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/admin/staff", admin, map[string]any{"username": "h", "password": "long enough", "role": "handler"}); r.status != 400 || r.apiError(t).Field != "departments" {
		t.Errorf("handler without department: %d %s", r.status, r.body)
	}
	if r := e.do("PATCH", "/api/v1/admin/staff/admin", admin, map[string]any{"disabled": true}); r.status != 409 {
		t.Errorf("self-disable: %d %s", r.status, r.body)
	}
	after := e.staffList(admin)
	if len(after) != len(before) || after["counter1"].Disabled || after["counter1"].Role != hall.RoleCounter || len(after["counter1"].Halls) != 1 {
		t.Fatalf("a refused request changed something: %+v → %+v", before, after)
	}
	if r := e.do("GET", "/api/v1/me", clerk, nil); r.status != 200 {
		t.Fatalf("clerk signed out by a refused request: %d", r.status)
	}
}

// TestAdminPasswordReset: a reset ends the account's sessions; the new password works, the old
// one does not.
func TestAdminPasswordReset(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	old := e.login("counter1")
	if r := e.do("PATCH", "/api/v1/admin/staff/counter1", admin, map[string]any{"password": "new secret 1"}); r.status != 200 {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/me", old, nil); r.status != 401 {
		t.Fatalf("old session after reset: %d", r.status)
	}
	if st := e.loginStatus("counter1", "demo"); st != 401 {
		t.Fatalf("old password: %d", st)
	}
	e.loginAs("counter1", "new secret 1")
}

// TestAdminDevices: enrolling returns the token once; it works, the list shows the device
// without it; revoking gives the token 401 at once and closes the device's stream; the list
// keeps the device as revoked.
func TestAdminDevices(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	r := e.do("POST", "/api/v1/admin/devices", admin, map[string]any{"role": "kiosk", "hall": "students", "name": "东门 1"})
	if r.status != 201 {
		t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	var d wire.EnrolledDevice
	r.decode(t, &d)
	if d.ID == "" || len(d.Token) < 40 || d.Hall != "students" || d.Role != hall.RoleKiosk || d.Name != "东门 1" || d.Revoked {
		t.Fatalf("enrolled %+v", d)
	}
	if r := e.do("POST", "/api/v1/halls/students/tickets", d.Token, map[string]any{"service": "A"}); r.status != 201 {
		t.Fatalf("issue with the new token: %d %s", r.status, r.body)
	}
	stream := e.dialWith("/api/v1/halls/students/stream", d.Token)
	// The admin list carries what the hall knows of the device: its version and printer, and the
	// alert a printer out of paper raises.
	if r := e.do("POST", "/api/v1/halls/students/devices/heartbeat", d.Token, map[string]any{"version": "9.9.9", "printer": "paper_out"}); r.status != 200 {
		t.Fatalf("heartbeat: %d %s", r.status, r.body)
	}
	list := e.do("GET", "/api/v1/admin/devices", admin, nil)
	if list.status != 200 || bytes.Contains(list.body, []byte(d.Token)) || !bytes.Contains(list.body, []byte(d.ID)) {
		t.Fatalf("list: %d %s", list.status, list.body)
	}
	var withHealth wire.DeviceList
	list.decode(t, &withHealth)
	healthOf := func(l wire.DeviceList, id string) *hall.DeviceHealth {
		for _, x := range l.Devices {
			if x.ID == id {
				return x.Health
			}
		}
		return nil
	}
	if h := healthOf(withHealth, d.ID); h == nil || h.Version != "9.9.9" || h.Printer != "paper_out" || len(h.Alerts) != 1 || h.LastSeen == nil {
		t.Fatalf("health in the admin list: %+v", h)
	}
	for _, c := range []struct{ body, field string }{
		{`{"role": "counter", "hall": "students"}`, "role"},
		{`{"role": "kiosk", "hall": "nowhere"}`, "hall"},
		{`{"role": "kiosk", "hall": "students", "token": "mine"}`, "token"},
		{`{"role": "kiosk", "hall": 3}`, "hall"},
	} {
		if r := e.do("POST", "/api/v1/admin/devices", admin, c.body); r.status != 400 || r.apiError(t).Field != c.field {
			t.Errorf("%s: %d %s", c.body, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/api/v1/admin/devices/"+url.PathEscape(d.ID), admin, nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/halls/students/tickets", d.Token, map[string]any{"service": "A"}); r.status != 401 {
		t.Fatalf("revoked token: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/me", d.Token, nil); r.status != 401 {
		t.Fatalf("revoked token on /me: %d", r.status)
	}
	if code := closedWith(t, stream); code != websocket.ClosePolicyViolation {
		t.Fatalf("stream closed with %d", code)
	}
	if r := e.do("DELETE", "/api/v1/admin/devices/"+url.PathEscape(d.ID), admin, nil); r.status != 404 {
		t.Fatalf("revoke twice: %d", r.status)
	}
	var l wire.DeviceList
	e.do("GET", "/api/v1/admin/devices", admin, nil).decode(t, &l)
	found := false
	for _, x := range l.Devices {
		if x.ID == d.ID {
			found = x.Revoked && x.RevokedAt != nil
		}
	}
	if !found {
		t.Fatalf("the revoked device is not listed as revoked: %+v", l.Devices)
	}
	// Revoked, it leaves the hall's health (a revoked kiosk is never reported silent).
	if h := healthOf(l, d.ID); h != nil {
		t.Fatalf("revoked device still has health %+v", h)
	}
	var hd wire.HallDevices
	e.do("GET", "/api/v1/halls/students/devices", admin, nil).decode(t, &hd)
	for _, x := range hd.Devices {
		if x.Device == d.ID {
			t.Fatalf("revoked device still in the hall's health: %+v", x)
		}
	}
}

// TestSeasonalCounterAssignment: a finance handler assigned to counter 1 of the teachers' hall
// from 2027-01-04 to 2027-01-15 (campus zone) may work that counter in that range only, and
// no counter of another hall; the counter staff's rights are unchanged.
func TestSeasonalCounterAssignment(t *testing.T) {
	loc, _ := time.LoadLocation(hall.DefaultTimeZone)
	now := time.Date(2027, 1, 4, 0, 30, 0, 0, loc) // 16:30 UTC on the 3rd: already the 4th on campus
	e := newEnv(t, withConfig(func(c *Config) { c.Now = func() time.Time { return now } }))
	admin := e.login("admin")
	r := e.do("POST", "/api/v1/admin/staff", admin, map[string]any{"username": "fin1", "password": "finance 2027", "role": "handler",
		"departments": []string{"finance"}, "assignments": []map[string]any{{"hall": "teachers", "counters": []int{1}, "from": "2027-01-04", "until": "2027-01-15"}}})
	if r.status != 201 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	tok := e.loginAs("fin1", "finance 2027")
	at := func(h string, n int) int {
		return e.do("POST", "/api/v1/halls/"+h+"/counters/"+itoa(n)+"/open", tok, nil).status
	}
	if st := at("teachers", 1); st != 200 {
		t.Fatalf("assigned counter on the first day: %d", st)
	}
	if st := e.do("GET", "/api/v1/halls/teachers/waiting", tok, nil).status; st != 200 {
		t.Fatalf("waiting list of the assigned hall: %d", st)
	}
	if st := at("students", 1); st != 403 {
		t.Fatalf("another hall's counter: %d", st)
	}
	if st := e.do("GET", "/api/v1/halls/students/waiting", tok, nil).status; st != 403 {
		t.Fatalf("another hall's waiting list: %d", st)
	}
	now = time.Date(2027, 1, 16, 0, 30, 0, 0, loc)
	if st := at("teachers", 1); st != 403 {
		t.Fatalf("after the range: %d", st)
	}
	now = time.Date(2027, 1, 3, 23, 59, 0, 0, loc)
	if st := at("teachers", 1); st != 403 {
		t.Fatalf("before the range: %d", st)
	}
	// Counter staff keep their own hall, and get nothing from someone else's assignment.
	if st := e.do("POST", "/api/v1/halls/teachers/counters/1/open", e.login("counter1"), nil).status; st != 403 {
		t.Fatalf("students' clerk at the teachers' counter: %d", st)
	}
}

// TestCounterConsoleSeasonalAssignment: a finance handler assigned to counter 1 of the
// teachers' centre for a range that includes today signs in at /counter, is offered that hall
// and that counter only, and works it (the console goes live and opens the counter).
func TestCounterConsoleSeasonalAssignment(t *testing.T) {
	e := newEnv(t)
	loc, _ := time.LoadLocation(hall.DefaultTimeZone)
	today := time.Now().In(loc)
	st := hall.Staff{Username: "fin1", Role: hall.RoleHandler, Department: "finance", Assignments: []hall.CounterAssignment{
		{Hall: "teachers", Counters: []int{1}, From: today.AddDate(0, 0, -1).Format(time.DateOnly), Until: today.AddDate(0, 0, 1).Format(time.DateOnly)}}}
	if err := e.auth.CreateStaff(context.Background(), st, "demo"); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, 1280, 900)
	run(t, ctx, "open console", chromedp.Navigate(e.ts.URL+"/counter"))
	must(t, ctx, "sign-in form", `window.onedoorCounter && !document.getElementById("login").hidden`, 5*time.Second)
	signInForm(t, ctx, "fin1")
	must(t, ctx, "pick screen", `!document.getElementById("pick").hidden`, 5*time.Second)
	if got := evalString(t, ctx, `Array.from(document.querySelectorAll("#pick-hall option")).map(o => o.value).join(",") + "|" + Array.from(document.querySelectorAll("#pick-counter option")).map(o => o.value).join(",")`); got != "teachers|1" {
		t.Fatalf("offered %q, want the assigned hall and counter only (teachers|1)", got)
	}
	run(t, ctx, "enter counter", chromedp.Click(chromedp.CSS("#pick-btn")))
	must(t, ctx, "console live", `!document.getElementById("console").hidden && onedoorCounter.live() && onedoorCounter.state() !== ""`, 5*time.Second)
}
