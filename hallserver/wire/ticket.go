package wire

import (
	"time"

	"onedoor/hallserver/hall"
)

// IssueRequest is the body of POST /api/v1/halls/{hall}/tickets (a kiosk asks for a ticket).
type IssueRequest struct {
	Service  string `json:"service"`
	Priority bool   `json:"priority,omitempty"`
	Lang     string `json:"lang,omitempty"`
	PersonID string `json:"personId,omitempty"`
}

// Ticket is the flat ticket the API returns when a ticket is issued or acted on. Token,
// FollowURL, Position, EtaSeconds and Materials are set only in the answer to an issue.
type Ticket struct {
	ID         string           `json:"id"`
	Number     string           `json:"number"`
	Hall       string           `json:"hall"`
	Service    string           `json:"service"`
	Token      string           `json:"token,omitempty"`
	FollowURL  string           `json:"followUrl,omitempty"`
	Position   *int             `json:"position,omitempty"`
	EtaSeconds *int             `json:"etaSeconds,omitempty"`
	Materials  []hall.Text      `json:"materials,omitempty"`
	State      hall.TicketState `json:"state"`
	Priority   bool             `json:"priority"`
	Lang       string           `json:"lang,omitempty"`
	PersonID   string           `json:"personId,omitempty"` // masked
	Day        string           `json:"day,omitempty"`
	IssuedAt   time.Time        `json:"issuedAt"`
	Counter    int              `json:"counter,omitempty"`
	// TargetCounter: waiting for this counter only (transferred to it).
	TargetCounter int          `json:"targetCounter,omitempty"`
	CalledAt      *time.Time   `json:"calledAt,omitempty"`
	StartedAt     *time.Time   `json:"startedAt,omitempty"`
	FinishedAt    *time.Time   `json:"finishedAt,omitempty"`
	Outcome       hall.Outcome `json:"outcome,omitempty"`
	Calls         int          `json:"calls,omitempty"`
	CaseID        string       `json:"caseId,omitempty"`
	// Appointment marks a ticket issued at a booking's check-in (预约): the booking and its
	// slot's start.
	Appointment *hall.AppointmentMark `json:"appointment,omitempty"`
}

// Ahead returns how many people wait before the ticket (Position), 0 when the answer has none.
func (t *Ticket) Ahead() int {
	if t.Position == nil {
		return 0
	}
	return *t.Position
}

// Eta returns the estimated wait in seconds (EtaSeconds), 0 when the answer has none.
func (t *Ticket) Eta() int {
	if t.EtaSeconds == nil {
		return 0
	}
	return *t.EtaSeconds
}

// TicketList answers GET /api/v1/halls/{hall}/waiting.
type TicketList struct {
	Tickets []Ticket `json:"tickets"`
	// SetAside is today's parked tickets and the absent ones that can still be reinstated (the
	// counter console lists them with resume / reinstate).
	SetAside []Ticket `json:"setAside,omitempty"`
}

// CounterAnswer answers the counter actions that change the counter itself (open, pause, close).
type CounterAnswer struct {
	Counter hall.CounterStatus `json:"counter"`
}

