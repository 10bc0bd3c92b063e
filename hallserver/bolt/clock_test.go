package bolt

import (
	"context"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/internal/testtool"
)

// at sets the test clock to a Shanghai wall-clock time on 2026-03-dd.
func (c *clock) at(dd, hh, mm, ss int) {
	loc, _ := time.LoadLocation(hall.DefaultTimeZone)
	c.mu.Lock()
	c.t = time.Date(2026, 3, dd, hh, mm, ss, 0, loc)
	c.mu.Unlock()
}

func (e *env) waitingNumbers(code string) []string {
	e.t.Helper()
	w, err := e.q.Waiting(context.Background(), code)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, tk := range w {
		out = append(out, tk.Day+"/"+tk.Number)
	}
	return out
}

// The clock jumps a day ahead and back, and later ten minutes back, with restarts in between (a
// real file): no number is printed twice under one day, the queue keeps the order of issue, and
// the real midnight still resets the hall.
func TestClockJumpsAcrossRestarts(t *testing.T) {
	e := newEnv(t)
	logs := &testtool.SyncBuffer{}
	e.logw = logs
	e.reopen()
	printed := map[string]bool{}
	issue := func(want string) {
		t.Helper()
		tk := e.issue("h1", "A").Ticket
		key := tk.Day + "/" + tk.Number
		if printed[key] {
			t.Fatalf("%s printed twice", key)
		}
		printed[key] = true
		if key != want {
			t.Fatalf("issued %s, want %s", key, want)
		}
	}
	e.clk.at(2, 9, 0, 0)
	issue("2026-03-02/A001")
	issue("2026-03-02/A002")
	e.clk.at(3, 9, 0, 0) // a day ahead
	issue("2026-03-03/A001")
	issue("2026-03-03/A002")
	e.clk.at(2, 9, 5, 0) // corrected back
	issue("2026-03-03/A003")
	if l := logs.String(); !strings.Contains(l, "clock set back") || !strings.Contains(l, "day=2026-03-03") || !strings.Contains(l, "back=23h55m0s") {
		t.Fatalf("the clock step was not logged: %q", l)
	}
	e.reopen()
	issue("2026-03-03/A004")
	e.clk.at(2, 8, 55, 0) // ten minutes back
	issue("2026-03-03/A005")
	e.reopen()
	issue("2026-03-03/A006")
	want := []string{"2026-03-03/A001", "2026-03-03/A002", "2026-03-03/A003", "2026-03-03/A004", "2026-03-03/A005", "2026-03-03/A006"}
	if got := e.waitingNumbers("h1"); !equal(got, want) {
		t.Fatalf("waiting after restarts %v, want %v", got, want)
	}
	e.mustAct("h1", 1, hall.ActOpen, "")
	if tk := e.mustAct("h1", 1, hall.ActCallNext, ""); tk.Number != "A001" {
		t.Fatalf("call-next gave %s, want A001", tk.Number)
	}
	e.mustAct("h1", 1, hall.ActFinish, "")

	// The real midnight resets the hall; 3 March numbering goes on.
	e.clk.at(3, 0, 0, 30)
	e.q.Tick(context.Background())
	if got := e.waitingNumbers("h1"); len(got) != 0 {
		t.Fatalf("waiting after the real midnight: %v", got)
	}
	issue("2026-03-03/A007")
	e.reopen()
	issue("2026-03-03/A008")
	e.clk.at(4, 9, 0, 0)
	issue("2026-03-04/A001")
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A kiosk that retries with its Idempotency-Key after midnight gets a ticket of the new day (the
// first one was cancelled by the reset), and a second retry gets that same new ticket.
func TestIdempotencyAcrossMidnight(t *testing.T) {
	for _, tick := range []bool{true, false} {
		e := newEnv(t)
		ctx := context.Background()
		req := hall.IssueRequest{Hall: "h1", Service: "A", IdempotencyKey: "tap-7"}
		e.clk.at(2, 23, 59, 50)
		e.issue("h1", "A")
		first, err := e.q.Issue(ctx, req)
		if err != nil || first.Ticket.Number != "A002" {
			t.Fatalf("first: %+v %v", first, err)
		}
		e.clk.at(3, 0, 0, 20)
		if tick {
			e.q.Tick(context.Background()) // the reset came before the retry
		}
		retry, err := e.q.Issue(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if retry.Ticket.ID == first.Ticket.ID || retry.Ticket.State != hall.TicketWaiting || retry.Ticket.Day != "2026-03-03" || retry.Ticket.Number != "A001" {
			t.Fatalf("tick %v: retry after midnight gave %s %s %s (first %s)", tick, retry.Ticket.Day, retry.Ticket.Number, retry.Ticket.State, first.Ticket.ID)
		}
		again, err := e.q.Issue(ctx, req)
		if err != nil || again.Ticket.ID != retry.Ticket.ID {
			t.Fatalf("second retry: %+v %v, want %s", again, err, retry.Ticket.ID)
		}
		e.reopen()
		again, err = e.q.Issue(ctx, req)
		if err != nil || again.Ticket.ID != retry.Ticket.ID || again.Ticket.State != hall.TicketWaiting {
			t.Fatalf("retry after restart: %+v %v, want %s", again, err, retry.Ticket.ID)
		}
		e.close()
	}
}

// The ticket being served at midnight stays at its counter, also across a restart, and is
// finished normally; the waiting one is cancelled.
func TestMidnightKeepsServingAcrossRestart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.clk.at(2, 23, 50, 0)
	e.issue("h1", "A")
	waiting := e.issue("h1", "A")
	e.mustAct("h1", 1, hall.ActOpen, "")
	serving := e.mustAct("h1", 1, hall.ActCallNext, "")
	e.mustAct("h1", 1, hall.ActStart, "")
	e.clk.at(3, 0, 0, 30)
	e.q.Tick(context.Background())
	e.reopen()
	if f, err := e.q.Follow(ctx, waiting.Ticket.Token); err != nil || f.State != hall.TicketCancelled {
		t.Fatalf("waiting ticket after midnight: %+v %v", f, err)
	}
	today := e.issue("h1", "A")
	if today.Ticket.Number != "A001" || today.Ticket.Day != "2026-03-03" {
		t.Fatalf("new day: %s %s", today.Ticket.Day, today.Ticket.Number)
	}
	e.reopen()
	done, err := e.act("h1", 1, hall.ActFinish, "")
	if err != nil || done.ID != serving.ID || done.State != hall.TicketDone {
		t.Fatalf("finish after midnight: %+v %v", done, err)
	}
	if tk := e.mustAct("h1", 1, hall.ActCallNext, ""); tk.ID != today.Ticket.ID {
		t.Fatalf("next is %s, want today's A001", tk.ID)
	}
}
