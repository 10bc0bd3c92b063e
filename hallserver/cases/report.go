package cases

import (
	"fmt"
	"sort"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// Brief returns the report line of a case; the title is the case's title or the start of its
// text (at most 60 characters).
func Brief(c *hall.Case) hall.CaseBrief {
	title := c.Title
	if title == "" {
		title = clipRunes(c.Text, 60)
	}
	d := c.Department
	if d == "" {
		d = hall.OfficeDepartment
	}
	return hall.CaseBrief{ID: c.ID, Number: c.Number, Kind: c.Kind, State: c.State, Department: d, Title: title,
		ReceivedAt: c.ReceivedAt, ReplyDue: c.ReplyDue, Due: c.Due, Supervised: c.Supervised}
}

// clipRunes shortens s to at most n characters, with an ellipsis when cut.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// closedIn returns when the case was dealt with within [from, to), or nil: the department's
// latest reply in the period, or, for a case that ended without any reply (not accepted,
// duplicate), its end. The automatic archiving of a case replied earlier is not new work and
// does not count.
func closedIn(c *hall.Case, from, to time.Time) *time.Time {
	for i := len(c.Replies) - 1; i >= 0; i-- {
		if at := c.Replies[i].At; !at.Before(from) && at.Before(to) {
			return &at
		}
	}
	if len(c.Replies) == 0 && c.ClosedAt != nil && !c.ClosedAt.Before(from) && c.ClosedAt.Before(to) {
		t := *c.ClosedAt
		return &t
	}
	return nil
}

// lateAt says which limit the case had missed at asOf ("" when none). For asOf = now it is
// exactly Overdue; for a moment in the past it is what the stored case tells: the reply limit
// passed without a first response by then, or the resolution limit passed without a reply or
// an end by then (pauses of the current round are not replayed).
func lateAt(c *hall.Case, asOf, now time.Time) string {
	if c.ReceivedAt.After(asOf) || c.State == hall.CaseReceived {
		return ""
	}
	if !asOf.Before(now) {
		if !Overdue(c, now) {
			return ""
		}
		if c.RespondedAt == nil && !now.Before(c.ReplyDue) {
			return "reply"
		}
		return "resolve"
	}
	after := func(t *time.Time) bool { return t == nil || t.After(asOf) }
	if c.ClosedAt != nil && !c.ClosedAt.After(asOf) {
		return ""
	}
	if !c.ReplyDue.After(asOf) && after(c.FirstResponseAt) {
		return "reply"
	}
	replied := false
	for _, r := range c.Replies {
		replied = replied || !r.At.After(asOf)
	}
	if !c.Due.After(asOf) && !replied {
		return "resolve"
	}
	return ""
}

// Daily builds the daily report (日清日结) of [from, to) from the cases the caller has (every case
// received in the period or replied or closed in it, and every case still open): what arrived,
// what was replied (or ended without a reply), and what was late at the end of the day (or at
// now, when the day is not over).
func Daily(cs []hall.Case, from, to, now time.Time, loc *time.Location) hall.DailyReport {
	return DailyOf(Ptrs(cs), from, to, now, loc)
}

// DailyOf is Daily on shared cases (read only).
func DailyOf(cs []*hall.Case, from, to, now time.Time, loc *time.Location) hall.DailyReport {
	asOf := to
	if now.Before(to) {
		asOf = now
	}
	rep := hall.DailyReport{Date: from.In(loc).Format("2006-01-02"), From: from, To: to, AsOf: asOf,
		Arrived: []hall.CaseBrief{}, Closed: []hall.CaseBrief{}, Late: []hall.CaseBrief{}, Departments: []hall.DailyDepartment{}}
	by := map[string]*hall.DailyDepartment{}
	dept := func(d string) *hall.DailyDepartment {
		if by[d] == nil {
			by[d] = &hall.DailyDepartment{Department: d}
		}
		return by[d]
	}
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		if c.State == hall.CaseReceived {
			continue
		}
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		arrived := !c.ReceivedAt.Before(from) && c.ReceivedAt.Before(to)
		closed := closedIn(c, from, to)
		late := lateAt(c, asOf, now)
		if !arrived && closed == nil && late == "" {
			continue // most cases of the lookback: nothing to say about this day
		}
		b := Brief(c)
		if arrived {
			rep.Arrived = append(rep.Arrived, b)
			dept(b.Department).Arrived++
		}
		if closed != nil {
			cb := b
			cb.ClosedAt = closed
			rep.Closed = append(rep.Closed, cb)
			dept(b.Department).Closed++
		}
		if late != "" {
			lb := b
			lb.Late = late
			rep.Late = append(rep.Late, lb)
			dept(b.Department).Late++
		}
	}
	sort.Slice(rep.Arrived, func(i, j int) bool { return rep.Arrived[i].ReceivedAt.Before(rep.Arrived[j].ReceivedAt) })
	sort.Slice(rep.Closed, func(i, j int) bool { return rep.Closed[i].ClosedAt.Before(*rep.Closed[j].ClosedAt) })
	limit := func(b hall.CaseBrief) time.Time {
		if b.Late == "reply" {
			return b.ReplyDue
		}
		return b.Due
	}
	sort.Slice(rep.Late, func(i, j int) bool { return limit(rep.Late[i]).Before(limit(rep.Late[j])) })
	for _, d := range by {
		rep.Departments = append(rep.Departments, *d)
	}
	sort.Slice(rep.Departments, func(i, j int) bool { return rep.Departments[i].Department < rep.Departments[j].Department })
	return rep
}

