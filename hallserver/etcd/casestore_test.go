package etcd_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/campus"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
)

// caseOwner starts the case system on the cluster as the owner of a new term.
func caseOwner(t *testing.T, ctx context.Context, cli *clientv3.Client, addr string) (*enginehost.Cases, *etcd.CaseStore, *etcd.Term) {
	t.Helper()
	term, err := etcd.Campaign(ctx, cli, "/t/", 3, addr)
	if err != nil {
		t.Fatal(err)
	}
	st := etcd.NewCaseStore(cli, "/t/", term.Fence, nil)
	cs, err := enginehost.NewCases(ctx, st, campus.Demo(), cases.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cs, st, term
}

func caseJSON(t *testing.T, c *hall.Case) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func handler(id, action, dept string) hall.CaseAction {
	return hall.CaseAction{Case: id, Action: action, Actor: "h-" + dept, Role: hall.RoleHandler, ActorDepartment: dept, Text: "好的，已处理"}
}

// TestCasesOnEtcdCarryOnAcrossOwners: cases opened by 8 concurrent clients with idempotency
// keys, signed, replied, rated and closed under one owner are all there, as they were, after a
// new owner loads the case system from etcd: by ID, number and token, in the lists of open and
// closed cases, in the search; the keys answer the same cases; numbering carries on; the case
// event log replays gap-free with each event's case as it was; the old owner's writes are
// refused (fenced).
func TestCasesOnEtcdCarryOnAcrossOwners(t *testing.T) {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cs1, st1, term1 := caseOwner(t, ctx, cli, "http://a")

	var mu sync.Mutex
	opened := map[string]*hall.Case{} // idempotency key → case
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for k := range 8 {
		wg.Go(func() {
			for i := range 6 {
				key := fmt.Sprintf("k%d-%d", k, i)
				c, err := cs1.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelKiosk, IdempotencyKey: key,
					Text: fmt.Sprintf("宿舍%d号楼的空调坏了%d天了，一直没人来修", k, i), Requester: hall.Requester{Name: "张三", Phone: "13812345678"}})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				opened[key] = c
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	numbers := map[string]bool{}
	for _, c := range opened {
		if numbers[c.Number] {
			t.Fatalf("number %s twice", c.Number)
		}
		numbers[c.Number] = true
	}
	// One case through sign, reply, rating; another closed by the office.
	var routed, closed *hall.Case
	for _, c := range opened {
		if routed == nil {
			routed = c
		} else if closed == nil {
			closed = c
		}
	}
	if _, err := cs1.Act(ctx, handler(routed.ID, hall.CaseActSign, routed.Department)); err != nil {
		t.Fatal(err)
	}
	if _, err := cs1.Act(ctx, handler(routed.ID, hall.CaseActReply, routed.Department)); err != nil {
		t.Fatal(err)
	}
	if _, err := cs1.Rate(ctx, routed.Token, hall.Rating{Stars: 5, Comment: "很快"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs1.Act(ctx, hall.CaseAction{Case: closed.Number, Action: hall.CaseActNotAccept, Role: hall.RoleSupervisor,
		Actor: "supervisor", ActorDepartment: hall.OfficeDepartment, Text: "不属于受理范围"}); err != nil {
		t.Fatal(err)
	}
	meta := cs1.Meta()
	want := map[string]string{}
	for _, c := range opened {
		g, err := cs1.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		want[c.ID] = caseJSON(t, g)
	}
	cs1.Close()
	term1.Resign()

	cs2, _, term2 := caseOwner(t, ctx, cli, "http://b")
	defer term2.Resign()
	defer cs2.Close()
	if got := cs2.Meta(); got != meta {
		t.Fatalf("meta %+v, want %+v", got, meta)
	}
	for id, w := range want {
		g, err := cs2.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if caseJSON(t, g) != w {
			t.Fatalf("case %s changed across owners:\n%s\n%s", id, caseJSON(t, g), w)
		}
		if byNum, err := cs2.Get(ctx, g.Number); err != nil || byNum.ID != id {
			t.Fatalf("by number %s: %v %v", g.Number, byNum, err)
		}
		if p, err := cs2.GetByToken(ctx, g.Token); err != nil || p.Number != g.Number {
			t.Fatalf("by token: %+v %v", p, err)
		}
	}
	// The keys answer the same cases.
	for key, c := range opened {
		again, err := cs2.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelKiosk, IdempotencyKey: key, Text: "again"})
		if err != nil || again.ID != c.ID {
			t.Fatalf("key %s: %v %v, want %s", key, again, err, c.ID)
		}
	}
	if open, err := cs2.List(ctx, hall.CaseFilter{Open: true}); err != nil || len(open) != len(opened)-1 {
		t.Fatalf("open cases %d %v, want %d", len(open), err, len(opened)-1)
	}
	if all, err := cs2.List(ctx, hall.CaseFilter{}); err != nil || len(all) != len(opened) {
		t.Fatalf("all cases %d %v, want %d", len(all), err, len(opened))
	}
	if found, err := cs2.List(ctx, hall.CaseFilter{Text: closed.Number}); err != nil || len(found) != 1 || found[0].ID != closed.ID {
		t.Fatalf("search by number: %v %v", found, err)
	}
	if found, err := cs2.List(ctx, hall.CaseFilter{Text: "空调"}); err != nil || len(found) != len(opened) {
		t.Fatalf("search 空调: %d %v", len(found), err)
	}
	next, err := cs2.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelKiosk, Text: "图书馆占座现象严重"})
	if err != nil || numbers[next.Number] {
		t.Fatalf("next case %v %v", next, err)
	}
	// The log replays gap-free, each event's case as it was then.
	evs, ok, err := cs2.Since(ctx, 0)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if uint64(len(evs)) != cs2.LastSeq() {
		t.Fatalf("%d events, last seq %d", len(evs), cs2.LastSeq())
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
		if ev.Case == nil {
			continue
		}
		if ev.Type == hall.CaseEvReceived && (len(ev.Case.Timeline) != 1 || ev.Case.Ratings != nil) {
			t.Fatalf("received event %d: its case %+v", ev.Seq, ev.Case)
		}
		if ev.Type == hall.CaseEvRated && ev.Case.ID == routed.ID && len(ev.Case.Ratings) != 1 {
			t.Fatalf("rated event: %d ratings", len(ev.Case.Ratings))
		}
	}
	// The old owner's store can commit nothing.
	w, err := st1.Prepare("", cases.Change{Meta: cases.Meta{Seq: 999}, Events: []hall.CaseEvent{{Seq: 999}}}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := st1.Commit([]any{w}); !errors.Is(err, etcd.ErrNotOwner) {
		t.Fatalf("commit by the old owner: %v", err)
	}
	if err := st1.ForgetRoutes("someone", 1, time.Now()); !errors.Is(err, etcd.ErrNotOwner) {
		t.Fatalf("forget routes by the old owner: %v", err)
	}
	if r, err := cli.Get(ctx, "/t/c/ev/", clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil || uint64(r.Count) != cs2.LastSeq() {
		t.Fatalf("%d events stored, want %d (%v)", r.Count, cs2.LastSeq(), err)
	}
}

// TestCaseStoreFenceLost: a store whose fence is lost (its lease revoked) commits nothing, and
// what it had committed before stays.
func TestCaseStoreFenceLost(t *testing.T) {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, st, term := caseOwner(t, ctx, cli, "http://a")
	c, err := cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelKiosk, Text: "食堂的饭菜太咸了"})
	if err != nil {
		t.Fatal(err)
	}
	last := cs.LastSeq()
	term.Resign() // the lease is revoked: the election key is gone
	if _, err := cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelKiosk, Text: "another"}); err == nil {
		t.Fatal("open after the fence was lost succeeded")
	}
	if _, err := st.PutBlobs(ctx, []hall.AttachmentFile{blob("x")}); !errors.Is(err, etcd.ErrNotOwner) {
		t.Fatalf("put blobs after the fence was lost: %v", err)
	}
	cs.Close()
	dl := etcd.NewDeliveryStore(cli, "/t/", term.Fence)
	if err := dl.SetCursor(ctx, "webhook", 5); !errors.Is(err, etcd.ErrNotOwner) {
		t.Fatalf("cursor after the fence was lost: %v", err)
	}
	cs2, _, term2 := caseOwner(t, ctx, cli, "http://b")
	defer term2.Resign()
	defer cs2.Close()
	if cs2.LastSeq() != last {
		t.Fatalf("last seq %d, want %d", cs2.LastSeq(), last)
	}
	if g, err := cs2.Get(ctx, c.ID); err != nil || g.Number != c.Number {
		t.Fatalf("case %v %v", g, err)
	}
}

