package hall

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// When a service issues tickets (issue 13): within its seasonal range (Service.From/Until),
// within its opening hours (unless the hall sets IssueOutsideHours) and under its daily quota
// (Service.Quota). The queue engine asks a Gate on every issue, with today's count of the
// service's tickets from its own state, and writes the answer into each service of the hall
// snapshot; kiosks, displays and pages show it.

// MaxQuota is the largest daily quota of a service (the engine numbers at most that many a day).
const MaxQuota = 99999

// dateLayout is the layout of local dates in the campus file.
const dateLayout = "2006-01-02"

// validateLimits checks a service's quota and seasonal range; errors name the field below path
// (halls[2].services[1].until).
func validateLimits(path string, s Service) error {
	if s.Quota < 0 || s.Quota > MaxQuota {
		return Errorf(EINVALID, path+".quota", "quota %d must be 0 (no quota) to %d tickets a day", s.Quota, MaxQuota)
	}
	if s.TargetWaitMinutes < 0 || s.TargetWaitMinutes > 24*60 {
		return Errorf(EINVALID, path+".targetWaitMinutes", "targetWaitMinutes %d must be 0 (the default, 15) to 1440", s.TargetWaitMinutes)
	}
	var from, until time.Time
	var err error
	if s.From != "" {
		if from, err = time.Parse(dateLayout, s.From); err != nil {
			return Errorf(EINVALID, path+".from", "date %q must be YYYY-MM-DD", s.From)
		}
	}
	if s.Until != "" {
		if until, err = time.Parse(dateLayout, s.Until); err != nil {
			return Errorf(EINVALID, path+".until", "date %q must be YYYY-MM-DD", s.Until)
		}
	}
	if s.From != "" && s.Until != "" && until.Before(from) {
		return Errorf(EINVALID, path+".until", "until %s is before from %s", s.Until, s.From)
	}
	return nil
}

// Availability is whether a service issues tickets at an instant and, when not, until when.
type Availability struct {
	// Closed is "" while the service issues tickets, else ESERVICECLOSED (outside its hours or
	// its seasonal range) or EQUOTAREACHED (today's quota is issued).
	Closed string
	// OpensAt is when it issues tickets again, in the campus zone; nil while open, when it
	// will not (its season is over) or when that is not known.
	OpensAt *time.Time
	// Remaining is how many tickets it may still issue today; -1 without a quota.
	Remaining int
	// OutOfSeason is set outside the service's seasonal range (kiosks do not show it then).
	OutOfSeason bool
}

// Err returns the error a ticket request gets while the service is closed (nil while open).
func (a Availability) Err(service string) error {
	if a.Closed == "" {
		return nil
	}
	when := "it does not open again"
	if a.OpensAt != nil {
		when = "opens " + a.OpensAt.Format(time.RFC3339)
	}
	e := Errorf(a.Closed, "service", "service %s issues no tickets now (%s)", service, when)
	if a.Closed == EQUOTAREACHED {
		e.Message = fmt.Sprintf("service %s has issued its daily quota (%s)", service, when)
	}
	e.OpensAt = a.OpensAt
	return e
}

// Gate decides when one service of a hall issues tickets. It is pure: the clock and the count
// of today's tickets are passed in. The zero Gate is always open.
type Gate struct {
	sched       Schedule // the service's hours with the calendar
	hours       bool     // the hours close it (known, and the hall does not issue outside them)
	quota       int
	from, until time.Time // local midnights of the seasonal range; zero: open-ended
	loc         *time.Location
}

