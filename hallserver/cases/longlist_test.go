package cases

import (
	"strings"
	"testing"

	"onedoor/hallserver/hall"
)

func TestNormalizeListItem(t *testing.T) {
	known := func(d string) bool { return d == "library" || d == "logistics" || d == "it" }
	it := hall.ListItem{
		Title: hall.Text{Zh: " 图书馆座位预约改革 ", En: "Library seat booking"}, Lead: "library", Assist: []string{"it", "library", "it"},
		Milestones: []hall.Milestone{
			{Title: hall.Text{Zh: "上线预约系统"}, Due: "2026-12-20", Progress: 40},
			{Title: hall.Text{Zh: "调研"}, Due: "2026-11-30", Progress: 100},
		},
		Cases: []string{"JS1", "JS1", " JS2 "},
	}
	if err := NormalizeListItem(&it, known); err != nil {
		t.Fatal(err)
	}
	if it.Title.Zh != "图书馆座位预约改革" || strings.Join(it.Assist, ",") != "it" || it.Milestones[0].Due != "2026-11-30" ||
		it.Progress != 70 || it.Status != ListInProgress || strings.Join(it.Cases, ",") != "JS1,JS2" {
		t.Fatalf("normalized: %+v", it)
	}
	it.Milestones[1].Progress = 100
	if NormalizeListItem(&it, known); it.Status != ListDone {
		t.Fatalf("all done: %s %d", it.Status, it.Progress)
	}
	pub, n := PublicListItem(hall.ListItem{Cases: []string{"a", "b"}, CreatedBy: "office1", UpdatedBy: "sup"})
	if n != 2 || len(pub.Cases) != 0 || pub.CreatedBy != "" || pub.UpdatedBy != "" {
		t.Fatalf("public %+v %d", pub, n)
	}
	bad := []func(*hall.ListItem){
		func(i *hall.ListItem) { i.Title = hall.Text{} },
		func(i *hall.ListItem) { i.Lead = "nowhere" },
		func(i *hall.ListItem) { i.Assist = []string{"nowhere"} },
		func(i *hall.ListItem) { i.Milestones[0].Due = "30/11/2026" },
		func(i *hall.ListItem) { i.Milestones[0].Progress = 101 },
		func(i *hall.ListItem) { i.Milestones[0].Title = hall.Text{} },
		func(i *hall.ListItem) { i.Title.Zh = strings.Repeat("长", MaxListTitle+1) },
		func(i *hall.ListItem) { i.Cases = []string{""} },
	}
	for k, f := range bad {
		x := hall.ListItem{Title: hall.Text{Zh: "x"}, Lead: "it", Milestones: []hall.Milestone{{Title: hall.Text{Zh: "m"}, Due: "2026-01-01"}}}
		f(&x)
		if err := NormalizeListItem(&x, known); hall.ErrorCode(err) != hall.EINVALID {
			t.Errorf("bad item %d: %v", k, err)
		}
	}
}
