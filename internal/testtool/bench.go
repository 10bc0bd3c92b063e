package testtool

import (
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// RunParallel runs op for i = 0 … b.N-1 on workers goroutines, timing each call, and reports
// rate (b.N per second of wall time, under the name unit, e.g. "issues/s") and the latency
// percentiles p50-µs and p99-µs. The first error fails the benchmark and stops that worker.
// The timer is reset before the first call and stopped after the last.
func RunParallel(b *testing.B, workers int, unit string, op func(i int64) error) {
	b.Helper()
	var (
		next atomic.Int64
		errs atomic.Int64
		wg   sync.WaitGroup
		lat  = make([][]time.Duration, workers)
	)
	b.ResetTimer()
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					if errs.Add(1) == 1 {
						b.Error(err)
					}
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), unit)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
}
