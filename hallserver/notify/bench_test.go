package notify_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// BenchmarkCaseToWecom measures a case opened (committed to the bbolt case log) until the local
// WeChat Work fake has the department handlers' textcard: the notifier woken by the log, the
// outbox transaction, gettoken once, message/send over loopback. One case at a time; run with
// -benchtime=1000x for the p99 over 1,000 cases (docs/PERFORMANCE.md).
func BenchmarkCaseToWecom(b *testing.B) {
	e := newEnv(b)
	n, stop := e.run(b, e.st, nil) // the department's robot too, paced at 20 a minute
	defer stop()
	waitFor(b, "the notifier's cursor", func() bool { _, ok, _ := e.st.Cursor(context.Background(), "notify"); return ok })
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch := e.f.Changed()
		want := len(e.f.Messages()) + 2 // two handlers
		begin := time.Now()
		if _, err := e.cs.Open(context.Background(), hall.OpenCaseRequest{Kind: hall.KindComplaint, Channel: hall.ChannelAPI,
			Category: "library-seats", Text: "图书馆有人占座"}); err != nil {
			b.Fatal(err)
		}
		for len(e.f.Messages()) < want {
			select {
			case <-ch:
				ch = e.f.Changed()
			case <-time.After(30 * time.Second):
				b.Fatalf("case %d not delivered; status %+v", i, n.Status())
			}
		}
		lat = append(lat, time.Since(begin))
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e6 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
}
