package queue

import (
	"fmt"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// checkin issues the ticket of a booking of service svc whose slot starts at start.
func (f *fix) checkin(svc string, start time.Time) hall.Ticket {
	f.t.Helper()
	f.n++
	f.clk.add(time.Second)
	req := hall.IssueRequest{Service: svc, Appointment: &hall.AppointmentMark{ID: fmt.Sprint("ap", f.n), Start: start}}
	is, ch, err := f.e.Issue(f.clk.now(), req, fmt.Sprint("id", f.n), fmt.Sprint("tok", f.n))
	if err != nil {
		f.t.Fatalf("check-in %s: %v", svc, err)
	}
	f.check(ch)
	if is.Ticket.Appointment == nil || !is.Ticket.Appointment.Start.Equal(start) || ch.Tickets[0].Appointment == nil {
		f.t.Fatalf("check-in ticket %+v: want the appointment mark on it and in the change", is.Ticket)
	}
	return is.Ticket
}

func (f *fix) callNext(c int) string {
	f.t.Helper()
	tk, _ := f.act(c, hall.ActCallNext)
	if tk == nil {
		return ""
	}
	return tk.Number
}

// TestAppointmentCalledAtSlotBeforeWalkIns: a booking checked in early waits while walk-ins are
// called; from its slot's start it goes before the walk-ins (appointments by slot time); a
// walk-in passed over for the cap (10 minutes) goes before the next appointment; the marks
// survive a restore.
func TestAppointmentCalledAtSlotBeforeWalkIns(t *testing.T) {
	f := newFix(t)
	f.act(1, hall.ActOpen)
	w1 := f.issue("A", false)
	w2 := f.issue("A", false)
	t0 := f.clk.now()
	late := f.checkin("A", t0.Add(20*time.Minute))  // slot 20 minutes on
	early := f.checkin("A", t0.Add(10*time.Minute)) // checked in later, earlier slot
	if got := f.e.Waiting(); got[0].ID != early.ID || got[1].ID != late.ID || got[2].ID != w1.ID {
		t.Fatalf("waiting %v: want the appointments by slot, then the walk-ins", numbers(got))
	}
	// before either slot starts the counter calls the walk-ins
	if n := f.callNext(1); n != w1.Number {
		t.Fatalf("before the slots: called %s, want the walk-in %s", n, w1.Number)
	}
	f.act(1, hall.ActFinish)
	f.clk.t = t0.Add(10 * time.Minute)
	if n := f.callNext(1); n != early.Number {
		t.Fatalf("at the first slot's start: called %s, want the appointment %s", n, early.Number)
	}
	f.act(1, hall.ActFinish)
	if tk, _ := f.e.Ticket(w2.ID); tk.BypassedAt == nil {
		t.Fatal("the walk-in passed over must be marked")
	}
	// the second appointment is not due yet: the walk-in goes
	w3 := f.issue("A", false)
	f.clk.t = t0.Add(19 * time.Minute)
	// 9 minutes after the first pass: still within the cap, but the slot has not started
	if n := f.callNext(1); n != w2.Number {
		t.Fatalf("second slot not started: called %s, want %s", n, w2.Number)
	}
	f.act(1, hall.ActFinish)
	f.clk.t = t0.Add(20 * time.Minute)
	if n := f.callNext(1); n != late.Number {
		t.Fatalf("at the second slot: called %s, want %s", n, late.Number)
	}
	f.act(1, hall.ActFinish)
	// w3 was passed over at 20:00; a new appointment due at 25 waits behind w3 once 10 minutes pass
	third := f.checkin("A", t0.Add(25*time.Minute))
	f.clk.t = t0.Add(30*time.Minute + 2*time.Second)
	e2, err := Restore(testHall(), nil, roundTrip(t, f.e.Meta()), openTickets(f.e))
	if err != nil {
		t.Fatal(err)
	}
	f.e = e2
	if n := f.callNext(1); n != w3.Number {
		t.Fatalf("walk-in passed over for 10 minutes: called %s, want it (%s) before appointment %s", n, w3.Number, third.Number)
	}
	f.act(1, hall.ActFinish)
	if n := f.callNext(1); n != third.Number {
		t.Fatalf("then the appointment: called %s, want %s", n, third.Number)
	}
}

// TestAppointmentIssuedOutsideHours: a booking's check-in window opens before the service does;
// its ticket is issued while walk-ins are refused.
func TestAppointmentIssuedOutsideHours(t *testing.T) {
	h := testHall()
	h.Hours = []hall.OpeningHours{{Days: "mon-sun", Times: []string{"09:00-17:00"}}}
	e := New(h, time.UTC)
	now := time.Date(2026, 3, 2, 8, 40, 0, 0, time.UTC)
	if _, _, err := e.Issue(now, hall.IssueRequest{Service: "A"}, "w", "tw"); hall.ErrorCode(err) != hall.ESERVICECLOSED {
		t.Fatalf("walk-in before opening: %v, want service_closed", err)
	}
	is, _, err := e.Issue(now, hall.IssueRequest{Service: "A", Priority: true, Appointment: &hall.AppointmentMark{ID: "ap1", Start: now.Add(20 * time.Minute)}}, "a", "ta")
	if err != nil || is.Ticket.Appointment == nil || is.Ticket.Priority {
		t.Fatalf("check-in before opening: %+v %v; want a 预约 ticket (never green channel)", is, err)
	}
}

// TestEstimateCountsBookings: bookings of a service not checked in yet and due before a walk-in
// would be called lengthen its estimate (they will be called first when they check in), on its
// ticket and on the service's wait for a ticket taken now; bookings due after its predicted call,
// of another service, or whose check-in window has closed change nothing.
func TestEstimateCountsBookings(t *testing.T) {
	f := newFix(t)
	f.act(1, hall.ActOpen)
	f.act(2, hall.ActOpen)
	for range 2 {
		f.issue("A", false)
	}
	f.callNext(1)
	f.callNext(2)
	f.clk.add(3 * time.Minute) // the services under way have run long enough to take A's 5 minutes
	var w hall.Ticket
	for range 3 {
		w = f.issue("A", false)
	}
	now := f.clk.now()
	eta := func() (ticket, service int) {
		t.Helper()
		_, e, ok := f.e.Position(now, w.ID)
		if !ok {
			t.Fatal("the walk-in is not waiting")
		}
		for _, s := range f.e.Snapshot(now).Services {
			if s.Code == "A" {
				return e, s.EtaSeconds
			}
		}
		t.Fatal("no service A in the snapshot")
		return 0, 0
	}
	base, baseSvc := eta()
	if base <= 0 || baseSvc < base {
		t.Fatalf("estimates without bookings: ticket %d s, service %d s", base, baseSvc)
	}
	at := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }

	f.e.SetBooked(map[string][]time.Time{"A": {at(3), at(8), at(14)}})
	withBooked, svcBooked := eta()
	// each booking takes a 5-minute visit shared by the two counters of A (150 s); the queued
	// walk-in (about 400 s) is called before the third (14 minutes on), a ticket taken now after
	if withBooked != base+300 || svcBooked != baseSvc+450 {
		t.Fatalf("three bookings due in 15 minutes: ticket %d s (without %d), service %d s (without %d): want 300 and 450 s more",
			withBooked, base, svcBooked, baseSvc)
	}

	after := now.Add(time.Duration(svcBooked)*time.Second + time.Hour)
	f.e.SetBooked(map[string][]time.Time{
		"A": {after, after.Add(5 * time.Minute), after.Add(10 * time.Minute), at(-20)}, // later, and a no-show
		"B": {at(1), at(2), at(3)},
	})
	if got, gotSvc := eta(); got != base || gotSvc != baseSvc {
		t.Fatalf("bookings due after the call, of another service or past their window: ticket %d s, service %d s; want %d, %d",
			got, gotSvc, base, baseSvc)
	}

	// the cap on the walk-ins' extra wait bounds what bookings add
	many := make([]time.Time, 20)
	for i := range many {
		many[i] = at(1)
	}
	f.e.SetBooked(map[string][]time.Time{"A": many})
	if got, _ := eta(); got > base+600+1 {
		t.Fatalf("twenty bookings due now: ticket %d s, want at most %d (the 10-minute cap)", got, base+600)
	}
	f.e.SetBooked(nil)
	if got, _ := eta(); got != base {
		t.Fatalf("bookings forgotten: ticket %d s, want %d", got, base)
	}
}
