package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// caseWindow is a case system of fixed cases (cases.CaseWindow).
type caseWindow []*hall.Case

func (w caseWindow) ReportCases(_ context.Context, from, to time.Time) ([]*hall.Case, error) {
	var out []*hall.Case
	for _, c := range w {
		if !c.ReceivedAt.Before(from) && c.ReceivedAt.Before(to) {
			out = append(out, c)
		}
	}
	return out, nil
}

// TopicAnswers: three requests about hot water form a topic (a fourth about a printer does
// not); its answer links the three, is kept by the store open returns again on the same data,
// and of two replacements prepared against the same answer the second is refused (409) and
// changes nothing. open returns the topic service over the cases given, on the test's data.
func TopicAnswers(t *testing.T, open func(cases.CaseWindow, func() time.Time) hall.TopicService) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var win caseWindow
	for i, text := range []string{"宿舍楼热水一直不热，洗澡只有冷水", "十号宿舍楼晚上洗澡没有热水", "宿舍热水器坏了，洗澡水是冷的", "图书馆的打印机坏了"} {
		win = append(win, &hall.Case{ID: fmt.Sprintf("c%d", i), Number: fmt.Sprintf("N%d", i), Kind: hall.KindComplaint,
			Text: text, State: hall.CaseInProgress, Department: "logistics", ReceivedAt: now.Add(-time.Duration(5-i) * time.Hour)})
	}
	tp := open(win, clock)
	top, err := tp.Topics(ctx, 7)
	if err != nil || len(top) != 1 || top[0].Count != 3 {
		t.Fatalf("topics %+v %v", top, err)
	}
	if _, err := tp.PrepareAnswer(ctx, "tnope", 7, hall.Text{Zh: "x"}, "office1"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("unknown topic: %v", err)
	}
	if _, err := tp.PrepareAnswer(ctx, top[0].ID, 7, hall.Text{}, "office1"); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("empty answer: %v", err)
	}
	a, err := tp.PrepareAnswer(ctx, top[0].ID, 7, hall.Text{Zh: "热水管道本周五前修复", En: "Hot water fixed by Friday"}, "office1")
	if err != nil || len(a.Cases) != 3 {
		t.Fatalf("answer %+v %v", a, err)
	}
	if got, _ := tp.AnswerFor(ctx, "c0"); got != nil {
		t.Fatalf("a prepared answer is stored: %+v", got)
	}
	a.Notices = []hall.TopicNotice{{Hall: "h1", Notice: "n1"}}
	if err := tp.RecordAnswer(ctx, *a, nil); err != nil {
		t.Fatal(err)
	}
	tp = open(win, clock)
	for i, c := range win {
		got, err := tp.AnswerFor(ctx, c.ID)
		if err != nil || (i < 3) != (got != nil) {
			t.Fatalf("case %d answer %+v %v", i, got, err)
		}
		if got != nil && (got.Text.Zh != "热水管道本周五前修复" || len(got.Notices) != 1) {
			t.Fatalf("stored answer %+v", got)
		}
	}
	if top, _ = tp.Topics(ctx, 7); len(top) != 1 || top[0].ID != a.Topic || top[0].Answer == nil {
		t.Fatalf("topics with the answer: %+v", top)
	}
	a2, err := tp.PrepareAnswer(ctx, a.Topic, 7, hall.Text{Zh: "已修复"}, "office1")
	if err != nil || len(a2.Cases) != 3 || a2.Notices[0].Notice != "n1" {
		t.Fatalf("re-answer %+v %v", a2, err)
	}
	a3, err := tp.PrepareAnswer(ctx, a.Topic, 7, hall.Text{Zh: "另一个答复"}, "office2")
	if err != nil {
		t.Fatal(err)
	}
	old := a2.Notices
	a2.Notices = []hall.TopicNotice{{Hall: "h1", Notice: "n2"}}
	if err := tp.RecordAnswer(ctx, *a2, old); err != nil {
		t.Fatal(err)
	}
	a3.Notices = []hall.TopicNotice{{Hall: "h1", Notice: "n3"}}
	if err := tp.RecordAnswer(ctx, *a3, old); hall.ErrorCode(err) != hall.ECONFLICT {
		t.Fatalf("second replacement of the same answer: %v", err)
	}
	if got, _ := tp.AnswerFor(ctx, "c0"); got == nil || got.Text.Zh != "已修复" || got.Notices[0].Notice != "n2" {
		t.Fatalf("after a refused replacement: %+v", got)
	}
}
