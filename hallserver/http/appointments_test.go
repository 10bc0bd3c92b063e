package http

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// apptClock is the shared fake clock of an appointment test (server and queue engines).
type apptClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *apptClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *apptClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var shanghaiLoc = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// local is a time on the campus clock: "2026-12-03 09:00".
func local(v string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", v, shanghaiLoc)
	if err != nil {
		panic(err)
	}
	return t
}

// newApptEnv is the test campus with office hours (Mon–Fri 08:30–11:30, 14:00–17:00), service
// A of the students hall taking 2 bookings a slot, J of the teachers' 10, the clock at Thursday 2026-12-03 08:00.
func newApptEnv(t *testing.T, burst int, more ...func(*Config)) (*env, *apptClock) {
	t.Helper()
	clk := &apptClock{t: local("2026-12-03 08:00")}
	opt := func(e *env) {
		e.campus.Halls[0].Hours = []hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-11:30", "14:00-17:00"}}}
		e.campus.Halls[0].Services[0].Appointments = &hall.AppointmentConfig{Capacity: 2}
		e.campus.Halls[1].Hours = e.campus.Halls[0].Hours
		e.campus.Halls[1].Services[0].Appointments = &hall.AppointmentConfig{Capacity: 10}
		e.now = clk.Now
		e.config = func(c *Config) {
			a, err := bolt.NewAppointments(e.db, clk.Now)
			if err != nil {
				t.Fatal(err)
			}
			c.Appointments, c.Now, c.BookingBurst = a, clk.Now, burst
			for _, m := range more {
				m(c)
			}
		}
	}
	return newEnv(t, opt), clk
}

func (e *env) book(hallCode, svc, start, name, phone string) response {
	e.t.Helper()
	return e.do("POST", "/api/v1/appointments", "", map[string]string{"hall": hallCode, "service": svc, "start": start, "name": name, "phone": phone})
}

