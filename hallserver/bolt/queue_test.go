package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
)

// Many concurrent issues share commits; after a restart every acknowledged ticket is there and
// the numbers are unique and gapless.
func TestIssueConcurrentGroupCommit(t *testing.T) {
	e := newEnv(t)
	const n = 50
	var (
		mu     sync.Mutex
		issued []*hall.Issued
		wg     sync.WaitGroup
	)
	for i := 0; i < n; i++ {
		wg.Go(func() {
			iss, err := e.q.Issue(context.Background(), hall.IssueRequest{Hall: "h1", Service: "A", Channel: "kiosk"})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			issued = append(issued, iss)
			mu.Unlock()
		})
	}
	wg.Wait()
	st := e.q.Stats()
	t.Logf("%d issues in %d commits (mean batch %.1f, max %d)", st.Changes, st.Batches, st.MeanBatch(), st.MaxBatch)
	if st.Changes != n {
		t.Fatalf("committed %d changes, want %d", st.Changes, n)
	}
	e.reopen()
	numbers := map[string]bool{}
	for _, iss := range issued {
		f, err := e.q.Follow(context.Background(), iss.Ticket.Token)
		if err != nil {
			t.Fatalf("follow %s after reopen: %v", iss.Ticket.Number, err)
		}
		if f.Number != iss.Ticket.Number || f.State != hall.TicketWaiting {
			t.Fatalf("follow %+v, issued %+v", f, iss.Ticket)
		}
		if numbers[f.Number] {
			t.Fatalf("number %s twice", f.Number)
		}
		numbers[f.Number] = true
	}
	for i := 1; i <= n; i++ {
		if !numbers[fmt.Sprintf("A%03d", i)] {
			t.Fatalf("number A%03d missing: not gapless", i)
		}
	}
	w, err := e.q.Waiting(context.Background(), "h1")
	if err != nil || len(w) != n {
		t.Fatalf("waiting after reopen: %d %v", len(w), err)
	}
	if iss := e.issue("h1", "A"); iss.Ticket.Number != fmt.Sprintf("A%03d", n+1) {
		t.Fatalf("next number %s", iss.Ticket.Number)
	}
}

