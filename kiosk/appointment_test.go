package kiosk

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// apptHall gives the test hall office hours and the server a settable clock at Thursday
// 2026-12-03 08:20 in the campus zone.
func apptHall(clk *fakeClock) func(*hallEnv) {
	return func(e *hallEnv) {
		e.campus.Halls[0].Hours = []hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-11:30", "14:00-17:00"}}}
		e.now, e.qnow = clk.Now, clk.Now
	}
}

func shanghai(t *testing.T, v string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(hall.DefaultTimeZone)
	if err != nil {
		t.Fatal(err)
	}
	x, err := time.ParseInLocation("2006-01-02 15:04", v, loc)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// bookDirect books a slot on the server as a phone would.
func bookDirect(t *testing.T, env *hallEnv, svc, start, phone string) wire.Appointment {
	t.Helper()
	b, _ := json.Marshal(wire.BookRequest{Hall: "students", Service: svc, Start: start, Name: "张三", Phone: phone})
	resp, err := http.Post(env.url()+"/api/v1/appointments", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a wire.Appointment
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 201 {
		t.Fatalf("book %s %s: %d %v", svc, start, resp.StatusCode, err)
	}
	return a
}

// TestKioskCheckin: "我有预约" opens the code keypad; too early the kiosk says when to come
// back; a scanner typing the booking's URL checks it in within its window and the ticket shows
// the 预约 mark and the booked time; too late it offers a regular number, which it issues; a
// wrong code asks to check the code.
func TestKioskCheckin(t *testing.T) {
	clk := &fakeClock{now: shanghai(t, "2026-12-03 08:20")}
	env := newHallEnv(t, apptHall(clk))
	k := newKiosk(t, env, kioskOpts{})
	k.waitScreen(ScreenHome)
	a := bookDirect(t, env, "A", "2026-12-03T09:00:00+08:00", "13800138000")
	late := bookDirect(t, env, "B", "2026-12-03T08:30:00+08:00", "13900139000")

	k.tap("booking")
	k.waitScreen(ScreenBooking)
	k.tap("appt:ok")
	if st := k.flow.State(); st.Screen != ScreenBooking || st.Notice != "appt.code.short" {
		t.Fatalf("an empty code: screen %s notice %q, want the keypad saying the code has 6 digits", st.Screen, st.Notice)
	}
	for _, d := range a.Code {
		k.tap("key:" + string(d))
	}
	k.tap("appt:ok")
	st := k.waitScreen(ScreenBookingRefused)
	if st.Refusal == nil || !st.Refusal.TooEarly || st.Refusal.ComeAt.In(st.Loc).Format("15:04") != "08:30" {
		t.Fatalf("08:20 for 09:00: refusal %+v, want too early, come back at 08:30", st.Refusal)
	}
	k.tap("back")
	k.waitScreen(ScreenHome)

	// 08:35: a scanner types the booking's URL and Enter on the home screen
	clk.Add(15 * time.Minute)
	w := NewWedge(k.flow)
	now := time.Now()
	for _, r := range a.URL {
		w.Rune(r, now)
	}
	w.Enter()
	st = k.waitScreen(ScreenResult)
	if st.Ticket == nil || st.Ticket.Booked == nil || st.Ticket.Booked.In(st.Loc).Format("15:04") != "09:00" || !strings.HasPrefix(st.Ticket.Number, "A") {
		t.Fatalf("ticket %+v: want an A ticket marked 预约 09:00", st.Ticket)
	}
	if d := k.flow.ticketData(hall.Text{}, st.Ticket); d.Mark != "预约 09:00" || d.MarkEn != "Booked 09:00" {
		t.Fatalf("printed mark %q / %q, want 预约 09:00 / Booked 09:00", d.Mark, d.MarkEn)
	}
	k.flow.Finish()
	k.waitScreen(ScreenHome)

	// a wrong code
	k.tap("booking")
	for _, d := range "000000" {
		k.tap("key:" + string(d))
	}
	k.tap("appt:ok")
	st = k.waitFor("the keypad again", func(s State) bool { return s.Screen == ScreenBooking && s.Notice != "" })
	if st.Notice != "appt.notfound" {
		t.Fatalf("a wrong code: notice %q, want appt.notfound", st.Notice)
	}
	k.tap("back")

	// 08:50 for 08:30: too late, a regular number is offered
	clk.Add(15 * time.Minute)
	k.waitScreen(ScreenHome)
	k.tap("booking")
	for _, d := range late.Code {
		k.tap("key:" + string(d))
	}
	k.tap("appt:ok")
	st = k.waitScreen(ScreenBookingRefused)
	if st.Refusal == nil || st.Refusal.TooEarly || st.Refusal.WalkIn != "B" {
		t.Fatalf("08:50 for 08:30: refusal %+v, want too late with a B ticket offered", st.Refusal)
	}
	k.tap("appt:walkin")
	st = k.waitScreen(ScreenResult)
	if st.Ticket == nil || st.Ticket.Booked != nil || !strings.HasPrefix(st.Ticket.Number, "B") {
		t.Fatalf("walk-in ticket %+v: want a regular B ticket", st.Ticket)
	}
}

// TestWedgeStartsOverAfterAPause: keys typed slowly (a person, not a scanner) do not join the
// next scan.
func TestWedgeStartsOverAfterAPause(t *testing.T) {
	w := &Wedge{}
	t0 := time.Now()
	w.Rune('9', t0)
	for i, r := range "123456" {
		w.Rune(r, t0.Add(time.Second+time.Duration(i)*time.Millisecond))
	}
	if got := string(w.buf); got != "123456" {
		t.Fatalf("buffer %q, want 123456", got)
	}
}
