package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/campus"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/etcd/etcdtest"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

// cluster starts a three-member cluster for the test and a client of it.
func cluster(t testing.TB) (*etcdtest.Cluster, *clientv3.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), etcdtest.WaitTimeout)
	defer cancel()
	c, err := etcdtest.Start(ctx, t.TempDir(), etcdtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cli, err := etcd.Dial(c.Endpoints(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return c, cli
}

// owner starts a queue on the cluster as the owner of a new term.
func owner(t *testing.T, ctx context.Context, cli *clientv3.Client, addr string) (*enginehost.Queue, *etcd.Term) {
	t.Helper()
	term, err := etcd.Campaign(ctx, cli, "/t/", 3, addr)
	if err != nil {
		t.Fatal(err)
	}
	st := etcd.NewQueueStore(cli, "/t/", term.Fence, nil)
	q, err := enginehost.NewQueue(ctx, st, campus.Demo(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return q, term
}

// TestQueueOnEtcdCarriesOnAcrossOwners: 300 tickets issued by 16 concurrent kiosks (batches
// above etcd's 128 operations a Txn), some called; the owner resigns and a new one loads the
// halls from etcd: numbering carries on without a number twice, no ticket is lost, the event
// log replays gap-free from seq 0, and the old owner's writes are refused (fenced).
func TestQueueOnEtcdCarriesOnAcrossOwners(t *testing.T) {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	q1, term1 := owner(t, ctx, cli, "http://a")
	numbers := map[string]string{} // number → ticket ID
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for k := range 16 {
		wg.Go(func() {
			for i := range 19 {
				is, err := q1.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk",
					IdempotencyKey: fmt.Sprintf("k%d-%d", k, i)})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if prev, dup := numbers[is.Ticket.Number]; dup {
					errs <- fmt.Errorf("number %s issued twice (%s, %s)", is.Ticket.Number, prev, is.Ticket.ID)
				}
				numbers[is.Ticket.Number] = is.Ticket.ID
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := q1.Act(ctx, hall.CounterAction{Hall: "students", Counter: 1, Action: hall.ActOpen, Actor: "counter1"}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		for _, act := range []string{hall.ActCallNext, hall.ActStart, hall.ActFinish} {
			if _, err := q1.Act(ctx, hall.CounterAction{Hall: "students", Counter: 1, Action: act, Actor: "counter1"}); err != nil {
				t.Fatal(act, err)
			}
		}
	}
	st := q1.Stats()
	if st.MaxBatch < 2 {
		t.Logf("no batch of several changes formed (max %d): the split path went untested", st.MaxBatch)
	}
	last, err := q1.LastSeq("students")
	if err != nil {
		t.Fatal(err)
	}
	term1.Resign()
	// The old owner's host still runs: every write it tries is refused, nothing is written.
	if _, err := q1.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk"}); err == nil {
		t.Fatal("a server that resigned committed a ticket")
	}
	q1.Close()

	q2, term2 := owner(t, ctx, cli, "http://b")
	defer q2.Close()
	defer term2.Resign()
	if got, _ := q2.LastSeq("students"); got != last {
		t.Fatalf("new owner's last seq = %d, want %d (what the first owner committed)", got, last)
	}
	// Every ticket the first owner acknowledged is there, and the waiting list holds the rest.
	for num, id := range numbers {
		if _, err := q2.Ticket(ctx, "students", id); err != nil {
			t.Fatalf("ticket %s (%s) lost across owners: %v", num, id, err)
		}
	}
	waiting, err := q2.Waiting(ctx, "students")
	if err != nil {
		t.Fatal(err)
	}
	if len(waiting) != len(numbers)-5 {
		t.Fatalf("waiting after failover = %d, want %d", len(waiting), len(numbers)-5)
	}
	is, err := q2.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk"})
	if err != nil {
		t.Fatal(err)
	}
	if _, dup := numbers[is.Ticket.Number]; dup {
		t.Fatalf("new owner issued %s again", is.Ticket.Number)
	}
	// A retried issue (same idempotency key) on the new owner returns the first ticket.
	again, err := q2.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk", IdempotencyKey: "k3-4"})
	if err != nil {
		t.Fatal(err)
	}
	if numbers[again.Ticket.Number] != again.Ticket.ID {
		t.Fatalf("retry of k3-4 on the new owner gave %s (%s), not the first ticket", again.Ticket.Number, again.Ticket.ID)
	}
	// The log replays gap-free from the start (since=0) on the new owner.
	evs, ok, err := q2.Since(ctx, "students", 0)
	if err != nil || !ok {
		t.Fatalf("Since(0) = ok %v, %v", ok, err)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d: the log has a gap", i, ev.Seq)
		}
	}
	if n := uint64(len(evs)); n != last+1 {
		t.Fatalf("replay has %d events, want %d", n, last+1)
	}
	// The Txn's fence: a store whose fence names a key that is gone commits nothing.
	gone := etcd.NewQueueStore(cli, "/t/", func() (string, int64, bool) { return "/t/owner/none", 1, true }, nil)
	w, err := gone.Prepare("students", queue.Change{}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := gone.Commit([]any{w}); !errors.Is(err, etcd.ErrNotOwner) {
		t.Fatalf("commit with a stale fence = %v, want ErrNotOwner", err)
	}
}

// TestCommitIsOneTxnOrNothing: Commit writes a batch in one Txn or not at all. A batch of 30
// issues followed by a change too big for a Txn is refused whole (before, the 30 were cut into
// a first Txn that stayed durable while the batch was reported failed); 100 issues (about 500
// operations) do not fit and are refused with nothing written; 20 fit and commit whole.
func TestCommitIsOneTxnOrNothing(t *testing.T) {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	term, err := etcd.Campaign(ctx, cli, "/s/", 3, "http://a")
	if err != nil {
		t.Fatal(err)
	}
	defer term.Resign()
	st := etcd.NewQueueStore(cli, "/s/", term.Fence, nil)
	issue := func(i int, name string) any {
		tk := hall.Ticket{ID: fmt.Sprintf("t%03d", i), Number: fmt.Sprintf("A%03d", i), Hall: "h", State: hall.TicketWaiting,
			Token: fmt.Sprintf("tok%d", i), PersonID: name}
		ch := queue.Change{Tickets: []hall.Ticket{tk},
			Events: []hall.Event{{Seq: uint64(i), Type: hall.EventIssued, Hall: "h", Ticket: &tk}}}
		ch.Meta.Seq = uint64(i)
		w, err := st.Prepare("h", ch, fmt.Sprintf("key%d", i), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	nothing := func(what string) {
		t.Helper()
		r, err := cli.Get(ctx, "/s/q/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil || r.Count != 0 {
			t.Fatalf("%s: %d keys written, %v; want none", what, r.Count, err)
		}
	}
	var batch []any
	for i := 1; i <= 30; i++ {
		batch = append(batch, issue(i, ""))
	}
	batch = append(batch, issue(31, strings.Repeat("x", 900<<10)))
	if st.Fits(batch) {
		t.Fatal("Fits: a batch over 1 MiB fits")
	}
	if err := st.Commit(batch); !errors.Is(err, etcd.ErrTooBig) {
		t.Fatalf("commit of 30 issues and a change too big for a Txn = %v, want ErrTooBig", err)
	}
	nothing("after the refused batch")

	batch = batch[:0]
	for i := 1; i <= 100; i++ {
		batch = append(batch, issue(i, ""))
	}
	if st.Fits(batch) {
		t.Fatal("Fits: 100 issues (about 500 operations) fit in one Txn")
	}
	if err := st.Commit(batch); !errors.Is(err, etcd.ErrTooBig) {
		t.Fatalf("commit of 100 issues = %v, want ErrTooBig", err)
	}
	nothing("after 100 issues")

	batch = batch[:20]
	if !st.Fits(batch) {
		t.Fatal("Fits: 20 issues do not fit")
	}
	if err := st.Commit(batch); err != nil {
		t.Fatalf("commit of 20 issues: %v", err)
	}
	evs, err := st.Events(ctx, "h", 0, 20, 1000)
	if err != nil || len(evs) != 20 {
		t.Fatalf("events after the commit: %d, %v; want 20", len(evs), err)
	}
	meta, _, open, err := st.LoadHall("h")
	if err != nil || meta.Seq != 20 || len(open) != 20 {
		t.Fatalf("LoadHall = seq %d, %d open, %v; want 20, 20", meta.Seq, len(open), err)
	}
	if tk, err := st.TicketByToken(ctx, "tok17"); err != nil || tk.ID != "t017" {
		t.Fatalf("TicketByToken(tok17) = %v, %v", tk, err)
	}
	if rec, err := st.Idem("h", "key12"); err != nil || rec.ID != "t012" || rec.Seq != 12 {
		t.Fatalf("Idem(key12) = %+v, %v", rec, err)
	}
}

// TestReadLocalWithoutQuorum: with two of three members stopped, a store's reads fail (they
// need a quorum) until ReadLocal; then the hall, its events, tickets by token and idempotency
// records are read from the surviving member's committed state, and every commit is refused.
func TestReadLocalWithoutQuorum(t *testing.T) {
	c, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q, term := owner(t, ctx, cli, "http://a")
	var last *hall.Issued
	for i := range 5 {
		is, err := q.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk", IdempotencyKey: fmt.Sprintf("k%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		last = is
	}
	seq, _ := q.LastSeq("students")
	q.Close()
	st := etcd.NewQueueStore(cli, "/t/", term.Fence, nil)
	c.Stop(1)
	c.Stop(2)
	if _, _, _, err := st.LoadHall("students"); err == nil {
		t.Log("a linearizable read answered without a quorum (the member had not noticed yet)")
	}
	st.ReadLocal()
	var meta queue.Meta
	var open []hall.Ticket
	var err error
	waitUntil := time.Now().Add(30 * time.Second) // the client may first try a stopped member
	for meta, _, open, err = st.LoadHall("students"); err != nil && time.Now().Before(waitUntil); meta, _, open, err = st.LoadHall("students") {
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || meta.Seq != seq || len(open) != 5 {
		t.Fatalf("LoadHall without a quorum after ReadLocal = seq %d (want %d), %d open (want 5), %v", meta.Seq, seq, len(open), err)
	}
	if evs, err := st.Events(ctx, "students", 0, seq, 100); err != nil || uint64(len(evs)) != seq {
		t.Fatalf("Events without a quorum = %d, %v; want %d", len(evs), err, seq)
	}
	if tk, err := st.TicketByToken(ctx, last.Ticket.Token); err != nil || tk.ID != last.Ticket.ID {
		t.Fatalf("TicketByToken without a quorum = %v, %v", tk, err)
	}
	if rec, err := st.Idem("students", "k4"); err != nil || rec.ID != last.Ticket.ID {
		t.Fatalf("Idem without a quorum = %+v, %v", rec, err)
	}
	w, _ := st.Prepare("students", queue.Change{}, "", "")
	if err := st.Commit([]any{w}); !errors.Is(err, etcd.ErrReadOnly) {
		t.Fatalf("commit after ReadLocal = %v, want ErrReadOnly", err)
	}
}

// TestDayResetOnEtcd: a day reset moves the open index to a new generation in the same Txn as
// the cancelled tickets (two operations each); 30 waiting tickets reset in one Txn, and a reset
// of 70, over the Txn's limit, is refused with nothing written (docs/HA.md "Not done").
func TestDayResetOnEtcd(t *testing.T) {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	term, err := etcd.Campaign(ctx, cli, "/r/", 3, "http://a")
	if err != nil {
		t.Fatal(err)
	}
	defer term.Resign()
	st := etcd.NewQueueStore(cli, "/r/", term.Fence, nil)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, loc)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	nextDay := func() { mu.Lock(); now = now.AddDate(0, 0, 1); mu.Unlock() }
	q, err := enginehost.NewQueue(ctx, st, campus.Demo(), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	issue := func(n int) {
		for range n {
			if _, err := q.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	openKeys := func() int64 {
		r, err := cli.Get(ctx, "/r/q/open/students/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		return r.Count
	}
	issue(30)
	nextDay()
	issue(1) // the day reset and the issue
	if _, _, open, err := st.LoadHall("students"); err != nil || len(open) != 1 || openKeys() != 1 {
		t.Fatalf("after a reset of 30: %d open, %d keys in the open index, %v; want 1, 1", len(open), openKeys(), err)
	}
	issue(69)
	nextDay()
	if _, err := q.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk"}); err == nil || !strings.Contains(err.Error(), "too big") {
		t.Fatalf("a reset of 70 waiting tickets (over a Txn) = %v, want refused as too big", err)
	}
	if _, _, open, err := st.LoadHall("students"); err != nil || len(open) != 70 || openKeys() != 70 {
		t.Fatalf("after the refused reset: %d open, %d keys in the open index, %v; want 70 (nothing written)", len(open), openKeys(), err)
	}
	// On a cluster that allows more (etcdtest runs --max-txn-ops DevMaxTxnOps, as docs/HA.md
	// asks of production), the store told the cluster's limit commits the same reset at once.
	max, err := etcd.ProbeMaxTxnOps(ctx, cli, "/r/", 1<<16)
	if err != nil || max != etcdtest.DevMaxTxnOps {
		t.Fatalf("probed --max-txn-ops = %d, %v; want %d", max, err, etcdtest.DevMaxTxnOps)
	}
	st.SetMaxTxnOps(etcd.QueueTxnOps(max))
	if _, err := q.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk"}); err != nil {
		t.Fatalf("the reset of 70 with the cluster's limit: %v", err)
	}
	if _, _, open, err := st.LoadHall("students"); err != nil || len(open) != 1 || openKeys() != 1 {
		t.Fatalf("after the reset of 70: %d open, %d keys in the open index, %v; want 1, 1", len(open), openKeys(), err)
	}
	if got := etcd.QueueTxnOps(128); got != etcd.MaxTxnOps {
		t.Fatalf("QueueTxnOps(128) = %d, want MaxTxnOps %d (etcd's default)", got, etcd.MaxTxnOps)
	}
}
