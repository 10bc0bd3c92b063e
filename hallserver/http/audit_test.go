package http

import (
	"context"
	"net/url"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// auditPage reads one page of the audit trail with the query q.
func (e *env) auditPage(token string, q url.Values) wire.AuditList {
	e.t.Helper()
	r := e.do("GET", "/api/v1/admin/audit?"+q.Encode(), token, nil)
	if r.status != 200 {
		e.t.Fatalf("audit %s: %d %s", q.Encode(), r.status, r.body)
	}
	var l wire.AuditList
	r.decode(e.t, &l)
	return l
}

// has reports whether the list holds an entry of kind by actor on target.
func has(l []hall.AuditEntry, kind, actor, target string) bool {
	for _, e := range l {
		if e.Kind == kind && e.Actor == actor && (target == "" || e.Target == target) {
			return true
		}
	}
	return false
}

// TestAuditTrail: a failed and a successful sign-in, a staff change, a device enrolment, a
// counter action (read from the hall's event log, with the clerk as actor) and a backup are
// all in the trail, newest first; filters by actor and kind family work; paging with limit 1
// returns the same entries as one page; non-admins get 403, bad parameters 400.
func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	if st := e.loginStatus("counter1", "wrong password"); st != 401 {
		t.Fatalf("bad sign-in: %d", st)
	}
	admin := e.login("admin")
	clerk := e.login("counter1")
	e.issue("A")
	e.act(clerk, 1, "open", nil, 200)
	called := e.act(clerk, 1, "call-next", nil, 200)
	var tk wire.Ticket
	called.decode(t, &tk)
	if r := e.do("PATCH", "/api/v1/admin/staff/counter1", admin, map[string]any{"name": "窗口一"}); r.status != 200 {
		t.Fatalf("patch: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/admin/devices", admin, map[string]any{"role": "display", "hall": "students"}); r.status != 201 {
		t.Fatalf("enrol: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/admin/backup", admin, nil); r.status != 200 {
		t.Fatalf("backup: %d", r.status)
	}
	all := e.auditPage(admin, url.Values{"limit": {"500"}})
	for _, w := range []struct{ kind, actor, target string }{
		{hall.AuditLoginFailed, "counter1", "counter1"},
		{hall.AuditLogin, "admin", "admin"},
		{hall.AuditLogin, "counter1", "counter1"},
		{hall.AuditStaffUpdated, "admin", "counter1"},
		{hall.AuditDeviceAdded, "admin", ""},
		{hall.AuditBackup, "admin", ""},
		{string(hall.EventCalled), "counter1", tk.ID},
		{string(hall.EventCounter), "counter1", "students/counter/1"},
	} {
		if !has(all.Entries, w.kind, w.actor, w.target) {
			t.Errorf("no %s by %s on %q in %+v", w.kind, w.actor, w.target, all.Entries)
		}
	}
	if has(all.Entries, string(hall.EventIssued), "kiosk", "") {
		t.Error("a ticket issued at the kiosk is listed as a staff act")
	}
	for i := 1; i < len(all.Entries); i++ {
		if all.Entries[i].At.After(all.Entries[i-1].At) {
			t.Fatalf("not newest first at %d: %+v", i, all.Entries)
		}
	}
	if all.Next != "" {
		t.Errorf("one page holds everything, yet next is %q", all.Next)
	}
	// Paging: limit 1 and the cursor give the same entries in the same order.
	var paged []hall.AuditEntry
	q := url.Values{"limit": {"1"}}
	for range 100 {
		p := e.auditPage(admin, q)
		paged = append(paged, p.Entries...)
		if p.Next == "" {
			break
		}
		q.Set("cursor", p.Next)
	}
	if len(paged) != len(all.Entries) {
		t.Fatalf("paged %d entries, one page %d", len(paged), len(all.Entries))
	}
	for i := range paged {
		if paged[i] != all.Entries[i] {
			t.Fatalf("entry %d: paged %+v, one page %+v", i, paged[i], all.Entries[i])
		}
	}
	// Filters.
	for _, en := range e.auditPage(admin, url.Values{"actor": {"counter1"}}).Entries {
		if en.Actor != "counter1" {
			t.Fatalf("actor filter let through %+v", en)
		}
	}
	fam := e.auditPage(admin, url.Values{"kind": {"session"}}).Entries
	if len(fam) != 3 || !has(fam, hall.AuditLoginFailed, "counter1", "") {
		t.Fatalf("kind family session: %+v", fam)
	}
	if l := e.auditPage(admin, url.Values{"kind": {hall.AuditLoginFailed}}).Entries; len(l) != 1 {
		t.Fatalf("kind session.login_failed: %+v", l)
	}
	if l := e.auditPage(admin, url.Values{"until": {all.Entries[len(all.Entries)-1].At.Format("2006-01-02T15:04:05.999999999Z07:00")}}).Entries; len(l) == 0 || len(l) == len(all.Entries) {
		t.Fatalf("until the oldest entry: %d of %d", len(l), len(all.Entries))
	}
	// Campus dates (the admin page's date fields): since and until the same day are that day.
	day := e.srv.now().In(e.srv.campusLoc()).Format(time.DateOnly)
	next := e.srv.now().In(e.srv.campusLoc()).AddDate(0, 0, 1).Format(time.DateOnly)
	if l := e.auditPage(admin, url.Values{"since": {day}, "until": {day}, "limit": {"500"}}).Entries; len(l) != len(all.Entries) {
		t.Fatalf("since=until=%s: %d of %d entries", day, len(l), len(all.Entries))
	}
	if l := e.auditPage(admin, url.Values{"since": {next}}).Entries; len(l) != 0 {
		t.Fatalf("since=%s (tomorrow): %d entries", next, len(l))
	}
	// Refusals.
	for _, c := range []struct {
		token, query string
		want         int
		field        string
	}{
		{clerk, "", 403, ""},
		{kioskStudents, "", 403, ""},
		{"", "", 401, ""},
		{admin, "colour=red", 400, "colour"},
		{admin, "since=yesterday", 400, "since"},
		{admin, "limit=0", 400, "limit"},
		{admin, "cursor=xyz", 400, "cursor"},
	} {
		r := e.do("GET", "/api/v1/admin/audit?"+c.query, c.token, nil)
		if r.status != c.want || (c.field != "" && r.apiError(t).Field != c.field) {
			t.Errorf("%q %s: %d %s", c.token, c.query, r.status, r.body)
		}
	}
}

// TestAuditCasesForSupervisors: a case action is in the trail with its handler as actor; a
// supervisor reads the case entries and nothing else (no sign-ins).
func TestAuditCasesForSupervisors(t *testing.T) {
	e := newCaseEnv(t)
	sup := e.login("supervisor")
	lib := e.login("h-library")
	oc := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "占座"}, "")
	e.caseAct(lib, oc.ID, "sign", nil)
	l := e.auditPage(sup, url.Values{})
	if !has(l.Entries, string(hall.CaseEvSigned), "h-library", oc.Number) {
		t.Fatalf("no case.signed by h-library on %s: %+v", oc.Number, l.Entries)
	}
	for _, en := range l.Entries {
		if en.Kind[:5] != "case." {
			t.Fatalf("a supervisor reads %+v", en)
		}
	}
	if r := e.do("GET", "/api/v1/admin/audit", lib, nil); r.status != 403 {
		t.Fatalf("handler: %d", r.status)
	}
	// The disabled handler's case stream closes too.
	c := e.dialCases("/api/v1/cases/stream", lib, 0)
	if _, ok := readCase(t, c, 5*time.Second); !ok {
		t.Fatal("no snapshot")
	}
	admin := e.login("admin")
	if r := e.do("PATCH", "/api/v1/admin/staff/h-library", admin, map[string]any{"disabled": true}); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	if code := closedWith(t, c); code != 1008 {
		t.Fatalf("case stream closed with %d", code)
	}
	if r := e.do("GET", "/api/v1/cases", lib, nil); r.status != 401 {
		t.Fatalf("disabled handler lists cases: %d", r.status)
	}
}

