package cases

import (
	"cmp"
	"context"
	"slices"
	"time"

	"onedoor/hallserver/hall"
)

// Why a case is on the office's escalation list (Escalation.Reasons), most urgent first.
const (
	EscOverdue  = "overdue"   // open, not waiting on the requester, past its reply or resolution limit
	EscWarned   = "warned"    // open, warned or escalated by the time limits (this round)
	EscReturned = "returned"  // returned to triage twice or more
	EscReopened = "reopened"  // reopened (an unsatisfied rating or the office) and open again
	EscRatedLow = "rated_low" // its latest rating is 1–2 stars
)

// EscalationReasons lists the reasons in their order of urgency.
var EscalationReasons = []string{EscOverdue, EscWarned, EscReturned, EscReopened, EscRatedLow}

// escalationStates are the states whose cases the list looks at: the open ones and those
// replied or rated (a bad rating).
var escalationStates = []hall.CaseState{hall.CaseTriage, hall.CaseDispatched, hall.CaseInProgress,
	hall.CaseWaitingRequester, hall.CaseReopened, hall.CaseReplied, hall.CaseRated}

// openStates are the states a case is worked in (overdue, warned and reopened count only there).
var openStates = []hall.CaseState{hall.CaseTriage, hall.CaseDispatched, hall.CaseInProgress, hall.CaseWaitingRequester, hall.CaseReopened}

// Escalation is a case on the office's escalation list and why, most urgent reason first.
type Escalation struct {
	Case    hall.Case `json:"case"`
	Reasons []string  `json:"reasons"`
	// Stars is the latest rating's stars when it is 1–2 (reason rated_low), else 0.
	Stars int `json:"stars,omitempty"`
}

// EscalationReasonsOf returns why the case belongs on the escalation list at now (none: it
// does not), most urgent first: overdue, warned, returned twice, reopened, rated 1–2.
func EscalationReasonsOf(c *hall.Case, now time.Time) []string {
	var out []string
	open := slices.Contains(openStates, c.State)
	if open && c.State != hall.CaseWaitingRequester && (c.Due.Before(now) || (c.RespondedAt == nil && c.ReplyDue.Before(now))) {
		out = append(out, EscOverdue)
	}
	t := c.Timers
	if open && (t.ReplyWarned != nil || t.ResolveWarned != nil || t.ReplyEscalated != nil || t.ResolveEscalated != nil) {
		out = append(out, EscWarned)
	}
	if c.Returns >= 2 {
		out = append(out, EscReturned)
	}
	if c.Reopens > 0 && open {
		out = append(out, EscReopened)
	}
	if r := c.LastRating(); r != nil && r.Stars <= 2 {
		out = append(out, EscRatedLow)
	}
	return out
}

// Escalations returns the office's escalation list: every open, replied or rated case with a
// reason (EscalationReasonsOf), most urgent first: by its most urgent reason, then by how many
// reasons it has, then by the earliest resolution limit (then number, for a stable order). For
// the office only (CheckOffice); the cases as the principal sees them (StaffView).
func (s *Service) Escalations(ctx context.Context, p *hall.Principal) ([]Escalation, error) {
	if err := CheckOffice(p); err != nil {
		return nil, err
	}
	cs, err := s.store()
	if err != nil {
		return nil, err
	}
	list, err := cs.List(ctx, hall.CaseFilter{States: escalationStates, Contact: hall.ContactAll})
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	out := []Escalation{}
	for i := range list {
		c := &list[i]
		if why := EscalationReasonsOf(c, now); len(why) > 0 && Sees(p, c) {
			e := Escalation{Case: StaffView(p, c), Reasons: why}
			if slices.Contains(why, EscRatedLow) {
				e.Stars = c.LastRating().Stars
			}
			out = append(out, e)
		}
	}
	rank := func(r string) int { return slices.Index(EscalationReasons, r) }
	slices.SortStableFunc(out, func(a, b Escalation) int {
		if d := rank(a.Reasons[0]) - rank(b.Reasons[0]); d != 0 {
			return d
		}
		if d := len(b.Reasons) - len(a.Reasons); d != 0 {
			return d
		}
		if d := a.Case.Due.Compare(b.Case.Due); d != 0 {
			return d
		}
		return cmp.Compare(a.Case.Number, b.Case.Number)
	})
	return out, nil
}
