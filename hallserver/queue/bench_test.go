package queue

import (
	"fmt"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// BenchmarkIssue issues tickets into a hall with three open, busy counters and a queue of about
// 100 people (numbers wrap at the day limit: a new day every 900 tickets).
func BenchmarkIssue(b *testing.B) {
	e := New(testHall(), nil)
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	for c := 1; c <= 3; c++ {
		e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActOpen})
	}
	for i := 0; i < 100; i++ {
		e.Issue(now, hall.IssueRequest{Service: "A"}, fmt.Sprint("w", i), fmt.Sprint("wt", i))
	}
	e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActCallNext})
	e.Act(now, hall.CounterAction{Counter: 2, Action: hall.ActCallNext})
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprint("b", i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		if _, _, err := e.Issue(now, hall.IssueRequest{Service: []string{"B", "C"}[i%2]}, ids[i], ids[i]); err != nil {
			b.StopTimer()
			now = now.Add(24 * time.Hour) // the service is full: next day
			e.Tick(now)
			for c := 1; c <= 3; c++ {
				e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActOpen})
			}
			b.StartTimer()
		}
	}
}

// BenchmarkCallNextFinish serves a queue: call-next then finish at one counter.
func BenchmarkCallNextFinish(b *testing.B) {
	e := New(testHall(), nil)
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActOpen})
	fill := func() {
		for i := 0; i < 900; i++ {
			now = now.Add(time.Millisecond)
			id := fmt.Sprint(now.UnixNano())
			e.Issue(now, hall.IssueRequest{Service: []string{"A", "B"}[i%2]}, id, id)
		}
	}
	fill()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		t, _, _ := e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActCallNext})
		if t == nil {
			b.StopTimer()
			now = now.Add(24 * time.Hour)
			e.Tick(now)
			e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActOpen})
			fill()
			b.StartTimer()
			continue
		}
		e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActFinish})
	}
}
