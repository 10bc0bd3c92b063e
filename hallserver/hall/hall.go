// Package hall holds the OneDoor domain: halls, services, counters, tickets, events, staff and
// devices, their states and rules, and the error codes every other package speaks in. It imports
// nothing of ours; the queue engine, the bbolt store, the HTTP API and the clients all use these types.
package hall

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Text is a string in the two languages OneDoor shows: Simplified Chinese first, English second.
type Text struct {
	Zh string `json:"zh" yaml:"zh"`
	En string `json:"en" yaml:"en"`
}

// In returns the text in lang ("en" gives English when present, anything else Chinese).
func (t Text) In(lang string) string {
	if lang == "en" && t.En != "" {
		return t.En
	}
	if t.Zh == "" {
		return t.En
	}
	return t.Zh
}

// Campus is the whole configuration: halls with their services and counters, and departments.
type Campus struct {
	Name        Text         `json:"name" yaml:"name"`
	TimeZone    string       `json:"timeZone" yaml:"timeZone"`
	Halls       []Hall       `json:"halls" yaml:"halls"`
	Departments []Department `json:"departments" yaml:"departments"`
	// Calendar is the business calendar of case time limits; nil counts weekdays only.
	Calendar *Calendar `json:"calendar,omitempty" yaml:"calendar,omitempty"`
}

// Calendar lists the non-working days and the exchanged working days (调休) of the campus, as
// local dates YYYY-MM-DD.
type Calendar struct {
	Holidays []string `json:"holidays" yaml:"holidays"`
	Workdays []string `json:"workdays" yaml:"workdays"`
}

// Hall is one service hall: a place with its own queue numbers, counters and display.
type Hall struct {
	Code     string          `json:"code" yaml:"code"`
	Name     Text            `json:"name" yaml:"name"`
	Services []Service       `json:"services" yaml:"services"`
	Counters []CounterConfig `json:"counters" yaml:"counters"`
	// Hours are the hall's weekly opening hours, for every service without its own (hours.go);
	// none: not known (nothing is said about when a service opens).
	Hours []OpeningHours `json:"hours,omitempty" yaml:"hours,omitempty"`
	// IssueOutsideHours lets people take a ticket of a service outside its hours; it waits until
	// the service opens (the kiosk says 可先取号). By default a hall with hours issues tickets only
	// within them (409 service_closed outside: availability.go). Seasonal ranges and quotas
	// apply either way.
	IssueOutsideHours bool `json:"issueOutsideHours,omitempty" yaml:"issueOutsideHours,omitempty"`
}

// Service is one kind of business a hall handles; its Code is the ticket number prefix.
type Service struct {
	Code       string `json:"code" yaml:"code"`
	Name       Text   `json:"name" yaml:"name"`
	Materials  []Text `json:"materials" yaml:"materials"` // 一次告知: what to bring
	AvgMinutes int    `json:"avgMinutes" yaml:"avgMinutes"`
	// Department is the department code that owns the service (cases opened from it go there).
	Department string `json:"department,omitempty" yaml:"department,omitempty"`
	// Hours replace the hall's opening hours for this service (hours.go).
	Hours []OpeningHours `json:"hours,omitempty" yaml:"hours,omitempty"`
	// Quota is the most tickets the service issues in one local day (0: no quota); past it
	// POST …/tickets answers 409 quota_reached (availability.go).
	Quota int `json:"quota,omitempty" yaml:"quota,omitempty"`
	// From and Until are the local dates (YYYY-MM-DD, both included) of a seasonal service (毕业
	// 离校, fee season, enrolment): outside them it issues no tickets (409 service_closed) and
	// kiosks do not show it. Either may be empty (open from, open until).
	From  string `json:"from,omitempty" yaml:"from,omitempty"`
	Until string `json:"until,omitempty" yaml:"until,omitempty"`
	// TargetWaitMinutes is the wait the queue reports measure the service against (the share
	// served within it); 0: 15 minutes.
	TargetWaitMinutes int `json:"targetWaitMinutes,omitempty" yaml:"targetWaitMinutes,omitempty"`
	// Appointments is how the service takes bookings (appointment.go); nil: the defaults
	// (bookings on, 15-minute slots).
	Appointments *AppointmentConfig `json:"appointments,omitempty" yaml:"appointments,omitempty"`
}

