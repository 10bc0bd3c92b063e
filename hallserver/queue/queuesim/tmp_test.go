package queuesim

import "testing"

func TestTmpLoads(t *testing.T) {
	for _, load := range []float64{0.3, 0.5, 0.65, 0.8} {
		s := CheckETA()
		s.Services[0].Rate = load * 3 / 4
		r, err := Run(s, Options{Days: 150, Seed: 3, OracleEvery: 1, Futures: 201})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("load %.2f: server %.3f oracle %.3f naive %.3f ratio %.3f runs p50 %.2f p90 %.2f", load, r.Server.MAE, r.Oracle.MAE, r.Naive.MAE, r.Server.MAE/r.Oracle.MAE, Quantile(r.RunRatios, .5), Quantile(r.RunRatios, .9))
	}
}
