package http

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// Rating tablet tokens of the test campus (enrolled by addRaters).
const (
	raterStudents1 = "test-rater-students-1"
	raterStudents2 = "test-rater-students-2"
	raterTeachers1 = "test-rater-teachers-1"
)

// addRaters enrols the rating tablets of counters 1 and 2 of the students' hall and counter 1
// of the teachers' hall.
func (e *env) addRaters() {
	e.t.Helper()
	for tok, d := range map[string]hall.Device{
		raterStudents1: {Role: hall.RoleRater, Hall: "students", Counter: 1, Name: "1号窗口评价器"},
		raterStudents2: {Role: hall.RoleRater, Hall: "students", Counter: 2},
		raterTeachers1: {Role: hall.RoleRater, Hall: "teachers", Counter: 1},
	} {
		if _, err := e.auth.CreateDevice(context.Background(), d, tok); err != nil {
			e.t.Fatal(err)
		}
	}
}

// serve calls, starts and finishes the next ticket at counter n.
func (e *env) serve(staff string, n int) wire.Ticket {
	e.t.Helper()
	var tk wire.Ticket
	e.act(staff, n, "call-next", nil, 200).decode(e.t, &tk)
	e.act(staff, n, "start", nil, 200)
	e.act(staff, n, "finish", map[string]any{"outcome": "resolved"}, 200)
	return tk
}

// TestCounterRatingAPI: the counter's rating tablet sees the visit the counter serves, then the
// one it finished, and rates it once (好差评); the follow page's rating of the same visit is then
// refused (one store), and the other way round. A tablet of another counter or hall may not rate
// there, nor look; bad input is a 400 naming the field and stores nothing. Answers match
// openapi.json.
func TestCounterRatingAPI(t *testing.T) {
	e := newEnv(t)
	e.addRaters()
	s := loadSpec(t)
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	path := "/api/v1/halls/students/counter-ratings/1"
	visit := func(tok string) wire.CounterRating {
		t.Helper()
		r := e.do("GET", path, tok, nil)
		var v wire.CounterRating
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		s.checkSamples(t, []schemaSample{{"counter rating", r.body, "CounterRating"}})
		r.decode(t, &v)
		return v
	}
	if v := visit(raterStudents1); v.Visit != nil || v.Counter != 1 || v.Hall != "students" {
		t.Errorf("before any visit: %+v", v)
	}

	first := e.issue("A")
	var called wire.Ticket
	e.act(staff, 1, "call-next", nil, 200).decode(t, &called)
	if v := visit(raterStudents1); v.Visit == nil || v.Visit.Number != first.Number || v.Visit.State != hall.TicketCalled || v.Visit.Rated {
		t.Errorf("while called: %+v", v.Visit)
	}
	e.act(staff, 1, "start", nil, 200)
	e.act(staff, 1, "finish", map[string]any{"outcome": "resolved"}, 200)
	if v := visit(raterStudents1); v.Visit == nil || v.Visit.Number != first.Number || v.Visit.State != hall.TicketDone || v.Visit.Rated || v.Visit.FinishedAt == nil {
		t.Errorf("finished: %+v", v.Visit)
	}

	refused := func(what, tok, p string, body any, status int, field string) {
		t.Helper()
		r := e.do("POST", p, tok, body)
		if r.status != status {
			t.Errorf("%s: %d %s, want %d", what, r.status, r.body, status)
			return
		}
		if field != "" {
			if got := r.apiError(t); got.Field != field {
				t.Errorf("%s: field %q, want %q (%s)", what, got.Field, field, r.body)
			}
		}
	}
	good := map[string]any{"ticket": first.Number, "stars": 2, "reason": "wait_long", "comment": "等了很久"}
	refused("no credentials", "", path, good, 401, "")
	refused("another counter's tablet", raterStudents2, path, good, 403, "")
	refused("another hall's tablet", raterTeachers1, path, good, 403, "")
	refused("a kiosk", kioskStudents, path, good, 403, "")
	refused("a display", displayStudents, path, good, 403, "")
	if r := e.do("GET", path, raterStudents2, nil); r.status != 403 {
		t.Errorf("another counter's tablet looks: %d", r.status)
	}
	refused("no such counter", staff, "/api/v1/halls/students/counter-ratings/9", good, 404, "counter")
	refused("7 stars", raterStudents1, path, map[string]any{"ticket": first.Number, "stars": 7}, 400, "stars")
	refused("unknown reason", raterStudents1, path, map[string]any{"ticket": first.Number, "stars": 2, "reason": "rude"}, 400, "reason")
	refused("no ticket", raterStudents1, path, map[string]any{"stars": 2}, 400, "ticket")
	refused("a ticket it did not finish", raterStudents1, path, map[string]any{"ticket": "A999", "stars": 2}, 404, "ticket")
	refused("long comment", raterStudents1, path, map[string]any{"ticket": first.Number, "stars": 2, "comment": strings.Repeat("慢", hall.MaxVisitComment+1)}, 400, "comment")
	refused("unknown field", raterStudents1, path, map[string]any{"ticket": first.Number, "stars": 2, "name": "x"}, 400, "name")
	if v := visit(raterStudents1); v.Visit == nil || v.Visit.Rated {
		t.Fatalf("a refused rating was stored: %+v", v.Visit)
	}

	r := e.do("POST", path, raterStudents1, good)
	if r.status != 201 {
		t.Fatalf("rate: %d %s", r.status, r.body)
	}
	s.checkSamples(t, []schemaSample{{"counter rating stored", r.body, "VisitRating"}})
	var got hall.VisitRating
	r.decode(t, &got)
	if got.Stars != 2 || got.Reason != "wait_long" || got.Comment != "等了很久" {
		t.Errorf("stored %+v", got)
	}
	refused("a second time at the counter", raterStudents1, path, good, 409, "rating")
	refused("a second time on the follow page", "", "/api/v1/follow/"+first.Token+"/rating", map[string]any{"stars": 5}, 409, "rating")
	if v := visit(raterStudents1); v.Visit == nil || !v.Visit.Rated {
		t.Errorf("after the rating: %+v", v.Visit)
	}
	var f wire.Follow
	e.do("GET", "/api/v1/follow/"+first.Token, "", nil).decode(t, &f)
	if f.VisitRating == nil || f.VisitRating.Stars != 2 {
		t.Errorf("the follow page does not see the counter's rating: %+v", f.VisitRating)
	}

	// Rated on the follow page first: the counter is refused. Counter staff may rate too.
	second := e.issue("A")
	e.serve(staff, 1)
	if r := e.do("POST", "/api/v1/follow/"+second.Token+"/rating", "", map[string]any{"stars": 5}); r.status != 201 {
		t.Fatalf("follow rating: %d %s", r.status, r.body)
	}
	refused("rated on the follow page", staff, path, map[string]any{"ticket": second.Number, "stars": 4}, 409, "rating")

	// The queue report counts both ratings on counter 1 and on counter1's row.
	day := time.Now().In(e.srv.campusLoc()).Format(time.DateOnly)
	admin := e.login("admin")
	var rep struct {
		Rows []struct {
			Key    string `json:"key"`
			Rating *struct {
				Count     int     `json:"count"`
				MeanStars float64 `json:"meanStars"`
				Low       int     `json:"low"`
			} `json:"rating"`
		} `json:"rows"`
	}
	for _, by := range []string{"counter", "staff"} {
		e.do("GET", "/api/v1/reports/queue?hall=students&from="+day+"&until="+day+"&by="+by, admin, nil).decode(t, &rep)
		if len(rep.Rows) != 1 || rep.Rows[0].Rating == nil || rep.Rows[0].Rating.Count != 2 || rep.Rows[0].Rating.MeanStars != 3.5 || rep.Rows[0].Rating.Low != 1 {
			b, _ := json.Marshal(rep)
			t.Errorf("by %s: %s, want one row with 2 ratings, mean 3.5, 1 low", by, b)
		}
	}
}

