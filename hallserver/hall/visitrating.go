package hall

import (
	"context"
	"time"
	"unicode/utf8"
)

// MaxVisitComment is the longest comment of a visit rating, in characters.
const MaxVisitComment = 500

// VisitRating is the holder's rating of a finished visit (好差评, one per ticket): 1–5 stars
// (1–2 bad, 3 fair, 4–5 good) and an optional comment.
type VisitRating struct {
	Stars   int       `json:"stars"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// Validate checks the stars (1–5) and the comment's length; the error names the field.
func (r VisitRating) Validate() error {
	if r.Stars < 1 || r.Stars > 5 {
		return Errorf(EINVALID, "stars", "stars must be 1 to 5, not %d", r.Stars)
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
}
