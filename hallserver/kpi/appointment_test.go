package kpi

import (
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// TestAppointmentsCountedApart: three booking tickets of A among walk-ins: one called on time
// (at its 09:00 slot), one late (09:20 for 09:00), one marked absent; the service's row counts
// them apart with their shares and the wait after check-in; a row without bookings has none.
func TestAppointmentsCountedApart(t *testing.T) {
	d := newDay("2026-12-03")
	book := func(hm, id, slot string) {
		start := d.at(slot)
		d.ev(hm, hall.EventIssued, "kiosk-1", id, func(t *hall.Ticket) {
			t.Service = "A"
			t.Appointment = &hall.AppointmentMark{ID: "ap-" + id, Start: start}
		})
	}
	d.issue("08:40:00", "w1", "A")
	d.issue("08:41:00", "b1", "B")
	book("08:45:00", "a1", "09:00:00")
	book("08:50:00", "a2", "09:00:00")
	book("09:10:00", "a3", "09:15:00")
	d.call("09:02:00", "a1", 1, "staff1")
	d.call("09:20:00", "a2", 1, "staff1")
	d.call("09:16:00", "a3", 2, "staff2")
	d.ev("09:19:00", hall.EventNoShow, "staff2", "a3", nil)
	d.call("09:30:00", "w1", 1, "staff1")
	facts := DayFacts(d.date, d.evs, shanghai, d.at("23:59:59"), true)
	rows, err := Aggregate([]Day{facts}, ByService, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var a, b *Row
	for i := range rows {
		switch rows[i].Key {
		case "A":
			a = &rows[i]
		case "B":
			b = &rows[i]
		}
	}
	if a == nil || b == nil {
		t.Fatalf("rows %+v", rows)
	}
	ap := a.Appointments
	if ap == nil || ap.CheckedIn != 3 || ap.OnTime != 2 || ap.OnTimeShare != 0.667 || ap.NoShow != 1 || ap.NoShowShare != 0.333 {
		t.Fatalf("A's appointments %+v: want 3 checked in, 2 on time (0.667), 1 absent (0.333)", ap)
	}
	// waits after check-in: 17, 30 and 6 minutes
	if ap.WaitSeconds.Median != (17 * time.Minute).Seconds() {
		t.Errorf("median wait after check-in %v s, want 1020", ap.WaitSeconds.Median)
	}
	if a.Issued != 4 || b.Appointments != nil {
		t.Errorf("A issued %d (want 4 with the walk-in), B's appointments %+v (want none)", a.Issued, b.Appointments)
	}
}
