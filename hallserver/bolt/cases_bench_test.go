package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

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

// BenchmarkCaseNotes1000 adds 1,000 internal notes to one case, one durable Act after another,
// and compares the bytes of the file in use (pages not free) that each note added over notes
// 1–50 and 951–1,000 ("late/early-bytes"). Then it measures the latency of the 1,000th and later
// notes against that of the first ones side by side, to be fair on a shared machine: 50 pairs,
// each a note on a new case (its notes 1–50) and a note on the long one (notes 1,001–1,050),
// median against median ("late/early-latency"). With a full copy of the case in each event both
// grew with the length of the timeline; the goal is both ratios ≤ 2. It also reports the data's
// size after the 1,000 notes.
//
//	go test ./hallserver/bolt -run '^$' -bench CaseNotes1000 -benchtime 1x
func BenchmarkCaseNotes1000(b *testing.B) {
	const notes, window = 1000, 50
	for b.Loop() {
		e := &caseEnv{t: b, path: filepath.Join(b.TempDir(), "notes.db"), clk: newClock()}
		e.open()
		req := hall.OpenCaseRequest{Text: benchTexts[0], Requester: hall.Requester{Name: "张三", Phone: "13812345678"}}
		long := e.openCase(req)
		e.act(handler(long.ID, hall.CaseActSign, long.Department))
		note := func(c *hall.Case, i int) time.Duration {
			a := handler(c.ID, hall.CaseActNote, c.Department)
			a.Text = fmt.Sprintf("第%d条内部备注：已联系宿舍管理员，明天上午安排维修师傅上门查看空调外机。", i)
			t0 := time.Now()
			e.act(a)
			return time.Since(t0)
		}
		used := make([]int64, notes+1)
		used[0] = usedBytes(b, e.db)
		for i := range notes {
			note(long, i+1)
			used[i+1] = usedBytes(b, e.db)
		}
		eb := float64(used[window]-used[0]) / window
		lb := float64(used[notes]-used[notes-window]) / window
		var size int64
		e.db.bolt.View(func(tx *bbolt.Tx) error { size = tx.Size(); return nil })

		short := e.openCase(req)
		e.act(handler(short.ID, hall.CaseActSign, short.Department))
		early, late := make([]time.Duration, window), make([]time.Duration, window)
		for i := range window {
			early[i] = note(short, i+1)
			late[i] = note(long, notes+i+1)
		}
		e.close()
		em, lm := median(early), median(late)
		b.ReportMetric(float64(em.Microseconds())/1000, "early-ms")
		b.ReportMetric(float64(lm.Microseconds())/1000, "late-ms")
		b.ReportMetric(float64(lm)/float64(em), "late/early-latency")
		b.ReportMetric(eb, "early-B/note")
		b.ReportMetric(lb, "late-B/note")
		b.ReportMetric(lb/eb, "late/early-bytes")
		b.ReportMetric(float64(size)/(1<<20), "data-MiB")
		b.Logf("%d notes: bytes in use per note %.0f (notes 1–%d) → %.0f (notes %d–%d), data %.1f MiB; note latency median %v (notes 1–%d of a case) ↔ %v (notes %d–%d)",
			notes, eb, window, lb, notes-window+1, notes, float64(size)/(1<<20), em, window, lm, notes+1, notes+window)
	}
}

// usedBytes is the size of the file's pages in use: the high-water mark less the free and
// pending pages.
func usedBytes(b *testing.B, db *DB) int64 {
	var n int64
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		st := db.bolt.Stats()
		n = tx.Size() - int64(st.FreePageN+st.PendingPageN)*int64(db.bolt.Info().PageSize)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
