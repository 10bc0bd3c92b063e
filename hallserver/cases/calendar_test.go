package cases

import (
	"testing"
	"time"
)

// Deadlines are stored and sent in UTC, like every other time (they came out in +08:00).
func TestCalendarDeadlinesAreUTC(t *testing.T) {
	c := DemoCalendar()
	from := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) // a Friday
	for _, due := range []time.Time{c.Add(from, 24*time.Hour), c.AddDays(from, 3)} {
		if due.Location() != time.UTC {
			t.Errorf("deadline %v is not in UTC", due)
		}
	}
	// Friday 17:00 Shanghai + 24 working hours = Monday 17:00 Shanghai = 09:00 UTC.
	if got, want := c.Add(from, 24*time.Hour), time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Friday + 24 h = %v, want %v", got, want)
	}
}