// CounterConfig is a counter as configured: its number and the services it serves, in order of
// preference (the first service is its main one).
type CounterConfig struct {
	Number   int      `json:"number" yaml:"number"`
	Services []string `json:"services" yaml:"services"`
	// Breaks are the counter's daily breaks (a lunch rota), "HH:MM-HH:MM" in the campus zone,
	// not overlapping: the wait estimates expect the counter to pause when it becomes free
	// within one and to call again at its end (BreaksOn). Staff still pause and open it.
	Breaks []string `json:"breaks,omitempty" yaml:"breaks,omitempty"`
}

// Break is one of a counter's breaks on a given day.
type Break struct{ From, To time.Time }

// BreaksOn returns the counter's breaks on the local day (in loc) of now, in order; spans that
// do not parse are left out (Validate reports them).
func (c *CounterConfig) BreaksOn(now time.Time, loc *time.Location) []Break {
	if len(c.Breaks) == 0 {
		return nil
	}
	y, m, d := now.In(loc).Date()
	out := make([]Break, 0, len(c.Breaks))
	for _, b := range c.Breaks {
		sp, err := parseSpan(b)
		if err != nil {
			continue
		}
		at := func(min int) time.Time { return time.Date(y, m, d, min/60, min%60, 0, 0, loc) }
		out = append(out, Break{at(sp.start), at(sp.end)})
	}
	slices.SortFunc(out, func(a, b Break) int { return a.From.Compare(b.From) })
	return out
}

// Department is a university department that handles cases.
type Department struct {
	Code string `json:"code" yaml:"code"`
	Name Text   `json:"name" yaml:"name"`
	// WecomRobot is the key of the department's WeChat Work group robot (the key= of its webhook
	// URL): new cases and warnings of the department go there as markdown. Empty: none.
	WecomRobot string `json:"wecomRobot,omitempty" yaml:"wecomRobot,omitempty"`
	// QuietHours, when set, holds the department's notices (all but escalations) from From until
	// To, local times "HH:MM" of the campus zone (From after To spans midnight: "22:00"–"07:30").
	QuietHours *QuietHours `json:"quietHours,omitempty" yaml:"quietHours,omitempty"`
}

// QuietHours is a daily span of local time ("HH:MM") in which notices wait (the night).
type QuietHours struct {
	From string `json:"from" yaml:"from"`
	To   string `json:"to" yaml:"to"`
}

// Minutes returns the span's ends as minutes after midnight; ok is false when either end is not
// a valid "HH:MM" or both are equal.
func (q QuietHours) Minutes() (from, to int, ok bool) {
	f, err1 := time.Parse("15:04", q.From)
	t, err2 := time.Parse("15:04", q.To)
	if err1 != nil || err2 != nil || q.From == q.To {
		return 0, 0, false
	}
	return f.Hour()*60 + f.Minute(), t.Hour()*60 + t.Minute(), true
}

// Until returns when the quiet span that holds local time now ends, and whether now is in it.
func (q QuietHours) Until(now time.Time) (time.Time, bool) {
	from, to, ok := q.Minutes()
	if !ok {
		return time.Time{}, false
	}
	m := now.Hour()*60 + now.Minute()
	in := false
	if from < to {
		in = m >= from && m < to
	} else {
		in = m >= from || m < to
	}
	if !in {
		return time.Time{}, false
	}
	y, mo, d := now.Date()
	end := time.Date(y, mo, d, to/60, to%60, 0, 0, now.Location())
	if !end.After(now) {
		end = end.AddDate(0, 0, 1)
	}
	return end, true
}

// Service returns the hall's service with the given code.
func (h *Hall) Service(code string) (*Service, bool) {
	for i := range h.Services {
		if h.Services[i].Code == code {
			return &h.Services[i], true
		}
	}
	return nil, false
}

// Counter returns the hall's counter configuration with the given number.
func (h *Hall) Counter(n int) (*CounterConfig, bool) {
	for i := range h.Counters {
		if h.Counters[i].Number == n {
			return &h.Counters[i], true
		}
	}
	return nil, false
}

