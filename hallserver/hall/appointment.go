package hall

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Appointments (预约, issue 16): a person books a slot of a service of a hall, checks in at the
// kiosk within a window around the slot's start and gets a ticket marked 预约 that is called
// near the booked time before the walk-ins of its service, with a cap on the walk-ins' extra
// wait. Slots come from the service's opening hours (hours.go) and the business calendar: a
// slot length and a capacity per slot (AppointmentConfig; by default half of what the counters
// serving the service get through in a slot: the rest stays for walk-ins), at most DaysAhead
// days ahead.

// AppointmentConfig is how a service takes bookings (campus file: services[].appointments).
// Zero fields take the defaults (AppointmentPolicy).
type AppointmentConfig struct {
	// Off: the service takes no bookings.
	Off bool `json:"off,omitempty" yaml:"off,omitempty"`
	// SlotMinutes is the length of a slot (default 15).
	SlotMinutes int `json:"slotMinutes,omitempty" yaml:"slotMinutes,omitempty"`
	// Capacity is the bookings a slot takes (default: half of what the counters serving the
	// service get through in a slot, at least 1).
	Capacity int `json:"capacity,omitempty" yaml:"capacity,omitempty"`
	// DaysAhead is how many days ahead one may book (default 7; today counts as day 0).
	DaysAhead int `json:"daysAhead,omitempty" yaml:"daysAhead,omitempty"`
	// EarlyMinutes and LateMinutes are the check-in window around the slot's start (defaults 30
	// and 15, Qmatic's advice).
	EarlyMinutes int `json:"earlyMinutes,omitempty" yaml:"earlyMinutes,omitempty"`
	LateMinutes  int `json:"lateMinutes,omitempty" yaml:"lateMinutes,omitempty"`
	// MaxExtraWaitMinutes caps how long a walk-in waits longer because appointments are
	// called before it (default 10): past it the walk-in goes first.
	MaxExtraWaitMinutes int `json:"maxExtraWaitMinutes,omitempty" yaml:"maxExtraWaitMinutes,omitempty"`
}

// Appointment defaults and limits.
const (
	DefaultSlotMinutes     = 15
	DefaultDaysAhead       = 7
	DefaultEarlyMinutes    = 30
	DefaultLateMinutes     = 15
	DefaultMaxExtraMinutes = 10
	MaxDaysAhead           = 90
	MaxSlotCapacity        = 1000
)

// validateAppointments checks a service's booking configuration; errors name the field below
// path (halls[0].services[1].appointments.slotMinutes).
func validateAppointments(path string, a *AppointmentConfig) error {
	if a == nil {
		return nil
	}
	p := path + ".appointments"
	check := func(field string, v, lo, hi int) error {
		if v < lo || v > hi {
			return Errorf(EINVALID, p+"."+field, "%s %d must be 0 (the default) or %d to %d", field, v, max(lo, 1), hi)
		}
		return nil
	}
	for _, c := range []struct {
		f      string
		v, max int
	}{
		{"slotMinutes", a.SlotMinutes, 240}, {"capacity", a.Capacity, MaxSlotCapacity}, {"daysAhead", a.DaysAhead, MaxDaysAhead},
		{"earlyMinutes", a.EarlyMinutes, 240}, {"lateMinutes", a.LateMinutes, 240}, {"maxExtraWaitMinutes", a.MaxExtraWaitMinutes, 240},
	} {
		if err := check(c.f, c.v, 0, c.max); err != nil {
			return err
		}
	}
	if a.SlotMinutes != 0 && a.SlotMinutes < 5 {
		return Errorf(EINVALID, p+".slotMinutes", "slotMinutes %d must be 0 (the default, 15) or 5 to 240", a.SlotMinutes)
	}
	return nil
}

// AppointmentPolicy is a service's booking configuration with the defaults filled in.
type AppointmentPolicy struct {
	Off                          bool
	Slot                         time.Duration
	Capacity                     int
	DaysAhead                    int
	Early, Late, MaxExtraWait    time.Duration
	Service                      string
	counters, avgMinutes, slotMi int
}

// AppointmentPolicy returns the booking policy of a service of the hall (Off when the hall has
// no such service).
func (h *Hall) AppointmentPolicy(code string) AppointmentPolicy {
	sv, ok := h.Service(code)
	if !ok {
		return AppointmentPolicy{Off: true, Service: code}
	}
	var c AppointmentConfig
	if sv.Appointments != nil {
		c = *sv.Appointments
	}
	p := AppointmentPolicy{Off: c.Off, Service: code}
	or := func(v, d int) int {
		if v <= 0 {
			return d
		}
		return v
	}
	p.slotMi = or(c.SlotMinutes, DefaultSlotMinutes)
	p.Slot = time.Duration(p.slotMi) * time.Minute
	p.DaysAhead = or(c.DaysAhead, DefaultDaysAhead)
	p.Early = time.Duration(or(c.EarlyMinutes, DefaultEarlyMinutes)) * time.Minute
	p.Late = time.Duration(or(c.LateMinutes, DefaultLateMinutes)) * time.Minute
	p.MaxExtraWait = time.Duration(or(c.MaxExtraWaitMinutes, DefaultMaxExtraMinutes)) * time.Minute
	for _, k := range h.Counters {
		for _, s := range k.Services {
			if s == code {
				p.counters++
				break
			}
		}
	}
	p.avgMinutes = or(sv.AvgMinutes, 5)
	p.Capacity = c.Capacity
	if p.Capacity <= 0 {
		// half of what the counters serving it get through in a slot; the rest stays for walk-ins
		p.Capacity = max(1, p.counters*p.slotMi/p.avgMinutes/2)
	}
	return p
}

