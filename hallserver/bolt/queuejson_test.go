package bolt

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// The stored tickets and events are read back with encoding/json and served as they are: the
// append encoders must write exactly what json.Marshal writes, for every value.
func TestQueueJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"", "A", "students-20260302-17", "张三 <b>&amp;</b>", "a\"b\\c\n\t\r\b\f\x01\x1f", "\u2028\u2029", "bad\xffutf8\xc3", "emoji 😀", "kiosk-1"}
	word := func() string { return words[rng.IntN(len(words))] }
	zones := []*time.Location{time.UTC, time.FixedZone("CST", 8*3600)}
	at := func() time.Time {
		return time.Date(2026, 3, 2, rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(3)*123456789, zones[rng.IntN(2)])
	}
	opt := func() *time.Time {
		if rng.IntN(2) == 0 {
			return nil
		}
		v := at()
		return &v
	}
	for i := 0; i < 3000; i++ {
		tk := &hall.Ticket{
			ID: word(), Hall: word(), Service: word(), Number: word(), Day: word(), Token: word(),
			State: hall.TicketState(word()), Priority: rng.IntN(2) == 0, Lang: word(), PersonID: word(),
			Channel: word(), IssuedAt: at(), Order: rng.Int64N(3) * 1_000_000_000_000, IssueOrder: rng.Int64N(3) - 1,
			Counter: rng.IntN(3), TargetCounter: rng.IntN(3) - 1, CalledAt: opt(), StartedAt: opt(), FinishedAt: opt(),
			Outcome: hall.Outcome(word()), Calls: rng.IntN(3), NoShows: rng.IntN(2), CaseID: word(),
		}
		if rng.IntN(4) == 0 {
			tk.Visits = []hall.Visit{{Counter: 2, Service: word(), CalledAt: at(), FinishedAt: at(), Note: word()}}
		}
		want, err := json.Marshal(tk)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendTicketJSON([]byte("x"), tk)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[1:], want) {
			t.Fatalf("ticket %d:\n got %s\nwant %s", i, got[1:], want)
		}
		ev := &hall.Event{Seq: rng.Uint64N(1 << 40), Hall: word(), Type: hall.EventType(word()), At: at(), Actor: word()}
		if rng.IntN(4) > 0 {
			ev.Ticket = tk
		}
		if rng.IntN(3) == 0 {
			ev.Counter = &hall.Counter{Hall: word(), Number: 3, State: hall.CounterState(word()), Services: []string{word()}}
		}
		if rng.IntN(3) > 0 {
			ev.Waiting = map[string]int{"A": rng.IntN(9), "C": 0, "B": 12, word(): 1}
		}
		if rng.IntN(5) == 0 {
			ev.Device = &hall.DeviceStatus{}
		}
		if rng.IntN(5) == 0 {
			ev.Notice = &hall.Notice{}
		}
		want, err = json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, reuse := range []bool{false, true} {
			var tj []byte
			if reuse && ev.Ticket != nil {
				tj, _ = appendTicketJSON(nil, ev.Ticket)
			}
			got, err = appendEventJSON(nil, ev, tj)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("event %d (ticket bytes reused: %v):\n got %s\nwant %s", i, reuse, got, want)
			}
		}
		c := *tk
		if len(tk.Visits) == 0 && !sameTicket(tk, &c) {
			t.Fatalf("ticket %d differs from its copy", i)
		}
		if c.Calls++; sameTicket(tk, &c) {
			t.Fatalf("ticket %d: a recall is not noticed", i)
		}
	}
}

// A time json.Marshal refuses is refused (the change fails to prepare) rather than stored in a
// form that cannot be read back.
func TestQueueJSONRefusesYearOutOfRange(t *testing.T) {
	tk := &hall.Ticket{ID: "x", IssuedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := json.Marshal(tk); err == nil {
		t.Fatal("encoding/json accepted year 10000")
	}
	if _, err := appendTicketJSON(nil, tk); err == nil {
		t.Fatal("appendTicketJSON accepted year 10000")
	}
}
