package cases

import (
	"sort"
	"time"

	"onedoor/hallserver/hall"
)

// Stats computes the per-department figures over the cases received in [from, to), as of now.
// The caller passes every case it has for the period (open and closed); others are skipped.
//
// A case counts for its lead department (the office while in triage); duplicates and cases not
// accepted are left out. Definitions (docs/CASES.md):
//   - 响应率 ResponseRate = RespondedInTime / cases whose first reply limit has come (responded,
//     or unanswered and past ReplyDue); a response is a reply, an interim answer or a question;
//     in time means no round of the case missed its reply limit (ReplyLate);
//   - 解决率 ResolutionRate = Resolved / Received, resolved meaning replied, rated or archived
//     after a reply (a reopened case is not resolved until replied again);
//   - 满意率 SatisfactionRate = Satisfied / Rated, on each case's latest rating (3–5 stars);
//   - Overdue counts cases that missed a limit, Returned the returns to triage made by the
//     department (attributed to the department that returned), Reopened cases reopened at least
//     once.
//
// Rates are 0 when their denominator is 0. Departments are sorted by code.
func Stats(cs []hall.Case, from, to, now time.Time) []hall.DepartmentStats {
	return StatsOf(Ptrs(cs), from, to, now)
}

// StatsOf is Stats on shared cases (read only).
func StatsOf(cs []*hall.Case, from, to, now time.Time) []hall.DepartmentStats {
	by := map[string]*hall.DepartmentStats{}
	get := func(d string) *hall.DepartmentStats {
		s := by[d]
		if s == nil {
			s = &hall.DepartmentStats{Department: d}
			by[d] = s
		}
		return s
	}
	due := map[string]int{}
	for _, c := range cs {
		if c.ReceivedAt.Before(from) || !c.ReceivedAt.Before(to) {
			continue
		}
		for _, en := range c.Timeline {
			if en.Type == hall.CaseEvReturned && en.Department != "" {
				get(en.Department).Returned++
			}
		}
		if c.State == hall.CaseDuplicate || c.State == hall.CaseNotAccepted || c.State == hall.CaseReceived {
			continue
		}
		d := c.Department
		if d == "" {
			d = hall.OfficeDepartment
		}
		s := get(d)
		s.Received++
		if c.FirstResponseAt != nil {
			s.Responded++
			due[d]++
			if !c.ReplyLate {
				s.RespondedInTime++
			}
		} else if !now.Before(c.ReplyDue) && c.PausedAt == nil {
			due[d]++
		}
		resolved := c.State == hall.CaseReplied || c.State == hall.CaseRated || (c.State == hall.CaseArchived && len(c.Replies) > 0)
		if resolved {
			s.Resolved++
			if !c.ResolveLate {
				s.ResolvedInTime++
			}
		}
		if r := c.LastRating(); r != nil {
			s.Rated++
			if r.Satisfied() {
				s.Satisfied++
			}
		}
		if c.ReplyLate || c.ResolveLate || Overdue(c, now) {
			s.Overdue++
		}
		if c.Reopens > 0 {
			s.Reopened++
		}
	}
	out := make([]hall.DepartmentStats, 0, len(by))
	for d, s := range by {
		s.ResponseRate = ratio(s.RespondedInTime, due[d])
		s.ResolutionRate = ratio(s.Resolved, s.Received)
		s.SatisfactionRate = ratio(s.Satisfied, s.Rated)
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Department < out[j].Department })
	return out
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
