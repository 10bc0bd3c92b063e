package hall_test

import (
	"testing"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// apptHall is a hall like the demo's: two counters serve A (5 minutes a visit), one serves B.
func apptHall() hall.Hall {
	return hall.Hall{Code: "h", Hours: officeHours,
		Services: []hall.Service{{Code: "A", AvgMinutes: 5}, {Code: "B", AvgMinutes: 10,
			Appointments: &hall.AppointmentConfig{SlotMinutes: 30, Capacity: 4, DaysAhead: 2, EarlyMinutes: 10, LateMinutes: 5}},
			{Code: "C", AvgMinutes: 5, Appointments: &hall.AppointmentConfig{Off: true}}},
		Counters: []hall.CounterConfig{{Number: 1, Services: []string{"A", "B"}}, {Number: 2, Services: []string{"A"}}},
	}
}

func TestAppointmentPolicyDefaults(t *testing.T) {
	h := apptHall()
	a := h.AppointmentPolicy("A")
	// two counters × 15 min / 5 min = 6 visits a slot, half of them for bookings
	if a.Off || a.Slot != 15*time.Minute || a.Capacity != 3 || a.DaysAhead != 7 || a.Early != 30*time.Minute ||
		a.Late != 15*time.Minute || a.MaxExtraWait != 10*time.Minute {
		t.Errorf("A's policy = %+v, want the defaults with capacity 3", a)
	}
	b := h.AppointmentPolicy("B")
	if b.Slot != 30*time.Minute || b.Capacity != 4 || b.DaysAhead != 2 || b.Early != 10*time.Minute || b.Late != 5*time.Minute {
		t.Errorf("B's policy = %+v, want the configured one", b)
	}
	if !h.AppointmentPolicy("C").Off || !h.AppointmentPolicy("Z").Off {
		t.Error("a service with bookings off, or no such service, must be Off")
	}
}

func TestDaySlotsFollowHoursAndCalendar(t *testing.T) {
	loc := shanghai(t)
	cal := cases.NewCalendar(loc, []string{"2026-12-25"}, []string{"2026-12-05"})
	h := apptHall()
	s, err := hall.NewSchedule(h.ServiceHours("A"), loc, cal)
	if err != nil {
		t.Fatal(err)
	}
	p := h.AppointmentPolicy("A")
	day := func(d string) time.Time {
		x, _ := time.ParseInLocation("2006-01-02", d, loc)
		return x
	}
	got := hall.DaySlots(s, p, day("2026-12-03")) // Thursday
	// 08:30-11:30 and 14:00-17:00: 12 + 12 slots of 15 minutes
	if len(got) != 24 {
		t.Fatalf("a weekday has %d slots, want 24", len(got))
	}
	if got[0].Start.Format(time.RFC3339) != "2026-12-03T08:30:00+08:00" || got[11].End.Format("15:04") != "11:30" ||
		got[12].Start.Format("15:04") != "14:00" || got[23].End.Format("15:04") != "17:00" || got[0].Free != 3 {
		t.Errorf("slots %v … %v: want 08:30-11:30 and 14:00-17:00 with 3 places", got[0], got[23])
	}
	if n := len(hall.DaySlots(s, p, day("2026-12-25"))); n != 0 {
		t.Errorf("a holiday has %d slots, want none", n)
	}
	if n := len(hall.DaySlots(s, p, day("2026-12-06"))); n != 0 {
		t.Errorf("a Sunday has %d slots, want none", n)
	}
	if n := len(hall.DaySlots(s, p, day("2026-12-05"))); n != 24 {
		t.Errorf("a Saturday worked in exchange has %d slots, want Monday's 24", n)
	}
	// a 30-minute slot ends within its session: 08:30-11:30 gives 6
	if n := len(hall.DaySlots(s, h.AppointmentPolicy("B"), day("2026-12-03"))); n != 12 {
		t.Errorf("B has %d 30-minute slots, want 12", n)
	}
}

func TestBookableSlot(t *testing.T) {
	loc := shanghai(t)
	h := apptHall()
	s, _ := hall.NewSchedule(h.ServiceHours("A"), loc, cases.NewCalendar(loc, nil, nil))
	p := h.AppointmentPolicy("A")
	at := func(v string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", v, loc)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	now := at("2026-12-03 10:00")
	for _, tc := range []struct {
		start, field string
	}{
		{"2026-12-03 10:15", ""},
		{"2026-12-10 16:45", ""},      // 7 days ahead
		{"2026-12-03 09:45", "start"}, // past
		{"2026-12-03 10:00", "start"}, // now
		{"2026-12-11 08:30", "start"}, // 8 days ahead
		{"2026-12-03 10:20", "start"}, // off the grid
		{"2026-12-03 12:00", "start"}, // lunch
		{"2026-12-05 09:00", "start"}, // Saturday
		{"2026-12-03 17:00", "start"}, // closing time
		{"2026-12-03 16:45", ""},      // last slot
		{"2026-12-04 08:30", ""},      // first slot tomorrow
		{"2026-12-04 08:15", "start"}, // before opening
		{"2026-12-04 11:30", "start"}, // the morning's end
		{"2026-12-04 11:15", ""},      // the morning's last slot
		{"2026-12-04 14:00", ""},      // the afternoon's first
		{"2026-12-04 13:45", "start"}, // lunch
		{"2026-12-04 14:07", "start"}, // off the grid
		{"2026-12-04 14:15", ""},      // on it
		{"2026-12-04 23:00", "start"}, // night
		{"2026-12-07 08:30", ""},      // Monday
		{"2026-12-06 08:30", "start"}, // Sunday
		{"2027-01-04 08:30", "start"}, // far
	} {
		_, err := hall.BookableSlot(s, p, at(tc.start), now)
		if got := hall.ErrorField(err); got != tc.field {
			t.Errorf("%s: field %q (%v), want %q", tc.start, got, err, tc.field)
		}
	}
	if _, err := hall.BookableSlot(s, h.AppointmentPolicy("C"), at("2026-12-04 09:00"), now); hall.ErrorField(err) != "service" {
		t.Errorf("a service without bookings: %v, want an error naming service", err)
	}
}

func TestCheckinWindow(t *testing.T) {
	h := apptHall()
	p := h.AppointmentPolicy("A") // 30 early, 15 late
	start := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	a := hall.Appointment{Start: start, State: hall.AppointmentBooked}
	for _, tc := range []struct {
		off  time.Duration
		code string
	}{
		{-31 * time.Minute, hall.ETOOEARLY}, {-30 * time.Minute, ""}, {0, ""}, {15 * time.Minute, ""}, {16 * time.Minute, hall.ETOOLATE},
	} {
		err := a.CheckinWindow(p, start.Add(tc.off))
		if hall.ErrorCode(err) != tc.code && !(tc.code == "" && err == nil) {
			t.Errorf("check-in at start%+v: %v, want %q", tc.off, err, tc.code)
		}
	}
	var e *hall.Error
	if err := a.CheckinWindow(p, start.Add(-time.Hour)); err == nil || !asErr(err, &e) || e.OpensAt == nil || !e.OpensAt.Equal(start.Add(-30*time.Minute)) {
		t.Errorf("too early must say when to come back (start-30m): %v", err)
	}
	if a.NoShow(p, start.Add(15*time.Minute)) || !a.NoShow(p, start.Add(16*time.Minute)) {
		t.Error("a booking not checked in is a no-show only after its window")
	}
}

func asErr(err error, e **hall.Error) bool {
	x, ok := err.(*hall.Error)
	*e = x
	return ok
}

func TestNormalizePhoneAndName(t *testing.T) {
	for in, want := range map[string]string{"13800138000": "13800138000", "+86 138-0013-8000": "13800138000", "008613800138000": "13800138000"} {
		if got, err := hall.NormalizePhone(in); err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "12345", "1380013800", "138001380001", "23800138000", "1380013800a", "12800138000"} {
		if _, err := hall.NormalizePhone(bad); hall.ErrorField(err) != "phone" {
			t.Errorf("NormalizePhone(%q): %v, want an error naming phone", bad, err)
		}
	}
	if n, err := hall.NormalizeName("  张三 "); err != nil || n != "张三" {
		t.Errorf("NormalizeName: %q %v", n, err)
	}
	for _, bad := range []string{"", "   ", "a\x00b", string(make([]rune, 33))} {
		if _, err := hall.NormalizeName(bad); hall.ErrorField(err) != "name" {
			t.Errorf("NormalizeName(%q): %v, want an error naming name", bad, err)
		}
	}
	if hall.MaskPhone("13800138000") != "138****8000" {
		t.Error("MaskPhone")
	}
}

func TestValidateAppointmentConfig(t *testing.T) {
	c := hall.Campus{Halls: []hall.Hall{apptHall()}}
	c.Halls[0].Name = hall.Text{Zh: "厅"}
	for i := range c.Halls[0].Services {
		c.Halls[0].Services[i].Name = hall.Text{Zh: "x"}
	}
	c.Halls[0].Services[0].Appointments = &hall.AppointmentConfig{SlotMinutes: 3}
	c.Halls[0].Services[1].Appointments = &hall.AppointmentConfig{DaysAhead: 400}
	fields := map[string]bool{}
	for _, p := range c.Problems() {
		fields[p.Field] = true
	}
	if !fields["halls[0].services[0].appointments.slotMinutes"] || !fields["halls[0].services[1].appointments.daysAhead"] {
		t.Errorf("problems %v: want slotMinutes and daysAhead named", fields)
	}
}
