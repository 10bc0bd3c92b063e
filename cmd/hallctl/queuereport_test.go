//go:build unix

package main

import (
	"context"
	"os"
	"testing"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/kpi"
)

// BenchmarkHistoryQueueReport measures GET /api/v1/reports/queue's work for the last closed
// calendar month of the busiest demo hall on a file written by `hallctl history`, in process:
// from the cache of closed days (the days' span checked against the log, the visit ratings
// read, the rows grouped) and recomputed (a new cache: every event of the month read and
// decoded). ONEDOOR_HISTORY=/path/year.db go test ./cmd/hallctl -run '^$' -bench
// HistoryQueueReport. The file must not be open in a server.
func BenchmarkHistoryQueueReport(b *testing.B) {
	path := os.Getenv("ONEDOOR_HISTORY")
	if path == "" {
		b.Skip("set ONEDOOR_HISTORY to a file written by hallctl history")
	}
	ctx := context.Background()
	db, err := bolt.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	loc, _ := time.LoadLocation(hall.DefaultTimeZone)
	now := time.Now().In(loc)
	first := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, loc)
	last := first.AddDate(0, 1, -1)
	src := bolt.NewQueueReports(db)
	for _, by := range []string{kpi.ByService, kpi.ByDay, kpi.ByHour} {
		q := kpi.Query{Hall: "students", From: first.Format(time.DateOnly), Until: last.Format(time.DateOnly), By: by, Loc: loc}
		cached := kpi.NewReports(src, nil)
		t0 := time.Now()
		rows, err := cached.Queue(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		issued := 0
		for _, r := range rows {
			issued += r.Issued
		}
		b.Logf("%s..%s by %s: %d rows, %d tickets; first call %v", q.From, q.Until, by, len(rows), issued, time.Since(t0))
		b.Run("cached-"+by, func(b *testing.B) {
			c0 := cpuTime(b)
			for b.Loop() {
				if _, err := cached.Queue(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime(b)-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
		b.Run("recomputed-"+by, func(b *testing.B) {
			c0 := cpuTime(b)
			for b.Loop() {
				if _, err := kpi.NewReports(src, nil).Queue(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime(b)-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}
