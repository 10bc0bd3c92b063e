package kpi

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// day builds a hall's events of one day by hand, at campus times.
type day struct {
	date    string
	evs     []hall.Event
	tickets map[string]*hall.Ticket
}

func newDay(date string) *day { return &day{date: date, tickets: map[string]*hall.Ticket{}} }

func (d *day) at(hm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", d.date+" "+hm, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func (d *day) ev(hm string, typ hall.EventType, actor, id string, edit func(t *hall.Ticket)) {
	at := d.at(hm)
	t := d.tickets[id]
	if t == nil {
		t = &hall.Ticket{ID: id, Day: d.date, IssuedAt: at, State: hall.TicketWaiting}
		d.tickets[id] = t
	}
	if edit != nil {
		edit(t)
	}
	cp := *t
	d.evs = append(d.evs, hall.Event{Seq: uint64(len(d.evs) + 1), Type: typ, At: at, Actor: actor, Ticket: &cp})
}

func (d *day) issue(hm, id, service string) {
	d.ev(hm, hall.EventIssued, "kiosk-1", id, func(t *hall.Ticket) { t.Service = service })
}

func (d *day) call(hm, id string, counter int, staff string) {
	d.ev(hm, hall.EventCalled, staff, id, func(t *hall.Ticket) { t.Counter = counter; t.State = hall.TicketCalled })
}

func (d *day) counter(hm string, n int, state hall.CounterState, staff string) {
	d.evs = append(d.evs, hall.Event{Seq: uint64(len(d.evs) + 1), Type: hall.EventCounter, At: d.at(hm), Actor: staff,
		Counter: &hall.Counter{Number: n, State: state, Staff: staff}})
}

// sample is one day: counter 1 (li) and 2 (wang) work services A and B.
func sample() *day {
	d := newDay("2026-03-02")
	d.counter("08:30:00", 1, hall.CounterOpen, "li")
	d.counter("08:45:00", 2, hall.CounterOpen, "wang")
	d.issue("08:50:00", "h-1", "A")                        // waits 10 min, served 5 min (started)
	d.issue("08:55:00", "h-2", "A")                        // waits 20 min, served 10 min (no start)
	d.issue("09:10:00", "h-3", "B")                        // no-show
	d.issue("09:20:00", "h-4", "B")                        // cancelled by the holder
	d.issue("09:30:00", "h-5", "A")                        // transferred to B, served at 2
	d.issue("09:40:00", "h-6", "B")                        // still waiting at the end
	d.issue("10:05:00", "h-7", "A")                        // no-show, reinstated, served
	d.ev("09:00:00", hall.EventFinished, "li", "h-0", nil) // a ticket of another day: left out
	d.call("09:00:00", "h-1", 1, "li")
	d.ev("09:01:00", hall.EventStarted, "li", "h-1", nil)
	d.ev("09:06:00", hall.EventFinished, "li", "h-1", func(t *hall.Ticket) { t.State = hall.TicketDone })
	d.call("09:15:00", "h-2", 2, "wang")
	d.ev("09:25:00", hall.EventFinished, "wang", "h-2", func(t *hall.Ticket) { t.State = hall.TicketDone })
	d.call("09:16:00", "h-3", 1, "li")
	d.ev("09:19:00", hall.EventNoShow, "li", "h-3", nil)
	d.ev("09:21:00", hall.EventCancelled, "", "h-4", nil)
	d.call("09:35:00", "h-5", 1, "li")
	d.ev("09:36:00", hall.EventTransferred, "li", "h-5", func(t *hall.Ticket) { t.Service = "B"; t.Counter = 1 })
	d.call("09:50:00", "h-5", 2, "wang")
	d.ev("09:52:00", hall.EventFinished, "wang", "h-5", nil)
	d.call("10:10:00", "h-7", 1, "li")
	d.ev("10:12:00", hall.EventNoShow, "li", "h-7", nil)
	d.ev("10:20:00", hall.EventReinstated, "li", "h-7", nil)
	d.call("10:25:00", "h-7", 1, "li")
	d.ev("10:40:00", hall.EventFinished, "li", "h-7", nil)
	d.counter("10:15:00", 2, hall.CounterClosed, "wang")
	return d
}

