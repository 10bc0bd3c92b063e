package cases

import (
	"time"

	"onedoor/hallserver/hall"
)

// Calendar is the business calendar the time limits run on: which local days are working days
// (weekdays unless a holiday, plus the weekend days worked in exchange, 调休) and, optionally,
// the working hours of a working day.
//
// Time limits are measured in working time: the time that passes on working days only (inside
// DayStart–DayEnd when working hours are set, otherwise the whole day, 00:00–24:00 local). With
// the default whole-day calendar, the 24-hour first-reply limit means 24 hours of which weekends
// and holidays do not count (Friday 17:00 → Monday 17:00; Tuesday 22:00 → Wednesday 22:00), and
// a limit of N working days means N×24 such hours (the same clock time N working days later).
// With working hours set, a working day is DayEnd−DayStart long and "24 h" means 24 of those
// hours; configure the reply limit accordingly.
type Calendar struct {
	// Loc is the campus time zone (Asia/Shanghai by default).
	Loc *time.Location
	// Holidays are non-working local dates (YYYY-MM-DD), e.g. the National Day week.
	Holidays map[string]bool
	// Workdays are weekend dates that are working days (调休).
	Workdays map[string]bool
	// DayStart and DayEnd are the working hours as offsets from local midnight; both zero means
	// the whole day counts.
	DayStart, DayEnd time.Duration
}

// NewCalendar returns a whole-day calendar in loc (Asia/Shanghai when nil) with the given
// holidays and exchanged working days (YYYY-MM-DD).
func NewCalendar(loc *time.Location, holidays, workdays []string) *Calendar {
	if loc == nil {
		loc = shanghai()
	}
	c := &Calendar{Loc: loc, Holidays: map[string]bool{}, Workdays: map[string]bool{}}
	for _, d := range holidays {
		c.Holidays[d] = true
	}
	for _, d := range workdays {
		c.Workdays[d] = true
	}
	return c
}

// CampusCalendar returns the whole-day calendar of a campus file: its zone, its holidays and
// exchanged working days (weekdays only when the campus has no calendar).
func CampusCalendar(c *hall.Campus) (*Calendar, error) {
	loc, err := c.Location()
	if err != nil {
		return nil, err
	}
	if c.Calendar == nil {
		return NewCalendar(loc, nil, nil), nil
	}
	return NewCalendar(loc, c.Calendar.Holidays, c.Calendar.Workdays), nil
}

// DemoCalendar returns the calendar of the demo campus: Asia/Shanghai, Monday to Friday, with the
// public holidays of 2026 and the weekend days worked in exchange as announced by the State
// Council. A real campus configures its own list each year.
func DemoCalendar() *Calendar {
	var hol []string
	add := func(from string, n int) {
		d, _ := time.Parse("2006-01-02", from)
		for i := 0; i < n; i++ {
			hol = append(hol, d.AddDate(0, 0, i).Format("2006-01-02"))
		}
	}
	add("2026-01-01", 3) // New Year
	add("2026-02-15", 9) // Spring Festival
	add("2026-04-04", 3) // Qingming
	add("2026-05-01", 5) // Labour Day
	add("2026-06-19", 3) // Dragon Boat
	add("2026-09-25", 3) // Mid-Autumn
	add("2026-10-01", 7) // National Day
	work := []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}
	return NewCalendar(nil, hol, work)
}

func shanghai() *time.Location {
	l, err := time.LoadLocation(hall.DefaultTimeZone)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}

// Working reports whether the local date of t is a working day.
func (c *Calendar) Working(t time.Time) bool {
	t = t.In(c.Loc)
	d := t.Format("2006-01-02")
	if c.Holidays[d] {
		return false
	}
	if c.Workdays[d] {
		return true
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Holiday reports whether the local date of t is a public holiday of the calendar (opening
// hours close on it, hall.Schedule).
func (c *Calendar) Holiday(t time.Time) bool {
	return c.Holidays[t.In(c.Loc).Format("2006-01-02")]
}

// DayLength is the working time of one working day (24 h for a whole-day calendar).
func (c *Calendar) DayLength() time.Duration {
	if c.DayStart == 0 && c.DayEnd == 0 {
		return 24 * time.Hour
	}
	return c.DayEnd - c.DayStart
}

// window returns the working window of the local day that starts at midnight m.
func (c *Calendar) window(m time.Time) (time.Time, time.Time) {
	next := time.Date(m.Year(), m.Month(), m.Day()+1, 0, 0, 0, 0, c.Loc)
	if c.DayStart == 0 && c.DayEnd == 0 {
		return m, next
	}
	return m.Add(c.DayStart), m.Add(c.DayEnd)
}

func (c *Calendar) midnight(t time.Time) time.Time {
	t = t.In(c.Loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.Loc)
}

// maxDays bounds the day loops (ten years).
const maxDays = 3660

// Counted returns the working time between from and to (0 when to is not after from).
func (c *Calendar) Counted(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	var sum time.Duration
	m := c.midnight(from)
	for i := 0; i < maxDays && m.Before(to); i++ {
		if c.Working(m) {
			ws, we := c.window(m)
			if ws.Before(from) {
				ws = from
			}
			if we.After(to) {
				we = to
			}
			if we.After(ws) {
				sum += we.Sub(ws)
			}
		}
		m = time.Date(m.Year(), m.Month(), m.Day()+1, 0, 0, 0, 0, c.Loc)
	}
	return sum
}

// Add returns the instant (in UTC) at which d of working time has passed since from. Add(from, 0)
// is from.
func (c *Calendar) Add(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return from
	}
	m := c.midnight(from)
	for i := 0; i < maxDays; i++ {
		if c.Working(m) {
			ws, we := c.window(m)
			if ws.Before(from) {
				ws = from
			}
			if avail := we.Sub(ws); avail > 0 {
				if avail >= d {
					return ws.Add(d).UTC() // times are stored and sent in UTC
				}
				d -= avail
			}
		}
		m = time.Date(m.Year(), m.Month(), m.Day()+1, 0, 0, 0, 0, c.Loc)
	}
	return from.Add(d).UTC() // unreachable with a sane calendar
}

// AddDays returns the instant n working days (of working time) after from.
func (c *Calendar) AddDays(from time.Time, n int) time.Time {
	return c.Add(from, time.Duration(n)*c.DayLength())
}