// 50 concurrent call-next calls from 5 counters on a queue of 50 hand out each ticket once.
func TestCallNextExactlyOnce(t *testing.T) {
	e := newEnv(t)
	const n = 50
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		want[e.issue("h1", "A").Ticket.ID] = true
	}
	for c := 1; c <= 5; c++ {
		e.mustAct("h1", c, hall.ActOpen, "")
	}
	var (
		mu   sync.Mutex
		got  = map[string]int{}
		wg   sync.WaitGroup
		ctx  = context.Background()
		errs []error
	)
	for g := 0; g < n; g++ {
		counter := g%5 + 1
		wg.Go(func() {
			for {
				tk, err := e.q.Act(ctx, hall.CounterAction{Hall: "h1", Counter: counter, Action: hall.ActCallNext, Actor: "c"})
				if hall.ErrorCode(err) == hall.ECONFLICT {
					time.Sleep(100 * time.Microsecond) // the counter is busy with another ticket
					continue
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				if tk == nil {
					return
				}
				mu.Lock()
				got[tk.ID]++
				mu.Unlock()
				if _, err := e.q.Act(ctx, hall.CounterAction{Hall: "h1", Counter: counter, Action: hall.ActFinish, Actor: "c", Ticket: tk.ID}); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	for id := range want {
		if got[id] != 1 {
			t.Errorf("ticket %s handed out %d times", id, got[id])
		}
	}
	if len(got) != n {
		t.Fatalf("%d tickets handed out, want %d", len(got), n)
	}
	// All done after a restart too: nothing open, every ticket done.
	e.reopen()
	w, _ := e.q.Waiting(ctx, "h1")
	if len(w) != 0 {
		t.Fatalf("%d still waiting", len(w))
	}
	var openN int
	e.db.bolt.View(func(tx *bbolt.Tx) error { openN = tx.Bucket(openBucket("h1")).Stats().KeyN; return nil })
	if openN != 0 {
		t.Fatalf("open index holds %d tickets", openN)
	}
}

// Since replays exactly the events after N, in order, also after a restart; ok=false ahead of
// the log.
func TestSinceAcrossReopen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		e.issue("h1", "B")
	}
	e.mustAct("h1", 2, hall.ActOpen, "")
	e.mustAct("h1", 2, hall.ActCallNext, "")
	all, ok, err := e.q.Since(ctx, "h1", 0)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if len(all) != 7 {
		t.Fatalf("%d events, want 7", len(all))
	}
	for i, ev := range all {
		if ev.Seq != uint64(i+1) || ev.Hall != "h1" {
			t.Fatalf("event %d: seq %d hall %s", i, ev.Seq, ev.Hall)
		}
	}
	if all[6].Type != hall.EventCalled || all[6].Ticket.Number != "B001" {
		t.Fatalf("last event %+v", all[6])
	}
	e.reopen()
	e.issue("h1", "A")
	after, ok, err := e.q.Since(ctx, "h1", 4)
	if err != nil || !ok || len(after) != 4 {
		t.Fatalf("since 4: %d %v %v", len(after), ok, err)
	}
	for i, ev := range after {
		if ev.Seq != uint64(5+i) {
			t.Fatalf("since 4: event %d has seq %d", i, ev.Seq)
		}
	}
	if after[3].Type != hall.EventIssued || after[3].Ticket.Number != "A001" {
		t.Fatalf("%+v", after[3])
	}
	if evs, ok, _ := e.q.Since(ctx, "h1", 8); !ok || len(evs) != 0 {
		t.Fatalf("since last: %d %v", len(evs), ok)
	}
	if _, ok, _ := e.q.Since(ctx, "h1", 9); ok {
		t.Fatal("since ahead of the log: ok")
	}
	if _, ok, _ := e.q.Since(ctx, "h2", 0); !ok {
		t.Fatal("empty hall: not ok")
	}
	if _, _, err := e.q.Since(ctx, "nope", 0); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("unknown hall: %v", err)
	}
	snap, err := e.q.Snapshot(ctx, "h1")
	if err != nil || snap.Seq != 8 {
		t.Fatalf("snapshot seq %v %v", snap, err)
	}
}

// Subscribers get committed events in order; one that never reads is dropped while the other
// keeps receiving.
func TestSubscribeDropsSlow(t *testing.T) {
	e := newEnv(t)
	fast, cancelFast := e.q.Subscribe("h1", 4)
	defer cancelFast()
	slow, cancelSlow := e.q.Subscribe("h1", 2)
	defer cancelSlow()
	other, cancelOther := e.q.Subscribe("h2", 1)
	defer cancelOther()
	const n = 20
	var got []hall.Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range fast {
			got = append(got, ev)
			if len(got) == n {
				return
			}
		}
	}()
	for i := 0; i < n; i++ {
		e.issue("h1", "A")
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("fast subscriber got %d of %d", len(got), n)
	}
	for i, ev := range got {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
	// The slow one holds its 2 buffered events, then its channel is closed.
	count := 0
	for range slow {
		count++
	}
	if count != 2 {
		t.Fatalf("slow subscriber drained %d events before close, want 2", count)
	}
	select {
	case ev, ok := <-other:
		t.Fatalf("h2 subscriber got %v %v", ev, ok)
	default:
	}
	cancelSlow() // after the drop: no panic
	cancelFast()
	if _, ok := <-fast; ok {
		t.Fatal("fast channel open after cancel")
	}
}

// A failed commit fails its changes and those stacked on them, changes nothing, and the next
// issue gets the next unused number.
func TestFailedCommitRollsBack(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.issue("h1", "A")
	e.mustAct("h1", 1, hall.ActOpen, "")
	before, _ := e.q.Snapshot(ctx, "h1")

	e.fp.fail.Store(1)
	_, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "h1", Service: "A"})
	if hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("issue during failing commit: %v", err)
	}
	t.Logf("failed issue: %v", err)
	after, _ := e.q.Snapshot(ctx, "h1")
	if after.Seq != before.Seq || after.Services[0].Waiting != 1 {
		t.Fatalf("snapshot changed: seq %d→%d, waiting %d", before.Seq, after.Seq, after.Services[0].Waiting)
	}
	if _, ok, _ := e.q.Since(ctx, "h1", before.Seq); !ok {
		t.Fatal("log not at the snapshot seq")
	}
	second := e.issue("h1", "A")
	if second.Ticket.Number != "A002" {
		t.Fatalf("after the failure got %s, want A002", second.Ticket.Number)
	}
	if f, err := e.q.Follow(ctx, first.Ticket.Token); err != nil || f.Position != 0 {
		t.Fatalf("follow first: %+v %v", f, err)
	}
	if f, err := e.q.Follow(ctx, second.Ticket.Token); err != nil || f.Position != 1 {
		t.Fatalf("follow second: %+v %v", f, err)
	}
	e.reopen()
	if iss := e.issue("h1", "A"); iss.Ticket.Number != "A003" {
		t.Fatalf("after reopen got %s", iss.Ticket.Number)
	}
}