// TestDayFacts: wait is from the issue to the first call, service from the start (else the
// call) of the last stay to the finish; no-show, reinstated no-show, cancel, transfer; the
// hour of day in the campus zone; a ticket left waiting at a closed day's end counts as
// cancelled, not on an open day; counters' open time split by local hour.
func TestDayFacts(t *testing.T) {
	d := sample()
	end := d.at("12:00:00")
	got := DayFacts(d.date, d.evs, shanghai, end, true)
	want := map[string]Fact{
		"h-1": {Service: "A", Hour: 8, Counter: 1, Staff: "li", Served: true, Wait: 10 * time.Minute, Serve: 5 * time.Minute, HasWait: true, HasService: true},
		"h-2": {Service: "A", Hour: 8, Counter: 2, Staff: "wang", Served: true, Wait: 20 * time.Minute, Serve: 10 * time.Minute, HasWait: true, HasService: true},
		"h-3": {Service: "B", Hour: 9, Counter: 1, Staff: "li", NoShow: true, Wait: 6 * time.Minute, HasWait: true},
		"h-4": {Service: "B", Hour: 9, Cancelled: true},
		"h-5": {Service: "A", Hour: 9, Counter: 2, Staff: "wang", Served: true, Transferred: true, Wait: 5 * time.Minute, Serve: 2 * time.Minute, HasWait: true, HasService: true},
		"h-6": {Service: "B", Hour: 9, Cancelled: true},
		"h-7": {Service: "A", Hour: 10, Counter: 1, Staff: "li", Served: true, Wait: 5 * time.Minute, Serve: 15 * time.Minute, HasWait: true, HasService: true},
	}
	if len(got.Tickets) != len(want) {
		t.Fatalf("%d facts, want %d: %+v", len(got.Tickets), len(want), got.Tickets)
	}
	for _, f := range got.Tickets {
		w := want[f.ID]
		w.ID = f.ID
		f.issuedAt, f.calledAt, f.startedAt = time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(f, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", f.ID, f, w)
		}
	}
	open := map[[2]int]time.Duration{}
	for _, c := range got.Counters {
		open[[2]int{c.Counter, c.Hour}] += c.Time
	}
	wantOpen := map[[2]int]time.Duration{
		{1, 8}: 30 * time.Minute, {1, 9}: time.Hour, {1, 10}: time.Hour, {1, 11}: time.Hour,
		{2, 8}: 15 * time.Minute, {2, 9}: time.Hour, {2, 10}: 15 * time.Minute,
	}
	if !reflect.DeepEqual(open, wantOpen) {
		t.Errorf("open time %v, want %v", open, wantOpen)
	}

	live := DayFacts(d.date, d.evs, shanghai, d.at("10:30:00"), false)
	for _, f := range live.Tickets {
		if f.ID == "h-6" && f.Cancelled {
			t.Error("a ticket still waiting today counts as cancelled")
		}
	}
}

// TestAggregate: the rows of each grouping from the sample day, with a target wait of 10
// minutes for A (15 for B) and ratings of three visits.
func TestAggregate(t *testing.T) {
	d := sample()
	days := []Day{DayFacts(d.date, d.evs, shanghai, d.at("12:00:00"), true)}
	target := func(s string) time.Duration {
		if s == "A" {
			return 10 * time.Minute
		}
		return DefaultTargetWait
	}
	stars := map[string]int{"h-1": 5, "h-2": 1, "h-5": 4}
	rows, err := Aggregate(days, ByService, target, stars)
	if err != nil {
		t.Fatal(err)
	}
	// A: h-1 (10m, served), h-2 (20m), h-5 (5m, transferred), h-7 (5m): 4 issued, 4 served,
	// waits 5,5,10,20 min (mean 10, median 5, p90 20), within 10 min 3 of 4;
	// services 5,10,2,15 min. B: h-3 no-show (6m), h-4 cancelled, h-6 left (cancelled).
	wantA := Row{Key: "A", Issued: 4, Served: 4, Transferred: 1,
		WaitSeconds:    Stats{Mean: 600, Median: 300, P90: 1200},
		ServiceSeconds: Stats{Mean: 480, Median: 300, P90: 900},
		WithinTarget:   3, WithinTargetShare: 0.75,
		Rating: &Rating{Count: 3, MeanStars: 3.33, Low: 1}}
	wantB := Row{Key: "B", Issued: 3, NoShow: 1, Cancelled: 2, WaitSeconds: Stats{Mean: 360, Median: 360, P90: 360}}
	if !reflect.DeepEqual(rows, []Row{wantA, wantB}) {
		t.Errorf("by service:\n got %+v\nwant %+v", rows, []Row{wantA, wantB})
	}

	rows, _ = Aggregate(days, ByCounter, target, stars)
	if len(rows) != 2 || rows[0].Key != "1" || rows[0].Issued != 3 || rows[0].Served != 2 || rows[0].NoShow != 1 ||
		*rows[0].OpenHours != 3.5 || rows[1].Key != "2" || rows[1].Served != 2 || *rows[1].OpenHours != 1.5 ||
		rows[1].Rating == nil || rows[1].Rating.Count != 2 || rows[1].Rating.Low != 1 {
		t.Errorf("by counter: %+v", rows)
	}
	rows, _ = Aggregate(days, ByStaff, target, stars)
	if len(rows) != 2 || rows[0].Key != "li" || rows[1].Key != "wang" || *rows[0].OpenHours != 3.5 {
		t.Errorf("by staff: %+v", rows)
	}
	rows, _ = Aggregate(days, ByHour, target, stars)
	keys := []string{}
	for _, r := range rows {
		keys = append(keys, r.Key)
	}
	if !reflect.DeepEqual(keys, []string{"08", "09", "10", "11"}) || rows[0].Issued != 2 || rows[1].Issued != 4 ||
		rows[2].Issued != 1 || rows[3].Issued != 0 || *rows[3].OpenHours != 1 {
		t.Errorf("by hour: %+v", rows)
	}
	rows, _ = Aggregate(days, ByDay, target, stars)
	if len(rows) != 1 || rows[0].Key != "2026-03-02" || rows[0].Issued != 7 || *rows[0].OpenHours != 5 {
		t.Errorf("by day: %+v", rows)
	}
	if _, err := Aggregate(days, "week", target, stars); err == nil {
		t.Error("an unknown grouping is accepted")
	}
}

