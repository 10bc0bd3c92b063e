package http

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"onedoor/internal/testtool"
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
	testtool.RunParallel(b, workers, "opens/s", func(i int64) error {
		r := e.do("POST", "/api/v1/cases", kioskStudents, map[string]any{"hall": "students", "kind": "complaint", "text": benchRouteTexts[i%int64(len(benchRouteTexts))]})
		if r.status != 201 {
			return fmt.Errorf("open: %d %s", r.status, r.body)
		}
		return nil
	})
}
