package bolt

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
)

// copyFiles copies the data file and its WAL segments to dir, as a crash would leave them.
func copyFiles(t *testing.T, path, dir string) string {
	t.Helper()
	names, _ := filepath.Glob(path + "*")
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(n)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, filepath.Base(path))
}

// Tickets acknowledged but not yet checkpointed into the file (a crash right after the commit)
// are replayed from the WAL at the next Open: followable, numbered on, the open index and the
// event log complete; and the copy's WAL is gone once replayed.
func TestWALReplayAfterCrash(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.issue("h1", "A")
	if err := e.db.qlog.flush(); err != nil {
		t.Fatal(err)
	}
	// Hold the checkpointer: what is issued now is only in the WAL.
	e.db.qlog.ckptMu.Lock()
	var acked []*hall.Issued
	for i := 0; i < 5; i++ {
		acked = append(acked, e.issue("h1", "A"))
	}
	keyed, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "h2", Service: "B", IdempotencyKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	crashed := copyFiles(t, e.path, t.TempDir())
	e.db.qlog.ckptMu.Unlock()

	db, err := Open(crashed)
	if err != nil {
		t.Fatal(err)
	}
	if names, _ := filepath.Glob(walPattern(crashed)); len(names) != 0 {
		t.Errorf("WAL files left after the replay: %v", names)
	}
	q, err := NewQueue(ctx, db, e.campus, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { q.Close(); db.Close() }()
	for _, iss := range append([]*hall.Issued{first}, acked...) {
		f, err := q.Follow(ctx, iss.Ticket.Token)
		if err != nil || f.Number != iss.Ticket.Number {
			t.Fatalf("ticket %s after the crash: %+v %v", iss.Ticket.Number, f, err)
		}
	}
	w, _ := q.Waiting(ctx, "h1")
	if len(w) != 6 {
		t.Fatalf("%d waiting in h1 after the crash, want 6", len(w))
	}
	evs, ok, err := q.Since(ctx, "h1", 0)
	if err != nil || !ok || len(evs) != 6 {
		t.Fatalf("h1's log after the crash: %d events %v %v", len(evs), ok, err)
	}
	again, err := q.Issue(ctx, hall.IssueRequest{Hall: "h2", Service: "B", IdempotencyKey: "k1"})
	if err != nil || again.Ticket.ID != keyed.Ticket.ID {
		t.Fatalf("idempotency key after the crash: %+v %v", again, err)
	}
	if n := e.issueOn(q, "h1", "A").Ticket.Number; n != "A007" {
		t.Fatalf("numbering after the crash goes on at %s, want A007", n)
	}
}

func (e *env) issueOn(q *Queue, hallCode, svc string) *hall.Issued {
	e.t.Helper()
	iss, err := q.Issue(context.Background(), hall.IssueRequest{Hall: hallCode, Service: svc, Channel: "test"})
	if err != nil {
		e.t.Fatalf("issue %s/%s: %v", hallCode, svc, err)
	}
	return iss
}

// A file of the layout before the WAL (no "wal" bucket, no segments) opens and goes on; a torn
// record at the end of a segment (a crash mid-append) is ignored.
func TestOldLayoutAndTornRecord(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.issue("h1", "A")
	e.close()
	// The layout before this change: the same buckets without "wal".
	b, err := bbolt.Open(e.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket(bucketWAL) }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	e.open()
	f, err := e.q.Follow(ctx, a.Ticket.Token)
	if err != nil || f.Number != "A001" {
		t.Fatalf("old file: %+v %v", f, err)
	}
	e.db.qlog.ckptMu.Lock()
	e.issue("h1", "A")
	crashed := copyFiles(t, e.path, t.TempDir())
	e.db.qlog.ckptMu.Unlock()
	// Tear the last record: its bytes end early.
	segs, _ := filepath.Glob(walPattern(crashed))
	if len(segs) != 1 {
		t.Fatalf("segments: %v", segs)
	}
	st, _ := os.Stat(segs[0])
	if err := os.Truncate(segs[0], st.Size()-3); err != nil {
		t.Fatal(err)
	}
	db, err := Open(crashed)
	if err != nil {
		t.Fatal(err)
	}
	q, err := NewQueue(ctx, db, e.campus, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { q.Close(); db.Close() }()
	if n := e.issueOn(q, "h1", "A").Ticket.Number; n != "A002" {
		t.Fatalf("after a torn record the next number is %s, want A002 (the torn issue was never acknowledged)", n)
	}
}
