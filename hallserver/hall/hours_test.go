package hall_test

import (
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// officeHours is the demo campus's timetable: weekdays with a lunch break.
var officeHours = []hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-11:30", "14:00-17:00"}}}

func TestScheduleNextOpen(t *testing.T) {
	loc := shanghai(t)
	// 2026-10-01..07 National Day; 2026-10-10 (Saturday) worked in exchange (调休).
	cal := cases.NewCalendar(loc, []string{"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07", "2026-12-25"}, []string{"2026-10-10"})
	s, err := hall.NewSchedule(officeHours, loc, cal)
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
		name, now, want string
		open            bool
	}{
		{"before the morning session", "2026-12-07 07:00", "2026-12-07 08:30", false},
		{"the first minute", "2026-12-07 08:30", "2026-12-07 08:30", true},
		{"in the morning", "2026-12-07 10:15", "2026-12-07 10:15", true},
		{"lunch break starts at the end of the session", "2026-12-07 11:30", "2026-12-07 14:00", false},
		{"lunch break", "2026-12-07 12:45", "2026-12-07 14:00", false},
		{"afternoon", "2026-12-07 16:59", "2026-12-07 16:59", true},
		{"the end of the day", "2026-12-07 17:00", "2026-12-08 08:30", false},
		{"late evening", "2026-12-07 23:59", "2026-12-08 08:30", false},
		{"Friday evening waits for Monday", "2026-12-04 17:30", "2026-12-07 08:30", false},
		{"Saturday", "2026-12-05 10:00", "2026-12-07 08:30", false},
		{"Sunday", "2026-12-06 15:00", "2026-12-07 08:30", false},
		{"a holiday on a weekday", "2026-12-25 09:00", "2026-12-28 08:30", false},
		{"the day before a holiday week", "2026-09-30 17:00", "2026-10-08 08:30", false},
		{"a weekend day worked in exchange keeps weekday hours", "2026-10-10 09:00", "2026-10-10 09:00", true},
		{"Friday before the exchanged Saturday", "2026-10-09 17:00", "2026-10-10 08:30", false},
		{"midnight in UTC is morning in Shanghai", "2026-12-08 00:00", "2026-12-08 08:30", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := at(tc.now)
			got, ok := s.NextOpen(now.UTC())
			if !ok {
				t.Fatalf("NextOpen(%s) found nothing", tc.now)
			}
			if !got.Equal(at(tc.want)) {
				t.Errorf("NextOpen(%s) = %s, want %s", tc.now, got.Format("2006-01-02 15:04 Mon"), tc.want)
			}
			if got.Location() != loc {
				t.Errorf("NextOpen gave a time in %v, want the campus zone", got.Location())
			}
			if o := s.IsOpen(now); o != tc.open {
				t.Errorf("IsOpen(%s) = %v, want %v", tc.now, o, tc.open)
			}
			if p := s.OpensAt(now); (p == nil) != tc.open {
				t.Errorf("OpensAt(%s) = %v, want nil only while open", tc.now, p)
			}
		})
	}
}

