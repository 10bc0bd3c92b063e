package etcd_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/campus"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
)

// TestReplicaFollowsAcrossOwners: a follower's replica (a watch on the prefix) feeds a hall
// subscriber every event the owner commits, gap-free, and goes on without a break when the owner
// changes; its snapshot and waiting list match the owner's, it replays since=0 from memory, and it
// commits nothing itself.
func TestReplicaFollowsAcrossOwners(t *testing.T) {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q1, term1 := owner(t, ctx, cli, "http://a")
	issue := func(q *enginehost.Queue, n int) {
		var wg sync.WaitGroup
		for k := range 8 {
			wg.Go(func() {
				for i := range n / 8 {
					if _, err := q.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk",
						IdempotencyKey: fmt.Sprintf("%p-%d-%d", q, k, i)}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	issue(q1, 16) // before the replica starts: loaded by Sync

	rp := etcd.NewReplica(cli, "/t/")
	if err := rp.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	rq, err := enginehost.NewQueue(ctx, rp, campus.Demo(), nil, enginehost.AsReplica())
	if err != nil {
		t.Fatal(err)
	}
	defer rq.Close()
	first, _ := rq.LastSeq("students")
	if want, _ := q1.LastSeq("students"); first != want {
		t.Fatalf("replica starts at seq %d, the owner is at %d", first, want)
	}
	sub, unsub := rq.Subscribe("students", 10000)
	defer unsub()
	rctx, stopReplica := context.WithCancel(ctx)
	defer stopReplica()
	ran := make(chan error, 1)
	go func() { ran <- rp.Run(rctx, rq.Replicate) }()

	issue(q1, 80)
	term1.Resign()
	q1.Close()
	q2, term2 := owner(t, ctx, cli, "http://b")
	defer q2.Close()
	defer term2.Resign()
	issue(q2, 40)
	last, _ := q2.LastSeq("students")

	seq := first
	for seq < last {
		select {
		case ev, ok := <-sub:
			if !ok {
				t.Fatalf("the replica's subscription closed at seq %d", seq)
			}
			if ev.Seq != seq+1 {
				t.Fatalf("replica event seq %d after %d: a gap", ev.Seq, seq)
			}
			seq = ev.Seq
		case err := <-ran:
			t.Fatalf("the replica stopped at seq %d: %v", seq, err)
		case <-ctx.Done():
			t.Fatalf("the replica got to seq %d of %d", seq, last)
		}
	}
	snap, err := rq.Snapshot(ctx, "students")
	if err != nil || snap.Seq != last {
		t.Fatalf("replica snapshot at seq %d (%v), want %d", snap.Seq, err, last)
	}
	want, _ := q2.Waiting(ctx, "students")
	got, err := rq.Waiting(ctx, "students")
	if err != nil || len(got) != len(want) || len(got) == 0 {
		t.Fatalf("replica waiting list: %d (%v); the owner's: %d", len(got), err, len(want))
	}
	evs, ok, err := rq.Since(ctx, "students", first)
	if err != nil || !ok || uint64(len(evs)) != last-first || evs[0].Seq != first+1 {
		t.Fatalf("replica replay since %d: %d events, ok %v, %v", first, len(evs), ok, err)
	}
	if _, err := rq.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk"}); err == nil {
		t.Fatal("the replica committed a ticket")
	}
	if got, _ := q2.LastSeq("students"); got != last {
		t.Fatalf("the owner's log moved to %d after the replica's attempt", got)
	}
}
