package queue

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// FuzzEngine applies random command sequences and checks the invariants after each one: a ticket
// is in at most one place, no number is issued twice in a day, a counter's current ticket is
// called or serving at that counter, waiting counts match the queues, seqs are consecutive, and
// failing commands change nothing. The clock also steps back ten minutes, and forward and back a
// day: numbers stay unique per day and the business day never goes back.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{0, 0, 0, 20, 36, 52, 68, 3, 19, 35, 51, 4, 5, 6, 7, 200, 201, 202, 2, 18})
	f.Add([]byte("the quick brown fox jumps over the lazy dog, twice: THE QUICK BROWN FOX"))
	f.Add([]byte{0, 1, 2, 3, 4, 20, 36, 21, 37, 254, 5, 6, 255, 7, 8, 253, 9, 10, 22, 38, 250, 11, 254, 12, 70, 71})
	f.Fuzz(func(t *testing.T, data []byte) {
		e := New(testHall(), nil)
		now := time.Date(2026, 3, 2, 15, 50, 0, 0, time.UTC) // close to Shanghai midnight
		issued := map[string]bool{}                          // day/number
		var seq uint64
		actions := hall.CounterActions
		for i, b := range data {
			now = now.Add(time.Duration(b%16+1) * 7 * time.Second)
			before := e.Meta()
			var ch Change
			var err error
			switch {
			case b < 64:
				svc := []string{"A", "B", "C"}[int(b)%3]
				var is *hall.Issued
				is, ch, err = e.Issue(now, hall.IssueRequest{Service: svc, Priority: b%7 == 0}, fmt.Sprint("id", i), fmt.Sprint("tk", i))
				if err == nil {
					key := is.Ticket.Day + "/" + is.Ticket.Number
					if issued[key] {
						t.Fatalf("number %s issued twice", key)
					}
					issued[key] = true
				}
			case b < 250:
				a := hall.CounterAction{Counter: int(b)%4 + 1, Action: actions[int(b/4)%len(actions)]}
				if i+1 < len(data) && data[i+1]%3 == 0 { // name a ticket sometimes
					a.Ticket = fmt.Sprintf("%c%03d", "ABC"[int(data[i+1])%3], int(data[i+1])%5+1)
				}
				a.ToService = []string{"", "A", "B", "C"}[int(b)%4]
				if b%5 == 0 {
					a.ToCounter = int(b)%3 + 1
				}
				a.Placement = []hall.Placement{"", hall.PlaceFront, hall.PlaceEnd, hall.PlaceOriginal}[int(b/3)%4]
				_, ch, err = e.Act(now, a)
			default:
				switch b {
				case 253:
					now = now.Add(-10 * time.Minute)
				case 254:
					now = now.Add(24 * time.Hour)
				case 255:
					now = now.Add(-24 * time.Hour)
				}
				ch = e.Tick(now)
			}
			if e.day < before.Day {
				t.Fatalf("step %d: business day went back from %s to %s", i, before.Day, e.day)
			}
			if err != nil {
				if len(ch.Events) != 0 || !reflect.DeepEqual(before, e.Meta()) {
					t.Fatalf("step %d: failing command changed the engine: %v", i, err)
				}
				if hall.ErrorCode(err) == hall.EINTERNAL {
					t.Fatalf("step %d: internal error %v", i, err)
				}
			}
			for _, ev := range ch.Events {
				if ev.Seq != seq+1 {
					t.Fatalf("step %d: seq %d after %d", i, ev.Seq, seq)
				}
				seq = ev.Seq
			}
			if len(ch.Events) > 0 && !reflect.DeepEqual(ch.Events[len(ch.Events)-1].Waiting, e.waitingCounts()) {
				t.Fatalf("step %d: last event's waiting counts are stale", i)
			}
			checkInvariants(t, e)
		}
	})
}

func checkInvariants(t *testing.T, e *Engine) {
	t.Helper()
	place := map[string]string{}
	for svc, q := range e.queues {
		for i, tk := range q {
			if tk.State != hall.TicketWaiting || tk.Service != svc {
				t.Fatalf("queue %s holds %s in state %s service %s", svc, tk.Number, tk.State, tk.Service)
			}
			if p, dup := place[tk.ID]; dup {
				t.Fatalf("%s is in %s and queue %s", tk.Number, p, svc)
			}
			place[tk.ID] = "queue " + svc
			if e.tickets[tk.ID] != tk {
				t.Fatalf("queued %s is not the engine's ticket", tk.Number)
			}
			if i > 0 && less(tk, q[i-1]) {
				t.Fatalf("queue %s out of order at %d", svc, i)
			}
			if tk.TargetCounter != 0 {
				ci := e.counterIndex(tk.TargetCounter)
				if ci < 0 || !contains(e.counters[ci].Services, svc) {
					t.Fatalf("%s reserved for counter %d that does not serve %s", tk.Number, tk.TargetCounter, svc)
				}
			}
		}
	}
	for _, c := range e.counters {
		if c.Current == "" {
			continue
		}
		tk, ok := e.tickets[c.Current]
		if !ok || (tk.State != hall.TicketCalled && tk.State != hall.TicketServing) || tk.Counter != c.Number {
			t.Fatalf("counter %d current %q is not called/serving there", c.Number, c.Current)
		}
		if p, dup := place[tk.ID]; dup {
			t.Fatalf("%s is at counter %d and in %s", tk.Number, c.Number, p)
		}
		place[tk.ID] = fmt.Sprint("counter ", c.Number)
	}
	waiting, today := 0, 0
	for id, tk := range e.tickets {
		switch tk.State {
		case hall.TicketWaiting:
			waiting++
			if _, ok := place[id]; !ok {
				t.Fatalf("waiting %s is in no queue", tk.Number)
			}
		case hall.TicketCalled, hall.TicketServing:
			if _, ok := place[id]; !ok {
				t.Fatalf("%s %s at no counter", tk.State, tk.Number)
			}
		case hall.TicketParked:
			if _, ok := place[id]; ok {
				t.Fatalf("parked %s is in %s", tk.Number, place[id])
			}
		case hall.TicketNoShow:
			if tk.NoShows > NoShowLimit {
				t.Fatalf("no-show %s over the limit kept", tk.Number)
			}
		default:
			t.Fatalf("final ticket %s (%s) kept", tk.Number, tk.State)
		}
		if e.byToken[tk.Token] != id {
			t.Fatalf("token index of %s broken", tk.Number)
		}
		if tk.Day == e.day {
			today++
			if e.byNumber[tk.Number] != id {
				t.Fatalf("number index of %s broken", tk.Number)
			}
		} else if (tk.State != hall.TicketCalled && tk.State != hall.TicketServing) || e.byNumber[tk.Number] == id {
			t.Fatalf("%s of %s kept %s (today is %s)", tk.Number, tk.Day, tk.State, e.day)
		}
	}
	total := 0
	for _, n := range e.waitingCounts() {
		total += n
	}
	if total != waiting || len(e.Waiting()) != waiting {
		t.Fatalf("waiting counts %d, tickets %d", total, waiting)
	}
	if len(e.byNumber) != today || len(e.byToken) != len(e.tickets) {
		t.Fatalf("indexes %d %d vs %d tickets", len(e.byNumber), len(e.byToken), len(e.tickets))
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
