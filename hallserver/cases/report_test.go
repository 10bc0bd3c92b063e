package cases

import (
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// TestDailyReport: a day with a case arriving and replied, one arriving and late at the end of
// the day, one older case closed that day, and a later day's view of the same cases.
func TestDailyReport(t *testing.T) {
	f := newFixture(t)
	d0 := at(2026, 3, 3, 9, 0) // Tuesday
	old := f.open(d0.AddDate(0, 0, -1), hall.OpenCaseRequest{Kind: hall.KindComplaint, Text: "旧的", Department: "library"})
	a := f.open(d0, hall.OpenCaseRequest{Kind: hall.KindConsultation, Text: "今天到的已答复", Department: "library"})
	b := f.open(d0.Add(time.Hour), hall.OpenCaseRequest{Kind: hall.KindComplaint, Text: "今天到的没人理", Department: "it"})
	act := func(now time.Time, id, action, text string) hall.Case {
		c, ch, err := f.e.Act(now, hall.CaseAction{Case: id, Action: action, Role: hall.RoleSupervisor, ActorDepartment: hall.OfficeDepartment, Actor: "sup", Text: text})
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		f.check(ch)
		return *c
	}
	act(d0.Add(2*time.Hour), a.ID, hall.CaseActSign, "")
	a = act(d0.Add(3*time.Hour), a.ID, hall.CaseActReply, "已处理")
	act(d0.Add(2*time.Hour), old.ID, hall.CaseActSign, "")
	old = act(d0.Add(4*time.Hour), old.ID, hall.CaseActReply, "处理了")
	b, _ = f.e.Case(b.ID)
	cs := []hall.Case{old, a, b}
	day := at(2026, 3, 3, 0, 0)
	rep := Daily(cs, day, day.AddDate(0, 0, 1), day.AddDate(0, 0, 5), cst)
	if rep.Date != "2026-03-03" || len(rep.Arrived) != 2 || len(rep.Closed) != 2 || len(rep.Late) != 0 {
		t.Fatalf("day report: arrived %d closed %d late %d", len(rep.Arrived), len(rep.Closed), len(rep.Late))
	}
	// Two days later, b (no response) is past its 24 h reply limit.
	d2 := day.AddDate(0, 0, 2)
	rep = Daily(cs, d2, d2.AddDate(0, 0, 1), d2.Add(12*time.Hour), cst)
	if len(rep.Arrived) != 0 || len(rep.Closed) != 0 || len(rep.Late) != 1 || rep.Late[0].Number != b.Number || rep.Late[0].Late != "reply" {
		t.Fatalf("later report: %+v", rep)
	}
	if len(rep.Departments) != 1 || rep.Departments[0].Department != "it" || rep.Departments[0].Late != 1 {
		t.Fatalf("departments %+v", rep.Departments)
	}
	// The past day as of its end: b was not late yet on its first day.
	rep = Daily(cs, day.AddDate(0, 0, 1), day.AddDate(0, 0, 2), d2.Add(12*time.Hour), cst)
	if len(rep.Late) != 1 { // Wed 24:00 > Wed 10:00 reply limit
		t.Fatalf("wednesday: %+v", rep.Late)
	}
}

func TestPeriods(t *testing.T) {
	now := at(2026, 3, 4, 15, 0) // Wednesday
	for _, c := range []struct {
		period, first, last string
	}{{"day", "03-02", "03-04"}, {"week", "W08", "W10"}, {"month", "2026-01", "2026-03"}} {
		ps, err := Periods(c.period, 3, now, cst)
		if err != nil {
			t.Fatal(err)
		}
		if ps[0].Label != c.first || ps[2].Label != c.last || !ps[2].From.Before(now) || !now.Before(ps[2].To) || !ps[0].To.Equal(ps[1].From) {
			t.Errorf("%s: %+v", c.period, ps)
		}
	}
	if ps, _ := Periods("week", 1, now, cst); ps[0].From.Weekday() != time.Monday {
		t.Errorf("week starts %s", ps[0].From.Weekday())
	}
	if _, err := Periods("year", 3, now, cst); hall.ErrorCode(err) != hall.EINVALID {
		t.Error("year accepted")
	}
}
