package kpi

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Groupings of a report (the by parameter).
const (
	ByService = "service"
	ByCounter = "counter"
	ByStaff   = "staff"
	ByDay     = "day"
	ByHour    = "hour"
)

// Groupings lists every grouping.
var Groupings = []string{ByService, ByCounter, ByStaff, ByDay, ByHour}

// DefaultTargetWait is the target wait of a service that sets none.
const DefaultTargetWait = 15 * time.Minute

// Stats are the mean, median and 90th percentile of durations, in seconds (nearest rank;
// zeros when there is none).
type Stats struct {
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
}

// Rating is the visit ratings (好差评) of a row: how many, their mean stars, and how many had
// 1 or 2 stars.
type Rating struct {
	Count     int     `json:"count"`
	MeanStars float64 `json:"meanStars"`
	Low       int     `json:"low"`
}

// Row is the figures of one key: the service code, counter number, staff username, local date
// (YYYY-MM-DD) or local hour ("00"–"23").
//
// Tickets count in the row of the service they were issued for, the counter and staff member
// that last called (or finished) them (tickets never called are in no counter or staff row),
// the day and hour of their issue.
type Row struct {
	Key         string `json:"key"`
	Issued      int    `json:"issued"`
	Served      int    `json:"served"`
	NoShow      int    `json:"noShow"`
	Cancelled   int    `json:"cancelled"`
	Transferred int    `json:"transferred"`
	// WaitSeconds: issue to first call, of the tickets called; ServiceSeconds: start (or call)
	// of the last stay to the finish, of the tickets served.
	WaitSeconds    Stats `json:"waitSeconds"`
	ServiceSeconds Stats `json:"serviceSeconds"`
	// WithinTarget is how many served tickets waited at most their service's target wait, and
	// WithinTargetShare their share of the served tickets (0–1; 0 when none).
	WithinTarget      int     `json:"withinTarget"`
	WithinTargetShare float64 `json:"withinTargetShare"`
	// OpenHours is the time counters were open (not closed), in hours: by counter, staff
	// member who opened them, day or hour of day (omitted by service).
	OpenHours *float64 `json:"openHours,omitempty"`
	// Rating is the visit ratings of the row's tickets (omitted when none).
	Rating *Rating `json:"rating,omitempty"`
	// Appointments is the figures of the row's booking tickets (预约) apart (omitted when none).
	Appointments *Appointments `json:"appointments,omitempty"`
}

// OnTimeGrace is how late after the later of its slot's start and its check-in a booking's
// ticket may be called and still count as called on time.
const OnTimeGrace = 5 * time.Minute

// Appointments are the figures of the tickets issued at bookings' check-ins: how many, how many
// were called on time (OnTimeGrace) and their share, how many were marked absent at the counter
// and their share, and the wait from the check-in to the first call. Bookings never checked in
// issue no ticket: they are on the day's booking list (GET …/appointments), not here.
type Appointments struct {
	CheckedIn   int     `json:"checkedIn"`
	OnTime      int     `json:"onTime"`
	OnTimeShare float64 `json:"onTimeShare"`
	NoShow      int     `json:"noShow"`
	NoShowShare float64 `json:"noShowShare"`
	WaitSeconds Stats   `json:"waitSeconds"`
}