// fakeSource serves hand-made events and counts the reads (Reports reads days concurrently).
type fakeSource struct {
	mu    sync.Mutex
	evs   []hall.Event
	reads int
}

func (f *fakeSource) pick(from, until time.Time) ([]hall.Event, Span) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []hall.Event
	var sp Span
	for _, e := range f.evs {
		if !e.At.Before(from) && e.At.Before(until) {
			if sp.First == 0 {
				sp.First = e.Seq
			}
			sp.Last = e.Seq
			out = append(out, e)
		}
	}
	return out, sp
}

func (f *fakeSource) HallEvents(_ context.Context, _ string, from, until time.Time) ([]hall.Event, Span, error) {
	f.mu.Lock()
	f.reads++
	f.mu.Unlock()
	evs, sp := f.pick(from, until)
	return evs, sp, nil
}

func (f *fakeSource) HallSpan(_ context.Context, _ string, from, until time.Time) (Span, error) {
	_, sp := f.pick(from, until)
	return sp, nil
}

func (f *fakeSource) VisitStars(context.Context, string, string) (map[string]int, error) {
	return map[string]int{"h-1": 2}, nil
}

// TestReportsCacheClosedDays: a closed day is read from the log once, then from the cache; an
// event added to it (a correction) makes it recomputed; today is read every time; bad ranges
// are refused naming the parameter.
func TestReportsCacheClosedDays(t *testing.T) {
	d := sample()
	src := &fakeSource{evs: d.evs}
	now := d.at("12:00:00").AddDate(0, 0, 1) // the next day: 2026-03-02 is closed
	r := NewReports(src, func() time.Time { return now })
	q := Query{Hall: "h", From: "2026-03-02", Until: "2026-03-03", By: ByDay, Loc: shanghai}
	rows, err := r.Queue(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Issued != 7 || rows[1].Issued != 0 || rows[0].Rating == nil || rows[0].Rating.Low != 1 || src.reads != 2 {
		t.Fatalf("rows %+v after %d reads", rows, src.reads)
	}
	if _, err := r.Queue(context.Background(), q); err != nil || src.reads != 3 {
		t.Fatalf("second report: %v, %d reads (the closed day read again?)", err, src.reads)
	}
	// A correction: one more ticket that day.
	src.evs = append(src.evs, hall.Event{Seq: 999, Type: hall.EventIssued, At: d.at("11:00:00"),
		Ticket: &hall.Ticket{ID: "h-8", Day: d.date, Service: "A", IssuedAt: d.at("11:00:00")}})
	rows, _ = r.Queue(context.Background(), q)
	if rows[0].Issued != 8 || src.reads != 5 {
		t.Fatalf("after a correction: %+v, %d reads", rows, src.reads)
	}
	for _, c := range []struct{ from, until, field string }{
		{"2026-3-2", "2026-03-03", "from"}, {"2026-03-02", "tomorrow", "until"},
		{"2026-03-04", "2026-03-02", "until"}, {"2025-01-01", "2026-03-02", "until"},
	} {
		_, err := r.Queue(context.Background(), Query{Hall: "h", From: c.from, Until: c.until, By: ByDay, Loc: shanghai})
		if hall.ErrorCode(err) != hall.EINVALID || hall.ErrorField(err) != c.field {
			t.Errorf("%s..%s: %v, want invalid %s", c.from, c.until, err, c.field)
		}
	}
}

// TestHeat: the sample day's tickets by hour of issue with their mean wait.
func TestHeat(t *testing.T) {
	d := sample()
	got := Heat([]Day{DayFacts(d.date, d.evs, shanghai, d.at("12:00:00"), true)})
	want := []HeatCell{
		{Day: "2026-03-02", Hour: 8, Issued: 2, MeanWait: 900},  // 10 and 20 min
		{Day: "2026-03-02", Hour: 9, Issued: 4, MeanWait: 330},  // 6 and 5 min (two never called)
		{Day: "2026-03-02", Hour: 10, Issued: 1, MeanWait: 300}, // 5 min
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("heat %+v, want %+v", got, want)
	}
}
