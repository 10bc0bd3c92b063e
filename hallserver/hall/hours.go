package hall

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// OpeningHours is one line of a weekly timetable: on these days of the week, these sessions. A
// hall's hours apply to all its services; a service's own hours replace the hall's. Public
// holidays of the campus calendar close every session; a weekend day worked in exchange (调休)
// keeps Monday's hours. (Issue 13 adds a daily quota and a seasonal range beside the hours.)
//
//	hours:
//	  - {days: mon-fri, times: ["08:30-11:30", "14:00-17:00"]}
//	  - {days: sat, times: ["09:00-12:00"]}
type OpeningHours struct {
	// Days are days of the week: "mon-fri", "sat", "mon,wed,fri" (mon tue wed thu fri sat sun).
	Days string `json:"days" yaml:"days"`
	// Times are the sessions of those days, "HH:MM-HH:MM" in the campus zone, the end not
	// included ("08:30-11:30": open from 08:30, closed from 11:30).
	Times []string `json:"times" yaml:"times"`
}

// Days is what opening hours need of the business calendar (*cases.Calendar has both):
// whether a local date is a working day (a weekday that is no holiday, or a weekend day worked
// in exchange) and whether it is a public holiday.
type Days interface {
	Working(t time.Time) bool
	Holiday(t time.Time) bool
}

// span is one session: minutes from local midnight, [start, end).
type span struct{ start, end int }

// overlaps reports whether the two spans share a minute (sessions of one day, a counter's breaks).
func (s span) overlaps(o span) bool { return s.start < o.end && o.start < s.end }

var dayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// weekdayOf reads a day name (mon…sun).
func weekdayOf(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range dayNames {
		if s == n {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// parseDays reads "mon-fri", "sat" or "mon,wed,fri" into the weekdays it names.
func parseDays(s string) ([]time.Weekday, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no days: use e.g. \"mon-fri\", \"sat\" or \"mon,wed,fri\"")
	}
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, ok := weekdayOf(from)
		if !ok {
			return nil, fmt.Errorf("day %q is not one of mon tue wed thu fri sat sun", strings.TrimSpace(from))
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, ok := weekdayOf(to)
		if !ok {
			return nil, fmt.Errorf("day %q is not one of mon tue wed thu fri sat sun", strings.TrimSpace(to))
		}
		// Monday first: sun is the last day of the week in a range ("mon-sun").
		ia, ib := (int(a)+6)%7, (int(b)+6)%7
		if ib < ia {
			return nil, fmt.Errorf("range %q runs backwards (the week runs mon…sun)", strings.TrimSpace(part))
		}
		for i := ia; i <= ib; i++ {
			out = append(out, time.Weekday((i+1)%7))
		}
	}
	return out, nil
}

// parseClock reads "HH:MM" (00:00–24:00) as minutes from midnight.
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, fmt.Errorf("time %q must be HH:MM between 00:00 and 24:00", strings.TrimSpace(s))
	}
	return hh*60 + mm, nil
}

// parseSpan reads "HH:MM-HH:MM".
func parseSpan(s string) (span, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return span{}, fmt.Errorf("%q must be HH:MM-HH:MM", s)
	}
	start, err := parseClock(a)
	if err != nil {
		return span{}, err
	}
	end, err := parseClock(b)
	if err != nil {
		return span{}, err
	}
	if end <= start {
		return span{}, fmt.Errorf("%q must end after it starts", s)
	}
	return span{start, end}, nil
}

// week is a weekly timetable: the sessions of each weekday (index time.Weekday), in order.
type week [7][]span

