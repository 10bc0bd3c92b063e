package bolt

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
	"onedoor/internal/testtool"
)

// BenchmarkIssueParallel measures durable issues per second at the store with 16 concurrent
// issuers on one hall (as the kiosks of one hall do through the API), each issue fsync'd before it
// returns. One hall with 26 services holds 25,974 numbers a day; larger b.N spread over more halls.
// Run with a fixed count so that it stays on one hall:
//
//	go test ./hallserver/bolt -run '^$' -bench IssueParallel -benchtime 20000x
func BenchmarkIssueParallel(b *testing.B) {
	const workers = 16
	halls := (b.N + 24999) / 25000
	e := &env{t: b, path: filepath.Join(b.TempDir(), "bench.db"), clk: newClock(), campus: bigCampus(halls)}
	e.open()
	defer e.close()
	ctx := context.Background()
	testtool.RunParallel(b, workers, "issues/s", func(i int64) error {
		_, err := e.q.Issue(ctx, hall.IssueRequest{
			Hall:    fmt.Sprintf("h%d", i%int64(halls)+1),
			Service: string(rune('A' + (i/int64(halls))%26)),
			Channel: "kiosk",
		})
		return err
	})
	st := e.q.Stats()
	b.ReportMetric(st.MeanBatch(), "mean-batch")
	b.ReportMetric(float64(st.MaxBatch), "max-batch")
	b.Logf("N=%d halls=%d: %d commits, mean batch %.1f, max %d, sizes (1,2-3,4-7,8-15,16-31,32-63,...) %v",
		b.N, halls, st.Batches, st.MeanBatch(), st.MaxBatch, st.Sizes[:8])
}

