package enginehost

import (
	"context"
	"errors"
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

// loc is the campus time zone of the case calendar.
func (s *Cases) loc() *time.Location {
	if s.cfg.Calendar != nil && s.cfg.Calendar.Loc != nil {
		return s.cfg.Calendar.Loc
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
	cs, err := s.Received(ctx, from.Add(-DailyLookback), to)
	if err != nil {
		return nil, err
	}
	open, err := s.List(ctx, hall.CaseFilter{Open: true})
	if err != nil {
		return nil, err
	}
	rep := cases.Daily(append(cs, open...), from, to, s.now(), loc)
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
	cs, err := s.Received(ctx, ps[0].From, ps[len(ps)-1].To)
	if err != nil {
		return nil, err
	}
	return cases.Series(cs, ps, now), nil
}
