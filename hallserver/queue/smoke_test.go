package queue

import (
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

func TestSmoke(t *testing.T) {
	h := hall.Hall{Code: "students", Services: []hall.Service{{Code: "A", AvgMinutes: 5}, {Code: "B", AvgMinutes: 8}},
		Counters: []hall.CounterConfig{{Number: 1, Services: []string{"A", "B"}}, {Number: 2, Services: []string{"B", "A"}}}}
	e := New(h, nil)
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	is, ch, err := e.Issue(now, hall.IssueRequest{Service: "A"}, "id1", "tok1")
	if err != nil || is.Ticket.Number != "A001" || len(ch.Events) != 1 {
		t.Fatal(is, ch, err)
	}
	if _, _, err := e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActOpen}); err != nil {
		t.Fatal(err)
	}
	tk, ch, err := e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActCallNext})
	if err != nil || tk.Number != "A001" {
		t.Fatal(tk, err)
	}
	t.Logf("%+v", e.Snapshot(now))
}