func blob(s string) hall.AttachmentFile {
	h := sha256.Sum256([]byte(s))
	return hall.AttachmentFile{Attachment: hall.Attachment{ID: hex.EncodeToString(h[:]), Name: "f.txt", Type: "text/plain",
		Size: int64(len(s))}, Data: []byte(s)}
}

// TestCaseStoreLongTextAndBlobs: a case whose text has far more search terms than one Txn may
// carry commits (cut in several fenced Txns) and is found by its words; an attachment of 3 MiB
// (several Txns of chunks) reads back byte for byte on the next owner, and a deleted one is gone.
func TestCaseStoreLongTextAndBlobs(t *testing.T) {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, st, term := caseOwner(t, ctx, cli, "http://a")
	var text strings.Builder
	for i := range 300 {
		fmt.Fprintf(&text, "词%d号 ", i)
	}
	text.WriteString("独一无二的钥匙")
	c, err := cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelKiosk, Text: text.String()})
	if err != nil {
		t.Fatal(err)
	}
	big := blob(strings.Repeat("0123456789abcdef", 3<<16))
	small := blob("small")
	created, err := st.PutBlobs(ctx, []hall.AttachmentFile{big, small})
	if err != nil || len(created) != 2 {
		t.Fatalf("put blobs: %v %v", created, err)
	}
	if again, err := st.PutBlobs(ctx, []hall.AttachmentFile{big}); err != nil || len(again) != 0 {
		t.Fatalf("put again: %v %v", again, err)
	}
	if err := st.DeleteBlobs(ctx, []string{small.ID}); err != nil {
		t.Fatal(err)
	}
	cs.Close()
	term.Resign()

	cs2, st2, term2 := caseOwner(t, ctx, cli, "http://b")
	defer term2.Resign()
	defer cs2.Close()
	found, err := cs2.List(ctx, hall.CaseFilter{Text: "独一无二"})
	if err != nil || len(found) != 1 || found[0].ID != c.ID {
		t.Fatalf("search: %v %v", found, err)
	}
	got, err := st2.ReadBlob(ctx, big.ID)
	if err != nil || string(got) != string(big.Data) {
		t.Fatalf("read blob: %d bytes, %v", len(got), err)
	}
	if _, err := st2.ReadBlob(ctx, small.ID); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("deleted blob: %v", err)
	}
}

