package queue

import (
	"reflect"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// shanghai returns a Shanghai wall-clock time on 2026-03-dd as UTC.
func shanghai(dd, hh, mm int) time.Time {
	return time.Date(2026, 3, dd, hh-8, mm, 0, 0, time.UTC)
}

func numbers(ts []hall.Ticket) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Number)
	}
	return out
}

// openTickets is what the store's open index holds: every ticket the engine holds.
func openTickets(e *Engine) []hall.Ticket {
	var open []hall.Ticket
	for _, tk := range e.tickets {
		open = append(open, *tk)
	}
	return open
}

func hasEvent(ch Change, typ hall.EventType) bool {
	for _, ev := range ch.Events {
		if ev.Type == typ {
			return true
		}
	}
	return false
}

// A clock set forward a day and corrected back: the numbers already printed under the forward
// day are never printed again, the engine does not roll its day back, and the next real midnight
// still resets the hall (yesterday's waiting tickets cancelled, counters closed), numbering on
// from the day already used; the midnight after that starts again at 001. Also across a Restore.
func TestClockForwardAndBack(t *testing.T) {
	f := newFix(t)
	f.clk.t = shanghai(2, 10, 0)
	f.issue("A", false) // A001, 2 March
	f.issue("A", false) // A002
	f.act(1, hall.ActOpen)

	// The clock jumps a day ahead: the engine cannot tell this from a real new day.
	f.clk.t = shanghai(3, 10, 0)
	fwd1, fwd2 := f.issue("A", false), f.issue("A", false)
	if fwd1.Number != "A001" || fwd2.Number != "A002" || fwd2.Day != "2026-03-03" {
		t.Fatalf("forward day: %s %s %s", fwd1.Number, fwd2.Number, fwd2.Day)
	}

	// Corrected back to the real day: numbering goes on under 3 March, never back to 2 March.
	// The first command to see it reports the step (the owner logs it) and its Meta must be
	// persisted even without events: Meta.Clock decides the next reset.
	f.clk.t = shanghai(2, 10, 5)
	ch := f.e.Tick(f.clk.now())
	if cb := ch.ClockBack; cb == nil || ch.Empty() || len(ch.Events) != 0 || cb.Day != "2026-03-03" ||
		!cb.From.Equal(shanghai(3, 10, 0).Add(2*time.Second)) || !cb.To.Equal(f.clk.now()) || !ch.Meta.Clock.Equal(f.clk.now()) {
		t.Fatalf("clock step not reported: %+v", ch)
	}
	back := f.issue("A", false)
	if back.Number != "A003" || back.Day != "2026-03-03" {
		t.Fatalf("after the clock went back: %s %s", back.Number, back.Day)
	}
	if f.e.Meta().Day != "2026-03-03" {
		t.Fatalf("engine day rolled back to %s", f.e.Meta().Day)
	}
	f.act(1, hall.ActOpen)
	f.act(1, hall.ActCallNext)
	// A restart during the real day changes nothing.
	e2, err := Restore(testHall(), nil, roundTrip(t, f.e.Meta()), openTickets(f.e))
	if err != nil {
		t.Fatal(err)
	}
	f.e = e2
	f.act(1, hall.ActFinish)
	if n := f.issue("A", false).Number; n != "A004" {
		t.Fatalf("after restore: %s", n)
	}

	// The real midnight: the hall is reset, numbering goes on under 3 March.
	f.clk.t = shanghai(3, 0, 0).Add(30 * time.Second)
	ch = f.e.Tick(f.clk.now())
	f.check(ch)
	if !hasEvent(ch, hall.EventDayReset) {
		t.Fatalf("no reset at the real midnight: %v", ch.Events)
	}
	if w := f.e.Waiting(); len(w) != 0 {
		t.Fatalf("waiting after the real midnight: %v", numbers(w))
	}
	for _, c := range f.e.Snapshot(f.clk.now()).Counters {
		if c.State != hall.CounterClosed {
			t.Fatalf("counter %d %s after the real midnight", c.Number, c.State)
		}
	}
	if tk := f.issue("A", false); tk.Number != "A005" || tk.Day != "2026-03-03" {
		t.Fatalf("real 3 March: %s %s (A001–A004 of 3 March were printed already)", tk.Number, tk.Day)
	}
	// One reset per midnight: later ticks and commands that day do nothing more.
	f.clk.t = shanghai(3, 9, 0)
	if ch := f.e.Tick(f.clk.now()); len(ch.Events) != 0 {
		t.Fatalf("second reset the same day: %v", ch.Events)
	}
	// The next midnight is a normal one.
	f.clk.t = shanghai(4, 8, 0)
	if tk := f.issue("A", false); tk.Number != "A001" || tk.Day != "2026-03-04" {
		t.Fatalf("4 March: %s %s", tk.Number, tk.Day)
	}
}

