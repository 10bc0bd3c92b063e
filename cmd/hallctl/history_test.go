//go:build unix

package main

import (
	"context"
	"os"
	"syscall"
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
			c0 := cpuTime(b)
			for b.Loop() {
				if err := fn(); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time per call: what the wall time would be on an idle core, whatever else
			// the machine is doing (the process is otherwise idle).
			b.ReportMetric(float64((cpuTime(b)-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
	run("series", func() error { _, err := cs.Series(ctx, "week", 8); return err })
	run("stats", func() error {
		_, err := cs.Stats(ctx, time.Now().AddDate(0, 0, -56), time.Now())
		return err
	})
	run("daily", func() error { _, err := cs.Daily(ctx, time.Now()); return err })
	run("topics", func() error { _, err := topics.Topics(ctx, 7); return err })
	// The same grouping without the cache of final cases' terms (each call segments every text).
	uncachedTopics := func() error {
		to := time.Now().Add(time.Nanosecond)
		mid := to.Add(-7 * 24 * time.Hour)
		from := mid.Add(-7 * 24 * time.Hour)
		rc, err := cs.ReportCases(ctx, from, to)
		if err == nil {
			cases.TopicsOf(rc, from, mid, to, nil, cases.DefaultTopicOptions())
		}
		return err
	}
	run("topics-uncached", uncachedTopics)
	run("series+stats", func() error { _, _, err := cs.SeriesTotal(ctx, "week", 8); return err })
	// The whole supervision page: as it read its figures before (series, then the window's
	// statistics read again, hot topics segmenting every text), and now.
	run("page-before", func() error {
		if _, err := cs.Series(ctx, "week", 8); err != nil {
			return err
		}
		if _, err := cs.Stats(ctx, time.Now().AddDate(0, 0, -56), time.Now()); err != nil {
			return err
		}
		if _, err := cs.Daily(ctx, time.Now()); err != nil {
			return err
		}
		return uncachedTopics()
	})
	run("page", func() error {
		if _, _, err := cs.SeriesTotal(ctx, "week", 8); err != nil {
			return err
		}
		if _, err := cs.Daily(ctx, time.Now()); err != nil {
			return err
		}
		_, err := topics.Topics(ctx, 7)
		return err
	})
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