// TestBookingContract walks the contract of issue 16: slots, a booking (201 with a 6-digit
// code and a token), the full slot (409), bad input naming the field with nothing stored, the
// holder's view, reschedule and cancel, the staff day list.
func TestBookingContract(t *testing.T) {
	e, _ := newApptEnv(t, 1000)
	s := loadSpec(t)
	r := e.do("GET", "/api/v1/halls/students/services/A/slots?date=2026-12-03", "", nil)
	if r.status != 200 {
		t.Fatalf("slots: %d %s", r.status, r.body)
	}
	var sl wire.SlotList
	r.decode(t, &sl)
	if len(sl.Slots) != 24 || sl.Slots[0].Start.Format(time.RFC3339) != "2026-12-03T08:30:00+08:00" || sl.Slots[0].Free != 2 {
		t.Fatalf("slots %+v: want 24 from 08:30 (+08:00) with 2 places", sl.Slots[:1])
	}
	if !strings.Contains(string(r.body), `"start":"2026-12-03T08:30:00+08:00"`) {
		t.Fatalf("slot times must be RFC 3339 in the campus zone: %s", r.body[:200])
	}
	b1 := e.book("students", "A", "2026-12-03T09:00:00+08:00", "张三", "13800138000")
	if b1.status != 201 {
		t.Fatalf("book: %d %s", b1.status, b1.body)
	}
	var a1 wire.Appointment
	b1.decode(t, &a1)
	if len(a1.Code) != 6 || a1.Token == "" || a1.ID == "" || a1.Start.Format(time.RFC3339) != "2026-12-03T09:00:00+08:00" || !strings.HasSuffix(a1.URL, "/a/"+a1.Token) {
		t.Fatalf("booking %+v: want id, 6-digit code, token, start, url", a1)
	}
	if b := e.book("students", "A", "2026-12-03T09:00:00+08:00", "李四", "13900139000"); b.status != 201 {
		t.Fatalf("second place: %d %s", b.status, b.body)
	}
	if b := e.book("students", "A", "2026-12-03T09:00:00+08:00", "王五", "13700137000"); b.status != 409 || b.apiError(t).Field != "start" {
		t.Fatalf("full slot: %d %s, want 409 naming start", b.status, b.body)
	}
	var after wire.SlotList
	e.do("GET", "/api/v1/halls/students/services/A/slots?date=2026-12-03", "", nil).decode(t, &after)
	if after.Slots[2].Start.Format("15:04") != "09:00" || after.Slots[2].Free != 0 {
		t.Fatalf("09:00 after two bookings: %+v, want 0 free", after.Slots[2])
	}
	for _, tc := range []struct {
		name                                   string
		hall, svc, start, person, phone, field string
		status                                 int
	}{
		{"malformed phone", "students", "A", "2026-12-03T10:00:00+08:00", "赵六", "12345", "phone", 400},
		{"no name", "students", "A", "2026-12-03T10:00:00+08:00", "", "13600136000", "name", 400},
		{"unknown service", "students", "Z", "2026-12-03T10:00:00+08:00", "赵六", "13600136000", "service", 422},
		{"unknown hall", "nowhere", "A", "2026-12-03T10:00:00+08:00", "赵六", "13600136000", "hall", 422},
		{"past", "students", "A", "2026-12-03T07:45:00+08:00", "赵六", "13600136000", "start", 422},
		{"closed (lunch)", "students", "A", "2026-12-03T12:00:00+08:00", "赵六", "13600136000", "start", 422},
		{"closed day (Saturday)", "students", "A", "2026-12-05T09:00:00+08:00", "赵六", "13600136000", "start", 422},
		{"too far", "students", "A", "2026-12-14T09:00:00+08:00", "赵六", "13600136000", "start", 422},
		{"off the grid", "students", "A", "2026-12-03T10:05:00+08:00", "赵六", "13600136000", "start", 422},
		{"not a time", "students", "A", "tomorrow", "赵六", "13600136000", "start", 400},
		{"same person same day", "students", "A", "2026-12-03T10:00:00+08:00", "张三", "13800138000", "phone", 409},
	} {
		b := e.book(tc.hall, tc.svc, tc.start, tc.person, tc.phone)
		if b.status != tc.status || b.apiError(t).Field != tc.field {
			t.Errorf("%s: %d %s, want %d naming %s", tc.name, b.status, b.body, tc.status, tc.field)
		}
	}
	admin := e.login("admin")
	var day wire.AppointmentList
	if r := e.do("GET", "/api/v1/halls/students/appointments?date=2026-12-03", admin, nil); r.status != 200 {
		t.Fatalf("day list: %d %s", r.status, r.body)
	} else {
		r.decode(t, &day)
	}
	if len(day.Appointments) != 2 {
		t.Fatalf("the bad requests stored something: %d bookings, want 2", len(day.Appointments))
	}
	view := e.do("GET", "/api/v1/appointments/"+a1.Token, "", nil)
	var v wire.Appointment
	view.decode(t, &v)
	if view.status != 200 || v.Phone != "138****8000" || v.Token != "" || v.Code != a1.Code {
		t.Fatalf("holder's view %d %+v: want the booking with the phone masked", view.status, v)
	}
	mv := e.do("POST", "/api/v1/appointments/"+a1.Token+"/reschedule", "", map[string]string{"start": "2026-12-04T14:00:00+08:00"})
	if mv.status != 200 {
		t.Fatalf("reschedule: %d %s", mv.status, mv.body)
	}
	if b := e.book("students", "A", "2026-12-03T09:00:00+08:00", "王五", "13700137000"); b.status != 201 {
		t.Fatalf("the place freed by the move: %d %s", b.status, b.body)
	}
	cancel := e.do("POST", "/api/v1/appointments/"+a1.Token+"/cancel", "", nil)
	if cancel.status != 200 {
		t.Fatalf("cancel: %d %s", cancel.status, cancel.body)
	}
	if r := e.do("POST", "/api/v1/appointments/"+a1.Token+"/cancel", "", nil); r.status != 409 {
		t.Fatalf("cancel twice: %d", r.status)
	}
	// the counter books for someone (not rate-limited, channel is the staff member)
	staff := e.login("counter1")
	sb := e.do("POST", "/api/v1/appointments", staff, map[string]string{"hall": "students", "service": "A", "start": "2026-12-03T11:00:00+08:00", "name": "钱七", "phone": "13500135000"})
	if sb.status != 201 {
		t.Fatalf("staff booking: %d %s", sb.status, sb.body)
	}
	if r := e.do("POST", "/api/v1/appointments", kioskStudents, map[string]string{"hall": "students", "service": "A", "start": "2026-12-03T11:00:00+08:00", "name": "x", "phone": "13400134000"}); r.status != 403 {
		t.Fatalf("a kiosk booking for others: %d, want 403", r.status)
	}
	var day2 wire.AppointmentList
	e.do("GET", "/api/v1/halls/students/appointments?date=2026-12-03", staff, nil).decode(t, &day2)
	if len(day2.Appointments) != 3 || day2.Appointments[len(day2.Appointments)-1].Channel != "counter1" {
		t.Fatalf("day list %+v: want 3 (the staff booking's channel counter1)", day2)
	}
	// the hotline desk books for a caller in any hall
	if err := e.auth.CreateStaff(context.Background(), hall.Staff{Username: "hotline", Role: hall.RoleHotline}, "demo"); err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/api/v1/appointments", e.login("hotline"), map[string]string{"hall": "students", "service": "A", "start": "2026-12-03T11:15:00+08:00", "name": "孙八", "phone": "13911139111"}); r.status != 201 {
		t.Fatalf("hotline booking for a caller: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/halls/students/appointments", "", nil); r.status != 401 {
		t.Fatalf("the day list without credentials: %d, want 401", r.status)
	}
	s.checkSamples(t, []schemaSample{
		{"slots", r.body, "SlotList"}, {"book", b1.body, "Appointment"}, {"view", view.body, "Appointment"},
		{"reschedule", mv.body, "Appointment"}, {"cancel", cancel.body, "Appointment"},
		{"day", e.do("GET", "/api/v1/halls/students/appointments?date=2026-12-03", staff, nil).body, "AppointmentList"},
		{"error", e.book("students", "A", "x", "x", "1").body, "Error"},
	})
}

