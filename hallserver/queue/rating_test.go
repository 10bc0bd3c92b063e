package queue

import (
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// TestVisitRated: a rating is one visit.rated event carrying the rated visit, low for 1–2 stars;
// the day's low ratings are in the snapshot and the meta (a restore keeps them), at most
// hall.MaxLowRatings, and the day reset empties them.
func TestVisitRated(t *testing.T) {
	f := newFix(t)
	f.e.Tick(f.clk.now())
	ch := f.e.VisitRated(f.clk.now(), hall.RatedVisit{Ticket: "t1", Number: "A001", Counter: 1, Staff: "counter1", Stars: 2, Reason: "wait_long"}, "rater-1")
	f.check(ch)
	if len(ch.Events) != 1 || ch.Events[0].Type != hall.EventVisitRated || ch.Events[0].Rated == nil || !ch.Events[0].Rated.Low || ch.Events[0].Actor != "rater-1" || len(ch.Tickets) != 0 {
		t.Fatalf("change %+v", ch)
	}
	ch = f.e.VisitRated(f.clk.now(), hall.RatedVisit{Ticket: "t2", Number: "A002", Stars: 3}, "")
	if ch.Events[0].Rated.Low {
		t.Error("3 stars flagged low")
	}
	if low := f.e.Snapshot(f.clk.now()).LowRatings; len(low) != 1 || low[0].Number != "A001" {
		t.Fatalf("snapshot low ratings %+v", low)
	}
	r, err := Restore(testHall(), nil, ch.Meta, nil)
	if err != nil || len(r.Snapshot(f.clk.now()).LowRatings) != 1 {
		t.Fatalf("restored: %v %+v", err, r.Snapshot(f.clk.now()).LowRatings)
	}
	for i := range hall.MaxLowRatings + 3 {
		f.e.VisitRated(f.clk.now(), hall.RatedVisit{Number: "B" + itoa3(i), Stars: 1}, "")
	}
	low := f.e.Snapshot(f.clk.now()).LowRatings
	if len(low) != hall.MaxLowRatings || low[len(low)-1].Number != "B"+itoa3(hall.MaxLowRatings+2) {
		t.Fatalf("keeps %d low ratings, last %+v", len(low), low[len(low)-1])
	}
	f.clk.add(24 * time.Hour)
	f.e.Tick(f.clk.now())
	if low := f.e.Snapshot(f.clk.now()).LowRatings; len(low) != 0 {
		t.Errorf("low ratings kept over midnight: %d", len(low))
	}
}

func itoa3(i int) string {
	return string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}