// BenchmarkStartup1M measures start-up (Open + NewQueue) on a file holding 1,000,000 historical
// tickets (closed, with their tokens and finishing events) and a few hundred open ones. Start-up
// reads only each hall's meta and open-ticket index, so it should not depend on the history. The
// file is built once per run by a bulk loader (large transactions, no fsync while loading), which
// takes a while. "warm" has the file in the page cache; "cold" drops the file's pages from the
// cache (posix_fadvise DONTNEED) before each start-up.
//
//	go test ./hallserver/bolt -run '^$' -bench Startup1M -benchtime 20x
func BenchmarkStartup1M(b *testing.B) {
	path := filepath.Join(b.TempDir(), "history.db")
	campus := testCampus()
	t0 := time.Now()
	size := bulkLoad(b, path, campus, 1_000_000, 300)
	b.Logf("built %s: 1,000,000 closed + 300 open tickets, %d MiB, in %v", filepath.Base(path), size>>20, time.Since(t0).Round(time.Second))
	ctx := context.Background()
	startup := func(b *testing.B, cold bool) {
		for b.Loop() {
			if cold {
				b.StopTimer()
				if err := dropCache(path); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			db, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			q, err := NewQueue(ctx, db, campus, newClock().Now)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			w, _ := q.Waiting(ctx, "h1")
			if len(w) != 300 {
				b.Fatalf("restored %d waiting tickets, want 300", len(w))
			}
			q.Close()
			db.Close()
			b.StartTimer()
		}
	}
	b.Run("warm", func(b *testing.B) { startup(b, false) })
	b.Run("cold", func(b *testing.B) { startup(b, true) })
}

// bulkLoad writes a file as the store would have written it after `closed` finished tickets in
// hall h1 over many past days, plus `open` tickets waiting today. It returns the file size.
func bulkLoad(b *testing.B, path string, campus hall.Campus, closed, open int) int64 {
	b.Helper()
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.bolt.NoSync = true
	db.bolt.NoGrowSync = true
	clk := newClock()
	today := clk.Now()
	const perDay = 1998 // A001–A999 and B001–B999
	var seq uint64
	const batch = 50_000
	type tok struct{ k, v []byte }
	for done := 0; done < closed; {
		n := min(batch, closed-done)
		toks := make([]tok, 0, n)
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			tickets := tx.Bucket(bucketTickets)
			tickets.FillPercent = 0.95
			events, err := tx.CreateBucketIfNotExists(eventsBucket("h1"))
			if err != nil {
				return err
			}
			events.FillPercent = 1
			for i := done; i < done+n; i++ {
				dayN := i / perDay
				inDay := i % perDay
				svc, num := "A", inDay+1
				if inDay >= 999 {
					svc, num = "B", inDay-998
				}
				day := today.AddDate(0, 0, -(closed/perDay)-1+dayN)
				at := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, day.Location()).Add(time.Duration(inDay) * 10 * time.Second)
				fin := at.Add(20 * time.Minute)
				seq++
				t := hall.Ticket{
					ID: fmt.Sprintf("h1-%s-%d", at.Format("20060102"), seq), Hall: "h1", Service: svc,
					Number: fmt.Sprintf("%s%03d", svc, num), Day: at.Format("2006-01-02"),
					Token: benchToken(), State: hall.TicketDone, Channel: "kiosk",
					IssuedAt: at, Order: at.UnixNano(), Counter: 1 + i%5, CalledAt: &fin, StartedAt: &fin,
					FinishedAt: &fin, Outcome: hall.OutcomeResolved,
				}
				v, _ := json.Marshal(t)
				if err := tickets.Put([]byte(t.ID), v); err != nil {
					return err
				}
				toks = append(toks, tok{[]byte(t.Token), []byte(t.ID)})
				ev := hall.Event{Seq: seq, Hall: "h1", Type: hall.EventFinished, At: fin, Actor: "counter1", Ticket: &t,
					Waiting: map[string]int{"A": 3, "B": 2}}
				ev.Ticket.Visits = nil
				v, _ = json.Marshal(ev)
				var k [8]byte
				binary.BigEndian.PutUint64(k[:], seq)
				if err := events.Put(k[:], v); err != nil {
					return err
				}
			}
			// Random tokens: insert in key order, a batch at a time.
			sort.Slice(toks, func(i, j int) bool { return string(toks[i].k) < string(toks[j].k) })
			tb := tx.Bucket(bucketTokens)
			for _, t := range toks {
				if err := tb.Put(t.k, t.v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done += n
	}
	// Today: open tickets through the real engine and store, so meta and index are genuine.
	q, err := NewQueue(context.Background(), db, campus, clk.Now)
	if err != nil {
		b.Fatal(err)
	}
	// Seq continues after the history.
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		v, _ := json.Marshal(queue.Meta{Seq: seq, Day: ""})
		return tx.Bucket(bucketMeta).Put([]byte("h1"), v)
	})
	if err != nil {
		b.Fatal(err)
	}
	q.Close()
	db.bolt.NoSync = false
	q, err = NewQueue(context.Background(), db, campus, clk.Now)
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 10; g++ {
		wg.Go(func() {
			for i := g; i < open; i += 10 {
				if _, err := q.Issue(context.Background(), hall.IssueRequest{Hall: "h1", Service: string(rune('A' + i%2))}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	q.Close()
	var size int64
	db.bolt.View(func(tx *bbolt.Tx) error { size = tx.Size(); return nil })
	return size
}

// benchToken is a random follow token like the ones Issue makes (random keys cost a page each).
func benchToken() string {
	var b [20]byte
	rand.Read(b[:])
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}

// BenchmarkCheckpointIssues measures a checkpoint's cost per issued ticket: the bbolt transaction
// that writes a batch of 500 committed issue changes (ticket, follow token, open index, event,
// meta) to the file, without its fsyncs (NoSync: the disk is IssueParallel's). pages/change is
// the pages the transaction writes per change.
//
//	go test ./hallserver/bolt -run '^$' -bench CheckpointIssues -benchtime 20000x
func BenchmarkCheckpointIssues(b *testing.B) {
	const perCheckpoint = 500
	campus := bigCampus(1)
	db, err := Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.bolt.NoSync = true
	clk := newClock()
	s, err := newQueueStore(db, campus, clk.Now)
	if err != nil {
		b.Fatal(err)
	}
	loc, _ := campus.Location()
	eng := queue.New(campus.Halls[0], loc)
	next := 0
	write := func(ws []*queueWrite) {
		for _, w := range ws[len(ws)-1:] {
			if w.meta, err = encodeMeta(w.metaSrc); err != nil {
				b.Fatal(err)
			}
		}
		if err := db.bolt.Update(func(tx *bbolt.Tx) error { return writeQueue(tx, ws) }); err != nil {
			b.Fatal(err)
		}
	}
	var pages int
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		n := min(perCheckpoint, b.N-done)
		ws := make([]*queueWrite, 0, n)
		for len(ws) < n {
			next++
			// Tokens sort by issue time, as enginehost's do.
			id, token := fmt.Sprintf("h1-20260302-%d", next), fmt.Sprintf("%08d", next)+benchToken()[8:]
			_, ch, err := eng.Issue(clk.Now(), hall.IssueRequest{Service: string(rune('A' + next%26)), Channel: "kiosk"}, id, token)
			if err != nil { // the services are full: next day (not timed)
				clk.Add(24 * time.Hour)
				w, _ := s.Prepare("h1", eng.Tick(clk.Now()), "", "")
				write([]*queueWrite{w.(*queueWrite)})
				continue
			}
			w, err := s.Prepare("h1", ch, "", "")
			if err != nil {
				b.Fatal(err)
			}
			ws = append(ws, w.(*queueWrite))
		}
		st := db.bolt.Stats()
		before := st.TxStats.GetWrite()
		runtime.GC() // the garbage of the untimed part is not the checkpoint's
		b.StartTimer()
		write(ws)
		b.StopTimer()
		st = db.bolt.Stats()
		pages += int(st.TxStats.GetWrite() - before)
		b.StartTimer()
		done += n
	}
	b.ReportMetric(float64(pages)/float64(b.N), "pages/change")
}

// BenchmarkPrepareIssue measures what the issuing goroutine encodes for the WAL per issued ticket
// (queueStore.Prepare: the ticket, its event, no idempotency key).
//
//	go test ./hallserver/bolt -run '^$' -bench PrepareIssue -benchmem
func BenchmarkPrepareIssue(b *testing.B) {
	campus := testCampus()
	loc, _ := campus.Location()
	eng := queue.New(campus.Halls[0], loc)
	clk := newClock()
	s := &queueStore{now: clk.Now}
	_, ch, err := eng.Issue(clk.Now(), hall.IssueRequest{Service: "A", Channel: "kiosk"}, "h1-20260302-1", benchToken())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Prepare("h1", ch, "", ""); err != nil {
			b.Fatal(err)
		}
	}
}