// parseWeek reads and checks a timetable; errors name the field below path
// (path[1].times[0]).
func parseWeek(path string, hours []OpeningHours) (week, error) {
	var w week
	for i, h := range hours {
		p := fmt.Sprintf("%s[%d]", path, i)
		days, err := parseDays(h.Days)
		if err != nil {
			return w, Errorf(EINVALID, p+".days", "%v", err)
		}
		if len(h.Times) == 0 {
			return w, Errorf(EINVALID, p+".times", "no sessions: use e.g. [\"08:30-11:30\", \"14:00-17:00\"]")
		}
		for j, t := range h.Times {
			sp, err := parseSpan(t)
			if err != nil {
				return w, Errorf(EINVALID, fmt.Sprintf("%s.times[%d]", p, j), "%v", err)
			}
			for _, d := range days {
				for _, o := range w[d] {
					if sp.overlaps(o) {
						return w, Errorf(EINVALID, fmt.Sprintf("%s.times[%d]", p, j), "session %q overlaps %s on %s",
							t, spanText(o), dayNames[d])
					}
				}
				w[d] = append(w[d], sp)
			}
		}
	}
	for d := range w {
		ss := w[d]
		for i := 1; i < len(ss); i++ { // few sessions a day: insertion sort
			for k := i; k > 0 && ss[k].start < ss[k-1].start; k-- {
				ss[k], ss[k-1] = ss[k-1], ss[k]
			}
		}
	}
	return w, nil
}

// ValidateHours checks a timetable; the error names the field below path (e.g.
// "halls[0].services[2].hours[1].times[0]").
func ValidateHours(path string, hours []OpeningHours) error {
	_, err := parseWeek(path, hours)
	return err
}

func clockText(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func spanText(s span) string { return clockText(s.start) + "-" + clockText(s.end) }

// Schedule answers when a service is open: its weekly hours in the campus zone, closed on the
// calendar's holidays. The zero Schedule (no hours configured) knows nothing: IsOpen is false
// and NextOpen reports false.
type Schedule struct {
	week  week
	known bool
	loc   *time.Location
	days  Days
}

// NewSchedule returns the schedule of a timetable in loc (UTC when nil) with the calendar days
// (nil: no holidays, weekends by the timetable alone). No hours give the zero Schedule.
func NewSchedule(hours []OpeningHours, loc *time.Location, days Days) (Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	w, err := parseWeek("hours", hours)
	if err != nil {
		return Schedule{}, err
	}
	return Schedule{week: w, known: len(hours) > 0, loc: loc, days: days}, nil
}

// Known reports whether the schedule has hours at all.
func (s Schedule) Known() bool { return s.known }

// sessions returns the sessions of the local date that starts at midnight m.
func (s Schedule) sessions(m time.Time) []span {
	wd := m.Weekday()
	if s.days == nil {
		return s.week[wd]
	}
	if s.days.Holiday(m) {
		return nil
	}
	if (wd == time.Saturday || wd == time.Sunday) && s.days.Working(m) {
		return s.week[time.Monday] // 调休: a weekend day worked in exchange keeps a weekday's hours
	}
	return s.week[wd]
}

// at returns the instant minute min of the local date of midnight m.
func (s Schedule) at(m time.Time, minute int) time.Time {
	return time.Date(m.Year(), m.Month(), m.Day(), minute/60, minute%60, 0, 0, s.loc)
}

// maxLookahead bounds the search for the next session (a little over a year).
const maxLookahead = 400

// IsOpen reports whether now falls in a session.
func (s Schedule) IsOpen(now time.Time) bool {
	t, ok := s.NextOpen(now)
	return ok && t.Equal(now)
}

// NextOpen returns the first instant at or after now at which the service is open, in the
// campus zone: now itself during a session, else the start of the next session. It reports false
// when the schedule has no hours or no session within a year.
func (s Schedule) NextOpen(now time.Time) (time.Time, bool) {
	if !s.known {
		return time.Time{}, false
	}
	now = now.In(s.loc)
	m := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.loc)
	for i := 0; i < maxLookahead; i++ {
		day := time.Date(m.Year(), m.Month(), m.Day()+i, 0, 0, 0, 0, s.loc)
		for _, sp := range s.sessions(day) {
			start, end := s.at(day, sp.start), s.at(day, sp.end)
			if now.Before(end) {
				if !now.Before(start) {
					return now, true
				}
				return start, true
			}
		}
	}
	return time.Time{}, false
}