// Changes queued behind a failing batch (computed on the state it failed to write) fail too;
// other halls are not affected.
func TestFailedCommitFailsStackedChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.issue("h1", "A")
	e.mustAct("h1", 1, hall.ActOpen, "")
	held, release := e.fp.holdOnce()
	e.fp.fail.Store(1)
	errs := make(chan error, 10)
	go func() {
		_, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "h1", Service: "A"})
		errs <- err
	}()
	<-held // the first change is in the committer, about to fail
	queued := e.fp.enqueued.Load()
	for i := 0; i < 3; i++ {
		go func() {
			_, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "h1", Service: "B"})
			errs <- err
		}()
	}
	go func() {
		_, err := e.q.Act(ctx, hall.CounterAction{Hall: "h1", Counter: 1, Action: hall.ActCallNext, Actor: "c"})
		errs <- err
	}()
	var other *hall.Issued
	otherDone := make(chan error, 1)
	go func() {
		var err error
		other, err = e.q.Issue(ctx, hall.IssueRequest{Hall: "h2", Service: "A"})
		otherDone <- err
	}()
	for { // wait until all five are queued behind the held batch
		if e.fp.enqueued.Load() == queued+5 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	for i := 0; i < 5; i++ {
		if err := <-errs; hall.ErrorCode(err) != hall.EUNAVAILABLE {
			t.Fatalf("change %d: %v, want unavailable", i, err)
		}
	}
	if err := <-otherDone; err != nil || other.Ticket.Number != "A001" {
		t.Fatalf("other hall: %v", err)
	}
	// Nothing of the failed changes is visible: one ticket waits, counter 1 is free.
	w, _ := e.q.Waiting(ctx, "h1")
	if len(w) != 1 || w[0].Number != "A001" {
		t.Fatalf("waiting after the failure: %+v", w)
	}
	if tk := e.mustAct("h1", 1, hall.ActCallNext, ""); tk == nil || tk.Number != "A001" {
		t.Fatalf("call-next after the failure: %+v", tk)
	}
	if n := e.issue("h1", "B").Ticket.Number; n != "B001" {
		t.Fatalf("number after the failure: %s", n)
	}
	st := e.q.Stats()
	if st.Failed != 5 {
		t.Fatalf("stats: %+v", st)
	}
	e.reopen()
	if n := e.issue("h1", "A").Ticket.Number; n != "A002" {
		t.Fatalf("number after reopen: %s", n)
	}
}

