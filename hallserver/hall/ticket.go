package hall

import (
	"strings"
	"time"
)

// TicketState is where a ticket is in its life.
type TicketState string

// Ticket states. Waiting tickets are in a queue; called and serving tickets are at a counter;
// done, no-show and cancelled are final for the day (a no-show can be reinstated within a limit).
const (
	TicketWaiting   TicketState = "waiting"
	TicketCalled    TicketState = "called"
	TicketServing   TicketState = "serving"
	TicketParked    TicketState = "parked"
	TicketDone      TicketState = "done"
	TicketNoShow    TicketState = "no_show"
	TicketCancelled TicketState = "cancelled"
)

// Open reports whether the ticket can still be served today.
func (s TicketState) Open() bool {
	switch s {
	case TicketWaiting, TicketCalled, TicketServing, TicketParked:
		return true
	}
	return false
}

// Outcome is how a finished visit ended.
type Outcome string

// Visit outcomes.
const (
	OutcomeResolved   Outcome = "resolved"    // done at the counter
	OutcomeRedirected Outcome = "redirected"  // sent elsewhere
	OutcomeCaseOpened Outcome = "case_opened" // turned into a case for a department (只进一门)
)

// Valid reports whether o is a known outcome.
func (o Outcome) Valid() bool {
	return o == OutcomeResolved || o == OutcomeRedirected || o == OutcomeCaseOpened
}

// Placement says where a transferred or reinstated ticket goes in its new queue.
type Placement string

// Placements.
const (
	PlaceFront    Placement = "front"    // before everyone waiting
	PlaceEnd      Placement = "end"      // after everyone waiting
	PlaceOriginal Placement = "original" // by the time it was first issued
)

// Valid reports whether p is a known placement.
func (p Placement) Valid() bool {
	return p == PlaceFront || p == PlaceEnd || p == PlaceOriginal
}

// Ticket is one queue number issued to one person.
type Ticket struct {
	ID       string      `json:"id"`
	Hall     string      `json:"hall"`
	Service  string      `json:"service"`
	Number   string      `json:"number"`          // prefix + at least 3 digits, e.g. A012, A1000
	Day      string      `json:"day"`             // local date of issue, YYYY-MM-DD
	Token    string      `json:"token,omitempty"` // unguessable public follow token (QR)
	State    TicketState `json:"state"`
	Priority bool        `json:"priority"` // green channel
	Lang     string      `json:"lang,omitempty"`
	PersonID string      `json:"personId,omitempty"` // student/staff number; masked on public views
	Channel  string      `json:"channel,omitempty"`  // kiosk device or staff who issued it

	IssuedAt time.Time `json:"issuedAt"`
	// Order sorts waiting tickets (smaller first): a position in the hall's own monotonic
	// sequence (never the wall clock), given when the ticket joined its queue.
	Order int64 `json:"order,omitempty"`
	// IssueOrder is the Order the ticket got when it was issued: a transfer or reinstatement
	// "by original time" puts it back there. 0 on tickets issued before it existed (their Order
	// was then the issue time in Unix nanoseconds).
	IssueOrder int64 `json:"issueOrder,omitempty"`

	Counter       int        `json:"counter,omitempty"`       // counter that called it (current or last)
	TargetCounter int        `json:"targetCounter,omitempty"` // waiting for this counter only (transfer)
	CalledAt      *time.Time `json:"calledAt,omitempty"`
	StartedAt     *time.Time `json:"startedAt,omitempty"`
	FinishedAt    *time.Time `json:"finishedAt,omitempty"`
	Outcome       Outcome    `json:"outcome,omitempty"`
	Calls         int        `json:"calls,omitempty"`   // times announced in the current call (recalls + 1)
	NoShows       int        `json:"noShows,omitempty"` // times marked absent
	Visits        []Visit    `json:"visits,omitempty"`  // earlier visits (before transfers)
	CaseID        string     `json:"caseId,omitempty"`
	// Appointment marks a ticket issued at a booking's check-in (预约, appointment.go).
	Appointment *AppointmentMark `json:"appointment,omitempty"`
	// BypassedAt is when an appointment was first called before this waiting walk-in: past
	// the service's MaxExtraWait from it the walk-in goes first.
	BypassedAt *time.Time `json:"bypassedAt,omitempty"`
}

// Visit is one finished stay of a ticket at a counter (kept when the ticket is transferred).
type Visit struct {
	Counter    int       `json:"counter"`
	Service    string    `json:"service"`
	CalledAt   time.Time `json:"calledAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Note       string    `json:"note,omitempty"`
}

// MaskPersonID hides all but the first two and last two characters of a person's number.
func MaskPersonID(id string) string {
	r := []rune(id)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:2]) + strings.Repeat("*", len(r)-4) + string(r[len(r)-2:])
}

// Public returns a copy fit for public views (hall streams, the follow page): the person number
// masked, and neither the follow token (whoever holds it may cancel the ticket) nor who issued it,
// nor staff notes.
func (t Ticket) Public() Ticket {
	t.PersonID = MaskPersonID(t.PersonID)
	t.Channel = ""
	t.Token = ""
	if len(t.Visits) > 0 {
		v := make([]Visit, len(t.Visits))
		for i, x := range t.Visits {
			x.Note = ""
			v[i] = x
		}
		t.Visits = v
	}
	return t
}