// Period is one bucket of a series.
type Period struct {
	Label    string
	From, To time.Time
}

// Periods returns the n periods ("day", "week" starting Monday, "month") that end with the one
// containing now, oldest first, in loc.
func Periods(period string, n int, now time.Time, loc *time.Location) ([]Period, error) {
	if n < 1 || n > 366 {
		return nil, hall.Errorf(hall.EINVALID, "n", "the number of periods must be 1 to 366")
	}
	t := now.In(loc)
	y, m, d := t.Date()
	var start time.Time
	var next func(time.Time, int) time.Time
	var label func(time.Time) string
	switch period {
	case "day":
		start = time.Date(y, m, d, 0, 0, 0, 0, loc)
		next = func(t time.Time, k int) time.Time { return t.AddDate(0, 0, k) }
		label = func(t time.Time) string { return t.Format("01-02") }
	case "week":
		wd := (int(t.Weekday()) + 6) % 7 // Monday 0
		start = time.Date(y, m, d-wd, 0, 0, 0, 0, loc)
		next = func(t time.Time, k int) time.Time { return t.AddDate(0, 0, 7*k) }
		label = func(t time.Time) string { _, w := t.ISOWeek(); return fmt.Sprintf("W%02d", w) }
	case "month":
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		next = func(t time.Time, k int) time.Time { return t.AddDate(0, k, 0) }
		label = func(t time.Time) string { return t.Format("2006-01") }
	default:
		return nil, hall.Errorf(hall.EINVALID, "period", "period must be day, week or month")
	}
	out := make([]Period, n)
	for i := 0; i < n; i++ {
		f := next(start, -(n - 1 - i))
		out[i] = Period{Label: label(f), From: f, To: next(f, 1)}
	}
	return out, nil
}

// Series computes the per-department figures of each period over the cases received in them.
func Series(cs []hall.Case, ps []Period, now time.Time) []hall.StatsPeriod {
	return SeriesOf(Ptrs(cs), ps, now)
}

// SeriesOf is Series on shared cases (read only).
func SeriesOf(cs []*hall.Case, ps []Period, now time.Time) []hall.StatsPeriod {
	out, _ := SeriesTotal(cs, ps, now)
	return out
}

// Ptrs returns pointers to the cases of cs (for the ...Of functions).
func Ptrs(cs []hall.Case) []*hall.Case {
	out := make([]*hall.Case, len(cs))
	for i := range cs {
		out[i] = &cs[i]
	}
	return out
}
