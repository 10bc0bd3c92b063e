package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/authkit"
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
	for i := range 30 {
		h := []string{"students", "teachers"}[i%2]
		if _, err := q.Issue(ctx, hall.IssueRequest{Hall: h, Service: "A", Channel: "kiosk", IdempotencyKey: fmt.Sprint("k", i)}); err != nil && h == "students" {
			t.Fatal(err)
		}
	}
	for _, act := range []string{hall.ActOpen, hall.ActCallNext, hall.ActStart, hall.ActFinish, hall.ActCallNext} {
		if _, err := q.Act(ctx, hall.CounterAction{Hall: "students", Counter: 1, Action: act, Actor: "counter1"}); err != nil {
			t.Fatal(act, err)
		}
	}
	last, _ := q.LastSeq("students")
	q.Close()
	// Accounts: staff (one added by an administrator), devices (one revoked), a session, and
	// their audit entries.
	auth := bolt.NewAuth(db)
	if err := auth.CreateStaff(ctx, hall.Staff{Username: "admin", Role: hall.RoleAdmin}, "pw admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.AddStaff(ctx, "admin", hall.Staff{Username: "li", Role: hall.RoleCounter, Halls: []string{"students"}}, "pw li"); err != nil {
		t.Fatal(err)
	}
	_, kioskToken, err := auth.EnrolDevice(ctx, "admin", hall.Device{Role: hall.RoleKiosk, Hall: "students", Name: "东门"})
	if err != nil {
		t.Fatal(err)
	}
	gone, _, err := auth.EnrolDevice(ctx, "admin", hall.Device{Role: hall.RoleDisplay, Hall: "students"})
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeDevice(ctx, "admin", gone.ID); err != nil {
		t.Fatal(err)
	}
	session, _, err := auth.Login(ctx, "li", "pw li")
	if err != nil {
		t.Fatal(err)
	}
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
	if !strings.Contains(out.String(), "migrated 9 records (staff 2, device 1, revoked 1, audit 5) of accounts (sessions are not copied), verified record by record") {
		t.Errorf("migrate back said %q", out.String())
	}
	if a, b := authRecords(t, orig), authRecords(t, back); len(a) != 9 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("account records: original %d, round trip %d, or they differ", len(a), len(b))
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
	// A queue on etcd starts from the migrated state and carries on numbering.
	cli, err := etcd.Dial(c.Endpoints(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	// The accounts on etcd: the password signs in, the device token works, the revoked device
	// is listed as revoked, the audit trail came along; the session did not (not copied).
	ea := etcd.NewAuth(cli, etcd.DefaultPrefix, nil, nil)
	if p, err := ea.Authenticate(ctx, kioskToken); err != nil || p.Subject == "" {
		t.Errorf("the migrated device: %+v %v", p, err)
	}
	if _, err := ea.Authenticate(ctx, session); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Errorf("a session was migrated: %v", err)
	}
	if s, err := ea.Staff(ctx, "li"); err != nil || !authkit.CheckPassword(s, nil, "pw li") {
		t.Errorf("the migrated account li: %+v %v", s, err)
	}
	if ds, err := ea.ListDevices(ctx); err != nil || len(ds) != 2 || (ds[0].RevokedAt == nil) == (ds[1].RevokedAt == nil) {
		t.Errorf("the migrated devices: %+v %v", ds, err)
	}
	_, entries, err := etcd.NewAuditTrail(cli, etcd.DefaultPrefix, nil).Before(ctx, "", 100)
	if err != nil || len(entries) != 5 || entries[0].Kind != hall.AuditLogin || entries[4].Kind != hall.AuditStaffAdded {
		t.Errorf("the migrated audit trail: %+v %v", entries, err)
	}
	term, err := etcd.Campaign(ctx, cli, etcd.DefaultPrefix, 3, "http://test")
	if err != nil {
		t.Fatal(err)
	}
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

// authRecords reads a file's account records, as "kind/key=value" in order.
func authRecords(t *testing.T, path string) []string {
	t.Helper()
	db, err := bolt.OpenWith(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	if err := db.AuthRecords(context.Background(), func(r bolt.AuthRecord) error {
		out = append(out, r.Kind+"/"+r.Key+"="+string(r.Value))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// records reads a file's queue records by identity.
func records(t *testing.T, path string) map[string][]byte {
	t.Helper()
	db, err := bolt.OpenWith(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]byte{}
	if err := db.QueueRecords(context.Background(), func(r bolt.QueueRecord) error {
		out[r.Kind+"/"+r.Hall+"/"+r.Key] = bytes.Clone(r.Value)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
