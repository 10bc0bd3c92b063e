package bolt

import (
	"context"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// Tests of what Queue and Cases now share through the engine host (package enginehost): the
// same behaviour at shutdown, the same commit figures, the same fault hook.

// A command refused because the queue is closing leaves nothing behind: the engine that already
// applied it is dropped and reloaded from the file, so nobody is shown a ticket that was never
// written (before the engine host, Queue kept its engine as it was; Cases dropped it).
func TestClosedQueueForgetsRefusedChange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.issue("h1", "A")
	e.q.Close()
	if _, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "h1", Service: "A"}); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("issue after Close: %v, want unavailable", err)
	}
	w, err := e.q.Waiting(ctx, "h1")
	if err != nil || len(w) != 1 || w[0].Number != "A001" {
		t.Fatalf("waiting after a refused issue: %+v %v; want only A001", w, err)
	}
	if _, err := e.q.Ticket(ctx, "h1", "A002"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("the refused ticket A002: %v, want not found", err)
	}
}

// The same for the case system.
func TestClosedCasesForgetRefusedChange(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	e.openCase(hall.OpenCaseRequest{Text: "校园网晚上总是断线"})
	e.cs.Close()
	if _, err := e.cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelCounter, Text: "食堂饭菜太贵", Department: "it"}); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("open after Close: %v, want unavailable", err)
	}
	if open, err := e.cs.List(ctx, hall.CaseFilter{Open: true}); err != nil || len(open) != 1 {
		t.Fatalf("open cases after a refused open: %d %v; want 1", len(open), err)
	}
}

// The case committer keeps the same figures as the queue's, and its commits can be held and
// failed by the same hook: changes queued behind a failing batch fail too, and count as failed.
func TestCasesCommitStatsAndStackedFailure(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	first := e.openCase(hall.OpenCaseRequest{Text: "校园网晚上总是断线"})
	if st := e.cs.CommitStats(); st.Batches != 1 || st.Changes != 1 || st.Failed != 0 {
		t.Fatalf("stats after one open: %+v", st)
	}
	held, release := e.fp.holdOnce()
	e.fp.fail.Store(1)
	errs := make(chan error, 4)
	go func() {
		_, err := e.cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelCounter, Text: "食堂饭菜太贵", Department: "it"})
		errs <- err
	}()
	<-held // the first change is in the committer, about to fail
	queued := e.fp.enqueued.Load()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			_, err := e.cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelCounter, Text: "宿舍空调坏了", Department: "it"})
			errs <- err
		})
	}
	for e.fp.enqueued.Load() != queued+3 { // all three behind the held batch
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	for range 4 {
		if err := <-errs; hall.ErrorCode(err) != hall.EUNAVAILABLE {
			t.Fatalf("open in or behind a failed commit: %v, want unavailable", err)
		}
	}
	if st := e.cs.CommitStats(); st.Failed != 4 || st.Changes != 1 {
		t.Fatalf("stats after the failure: %+v; want 4 failed, 1 committed", st)
	}
	second := e.openCase(hall.OpenCaseRequest{Text: "食堂饭菜太贵"})
	if want := first.Number[:len(first.Number)-4] + "0002"; second.Number != want {
		t.Fatalf("number after the failure %s, want %s", second.Number, want)
	}
}
