package cases

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// fakeTopics keeps one topic's answer in memory, as the bolt store does.
type fakeTopics struct {
	hall.TopicService
	stored    *hall.TopicAnswer
	failWrite bool
}

func (f *fakeTopics) PrepareAnswer(ctx context.Context, id string, days int, text hall.Text, by string) (*hall.TopicAnswer, error) {
	if id != "t1" {
		return nil, hall.Errorf(hall.ENOTFOUND, "topic", "no topic %q", id)
	}
	if text.Zh == "" && text.En == "" {
		return nil, hall.Errorf(hall.EINVALID, "text", "the answer needs text")
	}
	a := hall.TopicAnswer{Topic: id, Text: text, By: by, Cases: []string{"c1"}}
	if f.stored != nil {
		a.Notices = f.stored.Notices
	}
	return &a, nil
}

func (f *fakeTopics) RecordAnswer(ctx context.Context, a hall.TopicAnswer, replaced []hall.TopicNotice) error {
	if f.failWrite {
		return hall.Errorf(hall.EUNAVAILABLE, "", "disk full (injected)")
	}
	var old []hall.TopicNotice
	if f.stored != nil {
		old = f.stored.Notices
	}
	if !slices.Equal(old, replaced) {
		return hall.Errorf(hall.ECONFLICT, "topic", "answered meanwhile")
	}
	f.stored = &a
	return nil
}

// fakeBoard is the halls' notice lines; publishing in the hall named down fails.
type fakeBoard struct {
	lines map[string][]hall.Notice
	down  string
	n     int
}

func (b *fakeBoard) PublishNotice(ctx context.Context, h string, text hall.Text, by string) (*hall.Notice, error) {
	if h == b.down {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "notice line of %s down (injected)", h)
	}
	b.n++
	n := hall.Notice{ID: fmt.Sprint("n", b.n), Text: text, By: by}
	b.lines[h] = append(b.lines[h], n)
	return &n, nil
}

func (b *fakeBoard) WithdrawNotice(ctx context.Context, h, id, by string) error {
	i := slices.IndexFunc(b.lines[h], func(n hall.Notice) bool { return n.ID == id })
	if i < 0 {
		return hall.Errorf(hall.ENOTFOUND, "notice", "no notice %q", id)
	}
	b.lines[h] = slices.Delete(b.lines[h], i, i+1)
	return nil
}

// shows returns the texts on a hall's notice line.
func (b *fakeBoard) shows(h string) []string {
	var out []string
	for _, n := range b.lines[h] {
		out = append(out, n.Text.Zh)
	}
	return out
}

func answerFixture() (*Service, *fakeTopics, *fakeBoard) {
	ts := &fakeTopics{}
	b := &fakeBoard{lines: map[string][]hall.Notice{}}
	return NewService(ServiceConfig{Topics: ts, Notices: b, Halls: []string{"students", "teachers", "college"}}), ts, b
}