// Aggregate groups the facts of days into rows by the grouping by (one of Groupings), sorted
// by key (counters by number); by day, every day given has its row. target gives a service's target wait (nil: DefaultTargetWait);
// stars gives a ticket's visit rating (1–5) by ticket ID (missing: not rated).
func Aggregate(days []Day, by string, target func(service string) time.Duration, stars map[string]int) ([]Row, error) {
	if !slices.Contains(Groupings, by) {
		return nil, fmt.Errorf("kpi: unknown grouping %q", by)
	}
	if target == nil {
		target = func(string) time.Duration { return DefaultTargetWait }
	}
	type acc struct {
		row          Row
		wait, serve  []time.Duration
		open         time.Duration
		stars, rated int
		apptWait     []time.Duration
	}
	groups := map[string]*acc{}
	get := func(key string) *acc {
		a := groups[key]
		if a == nil {
			a = &acc{row: Row{Key: key}}
			groups[key] = a
		}
		return a
	}
	for _, d := range days {
		if by == ByDay {
			get(d.Day) // every day has its row, also a day without tickets
		}
		for i := range d.Tickets {
			f := &d.Tickets[i]
			key, ok := factKey(by, d.Day, f)
			if !ok {
				continue
			}
			a := get(key)
			a.row.Issued++
			switch {
			case f.Served:
				a.row.Served++
			case f.NoShow:
				a.row.NoShow++
			case f.Cancelled:
				a.row.Cancelled++
			}
			if f.Transferred {
				a.row.Transferred++
			}
			if f.Appointment {
				if a.row.Appointments == nil {
					a.row.Appointments = &Appointments{}
				}
				ap := a.row.Appointments
				ap.CheckedIn++
				if f.NoShow {
					ap.NoShow++
				}
				if f.HasWait {
					a.apptWait = append(a.apptWait, f.Wait)
					due := f.Booked
					if f.issuedAt.After(due) {
						due = f.issuedAt
					}
					if !f.issuedAt.Add(f.Wait).After(due.Add(OnTimeGrace)) {
						ap.OnTime++
					}
				}
			}
			if f.HasWait {
				a.wait = append(a.wait, f.Wait)
				if f.Served && f.Wait <= target(f.Service) {
					a.row.WithinTarget++
				}
			}
			if f.HasService {
				a.serve = append(a.serve, f.Serve)
			}
			if s := stars[f.ID]; s > 0 {
				a.rated++
				a.stars += s
				if s <= 2 {
					if a.row.Rating == nil {
						a.row.Rating = &Rating{}
					}
					a.row.Rating.Low++
				}
			}
		}
		if by == ByService {
			continue
		}
		for _, c := range d.Counters {
			var key string
			switch by {
			case ByCounter:
				key = strconv.Itoa(c.Counter)
			case ByStaff:
				if c.Staff == "" {
					continue
				}
				key = c.Staff
			case ByDay:
				key = d.Day
			case ByHour:
				key = hourKey(c.Hour)
			}
			get(key).open += c.Time
		}
	}
	rows := make([]Row, 0, len(groups))
	for _, a := range groups {
		r := a.row
		r.WaitSeconds = stats(a.wait)
		r.ServiceSeconds = stats(a.serve)
		if r.Served > 0 { // every served ticket was called: it has a wait
			r.WithinTargetShare = round(float64(r.WithinTarget)/float64(r.Served), 1000)
		}
		if by != ByService {
			h := round(a.open.Hours(), 100)
			r.OpenHours = &h
		}
		if ap := r.Appointments; ap != nil {
			ap.WaitSeconds = stats(a.apptWait)
			ap.OnTimeShare = round(float64(ap.OnTime)/float64(ap.CheckedIn), 1000)
			ap.NoShowShare = round(float64(ap.NoShow)/float64(ap.CheckedIn), 1000)
		}
		if a.rated > 0 {
			if r.Rating == nil {
				r.Rating = &Rating{}
			}
			r.Rating.Count = a.rated
			r.Rating.MeanStars = round(float64(a.stars)/float64(a.rated), 100)
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if by == ByCounter {
			a, _ := strconv.Atoi(rows[i].Key)
			b, _ := strconv.Atoi(rows[j].Key)
			return a < b
		}
		return rows[i].Key < rows[j].Key
	})
	return rows, nil
}

// factKey is the key of a ticket's row; false when the ticket is in no row of the grouping.
func factKey(by, day string, f *Fact) (string, bool) {
	switch by {
	case ByService:
		return f.Service, true
	case ByCounter:
		return strconv.Itoa(f.Counter), f.Counter != 0
	case ByStaff:
		return f.Staff, f.Staff != ""
	case ByDay:
		return day, true
	default:
		return hourKey(f.Hour), true
	}
}

// hourKey is an hour's row key: two digits.
func hourKey(h int) string { return fmt.Sprintf("%02d", h) }

// stats computes the mean, median and 90th percentile (nearest rank) of ds, in seconds. It
// sorts ds.
func stats(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return round(ds[max(i, 0)].Seconds(), 10)
	}
	return Stats{
		Mean:   round(sum.Seconds()/float64(len(ds)), 10),
		Median: rank(0.5),
		P90:    rank(0.9),
	}
}

// round rounds x to 1/unit.
func round(x, unit float64) float64 { return math.Round(x*unit) / unit }

// HeatCell is the tickets issued in one local hour of one day and their mean wait (seconds, of
// those called; 0 when none).
type HeatCell struct {
	Day      string
	Hour     int
	Issued   int
	MeanWait float64
}

// Heat is the day-by-hour grid of tickets issued: one cell per day and hour with tickets, in
// day then hour order.
func Heat(days []Day) []HeatCell {
	var out []HeatCell
	for _, d := range days {
		var cells [24]struct {
			n, waited int
			wait      time.Duration
		}
		for i := range d.Tickets {
			f := &d.Tickets[i]
			if f.Hour < 0 || f.Hour > 23 {
				continue
			}
			c := &cells[f.Hour]
			c.n++
			if f.HasWait {
				c.waited++
				c.wait += f.Wait
			}
		}
		for h, c := range cells {
			if c.n == 0 {
				continue
			}
			cell := HeatCell{Day: d.Day, Hour: h, Issued: c.n}
			if c.waited > 0 {
				cell.MeanWait = round(c.wait.Seconds()/float64(c.waited), 10)
			}
			out = append(out, cell)
		}
	}
	return out
}
