package hall

import (
	"context"
	"time"
)

// This file holds the case system's service interfaces and the requests, filters and reports
// they speak in.

// OpenCaseRequest asks for a new case.
type OpenCaseRequest struct {
	Kind      Kind      `json:"kind"`
	Channel   Channel   `json:"channel"`
	Hall      string    `json:"hall,omitempty"`
	Ticket    string    `json:"ticket,omitempty"` // queue ticket ID the case comes from
	Title     string    `json:"title,omitempty"`
	Text      string    `json:"text"`
	Lang      string    `json:"lang,omitempty"`
	Requester Requester `json:"requester"`
	// Place is where the matter is (Open311's lat/long, address_string, media_url), or nil.
	Place *Place `json:"place,omitempty"`
	// Category and Department, when staff choose them (counter, hotline), skip the router. A
	// category alone dispatches to its department.
	Category   string `json:"category,omitempty"`
	Department string `json:"department,omitempty"`
	Source     string `json:"-"` // device ID or staff username
	// IdempotencyKey, when set, makes a retried request return the case the first one created.
	IdempotencyKey string `json:"-"`
	// FollowToken, when set, is the case's follow token as the opener proposes it (a kiosk that
	// printed the receipt's QR code before it could deliver the request): IsFollowToken shape,
	// not in use. Empty: the service makes one.
	FollowToken string `json:"-"`
}

