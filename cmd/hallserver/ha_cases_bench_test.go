package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
	"onedoor/internal/testtool"
)

// BenchmarkDurableCaseOpens measures durable case opens per second with 16 concurrent clients
// (each open with an idempotency key, routed by its text), on the embedded bbolt store and on a
// three-member etcd cluster (in this process, on loopback), in the same run (docs/HA.md):
//
//	go test ./cmd/hallserver -run '^$' -bench DurableCaseOpens -benchtime 1000x
func BenchmarkDurableCaseOpens(b *testing.B) {
	open := func(cs *enginehost.Cases) func(int64) error {
		return func(i int64) error {
			_, err := cs.Open(context.Background(), hall.OpenCaseRequest{Channel: hall.ChannelKiosk, IdempotencyKey: fmt.Sprint("k", i),
				Text: fmt.Sprintf("宿舍%d号楼的空调坏了三天了，一直没人来修", i%50), Requester: hall.Requester{Name: "张三", Phone: "13812345678"}})
			return err
		}
	}
	b.Run("bolt", func(b *testing.B) {
		db, err := bolt.OpenWith(filepath.Join(b.TempDir(), "bench.db"), bolt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		cs, err := bolt.NewCases(context.Background(), db, campus.Demo(), cases.Config{}, time.Now)
		if err != nil {
			b.Fatal(err)
		}
		defer cs.Close()
		testtool.RunParallel(b, 16, "opens/s", open(cs))
		b.ReportMetric(cs.CommitStats().MeanBatch(), "mean-batch")
	})
	b.Run("etcd3", func(b *testing.B) {
		_, cli, _ := haClusterOf(b)
		term, err := etcd.Campaign(context.Background(), cli, etcdPrefix, 3, "http://bench")
		if err != nil {
			b.Fatal(err)
		}
		defer term.Resign()
		cs, err := enginehost.NewCases(context.Background(), etcd.NewCaseStore(cli, etcdPrefix, term.Fence, time.Now), campus.Demo(), cases.Config{}, time.Now)
		if err != nil {
			b.Fatal(err)
		}
		defer cs.Close()
		testtool.RunParallel(b, 16, "opens/s", open(cs))
		b.ReportMetric(cs.CommitStats().MeanBatch(), "mean-batch")
	})
}