// TestAdminAnswersMatchOpenAPI checks the admin answers against openapi.json.
func TestAdminAnswersMatchOpenAPI(t *testing.T) {
	e := newEnv(t)
	s := loadSpec(t)
	admin := e.login("admin")
	added := e.do("POST", "/api/v1/admin/staff", admin, map[string]any{"username": "fin1", "password": "finance 2027", "role": "handler",
		"departments": []string{"finance"}, "assignments": []map[string]any{{"hall": "teachers", "counters": []int{1}, "from": "2027-01-04", "until": "2027-01-15"}}})
	dev := e.do("POST", "/api/v1/admin/devices", admin, map[string]any{"role": "kiosk", "hall": "students", "name": "东门"})
	var d wire.EnrolledDevice
	dev.decode(t, &d)
	e.do("DELETE", "/api/v1/admin/devices/"+url.PathEscape(d.ID), admin, nil)
	fin := e.loginAs("fin1", "finance 2027")
	if err := e.auth.Logout(context.Background(), "nothing"); err != nil {
		t.Fatal(err)
	}
	s.checkSamples(t, []schemaSample{
		{"add staff", added.body, "StaffMember"},
		{"patch staff", e.do("PATCH", "/api/v1/admin/staff/fin1", admin, map[string]any{"disabled": false}).body, "StaffMember"},
		{"staff list", e.do("GET", "/api/v1/admin/staff", admin, nil).body, "StaffList"},
		{"enrol", dev.body, "EnrolledDevice"},
		{"devices", e.do("GET", "/api/v1/admin/devices", admin, nil).body, "DeviceList"},
		{"audit", e.do("GET", "/api/v1/admin/audit?limit=2", admin, nil).body, "AuditList"},
		{"me with assignments", e.do("GET", "/api/v1/me", fin, nil).body, "Principal"},
		{"bad patch", e.do("PATCH", "/api/v1/admin/staff/fin1", admin, `{"x":1}`).body, "Error"},
	})
}
