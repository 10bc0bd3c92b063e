package kiosk

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// TestSpoolOpensExistingFile: a spool file written by an earlier kiosk (buckets pending,
// delivered and failed, JSON values) keeps working: its pending request is delivered and its
// delivered receipt found; the delivery lands in the same "delivered" bucket.
func TestSpoolOpensExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kiosk-outbox.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		old := map[string]map[string]string{
			"pending": {"k-pending": `{"kind":"complaint","topic":"course-selection","hall":"students","lang":"zh","idempotencyKey":"k-pending","confirmedAt":"2026-12-01T09:00:00Z"}`},
			"delivered": {"k-done": `{"request":{"kind":"suggestion","topic":"course-selection","hall":"students","lang":"en","idempotencyKey":"k-done","confirmedAt":"2026-12-01T08:00:00Z"},` +
				`"receipt":{"id":"case-1","number":"JS20261201-0001","followUrl":"http://x/c/T","department":"academic","dueAt":"2026-12-02T08:00:00Z"},"at":"2026-12-01T08:00:01Z"}`},
			"failed": {},
		}
		for b, kv := range old {
			bk, err := tx.CreateBucket([]byte(b))
			if err != nil {
				return err
			}
			for k, v := range kv {
				if err := bk.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	sp, err := OpenSpool(path)
	if err != nil {
		t.Fatal(err)
	}
	if rec, ok := sp.Delivered("k-done"); !ok || rec.Number != "JS20261201-0001" || rec.Department != "academic" {
		t.Fatalf("delivered receipt of the old file: %+v %v", rec, ok)
	}
	pending, err := sp.Pending()
	if err != nil || len(pending) != 1 || pending[0].IdempotencyKey != "k-pending" || pending[0].Topic != "course-selection" {
		t.Fatalf("pending of the old file: %+v %v", pending, err)
	}
	opener := &fakeOpener{}
	n, waiting, err := sp.DeliverAll(context.Background(), ClientCases(opener))
	if err != nil || n != 1 || waiting || len(opener.keys) != 1 || opener.keys[0] != "k-pending" {
		t.Fatalf("deliver: %d %v %v keys %q", n, waiting, err, opener.keys)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("pending")).Get([]byte("k-pending")) != nil || tx.Bucket([]byte("delivered")).Get([]byte("k-pending")) == nil {
			t.Error("the delivered request is not in the file's delivered bucket")
		}
		var names []string
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error { names = append(names, string(name)); return nil })
		if fmt.Sprint(names) != "[delivered failed pending]" {
			t.Errorf("buckets %q", names)
		}
		return nil
	})
}

// fakeOpener stands in for the client: it answers with a case, or with err when set.
type fakeOpener struct {
	err  error
	keys []string
	got  wire.OpenCase
}

func (f *fakeOpener) OpenCase(_ context.Context, req wire.OpenCase, key string) (*wire.OpenedCase, error) {
	f.keys, f.got = append(f.keys, key), req
	if f.err != nil {
		return nil, f.err
	}
	return &wire.OpenedCase{ID: "case-1", Number: "JS1", FollowURL: "http://x/c/T", Department: "academic",
		DueAt: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)}, nil
}

// TestClientCasesSubmit: the request the kiosk sends (kiosk channel, the topic as category, the
// reference in the title, the key), and which answers keep a request in the spool for later
// (ErrCasesUnavailable) and which refuse it for good.
func TestClientCasesSubmit(t *testing.T) {
	r := CaseRequest{Kind: KindComplaint, Topic: "course-selection", Hall: "students", TicketID: "t-1", Lang: "zh", IdempotencyKey: "abcdef123456",
		Text: "投诉：选课与教学", Phone: "13800138000", FollowToken: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"}
	f := &fakeOpener{}
	rec, err := ClientCases(f).Submit(context.Background(), r)
	if err != nil || rec.Number != "JS1" || rec.Department != "academic" || rec.FollowURL != "http://x/c/T" || rec.DueAt.IsZero() {
		t.Fatalf("receipt %+v %v", rec, err)
	}
	// The kind and topic in words as the text (no fixed placeholder: it made a bogus hot topic),
	// the reference after them in the title, the call-back number as the requester's phone.
	want := wire.OpenCase{Hall: "students", Kind: hall.KindComplaint, Category: "course-selection", Channel: hall.ChannelKiosk,
		TicketID: "t-1", Title: "投诉：选课与教学 " + Reference(r.IdempotencyKey), Text: "投诉：选课与教学", Lang: "zh",
		FollowToken: r.FollowToken}
	got := f.got
	if got.Requester == nil || *got.Requester != (hall.Requester{Phone: "13800138000"}) {
		t.Fatalf("requester %+v", got.Requester)
	}
	got.Requester = nil
	if got != want || f.keys[0] != r.IdempotencyKey {
		t.Fatalf("sent %+v key %q; want %+v", got, f.keys[0], want)
	}
	for _, tc := range []struct {
		err   error
		later bool
	}{
		{errors.New("dial tcp: connection refused"), true},
		{hall.Errorf(hall.ENOTFOUND, "", "404 page not found"), true},
		{hall.Errorf(wire.ETIMEOUT, "", "slow"), true},
		{hall.Errorf(wire.ETOOMANY, "", "later"), true},
		{hall.Errorf(hall.EUNAVAILABLE, "", "down"), true},
		{hall.Errorf(hall.EINTERNAL, "", "bug"), true},
		{hall.Errorf(hall.EFORBIDDEN, "hall", "not this hall"), false},
		{hall.Errorf(hall.EINVALID, "category", "unknown"), false},
		{hall.Errorf(hall.EUNPROCESSABLE, "", "no"), false},
	} {
		_, err := ClientCases(&fakeOpener{err: fmt.Errorf("POST /api/v1/cases: %w", tc.err)}).Submit(context.Background(), r)
		if err == nil || errors.Is(err, ErrCasesUnavailable) != tc.later {
			t.Errorf("%v: got %v, want later=%v", tc.err, err, tc.later)
		}
	}
}