// Slot is one bookable time of a service: [Start, End) in the campus zone.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Free is the places still free (Capacity less the active bookings).
	Free int `json:"free"`
}

// DaySlots returns the slots of the local date day (any instant of it) under the schedule:
// each session cut into slots of the policy's length (a slot ends within its session). None
// when the schedule has no hours, the day is a holiday or the policy is Off. Free is the
// capacity.
func DaySlots(s Schedule, p AppointmentPolicy, day time.Time) []Slot {
	if p.Off || !s.known || p.Slot <= 0 {
		return nil
	}
	day = day.In(s.loc)
	m := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, s.loc)
	var out []Slot
	for _, sp := range s.sessions(m) {
		for a := sp.start; a+p.slotMi <= sp.end; a += p.slotMi {
			out = append(out, Slot{Start: s.at(m, a), End: s.at(m, a+p.slotMi), Free: p.Capacity})
		}
	}
	return out
}

// BookableSlot checks that start is the start of a slot one may book at now: not past, on a
// day at most DaysAhead ahead, at a slot start of the service's hours. It returns the slot;
// errors are EUNPROCESSABLE "start" (EINVALID "service" when the service takes no bookings).
func BookableSlot(s Schedule, p AppointmentPolicy, start, now time.Time) (Slot, error) {
	if p.Off || !s.known {
		return Slot{}, Errorf(EUNPROCESSABLE, "service", "service %s takes no bookings", p.Service)
	}
	if !start.After(now) {
		return Slot{}, Errorf(EUNPROCESSABLE, "start", "%s is past", start.In(s.loc).Format(time.RFC3339))
	}
	if d := DaysBetween(now, start, s.loc); d > p.DaysAhead {
		return Slot{}, Errorf(EUNPROCESSABLE, "start", "bookings open at most %d days ahead", p.DaysAhead)
	}
	for _, sl := range DaySlots(s, p, start) {
		if sl.Start.Equal(start) {
			return sl, nil
		}
	}
	return Slot{}, Errorf(EUNPROCESSABLE, "start", "%s is not the start of a slot of service %s (closed, or not on the %d-minute grid)",
		start.In(s.loc).Format(time.RFC3339), p.Service, int(p.Slot/time.Minute))
}

// DaysBetween returns the number of local dates from a's to b's (negative when b is earlier).
func DaysBetween(a, b time.Time, loc *time.Location) int {
	a, b = a.In(loc), b.In(loc)
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da) / (24 * time.Hour))
}

// AppointmentState is where a booking is in its life.
type AppointmentState string

// Appointment states. A booked appointment not checked in by the end of its window is a no-show
// (derived, not stored).
const (
	AppointmentBooked    AppointmentState = "booked"
	AppointmentCheckedIn AppointmentState = "checked_in"
	AppointmentCancelled AppointmentState = "cancelled"
)

