package queue

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// clock is a fake clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time                { return c.t }
func (c *clock) add(d time.Duration) time.Time { c.t = c.t.Add(d); return c.t }

func testHall() hall.Hall {
	return hall.Hall{Code: "students", Name: hall.Text{Zh: "学生事务大厅", En: "Student Affairs Hall"},
		Services: []hall.Service{
			{Code: "A", AvgMinutes: 5, Materials: []hall.Text{{Zh: "学生证", En: "Student ID"}}},
			{Code: "B", AvgMinutes: 8},
			{Code: "C", AvgMinutes: 4}},
		Counters: []hall.CounterConfig{
			{Number: 1, Services: []string{"A", "B"}},
			{Number: 2, Services: []string{"B", "A"}},
			{Number: 3, Services: []string{"C"}}}}
}

type fix struct {
	t   *testing.T
	e   *Engine
	clk *clock
	n   int
	seq uint64
}

func newFix(t *testing.T) *fix {
	t.Helper()
	return &fix{t: t, e: New(testHall(), nil), clk: &clock{time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)}}
}

// check verifies the change's events: consecutive seqs after the previous change.
func (f *fix) check(ch Change) {
	f.t.Helper()
	for _, ev := range ch.Events {
		if ev.Seq != f.seq+1 {
			f.t.Fatalf("event %s seq %d, want %d", ev.Type, ev.Seq, f.seq+1)
		}
		f.seq = ev.Seq
		if ev.Hall != "students" || ev.Waiting == nil {
			f.t.Fatalf("event %+v lacks hall or waiting", ev)
		}
	}
	if len(ch.Events) > 0 && ch.Meta.Seq != f.seq {
		f.t.Fatalf("meta seq %d, want %d", ch.Meta.Seq, f.seq)
	}
}

func (f *fix) issue(svc string, prio bool) hall.Ticket {
	f.t.Helper()
	f.n++
	f.clk.add(time.Second)
	is, ch, err := f.e.Issue(f.clk.now(), hall.IssueRequest{Service: svc, Priority: prio}, fmt.Sprint("id", f.n), fmt.Sprint("tok", f.n))
	if err != nil {
		f.t.Fatalf("issue %s: %v", svc, err)
	}
	f.check(ch)
	if len(ch.Events) == 0 || ch.Events[len(ch.Events)-1].Type != hall.EventIssued {
		f.t.Fatalf("issue events %+v", ch.Events)
	}
	return is.Ticket
}

func (f *fix) act(c int, action string, mod ...func(*hall.CounterAction)) (*hall.Ticket, Change) {
	f.t.Helper()
	t, ch, err := f.try(c, action, mod...)
	if err != nil {
		f.t.Fatalf("counter %d %s: %v", c, action, err)
	}
	return t, ch
}

func (f *fix) try(c int, action string, mod ...func(*hall.CounterAction)) (*hall.Ticket, Change, error) {
	f.clk.add(time.Second)
	a := hall.CounterAction{Hall: "students", Counter: c, Action: action, Actor: "counter1"}
	for _, m := range mod {
		m(&a)
	}
	t, ch, err := f.e.Act(f.clk.now(), a)
	if err == nil {
		f.check(ch)
	}
	return t, ch, err
}

// fails checks that the action fails with the code and changes nothing.
func (f *fix) fails(code string, c int, action string, mod ...func(*hall.CounterAction)) {
	f.t.Helper()
	before, snap := f.e.Meta(), f.e.Snapshot(f.clk.now())
	waiting := f.e.Waiting()
	_, ch, err := f.try(c, action, mod...)
	if hall.ErrorCode(err) != code {
		f.t.Fatalf("counter %d %s: err %v, want %s", c, action, err, code)
	}
	if len(ch.Events) != 0 {
		f.t.Fatalf("failed action returned events")
	}
	if !reflect.DeepEqual(before, f.e.Meta()) || !reflect.DeepEqual(snap, f.e.Snapshot(f.clk.now().Add(-time.Second))) || !reflect.DeepEqual(waiting, f.e.Waiting()) {
		f.t.Fatalf("failed %s changed the engine", action)
	}
}

func ticket(ref string) func(*hall.CounterAction) {
	return func(a *hall.CounterAction) { a.Ticket = ref }
}

func TestNumbering(t *testing.T) {
	f := newFix(t)
	for i := 1; i <= 3; i++ {
		if n := f.issue("A", false).Number; n != fmt.Sprintf("A%03d", i) {
			t.Fatalf("got %s", n)
		}
	}
	if n := f.issue("B", false).Number; n != "B001" {
		t.Fatalf("B got %s", n)
	}
	tk := f.issue("A", false)
	if tk.Day != "2026-03-02" || tk.Order != 5*OrderStep || tk.IssueOrder != tk.Order || tk.State != hall.TicketWaiting {
		t.Fatalf("ticket %+v", tk)
	}
}