// TestBookingRateLimited: strangers from one address make a burst of bookings, then get 429
// (refused bookings do not count); staff are not limited.
func TestBookingRateLimited(t *testing.T) {
	e, _ := newApptEnv(t, 3)
	if b := e.book("students", "B", "2026-12-03T09:00:00+08:00", "p", "13800000001"); b.status != 201 {
		t.Fatalf("first: %d %s", b.status, b.body)
	}
	for i := range 5 { // the slot is full: refused, not counted
		if b := e.book("students", "B", "2026-12-03T09:00:00+08:00", "p", fmt.Sprintf("1390000000%d", i)); b.status != 409 {
			t.Fatalf("full slot: %d %s", b.status, b.body)
		}
	}
	for i, start := range []string{"2026-12-03T09:15:00+08:00", "2026-12-03T09:30:00+08:00"} {
		if b := e.book("students", "B", start, "p", fmt.Sprintf("1370000000%d", i)); b.status != 201 {
			t.Fatalf("booking %d within the burst: %d %s", i+2, b.status, b.body)
		}
	}
	b := e.book("students", "B", "2026-12-03T09:45:00+08:00", "p", "13600000000")
	if b.status != 429 {
		t.Fatalf("the 4th booking: %d %s, want 429", b.status, b.body)
	}
	staff := e.login("counter1")
	if r := e.do("POST", "/api/v1/appointments", staff, map[string]string{"hall": "students", "service": "B", "start": "2026-12-03T09:45:00+08:00", "name": "p", "phone": "13600000000"}); r.status != 201 {
		t.Fatalf("staff booking from the same address: %d %s", r.status, r.body)
	}
}

