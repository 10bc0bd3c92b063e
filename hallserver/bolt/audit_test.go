package bolt

import (
	"context"
	"errors"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
)

// TestAuditReadsHallLogs: counter actions are audit entries read from the hall's log, with the
// clerk as actor, both while they are only in the WAL's overlay and after the checkpoint wrote
// them to the file; tickets issued are not listed; until finds the older ones by time across
// halls (binary search) and the entries come newest first.
func TestAuditReadsHallLogs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := NewAudit(e.db, 0, e.clk.Now, nil)
	e.mustAct("h1", 1, hall.ActOpen, "")
	e.issue("h1", "A")
	e.clk.Add(time.Minute)
	mid := e.clk.Now()
	e.clk.Add(time.Minute)
	called := e.mustAct("h1", 1, hall.ActCallNext, "")
	e.clk.Add(time.Second)
	e.mustAct("h2", 2, hall.ActOpen, "")
	check := func(when string) {
		t.Helper()
		p, err := a.Audit(ctx, hall.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, en := range p.Entries {
			kinds = append(kinds, en.Kind+"@"+en.Target)
			if en.Actor != "counter1" {
				t.Fatalf("%s: actor of %+v", when, en)
			}
		}
		want := []string{"counter.state@h2/counter/2", "ticket.called@" + called.ID, "counter.state@h1/counter/1"}
		if len(kinds) != len(want) {
			t.Fatalf("%s: %v, want %v", when, kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("%s: %v, want %v", when, kinds, want)
			}
		}
		old, err := a.Audit(ctx, hall.AuditQuery{Until: mid})
		if err != nil || len(old.Entries) != 1 || old.Entries[0].Target != "h1/counter/1" {
			t.Fatalf("%s: until %v: %+v %v", when, mid, old, err)
		}
	}
	check("in the overlay")
	e.reopen()
	a = NewAudit(e.db, 0, e.clk.Now, nil)
	check("in the file")
}

// TestPutAuditCommitsWithItsTransaction: an entry put in a transaction that fails is gone with
// it.
func TestPutAuditCommitsWithItsTransaction(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := NewAudit(e.db, 0, e.clk.Now, nil)
	boom := errors.New("boom")
	err := e.db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := PutAudit(tx, hall.AuditEntry{At: e.clk.Now(), Actor: "x", Kind: "campus.applied", Target: "campus"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	err = e.db.bolt.Update(func(tx *bbolt.Tx) error {
		return PutAudit(tx, hall.AuditEntry{At: e.clk.Now(), Actor: "y", Kind: "campus.applied", Target: "campus"})
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Audit(ctx, hall.AuditQuery{Kind: "campus"})
	if err != nil || len(p.Entries) != 1 || p.Entries[0].Actor != "y" {
		t.Fatalf("%+v %v", p, err)
	}
}

// TestAuditPrune: entries older than the retention are deleted in batches, newer ones stay;
// hall log entries older than the retention are left out of answers.
func TestAuditPrune(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustAct("h1", 1, hall.ActOpen, "") // a log entry, old once the clock moves on
	old := e.clk.Now()
	err := e.db.bolt.Update(func(tx *bbolt.Tx) error {
		for i := range 2*auditPruneBatch + 5 {
			if err := PutAudit(tx, hall.AuditEntry{At: old.Add(time.Duration(i) * time.Millisecond), Actor: "a", Kind: hall.AuditLogin}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Add(72 * time.Hour)
	a := NewAudit(e.db, 48*time.Hour, e.clk.Now, nil)
	if err := a.Record(ctx, hall.AuditEntry{Actor: "b", Kind: hall.AuditBackup}); err != nil {
		t.Fatal(err)
	}
	n, err := a.Prune(ctx)
	if err != nil || n != 2*auditPruneBatch+5 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	p, err := a.Audit(ctx, hall.AuditQuery{})
	if err != nil || len(p.Entries) != 1 || p.Entries[0].Actor != "b" {
		t.Fatalf("after prune: %+v %v", p, err)
	}
	if n, err := a.Prune(ctx); err != nil || n != 0 {
		t.Fatalf("second prune: %d %v", n, err)
	}
}
