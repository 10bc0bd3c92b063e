package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/authkit"
	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/cases"
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
	// The case system: cases opened (one with an idempotency key), replied, rated, closed, one
	// with an attachment; a re-route learned and forgotten; a webhook cursor.
	cs, err := bolt.NewCases(ctx, db, campus.Demo(), cases.Config{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	var opened []*hall.Case
	for i := range 12 {
		c, err := cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelKiosk, IdempotencyKey: fmt.Sprint("c", i),
			Text: fmt.Sprintf("宿舍%d号楼的空调坏了，一直没人来修", i), Requester: hall.Requester{Name: "张三", Phone: "13812345678"}})
		if err != nil {
			t.Fatal(err)
		}
		opened = append(opened, c)
	}
	c0 := opened[0]
	for _, a := range []string{hall.CaseActSign, hall.CaseActReply} {
		if _, err := cs.Act(ctx, hall.CaseAction{Case: c0.ID, Action: a, Actor: "h-" + c0.Department, Role: hall.RoleHandler,
			ActorDepartment: c0.Department, Text: "好的，已处理"}); err != nil {
			t.Fatal(a, err)
		}
	}
	if _, err := cs.Rate(ctx, c0.Token, hall.Rating{Stars: 5, Comment: "很快"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Act(ctx, hall.CaseAction{Case: opened[1].ID, Action: hall.CaseActNotAccept, Role: hall.RoleSupervisor,
		Actor: "supervisor", ActorDepartment: hall.OfficeDepartment, Text: "不属于受理范围"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Act(ctx, hall.CaseAction{Case: opened[2].ID, Action: hall.CaseActDispatch, Role: hall.RoleSupervisor,
		Actor: "supervisor", ActorDepartment: hall.OfficeDepartment, Department: "library"}); err != nil {
		t.Fatal(err)
	}
	file := []byte("a photo of the broken air conditioner")
	sum := sha256.Sum256(file)
	if _, err := cs.AddDetailsWithFiles(ctx, opened[3].Token, "照片", []hall.AttachmentFile{{Attachment: hall.Attachment{
		ID: hex.EncodeToString(sum[:]), Name: "a.txt", Type: "text/plain", Size: int64(len(file))}, Data: file}}); err != nil {
		t.Fatal(err)
	}
	caseMeta := cs.Meta()
	want := map[string]*hall.Case{}
	for _, c := range opened {
		if want[c.ID], err = cs.Get(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	cs.Close()
	dl, err := bolt.NewDeliveryStore(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := dl.SetCursor(ctx, "webhook", 7); err != nil {
		t.Fatal(err)
	}
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
	if !strings.Contains(out.String(), "migrated 9 account records (staff 2, device 1, revoked 1, audit 5; sessions are not copied), verified record by record") {
		t.Errorf("migrate back said %q", out.String())
	}
	if a, b := authRecords(t, orig), authRecords(t, back); len(a) != 9 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("account records: original %d, round trip %d, or they differ", len(a), len(b))
	}
	if !strings.Contains(out.String(), "case records") {
		t.Fatalf("migrate back said %q", out.String())
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
	ca, cb := caseRecords(t, orig), caseRecords(t, back)
	if len(ca) < 12+1+12 || len(ca) != len(cb) {
		t.Fatalf("original has %d case records, the round trip %d", len(ca), len(cb))
	}
	for k, v := range ca {
		if !bytes.Equal(cb[k], v) {
			t.Fatalf("case record %q differs after the round trip", k)
		}
	}
	for _, k := range []string{"blob/" + hex.EncodeToString(sum[:]), "cursor/webhook"} {
		if cb[k] == nil {
			t.Fatalf("no %s after the round trip", k)
		}
	}
	// The file back opens as a case system with the same cases, found by the search.
	bdb, err := bolt.OpenWith(back, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bcs, err := bolt.NewCases(ctx, bdb, campus.Demo(), cases.Config{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if bcs.Meta() != caseMeta {
		t.Fatalf("case meta back %+v, want %+v", bcs.Meta(), caseMeta)
	}
	if found, err := bcs.List(ctx, hall.CaseFilter{Text: opened[5].Number}); err != nil || len(found) != 1 {
		t.Fatalf("search the file back: %v %v", found, err)
	}
	if got, err := bcs.ReadAttachment(ctx, hex.EncodeToString(sum[:])); err != nil || !bytes.Equal(got, file) {
		t.Fatalf("attachment back: %q %v", got, err)
	}
	bcs.Close()
	bdb.Close()
	// The services on etcd: what the file held, and their IDs carry on.
	checkServicesOnEtcd(t, ctx, c.Endpoints(), booked, first)
	// A queue on etcd starts from the migrated state and carries on numbering.
	cli, term := etcdOwner(t, ctx, c.Endpoints())
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
	// The case system on etcd starts from the migrated state: the same cases (by ID, number,
	// token), the same keys, found by the search, numbering carried on, the attachment there.
	ecs, err := enginehost.NewCases(ctx, etcd.NewCaseStore(cli, etcd.DefaultPrefix, term.Fence, nil), campus.Demo(), cases.Config{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer ecs.Close()
	if ecs.Meta() != caseMeta {
		t.Fatalf("case meta on etcd %+v, want %+v", ecs.Meta(), caseMeta)
	}
	for id, w := range want {
		g, err := ecs.Get(ctx, w.Number)
		if err != nil || g.ID != id || len(g.Timeline) != len(w.Timeline) || len(g.Ratings) != len(w.Ratings) || g.State != w.State {
			t.Fatalf("case %s on etcd: %+v %v, want %+v", w.Number, g, err, w)
		}
	}
	if again, err := ecs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelKiosk, IdempotencyKey: "c4", Text: "again"}); err != nil || again.ID != opened[4].ID {
		t.Fatalf("idempotency key on etcd: %v %v", again, err)
	}
	if found, err := ecs.List(ctx, hall.CaseFilter{Text: "空调"}); err != nil || len(found) != len(opened) {
		t.Fatalf("search on etcd: %d %v", len(found), err)
	}
	if got, err := ecs.ReadAttachment(ctx, hex.EncodeToString(sum[:])); err != nil || !bytes.Equal(got, file) {
		t.Fatalf("attachment on etcd: %q %v", got, err)
	}
	next, err := ecs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelKiosk, Text: "图书馆占座"})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if next.Number == w.Number {
			t.Fatalf("case number %s twice after the migration", next.Number)
		}
	}
	if seq, ok, err := etcd.NewDeliveryStore(cli, etcd.DefaultPrefix, term.Fence).Cursor(ctx, "webhook"); err != nil || !ok || seq != 7 {
		t.Fatalf("webhook cursor on etcd: %d %v %v", seq, ok, err)
	}
}

// caseRecords reads a file's case records by identity.
func caseRecords(t *testing.T, path string) map[string][]byte {
	t.Helper()
	db, err := bolt.OpenWith(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]byte{}
	if err := db.CaseRecords(context.Background(), func(r bolt.CaseRecord) error {
		out[r.Kind+"/"+r.Key] = bytes.Clone(r.Value)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
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
