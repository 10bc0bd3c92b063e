// Package queuesim simulates service-hall days on the pure queue engine (hallserver/queue), driving
// it with its injected clock, and scores the engine's wait estimates against the real waits beside
// a naive estimate and a Monte Carlo oracle that knows the true distributions and the exact state.
// Thousands of simulated days run in seconds; see docs/QUEUE.md ("Wait estimates: the simulation").
package queuesim

import (
	"fmt"
	"math"

	"onedoor/hallserver/hall"
)

// Service is one service of a simulated hall: what the engine is told (AvgMinutes) and the truth
// the simulation draws from.
type Service struct {
	Code       string
	AvgMinutes int     // configured in the hall (the engine's only prior)
	Mean       float64 // true mean service time, seconds
	// CV is the coefficient of variation of the log-normal service time; Exponential overrides it.
	CV          float64
	Exponential bool
	Rate        float64 // arrivals per second when the day's rate factor is 1
}

// Counter is one counter: its profile (main service first) and its lunch pause.
type Counter struct {
	Number   int
	Services []string
	// LunchFrom and LunchTo (seconds after opening) bound the lunch pause: a counter that becomes
	// free in it pauses until LunchTo. Equal values: no pause.
	LunchFrom, LunchTo float64
}

// Segment sets the arrival-rate factor from From (seconds after opening) until the next segment.
type Segment struct {
	From, Factor float64
}

// Scenario is a simulated hall and its days.
type Scenario struct {
	Name     string
	Services []Service
	Counters []Counter
	Open     float64   // seconds after local midnight when the counters open and arrivals begin
	Length   float64   // seconds of arrivals after opening; counters then serve whoever waits
	Profile  []Segment // arrival-rate factor over the day; empty: 1 all day
	Priority float64   // share of priority (绿色通道) tickets
	// Fresh gives every day a new engine that knows nothing (the outside check's protocol: one
	// server started per run); otherwise one engine runs all days and keeps its statistics.
	Fresh bool
	Warm  float64 // tickets issued in the first Warm seconds of a day are not scored
	// HideBreaks keeps the lunch pauses out of the hall's configuration (the engine then cannot
	// expect them); by default the counters' breaks say them (hall.CounterConfig.Breaks).
	HideBreaks bool
}

// Hall is the hall the engine is configured with.
func (s *Scenario) Hall() hall.Hall {
	h := hall.Hall{Code: "sim"}
	for _, v := range s.Services {
		h.Services = append(h.Services, hall.Service{Code: v.Code, AvgMinutes: v.AvgMinutes})
	}
	for _, c := range s.Counters {
		cc := hall.CounterConfig{Number: c.Number, Services: c.Services}
		if c.LunchTo > c.LunchFrom && !s.HideBreaks {
			cc.Breaks = []string{clock(s.Open+c.LunchFrom) + "-" + clock(s.Open+c.LunchTo)}
		}
		h.Counters = append(h.Counters, cc)
	}
	return h
}

