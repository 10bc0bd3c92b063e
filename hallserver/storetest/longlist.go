package storetest

import (
	"context"
	"testing"

	"onedoor/hallserver/hall"
)

// LongListCRUD: on a list whose departments are library and it, items are created (QD-001,
// QD-002), refused with an unknown lead, updated (the creation kept, tick runs between), not
// found when missing, deleted once; one item, QD-001 done, is left.
func LongListCRUD(t *testing.T, l hall.LongListService, tick func()) {
	t.Helper()
	ctx := context.Background()
	it := hall.ListItem{Title: hall.Text{Zh: "图书馆座位预约"}, Lead: "library", Assist: []string{"it"},
		Milestones: []hall.Milestone{{Title: hall.Text{Zh: "调研"}, Due: "2026-03-20", Progress: 50}}}
	a, err := l.CreateItem(ctx, it, "office1")
	if err != nil || a.ID != "QD-001" || a.Progress != 50 || a.Status != "in_progress" {
		t.Fatalf("create %+v %v", a, err)
	}
	if _, err := l.CreateItem(ctx, hall.ListItem{Title: hall.Text{Zh: "x"}, Lead: "nowhere"}, "office1"); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("bad lead: %v", err)
	}
	b, _ := l.CreateItem(ctx, it, "office1")
	if b == nil || b.ID != "QD-002" {
		t.Fatalf("second item %+v, want QD-002", b)
	}
	tick()
	a.Milestones[0].Progress = 100
	u, err := l.UpdateItem(ctx, *a, "sup")
	if err != nil || u.Status != "done" || !u.CreatedAt.Equal(a.CreatedAt) || u.UpdatedBy != "sup" || u.CreatedBy != "office1" {
		t.Fatalf("update %+v %v", u, err)
	}
	if _, err := l.UpdateItem(ctx, hall.ListItem{ID: "QD-999", Title: hall.Text{Zh: "x"}, Lead: "it"}, "sup"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("update missing: %v", err)
	}
	if err := l.DeleteItem(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteItem(ctx, b.ID); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("delete twice: %v", err)
	}
	if got, err := l.Item(ctx, a.ID); err != nil || got.Status != "done" {
		t.Fatalf("item %s: %+v %v", a.ID, got, err)
	}
}