func TestScheduleUnknownAndWeekendHours(t *testing.T) {
	loc := shanghai(t)
	var none hall.Schedule
	if _, ok := none.NextOpen(time.Now()); ok || none.IsOpen(time.Now()) || none.OpensAt(time.Now()) != nil {
		t.Error("a schedule without hours must know nothing")
	}
	// Saturday mornings too, but not on a Saturday holiday.
	cal := cases.NewCalendar(loc, []string{"2026-12-12"}, nil)
	s, err := hall.NewSchedule([]hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-17:00"}}, {Days: "sat", Times: []string{"09:00-12:00"}}}, loc, cal)
	if err != nil {
		t.Fatal(err)
	}
	fri := time.Date(2026, 12, 4, 18, 0, 0, 0, loc)
	if got, _ := s.NextOpen(fri); !got.Equal(time.Date(2026, 12, 5, 9, 0, 0, 0, loc)) {
		t.Errorf("Friday evening: next %v, want Saturday 09:00", got)
	}
	if got, _ := s.NextOpen(fri.AddDate(0, 0, 7)); !got.Equal(time.Date(2026, 12, 14, 8, 30, 0, 0, loc)) {
		t.Errorf("before a Saturday holiday: next %v, want Monday 08:30", got)
	}
}

func TestValidateHoursNamesTheField(t *testing.T) {
	tests := []struct {
		hours      []hall.OpeningHours
		field, msg string
	}{
		{[]hall.OpeningHours{{Days: "", Times: []string{"08:30-11:30"}}}, "x.hours[0].days", "no days"},
		{[]hall.OpeningHours{{Days: "mon-fry", Times: []string{"08:30-11:30"}}}, "x.hours[0].days", `"fry"`},
		{[]hall.OpeningHours{{Days: "fri-mon", Times: []string{"08:30-11:30"}}}, "x.hours[0].days", "backwards"},
		{[]hall.OpeningHours{{Days: "mon", Times: nil}}, "x.hours[0].times", "no sessions"},
		{[]hall.OpeningHours{{Days: "mon", Times: []string{"8:30"}}}, "x.hours[0].times[0]", "HH:MM-HH:MM"},
		{[]hall.OpeningHours{{Days: "mon", Times: []string{"08:30-25:00"}}}, "x.hours[0].times[0]", "between 00:00 and 24:00"},
		{[]hall.OpeningHours{{Days: "mon", Times: []string{"08:30-08:61"}}}, "x.hours[0].times[0]", "HH:MM"},
		{[]hall.OpeningHours{{Days: "mon", Times: []string{"11:30-08:30"}}}, "x.hours[0].times[0]", "end after it starts"},
		{[]hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-11:30"}}, {Days: "fri", Times: []string{"11:00-12:00"}}}, "x.hours[1].times[0]", "overlaps 08:30-11:30 on fri"},
	}
	for _, tc := range tests {
		err := hall.ValidateHours("x.hours", tc.hours)
		if err == nil {
			t.Errorf("%+v: accepted", tc.hours)
			continue
		}
		if hall.ErrorCode(err) != hall.EINVALID || hall.ErrorField(err) != tc.field || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: %v (field %q), want field %q and %q", tc.hours, err, hall.ErrorField(err), tc.field, tc.msg)
		}
	}
	if err := hall.ValidateHours("x", []hall.OpeningHours{{Days: "mon,wed,sun", Times: []string{"00:00-24:00"}}}); err != nil {
		t.Errorf("a whole day on listed days: %v", err)
	}
}

func TestHoursAndOpensText(t *testing.T) {
	if got := hall.HoursText(officeHours); got.Zh != "周一至周五 08:30–11:30、14:00–17:00" || got.En != "Mon–Fri 08:30–11:30, 14:00–17:00" {
		t.Errorf("HoursText = %+v", got)
	}
	loc := shanghai(t)
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, loc) // Friday noon
	for _, tc := range []struct {
		at     time.Time
		zh, en string
	}{
		{time.Date(2026, 12, 4, 14, 0, 0, 0, loc), "14:00 开始办理", "opens 14:00"},
		{time.Date(2026, 12, 5, 8, 30, 0, 0, loc), "明天 08:30 开始办理", "opens tomorrow 08:30"},
		{time.Date(2026, 12, 7, 8, 30, 0, 0, loc), "12月7日 08:30 开始办理", "opens 7 Dec 08:30"},
		{time.Date(2027, 1, 4, 8, 30, 0, 0, loc), "1月4日 08:30 开始办理", "opens 4 Jan 08:30"},
	} {
		// now given in UTC: the day is the campus's (Friday 04:00 UTC is Friday noon in Shanghai).
		if got := hall.OpensText(tc.at, now.UTC(), loc); got.Zh != tc.zh || got.En != tc.en {
			t.Errorf("OpensText(%v) = %+v, want %q / %q", tc.at, got, tc.zh, tc.en)
		}
	}
}