// TestCheckinAtKiosk: the code too early (409 too_early with comeAt), inside the window (201, a
// ticket marked 预约; again: the same ticket), by the scanned QR URL, too late (409 too_late with
// the walk-in offer); the ticket is called at its slot before a walk-in who came earlier.
func TestCheckinAtKiosk(t *testing.T) {
	e, clk := newApptEnv(t, 1000)
	s := loadSpec(t)
	var a, b wire.Appointment
	e.book("students", "A", "2026-12-03T09:00:00+08:00", "张三", "13800138000").decode(t, &a)
	e.book("students", "A", "2026-12-03T08:30:00+08:00", "李四", "13900139000").decode(t, &b)
	checkin := func(code string) response {
		return e.do("POST", "/api/v1/halls/students/appointments/checkin", kioskStudents, map[string]string{"code": code})
	}
	early := checkin(a.Code)
	var refusal wire.CheckinRefusal
	early.decode(t, &refusal)
	if early.status != 409 || refusal.Error.Code != "too_early" || refusal.Error.ComeAt == nil || refusal.Error.ComeAt.Format(time.RFC3339) != "2026-12-03T08:30:00+08:00" {
		t.Fatalf("08:00 for 09:00: %d %s, want 409 too_early come at 08:30", early.status, early.body)
	}
	clk.set(local("2026-12-03 08:31"))
	walkIn := e.issue("A")
	ok := checkin(a.Code)
	if ok.status != 201 {
		t.Fatalf("check-in at 08:31 for 09:00: %d %s", ok.status, ok.body)
	}
	var tk wire.Ticket
	ok.decode(t, &tk)
	if tk.Appointment == nil || tk.Appointment.ID != a.ID || tk.Token == "" {
		t.Fatalf("ticket %+v: want the 预约 mark", tk)
	}
	var again wire.Ticket
	checkin(a.Code).decode(t, &again)
	if again.ID != tk.ID {
		t.Fatalf("a second check-in gave ticket %s, want the same %s", again.Number, tk.Number)
	}
	qr := checkin("http://example.test/a/" + b.Token)
	if qr.status != 201 {
		t.Fatalf("check-in by the scanned URL: %d %s", qr.status, qr.body)
	}
	var view wire.Appointment
	e.do("GET", "/api/v1/appointments/"+a.Token, "", nil).decode(t, &view)
	if view.State != hall.AppointmentCheckedIn || view.Number != tk.Number || !strings.HasSuffix(view.FollowURL, "/t/"+tk.Token) {
		t.Fatalf("booking after check-in %+v: want checked_in with the ticket", view)
	}
	// the ticket's follow page and view show the booking: 预约 and its time
	fol := e.do("GET", "/api/v1/follow/"+tk.Token, "", nil)
	var fv wire.Follow
	fol.decode(t, &fv)
	if fv.BookedAt == nil || !fv.BookedAt.Equal(local("2026-12-03 09:00")) {
		t.Fatalf("follow view %s: want bookedAt 09:00", fol.body)
	}
	if page := string(e.do("GET", "/t/"+tk.Token, "", nil).body); !strings.Contains(page, `id="booked"`) || !strings.Contains(page, "预约 09:00") {
		t.Fatalf("follow page of the booking's ticket: want 预约 09:00:\n%s", page)
	}
	if page := string(e.do("GET", "/t/"+walkIn.Token, "", nil).body); strings.Contains(page, `id="booked"`) {
		t.Fatal("a walk-in's follow page is marked 预约")
	}
	s.checkSamples(t, []schemaSample{{"follow of a booking's ticket", fol.body, "Follow"}})
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	var called wire.Ticket
	e.act(staff, 1, "call-next", nil, 200).decode(t, &called)
	var qrTk wire.Ticket
	qr.decode(t, &qrTk)
	if called.ID != qrTk.ID {
		t.Fatalf("at 08:31 called %s, want the 08:30 appointment %s before walk-in %s", called.Number, qrTk.Number, walkIn.Number)
	}
	e.act(staff, 1, "finish", nil, 200)
	e.act(staff, 1, "call-next", nil, 200).decode(t, &called)
	if called.ID != walkIn.ID {
		t.Fatalf("before 09:00 called %s, want the walk-in %s", called.Number, walkIn.Number)
	}
	// too late: a walk-in ticket is offered
	var c wire.Appointment
	e.book("students", "B", "2026-12-03T09:00:00+08:00", "王五", "13700137000").decode(t, &c)
	clk.set(local("2026-12-03 09:16"))
	late := checkin(c.Code)
	late.decode(t, &refusal)
	if late.status != 409 || refusal.Error.Code != "too_late" || refusal.Error.WalkIn == nil || refusal.Error.WalkIn.Service != "B" {
		t.Fatalf("09:16 for 09:00: %d %s, want 409 too_late with the walk-in offer", late.status, late.body)
	}
	var day wire.AppointmentList
	e.do("GET", "/api/v1/halls/students/appointments", staff, nil).decode(t, &day)
	if day.NoShows != 1 {
		t.Fatalf("no-shows %d, want 1 (the late one)", day.NoShows)
	}
	for code, want := range map[string]int{"": 400, "12ab": 400, "000000": 404} {
		if r := checkin(code); r.status != want {
			t.Errorf("check-in %q: %d, want %d", code, r.status, want)
		}
	}
	if r := e.do("POST", "/api/v1/halls/students/appointments/checkin", kioskTeachers, map[string]string{"code": a.Code}); r.status != 403 {
		t.Errorf("another hall's kiosk: %d, want 403", r.status)
	}
	s.checkSamples(t, []schemaSample{{"checkin", ok.body, "IssuedTicket"}, {"too early", early.body, "CheckinRefusal"}, {"too late", late.body, "CheckinRefusal"}})
}