// Follow is what GET /api/v1/follow/{token} returns: the ticket's public state.
type Follow struct {
	Number      string           `json:"number"`
	State       hall.TicketState `json:"state"`
	Hall        string           `json:"hall"`
	HallName    hall.Text        `json:"hallName"`
	Service     string           `json:"service"`
	ServiceName hall.Text        `json:"serviceName"`
	Position    int              `json:"position"`
	EtaSeconds  int              `json:"etaSeconds"`
	// Unserved: no open counter serves the waiting ticket's service now (EtaSeconds means nothing).
	Unserved bool `json:"unserved,omitempty"`
	// OpensAt: while Unserved outside the service's opening hours, when it opens next (RFC 3339
	// in the campus zone); omitted within the hours or when they are not known.
	OpensAt    *time.Time   `json:"opensAt,omitempty"`
	Counter    int          `json:"counter,omitempty"`
	Materials  []hall.Text  `json:"materials"`
	Priority   bool         `json:"priority"`
	PersonID   string       `json:"personId,omitempty"` // masked
	IssuedAt   time.Time    `json:"issuedAt"`
	CalledAt   *time.Time   `json:"calledAt,omitempty"`
	StartedAt  *time.Time   `json:"startedAt,omitempty"`
	FinishedAt *time.Time   `json:"finishedAt,omitempty"`
	Outcome    hall.Outcome `json:"outcome,omitempty"`
	// HasCase says a counter handed the visit to a department (the case follows on the page); the
	// case's ID stays internal (it carries the day and a running count).
	HasCase bool `json:"hasCase,omitempty"`
	// VisitRating is the holder's rating of the finished visit (好差评), once given.
	VisitRating *hall.VisitRating `json:"visitRating,omitempty"`
	// BookedAt is the slot's start of a ticket issued at a booking's check-in (预约).
	BookedAt *time.Time `json:"bookedAt,omitempty"`
}

// VisitRatingRequest is the body of POST /api/v1/follow/{token}/rating: the holder rates the
// finished visit, once (stars 1–5, comment at most hall.MaxVisitComment characters).
type VisitRatingRequest struct {
	Stars   int    `json:"stars"`
	Comment string `json:"comment"`
}

// CounterView answers GET /api/v1/halls/{hall}/counters/{n}: the counter and its current ticket.
type CounterView struct {
	Counter hall.CounterStatus `json:"counter"`
	Current *CurrentTicket     `json:"current"`
}

// CurrentTicket is the counter's current ticket, staff view.
type CurrentTicket struct {
	Ticket
	ServiceName hall.Text   `json:"serviceName"`
	Materials   []hall.Text `json:"materials"`
	WaitSeconds int         `json:"waitSeconds"` // from issue to call (or to now)
	Visits      []Visit     `json:"visits"`
	Request     *WalkIn     `json:"request,omitempty"`
}

// Visit is an earlier visit of the current ticket as counter staff see it (with the note).
type Visit struct {
	Counter     int       `json:"counter"`
	Service     string    `json:"service"`
	ServiceName hall.Text `json:"serviceName"`
	CalledAt    time.Time `json:"calledAt"`
	FinishedAt  time.Time `json:"finishedAt"`
	Note        string    `json:"note,omitempty"`
}

// WalkIn is the walk-in request (a case opened at the kiosk) a ticket came with.
type WalkIn struct {
	Number   string         `json:"number"`
	Kind     hall.Kind      `json:"kind"`
	Category string         `json:"category,omitempty"`
	State    hall.CaseState `json:"state"`
	Title    string         `json:"title,omitempty"`
	Text     string         `json:"text"`
}

// CounterRatingRequest is the body of POST /api/v1/halls/{hall}/counter-ratings/{n}: the
// counter-side page rates a visit the counter finished (ticket: its number).
type CounterRatingRequest struct {
	Ticket  string `json:"ticket"`
	Stars   int    `json:"stars"`
	Reason  string `json:"reason,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// CounterVisit is the visit the counter-side rating page shows (GET
// /api/v1/halls/{hall}/counter-ratings/{n}): the ticket the counter serves, or the one it just
// finished and whether it is rated. No rating text: the next person at the counter sees it.
type CounterVisit struct {
	Number     string           `json:"number"`
	Service    string           `json:"service"`
	State      hall.TicketState `json:"state"`
	FinishedAt *time.Time       `json:"finishedAt,omitempty"`
	Rated      bool             `json:"rated"`
}

// CounterRating answers GET /api/v1/halls/{hall}/counter-ratings/{n}: the counter and its
// visit (null when it served nobody recently).
type CounterRating struct {
	Hall    string        `json:"hall"`
	Counter int           `json:"counter"`
	Visit   *CounterVisit `json:"visit"`
}
