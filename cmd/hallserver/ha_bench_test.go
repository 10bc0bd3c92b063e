package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
	"onedoor/internal/testtool"
)

// BenchmarkDurableIssues measures durable issues per second with 16 concurrent issuers on one
// hall, on the embedded bbolt store and on a three-member etcd cluster (in this process, on
// loopback; one fsync per member per batch), in the same run (docs/PERFORMANCE.md, docs/HA.md):
//
//	go test ./cmd/hallserver -run '^$' -bench DurableIssues -benchtime 3000x
func BenchmarkDurableIssues(b *testing.B) {
	services := []string{"A", "B", "C", "D"}
	issue := func(q *enginehost.Queue) func(int64) error {
		return func(i int64) error {
			_, err := q.Issue(context.Background(), hall.IssueRequest{Hall: "students", Service: services[i%4], Channel: "kiosk"})
			return err
		}
	}
	b.Run("bolt", func(b *testing.B) {
		db, err := bolt.OpenWith(filepath.Join(b.TempDir(), "bench.db"), bolt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		q, err := bolt.NewQueue(context.Background(), db, campus.Demo(), time.Now)
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		testtool.RunParallel(b, 16, "issues/s", issue(q))
		b.ReportMetric(q.Stats().MeanBatch(), "mean-batch")
	})
	b.Run("etcd3", func(b *testing.B) {
		_, cli, _ := haClusterOf(b)
		term, err := etcd.Campaign(context.Background(), cli, etcdPrefix, 3, "http://bench")
		if err != nil {
			b.Fatal(err)
		}
		defer term.Resign()
		q, err := enginehost.NewQueue(context.Background(), etcd.NewQueueStore(cli, etcdPrefix, term.Fence, time.Now), campus.Demo(), time.Now)
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		testtool.RunParallel(b, 16, "issues/s", issue(q))
		b.ReportMetric(q.Stats().MeanBatch(), "mean-batch")
	})
}
