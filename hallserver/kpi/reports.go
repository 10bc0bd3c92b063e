package kpi

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"onedoor/hallserver/hall"
)

// MaxDays is the longest range of a report, in days.
const MaxDays = 366

// maxCachedDays bounds the closed days kept in memory (a hall's year is 366).
const maxCachedDays = 4096

// Span is the seqs of the first and last event of a hall in a time range (both 0: none). Two
// reads of a closed day with the same span read the same events.
type Span struct{ First, Last uint64 }

// Source is the store seam: the halls' event logs (file and not yet checkpointed) and the visit
// ratings.
type Source interface {
	// HallEvents returns the hall's events with from ≤ at < until, in seq order, and their span.
	HallEvents(ctx context.Context, hall string, from, until time.Time) ([]hall.Event, Span, error)
	// HallSpan returns only the span of those events.
	HallSpan(ctx context.Context, hall string, from, until time.Time) (Span, error)
	// VisitStars returns the stars of the visits rated among the hall's tickets issued on the
	// local day (YYYY-MM-DD), by ticket ID.
	VisitStars(ctx context.Context, hall, day string) (map[string]int, error)
}

// Query is one report: a hall, a range of local dates (both included) and a grouping.
type Query struct {
	Hall        string
	From, Until string // YYYY-MM-DD in Loc
	By          string // one of Groupings
	Loc         *time.Location
	// Target is a service's target wait (nil: DefaultTargetWait for every service).
	Target func(service string) time.Duration
}

// Reports computes queue reports from the event logs, keeping each closed day's facts in
// memory (a day is closed once it is past in the query's zone); today is computed afresh.
type Reports struct {
	src Source
	now func() time.Time

	mu    sync.Mutex
	cache map[cacheKey]cached
}

type cacheKey struct{ hall, day, zone string }

type cached struct {
	span Span
	day  Day
}

// NewReports returns the reports over src; now nil means time.Now.
func NewReports(src Source, now func() time.Time) *Reports {
	if now == nil {
		now = time.Now
	}
	return &Reports{src: src, now: now, cache: map[cacheKey]cached{}}
}

// ParseRange checks a report's dates: both YYYY-MM-DD, from ≤ until, at most MaxDays days.
// The error (hall.EINVALID) names the parameter.
func ParseRange(from, until string, loc *time.Location) (time.Time, time.Time, error) {
	f, err := time.ParseInLocation(time.DateOnly, from, loc)
	if err != nil {
		return f, f, hall.Errorf(hall.EINVALID, "from", "from must be a date YYYY-MM-DD, not %q", from)
	}
	u, err := time.ParseInLocation(time.DateOnly, until, loc)
	if err != nil {
		return f, u, hall.Errorf(hall.EINVALID, "until", "until must be a date YYYY-MM-DD, not %q", until)
	}
	if u.Before(f) {
		return f, u, hall.Errorf(hall.EINVALID, "until", "until (%s) is before from (%s)", until, from)
	}
	if days := len(daysBetween(f, u)); days > MaxDays {
		return f, u, hall.Errorf(hall.EINVALID, "until", "a report spans at most %d days, not %d", MaxDays, days)
	}
	return f, u, nil
}

// daysBetween lists the local midnights from f to u (both included, both local midnights).
func daysBetween(f, u time.Time) []time.Time {
	var out []time.Time
	for d := f; !d.After(u) && len(out) <= MaxDays; d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, d.Location()) {
		out = append(out, d)
	}
	return out
}

// Queue computes the report's rows. Days after today count nothing.
func (r *Reports) Queue(ctx context.Context, q Query) ([]Row, error) {
	rows, _, err := r.Report(ctx, q)
	return rows, err
}

// Report computes the report's rows and the day-by-hour grid of its days (up to today).
func (r *Reports) Report(ctx context.Context, q Query) ([]Row, []HeatCell, error) {
	if q.Loc == nil {
		q.Loc = time.UTC
	}
	f, u, err := ParseRange(q.From, q.Until, q.Loc)
	if err != nil {
		return nil, nil, err
	}
	now := r.now()
	var starts []time.Time
	for _, d := range daysBetween(f, u) {
		if d.After(now) {
			break
		}
		starts = append(starts, d)
	}
	// The days are independent: computed on as many goroutines as the runtime runs at once
	// (a recomputed month is mostly JSON decoding).
	days := make([]Day, len(starts))
	dayStars := make([]map[string]int, len(starts))
	errs := make([]error, len(starts))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(starts)) {
		wg.Go(func() {
			for i := range next {
				if errs[i] = ctx.Err(); errs[i] != nil {
					continue
				}
				if days[i], errs[i] = r.day(ctx, q.Hall, starts[i], now); errs[i] != nil {
					continue
				}
				if dayStars[i], errs[i] = r.src.VisitStars(ctx, q.Hall, days[i].Day); errs[i] != nil {
					errs[i] = fmt.Errorf("kpi: visit ratings of %s: %w", days[i].Day, errs[i])
				}
			}
		})
	}
	for i := range starts {
		next <- i
	}
	close(next)
	wg.Wait()
	stars := map[string]int{}
	for i := range starts {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		for id, n := range dayStars[i] {
			stars[id] = n
		}
	}
	rows, err := Aggregate(days, q.By, q.Target, stars)
	if err != nil {
		return nil, nil, hall.Errorf(hall.EINVALID, "by", "by must be one of service, counter, staff, day, hour, not %q", q.By)
	}
	return rows, Heat(days), nil
}

// day returns the facts of the local day starting at start: from the cache for a closed day
// whose events are those it was computed from, computed from the log otherwise.
func (r *Reports) day(ctx context.Context, code string, start, now time.Time) (Day, error) {
	end := time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, start.Location())
	name := start.Format(time.DateOnly)
	closed := !now.Before(end)
	key := cacheKey{code, name, start.Location().String()}
	if closed {
		span, err := r.src.HallSpan(ctx, code, start, end)
		if err != nil {
			return Day{}, fmt.Errorf("kpi: events of %s: %w", name, err)
		}
		r.mu.Lock()
		c, ok := r.cache[key]
		r.mu.Unlock()
		if ok && c.span == span {
			return c.day, nil
		}
	}
	evs, span, err := r.src.HallEvents(ctx, code, start, end)
	if err != nil {
		return Day{}, fmt.Errorf("kpi: events of %s: %w", name, err)
	}
	obsEnd := end
	if !closed {
		obsEnd = now
	}
	day := DayFacts(name, evs, start.Location(), obsEnd, closed)
	if closed {
		r.mu.Lock()
		if len(r.cache) >= maxCachedDays {
			for k := range r.cache { // drop any one: the bound matters, not which
				delete(r.cache, k)
				break
			}
		}
		r.cache[key] = cached{span: span, day: day}
		r.mu.Unlock()
	}
	return day, nil
}
