package main

import (
	"context"
	"os"
	"testing"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/cases"
)

// BenchmarkHistoryReports runs what the supervision page reads (the weekly series, the window's
// statistics, the daily report, the hot topics) on a file written by `hallctl history`, in
// process, for profiles: ONEDOOR_HISTORY=/path/year.db go test ./cmd/hallctl -run '^$' -bench
// HistoryReports -cpuprofile cpu.out. The file must not be open in a server.
func BenchmarkHistoryReports(b *testing.B) {
	path := os.Getenv("ONEDOOR_HISTORY")
	if path == "" {
		b.Skip("set ONEDOOR_HISTORY to a file written by hallctl history")
	}
	ctx := context.Background()
	t0 := time.Now()
	db, err := bolt.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	cs, err := bolt.NewCases(ctx, db, campus.Demo(), cases.Config{}, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	defer cs.Close()
	b.Logf("case store open in %v", time.Since(t0))
	topics, err := bolt.NewTopics(db, cs, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	run := func(name string, fn func() error) {
		t0 := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: first call %v", name, time.Since(t0))
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("series", func() error { _, err := cs.Series(ctx, "week", 8); return err })
	run("stats", func() error {
		_, err := cs.Stats(ctx, time.Now().AddDate(0, 0, -56), time.Now())
		return err
	})
	run("daily", func() error { _, err := cs.Daily(ctx, time.Now()); return err })
	run("topics", func() error { _, err := topics.Topics(ctx, 7); return err })
}