// Hall returns the campus hall with the given code.
func (c *Campus) Hall(code string) (*Hall, bool) {
	for i := range c.Halls {
		if c.Halls[i].Code == code {
			return &c.Halls[i], true
		}
	}
	return nil, false
}

// Department returns the department with the given code.
func (c *Campus) Department(code string) (*Department, bool) {
	for i := range c.Departments {
		if c.Departments[i].Code == code {
			return &c.Departments[i], true
		}
	}
	return nil, false
}

// Location returns the campus time zone (Asia/Shanghai when unset).
func (c *Campus) Location() (*time.Location, error) {
	tz := c.TimeZone
	if tz == "" {
		tz = DefaultTimeZone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("campus time zone %q: %w", tz, err)
	}
	return loc, nil
}

// DefaultTimeZone is the zone in which ticket numbers reset at midnight unless configured.
const DefaultTimeZone = "Asia/Shanghai"

var (
	codeRE    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	serviceRE = regexp.MustCompile(`^[A-Z]$`)
	// robotKeyRE: a WeChat Work robot key is a UUID; any short token of letters, digits and - is taken.
	robotKeyRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
)

// Validate checks a campus configuration. It reports every problem (Problems), as one EINVALID
// error whose Details list them with their paths; the error's own field and message are the
// first problem's.
func (c *Campus) Validate() error {
	ps := c.Problems()
	if len(ps) == 0 {
		return nil
	}
	e := *ps[0]
	if len(ps) > 1 {
		e.Message = fmt.Sprintf("%s (and %d more problems)", e.Message, len(ps)-1)
	}
	e.Details = ps
	return &e
}

// Limits of a campus configuration: what an administrator's change can make the server hold (a
// log and its buckets per hall).
const (
	MaxHalls        = 100
	MaxDepartments  = 500
	MaxCalendarDays = 2000 // holidays and exchanged working days together
)

