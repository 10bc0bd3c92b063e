package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/etcd/etcdtest"
	"onedoor/hallserver/hall"
)

// TestMigrateToEtcdAndBack: a data file with tickets issued, called and finished in two halls
// goes to an etcd cluster and back into a new file; the command verifies each copy record by
// record, the round trip holds the same records as the original, and a queue started on etcd
// carries on the numbering.
func TestMigrateToEtcdAndBack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	orig := filepath.Join(dir, "onedoor.db")
	db, err := bolt.OpenWith(orig, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := bolt.NewQueue(ctx, db, campus.Demo(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	var first *hall.Ticket
	for i := range 30 {
		h := []string{"students", "teachers"}[i%2]
		is, err := q.Issue(ctx, hall.IssueRequest{Hall: h, Service: "A", Channel: "kiosk", IdempotencyKey: fmt.Sprint("k", i)})
		if err != nil && h == "students" {
			t.Fatal(err)
		}
		if first == nil {
			first = &is.Ticket
		}
	}
	for _, act := range []string{hall.ActOpen, hall.ActCallNext, hall.ActStart, hall.ActFinish, hall.ActCallNext} {
		if _, err := q.Act(ctx, hall.CounterAction{Hall: "students", Counter: 1, Action: act, Actor: "counter1"}); err != nil {
			t.Fatal(act, err)
		}
	}
	last, _ := q.LastSeq("students")
	booked := fillServices(t, ctx, db, first.Token)
	q.Close()
	db.Close()

	c, err := etcdtest.Start(ctx, filepath.Join(dir, "etcd"), etcdtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	urls := strings.Join(c.Endpoints(), ",")
	var out bytes.Buffer
	if err := run(ctx, []string{"migrate", "-from", orig, "-to-etcd", urls}, nil, &out, &out); err != nil {
		t.Fatalf("migrate to etcd: %v\n%s", err, out.String())
	}
	t.Log(strings.TrimSpace(out.String()))
	if !strings.Contains(out.String(), "verified record by record") {
		t.Fatalf("migrate said %q", out.String())
	}
	// Again into the same cluster: refused, nothing written twice.
	if err := run(ctx, []string{"migrate", "-from", orig, "-to-etcd", urls}, nil, &out, &out); err == nil {
		t.Fatal("a second migration into a cluster holding queues was accepted")
	}
	back := filepath.Join(dir, "back.db")
	out.Reset()
	if err := run(ctx, []string{"migrate", "-from-etcd", urls, "-to", back}, nil, &out, &out); err != nil {
		t.Fatalf("migrate back: %v\n%s", err, out.String())
	}
	a, b := records(t, orig), records(t, back)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("original has %d queue records, the round trip %d", len(a), len(b))
	}
	for k, v := range a {
		if !bytes.Equal(b[k], v) {
			t.Fatalf("record %q differs after the round trip", k)
		}
	}
	// The services on etcd: what the file held, and their IDs carry on.
	checkServicesOnEtcd(t, ctx, c.Endpoints(), booked, first)
	// A queue on etcd starts from the migrated state and carries on numbering.
	cli, term := etcdOwner(t, ctx, c.Endpoints())
	defer cli.Close()
	defer term.Resign()
	eq, err := enginehost.NewQueue(ctx, etcd.NewQueueStore(cli, etcd.DefaultPrefix, term.Fence, nil), campus.Demo(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer eq.Close()
	if got, _ := eq.LastSeq("students"); got != last {
		t.Fatalf("on etcd the hall's last seq is %d, want %d", got, last)
	}
	is, err := eq.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk"})
	if err != nil || is.Ticket.Number != "A016" {
		t.Fatalf("next ticket on etcd = %v, %v; want A016", is, err)
	}
}

// records reads a file's queue and service records by identity.
func records(t *testing.T, path string) map[string][]byte {
	t.Helper()
	db, err := bolt.OpenWith(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]byte{}
	put := func(r bolt.QueueRecord) error {
		out[r.Kind+"/"+r.Hall+"/"+r.Key] = bytes.Clone(r.Value)
		return nil
	}
	if err := db.QueueRecords(context.Background(), put); err != nil {
		t.Fatal(err)
	}
	if err := db.ServiceRecords(context.Background(), put); err != nil {
		t.Fatal(err)
	}
	return out
}