// TestAnswerTopicAllOrNothing: an answer goes to every hall and is recorded with its notices; a
// hall that fails halfway, or a record that fails, leaves every notice line and the record as
// they were before; a replacement withdraws the replaced notices.
func TestAnswerTopicAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s, ts, b := answerFixture()

	b.down = "teachers"
	if _, err := s.AnswerTopic(ctx, pSupervisor, "t1", 7, hall.Text{Zh: "周五修复"}); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("a hall down: %v", err)
	}
	if ts.stored != nil || len(b.shows("students")) != 0 {
		t.Fatalf("half-published: record %+v, students %v", ts.stored, b.shows("students"))
	}

	b.down = ""
	a, err := s.AnswerTopic(ctx, pSupervisor, "t1", 7, hall.Text{Zh: "周五修复"})
	if err != nil || len(a.Notices) != 3 || ts.stored == nil || len(ts.stored.Notices) != 3 {
		t.Fatalf("answer %+v %v, stored %+v", a, err, ts.stored)
	}
	for _, h := range []string{"students", "teachers", "college"} {
		if got := b.shows(h); len(got) != 1 || got[0] != "热点答复：周五修复" {
			t.Fatalf("%s shows %v", h, got)
		}
	}

	// A replacement that fails at the last hall, then one whose record fails: the first answer
	// stays everywhere.
	b.down = "college"
	if _, err := s.AnswerTopic(ctx, pSupervisor, "t1", 7, hall.Text{Zh: "已修复"}); err == nil {
		t.Fatal("replacement with a hall down succeeded")
	}
	b.down = ""
	ts.failWrite = true
	if _, err := s.AnswerTopic(ctx, pSupervisor, "t1", 7, hall.Text{Zh: "已修复"}); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("replacement with the record failing: %v", err)
	}
	ts.failWrite = false
	for _, h := range []string{"students", "teachers", "college"} {
		if got := b.shows(h); len(got) != 1 || got[0] != "热点答复：周五修复" {
			t.Fatalf("%s after failed replacements: %v", h, got)
		}
	}
	if ts.stored.Text.Zh != "周五修复" || !slices.Equal(ts.stored.Notices, a.Notices) {
		t.Fatalf("record after failed replacements: %+v", ts.stored)
	}

	// A replacement that goes through: only the new notices remain.
	if _, err := s.AnswerTopic(ctx, pSupervisor, "t1", 7, hall.Text{Zh: "已修复"}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"students", "teachers", "college"} {
		if got := b.shows(h); len(got) != 1 || got[0] != "热点答复：已修复" {
			t.Fatalf("%s after replacing: %v", h, got)
		}
	}
}

// TestAnswerTopicRefusals: who may answer, and bad answers, publish nothing.
func TestAnswerTopicRefusals(t *testing.T) {
	ctx := context.Background()
	s, ts, b := answerFixture()
	for _, tc := range []struct {
		p    *hall.Principal
		id   string
		text hall.Text
		code string
	}{
		{pLibrary, "t1", hall.Text{Zh: "x"}, hall.EFORBIDDEN},
		{pKiosk, "t1", hall.Text{Zh: "x"}, hall.EFORBIDDEN},
		{pOffice, "nope", hall.Text{Zh: "x"}, hall.ENOTFOUND},
		{pOffice, "", hall.Text{Zh: "x"}, hall.ENOTFOUND},
		{pOffice, "t1", hall.Text{}, hall.EINVALID},
	} {
		if _, err := s.AnswerTopic(ctx, tc.p, tc.id, 7, tc.text); hall.ErrorCode(err) != tc.code {
			t.Errorf("%s answers %q: %v, want %s", tc.p.Subject, tc.id, err, tc.code)
		}
	}
	if ts.stored != nil || b.n != 0 {
		t.Fatalf("a refused answer published %d notices, stored %+v", b.n, ts.stored)
	}
	if _, err := NewService(ServiceConfig{}).AnswerTopic(ctx, pOffice, "t1", 7, hall.Text{Zh: "x"}); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("without topics: %v", err)
	}
}

// fakeCases is a case store of a few cases.
type fakeCases struct {
	hall.CaseService
	cases []hall.Case
	acted []hall.CaseAction
}

func (f *fakeCases) Get(ctx context.Context, id string) (*hall.Case, error) {
	for i := range f.cases {
		if f.cases[i].ID == id || f.cases[i].Number == id {
			c := f.cases[i]
			return &c, nil
		}
	}
	return nil, hall.Errorf(hall.ENOTFOUND, "case", "no case %q", id)
}

func (f *fakeCases) List(ctx context.Context, flt hall.CaseFilter) ([]hall.Case, error) {
	var out []hall.Case
	for _, c := range f.cases {
		if flt.Department == "" || c.Involves(flt.Department) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeCases) Act(ctx context.Context, a hall.CaseAction) (*hall.Case, error) {
	f.acted = append(f.acted, a)
	return f.Get(ctx, a.Case)
}

func caseFixture() (*Service, *fakeCases) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	req := hall.Requester{Name: "张三", Phone: "13800138000"}
	fc := &fakeCases{cases: []hall.Case{
		{ID: "c1", Number: "001", Department: "library", Parts: []hall.CasePart{{Department: "it"}}, Token: "tok1", Requester: req,
			Text: "图书馆三楼的打印机坏了，无法打印", Duplicates: []string{"002", "003"}, ReceivedAt: now},
		{ID: "c2", Number: "002", Department: "library", Token: "tok2", Requester: req, Text: "图书馆打印机坏了", DuplicateOf: "001", ReceivedAt: now},
		{ID: "c3", Number: "003", Department: "finance", Token: "tok3", Requester: req, Text: "打印机坏了", DuplicateOf: "001", ReceivedAt: now},
		{ID: "c4", Number: "004", Department: "library", Token: "tok4", Requester: req, Text: "图书馆三楼打印机坏了，打印不了", ReceivedAt: now},
		{ID: "c5", Number: "005", Department: "finance", Token: "tok5", Requester: req, Text: "图书馆三楼的打印机又坏了", ReceivedAt: now},
	}}
	return NewService(ServiceConfig{Cases: fc, Now: func() time.Time { return now }}), fc
}