// TestVisitRatedEvent: a rating (at the counter or on the follow page) is a visit.rated event in
// the hall's log. Staff of the hall get it in full (ticket, counter, staff member, stars,
// reason; 1–2 stars flagged low) and find today's low ratings in their snapshot; the public
// stream gets the bare event, without the reason or the staff member, and a public snapshot no
// low ratings.
func TestVisitRatedEvent(t *testing.T) {
	e := newEnv(t)
	e.addRaters()
	s := loadSpec(t)
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	pub := e.dial("students", 0)
	read(t, pub, 5*time.Second)
	lead := e.dialAs("students", staff)
	read(t, lead, 5*time.Second)
	tk := e.issue("A")
	e.serve(staff, 1)
	if r := e.do("POST", "/api/v1/halls/students/counter-ratings/1", raterStudents1, map[string]any{"ticket": tk.Number, "stars": 1, "reason": "attitude", "comment": "态度差"}); r.status != 201 {
		t.Fatalf("rate: %d %s", r.status, r.body)
	}
	full := readUntilType(t, lead, string(hall.EventVisitRated))
	var ev struct {
		Rated *hall.RatedVisit `json:"rated"`
	}
	if err := json.Unmarshal(full.raw, &ev); err != nil || ev.Rated == nil {
		t.Fatalf("staff event %s: %v", full.raw, err)
	}
	if rv := ev.Rated; rv.Number != tk.Number || rv.Counter != 1 || rv.Staff != "counter1" || rv.Stars != 1 || !rv.Low || rv.Reason != "attitude" || rv.Comment != "态度差" || rv.Via != hall.RatedAtCounter {
		t.Errorf("staff event: %+v", rv)
	}
	bare := readUntilType(t, pub, string(hall.EventVisitRated))
	for _, leak := range []string{`"rated":`, "attitude", "态度差", "counter1", tk.ID} {
		if strings.Contains(string(bare.raw), leak) {
			t.Errorf("the public stream carries %q: %s", leak, bare.raw)
		}
	}
	s.checkSamples(t, []schemaSample{{"staff visit.rated", full.raw, "StreamEvent"}, {"public visit.rated", bare.raw, "StreamEvent"}})

	// A good rating on the follow page: an event too, not low.
	tk2 := e.issue("A")
	e.serve(staff, 1)
	if r := e.do("POST", "/api/v1/follow/"+tk2.Token+"/rating", "", map[string]any{"stars": 5}); r.status != 201 {
		t.Fatalf("follow rating: %d %s", r.status, r.body)
	}
	full = readUntilType(t, lead, string(hall.EventVisitRated))
	ev.Rated = nil
	if err := json.Unmarshal(full.raw, &ev); err != nil || ev.Rated == nil || ev.Rated.Low || ev.Rated.Via != hall.RatedOnFollow || ev.Rated.Staff != "counter1" || ev.Rated.Number != tk2.Number {
		t.Errorf("follow page rating event: %s", full.raw)
	}

	// Snapshots: the staff one lists today's low rating, the public one nothing.
	staffSnap := read(t, e.dialAs("students", staff), 5*time.Second)
	if l := staffSnap.Snapshot.LowRatings; len(l) != 1 || l[0].Number != tk.Number || l[0].Stars != 1 {
		t.Errorf("staff snapshot low ratings: %+v", l)
	}
	pubSnap := read(t, e.dial("students", 0), 5*time.Second)
	if strings.Contains(string(pubSnap.raw), "lowRatings") || strings.Contains(string(pubSnap.raw), "attitude") {
		t.Errorf("public snapshot: %s", pubSnap.raw)
	}
	if r := e.do("GET", "/api/v1/halls/students/snapshot", "", nil); strings.Contains(string(r.body), "lowRatings") {
		t.Errorf("GET snapshot: %s", r.body)
	}
	// The audit trail has the counter's rating (by the tablet), not the holder's.
	var au wire.AuditList
	e.do("GET", "/api/v1/admin/audit?kind=visit.rated", e.login("admin"), nil).decode(t, &au)
	if len(au.Entries) != 1 || au.Entries[0].Target != tk.ID || !strings.Contains(au.Entries[0].Detail, "stars=1") || au.Entries[0].Actor == "" {
		t.Errorf("audit of visit.rated: %+v", au.Entries)
	}
	// The teachers' hall's staff stream knows nothing of it.
	tsnap := read(t, e.dialAs("teachers", e.login("admin")), 5*time.Second)
	if len(tsnap.Snapshot.LowRatings) != 0 {
		t.Errorf("another hall's snapshot: %+v", tsnap.Snapshot.LowRatings)
	}
}