// IsFollowToken reports whether s has the shape of a follow token: 32 characters of unpadded
// standard base32 (A–Z, 2–7), 20 random bytes when made well.
func IsFollowToken(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// CaseFilter selects cases for a list (a department inbox, the supervision page).
type CaseFilter struct {
	Department string      `json:"department,omitempty"` // leading or assisting; empty = all (office)
	States     []CaseState `json:"states,omitempty"`     // empty = all
	Open       bool        `json:"open,omitempty"`       // only cases not final
	Overdue    bool        `json:"overdue,omitempty"`    // only cases past a limit
	Supervised bool        `json:"supervised,omitempty"`
	Kind       Kind        `json:"kind,omitempty"`
	Assignee   string      `json:"assignee,omitempty"` // only the cases this handler owns ("mine")
	Since      time.Time   `json:"since,omitempty"`    // received at or after
	Until      time.Time   `json:"until,omitempty"`    // received before
	// Text is a search (GET /api/v1/cases?q=): the case number, the requester's phone or name
	// (as Contact allows) or words of the title and text; the results come best match first.
	Text  string `json:"text,omitempty"`
	Limit int    `json:"limit,omitempty"`
	// Contact is whose requester data (phone, name) Text may find a case by; the visibility
	// policy sets it (cases.Scope), never a client.
	Contact Contact `json:"-"`
	// NoTimeline lets the store leave the timeline of final cases it reads from disk empty
	// (exports, which do not show it, skip decoding a year of timelines); cases it holds whole
	// keep theirs.
	NoTimeline bool `json:"-"`
}

// Contact is whose requester data a case search may match.
type Contact int

// The reaches of a case search over requester data.
const (
	ContactNone Contact = iota // no case: text and number only
	ContactLead                // the cases CaseFilter.Department leads
	ContactAll                 // every case (the supervising office)
)

// DepartmentStats are a department's figures over a period (cases received in it).
type DepartmentStats struct {
	Department string `json:"department"`
	Received   int    `json:"received"`  // cases led by the department (exits excluded)
	Responded  int    `json:"responded"` // of those, first response given
	// RespondedInTime counts first responses before ReplyDue; ResponseRate (响应率) =
	// RespondedInTime / (cases responded or already past their reply limit).
	RespondedInTime int `json:"respondedInTime"`
	Resolved        int `json:"resolved"` // replied, rated or archived (and not reopened)
	// ResolvedInTime counts resolved cases that never missed their resolution limit.
	ResolvedInTime int `json:"resolvedInTime"`
	Rated          int `json:"rated"`
	Satisfied      int `json:"satisfied"` // latest rating 3–5
	Overdue        int `json:"overdue"`   // missed a limit (reply or resolution)
	Returned       int `json:"returned"`  // returned to triage by this department
	Reopened       int `json:"reopened"`

	ResponseRate     float64 `json:"responseRate"`     // 响应率, 0–1
	ResolutionRate   float64 `json:"resolutionRate"`   // 解决率 = Resolved / Received
	SatisfactionRate float64 `json:"satisfactionRate"` // 满意率 = Satisfied / Rated
}

// CaseService runs the shared case system. Every method that changes state returns only after the
// change and its events are durable; errors change nothing. Methods taking a token are for the
// requester (no login) and return the Public view.
type CaseService interface {
	// Open logs a new case and routes it (to a department, or to the office for triage).
	Open(ctx context.Context, req OpenCaseRequest) (*Case, error)
	// Get returns a case by ID or number (staff view, full data).
	Get(ctx context.Context, id string) (*Case, error)
	// GetByToken returns the public view of the case with this follow token.
	GetByToken(ctx context.Context, token string) (*Case, error)
	// List returns the cases matching the filter, most urgent (earliest limit) first.
	List(ctx context.Context, f CaseFilter) ([]Case, error)
	// Act performs a staff action on a case.
	Act(ctx context.Context, a CaseAction) (*Case, error)
	// Route suggests the department for a request text (no state change).
	Route(ctx context.Context, text string) (*RouteResult, error)
	// ForgetRoutes undoes every re-route the router has learned from the staff member by
	// (the re-route guard's reversal) and records it, so a restart does not replay them. It
	// returns how many were undone.
	ForgetRoutes(ctx context.Context, by string) (int, error)
	// Rate records the requester's rating of the latest reply; 1–2 stars reopen the case.
	Rate(ctx context.Context, token string, r Rating) (*Case, error)
	// AddDetails appends the requester's details; a case waiting on the requester resumes.
	AddDetails(ctx context.Context, token string, text string) (*Case, error)
	// Stats returns the per-department figures for cases received in [from, to).
	Stats(ctx context.Context, from, to time.Time) ([]DepartmentStats, error)
	// Catalogue returns the dispatch catalogue.
	Catalogue(ctx context.Context) (*Catalogue, error)
}

// CaseLog is the case event log: every committed case event, in sequence order, for the
// department inbox, the supervision page and the follow pages to go live. Events carry the full
// case (staff view); apply Case.Public before sending them to public streams.
type CaseLog interface {
	// Since returns the committed events after seq, oldest first. ok is false when seq is ahead
	// of the log or too far behind it: the caller starts again from a list.
	Since(ctx context.Context, seq uint64) (events []CaseEvent, ok bool, err error)
	// LastSeq returns the seq of the last committed event.
	LastSeq() uint64
	// Subscribe delivers every event committed after the call, in order, until cancel is called,
	// the log closes, or the subscriber falls more than buffer events behind (the channel is
	// then closed and the subscriber resynchronises with Since).
	Subscribe(buffer int) (events <-chan CaseEvent, cancel func())
}

// ---- reports, hot topics and the long-standing list (issue 7, phase 3) ----

// CaseBrief is a case in a report line: enough to recognise and open it.
type CaseBrief struct {
	ID         string    `json:"id"`
	Number     string    `json:"number"`
	Kind       Kind      `json:"kind"`
	State      CaseState `json:"state"`
	Department string    `json:"department"`
	Title      string    `json:"title"` // the title, or the start of the text
	ReceivedAt time.Time `json:"receivedAt"`
	ReplyDue   time.Time `json:"replyDue"`
	Due        time.Time `json:"due"`
	// Late says which limit the case missed ("reply" or "resolve"), in the late list.
	Late       string     `json:"late,omitempty"`
	Supervised bool       `json:"supervised,omitempty"`
	ClosedAt   *time.Time `json:"closedAt,omitempty"` // replied or final, in the closed list
}

// DailyDepartment are one department's counts in a daily report.
type DailyDepartment struct {
	Department string `json:"department"`
	Arrived    int    `json:"arrived"`
	Closed     int    `json:"closed"`
	Late       int    `json:"late"`
}

// DailyReport is the daily report (日清日结) of one local day: what arrived, what was closed
// (replied or ended), and what is late at the end of the day (or now, for today).
type DailyReport struct {
	Date        string            `json:"date"` // YYYY-MM-DD in the campus time zone
	From        time.Time         `json:"from"`
	To          time.Time         `json:"to"`
	AsOf        time.Time         `json:"asOf"` // the moment "late" refers to
	Arrived     []CaseBrief       `json:"arrived"`
	Closed      []CaseBrief       `json:"closed"`
	Late        []CaseBrief       `json:"late"`
	Departments []DailyDepartment `json:"departments"`
}

// StatsPeriod are the per-department figures of one period of a series (a day, week or month).
type StatsPeriod struct {
	Label       string            `json:"label"` // "11-25", "W48", "2026-11"
	From        time.Time         `json:"from"`
	To          time.Time         `json:"to"`
	Departments []DepartmentStats `json:"departments"`
}

// CaseReports computes the supervision figures over stored cases.
type CaseReports interface {
	// Daily returns the daily report of the local day that contains day.
	Daily(ctx context.Context, day time.Time) (*DailyReport, error)
	// Series returns the per-department figures of each period ("day", "week", "month") of
	// the n periods that end with the one containing now, oldest first.
	Series(ctx context.Context, period string, n int) ([]StatsPeriod, error)
}
