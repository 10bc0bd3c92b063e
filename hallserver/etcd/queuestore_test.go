package etcd_test

import (
	"context"
	"errors"
	"fmt"
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

// TestCommitSplitsBatchesOverTxnLimits: one batch of 100 issues (about 500 operations, four
// times etcd's default --max-txn-ops) commits whole, in order, every event readable.
func TestCommitSplitsBatchesOverTxnLimits(t *testing.T) {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	term, err := etcd.Campaign(ctx, cli, "/s/", 3, "http://a")
	if err != nil {
		t.Fatal(err)
	}
	defer term.Resign()
	st := etcd.NewQueueStore(cli, "/s/", term.Fence, nil)
	var batch []any
	for i := 1; i <= 100; i++ {
		tk := hall.Ticket{ID: fmt.Sprintf("t%03d", i), Number: fmt.Sprintf("A%03d", i), Hall: "h", State: hall.TicketWaiting, Token: fmt.Sprintf("tok%d", i)}
		ch := queue.Change{Tickets: []hall.Ticket{tk},
			Events: []hall.Event{{Seq: uint64(i), Type: hall.EventIssued, Hall: "h", Ticket: &tk}}}
		ch.Meta.Seq = uint64(i)
		w, err := st.Prepare("h", ch, fmt.Sprintf("key%d", i), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, w)
	}
	if err := st.Commit(batch); err != nil {
		t.Fatalf("commit of a batch over the Txn limit: %v", err)
	}
	evs, err := st.Events(ctx, "h", 0, 100, 1000)
	if err != nil || len(evs) != 100 {
		t.Fatalf("events after the split commit: %d, %v; want 100", len(evs), err)
	}
	meta, _, open, err := st.LoadHall("h")
	if err != nil || meta.Seq != 100 || len(open) != 100 {
		t.Fatalf("LoadHall = seq %d, %d open, %v; want 100, 100", meta.Seq, len(open), err)
	}
	if tk, err := st.TicketByToken(ctx, "tok77"); err != nil || tk.ID != "t077" {
		t.Fatalf("TicketByToken(tok77) = %v, %v", tk, err)
	}
	if rec, err := st.Idem("h", "key42"); err != nil || rec.ID != "t042" || rec.Seq != 42 {
		t.Fatalf("Idem(key42) = %+v, %v", rec, err)
	}
}
