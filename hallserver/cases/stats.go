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
func StatsOf(cs []*hall.Case, from, to time.Time, now time.Time) []hall.DepartmentStats {
	a := newStatsAcc()
	for _, c := range cs {
		if !c.ReceivedAt.Before(from) && c.ReceivedAt.Before(to) {
			a.add(c, now)
		}
	}
	return a.result()
}

// statsAcc adds up the figures of cases, per department.
type statsAcc struct {
	by  map[string]*hall.DepartmentStats
	due map[string]int // cases whose first reply limit has come
}

func newStatsAcc() *statsAcc {
	return &statsAcc{by: map[string]*hall.DepartmentStats{}, due: map[string]int{}}
}

func (a *statsAcc) get(d string) *hall.DepartmentStats {
	s := a.by[d]
	if s == nil {
		s = &hall.DepartmentStats{Department: d}
		a.by[d] = s
	}
	return s
}

// add counts one case (received in the period) as of now.
func (a *statsAcc) add(c *hall.Case, now time.Time) {
	for _, en := range c.Timeline {
		if en.Type == hall.CaseEvReturned && en.Department != "" {
			a.get(en.Department).Returned++
		}
	}
	if c.State == hall.CaseDuplicate || c.State == hall.CaseNotAccepted || c.State == hall.CaseReceived {
		return
	}
	d := c.Department
	if d == "" {
		d = hall.OfficeDepartment
	}
	s := a.get(d)
	s.Received++
	if c.FirstResponseAt != nil {
		s.Responded++
		a.due[d]++
		if !c.ReplyLate {
			s.RespondedInTime++
		}
	} else if !now.Before(c.ReplyDue) && c.PausedAt == nil {
		a.due[d]++
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

// result returns the figures with their rates, departments sorted by code.
func (a *statsAcc) result() []hall.DepartmentStats {
	out := make([]hall.DepartmentStats, 0, len(a.by))
	for d, s := range a.by {
		s.ResponseRate = ratio(s.RespondedInTime, a.due[d])
		s.ResolutionRate = ratio(s.Resolved, s.Received)
		s.SatisfactionRate = ratio(s.Satisfied, s.Rated)
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Department < out[j].Department })
	return out
}

// SeriesTotal returns what SeriesOf(cs, ps, now) and StatsOf(cs, ps[0].From, ps[len-1].To, now)
// return, in one pass over the cases (the periods are consecutive, as Periods makes them).
func SeriesTotal(cs []*hall.Case, ps []Period, now time.Time) ([]hall.StatsPeriod, []hall.DepartmentStats) {
	if len(ps) == 0 {
		return []hall.StatsPeriod{}, []hall.DepartmentStats{}
	}
	accs := make([]*statsAcc, len(ps))
	for i := range accs {
		accs[i] = newStatsAcc()
	}
	total := newStatsAcc()
	from, to := ps[0].From, ps[len(ps)-1].To
	for _, c := range cs {
		if c.ReceivedAt.Before(from) || !c.ReceivedAt.Before(to) {
			continue
		}
		total.add(c, now)
		// the last period starting at or before the receipt
		i := sort.Search(len(ps), func(i int) bool { return c.ReceivedAt.Before(ps[i].From) }) - 1
		if i >= 0 && c.ReceivedAt.Before(ps[i].To) {
			accs[i].add(c, now)
		}
	}
	out := make([]hall.StatsPeriod, len(ps))
	for i, p := range ps {
		out[i] = hall.StatsPeriod{Label: p.Label, From: p.From, To: p.To, Departments: accs[i].result()}
	}
	return out, total.result()
}
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
