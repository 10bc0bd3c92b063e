package queuesim

import (
	"math"
	"testing"
)

// erlangC returns the probability that an arrival waits and the mean wait in an M/M/c queue with
// arrival rate lambda and mean service time mean.
func erlangC(c int, lambda, mean float64) (pWait, meanWait float64) {
	a := lambda * mean // offered load in servers
	rho := a / float64(c)
	sum, term := 0.0, 1.0
	for k := 0; k < c; k++ {
		if k > 0 {
			term *= a / float64(k)
		}
		sum += term
	}
	last := term * a / float64(c) / (1 - rho) // a^c/c! · 1/(1−ρ)
	pWait = last / (sum + last)
	return pWait, pWait * mean / (float64(c) - a)
}

// mmc is an M/M/c hall: one service with exponential times of the given mean, c counters,
// Poisson arrivals at load rho for 8 hours, the first hour not scored (the queue starts empty).
// Loads of 0.5–0.7 keep the sampling error of the mean wait over 60 days near 2% (at 0.8 it is
// about 5%: long busy periods make the waits strongly correlated).
func mmc(c int, rho, mean float64) Scenario {
	s := Scenario{Name: "mmc", Services: []Service{{Code: "A", AvgMinutes: 1, Mean: mean, Exponential: true, Rate: rho * float64(c) / mean}},
		Open: 8 * 3600, Length: 8 * 3600, Warm: 3600}
	for n := 1; n <= c; n++ {
		s.Counters = append(s.Counters, Counter{Number: n, Services: []string{"A"}})
	}
	return s
}

// TestSimulatorMatchesErlangC: the simulator is a correct M/M/c queue when it has one service,
// exponential times and no pauses: over many simulated days the mean wait and the share of people
// who wait match the Erlang C formula (fixed seeds: the figures are the same every run).
func TestSimulatorMatchesErlangC(t *testing.T) {
	for _, c := range []struct {
		counters, days int
		rho            float64
	}{{1, 60, 0.5}, {3, 60, 0.7}} {
		s := mmc(c.counters, c.rho, 60)
		r, err := Run(s, Options{Days: c.days, Seed: 11})
		if err != nil {
			t.Fatal(err)
		}
		pWait, wq := erlangC(c.counters, s.Services[0].Rate, 60)
		t.Logf("M/M/%d at %.1f: mean wait %.2f s (Erlang C %.2f), waited %.3f (%.3f) over %d tickets",
			c.counters, c.rho, r.MeanWait, wq, r.Waited, pWait, r.Scored)
		if math.Abs(r.MeanWait-wq)/wq > 0.05 {
			t.Errorf("M/M/%d: mean wait %.2f s, Erlang C says %.2f s", c.counters, r.MeanWait, wq)
		}
		if math.Abs(r.Waited-pWait) > 0.015 {
			t.Errorf("M/M/%d: %.3f waited, Erlang C says %.3f", c.counters, r.Waited, pWait)
		}
	}
}

// TestEstimateNearOracle: on replays of the outside checks (`eta`: one service, three counters,
// exponential times; `eta-mixed`: three log-normal services, priority tickets, the demo profiles)
// the engine's estimate errs at most a few per cent more than the Monte Carlo oracle that knows the
// true distributions and the exact state (fixed seeds; docs/PERFORMANCE.md has the figures over
// more runs).
func TestEstimateNearOracle(t *testing.T) {
	for _, c := range []struct {
		s    Scenario
		runs int
		most float64
	}{{CheckETA(), 60, 1.08}, {CheckMixed(), 30, 1.08}} { // eta-mixed: 1.054 today, 1.091 without the simulated futures
		r, err := Run(c.s, Options{Days: c.runs, Seed: 2, OracleEvery: 1, Futures: 201})
		if err != nil {
			t.Fatal(err)
		}
		ratio := r.Server.MAE / r.Oracle.MAE
		t.Logf("%s: MAE server %.3f s, oracle %.3f s, naive %.3f s over %d tickets: server/oracle %.3f",
			c.s.Name, r.Server.MAE, r.Oracle.MAE, r.Naive.MAE, r.Scored, ratio)
		if ratio > c.most || r.Naive.MAE <= r.Server.MAE {
			t.Errorf("%s: server/oracle %.3f (want at most %.2f), naive %.3f s vs server %.3f s", c.s.Name, ratio, c.most, r.Naive.MAE, r.Server.MAE)
		}
	}
}

// TestDemoDayEstimateKnowsTheLunchRota: on the demo hall's day with its lunch rota, the estimate
// stays within 10 % of the oracle when the counters' breaks are in the configuration, and is
// clearly worse when they are not (1.23 over 60 days: the pauses it cannot expect).
func TestDemoDayEstimateKnowsTheLunchRota(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates ten days twice")
	}
	ratio := func(hide bool) float64 {
		s := DemoDay()
		s.HideBreaks = hide
		r, err := Run(s, Options{Days: 10, Seed: 3, OracleEvery: 2})
		if err != nil {
			t.Fatal(err)
		}
		return r.Server.MAE / r.Oracle.MAE
	}
	known, hidden := ratio(false), ratio(true)
	t.Logf("demo day, 10 days: server/oracle %.3f with the breaks configured, %.3f without", known, hidden)
	if known > 1.10 || hidden < known+0.08 {
		t.Errorf("server/oracle %.3f with the breaks (want at most 1.10), %.3f without (want clearly worse)", known, hidden)
	}
}