// TestDeliveryCursorOnEtcd: the cursor and notes a deliverer stores are read by the next owner.
func TestDeliveryCursorOnEtcd(t *testing.T) {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	term, err := etcd.Campaign(ctx, cli, "/t/", 3, "http://a")
	if err != nil {
		t.Fatal(err)
	}
	d := etcd.NewDeliveryStore(cli, "/t/", term.Fence)
	if _, ok, err := d.Cursor(ctx, "webhook"); err != nil || ok {
		t.Fatalf("cursor before any: %v %v", ok, err)
	}
	if err := d.SetCursor(ctx, "webhook", 42); err != nil {
		t.Fatal(err)
	}
	if err := d.PutNote(ctx, "webhook", 43, []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	term.Resign()
	term2, err := etcd.Campaign(ctx, cli, "/t/", 3, "http://b")
	if err != nil {
		t.Fatal(err)
	}
	defer term2.Resign()
	d2 := etcd.NewDeliveryStore(cli, "/t/", term2.Fence)
	if seq, ok, err := d2.Cursor(ctx, "webhook"); err != nil || !ok || seq != 42 {
		t.Fatalf("cursor %d %v %v, want 42", seq, ok, err)
	}
	if n, err := d2.Notes(ctx, "webhook"); err != nil || string(n[43]) != `{"n":1}` {
		t.Fatalf("notes %v %v", n, err)
	}
}

// TestCaseStoreRequesterIndex: a case opened under a signed-in requester's identity is listed
// under it ("my requests", newest first, limited) and names it (whom to tell); another identity
// and an anonymous case are apart.
func TestCaseStoreRequesterIndex(t *testing.T) {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, st, term := caseOwner(t, ctx, cli, "http://a")
	defer term.Resign()
	defer cs.Close()
	me := hall.Identity{Source: hall.IdentityWeCom, ID: "zhangsan"}
	other := hall.Identity{Source: hall.IdentityCAS, ID: "lisi"}
	var mine []string
	for i := range 3 {
		c, err := cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: fmt.Sprintf("第%d次：宿舍没有热水", i),
			Requester: hall.Requester{Name: "张三", Identity: &me}})
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, c.ID)
	}
	if _, err := cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "食堂太挤", Requester: hall.Requester{Identity: &other}}); err != nil {
		t.Fatal(err)
	}
	anon, err := cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelKiosk, Text: "路灯坏了"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.RequesterCases(ctx, me, 2)
	if err != nil || len(got) != 2 || got[0].ID != mine[2] || got[1].ID != mine[1] {
		t.Fatalf("my cases: %v %v", got, err)
	}
	if who, err := st.CaseRequester(ctx, mine[0]); err != nil || who == nil || *who != me {
		t.Fatalf("requester of %s: %v %v", mine[0], who, err)
	}
	if who, err := st.CaseRequester(ctx, anon.ID); err != nil || who != nil {
		t.Fatalf("requester of an anonymous case: %v %v", who, err)
	}
}