// NewGate returns the gate of service code of hall h in loc (UTC when nil) with the calendar days
// (nil: weekdays by the timetable alone). The hall must have passed Campus.Validate.
func NewGate(h *Hall, code string, loc *time.Location, days Days) (Gate, error) {
	if loc == nil {
		loc = time.UTC
	}
	sv, ok := h.Service(code)
	if !ok {
		return Gate{}, Errorf(ENOTFOUND, "service", "hall %s has no service %q", h.Code, code)
	}
	sched, err := NewSchedule(h.ServiceHours(code), loc, days)
	if err != nil {
		return Gate{}, err
	}
	g := Gate{sched: sched, hours: sched.Known() && !h.IssueOutsideHours, quota: sv.Quota, loc: loc}
	if sv.From != "" {
		if g.from, err = time.ParseInLocation(dateLayout, sv.From, loc); err != nil {
			return Gate{}, Errorf(EINVALID, "from", "date %q must be YYYY-MM-DD", sv.From)
		}
	}
	if sv.Until != "" {
		if g.until, err = time.ParseInLocation(dateLayout, sv.Until, loc); err != nil {
			return Gate{}, Errorf(EINVALID, "until", "date %q must be YYYY-MM-DD", sv.Until)
		}
	}
	return g, nil
}

// midnight returns the start of the local day of t.
func (g Gate) midnight(t time.Time, days int) time.Time {
	t = t.In(g.loc)
	return time.Date(t.Year(), t.Month(), t.Day()+days, 0, 0, 0, 0, g.loc)
}

// afterSeason reports whether t is past the seasonal range (no range: never).
func (g Gate) afterSeason(t time.Time) bool {
	return !g.until.IsZero() && !t.Before(time.Date(g.until.Year(), g.until.Month(), g.until.Day()+1, 0, 0, 0, 0, g.loc))
}

// opening returns the first instant at or after t at which the service may issue (its hours, when
// they close it), nil when none comes within the season or a year.
func (g Gate) opening(t time.Time) *time.Time {
	if !g.from.IsZero() && t.Before(g.from) {
		t = g.from
	}
	if g.hours {
		next, ok := g.sched.NextOpen(t)
		if !ok {
			return nil
		}
		t = next
	}
	if g.afterSeason(t) {
		return nil
	}
	t = t.In(g.loc)
	return &t
}

// Check says whether the service issues a ticket at now when issued tickets were already issued
// today. Outside the seasonal range it is closed (OutOfSeason); past the quota it opens again
// at the first opening of a later day; outside its hours at the next session.
func (g Gate) Check(now time.Time, issued int) Availability {
	a := Availability{Remaining: -1}
	if g.quota > 0 {
		a.Remaining = max(0, g.quota-issued)
	}
	today := g.midnight(now, 0)
	switch {
	case !g.from.IsZero() && today.Before(g.from):
		a.Closed, a.OutOfSeason, a.OpensAt = ESERVICECLOSED, true, g.opening(g.from)
	case g.afterSeason(today):
		a.Closed, a.OutOfSeason = ESERVICECLOSED, true
	case g.quota > 0 && issued >= g.quota:
		a.Closed, a.OpensAt = EQUOTAREACHED, g.opening(g.midnight(now, 1))
	case g.hours && !g.sched.IsOpen(now):
		a.Closed, a.OpensAt = ESERVICECLOSED, g.opening(now)
	}
	return a
}

// IssuingLabels are the words that say whether a service issues tickets: by the Closed reason
// (service_closed, quota_reached), "remaining" ({n} tickets left today) and "season" (the
// seasonal mark, {month} {day} {mon} of its last day). SeasonText writes "season" for the kiosk
// and the hall information; the counter console gets the table through labels.go ("issuing").
func IssuingLabels() map[string]Text {
	return map[string]Text{
		ESERVICECLOSED: {Zh: "暂停取号", En: "Not issuing numbers now"},
		EQUOTAREACHED:  {Zh: "今日号已取完", En: "No more numbers today"},
		"remaining":    {Zh: "今日余号 {n}", En: "{n} left today"},
		"season":       {Zh: "限时开放至{month}月{day}日", En: "Limited period until {day} {mon}"},
	}
}

// SeasonText says a seasonal service's range for people: "限时开放至1月15日" / "Limited period
// until 15 Jan" (the zero Text without an end date).
func SeasonText(until string) Text {
	d, err := time.Parse(dateLayout, until)
	if err != nil {
		return Text{}
	}
	r := strings.NewReplacer("{month}", strconv.Itoa(int(d.Month())), "{day}", strconv.Itoa(d.Day()), "{mon}", d.Format("Jan"))
	l := IssuingLabels()["season"]
	return Text{Zh: r.Replace(l.Zh), En: r.Replace(l.En)}
}