// A backup taken while kiosks issue opens and holds every ticket acknowledged before it began.
func TestBackupWhileIssuing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var (
		mu    sync.Mutex
		acked []hall.Ticket
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	for g := 0; g < 8; g++ {
		svc := []string{"A", "B"}[g%2]
		hallCode := []string{"h1", "h2"}[g/4]
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				iss, err := e.q.Issue(ctx, hall.IssueRequest{Hall: hallCode, Service: svc})
				if hall.ErrorCode(err) == hall.ECONFLICT {
					return // queue.MaxNumber a day
				} else if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, iss.Ticket)
				mu.Unlock()
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	before := append([]hall.Ticket(nil), acked...)
	mu.Unlock()
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.db.Backup(ctx, f)
	f.Close()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backup of %d bytes with %d tickets acknowledged before it, %d in all", n, len(before), len(acked))
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := NewQueue(ctx, db, e.campus, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for _, tk := range before {
		f, err := q.Follow(ctx, tk.Token)
		if err != nil || f.Number != tk.Number {
			t.Fatalf("ticket %s missing from the backup: %v", tk.ID, err)
		}
	}
}

// Numbers continue across restarts; the day rollover resets them and clears the open index.
func TestRestartKeepsNumbersAndDayReset(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if n := e.issue("h1", "A").Ticket.Number; n != "A001" {
		t.Fatal(n)
	}
	if n := e.issue("h1", "A").Ticket.Number; n != "A002" {
		t.Fatal(n)
	}
	e.reopen()
	third := e.issue("h1", "A")
	if third.Ticket.Number != "A003" {
		t.Fatal(third.Ticket.Number)
	}
	// A no-show stays restorable during the day.
	e.mustAct("h1", 1, hall.ActOpen, "")
	called := e.mustAct("h1", 1, hall.ActCallNext, "")
	e.mustAct("h1", 1, hall.ActNoShow, "")
	e.reopen()
	if _, err := e.act("h1", 1, hall.ActReinstate, called.Number); err != nil {
		t.Fatalf("reinstate after restart: %v", err)
	}
	// Next day (the tick would do it; any command does it first).
	e.clk.Add(24 * time.Hour)
	e.q.Tick(context.Background())
	snap, err := e.q.Snapshot(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snap.Services {
		if s.Waiting != 0 {
			t.Fatalf("after the day reset %s has %d waiting", s.Code, s.Waiting)
		}
	}
	var openN int
	if err := e.db.qlog.flush(); err != nil { // the open index is written by the WAL's checkpoint
		t.Fatal(err)
	}
	e.db.bolt.View(func(tx *bbolt.Tx) error { openN = tx.Bucket(openBucket("h1")).Stats().KeyN; return nil })
	if openN != 0 {
		t.Fatalf("open index holds %d after the day reset", openN)
	}
	f, err := e.q.Follow(ctx, third.Ticket.Token)
	if err != nil || f.State != hall.TicketCancelled {
		t.Fatalf("yesterday's ticket: %+v %v", f, err)
	}
	e.reopen()
	if n := e.issue("h1", "A").Ticket.Number; n != "A001" {
		t.Fatalf("new day starts at %s", n)
	}
}

// An idempotency key returns the first ticket, also concurrently and after a restart.
func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	req := hall.IssueRequest{Hall: "h1", Service: "A", IdempotencyKey: "tap-1"}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids = map[string]bool{}
	)
	for i := 0; i < 10; i++ {
		wg.Go(func() {
			iss, err := e.q.Issue(ctx, req)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[iss.Ticket.ID] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(ids) != 1 {
		t.Fatalf("one key gave %d tickets", len(ids))
	}
	e.issue("h1", "A")
	e.reopen()
	again, err := e.q.Issue(ctx, req)
	if err != nil || !ids[again.Ticket.ID] || again.Ticket.Number != "A001" || again.Position != 0 || len(again.Materials) != 1 {
		t.Fatalf("repeat after restart: %+v %v", again, err)
	}
	other, _ := e.q.Issue(ctx, hall.IssueRequest{Hall: "h2", Service: "A", IdempotencyKey: "tap-1"})
	if other == nil || other.Ticket.Hall != "h2" {
		t.Fatal("key not scoped to the hall")
	}
	// Keys expire after a day and are pruned.
	e.clk.Add(IdempotencyTTL + time.Hour)
	e.db.qlog.flush()
	e.db.pruneIdem(bucketIdem, IdempotencyTTL, e.clk.Now())
	var n int
	e.db.bolt.View(func(tx *bbolt.Tx) error { n = tx.Bucket(bucketIdem).Stats().KeyN; return nil })
	if n != 0 {
		t.Fatalf("%d idempotency keys left after pruning", n)
	}
}

// Follow, CancelByToken and the errors of unknown things.
func TestFollowCancel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.issue("h1", "A")
	b := e.issue("h1", "A")
	if len(a.Ticket.Token) != 32 || a.Ticket.ID == b.Ticket.ID || a.Ticket.Token == b.Ticket.Token {
		t.Fatalf("ids/tokens: %+v %+v", a.Ticket, b.Ticket)
	}
	f, err := e.q.Follow(ctx, b.Ticket.Token)
	if err != nil || f.Position != 1 || f.HallName.En != "Hall h1" || f.Service.En != "A" || len(f.Materials) != 1 {
		t.Fatalf("%+v %v", f, err)
	}
	if _, err := e.q.Follow(ctx, "NOPE"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("unknown token: %v", err)
	}
	ct, err := e.q.CancelByToken(ctx, a.Ticket.Token)
	if err != nil || ct.State != hall.TicketCancelled {
		t.Fatalf("cancel: %+v %v", ct, err)
	}
	if f, _ := e.q.Follow(ctx, b.Ticket.Token); f.Position != 0 {
		t.Fatalf("position after the one ahead left: %d", f.Position)
	}
	if f, _ := e.q.Follow(ctx, a.Ticket.Token); f.State != hall.TicketCancelled {
		t.Fatalf("cancelled ticket follows as %s", f.State)
	}
	if _, err := e.q.CancelByToken(ctx, "NOPE"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("cancel unknown: %v", err)
	}
	if _, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "nope", Service: "A"}); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("unknown hall: %v", err)
	}
	if _, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "h1", Service: "Z"}); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("unknown service: %v", err)
	}
	// call-next with nobody waiting for the counter: (nil, nil), nothing written.
	e.mustAct("h1", 3, hall.ActOpen, "")
	e.mustAct("h1", 3, hall.ActCallNext, "")
	seq, _ := e.q.LastSeq("h1")
	if tk, err := e.act("h1", 4, hall.ActOpen, ""); err != nil || tk != nil {
		t.Fatal(tk, err)
	}
	if tk, err := e.act("h1", 4, hall.ActCallNext, ""); err != nil || tk != nil {
		t.Fatalf("empty call-next: %v %v", tk, err)
	}
	if s2, _ := e.q.LastSeq("h1"); s2 != seq+1 {
		t.Fatalf("seq %d → %d", seq, s2)
	}
}

