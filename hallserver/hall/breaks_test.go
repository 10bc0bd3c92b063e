package hall_test

import (
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// TestCounterBreaksValidated: a counter's breaks must be HH:MM-HH:MM spans that do not overlap;
// each problem names its field.
func TestCounterBreaksValidated(t *testing.T) {
	for _, tc := range []struct {
		breaks []string
		field  string
		msg    string
	}{
		{[]string{"11:45-12:45"}, "", ""},
		{[]string{"12:45-13:45", "10:00-10:15"}, "", ""},
		{[]string{"11:45"}, "halls[0].counters[0].breaks[0]", "HH:MM-HH:MM"},
		{[]string{"12:45-11:45"}, "halls[0].counters[0].breaks[0]", "end after it starts"},
		{[]string{"11:00-12:00", "11:30-12:30"}, "halls[0].counters[0].breaks[1]", "overlaps 11:00-12:00"},
	} {
		c := hall.Campus{Halls: []hall.Hall{seasonalHall()}}
		c.Halls[0].Counters[0].Breaks = tc.breaks
		var found *hall.Error
		for _, p := range c.Problems() {
			if strings.Contains(p.Field, ".breaks") {
				found = p
			}
		}
		if tc.field == "" {
			if found != nil {
				t.Errorf("%v: refused: %v", tc.breaks, found)
			}
			continue
		}
		if found == nil || found.Field != tc.field || !strings.Contains(found.Message, tc.msg) {
			t.Errorf("%v: problem %v, want field %s saying %q", tc.breaks, found, tc.field, tc.msg)
		}
	}
}

// TestBreaksOn: the breaks of the campus day of now, as times in the campus zone, in order
// (now given in UTC: 20:00 UTC on 3 December is already 4 December in Shanghai).
func TestBreaksOn(t *testing.T) {
	loc := shanghai(t)
	c := hall.CounterConfig{Number: 1, Breaks: []string{"12:45-13:45", "10:00-10:15"}}
	got := c.BreaksOn(time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC), loc)
	want := []hall.Break{
		{From: time.Date(2026, 12, 4, 10, 0, 0, 0, loc), To: time.Date(2026, 12, 4, 10, 15, 0, 0, loc)},
		{From: time.Date(2026, 12, 4, 12, 45, 0, 0, loc), To: time.Date(2026, 12, 4, 13, 45, 0, 0, loc)},
	}
	if len(got) != len(want) {
		t.Fatalf("BreaksOn = %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].From.Equal(want[i].From) || !got[i].To.Equal(want[i].To) {
			t.Errorf("break %d = %v, want %v", i, got[i], want[i])
		}
	}
	if got := (&hall.CounterConfig{}).BreaksOn(time.Now(), loc); got != nil {
		t.Errorf("no breaks: %v", got)
	}
}
