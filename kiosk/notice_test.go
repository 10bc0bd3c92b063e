package kiosk

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// noticeTexts returns the notices' texts in lang.
func noticeTexts(s State, lang string) []string {
	var out []string
	for _, n := range s.Notices {
		out = append(out, n.Text.In(lang))
	}
	return out
}

// TestNoticeLine: the hall's notices reach the home screen from the snapshot and, live, from
// notice.published / notice.withdrawn events of the real hall server; the line rotates through
// them, scrolls a notice too long for the screen, follows the language, and goes away with the
// last notice.
func TestNoticeLine(t *testing.T) {
	env := newHallEnv(t)
	ctx := context.Background()
	first, err := env.q.PublishNotice(ctx, "students", hall.Text{Zh: "今天下午3号窗口暂停服务", En: "Counter 3 is closed this afternoon"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}})
	st := k.waitFor("notice from the snapshot", func(s State) bool {
		return s.Screen == ScreenHome && len(s.Notices) == 1 && k.ui.rev == s.Rev
	})
	if k.ui.notice == nil || k.ui.notice.Current() != "今天下午3号窗口暂停服务" {
		t.Fatalf("notice line %+v, state notices %v", k.ui.notice, noticeTexts(st, "zh"))
	}

	// A second notice arrives over the stream, long enough to scroll on a 1920-wide screen.
	long := strings.Repeat("校园卡补办请携带身份证，", 12)
	second, err := env.q.PublishNotice(ctx, "students", hall.Text{Zh: long, En: "Bring your ID card to replace a campus card"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	k.waitFor("published notice", func(s State) bool { return len(s.Notices) == 2 })
	k.pump()
	n := k.ui.notice
	if n == nil || !slices.Equal(n.items, []string{"今天下午3号窗口暂停服务", long}) {
		t.Fatalf("notice items %v", n.items)
	}
	// The short one stands for noticeHold, then the long one comes in from the right and scrolls.
	n.Step(noticeHold - time.Second)
	if n.Current() != "今天下午3号窗口暂停服务" {
		t.Fatal("rotated too early")
	}
	n.Step(time.Second)
	if n.Current() != long || n.fits() {
		t.Fatalf("current %q (fits %v)", n.Current(), n.fits())
	}
	x0 := n.text.Position().X
	if x0 < n.area()-1 {
		t.Fatalf("long notice starts at %v, want at the right edge %v", x0, n.area())
	}
	n.Step(time.Second)
	if dx := x0 - n.text.Position().X; dx < noticeSpeed-1 || dx > noticeSpeed+1 {
		t.Fatalf("scrolled %v px in a second, want %d", dx, noticeSpeed)
	}
	// Once it has left on the left, the first comes back.
	for i := 0; i < 10000 && n.Current() == long; i++ {
		n.Step(noticeFrame)
	}
	if n.Current() != "今天下午3号窗口暂停服务" {
		t.Fatalf("after the long notice: %q", n.Current())
	}

	// English.
	k.tap("lang")
	k.waitFor("english", func(s State) bool { return s.Lang == "en" && k.ui.rev == s.Rev })
	if k.ui.notice == nil || k.ui.notice.Current() != "Counter 3 is closed this afternoon" {
		t.Fatalf("english notice line: %+v", k.ui.notice)
	}

	// Withdrawn, one after the other: the line follows, then disappears.
	if err := env.q.WithdrawNotice(ctx, "students", first.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	k.waitFor("withdrawn", func(s State) bool { return len(s.Notices) == 1 && s.Notices[0].ID == second.ID })
	k.pump()
	if c := k.ui.notice.Current(); c != "Bring your ID card to replace a campus card" {
		t.Fatalf("after withdrawal the line shows %q", c)
	}
	if err := env.q.WithdrawNotice(ctx, "students", second.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	k.waitFor("no notices", func(s State) bool { return len(s.Notices) == 0 && k.ui.rev == s.Rev })
	if k.ui.notice != nil {
		t.Fatal("notice line still on screen")
	}
}

// TestNoticeEvents: published notices with a known ID replace it in place; withdrawn ones are
// removed; events already covered by the snapshot are ignored.
func TestNoticeEvents(t *testing.T) {
	f := NewFlow(Config{Hall: "students"})
	f.ApplySnapshot(&hall.Snapshot{Seq: 10, Notices: []hall.Notice{{ID: "n1", Text: hall.Text{Zh: "一"}}}})
	rev := f.State().Rev
	f.ApplyEvent(&hall.Event{Seq: 9, Type: hall.EventNoticeGone, Notice: &hall.Notice{ID: "n1"}})
	if len(f.State().Notices) != 1 {
		t.Fatal("an old event applied")
	}
	f.ApplyEvent(&hall.Event{Seq: 11, Type: hall.EventNotice, Notice: &hall.Notice{ID: "n2", Text: hall.Text{Zh: "二"}}})
	f.ApplyEvent(&hall.Event{Seq: 12, Type: hall.EventNotice, Notice: &hall.Notice{ID: "n1", Text: hall.Text{Zh: "一（更新）"}}})
	st := f.State()
	if got := noticeTexts(st, "zh"); !slices.Equal(got, []string{"一（更新）", "二"}) {
		t.Fatalf("notices %v", got)
	}
	if st.Rev != rev {
		t.Fatal("a change of texts rebuilt the screen")
	}
	f.ApplyEvent(&hall.Event{Seq: 13, Type: hall.EventNoticeGone, Notice: &hall.Notice{ID: "n1"}})
	f.ApplyEvent(&hall.Event{Seq: 14, Type: hall.EventNoticeGone, Notice: &hall.Notice{ID: "n2"}})
	if st := f.State(); len(st.Notices) != 0 || st.Rev == rev {
		t.Fatalf("notices %v rev %d (was %d)", st.Notices, st.Rev, rev)
	}
}
