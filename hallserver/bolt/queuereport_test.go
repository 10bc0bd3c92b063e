package bolt

import (
	"context"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/kpi"
)

// TestQueueReportsReadByDay: the reports' source gives exactly a local day's events of a hall
// (binary search on the file, then the WAL's overlay), with the span of their seqs, the same
// before and after a checkpoint, for a day partly in the file and partly in the overlay; the
// span alone agrees with the events; the visit stars are those of the day's tickets.
func TestQueueReportsReadByDay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	loc, _ := time.LoadLocation(hall.DefaultTimeZone)
	src := NewQueueReports(e.db)
	ratings, err := NewVisitRatings(e.db, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for d := 2; d <= 4; d++ {
		e.clk.at(d, 9, 0, 0)
		for i := 0; i < 3; i++ {
			tokens = append(tokens, e.issue("h1", "A").Ticket.Token)
			e.clk.Add(time.Minute)
		}
		e.mustAct("h1", 1, "open", "")
		e.mustAct("h1", 1, "call-next", "")
		e.clk.Add(time.Minute)
		e.mustAct("h1", 1, "finish", "")
		if d == 3 {
			if err := e.db.qlog.flush(); err != nil { // day 3: half in the file, half in the overlay
				t.Fatal(err)
			}
			e.issue("h1", "B")
		}
		e.issue("h2", "A") // another hall: never in h1's report
	}
	if _, err := ratings.RateVisit(ctx, tokens[3], hall.VisitRating{Stars: 1}); err != nil { // day 3's first
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for d := 2; d <= 4; d++ {
			from := time.Date(2026, 3, d, 0, 0, 0, 0, loc)
			evs, span, err := src.HallEvents(ctx, "h1", from, from.AddDate(0, 0, 1))
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				if ev.Hall != "h1" || ev.At.Before(from) || !ev.At.Before(from.AddDate(0, 0, 1)) {
					t.Errorf("%s: day %d has %s at %v of %s", when, d, ev.Type, ev.At, ev.Hall)
				}
			}
			issued := 0
			for i, ev := range evs {
				if i > 0 && ev.Seq != evs[i-1].Seq+1 {
					t.Errorf("%s: day %d: seq %d after %d", when, d, ev.Seq, evs[i-1].Seq)
				}
				if ev.Type == hall.EventIssued {
					issued++
				}
			}
			wantIssued := 3
			if d == 3 {
				wantIssued = 4
			}
			if issued != wantIssued || len(evs) == 0 || span != (kpi.Span{First: evs[0].Seq, Last: evs[len(evs)-1].Seq}) {
				t.Errorf("%s: day %d: %d issued (want %d), span %+v of %d events", when, d, issued, wantIssued, span, len(evs))
			}
			only, err := src.HallSpan(ctx, "h1", from, from.AddDate(0, 0, 1))
			if err != nil || only != span {
				t.Errorf("%s: day %d: span alone %+v, %v; with the events %+v", when, d, only, err, span)
			}
		}
		// The day before the first event and a day after the last: nothing.
		for _, d := range []int{1, 5} {
			from := time.Date(2026, 3, d, 0, 0, 0, 0, loc)
			evs, span, err := src.HallEvents(ctx, "h1", from, from.AddDate(0, 0, 1))
			if err != nil || len(evs) != 0 || span != (kpi.Span{}) {
				t.Errorf("%s: day %d: %d events, span %+v, %v", when, d, len(evs), span, err)
			}
		}
	}
	check("before the checkpoint")
	if err := e.db.qlog.flush(); err != nil {
		t.Fatal(err)
	}
	check("after the checkpoint")

	stars, err := src.VisitStars(ctx, "h1", "2026-03-03")
	if err != nil || len(stars) != 1 {
		t.Fatalf("stars of day 3: %v, %v", stars, err)
	}
	for id, n := range stars {
		if n != 1 || id[:len("h1-20260303-")] != "h1-20260303-" {
			t.Errorf("stars %s: %d", id, n)
		}
	}
	if s, _ := src.VisitStars(ctx, "h1", "2026-03-02"); len(s) != 0 {
		t.Errorf("stars of day 2: %v", s)
	}
}
