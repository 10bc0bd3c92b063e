package hall

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"
)

// MaxVisitComment is the longest comment of a visit rating, in characters.
const MaxVisitComment = 500

// VisitRating is the holder's rating of a finished visit (好差评, one per ticket): 1–5 stars
// (1–2 bad, 3 fair, 4–5 good) and an optional comment.
type VisitRating struct {
	Stars int `json:"stars"`
	// Reason is one of VisitReasons, picked on the counter-side page (optional).
	Reason  string    `json:"reason,omitempty"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// VisitReasons are the preset reasons of a visit rating (the labels are in the page catalogue):
// what went well, what did not.
var VisitReasons = []string{"quick", "friendly", "clear", "wait_long", "unclear", "attitude", "not_solved", "materials"}

// Where a visit was rated (RatedVisit.Via).
const (
	RatedOnFollow  = "follow"  // the holder's follow page
	RatedAtCounter = "counter" // the counter-side rating page
)

// MaxLowRatings is how many of today's 1–2 star ratings a hall's snapshot keeps for staff.
const MaxLowRatings = 20

// RatedVisit is a visit rating with the visit it rates, as the hall's visit.rated event and the
// staff snapshot carry it: the ticket's number and service, the counter and staff member who
// served it, the stars and reason, and Low for 1–2 stars (the hall lead's alert).
type RatedVisit struct {
	Ticket  string    `json:"ticket"` // ticket ID
	Number  string    `json:"number"`
	Service string    `json:"service"`
	Counter int       `json:"counter,omitempty"`
	Staff   string    `json:"staff,omitempty"`
	Stars   int       `json:"stars"`
	Low     bool      `json:"low,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Comment string    `json:"comment,omitempty"`
	Via     string    `json:"via"`
	At      time.Time `json:"at"`
}

// Validate checks the stars (1–5) and the comment's length; the error names the field.
func (r VisitRating) Validate() error {
	if r.Stars < 1 || r.Stars > 5 {
		return Errorf(EINVALID, "stars", "stars must be 1 to 5, not %d", r.Stars)
	}
	if r.Reason != "" && !slices.Contains(VisitReasons, r.Reason) {
		return Errorf(EINVALID, "reason", "reason must be one of %v, not %q", VisitReasons, r.Reason)
	}
	if !utf8.ValidString(r.Comment) || utf8.RuneCountInString(r.Comment) > MaxVisitComment {
		return Errorf(EINVALID, "comment", "comment: at most %d characters of UTF-8", MaxVisitComment)
	}
	return nil
}

// VisitRatingService keeps the visit ratings, one per finished ticket, found by the ticket's
// follow token.
type VisitRatingService interface {
	// RateVisit validates and stores the rating of the ticket followed by token (its At set to
	// now): ENOTFOUND for no such ticket, ECONFLICT (field "state") for a ticket not finished,
	// ECONFLICT (field "rating") for a ticket rated already.
	RateVisit(ctx context.Context, token string, r VisitRating) (*VisitRating, error)
	// VisitRating returns the rating of the ticket followed by token, nil when none.
	VisitRating(ctx context.Context, token string) (*VisitRating, error)
	// ToRate returns the visit the counter-side page of counter n asks about: the ticket the
	// counter serves now (not yet ratable) or, when none, the last one it finished recently,
	// with its rating when rated; nil when neither.
	ToRate(ctx context.Context, hall string, n int) (*CounterVisit, error)
	// RateAtCounter stores the rating of the visit ticket (its number) that counter n of the
	// hall finished recently, by actor (the tablet or staff member), with the errors of
	// RateVisit; ENOTFOUND (field "ticket") when the counter finished no such ticket recently.
	RateAtCounter(ctx context.Context, hall string, n int, ticket string, r VisitRating, actor string) (*VisitRating, error)
}

// CounterVisit is the visit a counter-side rating page shows: the ticket's number and service,
// its state (serving, or done and ratable), when it finished, and its rating once given.
type CounterVisit struct {
	Number     string       `json:"number"`
	Service    string       `json:"service"`
	State      TicketState  `json:"state"`
	FinishedAt *time.Time   `json:"finishedAt,omitempty"`
	Rating     *VisitRating `json:"rating,omitempty"`
}

// Ratable checks that the visit of ticket t may be rated now, rated telling whether it is
// rated already: ECONFLICT (field "state") for a ticket not finished, ECONFLICT (field
// "rating") for a rated one. The stores check it in the transaction that stores the rating.
func Ratable(t *Ticket, rated bool) error {
	if t.State != TicketDone {
		return Errorf(ECONFLICT, "state", "only a finished visit can be rated (the ticket is %s)", t.State)
	}
	if rated {
		return Errorf(ECONFLICT, "rating", "this visit is rated already")
	}
	return nil
}