func TestIssueValidation(t *testing.T) {
	f := newFix(t)
	f.issue("A", false)
	cases := []struct {
		req         hall.IssueRequest
		id, token   string
		code, field string
	}{
		{hall.IssueRequest{Service: "Z"}, "x1", "y1", hall.ENOTFOUND, "service"},
		{hall.IssueRequest{Service: ""}, "x1", "y1", hall.EINVALID, "service"},
		{hall.IssueRequest{Service: "A", Lang: "fr"}, "x1", "y1", hall.EINVALID, "lang"},
		{hall.IssueRequest{Service: "A", PersonID: "20230001 "}, "x1", "y1", hall.EINVALID, "personId"},
		{hall.IssueRequest{Service: "A", PersonID: strings.Repeat("9", 33)}, "x1", "y1", hall.EINVALID, "personId"},
		{hall.IssueRequest{Service: "A"}, "id1", "y1", hall.ECONFLICT, "id"},
		{hall.IssueRequest{Service: "A"}, "x1", "tok1", hall.ECONFLICT, "token"},
		{hall.IssueRequest{Service: "A"}, "", "y1", hall.EINVALID, "id"},
	}
	for _, c := range cases {
		before := f.e.Meta()
		_, ch, err := f.e.Issue(f.clk.now(), c.req, c.id, c.token)
		if hall.ErrorCode(err) != c.code || hall.ErrorField(err) != c.field || len(ch.Events) != 0 {
			t.Errorf("%+v: err %v, want %s %s", c.req, err, c.code, c.field)
		}
		if !reflect.DeepEqual(before, f.e.Meta()) {
			t.Errorf("%+v changed meta", c.req)
		}
	}
	ok := []hall.IssueRequest{{Service: "A", Lang: "en", PersonID: "2023-ab-01"}, {Service: "A", Lang: "zh", PersonID: strings.Repeat("x", 32)}}
	for i, r := range ok {
		if _, _, err := f.e.Issue(f.clk.now(), r, fmt.Sprint("ok", i), fmt.Sprint("okt", i)); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
}

func TestServiceFull(t *testing.T) {
	f := newFix(t)
	for i := 1; i <= MaxNumber; i++ {
		f.clk.add(50 * time.Millisecond) // all within one local day
		is, _, err := f.e.Issue(f.clk.now(), hall.IssueRequest{Service: "C"}, fmt.Sprint("c", i), fmt.Sprint("ct", i))
		if err != nil {
			t.Fatalf("ticket %d: %v", i, err)
		}
		if n := is.Ticket.Number; (i == 999 && n != "C999") || (i == 1000 && n != "C1000") {
			t.Fatalf("ticket %d numbered %s", i, n)
		}
	}
	f.seq = uint64(MaxNumber)
	before := f.e.Meta()
	_, _, err := f.e.Issue(f.clk.now(), hall.IssueRequest{Service: "C"}, "full", "full")
	if hall.ErrorCode(err) != hall.ECONFLICT || !strings.Contains(err.Error(), "full for today") {
		t.Fatalf("err %v", err)
	}
	if !reflect.DeepEqual(before, f.e.Meta()) {
		t.Fatal("changed")
	}
	if n := f.issue("A", false).Number; n != "A001" {
		t.Fatal(n)
	}
}

func TestMidnightReset(t *testing.T) {
	f := newFix(t)
	f.clk.t = time.Date(2026, 3, 2, 15, 59, 50, 0, time.UTC) // 23:59:50 in Shanghai
	a1 := f.issue("A", false)
	a2 := f.issue("A", false)
	f.act(1, hall.ActOpen)
	f.act(1, hall.ActCallNext)
	if a1.Day != "2026-03-02" {
		t.Fatal(a1.Day)
	}
	f.clk.t = time.Date(2026, 3, 2, 15, 59, 59, 0, time.UTC)
	if ch := f.e.Tick(f.clk.now()); len(ch.Events) != 0 {
		t.Fatal("tick before midnight changed something")
	}
	f.clk.t = time.Date(2026, 3, 2, 15, 59, 59, 0, time.UTC)
	tk := f.issue("A", false) // 16:00:00Z = 00:00 Shanghai
	if tk.Number != "A001" || tk.Day != "2026-03-03" {
		t.Fatalf("after midnight: %s %s", tk.Number, tk.Day)
	}
	if f.e.Meta().Day != "2026-03-03" {
		t.Fatal("meta day")
	}
	// A001 is at counter 1 and stays there; A002, waiting, is cancelled.
	if tk, ok := f.e.Ticket(a1.ID); !ok || tk.State != hall.TicketCalled {
		t.Fatal("the ticket at counter 1 did not stay there")
	}
	if _, ok := f.e.Ticket(a2.ID); ok {
		t.Fatal("yesterday's waiting ticket still open")
	}
	snap := f.e.Snapshot(f.clk.now())
	for _, c := range snap.Counters {
		if c.Number == 1 && (c.State != hall.CounterOpen || c.Current == nil || c.Current.Number != "A001") {
			t.Fatalf("counter 1 after reset %+v", c)
		}
		if c.Number != 1 && (c.State != hall.CounterClosed || c.Current != nil) {
			t.Fatalf("counter %+v after reset", c)
		}
	}
	if len(snap.RecentCalls) != 0 || snap.Services[0].Waiting != 1 {
		t.Fatalf("snapshot after reset %+v", snap)
	}
}

func TestMidnightResetEvents(t *testing.T) {
	f := newFix(t)
	f.clk.t = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	f.issue("A", false)
	f.issue("B", false)
	ch := f.e.Tick(time.Date(2026, 3, 2, 16, 0, 1, 0, time.UTC))
	f.check(ch)
	var types []hall.EventType
	for _, ev := range ch.Events {
		types = append(types, ev.Type)
	}
	want := []hall.EventType{hall.EventCancelled, hall.EventCancelled, hall.EventDayReset}
	if !reflect.DeepEqual(types, want) || len(ch.Tickets) != 2 || ch.Tickets[0].State != hall.TicketCancelled {
		t.Fatalf("reset events %v tickets %+v", types, ch.Tickets)
	}
	// a failing command after midnight undoes the reset
	f2 := newFix(t)
	f2.clk.t = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	f2.issue("A", false)
	before := f2.e.Meta()
	if _, _, err := f2.e.Issue(time.Date(2026, 3, 2, 16, 0, 1, 0, time.UTC), hall.IssueRequest{Service: "Q"}, "x", "y"); err == nil {
		t.Fatal("want error")
	}
	if !reflect.DeepEqual(before, f2.e.Meta()) {
		t.Fatal("failed command after midnight changed meta")
	}
}

func TestNumbersSurviveRestore(t *testing.T) {
	f := newFix(t)
	for i := 0; i < 5; i++ {
		f.issue("A", false)
	}
	f.act(1, hall.ActOpen)
	for i := 0; i < 5; i++ { // serve them all: nothing open is left
		f.act(1, hall.ActCallNext)
		f.act(1, hall.ActFinish)
	}
	e2, err := Restore(testHall(), nil, roundTrip(t, f.e.Meta()), nil)
	if err != nil {
		t.Fatal(err)
	}
	is, _, err := e2.Issue(f.clk.add(time.Second), hall.IssueRequest{Service: "A"}, "n6", "t6")
	if err != nil || is.Ticket.Number != "A006" {
		t.Fatalf("after restore: %v %v", is, err)
	}
}

func roundTrip(t *testing.T, m Meta) Meta {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out Meta
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCallOrder(t *testing.T) {
	f := newFix(t)
	a1 := f.issue("A", false)
	b1 := f.issue("B", false)
	a2 := f.issue("A", false)
	b2 := f.issue("B", true) // green channel
	f.act(1, hall.ActOpen)
	f.act(2, hall.ActOpen)
	var got []string
	for i := 0; i < 4; i++ {
		tk, _ := f.act(1, hall.ActCallNext)
		got = append(got, tk.Number)
		f.act(1, hall.ActFinish)
	}
	want := []string{b2.Number, a1.Number, b1.Number, a2.Number}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	tk, ch := f.act(1, hall.ActCallNext)
	if tk != nil || len(ch.Events) != 0 || ch.Tickets != nil {
		t.Fatalf("empty queue: %v %+v", tk, ch)
	}
	// counter 3 serves only C: it never takes A
	f.issue("A", false)
	f.act(3, hall.ActOpen)
	if tk, _ := f.act(3, hall.ActCallNext); tk != nil {
		t.Fatalf("counter 3 took %s", tk.Number)
	}
}

func TestProfileOrderBreaksTies(t *testing.T) {
	// Issued tickets never tie (Order is a sequence); tickets with equal Orders come from files
	// written when Order was the issue time in nanoseconds.
	f := newFix(t)
	var open []hall.Ticket
	for i, s := range []string{"A", "B"} {
		open = append(open, hall.Ticket{ID: fmt.Sprint("s", i), Service: s, Number: s + "001", Day: "2026-03-02",
			Token: fmt.Sprint("st", i), State: hall.TicketWaiting, IssuedAt: f.clk.now(), Order: f.clk.now().UnixNano()})
	}
	e, err := Restore(testHall(), nil, Meta{Day: "2026-03-02"}, open)
	if err != nil {
		t.Fatal(err)
	}
	f.e = e
	f.act(2, hall.ActOpen)
	if tk, _ := f.act(2, hall.ActCallNext); tk.Number != "B001" { // counter 2's main service is B
		t.Fatal(tk.Number)
	}
	f.act(1, hall.ActOpen)
	if tk, _ := f.act(1, hall.ActCallNext); tk.Number != "A001" {
		t.Fatal(tk.Number)
	}
}

func TestDoubleCallNextDoesNotSkip(t *testing.T) {
	f := newFix(t)
	a1 := f.issue("A", false)
	f.issue("A", false)
	f.act(1, hall.ActOpen)
	tk, _ := f.act(1, hall.ActCallNext)
	if tk.ID != a1.ID {
		t.Fatal(tk.Number)
	}
	f.fails(hall.ECONFLICT, 1, hall.ActCallNext)
	f.act(1, hall.ActStart)
	f.fails(hall.ECONFLICT, 1, hall.ActCallNext)
	// the other counter gets the next one, never a1
	f.act(2, hall.ActOpen)
	tk2, _ := f.act(2, hall.ActCallNext)
	if tk2.Number != "A002" {
		t.Fatal(tk2.Number)
	}
}

func TestHappyPaths(t *testing.T) {
	f := newFix(t)
	a1 := f.issue("A", false)
	f.issue("A", false)
	_, ch := f.act(1, hall.ActOpen)
	if ch.Events[0].Type != hall.EventCounter || ch.Events[0].Counter.State != hall.CounterOpen || ch.Events[0].Counter.Staff != "counter1" {
		t.Fatalf("open: %+v", ch.Events)
	}
	if _, ch := f.act(1, hall.ActOpen); len(ch.Events) != 0 {
		t.Fatal("repeated open made events")
	}
	tk, ch := f.act(1, hall.ActCallNext)
	if tk.State != hall.TicketCalled || tk.Counter != 1 || tk.Calls != 1 || ch.Events[0].Type != hall.EventCalled || ch.Tickets[0].ID != a1.ID {
		t.Fatalf("call-next %+v %+v", tk, ch.Events)
	}
	tk, ch = f.act(1, hall.ActRecall)
	if tk.Calls != 2 || ch.Events[0].Type != hall.EventRecalled || !f.e.Snapshot(f.clk.now()).RecentCalls[0].Recall {
		t.Fatalf("recall %+v", tk)
	}
	tk, ch = f.act(1, hall.ActStart)
	if tk.State != hall.TicketServing || tk.StartedAt == nil || ch.Events[0].Type != hall.EventStarted {
		t.Fatalf("start %+v", tk)
	}
	f.fails(hall.ECONFLICT, 1, hall.ActRecall)
	f.fails(hall.ECONFLICT, 1, hall.ActNoShow)
	f.fails(hall.EINVALID, 1, hall.ActFinish, func(a *hall.CounterAction) { a.Outcome = "maybe" })
	tk, ch = f.act(1, hall.ActFinish, func(a *hall.CounterAction) { a.Outcome = hall.OutcomeCaseOpened; a.Note = "to finance" })
	if tk.State != hall.TicketDone || tk.Outcome != hall.OutcomeCaseOpened || len(tk.Visits) != 1 || tk.Visits[0].Note != "to finance" || ch.Events[0].Type != hall.EventFinished {
		t.Fatalf("finish %+v", tk)
	}
	if ch.Events[0].Counter.Current != "" || len(ch.Meta.Stats["A"].Recent) != 1 || ch.Meta.Stats["A"].Recent[0] != 6 /* call, recall, start, 3 failed tries: 1 s each */ {
		t.Fatalf("finish counter/stats %+v %+v", ch.Events[0].Counter, ch.Meta.Stats)
	}
	if _, ok := f.e.Ticket(a1.ID); ok {
		t.Fatal("done ticket still open")
	}
	// default outcome
	f.act(1, hall.ActCallNext)
	tk, _ = f.act(1, hall.ActFinish)
	if tk.Outcome != hall.OutcomeResolved {
		t.Fatal(tk.Outcome)
	}
	_, ch = f.act(1, hall.ActPause)
	if ch.Events[0].Counter.State != hall.CounterPaused {
		t.Fatal("pause")
	}
	f.issue("A", false)
	f.fails(hall.ECONFLICT, 1, hall.ActCallNext) // paused
	f.act(1, hall.ActClose)
	f.fails(hall.ECONFLICT, 1, hall.ActPause) // closed
}

func TestInvalidActions(t *testing.T) {
	f := newFix(t)
	f.issue("A", false)
	f.issue("B", false)
	f.act(1, hall.ActOpen)
	f.fails(hall.ENOTFOUND, 9, hall.ActOpen)
	f.fails(hall.EINVALID, 1, "dance")
	f.fails(hall.ECONFLICT, 2, hall.ActCallNext) // closed
	for _, a := range []string{hall.ActRecall, hall.ActStart, hall.ActFinish, hall.ActNoShow, hall.ActPark} {
		f.fails(hall.ECONFLICT, 1, a) // no current ticket
	}
	f.fails(hall.EINVALID, 1, hall.ActCall)                    // no ticket named
	f.fails(hall.ENOTFOUND, 1, hall.ActCall, ticket("A999"))   // unknown
	f.fails(hall.EINVALID, 1, hall.ActCancel)                  // no ticket named
	f.fails(hall.ENOTFOUND, 1, hall.ActCancel, ticket("nope")) // unknown
	f.fails(hall.EINVALID, 1, hall.ActResume)                  // nothing parked
	f.fails(hall.ECONFLICT, 1, hall.ActReinstate, ticket("A001"))
	f.fails(hall.EINVALID, 1, hall.ActTransfer, ticket("A001"))
	f.fails(hall.ENOTFOUND, 1, hall.ActTransfer, ticket("A001"), func(a *hall.CounterAction) { a.ToService = "Z" })
	f.fails(hall.ENOTFOUND, 1, hall.ActTransfer, ticket("A001"), func(a *hall.CounterAction) { a.ToCounter = 7 })
	f.fails(hall.EINVALID, 1, hall.ActTransfer, ticket("A001"), func(a *hall.CounterAction) { a.ToService = "C"; a.ToCounter = 1 })
	f.fails(hall.EINVALID, 1, hall.ActTransfer, ticket("A001"), func(a *hall.CounterAction) { a.ToService = "B"; a.Placement = "middle" })
	f.act(1, hall.ActCallNext)
	f.fails(hall.ECONFLICT, 1, hall.ActClose)
	f.fails(hall.ECONFLICT, 1, hall.ActStart, ticket("B001")) // not the current one
	f.fails(hall.ECONFLICT, 1, hall.ActCall, ticket("B001"))  // has a current ticket
	f.act(2, hall.ActOpen)
	f.fails(hall.ECONFLICT, 2, hall.ActCall, ticket("A001"))   // called at counter 1
	f.fails(hall.ECONFLICT, 2, hall.ActCancel, ticket("A001")) // called
	f.fails(hall.ECONFLICT, 2, hall.ActTransfer, ticket("A001"), func(a *hall.CounterAction) { a.ToService = "B" })
}

func TestCallSpecificByNumberAndID(t *testing.T) {
	f := newFix(t)
	f.issue("A", false)
	a2 := f.issue("A", false)
	f.act(1, hall.ActOpen)
	tk, _ := f.act(1, hall.ActCall, ticket("a002"))
	if tk.ID != a2.ID {
		t.Fatal(tk.Number)
	}
	f.act(1, hall.ActFinish)
	tk, _ = f.act(1, hall.ActCall, ticket("id1"))
	if tk.Number != "A001" {
		t.Fatal(tk.Number)
	}
}

func TestTransferPlacement(t *testing.T) {
	for _, c := range []struct {
		p    hall.Placement
		want []string // B queue order after the transfer
	}{
		{"", []string{"A001", "B001", "B002"}},
		{hall.PlaceFront, []string{"A001", "B001", "B002"}},
		{hall.PlaceEnd, []string{"B001", "B002", "A001"}},
		{hall.PlaceOriginal, []string{"A001", "B001", "B002"}},
	} {
		f := newFix(t)
		f.issue("A", false)
		f.issue("B", false)
		f.issue("B", false)
		f.act(1, hall.ActOpen)
		f.act(1, hall.ActCallNext)
		f.act(1, hall.ActStart)
		tk, ch := f.act(1, hall.ActTransfer, func(a *hall.CounterAction) { a.ToService = "B"; a.Placement = c.p; a.Note = "grant" })
		if tk.Number != "A001" || tk.Service != "B" || tk.State != hall.TicketWaiting || len(tk.Visits) != 1 || tk.Visits[0].Service != "A" {
			t.Fatalf("%s: %+v", c.p, tk)
		}
		if ch.Events[0].Type != hall.EventTransferred || ch.Events[0].Counter.Current != "" || ch.Events[0].Waiting["B"] != 3 {
			t.Fatalf("%s: event %+v", c.p, ch.Events[0])
		}
		var got []string
		for _, w := range f.e.Waiting() {
			got = append(got, w.Number)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: order %v, want %v", c.p, got, c.want)
		}
	}
	// original: by issue time among later tickets
	f := newFix(t)
	f.issue("B", false)
	f.issue("A", false)
	f.issue("B", false)
	f.act(1, hall.ActOpen)
	f.act(1, hall.ActCall, ticket("A001"))
	f.act(1, hall.ActTransfer, func(a *hall.CounterAction) { a.ToService = "B"; a.Placement = hall.PlaceOriginal })
	var got []string
	for _, w := range f.e.Waiting() {
		got = append(got, w.Number)
	}
	if !reflect.DeepEqual(got, []string{"B001", "A001", "B002"}) {
		t.Fatalf("original: %v", got)
	}
}

func TestTransferToCounter(t *testing.T) {
	f := newFix(t)
	f.issue("A", false)
	f.issue("A", false)
	f.act(1, hall.ActOpen)
	f.act(2, hall.ActOpen)
	f.act(3, hall.ActOpen)
	f.act(1, hall.ActCallNext)
	tk, _ := f.act(1, hall.ActTransfer, func(a *hall.CounterAction) { a.ToCounter = 3 })
	if tk.TargetCounter != 3 || tk.Service != "C" { // counter 3 serves only C
		t.Fatalf("%+v", tk)
	}
	// counter 2 serves C? no; counter 1 cannot take it back: reserved for 3
	f.issue("C", false)
	tk, _ = f.act(3, hall.ActCallNext)
	if tk.Number != "A001" || tk.TargetCounter != 0 {
		t.Fatalf("counter 3 got %+v", tk)
	}
	// a waiting ticket reserved for counter 2 is skipped by counter 1
	f.act(2, hall.ActTransfer, ticket("A002"), func(a *hall.CounterAction) { a.ToCounter = 2 })
	if tk, _ := f.act(1, hall.ActCallNext); tk != nil {
		t.Fatalf("counter 1 took reserved %s", tk.Number)
	}
	if tk, _ := f.act(2, hall.ActCallNext); tk.Number != "A002" {
		t.Fatal(tk.Number)
	}
}

func TestNoShowReinstateLimit(t *testing.T) {
	f := newFix(t)
	a1 := f.issue("A", false)
	f.issue("A", false)
	f.act(1, hall.ActOpen)
	for i := 1; i <= NoShowLimit+1; i++ {
		tk, _ := f.act(1, hall.ActCall, ticket("A001"))
		if tk.ID != a1.ID {
			t.Fatal(tk.Number)
		}
		tk, ch := f.act(1, hall.ActNoShow)
		if tk.State != hall.TicketNoShow || tk.NoShows != i || ch.Events[0].Type != hall.EventNoShow {
			t.Fatalf("no-show %d: %+v", i, tk)
		}
		if i <= NoShowLimit {
			tk, ch := f.act(1, hall.ActReinstate, ticket("A001"))
			if tk.State != hall.TicketWaiting || ch.Events[0].Type != hall.EventReinstated || tk.Order != a1.Order {
				t.Fatalf("reinstate %d: %+v", i, tk)
			}
		}
	}
	f.fails(hall.ENOTFOUND, 1, hall.ActReinstate, ticket("A001"))
	if _, ok := f.e.Ticket(a1.ID); ok {
		t.Fatal("ticket over the limit still in the engine")
	}
}

func TestReinstatedNoShowSurvivesRestore(t *testing.T) {
	f := newFix(t)
	f.issue("A", false)
	f.act(1, hall.ActOpen)
	f.act(1, hall.ActCallNext)
	_, ch := f.act(1, hall.ActNoShow)
	e2, err := Restore(testHall(), nil, roundTrip(t, ch.Meta), ch.Tickets)
	if err != nil {
		t.Fatal(err)
	}
	tk, _, err := e2.Act(f.clk.add(time.Second), hall.CounterAction{Counter: 1, Action: hall.ActReinstate, Ticket: "A001", Placement: hall.PlaceEnd})
	if err != nil || tk.State != hall.TicketWaiting {
		t.Fatal(tk, err)
	}
}

func TestParkResume(t *testing.T) {
	f := newFix(t)
	f.issue("A", false)
	f.issue("A", false)
	f.act(1, hall.ActOpen)
	f.act(1, hall.ActCallNext)
	f.act(1, hall.ActStart)
	tk, ch := f.act(1, hall.ActPark)
	if tk.State != hall.TicketParked || ch.Events[0].Counter.Current != "" {
		t.Fatalf("park %+v", tk)
	}
	f.act(1, hall.ActCallNext) // A002 meanwhile
	f.fails(hall.ECONFLICT, 1, hall.ActResume)
	f.act(1, hall.ActFinish)
	tk, ch = f.act(1, hall.ActResume)
	if tk.Number != "A001" || tk.State != hall.TicketCalled || len(ch.Events) != 2 || ch.Events[0].Type != hall.EventResumed || ch.Events[1].Type != hall.EventCalled {
		t.Fatalf("resume %+v %+v", tk, ch.Events)
	}
	f.act(1, hall.ActPark)
	tk, _ = f.act(2, hall.ActResume, ticket("A001"), func(a *hall.CounterAction) { a.Placement = hall.PlaceFront })
	if tk.State != hall.TicketWaiting {
		t.Fatal(tk.State)
	}
	f.fails(hall.ECONFLICT, 1, hall.ActPark) // nothing current
}

func TestCancel(t *testing.T) {
	f := newFix(t)
	a1 := f.issue("A", false)
	f.issue("A", false)
	tk, ch := f.act(1, hall.ActCancel, ticket("A001"))
	if tk.State != hall.TicketCancelled || ch.Events[0].Type != hall.EventCancelled || ch.Events[0].Waiting["A"] != 1 {
		t.Fatalf("%+v", tk)
	}
	if _, ok := f.e.Ticket(a1.ID); ok {
		t.Fatal("cancelled ticket still open")
	}
	tk, _, err := f.e.CancelByToken(f.clk.add(time.Second), "tok2")
	if err != nil || tk.Number != "A002" {
		t.Fatal(tk, err)
	}
	if _, _, err := f.e.CancelByToken(f.clk.now(), "tok2"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatal(err)
	}
}

func TestOnlyCallEventsSayCall(t *testing.T) {
	for _, typ := range []hall.EventType{hall.EventIssued, hall.EventStarted, hall.EventFinished, hall.EventNoShow,
		hall.EventReinstated, hall.EventParked, hall.EventResumed, hall.EventTransferred, hall.EventCancelled,
		hall.EventCounter, hall.EventDayReset} {
		if strings.Contains(string(typ), "call") {
			t.Errorf("%s contains call", typ)
		}
	}
	if !strings.Contains(string(hall.EventCalled), "call") || !strings.Contains(string(hall.EventRecalled), "call") {
		t.Error("call events")
	}
}

func TestPositionAndSnapshot(t *testing.T) {
	f := newFix(t)
	f.issue("A", false)
	f.issue("A", false)
	p := f.issue("A", true)
	if ahead, _, ok := f.e.Position(f.clk.now(), p.ID); !ok || ahead != 0 {
		t.Fatal(ahead, ok)
	}
	if ahead, eta, ok := f.e.Position(f.clk.now(), "id2"); !ok || ahead != 2 || eta != 2*300 {
		t.Fatal(ahead, eta, ok) // no counter open: as if one opened now, 5 min each
	}
	f.act(1, hall.ActOpen)
	f.act(1, hall.ActCallNext)
	if _, _, ok := f.e.Position(f.clk.now(), p.ID); ok {
		t.Fatal("called ticket has a position")
	}
	s := f.e.Snapshot(f.clk.now())
	if s.Seq != f.seq || s.Day != "2026-03-02" || s.Name.Zh == "" || len(s.Services) != 3 || len(s.Counters) != 3 {
		t.Fatalf("%+v", s)
	}
	a := s.Services[0]
	if a.Code != "A" || a.Waiting != 2 || !a.Open || a.LastCalled != "A003" || a.EtaSeconds <= 0 {
		t.Fatalf("service A %+v", a)
	}
	if s.Services[2].Open || s.Counters[0].Current == nil || s.Counters[0].Current.Number != "A003" || s.Counters[0].State != hall.CounterOpen {
		t.Fatalf("%+v", s)
	}
	if len(s.RecentCalls) != 1 || s.RecentCalls[0].Counter != 1 {
		t.Fatalf("%+v", s.RecentCalls)
	}
	if ws := f.e.Waiting(); len(ws) != 2 || ws[0].Number != "A001" {
		t.Fatalf("%+v", ws)
	}
}

func TestRecentCallsKeepTen(t *testing.T) {
	f := newFix(t)
	f.act(1, hall.ActOpen)
	for i := 0; i < 12; i++ {
		f.issue("A", false)
		f.act(1, hall.ActCallNext)
		f.act(1, hall.ActFinish)
	}
	rc := f.e.Snapshot(f.clk.now()).RecentCalls
	if len(rc) != RecentCallsKept || rc[0].Number != "A012" || rc[9].Number != "A003" {
		t.Fatalf("%+v", rc)
	}
}

func TestRestoreSameSnapshot(t *testing.T) {
	f := newFix(t)
	for i := 0; i < 6; i++ {
		f.issue([]string{"A", "B", "C"}[i%3], i == 4)
	}
	f.act(1, hall.ActOpen)
	f.act(2, hall.ActOpen)
	f.act(1, hall.ActCallNext)
	f.act(2, hall.ActCallNext)
	f.act(2, hall.ActStart)
	f.act(2, hall.ActPark)
	f.act(2, hall.ActCallNext)
	f.act(1, hall.ActNoShow)
	// what the store has: every ticket as last changed
	all := map[string]hall.Ticket{}
	for id := range f.e.tickets {
		tk, _ := f.e.Ticket(id)
		all[id] = tk
	}
	var open []hall.Ticket
	for _, tk := range all {
		open = append(open, tk)
	}
	e2, err := Restore(testHall(), nil, roundTrip(t, f.e.Meta()), open)
	if err != nil {
		t.Fatal(err)
	}
	now := f.clk.now()
	if !reflect.DeepEqual(jsonOf(t, f.e.Snapshot(now)), jsonOf(t, e2.Snapshot(now))) {
		t.Fatalf("snapshots differ:\n%s\n%s", jsonOf(t, f.e.Snapshot(now)), jsonOf(t, e2.Snapshot(now)))
	}
	if !reflect.DeepEqual(jsonOf(t, f.e.Waiting()), jsonOf(t, e2.Waiting())) {
		t.Fatal("waiting differs")
	}
	if !reflect.DeepEqual(jsonOf(t, f.e.Meta()), jsonOf(t, e2.Meta())) {
		t.Fatal("meta differs")
	}
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRestoreDropsRemovedCounters(t *testing.T) {
	f := newFix(t)
	f.issue("C", false)
	f.act(3, hall.ActOpen)
	tk, _ := f.act(3, hall.ActCallNext)
	h := testHall()
	h.Counters = h.Counters[:2]
	h.Counters = append(h.Counters, hall.CounterConfig{Number: 4, Services: []string{"C"}})
	e2, err := Restore(h, nil, f.e.Meta(), []hall.Ticket{*tk})
	if err != nil {
		t.Fatal(err)
	}
	s := e2.Snapshot(f.clk.now())
	if len(s.Counters) != 3 || s.Counters[2].Number != 4 || s.Counters[2].State != hall.CounterClosed || s.Services[2].Waiting != 1 {
		t.Fatalf("%+v", s)
	}
}

// TestSetAside: parked and absent tickets are listed until they are resumed or reinstated; a
// ticket absent more than NoShowLimit times (gone for good) is not.
func TestSetAside(t *testing.T) {
	f := newFix(t)
	f.issue("A", false)
	f.issue("A", false)
	f.act(1, hall.ActOpen)
	f.act(1, hall.ActCallNext)
	f.act(1, hall.ActPark)
	f.act(1, hall.ActCallNext)
	f.act(1, hall.ActNoShow)
	numbers := func() string {
		var s []string
		for _, t := range f.e.SetAside() {
			s = append(s, t.Number+":"+string(t.State))
		}
		return strings.Join(s, " ")
	}
	if got := numbers(); got != "A001:parked A002:no_show" {
		t.Fatalf("set aside %q", got)
	}
	f.act(1, hall.ActReinstate, ticket("A002"))
	f.act(1, hall.ActResume, ticket("A001"))
	if got := numbers(); got != "" {
		t.Fatalf("after resume and reinstate: %q", got)
	}
	f.act(1, hall.ActFinish)
	for i := 2; i <= NoShowLimit+1; i++ { // absent once already
		f.act(1, hall.ActCall, ticket("A002"))
		f.act(1, hall.ActNoShow)
		if i <= NoShowLimit {
			f.act(1, hall.ActReinstate, ticket("A002"))
		}
	}
	if got := numbers(); got != "" {
		t.Fatalf("a ticket absent %d times is listed: %q", NoShowLimit+1, got)
	}
}

// Numbers are the service prefix and at least three digits, as printed on the slips.
func TestTicketNumberFormat(t *testing.T) {
	for _, n := range []int{1, 9, 10, 99, 100, 999, 1000, 12345} {
		if got, want := ticketNumber("A", n), fmt.Sprintf("%s%03d", "A", n); got != want {
			t.Errorf("ticketNumber(A, %d) = %q, want %q", n, got, want)
		}
	}
}