// TestBookLastPlacesHTTP: 50 clients book the 10 places of one slot at once: exactly 10 get 201
// (10 different codes), every other one 409; the slot then shows 0 free.
func TestBookLastPlacesHTTP(t *testing.T) {
	e, _ := newApptEnv(t, 1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	status := map[int]int{}
	codes := map[string]bool{}
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := e.book("teachers", "J", "2026-12-03T10:00:00+08:00", "p", fmt.Sprintf("138%08d", i))
			mu.Lock()
			defer mu.Unlock()
			status[b.status]++
			if b.status == 201 {
				var a wire.Appointment
				b.decode(t, &a)
				codes[a.Code] = true
			}
		}()
	}
	wg.Wait()
	if status[201] != 10 || status[409] != 40 || len(codes) != 10 {
		t.Fatalf("answers %v, %d codes: want 10× 201 (10 codes) and 40× 409", status, len(codes))
	}
	var sl wire.SlotList
	e.do("GET", "/api/v1/halls/teachers/services/J/slots?date=2026-12-03", "", nil).decode(t, &sl)
	for _, x := range sl.Slots {
		if x.Start.Format("15:04") == "10:00" && x.Free != 0 {
			t.Fatalf("10:00 shows %d free, want 0", x.Free)
		}
	}
}