// A clock stepped back ten minutes does not reorder the queue: the order is the order of issue.
func TestClockStepBackKeepsOrder(t *testing.T) {
	f := newFix(t)
	f.clk.t = shanghai(2, 10, 0)
	a1 := f.issue("A", false)
	f.clk.t = shanghai(2, 9, 50)
	b1 := f.issue("B", false) // counter 1 serves A and B
	a2 := f.issue("A", false)
	if got, want := numbers(f.e.Waiting()), []string{a1.Number, b1.Number, a2.Number}; !reflect.DeepEqual(got, want) {
		t.Fatalf("waiting %v, want %v", got, want)
	}
	if is, _, ok := f.e.Position(f.clk.now(), a2.ID); !ok || is != 1 {
		t.Fatalf("A002 has %d ahead, want 1 (A001)", is)
	}
	f.act(1, hall.ActOpen)
	for _, want := range []string{"A001", "B001", "A002"} {
		tk, _ := f.act(1, hall.ActCallNext)
		if tk == nil || tk.Number != want {
			t.Fatalf("call-next gave %v, want %s", tk, want)
		}
		f.act(1, hall.ActFinish)
	}
}

// A transfer "by original time" places the ticket by when it was issued in the hall's sequence,
// not by the wall clock of its issue.
func TestTransferOriginalAfterClockStep(t *testing.T) {
	f := newFix(t)
	f.clk.t = shanghai(2, 10, 0)
	f.issue("B", false) // B001
	f.clk.t = shanghai(2, 9, 50)
	f.issue("A", false) // A001, issued after B001 although the clock reads earlier
	f.issue("B", false) // B002
	f.act(1, hall.ActOpen)
	f.act(1, hall.ActCall, ticket("A001"))
	f.act(1, hall.ActTransfer, func(a *hall.CounterAction) { a.ToService = "B"; a.Placement = hall.PlaceOriginal })
	if got := numbers(f.e.Waiting()); !reflect.DeepEqual(got, []string{"B001", "A001", "B002"}) {
		t.Fatalf("original placement: %v", got)
	}
}

// At midnight a ticket at a counter (called or serving) stays there and is finished or marked
// absent normally; waiting and parked tickets are cancelled; counters without a ticket close.
// The reset's Change lists the kept tickets so that the store can rebuild its open index.
func TestMidnightKeepsTicketsInService(t *testing.T) {
	f := newFix(t)
	f.clk.t = shanghai(2, 23, 50)
	f.issue("A", false) // A001
	f.issue("A", false) // A002
	f.issue("A", false) // A003
	f.issue("C", false) // C001
	f.act(1, hall.ActOpen)
	f.act(2, hall.ActOpen)
	f.act(3, hall.ActOpen)
	serving, _ := f.act(1, hall.ActCallNext) // A001
	f.act(1, hall.ActStart)
	called, _ := f.act(2, hall.ActCallNext) // A002
	f.act(3, hall.ActCallNext)              // C001
	f.act(3, hall.ActPark)

	f.clk.t = shanghai(3, 0, 0).Add(10 * time.Second)
	ch := f.e.Tick(f.clk.now())
	f.check(ch)
	if !hasEvent(ch, hall.EventDayReset) {
		t.Fatal("no reset")
	}
	states := map[string]hall.TicketState{}
	for _, tk := range ch.Tickets {
		states[tk.Number] = tk.State
	}
	want := map[string]hall.TicketState{"A001": hall.TicketServing, "A002": hall.TicketCalled, "A003": hall.TicketCancelled, "C001": hall.TicketCancelled}
	if !reflect.DeepEqual(states, want) {
		t.Fatalf("tickets in the reset change %v, want %v", states, want)
	}
	snap := f.e.Snapshot(f.clk.now())
	if c := snap.Counters[0]; c.State != hall.CounterOpen || c.Current == nil || c.Current.Number != "A001" {
		t.Fatalf("counter 1 after midnight %+v", c)
	}
	if c := snap.Counters[2]; c.State != hall.CounterClosed || c.Current != nil {
		t.Fatalf("counter 3 after midnight %+v", c)
	}
	// Today's A001 and A002 do not clash with yesterday's still at the counters.
	newA1 := f.issue("A", false)
	f.issue("A", false)
	if newA1.Number != "A001" || newA1.Day != "2026-03-03" {
		t.Fatalf("new day %s %s", newA1.Number, newA1.Day)
	}
	// A restart in between keeps the counters' tickets.
	e2, err := Restore(testHall(), nil, roundTrip(t, f.e.Meta()), openTickets(f.e))
	if err != nil {
		t.Fatalf("restore after midnight: %v", err)
	}
	f.e = e2
	done, _ := f.act(1, hall.ActFinish)
	if done.ID != serving.ID || done.State != hall.TicketDone {
		t.Fatalf("finish after midnight: %+v", done)
	}
	absent, _ := f.act(2, hall.ActNoShow)
	if absent.ID != called.ID || absent.State != hall.TicketNoShow {
		t.Fatalf("no-show after midnight: %+v", absent)
	}
	// Yesterday's absent ticket cannot come back today; today's A002 is the one found by number.
	if tk, ok := f.e.TicketByNumber("A002"); !ok || tk.Day != "2026-03-03" {
		t.Fatalf("A002 today: %+v %v", tk, ok)
	}
	f.fails(hall.ENOTFOUND, 2, hall.ActReinstate, ticket(called.ID))
	// The counters then take today's queue.
	if tk, _ := f.act(1, hall.ActCallNext); tk == nil || tk.ID != newA1.ID {
		t.Fatalf("counter 1 next: %+v", tk)
	}
}
