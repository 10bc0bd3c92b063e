package wire

import (
	"time"

	"onedoor/hallserver/hall"
)

// RouteRequest is the body of POST /api/v1/route (the answer is a hall.RouteResult).
type RouteRequest struct {
	Text string `json:"text"`
}

// ForgottenRoutes answers DELETE /api/v1/route/learned/{username}: how many of that staff
// member's re-routes the router has undone.
type ForgottenRoutes struct {
	Username  string `json:"username"`
	Forgotten int    `json:"forgotten"`
}

// Catalogue answers GET /api/v1/catalogue: the dispatch catalogue (the kiosk's topic buttons).
type Catalogue struct {
	ResolveDays int        `json:"resolveDays"`
	Categories  []Category `json:"categories"`
}

// Category is a catalogue entry as clients see it (without the router's training data).
type Category struct {
	Code           string    `json:"code"`
	Department     string    `json:"department"`
	DepartmentName hall.Text `json:"departmentName"`
	Name           hall.Text `json:"name"`
	Scope          hall.Text `json:"scope"`
	ResolveDays    int       `json:"resolveDays"`
	Topic          bool      `json:"topic"`
}

// OpenCase is the body of POST /api/v1/cases (sent with an Idempotency-Key).
type OpenCase struct {
	Hall       string          `json:"hall"`
	Kind       hall.Kind       `json:"kind"`
	Category   string          `json:"category"`
	Department string          `json:"department,omitempty"` // staff only
	Channel    hall.Channel    `json:"channel"`
	TicketID   string          `json:"ticketId,omitempty"`
	Title      string          `json:"title"`
	Text       string          `json:"text,omitempty"`
	Lang       string          `json:"lang"`
	Requester  *hall.Requester `json:"requester,omitempty"`
	// FollowToken, optional, proposes the case's follow token (hall.IsFollowToken shape, not in
	// use): a kiosk prints the follow QR code of a request before it could deliver it.
	FollowToken string `json:"followToken,omitempty"`
}

// OpenedCase answers POST /api/v1/cases: what a kiosk prints on the receipt.
type OpenedCase struct {
	ID             string         `json:"id"`
	Number         string         `json:"number"`
	Token          string         `json:"token"`
	FollowURL      string         `json:"followUrl"`
	Kind           hall.Kind      `json:"kind"`
	State          hall.CaseState `json:"state"`
	Department     string         `json:"department"`
	DepartmentName hall.Text      `json:"departmentName"`
	Category       string         `json:"category"`
	CategoryName   hall.Text      `json:"categoryName"`
	ReceivedAt     time.Time      `json:"receivedAt"`
	// DueAt is the promised first reply (24 working hours by default); ResolveDueAt the
	// resolution limit.
	DueAt        time.Time `json:"dueAt"`
	ResolveDueAt time.Time `json:"resolveDueAt"`
}

// CaseList answers GET /api/v1/cases.
type CaseList struct {
	Cases []hall.Case `json:"cases"`
	Count int         `json:"count"`
}

// CaseStats answers GET /api/v1/cases/stats: the per-department rates of a period.
type CaseStats struct {
	From        time.Time              `json:"from"`
	To          time.Time              `json:"to"`
	Departments []hall.DepartmentStats `json:"departments"`
}

// CaseFollow is the requester's view of a case (GET /api/v1/case-follow/{token}): Case.Public
// plus the names to show.
type CaseFollow struct {
	hall.Case
	DepartmentName hall.Text `json:"departmentName"`
	CategoryName   hall.Text `json:"categoryName"`
	// TopicAnswer is the office's published answer on the hot topic the case belongs to.
	TopicAnswer *TopicAnswer `json:"topicAnswer,omitempty"`
	// DepartmentNames names the departments of the public timeline ("已请保卫处协办").
	DepartmentNames map[string]hall.Text `json:"departmentNames,omitempty"`
}

