package bolt

import (
	"context"
	"path/filepath"
	"testing"

	"onedoor/hallserver/hall"
	"onedoor/internal/testtool"
)

// benchTexts are realistic requests; every Open routes its text (the router's cost is included).
var benchTexts = []string{
	"宿舍的空调坏了三天了，一直没人来修",
	"图书馆三楼总有人用书占座，一占一整天",
	"校园网晚上十点以后特别慢，打游戏都卡",
	"奖学金评定的结果什么时候公示",
	"The campus card machine in the canteen ate my money",
	"食堂二楼的菜价最近涨了很多",
	"研究生的开题报告需要提交哪些材料",
	"请问出国交换的成绩怎么转换学分",
}

// BenchmarkCaseOpenParallel measures durable case openings per second with 16 concurrent clients
// (kiosks, counters, the web channel): each Open routes the text, writes the case, its indexes
// and three events, and returns only after the group commit's fsync.
//
//	go test ./hallserver/bolt -run '^$' -bench CaseOpenParallel -benchtime 20000x
func BenchmarkCaseOpenParallel(b *testing.B) {
	const workers = 16
	e := &caseEnv{t: b, path: filepath.Join(b.TempDir(), "bench.db"), clk: newClock()}
	e.open()
	defer e.close()
	ctx := context.Background()
	testtool.RunParallel(b, workers, "opens/s", func(i int64) error {
		_, err := e.cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelKiosk, Hall: "h1", Text: benchTexts[i%int64(len(benchTexts))]})
		return err
	})
}

// BenchmarkCaseGet measures reading one committed case by number (the staff view).
func BenchmarkCaseGet(b *testing.B) {
	e := &caseEnv{t: b, path: filepath.Join(b.TempDir(), "bench.db"), clk: newClock()}
	e.open()
	defer e.close()
	c := e.openCase(hall.OpenCaseRequest{Text: benchTexts[0]})
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.cs.Get(ctx, c.Number); err != nil {
			b.Fatal(err)
		}
	}
}
