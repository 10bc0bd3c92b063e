package bolt

import (
	"context"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"onedoor/hallserver/authkit/authtest"
	"onedoor/hallserver/hall"
)

// TestRequesterSessions: a session resolves to its identity until it expires or ends; the file
// keeps at most max sessions, dropping the oldest; bad identities are refused.
func TestRequesterSessions(t *testing.T) {
	e := newEnv(t)
	q, err := NewRequesters(e.db, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	q.max = 3
	authtest.Requesters(t, q, e.clk.Add, func() map[string]string { return dump(t, e.db) })
}

// TestRequesterCasesIndex: a case opened with an identity is found under it (newest first)
// after a restart; the identity is in no stored record.
func TestRequesterCasesIndex(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	zhang := &hall.Identity{Source: hall.IdentityCAS, ID: "2021000123"}
	var numbers []string
	for i, who := range []*hall.Identity{zhang, nil, zhang, {Source: hall.IdentityWeCom, ID: "2021000123"}} {
		e.clk.Add(time.Minute)
		c, err := e.cs.Open(ctx, hall.OpenCaseRequest{Kind: hall.KindComplaint, Channel: hall.ChannelWeb, Text: "图书馆座位被占",
			Requester: hall.Requester{Identity: who, Anonymous: i == 2}})
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, c.Number)
	}
	e.reopen()
	q, err := NewRequesters(e.db, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := q.RequesterCases(ctx, *zhang, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Number != numbers[2] || got[1].Number != numbers[0] {
		t.Fatalf("张三's cases: %d, want %s then %s (the anonymous one too: only they see it)", len(got), numbers[2], numbers[0])
	}
	if got[0].Requester.Identity != nil || got[0].Requester.Name != "" {
		t.Errorf("the stored anonymous case carries %+v", got[0].Requester)
	}
}

// TestCaseRequester: the requester of a case is found by its ID (who hears that its reply is
// ready), none for a case opened without an identity; a file whose index has no reverse yet
// gets it filled when opened.
func TestCaseRequester(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	wang := &hall.Identity{Source: hall.IdentityWeCom, ID: "wangwu"}
	var ids []string
	for _, who := range []*hall.Identity{wang, nil} {
		c, err := e.cs.Open(ctx, hall.OpenCaseRequest{Kind: hall.KindConsultation, Channel: hall.ChannelWeb, Text: "校园卡挂失后多久能补办",
			Requester: hall.Requester{Identity: who}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	check := func(when string) {
		t.Helper()
		q, err := NewRequesters(e.db, e.clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		got, err := q.CaseRequester(ctx, ids[0])
		if err != nil || got == nil || got.Source != hall.IdentityWeCom || got.ID != "wangwu" {
			t.Fatalf("%s: the requester of the signed-in case is %+v, %v; want wecom wangwu", when, got, err)
		}
		if got, err := q.CaseRequester(ctx, ids[1]); err != nil || got != nil {
			t.Fatalf("%s: the requester of the case opened without sign-in is %+v, %v; want none", when, got, err)
		}
	}
	check("as written")
	// An older file: the reverse index is empty.
	if err := e.db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := tx.DeleteBucket(bucketCaseRequesterOf); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketCaseRequesterOf)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	check("filled at open")
}
