package bolt

import (
	"context"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// A failed commit (injected) shows in Storage until a commit succeeds again; the free space of
// the data file's file system is reported.
func TestStorageReportsAFailedCommit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.db.health.probeEvery = time.Hour // no probe: only real commits change the state
	e.issue("h1", "A")
	if st := e.db.Storage(); st.CommitError != nil || st.FreeBytes <= 0 {
		t.Fatalf("after a good commit: %+v", st)
	}
	e.fp.fail.Store(1)
	if _, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "h1", Service: "A"}); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("issue during a failing commit: %v", err)
	}
	st := e.db.Storage()
	if st.CommitError == nil || st.CommitReason() != "injected commit failure" || st.CommitErrorAt.IsZero() {
		t.Fatalf("after a failed commit: %+v (reason %q)", st, st.CommitReason())
	}
	e.issue("h1", "A")
	if st := e.db.Storage(); st.CommitError != nil {
		t.Fatalf("after the next good commit: %+v", st)
	}
	// The case committer reports too.
	cs := newCaseEnv(t)
	cs.db.health.probeEvery = time.Hour
	cs.fp.fail.Store(1)
	if _, err := cs.cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelCounter, Text: "食堂饭菜太贵", Department: "it"}); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatal("case opened during a failing commit")
	}
	if st := cs.db.Storage(); st.CommitError == nil {
		t.Fatalf("after a failed case commit: %+v", st)
	}
}

// While the last commit failed, Storage tries a small write itself: a quiet server finds out
// that the storage works again without waiting for a ticket.
func TestStorageProbeClearsTheFailure(t *testing.T) {
	e := newEnv(t)
	e.fp.fail.Store(1)
	if _, err := e.q.Issue(context.Background(), hall.IssueRequest{Hall: "h1", Service: "A"}); err == nil {
		t.Fatal("issue during a failing commit succeeded")
	}
	e.db.health.probeEvery = 0
	if st := e.db.Storage(); st.CommitError != nil {
		t.Fatalf("after the probe: %+v", st)
	}
}
