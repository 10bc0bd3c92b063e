package http

import (
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var benchRouteTexts = []string{
	"宿舍的空调坏了三天了，一直没人来修",
	"图书馆三楼总有人用书占座，一占一整天",
	"校园网晚上十点以后特别慢",
	"The campus card machine in the canteen ate my money",
}

// BenchmarkRouteHTTP measures POST /api/v1/route end to end on loopback (JSON, bearer session
// lookup, the router), one request at a time: the latency a counter console sees.
//
//	go test ./hallserver/http -run '^$' -bench RouteHTTP -benchtime 2000x
func BenchmarkRouteHTTP(b *testing.B) {
	e := newCaseEnv(b)
	tok := e.login("supervisor")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		r := e.do("POST", "/api/v1/route", tok, map[string]string{"text": benchRouteTexts[i%len(benchRouteTexts)]})
		lat = append(lat, time.Since(t0))
		if r.status != 200 {
			b.Fatalf("route: %d %s", r.status, r.body)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkOpenCaseHTTP measures durable case openings per second through POST /api/v1/cases
// with 16 concurrent kiosk clients (each answer after the group commit's fsync).
//
//	go test ./hallserver/http -run '^$' -bench OpenCaseHTTP -benchtime 5000x
func BenchmarkOpenCaseHTTP(b *testing.B) {
	const workers = 16
	e := newCaseEnv(b)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		lat  = make([][]time.Duration, workers)
	)
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				r := e.do("POST", "/api/v1/cases", kioskStudents, map[string]any{"hall": "students", "kind": "complaint", "text": benchRouteTexts[i%int64(len(benchRouteTexts))]})
				if r.status != 201 {
					b.Errorf("open: %d %s", r.status, r.body)
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
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "opens/s")
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
}