// Appointment is one booking.
type Appointment struct {
	ID      string    `json:"id"`
	Hall    string    `json:"hall"`
	Service string    `json:"service"`
	Day     string    `json:"day"` // local date of Start, YYYY-MM-DD
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Code    string    `json:"code"`  // 6 digits, unique among the day's active bookings of the hall
	Token   string    `json:"token"` // unguessable: cancel, reschedule, follow (/a/{token})
	Name    string    `json:"name"`
	Phone   string    `json:"phone"`
	// Identity is the Key of the requester identity (CAS, WeChat Work) the booking was made
	// under when signed in: one active booking per identity per service per day, and the
	// requester's "my bookings".
	Identity string           `json:"identity,omitempty"`
	State    AppointmentState `json:"state"`
	// Channel is who booked: "web" for the public, else the staff member's username.
	Channel   string    `json:"channel,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	// TicketID, Number and TicketToken are the ticket of the check-in (its follow token: the
	// booking's page shows the ticket).
	TicketID    string     `json:"ticketId,omitempty"`
	Number      string     `json:"number,omitempty"`
	TicketToken string     `json:"ticketToken,omitempty"`
	CheckedInAt *time.Time `json:"checkedInAt,omitempty"`
	CancelledAt *time.Time `json:"cancelledAt,omitempty"`
}

// Active reports whether the booking holds its place (booked or checked in).
func (a *Appointment) Active() bool {
	return a.State == AppointmentBooked || a.State == AppointmentCheckedIn
}

// NoShow reports whether the booking was not checked in by the end of its window at now.
func (a *Appointment) NoShow(p AppointmentPolicy, now time.Time) bool {
	return a.State == AppointmentBooked && now.After(a.Start.Add(p.Late))
}

// AppointmentMark is what a ticket issued at an appointment's check-in carries: the booking
// and its slot's start (the queue calls it at or after Start before the walk-ins).
type AppointmentMark struct {
	ID    string    `json:"id"`
	Start time.Time `json:"start"`
}

// Check-in refusals (409, Error.Code).
const (
	ETOOEARLY = "too_early" // before the window: Error.OpensAt says when to come back
	ETOOLATE  = "too_late"  // after the window: a walk-in ticket is offered
)

// CheckinWindow returns the error a check-in at now gets outside the policy's window around
// the booking's start (nil inside it): ETOOEARLY with OpensAt, ETOOLATE.
func (a *Appointment) CheckinWindow(p AppointmentPolicy, now time.Time) error {
	from, until := a.Start.Add(-p.Early), a.Start.Add(p.Late)
	switch {
	case now.Before(from):
		e := Errorf(ETOOEARLY, "code", "too early for the booking at %s: check in from %s",
			a.Start.Format(time.RFC3339), from.Format(time.RFC3339))
		e.OpensAt = &from
		return e
	case now.After(until):
		return Errorf(ETOOLATE, "code", "the check-in for the booking at %s closed at %s: take a walk-in ticket",
			a.Start.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	return nil
}

// BookRequest asks for a booking.
type BookRequest struct {
	Hall    string
	Service string
	Start   time.Time
	End     time.Time
	Name    string
	Phone   string
	Channel string
	// Identity is the signed-in requester's Identity.Key ("" without a sign-in).
	Identity string
	// Capacity is the slot's capacity (the caller checked the slot with BookableSlot).
	Capacity int
}

// The Start of a BookRequest is in the campus zone: the booking's Day is its local date.

var phoneRE = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// NormalizePhone returns a mainland mobile number as its 11 digits (spaces, '-' and a +86 or
// 0086 prefix dropped); the error names "phone".
func NormalizePhone(s string) (string, error) {
	d := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	d = strings.TrimPrefix(strings.TrimPrefix(d, "+86"), "0086")
	if !phoneRE.MatchString(d) {
		return "", Errorf(EINVALID, "phone", "phone must be a mainland mobile number of 11 digits (e.g. 13800138000)")
	}
	return d, nil
}

// MaxNameRunes bounds a booking's name.
const MaxNameRunes = 32

// NormalizeName trims a person's name and checks it (1 to 32 characters, no control
// characters); the error names "name".
func NormalizeName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Errorf(EINVALID, "name", "name is required")
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxNameRunes {
		return "", Errorf(EINVALID, "name", "name must be at most %d characters", MaxNameRunes)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", Errorf(EINVALID, "name", "name has a control character")
		}
	}
	return s, nil
}

// MaskPhone hides the middle of a phone number (138****8000).
func MaskPhone(p string) string {
	if len(p) != 11 {
		return MaskPersonID(p)
	}
	return p[:3] + "****" + p[7:]
}

// AppointmentStore keeps the bookings. Every change is durable when it returns.
type AppointmentStore interface {
	// Booked returns the active bookings of the hall's service on the local date day.
	Booked(ctx context.Context, hall, service, day string) ([]Appointment, error)
	// Book stores a booking in one transaction that checks the slot's capacity (ECONFLICT
	// "start" when full) and one active booking per phone per service per day (ECONFLICT
	// "phone"), and per identity (ECONFLICT "identity"), and gives it a code unique among the day's active bookings of the hall and a
	// token.
	Book(ctx context.Context, req BookRequest) (*Appointment, error)
	// ByToken returns the booking with this token (ENOTFOUND "token").
	ByToken(ctx context.Context, token string) (*Appointment, error)
	// ByCode returns the active booking of the hall on the local date day with this code
	// (ENOTFOUND "code").
	ByCode(ctx context.Context, hall, day, code string) (*Appointment, error)
	// Cancel cancels an active, not checked-in booking (ECONFLICT "state" otherwise).
	Cancel(ctx context.Context, token string) (*Appointment, error)
	// Reschedule moves a booked (not checked-in) booking to another slot of its service, with
	// the same checks as Book (req gives the slot: Start, End, Capacity).
	Reschedule(ctx context.Context, token string, req BookRequest) (*Appointment, error)
	// CheckedIn records the ticket issued at the booking's check-in.
	CheckedIn(ctx context.Context, id string, t Ticket) (*Appointment, error)
	// Day returns every booking of the hall on the local date day (staff: the no-show list).
	Day(ctx context.Context, hall, day string) ([]Appointment, error)
	// ByIdentity returns the bookings made under the identity key (Identity.Key), the latest
	// days first, at most limit.
	ByIdentity(ctx context.Context, identity string, limit int) ([]Appointment, error)
}