// TestServiceCaseViews: the use cases show each principal what the policy lets it see, as it
// may see it, and act in its name.
func TestServiceCaseViews(t *testing.T) {
	ctx := context.Background()
	s, fc := caseFixture()
	list, err := s.List(ctx, pIT, hall.CaseFilter{})
	if err != nil || len(list) != 1 || list[0].ID != "c1" || list[0].Token != "" || list[0].Requester.Phone == "13800138000" {
		t.Fatalf("IT's list (assisting c1): %+v %v", list, err)
	}
	if _, err := s.List(ctx, pIT, hall.CaseFilter{Department: "library"}); hall.ErrorCode(err) != hall.EFORBIDDEN {
		t.Fatalf("IT lists the library's cases: %v", err)
	}
	if _, err := s.Get(ctx, pIT, "c3"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("IT reads finance's case: %v", err)
	}
	if c, err := s.Get(ctx, pLibrary, "001"); err != nil || c.Token != "" || c.Requester.Phone != "13800138000" {
		t.Fatalf("the lead reads its case: %+v %v", c, err)
	}
	if _, err := s.Get(ctx, pCounter, "c1"); hall.ErrorCode(err) != hall.EFORBIDDEN {
		t.Fatalf("a counter reads a case: %v", err)
	}
	// Act: unknown actions and unseen cases never reach the body or the store.
	body := func(a *hall.CaseAction) error { a.Text, a.Actor = "ok", "someone-else"; return nil }
	if _, err := s.Act(ctx, pHealth, "c1", hall.CaseActNote, body); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("health acts on the library's case: %v", err)
	}
	if _, err := s.Act(ctx, pLibrary, "c1", "explode", body); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("unknown action: %v", err)
	}
	if len(fc.acted) != 0 {
		t.Fatalf("refused actions reached the store: %+v", fc.acted)
	}
	if c, err := s.Act(ctx, pLibrary, "001", hall.CaseActNote, body); err != nil || c.Token != "" {
		t.Fatalf("note: %+v %v", c, err)
	}
	if a := fc.acted[0]; a.Case != "c1" || a.Actor != "h-library" || a.Role != hall.RoleHandler || a.ActorDepartment != "library" || a.Text != "ok" {
		t.Fatalf("the action as performed: %+v", a)
	}
	window := func() (time.Time, time.Time, error) {
		t.Fatal("the window of a refused request is read")
		return time.Time{}, time.Time{}, nil
	}
	if _, _, _, err := s.Stats(ctx, pLibrary, window); hall.ErrorCode(err) != hall.EFORBIDDEN {
		t.Fatalf("a department reads everyone's stats: %v", err)
	}
}

// TestServiceRelated: related cases are only those the principal may see: the library sees
// its duplicate 002 but not finance's 003, and its similar 004 but not finance's 005; the
// office sees all four.
func TestServiceRelated(t *testing.T) {
	ctx := context.Background()
	s, _ := caseFixture()
	rel := func(p *hall.Principal) []string {
		t.Helper()
		rs, err := s.Related(ctx, p, "c1")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.Case.Number+" "+r.Relation)
		}
		return out
	}
	if got := rel(pLibrary); !slices.Equal(got, []string{"002 duplicate", "004 similar"}) {
		t.Errorf("library: %v", got)
	}
	if got := rel(pSupervisor); len(got) != 4 || got[0] != "002 duplicate" || got[1] != "003 duplicate" {
		t.Errorf("office: %v", got)
	}
	if _, err := s.Related(ctx, pHealth, "c1"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Errorf("health: %v", err)
	}
}