// OpensAt returns the start of the next session when the service is outside its hours at now,
// in the campus zone; nil when it is within its hours or the hours are not known.
func (s Schedule) OpensAt(now time.Time) *time.Time {
	t, ok := s.NextOpen(now)
	if !ok || t.Equal(now.In(s.loc)) {
		return nil
	}
	return &t
}

// ServiceHours returns the timetable of a service of the hall: its own hours, else the hall's
// (nil: none configured).
func (h *Hall) ServiceHours(code string) []OpeningHours {
	if sv, ok := h.Service(code); ok && len(sv.Hours) > 0 {
		return sv.Hours
	}
	return h.Hours
}

var dayZh = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}
var dayEn = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// HoursText writes a timetable for people: "周一至周五 08:30–11:30、14:00–17:00" / "Mon–Fri
// 08:30–11:30, 14:00–17:00"; several lines are joined with "；" / "; ". Invalid hours give the
// empty Text (Validate refuses them).
func HoursText(hours []OpeningHours) Text {
	var zh, en []string
	for _, h := range hours {
		days, err := parseDays(h.Days)
		if err != nil || len(days) == 0 {
			return Text{}
		}
		var ts []string
		for _, t := range h.Times {
			sp, err := parseSpan(t)
			if err != nil {
				return Text{}
			}
			ts = append(ts, clockText(sp.start)+"–"+clockText(sp.end))
		}
		dz, de := daysText(days)
		zh = append(zh, dz+" "+strings.Join(ts, "、"))
		en = append(en, de+" "+strings.Join(ts, ", "))
	}
	return Text{Zh: strings.Join(zh, "；"), En: strings.Join(en, "; ")}
}

// daysText names weekdays: a run of three or more as "周一至周五" / "Mon–Fri", others listed.
func daysText(days []time.Weekday) (string, string) {
	first, last := days[0], days[len(days)-1]
	contiguous := len(days) >= 3
	for i := 1; contiguous && i < len(days); i++ {
		contiguous = (int(days[i-1])+1)%7 == int(days[i])
	}
	if contiguous {
		return dayZh[first] + "至" + dayZh[last], dayEn[first] + "–" + dayEn[last]
	}
	var zh, en []string
	for _, d := range days {
		zh = append(zh, dayZh[d])
		en = append(en, dayEn[d])
	}
	return strings.Join(zh, "、"), strings.Join(en, ", ")
}

// OpensLabels are the words that say when a service nobody serves opens, by how far away the
// opening is: "today", "tomorrow" and "date" (later), with {time} (08:30), {month} and {day}
// (numbers) and {mon} (Dec) standing for the parts of the time. OpensText writes them for the
// kiosk, the printed ticket and the Fyne display; the pages get the same table through
// labels.go ("opens").
func OpensLabels() map[string]Text {
	return map[string]Text{
		"today":    {Zh: "{time} 开始办理", En: "opens {time}"},
		"tomorrow": {Zh: "明天 {time} 开始办理", En: "opens tomorrow {time}"},
		"date":     {Zh: "{month}月{day}日 {time} 开始办理", En: "opens {day} {mon} {time}"},
	}
}

// OpensText says when a service nobody serves opens, as people read it at now (both in loc):
// "08:30 开始办理" / "opens 08:30" today, "明天 08:30 开始办理" / "opens tomorrow 08:30", else
// "12月7日 08:30 开始办理" / "opens 7 Dec 08:30" (OpensLabels).
func OpensText(at, now time.Time, loc *time.Location) Text {
	if loc == nil {
		loc = time.UTC
	}
	at, now = at.In(loc), now.In(loc)
	d0 := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	d1 := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
	key := "date"
	switch d1.Sub(d0) {
	case 0:
		key = "today"
	case 24 * time.Hour:
		key = "tomorrow"
	}
	r := strings.NewReplacer("{time}", at.Format("15:04"), "{month}", strconv.Itoa(int(at.Month())),
		"{day}", strconv.Itoa(at.Day()), "{mon}", at.Format("Jan"))
	l := OpensLabels()[key]
	return Text{Zh: r.Replace(l.Zh), En: r.Replace(l.En)}
}