// TestEnrolRatingTablet: an admin enrols a rating tablet for a counter of a hall; a tablet without
// a counter, a counter on a kiosk, or a counter the hall lacks is a 400 naming "counter".
func TestEnrolRatingTablet(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"role": "rater", "hall": "students"}, "counter"},
		{map[string]any{"role": "kiosk", "hall": "students", "counter": 1}, "counter"},
		{map[string]any{"role": "rater", "hall": "students", "counter": 9}, "counter"},
	} {
		if r := e.do("POST", "/api/v1/admin/devices", admin, c.body); r.status != 400 || r.apiError(t).Field != c.field {
			t.Errorf("%v: %d %s", c.body, r.status, r.body)
		}
	}
	r := e.do("POST", "/api/v1/admin/devices", admin, map[string]any{"role": "rater", "hall": "students", "counter": 2, "name": "2号窗口评价器"})
	var d wire.EnrolledDevice
	if r.status != 201 {
		t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	r.decode(t, &d)
	if d.Counter != 2 || d.Role != hall.RoleRater {
		t.Errorf("enrolled %+v", d.DeviceInfo)
	}
	var me hall.Principal
	e.do("GET", "/api/v1/me", d.Token, nil).decode(t, &me)
	if me.Counter != 2 || !me.Device || me.Role != hall.RoleRater {
		t.Errorf("the tablet's principal: %+v", me)
	}
	if r := e.do("GET", "/api/v1/halls/students/counter-ratings/2", d.Token, nil); r.status != 200 {
		t.Errorf("the tablet looks at its counter: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/halls/students/counter-ratings/1", d.Token, nil); r.status != 403 {
		t.Errorf("the tablet looks at another counter: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/halls/students/tickets", d.Token, map[string]any{"service": "A"}); r.status != 403 {
		t.Errorf("the tablet issues a ticket: %d %s", r.status, r.body)
	}
}
