package bolt

import (
	"context"
	"fmt"
	"os"
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
// and compares the last notes with the first: the median latency of notes 951–1,000 against notes
// 1–50 (ratio "late/early-latency"), and the bytes of the file in use (pages not free) that
// each note added, over the same windows ("late/early-bytes"). With a full copy of the case in
// each event both grew with the length of the timeline; the goal is both ratios ≤ 2. It also
// reports the file's size after the 1,000 notes.
//
//	go test ./hallserver/bolt -run '^$' -bench CaseNotes1000 -benchtime 1x
func BenchmarkCaseNotes1000(b *testing.B) {
	const notes, window = 1000, 50
	for b.Loop() {
		e := &caseEnv{t: b, path: filepath.Join(b.TempDir(), "notes.db"), clk: newClock()}
		e.open()
		c := e.openCase(hall.OpenCaseRequest{Text: benchTexts[0], Requester: hall.Requester{Name: "张三", Phone: "13812345678"}})
		e.act(handler(c.ID, hall.CaseActSign, c.Department))
		lat := make([]time.Duration, notes)
		used := make([]int64, notes+1)
		used[0] = usedBytes(b, e.db)
		for i := range notes {
			a := handler(c.ID, hall.CaseActNote, c.Department)
			a.Text = fmt.Sprintf("第%d条内部备注：已联系宿舍管理员，明天上午安排维修师傅上门查看空调外机。", i+1)
			t0 := time.Now()
			e.act(a)
			lat[i] = time.Since(t0)
			used[i+1] = usedBytes(b, e.db)
		}
		early, late := median(lat[:window]), median(lat[notes-window:])
		eb := float64(used[window]-used[0]) / window
		lb := float64(used[notes]-used[notes-window]) / window
		fi, err := os.Stat(e.path)
		if err != nil {
			b.Fatal(err)
		}
		var size int64
		e.db.bolt.View(func(tx *bbolt.Tx) error { size = tx.Size(); return nil })
		e.close()
		b.ReportMetric(float64(early.Microseconds())/1000, "early-ms")
		b.ReportMetric(float64(late.Microseconds())/1000, "late-ms")
		b.ReportMetric(float64(late)/float64(early), "late/early-latency")
		b.ReportMetric(eb, "early-B/note")
		b.ReportMetric(lb, "late-B/note")
		b.ReportMetric(lb/eb, "late/early-bytes")
		b.ReportMetric(float64(size)/(1<<20), "data-MiB")
		b.Logf("%d notes: note latency median %v (1–%d) → %v (%d–%d); bytes in use per note %.0f → %.0f; data %.1f MiB, file %.1f MiB",
			notes, early, window, late, notes-window+1, notes, eb, lb, float64(size)/(1<<20), float64(fi.Size())/(1<<20))
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
