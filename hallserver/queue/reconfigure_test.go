package queue

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

func (f *fix) reconfigure(h hall.Hall) (Change, error) {
	f.t.Helper()
	f.clk.add(time.Second)
	ch, err := f.e.Reconfigure(f.clk.now(), h, "admin")
	if err == nil {
		f.check(ch)
	}
	return ch, err
}

func serviceCodes(s hall.Snapshot) []string {
	var out []string
	for _, x := range s.Services {
		out = append(out, x.Code)
	}
	return out
}

func TestReconfigureAddsServiceAndCounter(t *testing.T) {
	f := newFix(t)
	h := testHall()
	h.Services = append(h.Services, hall.Service{Code: "D", AvgMinutes: 3})
	h.Counters = append(h.Counters, hall.CounterConfig{Number: 4, Services: []string{"D"}})
	ch, err := f.reconfigure(h)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ch.Events); n != 1 || ch.Events[0].Type != hall.EventCampusChanged || ch.Events[0].Actor != "admin" {
		t.Fatalf("events %+v, want one campus.changed by admin", ch.Events)
	}
	tk := f.issue("D", false)
	if tk.Number != "D001" {
		t.Fatalf("new service issued %s", tk.Number)
	}
	f.act(4, hall.ActOpen)
	got, _ := f.act(4, hall.ActCallNext)
	if got == nil || got.Number != "D001" {
		t.Fatalf("new counter called %+v", got)
	}
}

// A removed service's waiting tickets stay callable by the counters that served it; the
// service issues no more and leaves once its last ticket is served.
func TestReconfigureRetiresServiceUntilServed(t *testing.T) {
	f := newFix(t)
	f.issue("B", false)
	f.issue("B", false)
	h := testHall()
	h.Services = slices.DeleteFunc(h.Services, func(s hall.Service) bool { return s.Code == "B" })
	for i := range h.Counters {
		h.Counters[i].Services = slices.DeleteFunc(slices.Clone(h.Counters[i].Services), func(s string) bool { return s == "B" })
	}
	if _, err := f.reconfigure(h); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.e.Issue(f.clk.add(time.Second), hall.IssueRequest{Service: "B"}, "x", "y"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("issue of a removed service: %v, want not_found", err)
	}
	if got := f.e.Retired(); !reflect.DeepEqual(got, []string{"B"}) {
		t.Fatalf("retired %v", got)
	}
	// Kiosks and displays no longer show it; the staff's waiting list still has its tickets.
	if got := serviceCodes(f.e.Snapshot(f.clk.now())); !reflect.DeepEqual(got, []string{"A", "C"}) {
		t.Fatalf("snapshot services with B retired: %v", got)
	}
	if n := len(f.e.Waiting()); n != 2 {
		t.Fatalf("%d tickets waiting, want the 2 B tickets", n)
	}
	// Survives a restart from its meta and open tickets.
	f.e = restoreFrom(t, f.e, h)
	f.act(2, hall.ActOpen)
	for _, want := range []string{"B001", "B002"} {
		got, _ := f.act(2, hall.ActCallNext)
		if got == nil || got.Number != want {
			t.Fatalf("called %+v, want %s", got, want)
		}
		f.act(2, hall.ActFinish)
	}
	if got := serviceCodes(f.e.Snapshot(f.clk.now())); !reflect.DeepEqual(got, []string{"A", "C"}) {
		t.Fatalf("services after the last B ticket: %v", got)
	}
	if m := f.e.Meta(); len(m.Retired) != 0 || slices.Contains(m.Counters[1].Services, "B") {
		t.Fatalf("meta keeps the retired service: %+v", m)
	}
}

// A removed counter that is serving finishes its ticket, calls no other, then leaves.
func TestReconfigureRetiresServingCounter(t *testing.T) {
	f := newFix(t)
	f.issue("C", false)
	f.issue("A", false)
	f.act(3, hall.ActOpen)
	f.act(3, hall.ActCallNext)
	f.act(3, hall.ActStart)
	h := testHall()
	h.Counters = h.Counters[:2]
	h.Counters[0].Services = []string{"A", "B", "C"}
	if _, err := f.reconfigure(h); err != nil {
		t.Fatal(err)
	}
	f.fails(hall.ECONFLICT, 3, hall.ActCallNext)
	f.e = restoreFrom(t, f.e, h)
	f.act(3, hall.ActFinish)
	if _, _, err := f.try(3, hall.ActOpen); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("counter 3 after its last ticket: %v, want not_found", err)
	}
	if n := len(f.e.Snapshot(f.clk.now()).Counters); n != 2 {
		t.Fatalf("%d counters, want 2", n)
	}
}

// Removing the last counter serving a service with waiting tickets is refused with the reason,
// and nothing changes.
func TestReconfigureRefusesUnservableTickets(t *testing.T) {
	f := newFix(t)
	f.issue("C", false)
	f.issue("C", false)
	h := testHall()
	h.Counters = h.Counters[:2] // counter 3 was the only one serving C
	before, waiting := f.e.Meta(), f.e.Waiting()
	ch, err := f.reconfigure(h)
	if hall.ErrorCode(err) != hall.EUNPROCESSABLE {
		t.Fatalf("err %v, want unprocessable", err)
	}
	var he *hall.Error
	he, _ = err.(*hall.Error)
	if he == nil || len(he.Details) != 2 || he.Details[0].Field != "services[2]" {
		t.Fatalf("details %+v, want both C tickets on services[2]", he)
	}
	if len(ch.Events) != 0 || !reflect.DeepEqual(before, f.e.Meta()) || !reflect.DeepEqual(waiting, f.e.Waiting()) {
		t.Fatal("a refused change changed the engine")
	}
}

// restoreFrom rebuilds an engine from e's meta and open tickets with the configuration h, as a
// restart does.
func restoreFrom(t *testing.T, e *Engine, h hall.Hall) *Engine {
	t.Helper()
	var open []hall.Ticket
	for _, tk := range e.tickets {
		open = append(open, *tk)
	}
	r, err := Restore(h, e.loc, e.Meta(), open)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	return r
}

// A live change of a service's quota or seasonal range takes effect at once: the gates are
// rebuilt with the configuration (a regression: they were built only at restore).
func TestReconfigureAppliesLimits(t *testing.T) {
	f := newFix(t)
	f.issue("A", false)
	h := testHall()
	for i := range h.Services {
		if h.Services[i].Code == "A" {
			h.Services[i].Quota = 2
		}
		if h.Services[i].Code == "B" {
			h.Services[i].From = "2099-01-01" // a season that has not begun
		}
	}
	if _, err := f.reconfigure(h); err != nil {
		t.Fatal(err)
	}
	f.issue("A", false) // the second of today's two
	f.clk.add(time.Second)
	if _, _, err := f.e.Issue(f.clk.now(), hall.IssueRequest{Service: "A"}, "over", "over"); hall.ErrorCode(err) != hall.EQUOTAREACHED {
		t.Fatalf("third A after the quota of 2 was set live: %v", err)
	}
	if _, _, err := f.e.Issue(f.clk.now(), hall.IssueRequest{Service: "B"}, "early", "early"); hall.ErrorCode(err) != hall.ESERVICECLOSED {
		t.Fatalf("B before its season set live: %v", err)
	}
}