// clock is seconds after local midnight as "HH:MM" (whole minutes: the lunch pauses of the
// scenarios start and end on them).
func clock(sec float64) string {
	m := int(math.Round(sec / 60))
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// factor is the arrival-rate factor at t seconds after opening and when it next changes.
func (s *Scenario) factor(t float64) (f, until float64) {
	f, until = 1, s.Length
	for i, g := range s.Profile {
		if g.From <= t {
			f = g.Factor
			until = s.Length
			if i+1 < len(s.Profile) {
				until = math.Min(s.Profile[i+1].From, s.Length)
			}
		}
	}
	return f, until
}

// CheckETA is the outside check's `eta` hall: one service, three identical counters,
// exponential services of mean 4 s, Poisson arrivals at load 0.8, 300 s runs on a fresh server
// (configured at 5 minutes), the first third not scored.
func CheckETA() Scenario {
	return Scenario{
		Name:     "check-eta",
		Services: []Service{{Code: "A", AvgMinutes: 5, Mean: 4, Exponential: true, Rate: 0.8 * 3 / 4}},
		Counters: []Counter{{Number: 1, Services: []string{"A"}}, {Number: 2, Services: []string{"A"}}, {Number: 3, Services: []string{"A"}}},
		Open:     9 * 3600, Length: 300, Fresh: true, Warm: 100,
	}
}

// CheckMixed is the outside check's `eta-mixed` hall: services A, B and C (log-normal, CV 0.7,
// means 4, 7 and 3 s), 10% priority tickets, the demo counters 1–4, 300 s runs on a fresh server,
// the first quarter not scored.
func CheckMixed() Scenario {
	return Scenario{
		Name: "check-eta-mixed",
		Services: []Service{
			{Code: "A", AvgMinutes: 5, Mean: 4, CV: 0.7, Rate: 0.30},
			{Code: "B", AvgMinutes: 8, Mean: 7, CV: 0.7, Rate: 0.18},
			{Code: "C", AvgMinutes: 4, Mean: 3, CV: 0.7, Rate: 0.25},
		},
		Counters: []Counter{
			{Number: 1, Services: []string{"A", "B"}}, {Number: 2, Services: []string{"A", "C"}},
			{Number: 3, Services: []string{"B", "A"}}, {Number: 4, Services: []string{"C", "D"}},
		},
		Open: 9 * 3600, Length: 300, Priority: 0.1, Fresh: true, Warm: 75,
	}
}

// DemoDay is a working day of the demo campus's Student Affairs Hall (hallserver/campus/demo.yaml:
// services A–F, counters 1–6 with their profiles) from 08:30 to 17:00: Poisson arrivals with a
// morning peak (1.4× from 09:00 to 10:30), a lull at lunch, log-normal service times with CV
// 0.5–1 whose true means differ from the configured ones, 5% priority tickets, and counters
// 1, 4 and 6 at lunch 11:45–12:45, counters 2, 3 and 5 12:45–13:45 (every service but F keeps a
// counter; F has only counter 6). One engine runs all days and keeps what it learned.
func DemoDay() Scenario {
	const h = 3600.0
	l1, l2 := 3.25*h, 4.25*h // 11:45 and 12:45 after an 08:30 opening
	return Scenario{
		Name: "demo-day",
		Services: []Service{
			{Code: "A", AvgMinutes: 5, Mean: 240, CV: 0.6, Rate: 16 / h},
			{Code: "B", AvgMinutes: 8, Mean: 540, CV: 0.9, Rate: 6 / h},
			{Code: "C", AvgMinutes: 4, Mean: 210, CV: 0.5, Rate: 12 / h},
			{Code: "D", AvgMinutes: 3, Mean: 150, CV: 0.7, Rate: 16 / h},
			{Code: "E", AvgMinutes: 6, Mean: 420, CV: 1.0, Rate: 5 / h},
			{Code: "F", AvgMinutes: 6, Mean: 300, CV: 0.8, Rate: 5 / h},
		},
		Counters: []Counter{
			{Number: 1, Services: []string{"A", "B"}, LunchFrom: l1, LunchTo: l1 + h},
			{Number: 2, Services: []string{"A", "C"}, LunchFrom: l2, LunchTo: l2 + h},
			{Number: 3, Services: []string{"B", "A"}, LunchFrom: l2, LunchTo: l2 + h},
			{Number: 4, Services: []string{"C", "D"}, LunchFrom: l1, LunchTo: l1 + h},
			{Number: 5, Services: []string{"D", "E"}, LunchFrom: l2, LunchTo: l2 + h},
			{Number: 6, Services: []string{"F", "E"}, LunchFrom: l1, LunchTo: l1 + h},
		},
		Open: 8.5 * h, Length: 8.5 * h,
		Profile: []Segment{
			{From: 0, Factor: 1}, {From: 0.5 * h, Factor: 1.4}, {From: 2 * h, Factor: 1.1},
			{From: 3.25 * h, Factor: 0.5}, {From: 5.25 * h, Factor: 1}, {From: 7.5 * h, Factor: 0.7},
		},
		Priority: 0.05,
		Warm:     0,
	}
}
