package enginehost

import (
	"context"
	"errors"
	"sort"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

var _ hall.CaseReports = (*Cases)(nil)

// DailyLookback is how far before the day the daily report looks for cases that were replied
// or closed that day (besides every case still open).
const DailyLookback = 90 * 24 * time.Hour

// MaxSeriesPeriods is the most periods a series may have.
const MaxSeriesPeriods = 120

// Received returns the committed cases received in [from, to), oldest first, read from the
// store (open and closed).
func (s *Cases) Received(ctx context.Context, from, to time.Time) ([]hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cs, err := s.store.Received(ctx, from, to)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, err
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "read received cases: %v", err)
	}
	return cs, nil
}

// ReportCases returns the committed cases received in [from, to), oldest first, for the
// statistics, reports and hot topics: like Received, except that a case's timeline may hold only
// its returns to triage (CaseEvReturned) and its Route may be left out. The open cases come from
// the engine (durable state), the final ones from the store's report form (CaseStore.FinalCases,
// kept at hand): no case is decoded twice for the supervision page's figures. The cases may be
// shared: read them only.
func (s *Cases) ReportCases(ctx context.Context, from, to time.Time) ([]*hall.Case, error) {
	return s.reportCases(ctx, from, to, false)
}

// reportCases is ReportCases; with allOpen it adds every open case, whenever received.
func (s *Cases) reportCases(ctx context.Context, from, to time.Time, allOpen bool) ([]*hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The engine first: a case closed between the two reads is then in both (the store's
	// copy wins), never in neither.
	var open []*hall.Case
	err := s.log.View(ctx, func(eng *cases.Engine, _ time.Time) {
		open = open[:0]
		eng.EachOpen(func(c *hall.Case) {
			if allOpen || (!c.ReceivedAt.Before(from) && c.ReceivedAt.Before(to)) {
				open = append(open, c)
			}
		})
	})
	if err != nil {
		return nil, err
	}
	final, err := s.store.FinalCases(ctx, from, to)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, err
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "read cases for a report: %v", err)
	}
	return mergeReceived(final, open), nil
}

// mergeReceived merges the final cases (in receipt order) and the open ones (any order; a case
// in both is taken from final) into one list in receipt order, then ID, as the received index
// orders them.
func mergeReceived(final []*hall.Case, open []*hall.Case) []*hall.Case {
	in := make(map[string]bool, len(open))
	for _, c := range open {
		in[c.ID] = true
	}
	for _, c := range final {
		delete(in, c.ID)
	}
	less := func(a, b *hall.Case) bool {
		if !a.ReceivedAt.Equal(b.ReceivedAt) {
			return a.ReceivedAt.Before(b.ReceivedAt)
		}
		return a.ID < b.ID
	}
	var add []*hall.Case
	for _, c := range open {
		if in[c.ID] {
			add = append(add, c)
		}
	}
	if len(add) == 0 {
		return final
	}
	sort.Slice(add, func(i, j int) bool { return less(add[i], add[j]) })
	out := make([]*hall.Case, 0, len(final)+len(add))
	i, j := 0, 0
	for i < len(final) || j < len(add) {
		if j == len(add) || (i < len(final) && !less(add[j], final[i])) {
			out = append(out, final[i])
			i++
		} else {
			out = append(out, add[j])
			j++
		}
	}
	return out
}

// loc is the campus time zone of the case calendar.
func (s *Cases) loc() *time.Location {
	if cal := s.Calendar(); cal != nil && cal.Loc != nil {
		return cal.Loc
	}
	return time.UTC
}

// Daily returns the daily report (日清日结) of the local day containing day: cases received in
// the DailyLookback before it and every open case are considered.
func (s *Cases) Daily(ctx context.Context, day time.Time) (*hall.DailyReport, error) {
	loc := s.loc()
	y, m, d := day.In(loc).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 1)
	cs, err := s.reportCases(ctx, from.Add(-DailyLookback), to, true)
	if err != nil {
		return nil, err
	}
	rep := cases.DailyOf(cs, from, to, s.now(), loc)
	return &rep, nil
}

// Series returns the per-department figures of the last n periods ("day", "week", "month").
func (s *Cases) Series(ctx context.Context, period string, n int) ([]hall.StatsPeriod, error) {
	if n > MaxSeriesPeriods {
		return nil, hall.Errorf(hall.EINVALID, "n", "at most %d periods", MaxSeriesPeriods)
	}
	now := s.now()
	ps, err := cases.Periods(period, n, now, s.loc())
	if err != nil {
		return nil, err
	}
	cs, err := s.ReportCases(ctx, ps[0].From, ps[len(ps)-1].To)
	if err != nil {
		return nil, err
	}
	return cases.SeriesOf(cs, ps, now), nil
}

// SeriesTotal returns the per-department figures of the last n periods, as Series, and those
// of the whole window (ps[0].From to the last period's end), as Stats over it, from one read of
// the cases and one pass over them (the supervision page shows both).
func (s *Cases) SeriesTotal(ctx context.Context, period string, n int) ([]hall.StatsPeriod, []hall.DepartmentStats, error) {
	if n > MaxSeriesPeriods {
		return nil, nil, hall.Errorf(hall.EINVALID, "n", "at most %d periods", MaxSeriesPeriods)
	}
	now := s.now()
	ps, err := cases.Periods(period, n, now, s.loc())
	if err != nil {
		return nil, nil, err
	}
	cs, err := s.ReportCases(ctx, ps[0].From, ps[len(ps)-1].To)
	if err != nil {
		return nil, nil, err
	}
	series, total := cases.SeriesTotal(cs, ps, now)
	return series, total, nil
}