// TestBookSignedIn: a requester signed in on the portal books without typing name or phone (the
// name from the identity), holds one active booking per service per day under the identity
// whatever phone they type, and finds their bookings at GET /api/v1/me/appointments; without a
// sign-in name and phone are still required and the list answers 401.
func TestBookSignedIn(t *testing.T) {
	ids := map[string]hall.Identity{
		"zhang":  {Source: hall.IdentityCAS, ID: "2021000123", Name: "张三", Number: "2021000123"},
		"li":     {Source: hall.IdentityWeCom, ID: "lisi", Name: "李四"},
		"noname": {Source: hall.IdentityWeCom, ID: "wx42"},
	}
	e, _ := newApptEnv(t, 1000, func(c *Config) {
		c.Requester = func(r *http.Request) (*hall.Requester, bool) {
			id, ok := ids[r.Header.Get("X-Test-Identity")]
			if !ok {
				return nil, false
			}
			return &hall.Requester{Name: id.Name, PersonID: id.Number, Identity: &id}, true
		}
	})
	s := loadSpec(t)
	book := func(who string, body map[string]string) response {
		t.Helper()
		body["hall"], body["service"] = "students", "A"
		return e.do("POST", "/api/v1/appointments", "", body, "X-Test-Identity", who)
	}
	r := book("zhang", map[string]string{"start": "2026-12-03T09:00:00+08:00"})
	if r.status != 201 {
		t.Fatalf("signed in, no name or phone: %d %s", r.status, r.body)
	}
	var a wire.Appointment
	r.decode(t, &a)
	if a.Name != "张三" || a.Phone != "" || len(a.Code) != 6 {
		t.Fatalf("booking %+v: want the name from the sign-in, no phone", a)
	}
	// one active booking per identity per service per day, whatever phone is typed
	for _, body := range []map[string]string{
		{"start": "2026-12-03T10:00:00+08:00"},
		{"start": "2026-12-03T10:00:00+08:00", "name": "张三", "phone": "13800138000"},
	} {
		if r := book("zhang", body); r.status != 409 || r.apiError(t).Field != "identity" {
			t.Fatalf("second booking of the day %v: %d %s, want 409 naming identity", body, r.status, r.body)
		}
	}
	// a phone given is checked; an identity without a name needs one typed
	if r := book("li", map[string]string{"start": "2026-12-03T10:00:00+08:00", "phone": "12345"}); r.status != 400 || r.apiError(t).Field != "phone" {
		t.Fatalf("signed in with a malformed phone: %d %s, want 400 phone", r.status, r.body)
	}
	if r := book("noname", map[string]string{"start": "2026-12-03T10:00:00+08:00"}); r.status != 400 || r.apiError(t).Field != "name" {
		t.Fatalf("identity without a name, none typed: %d %s, want 400 name", r.status, r.body)
	}
	if r := book("li", map[string]string{"start": "2026-12-03T10:00:00+08:00", "phone": "13900139000"}); r.status != 201 {
		t.Fatalf("李四 with a phone: %d %s", r.status, r.body)
	}
	// no sign-in: the form as before
	if r := book("", map[string]string{"start": "2026-12-03T10:00:00+08:00", "name": "王五"}); r.status != 400 || r.apiError(t).Field != "phone" {
		t.Fatalf("anonymous without a phone: %d %s, want 400 phone", r.status, r.body)
	}
	// the next day is another day
	if r := book("zhang", map[string]string{"start": "2026-12-04T09:00:00+08:00"}); r.status != 201 {
		t.Fatalf("张三 the next day: %d %s", r.status, r.body)
	}
	// the form signed in asks no name (the sign-in's) and makes the phone optional
	page := e.do("GET", "/book?hall=students", "", nil, "X-Test-Identity", "zhang").body
	if !strings.Contains(string(page), `id="signed"`) || !strings.Contains(string(page), "张三") ||
		strings.Contains(string(page), `id="name"`) || strings.Contains(string(page), `maxlength="20" required`) {
		t.Fatalf("/book signed in: want the sign-in's name, no name field, an optional phone:\n%s", page)
	}
	if page := e.do("GET", "/book?hall=students", "", nil).body; strings.Contains(string(page), `id="signed"`) || !strings.Contains(string(page), `id="name"`) {
		t.Fatalf("/book without a sign-in: want the name and phone fields:\n%s", page)
	}
	my := e.do("GET", "/api/v1/me/appointments", "", nil, "X-Test-Identity", "zhang")
	if my.status != 200 {
		t.Fatalf("my bookings: %d %s", my.status, my.body)
	}
	var list wire.MyAppointments
	my.decode(t, &list)
	if len(list.Appointments) != 2 || list.Appointments[0].Day != "2026-12-04" || list.Appointments[1].ID != a.ID ||
		!strings.Contains(list.Appointments[1].URL, "/a/") {
		t.Fatalf("my bookings %+v: want 张三's two, the latest day first, with their pages", list.Appointments)
	}
	if r := e.do("GET", "/api/v1/me/appointments", "", nil); r.status != 401 {
		t.Fatalf("my bookings without a sign-in: %d, want 401", r.status)
	}
	s.checkSamples(t, []schemaSample{{"my appointments", my.body, "MyAppointments"}, {"booked signed in", r.body, "Appointment"}})
}

// TestMyPageListsBookings: /my, signed in through the campus sign-on, lists the requester's
// bookings (service, time, state, the booking's page) beside their requests, and nobody
// else's.
func TestMyPageListsBookings(t *testing.T) {
	e := newIdentEnv(t)
	store, err := bolt.NewAppointments(e.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.cfg.Appointments = store
	ctx := context.Background()
	start := local("2026-12-03 09:00")
	mine, err := store.Book(ctx, hall.BookRequest{Hall: "students", Service: "A", Start: start, End: start.Add(15 * time.Minute),
		Name: "张三", Identity: zhang.Key(), Channel: "web", Capacity: 3})
	if err != nil {
		t.Fatal(err)
	}
	other, err := store.Book(ctx, hall.BookRequest{Hall: "students", Service: "A", Start: start, End: start.Add(15 * time.Minute),
		Name: "李四", Identity: li.Key(), Channel: "web", Capacity: 3})
	if err != nil {
		t.Fatal(err)
	}
	c := e.browserClient()
	e.casSignIn(t, c, zhang)
	_, page, _ := get(t, c, e.ts.URL+"/my")
	if !strings.Contains(page, `id="bookings"`) || !strings.Contains(page, "/a/"+mine.Token) ||
		!strings.Contains(page, "2026-12-03 09:00") || strings.Contains(page, other.Token) {
		t.Fatalf("/my does not list exactly 张三's booking with its page:\n%s", page)
	}
}