// Close commits what was handed over and later commands fail with EUNAVAILABLE.
func TestCloseThenIssue(t *testing.T) {
	e := newEnv(t)
	e.issue("h1", "A")
	e.q.Close()
	if _, err := e.q.Issue(context.Background(), hall.IssueRequest{Hall: "h1", Service: "A"}); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("issue after close: %v", err)
	}
	ch, cancel := e.q.Subscribe("h1", 1)
	if _, ok := <-ch; ok {
		t.Fatal("subscription after close is open")
	}
	cancel()
	var buf bytes.Buffer
	if _, err := e.db.Backup(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
}

// A snapshot taken while kiosks issue is never ahead of the committed log, so a stream can always
// continue from its seq; Since refuses replays longer than MaxReplay.
func TestSnapshotNeverAheadOfLog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "h1", Service: "B"}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := 0; i < 200; i++ {
		snap, err := e.q.Snapshot(ctx, "h1")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := e.q.Since(ctx, "h1", snap.Seq); !ok || err != nil {
			t.Fatalf("since(snapshot seq %d): ok=%v err=%v", snap.Seq, ok, err)
		}
	}
	close(stop)
	wg.Wait()
	// More than MaxReplay behind: enginehost's TestSinceReplayWindow.
}

// A caller that gives up while its change is in the committer (a kiosk that hangs up mid-commit)
// gets its context's error, but the change is committed all the same: the request context never
// aborts a commit. The kiosk's retry with the same key gets that ticket, also after a restart.
func TestCallerGoneMidCommitStillCommits(t *testing.T) {
	e := newEnv(t)
	held, release := e.fp.holdOnce()
	ctx, cancel := context.WithCancel(context.Background())
	req := hall.IssueRequest{Hall: "h1", Service: "A", IdempotencyKey: "tap-gone"}
	errc := make(chan error, 1)
	go func() {
		_, err := e.q.Issue(ctx, req)
		errc <- err
	}()
	<-held // the change is in the committer
	cancel()
	err := <-errc
	close(release)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("issue whose caller went away: %v, want context.Canceled", err)
	}
	e.reopen()
	w, err := e.q.Waiting(context.Background(), "h1")
	if err != nil || len(w) != 1 || w[0].Number != "A001" {
		t.Fatalf("after restart: waiting %+v, %v; want the ticket the caller gave up on", w, err)
	}
	again, err := e.q.Issue(context.Background(), req)
	if err != nil || again.Ticket.ID != w[0].ID {
		t.Fatalf("retry with the same key: %+v, %v; want ticket %s", again, err, w[0].ID)
	}
}
