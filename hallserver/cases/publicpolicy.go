package cases

import (
	"math"
	"time"

	"onedoor/hallserver/hall"
)

// PublicPointDecimals is how coarsely a public record shows a case's point: coordinates rounded
// to 3 decimals, 0.001° (about 110 m north–south): the building, not the room.
const PublicPointDecimals = 3

// Publishable is the rule of which cases strangers may see in the open list of requests (Open311
// GET requests without an api_key; docs/OPEN311.md):
//
//   - complaints and suggestions only: a consultation is a person's question about their own
//     affairs (a deferred exam, a grant, a fee), and its very existence is theirs;
//   - once the case went to a department (dispatched or later): a case still received or in
//     triage has not been looked at and may be misfiled, abusive or personal;
//   - never a case the office did not accept (outside the remit, abuse, spam).
//
// What of it they see is PublicRecord's.
func Publishable(c *hall.Case) bool {
	if c == nil || (c.Kind != hall.KindComplaint && c.Kind != hall.KindSuggestion) {
		return false
	}
	switch c.State {
	case hall.CaseReceived, hall.CaseTriage, hall.CaseNotAccepted:
		return false
	}
	return true
}

// PublicRecord returns what strangers may see of a case, and false when the case is not
// Publishable. It is built field by field (a new field of hall.Case stays hidden until added
// here): the number, kind, state, category, department (as the department is a public office),
// the times (received, updated, replied, closed, the resolution limit), the original's number of
// a duplicate (itself public), and the point rounded to PublicPointDecimals. Never: the requester
// (name, phone, e-mail, person number, even masked), the text and title (free text that may hold
// anyone's personal data), the address and the picture link (the same), the replies, reasons and
// questions (written about a person), the timeline, the source and channel, the hall and ticket,
// and every staff-internal mark (routing, parts, timers, extensions, supervision, lists).
func PublicRecord(c *hall.Case) (hall.Case, bool) {
	if !Publishable(c) {
		return hall.Case{}, false
	}
	out := hall.Case{
		Number: c.Number, Kind: c.Kind, State: c.State, Category: c.Category, Department: c.Department,
		ReceivedAt: c.ReceivedAt, UpdatedAt: c.UpdatedAt, Due: c.Due, DuplicateOf: c.DuplicateOf,
		Requester: hall.Requester{Anonymous: true}, Timeline: []hall.CaseEntry{},
	}
	cp := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		v := *t
		return &v
	}
	out.RepliedAt, out.ClosedAt = cp(c.RepliedAt), cp(c.ClosedAt)
	if c.Place != nil && c.Place.Lat != nil && c.Place.Long != nil {
		la, lo := coarse(*c.Place.Lat), coarse(*c.Place.Long)
		out.Place = &hall.Place{Lat: &la, Long: &lo}
	}
	return out, true
}

// coarse rounds a coordinate to PublicPointDecimals (dividing the rounded integer gives the
// double nearest the short decimal: 39.9, not 39.900000000000006).
func coarse(v float64) float64 {
	scale := math.Pow10(PublicPointDecimals)
	return math.Round(v*scale) / scale
}
