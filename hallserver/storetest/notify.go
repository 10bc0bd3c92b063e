package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/notify"
)

// NoticeOutbox: the notifier's outbox adds a notice once whatever the replays (waiting or
// delivered), moves the cursor with the notices, lists the waiting ones in key order, updates
// only a waiting one, and forgets old delivered keys. A batch of 150 notices (more than an etcd
// Txn takes) is added whole with its cursor.
func NoticeOutbox(t *testing.T, s notify.Store) {
	t.Helper()
	ctx := context.Background()
	if _, ok, err := s.Cursor(ctx, notify.CursorName); err != nil || ok {
		t.Fatalf("an empty outbox's cursor: ok %v, %v", ok, err)
	}
	note := func(k string) hall.Notification {
		return hall.Notification{Key: k, Seq: 1, Event: "case.created", Case: "C1", Channel: "wecom", Recipient: "u", To: "u", Title: k}
	}
	n, err := s.Enqueue(ctx, notify.CursorName, 7, []hall.Notification{note("b"), note("a"), note("a"), {}})
	if err != nil || n != 2 {
		t.Fatalf("enqueue: %d %v, want 2 (a twice in one batch, one without a key)", n, err)
	}
	if seq, ok, err := s.Cursor(ctx, notify.CursorName); err != nil || !ok || seq != 7 {
		t.Fatalf("cursor: %d %v %v, want 7", seq, ok, err)
	}
	p, err := s.Pending(ctx)
	if err != nil || len(p) != 2 || p[0].Key != "a" || p[1].Key != "b" {
		t.Fatalf("pending %+v %v, want a, b", p, err)
	}
	if err := s.Delivered(ctx, "a", time.Now().Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Enqueue(ctx, notify.CursorName, 8, []hall.Notification{note("a"), note("b"), note("c")}); err != nil || n != 1 {
		t.Fatalf("replayed events: %d added, %v; want only c", n, err)
	}
	upd := note("b")
	upd.Attempts = 3
	if ok, err := s.Update(ctx, upd); err != nil || !ok {
		t.Fatalf("update a waiting notice: %v %v", ok, err)
	}
	if ok, err := s.Update(ctx, note("a")); err != nil || ok {
		t.Fatalf("update a delivered notice: %v %v, want not ok", ok, err)
	}
	p, _ = s.Pending(ctx)
	if len(p) != 2 || p[0].Key != "b" || p[0].Attempts != 3 || p[1].Key != "c" {
		t.Fatalf("pending %+v, want b (3 attempts), c", p)
	}
	if err := s.Delivered(ctx, "c", time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneDelivered(ctx, time.Now().Add(-24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("prune: %d %v, want 1 (a)", n, err)
	}
	if n, _ := s.Enqueue(ctx, notify.CursorName, 9, []hall.Notification{note("a"), note("c")}); n != 1 {
		t.Fatalf("after the prune: %d added, want a again (its key forgotten), not c", n)
	}
	var many []hall.Notification
	for i := range 150 {
		many = append(many, note(fmt.Sprintf("m%03d", i)))
	}
	if n, err := s.Enqueue(ctx, notify.HallCursorPrefix+"h1", 42, many); err != nil || n != 150 {
		t.Fatalf("150 notices: %d %v", n, err)
	}
	if seq, _, _ := s.Cursor(ctx, notify.HallCursorPrefix+"h1"); seq != 42 {
		t.Fatalf("the hall's cursor %d, want 42", seq)
	}
	if p, _ := s.Pending(ctx); len(p) != 152 {
		t.Fatalf("%d pending, want 152", len(p))
	}
}
