//go:build unix

package bolt

import (
	"context"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// yearFile is a data file written by hallctl history (docs/PERFORMANCE.md), named by
// ONEDOOR_YEAR_DB; the benchmarks that need a year of cases skip without it.
func yearFile(b *testing.B) string {
	p := os.Getenv("ONEDOOR_YEAR_DB")
	if p == "" {
		b.Skip("ONEDOOR_YEAR_DB names no file written by hallctl history")
	}
	return p
}

// searchQueries are the searches the benchmark mixes, as the inbox sends them (200 at most).
var searchQueries = []hall.CaseFilter{
	{Text: "空调", Limit: 200, Contact: hall.ContactAll},
	{Text: "宿舍空调坏了", Limit: 200, Contact: hall.ContactAll},
	{Text: "canteen money", Limit: 200, Contact: hall.ContactAll},
	{Text: "JS20260615-0042", Limit: 200, Contact: hall.ContactAll},
	{Text: "13800001234", Limit: 200, Contact: hall.ContactAll},
	{Text: "空调", Department: "logistics", Limit: 200, Contact: hall.ContactLead},
	{Text: "选课系统", Department: "academic", Limit: 200, Contact: hall.ContactLead},
	{Text: "牙科 周末", Limit: 200, Contact: hall.ContactAll},
}

// BenchmarkCaseSearchYear measures searches over a year of history (the case service's List
// with a query: the index, the ranking, the cases read), one query at a time, and reports the
// 50th and 99th percentile of one query's time over every query run.
//
//	ONEDOOR_YEAR_DB=/tmp/h/year.db go test ./hallserver/bolt -run '^$' -bench CaseSearchYear -benchtime 800x
func BenchmarkCaseSearchYear(b *testing.B) {
	path := yearFile(b)
	e := &caseEnv{t: b, path: path, clk: newClock()}
	e.open()
	defer e.close()
	ctx := context.Background()
	time.Sleep(WarmDelay + 3*time.Second) // the report cache fills in the background first
	for _, f := range searchQueries {     // warm: the first read of each case is the file's
		if _, err := e.cs.List(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	took := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := e.cs.List(ctx, searchQueries[i%len(searchQueries)]); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}

// cpuTime is the process's CPU time so far (user and system): on a shared machine the steady
// figure, where the wall clock also counts the waits for a core.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCaseSearchIndexBuild measures indexing every case of a year's file (ONEDOOR_YEAR_DB,
// a copy: the benchmark writes the index into it and clears it again each round), what the
// first start of a file written before the index does.
func BenchmarkCaseSearchIndexBuild(b *testing.B) {
	path := yearFile(b)
	db, err := OpenWith(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := newCaseStore(db, time.Now); err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := clearSearchIndex(db); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if n, err = buildSearchIndex(db); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "cases")
}