// TopicAnswer is a topic's answer on the follow page of a case in the topic.
type TopicAnswer struct {
	Topic string    `json:"topic"`
	Text  hall.Text `json:"text"`
	At    time.Time `json:"at"`
}

// CaseDetails is the body of POST /api/v1/case-follow/{token}/details.
type CaseDetails struct {
	Text string `json:"text"`
}

// CaseRating is the body of POST /api/v1/case-follow/{token}/rate.
type CaseRating struct {
	Stars   int    `json:"stars"`
	Comment string `json:"comment"`
}

// WebCaseRequest is the body of POST /api/v1/follow/{token}/request: the ticket's holder logs a
// request from the follow page.
type WebCaseRequest struct {
	Kind     hall.Kind `json:"kind"`
	Category string    `json:"category"`
	Text     string    `json:"text"`
	Phone    string    `json:"phone"`
	Lang     string    `json:"lang"`
}

// WebCase answers it: the case's public fields (what the page shows and the person keeps).
type WebCase struct {
	Number         string         `json:"number"`
	Token          string         `json:"token"`
	FollowURL      string         `json:"followUrl"`
	Kind           hall.Kind      `json:"kind"`
	State          hall.CaseState `json:"state"`
	Channel        hall.Channel   `json:"channel"`
	Department     string         `json:"department"`
	DepartmentName hall.Text      `json:"departmentName"`
	Category       string         `json:"category"`
	CategoryName   hall.Text      `json:"categoryName"`
	ReceivedAt     time.Time      `json:"receivedAt"`
	// DueAt is the promised first reply (24 working hours); ResolveDueAt the resolution limit.
	DueAt        time.Time `json:"dueAt"`
	ResolveDueAt time.Time `json:"resolveDueAt"`
}

// RelatedList answers GET /api/v1/cases/{id}/related.
type RelatedList struct {
	Cases []Related `json:"cases"`
}

// Related is a related case.
type Related struct {
	hall.CaseBrief
	// Relation is "duplicate" (linked as its duplicate), "original" (it is a duplicate of
	// this one) or "similar" (with Similarity, the cosine of their texts).
	Relation   string  `json:"relation"`
	Similarity float64 `json:"similarity,omitempty"`
}

// EscalationList answers GET /api/v1/cases/escalations: the office's escalation list, most
// urgent first (each case in the list's summary form, with why it is there).
type EscalationList struct {
	Escalations []Escalation `json:"escalations"`
	Count       int          `json:"count"`
}

// Escalation is one case on the escalation list: the case (summary form), why it is there,
// most urgent first (overdue, warned, returned, reopened, rated_low), and the stars of its
// latest rating when that is 1–2.
type Escalation struct {
	Case    hall.Case `json:"case"`
	Reasons []string  `json:"reasons"`
	Stars   int       `json:"stars,omitempty"`
}

// RequesterIdentity is who the requester signed in as, on their own list: the source ("cas",
// "wecom"), the name the source gave and the campus number masked.
type RequesterIdentity struct {
	Source hall.IdentitySource `json:"source"`
	Name   string              `json:"name,omitempty"`
	Number string              `json:"number,omitempty"`
}

// MyRequest is one of the requester's own cases on GET /api/v1/me/requests.
type MyRequest struct {
	Number         string         `json:"number"`
	FollowURL      string         `json:"followUrl"`
	Kind           hall.Kind      `json:"kind"`
	Title          string         `json:"title,omitempty"`
	State          hall.CaseState `json:"state"`
	StateName      hall.Text      `json:"stateName"`
	Channel        hall.Channel   `json:"channel"`
	DepartmentName hall.Text      `json:"departmentName"`
	ReceivedAt     time.Time      `json:"receivedAt"`
	UpdatedAt      time.Time      `json:"updatedAt"`
}

// MyRequests answers GET /api/v1/me/requests: the signed-in requester and their cases, newest
// first (at most 100).
type MyRequests struct {
	Requester RequesterIdentity `json:"requester"`
	Requests  []MyRequest       `json:"requests"`
}
