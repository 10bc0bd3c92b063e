package queuesim

import (
	"testing"
)

// report runs a scenario and reports its figures as benchmark metrics.
func report(b *testing.B, s Scenario, o Options) {
	var r Result
	for b.Loop() {
		var err error
		if r, err = Run(s, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Scored), "tickets")
	b.ReportMetric(r.Server.MAE, "server-MAE-s")
	b.ReportMetric(r.Naive.MAE, "naive-MAE-s")
	b.ReportMetric(r.Server.P90, "server-p90-s")
	b.ReportMetric(r.Naive.P90, "naive-p90-s")
	if o.OracleEvery > 0 {
		b.ReportMetric(r.Oracle.MAE, "oracle-MAE-s")
		b.ReportMetric(r.Oracle.P90, "oracle-p90-s")
		b.ReportMetric(r.Server.MAE/r.Oracle.MAE, "server/oracle")
		b.ReportMetric(r.Naive.MAE/r.Oracle.MAE, "naive/oracle")
		b.ReportMetric(Quantile(r.RunRatios, 0.5), "run-ratio-p50")
		b.ReportMetric(Quantile(r.RunRatios, 0.9), "run-ratio-p90")
	}
}

// BenchmarkCheckETA replays the outside check `eta -seconds 300` (one service, three counters,
// exponential times of mean 4 s, a fresh server per run) for 200 runs.
func BenchmarkCheckETA(b *testing.B) {
	report(b, CheckETA(), Options{Days: 200, Seed: 1, OracleEvery: 1, Futures: 401})
}

// BenchmarkCheckMixed replays the outside check `eta-mixed -seconds 300` for 100 runs.
func BenchmarkCheckMixed(b *testing.B) {
	report(b, CheckMixed(), Options{Days: 100, Seed: 1, OracleEvery: 1})
}

// BenchmarkDemoDay simulates 60 days of the demo hall with the oracle on every ticket.
func BenchmarkDemoDay(b *testing.B) {
	report(b, DemoDay(), Options{Days: 60, Seed: 1, OracleEvery: 1})
}

// BenchmarkDemoDays simulates 1,000 days of the demo hall (the engine and its estimates only).
func BenchmarkDemoDays(b *testing.B) {
	report(b, DemoDay(), Options{Days: 1000, Seed: 1})
}

// BenchmarkDemoDayHiddenBreaks is BenchmarkDemoDay without the counters' breaks in the hall's
// configuration: what the estimate scores when nobody tells it the lunch rota.
func BenchmarkDemoDayHiddenBreaks(b *testing.B) {
	s := DemoDay()
	s.HideBreaks = true
	report(b, s, Options{Days: 60, Seed: 1, OracleEvery: 1})
}