// Problems returns every problem of a campus configuration, each an EINVALID error naming its
// field by path (e.g. "halls[1].counters[0].services[2]"), in the order of the document.
func (c *Campus) Problems() []*Error {
	var out []*Error
	add := func(field, format string, args ...any) {
		out = append(out, Errorf(EINVALID, field, format, args...))
	}
	addErr := func(err error) {
		if err == nil {
			return
		}
		var e *Error
		if errors.As(err, &e) {
			out = append(out, e)
		} else {
			add("", "%v", err)
		}
	}
	if _, err := c.Location(); err != nil {
		add("timeZone", "%v", err)
	}
	if c.Calendar != nil {
		for _, f := range []struct {
			field string
			days  []string
		}{{"calendar.holidays", c.Calendar.Holidays}, {"calendar.workdays", c.Calendar.Workdays}} {
			for i, d := range f.days {
				if _, err := time.Parse("2006-01-02", d); err != nil {
					add(fmt.Sprintf("%s[%d]", f.field, i), "date %q must be YYYY-MM-DD", d)
				}
			}
		}
	}
	depts := map[string]bool{}
	for i, d := range c.Departments {
		p := fmt.Sprintf("departments[%d]", i)
		if !codeRE.MatchString(d.Code) {
			add(p+".code", "department code %q must be lower-case letters, digits or '-'", d.Code)
		} else if depts[d.Code] {
			add(p+".code", "department %q defined twice", d.Code)
		}
		depts[d.Code] = true
		if d.Name.Zh == "" && d.Name.En == "" {
			add(p+".name", "department %q has no name", d.Code)
		}
		if d.WecomRobot != "" && !robotKeyRE.MatchString(d.WecomRobot) {
			add(p+".wecomRobot", "robot key of department %q must be 1–64 letters, digits or '-' (the key= of the webhook URL)", d.Code)
		}
		if d.QuietHours != nil {
			if _, _, ok := d.QuietHours.Minutes(); !ok {
				add(p+".quietHours", "quiet hours of department %q must be two different times HH:MM", d.Code)
			}
		}
	}
	if len(c.Halls) == 0 {
		add("halls", "campus has no halls")
	}
	if len(c.Halls) > MaxHalls {
		add("halls", "a campus has at most %d halls, not %d", MaxHalls, len(c.Halls))
	}
	if len(c.Departments) > MaxDepartments {
		add("departments", "a campus has at most %d departments, not %d", MaxDepartments, len(c.Departments))
	}
	if c.Calendar != nil && len(c.Calendar.Holidays)+len(c.Calendar.Workdays) > MaxCalendarDays {
		add("calendar", "the calendar lists at most %d days", MaxCalendarDays)
	}
	halls := map[string]bool{}
	for i, h := range c.Halls {
		p := fmt.Sprintf("halls[%d]", i)
		if !codeRE.MatchString(h.Code) {
			add(p+".code", "hall code %q must be lower-case letters, digits or '-'", h.Code)
		} else if halls[h.Code] {
			add(p+".code", "hall %q defined twice", h.Code)
		}
		halls[h.Code] = true
		if h.Name.Zh == "" && h.Name.En == "" {
			add(p+".name", "hall %q has no name", h.Code)
		}
		if len(h.Services) == 0 {
			add(p+".services", "hall %q has no services", h.Code)
		}
		addErr(ValidateHours(p+".hours", h.Hours))
		svcs := map[string]bool{}
		for j, s := range h.Services {
			sp := fmt.Sprintf("%s.services[%d]", p, j)
			if !serviceRE.MatchString(s.Code) {
				add(sp+".code", "service code %q must be one capital letter (the ticket prefix)", s.Code)
			} else if svcs[s.Code] {
				add(sp+".code", "service %q defined twice in hall %q", s.Code, h.Code)
			}
			svcs[s.Code] = true
			if s.Name.Zh == "" && s.Name.En == "" {
				add(sp+".name", "service %q has no name", s.Code)
			}
			if s.AvgMinutes <= 0 {
				add(sp+".avgMinutes", "service %q needs avgMinutes > 0", s.Code)
			}
			if s.Department != "" && !depts[s.Department] {
				add(sp+".department", "service %q names unknown department %q", s.Code, s.Department)
			}
			addErr(ValidateHours(sp+".hours", s.Hours))
			addErr(validateLimits(sp, s))
			addErr(validateAppointments(sp, s.Appointments))
		}
		if len(h.Counters) == 0 {
			add(p+".counters", "hall %q has no counters", h.Code)
		}
		ctrs := map[int]bool{}
		for j, k := range h.Counters {
			kp := fmt.Sprintf("%s.counters[%d]", p, j)
			if k.Number <= 0 || k.Number > 999 {
				add(kp+".number", "counter number %d must be 1..999", k.Number)
			} else if ctrs[k.Number] {
				add(kp+".number", "counter %d defined twice in hall %q", k.Number, h.Code)
			}
			ctrs[k.Number] = true
			if len(k.Services) == 0 {
				add(kp+".services", "counter %d serves no service", k.Number)
			}
			seen := map[string]bool{}
			for m, s := range k.Services {
				switch {
				case !svcs[s]:
					add(fmt.Sprintf("%s.services[%d]", kp, m), "counter %d serves unknown service %q", k.Number, s)
				case seen[s]:
					add(fmt.Sprintf("%s.services[%d]", kp, m), "counter %d lists service %q twice", k.Number, s)
				}
				seen[s] = true
			}
			var spans []span
			for m, b := range k.Breaks {
				sp, err := parseSpan(b)
				if err != nil {
					add(fmt.Sprintf("%s.breaks[%d]", kp, m), "counter %d break: %v", k.Number, err)
					continue
				}
				for _, o := range spans {
					if sp.overlaps(o) {
						add(fmt.Sprintf("%s.breaks[%d]", kp, m), "counter %d break %s overlaps %s", k.Number, spanText(sp), spanText(o))
					}
				}
				spans = append(spans, sp)
			}
		}
	}
	return out
}

// CampusService is the campus configuration as it lives in the store, with a version: read it,
// and change it while the server runs (issue 13, "live configuration").
type CampusService interface {
	// Campus returns the current campus and its version (an opaque string).
	Campus() (Campus, string)
	// ApplyCampus makes c the current campus when version is the current one and returns the
	// new version. Errors change nothing: EUNPROCESSABLE with every problem in the error's
	// Details, ECONFLICT for a stale version, EUNAVAILABLE when it could not be stored.
	ApplyCampus(ctx context.Context, c Campus, version, actor string) (string, error)
}