// fakeList is a long-standing list in memory.
type fakeList struct {
	hall.LongListService
	items map[string]hall.ListItem
	n     int
}

func (f *fakeList) Item(ctx context.Context, id string) (*hall.ListItem, error) {
	it, ok := f.items[id]
	if !ok {
		return nil, hall.Errorf(hall.ENOTFOUND, "item", "no item %q", id)
	}
	return &it, nil
}

func (f *fakeList) CreateItem(ctx context.Context, it hall.ListItem, by string) (*hall.ListItem, error) {
	f.n++
	it.ID = fmt.Sprintf("QD-%03d", f.n)
	f.items[it.ID] = it
	return &it, nil
}

func (f *fakeList) UpdateItem(ctx context.Context, it hall.ListItem, by string) (*hall.ListItem, error) {
	f.items[it.ID] = it
	return &it, nil
}

func (f *fakeList) DeleteItem(ctx context.Context, id string) error {
	delete(f.items, id)
	return nil
}

// TestEditListItemFlagsCases: creating, changing and deleting an item flags and unflags the
// cases it links, in the office's name; an unknown case or a department's edit changes nothing.
func TestEditListItemFlagsCases(t *testing.T) {
	ctx := context.Background()
	_, fc := caseFixture()
	fl := &fakeList{items: map[string]hall.ListItem{}}
	s := NewService(ServiceConfig{Cases: fc, LongList: fl})
	item := func(nums ...string) func() (hall.ListItem, error) {
		return func() (hall.ListItem, error) {
			return hall.ListItem{Title: hall.Text{Zh: "打印机"}, Cases: nums}, nil
		}
	}
	flags := func() []string {
		var out []string
		for _, a := range fc.acted {
			out = append(out, fmt.Sprintf("%s %v %s", a.Case, a.On, a.ListItem))
		}
		fc.acted = nil
		return out
	}
	if _, err := s.EditListItem(ctx, pLibrary, ListCreate, "", item("001")); hall.ErrorCode(err) != hall.EFORBIDDEN {
		t.Fatalf("a department edits the list: %v", err)
	}
	if _, err := s.EditListItem(ctx, pOffice, ListCreate, "", item("001", "999")); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("an unknown case: %v", err)
	}
	if len(fl.items) != 0 || len(fc.acted) != 0 {
		t.Fatalf("refused edits changed the list %v or the cases %v", fl.items, fc.acted)
	}
	it, err := s.EditListItem(ctx, pOffice, ListCreate, "", item("001", "002"))
	if err != nil || it.ID != "QD-001" {
		t.Fatalf("create: %+v %v", it, err)
	}
	if got := flags(); !slices.Equal(got, []string{"001 true QD-001", "002 true QD-001"}) || fc.cases[0].ID != "c1" {
		t.Fatalf("create flags %v", got)
	}
	if got, err := s.ListItem(ctx, pLibrary, "QD-001"); err != nil || !slices.Equal(got.Cases, []string{"001", "002"}) {
		t.Fatalf("a department reads the item: %+v %v", got, err)
	}
	if _, err := s.ListItems(ctx, pKiosk); hall.ErrorCode(err) != hall.EFORBIDDEN {
		t.Fatalf("a kiosk reads the list: %v", err)
	}
	if _, err := s.EditListItem(ctx, pOffice, ListUpdate, "QD-001", item("002", "004")); err != nil {
		t.Fatal(err)
	}
	if got := flags(); !slices.Equal(got, []string{"004 true QD-001", "001 false "}) {
		t.Fatalf("update flags %v", got)
	}
	if _, err := s.EditListItem(ctx, pOffice, ListDelete, "QD-001", nil); err != nil || len(fl.items) != 0 {
		t.Fatalf("delete: %v, left %v", err, fl.items)
	}
	if got := flags(); !slices.Equal(got, []string{"002 false ", "004 false "}) {
		t.Fatalf("delete flags %v", got)
	}
	if _, err := s.EditListItem(ctx, pOffice, ListDelete, "QD-404", nil); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("delete an unknown item: %v", err)
	}
}
