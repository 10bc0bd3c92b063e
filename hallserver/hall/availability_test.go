package hall_test

import (
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// seasonalHall has a graduation service G open 2027-01-04..01-15 within office hours, with a
// quota of 3 a day, and an unlimited service A.
func seasonalHall() hall.Hall {
	return hall.Hall{Code: "teachers", Name: hall.Text{Zh: "教师服务中心"}, Hours: officeHours,
		Services: []hall.Service{
			{Code: "A", Name: hall.Text{Zh: "人事"}, AvgMinutes: 5},
			{Code: "G", Name: hall.Text{Zh: "年终结算"}, AvgMinutes: 5, Quota: 3, From: "2027-01-04", Until: "2027-01-15"},
		},
		Counters: []hall.CounterConfig{{Number: 1, Services: []string{"A", "G"}}}}
}

func TestGateSeasonHoursQuota(t *testing.T) {
	loc := shanghai(t)
	cal := cases.NewCalendar(loc, []string{"2027-01-01"}, nil)
	h := seasonalHall()
	g, err := hall.NewGate(&h, "G", loc, cal)
	if err != nil {
		t.Fatal(err)
	}
	at := func(v string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", v, loc)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	tests := []struct {
		name, now   string
		issued      int
		closed      string
		opens       string // "" nil
		outOfSeason bool
		remaining   int
	}{
		{"before the season", "2026-12-30 10:00", 0, hall.ESERVICECLOSED, "2027-01-04 08:30", true, 3},
		{"first day before opening", "2027-01-04 07:00", 0, hall.ESERVICECLOSED, "2027-01-04 08:30", false, 3},
		{"first day open", "2027-01-04 08:30", 0, "", "", false, 3},
		{"lunch break", "2027-01-04 12:00", 1, hall.ESERVICECLOSED, "2027-01-04 14:00", false, 2},
		{"quota issued", "2027-01-04 15:00", 3, hall.EQUOTAREACHED, "2027-01-05 08:30", false, 0},
		{"quota issued on a Friday", "2027-01-08 15:00", 3, hall.EQUOTAREACHED, "2027-01-11 08:30", false, 0},
		{"quota issued on the last day", "2027-01-15 15:00", 3, hall.EQUOTAREACHED, "", false, 0},
		{"last day open", "2027-01-15 16:59", 2, "", "", false, 1},
		{"last day after closing", "2027-01-15 17:00", 0, hall.ESERVICECLOSED, "", false, 3},
		{"after the season", "2027-01-16 10:00", 0, hall.ESERVICECLOSED, "", true, 3},
	}
	for _, tc := range tests {
		a := g.Check(at(tc.now), tc.issued)
		var opens string
		if a.OpensAt != nil {
			opens = a.OpensAt.Format("2006-01-02 15:04")
			if _, off := a.OpensAt.Zone(); off != 8*3600 {
				t.Errorf("%s: opensAt %v not in the campus zone", tc.name, a.OpensAt)
			}
		}
		if a.Closed != tc.closed || opens != tc.opens || a.OutOfSeason != tc.outOfSeason || a.Remaining != tc.remaining {
			t.Errorf("%s: %+v (opens %q), want closed %q opens %q outOfSeason %v remaining %d", tc.name, a, opens,
				tc.closed, tc.opens, tc.outOfSeason, tc.remaining)
		}
	}
	// A service without quota or season: -1 remaining, open within hours, closed outside.
	ga, _ := hall.NewGate(&h, "A", loc, cal)
	if a := ga.Check(at("2027-01-04 10:00"), 500); a.Closed != "" || a.Remaining != -1 {
		t.Errorf("A within hours: %+v", a)
	}
	if a := ga.Check(at("2027-01-01 10:00"), 0); a.Closed != hall.ESERVICECLOSED || a.OpensAt == nil ||
		!a.OpensAt.Equal(at("2027-01-04 08:30")) {
		t.Errorf("A on a holiday: %+v, want closed until Monday 08:30", a)
	}
	// The hall issues outside its hours: only the season and the quota close G.
	h.IssueOutsideHours = true
	gout, _ := hall.NewGate(&h, "G", loc, cal)
	if a := gout.Check(at("2027-01-04 22:00"), 0); a.Closed != "" {
		t.Errorf("issue outside hours: %+v", a)
	}
	if a := gout.Check(at("2027-01-04 22:00"), 3); a.Closed != hall.EQUOTAREACHED || !a.OpensAt.Equal(at("2027-01-05 00:00")) {
		t.Errorf("quota without hours: %+v, want open again at midnight", a)
	}
	if a := gout.Check(at("2027-01-03 23:59"), 0); a.Closed != hall.ESERVICECLOSED || !a.OutOfSeason || !a.OpensAt.Equal(at("2027-01-04 00:00")) {
		t.Errorf("the eve of the season: %+v", a)
	}
	// The error a ticket request gets.
	err = g.Check(at("2027-01-04 15:00"), 3).Err("G")
	if hall.ErrorCode(err) != hall.EQUOTAREACHED || hall.ErrorField(err) != "service" || hall.ErrorOpensAt(err) == nil {
		t.Errorf("quota error: %v", err)
	}
}

// TestValidateQuotaAndSeason: the campus validation names the field of a bad quota or range.
func TestValidateQuotaAndSeason(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*hall.Service)
		field string
		msg   string
	}{
		{"negative quota", func(s *hall.Service) { s.Quota = -1 }, "halls[0].services[1].quota", "quota -1"},
		{"huge quota", func(s *hall.Service) { s.Quota = 100000 }, "halls[0].services[1].quota", "99999"},
		{"bad from", func(s *hall.Service) { s.From = "2027-1-4" }, "halls[0].services[1].from", "YYYY-MM-DD"},
		{"bad until", func(s *hall.Service) { s.Until = "15 Jan" }, "halls[0].services[1].until", "YYYY-MM-DD"},
		{"backwards", func(s *hall.Service) { s.From, s.Until = "2027-01-15", "2027-01-04" }, "halls[0].services[1].until", "before from"},
		{"no end", func(s *hall.Service) { s.Until = "" }, "", ""},
		{"negative target wait", func(s *hall.Service) { s.TargetWaitMinutes = -5 }, "halls[0].services[1].targetWaitMinutes", "0 (the default"},
	} {
		c := hall.Campus{Halls: []hall.Hall{seasonalHall()}}
		tc.edit(&c.Halls[0].Services[1])
		// Every problem of the campus is listed (the fixture has others): look for this one.
		var found *hall.Error
		for _, p := range c.Problems() {
			if strings.HasPrefix(p.Field, "halls[0].services[1].") {
				if found != nil || tc.field == "" {
					t.Errorf("%s: unexpected %v", tc.name, p)
				}
				found = p
			}
		}
		if tc.field == "" {
			continue
		}
		if found == nil || found.Code != hall.EINVALID || found.Field != tc.field || !strings.Contains(found.Message, tc.msg) {
			t.Errorf("%s: %v, want %s naming %q", tc.name, found, tc.field, tc.msg)
		}
	}
}

func TestSeasonText(t *testing.T) {
	if got := hall.SeasonText("2027-01-15"); got.Zh != "限时开放至1月15日" || got.En != "Limited period until 15 Jan" {
		t.Errorf("SeasonText: %+v", got)
	}
}
