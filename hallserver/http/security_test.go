package http

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// TestLoginThrottled: after five wrong passwords for one username from one address, the sixth
// attempt is refused with 429 (even with the right password) and Retry-After, while another
// TestStaffViewsHideFollowToken: the requester's follow token (which adds details and rates the
// reply) is not in the case list, the case, an action's answer or the staff case stream, so a
// department cannot rate its own reply in the requester's name.
func TestStaffViewsHideFollowToken(t *testing.T) {
	e := newCaseEnv(t)
	lib := e.login("h-library")
	sup := e.login("supervisor")
	oc := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "占座"}, "")
	c := e.dialCases("/api/v1/cases/stream", lib, 0)
	if snap, ok := readCase(t, c, 2*time.Second); !ok || strings.Contains(snap.raw, oc.Token) {
		t.Fatalf("stream snapshot has the follow token: %s", snap.raw)
	}
	for _, tok := range []string{lib, sup} {
		for _, path := range []string{"/api/v1/cases", "/api/v1/cases/" + oc.ID} {
			r := e.do("GET", path, tok, nil)
			if r.status != 200 || strings.Contains(string(r.body), oc.Token) {
				t.Fatalf("GET %s: %d has the follow token: %s", path, r.status, r.body)
			}
		}
	}
	r := e.do("POST", "/api/v1/cases/"+oc.ID+"/sign", lib, nil)
	if r.status != 200 || strings.Contains(string(r.body), oc.Token) {
		t.Fatalf("sign: %d %s", r.status, r.body)
	}
	if m, ok := readCase(t, c, 2*time.Second); !ok || strings.Contains(m.raw, oc.Token) {
		t.Fatalf("stream event has the follow token: %s", m.raw)
	}
}

// TestPublicHallViewsHideNoticeAuthor: the public snapshot and stream (displays, kiosks, anyone)
// carry the notice line without the username of the staff member who published it.
func TestPublicHallViewsHideNoticeAuthor(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	if r := e.do("POST", "/api/v1/halls/students/notices", admin, map[string]any{"text": map[string]string{"zh": "通知", "en": "Notice"}}); r.status != 201 || !strings.Contains(string(r.body), `"by":"admin"`) {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/api/v1/halls/students/snapshot", "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "通知") || strings.Contains(string(r.body), `"by"`) {
		t.Fatalf("public snapshot: %d %s", r.status, r.body)
	}
	c := e.dial("students", 0)
	if m := read(t, c, 2*time.Second); m.Type != "snapshot" || strings.Contains(string(m.raw), `"by"`) {
		t.Fatalf("stream snapshot: %s", m.raw)
	}
	if r := e.do("POST", "/api/v1/halls/students/notices", admin, map[string]any{"text": map[string]string{"zh": "二", "en": "Two"}}); r.status != 201 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	if m := read(t, c, 2*time.Second); !strings.Contains(string(m.raw), "notice.published") || strings.Contains(string(m.raw), `"by"`) {
		t.Fatalf("stream event: %s", m.raw)
	}
}

// TestLoginRefusesOtherOrigins: a login posted by another site's form (a text/plain body that
// is valid JSON) is refused, so it cannot plant the attacker's session in the victim's browser;
// the server's own pages and programs (no Origin) sign in.
func TestLoginRefusesOtherOrigins(t *testing.T) {
	e := newEnv(t)
	body := `{"username":"admin","password":"demo"}` + "\r\n"
	r := e.do("POST", "/api/v1/session", "", body, "Content-Type", "text/plain", "Origin", "https://evil.example")
	if r.status != 403 || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("cross-site login: %d %s (cookies %q)", r.status, r.body, r.header.Values("Set-Cookie"))
	}
	if r := e.do("POST", "/api/v1/session", "", body, "Origin", e.ts.URL); r.status != 200 {
		t.Fatalf("same-origin login: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/session", "", body); r.status != 200 {
		t.Fatalf("login without Origin: %d %s", r.status, r.body)
	}
}

// failingReports fails with an error whose text must stay on the server.
type failingReports struct{}

func (failingReports) Daily(context.Context, time.Time) (*hall.DailyReport, error) {
	return nil, errors.New("bolt: read /var/lib/onedoor/secret.db: input/output error")
}

func (failingReports) Series(context.Context, string, int) ([]hall.StatsPeriod, error) {
	return nil, errors.New("bolt: read /var/lib/onedoor/secret.db: input/output error")
}

// TestSupervisionPageHidesInternalErrors: a failure behind the supervision page shows a generic
// message, not the store's error text.
func TestSupervisionPageHidesInternalErrors(t *testing.T) {
	e := newCaseEnv(t)
	e.srv.cfg.Reports = failingReports{}
	r := e.do("GET", "/supervision", e.login("supervisor"), nil)
	if strings.Contains(string(r.body), "secret.db") || !strings.Contains(string(r.body), "internal error") {
		t.Fatalf("page: %d %s", r.status, r.body)
	}
}

// TestCaseTicketOfAnotherHall: a kiosk (or counter) cannot attach a request to a ticket of
// another hall; the kiosk of the ticket's own hall can.
func TestCaseTicketOfAnotherHall(t *testing.T) {
	e := newCaseEnv(t)
	tk := e.issue("A") // a students ticket
	r := e.do("POST", "/api/v1/cases", kioskTeachers, map[string]any{"kind": "complaint", "text": "别的大厅", "ticketId": tk.ID})
	if r.status != 422 || r.apiError(t).Field != "ticketId" {
		t.Fatalf("teachers kiosk, students ticket: %d %s", r.status, r.body)
	}
	counter := e.login("counter1")
	tt := e.do("POST", "/api/v1/halls/teachers/tickets", kioskTeachers, map[string]any{"service": "J"})
	var teachersTk wire.Ticket
	tt.decode(t, &teachersTk)
	r = e.do("POST", "/api/v1/cases", counter, map[string]any{"hall": "students", "kind": "complaint", "department": "library", "text": "x", "ticketId": teachersTk.ID})
	if r.status != 422 {
		t.Fatalf("students counter, teachers ticket: %d %s", r.status, r.body)
	}
	e.openKiosk(map[string]any{"kind": "complaint", "text": "本大厅", "ticketId": tk.ID}, "")
}

// A ticket idempotency key is the sender's: another kiosk or counter of the hall that sends the
// same key gets a ticket of its own, not the first one (with its follow token).
func TestIssueIdempotencyKeyIsPerSender(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"service": "A"}
	r1 := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, body, "Idempotency-Key", "k-123")
	r2 := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, body, "Idempotency-Key", "k-123")
	r3 := e.do("POST", "/api/v1/halls/students/tickets", e.login("counter1"), body, "Idempotency-Key", "k-123")
	var t1, t2, t3 wire.Ticket
	r1.decode(t, &t1)
	r2.decode(t, &t2)
	r3.decode(t, &t3)
	if t1.ID != t2.ID {
		t.Fatalf("a retry from the same kiosk made a second ticket: %s, %s", t1.Number, t2.Number)
	}
	if t3.ID == t1.ID || t3.Token == t1.Token {
		t.Fatalf("another sender with the same key got the kiosk's ticket %s", t1.Number)
	}
}
