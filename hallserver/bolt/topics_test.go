package bolt

import (
	"context"
	"testing"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/storetest"
)

// TestTopicsAnswerLinksCasesAndSurvivesRestart: four requests about hot water form a topic; the
// answer links all four, survives a restart, keeps the topic's ID when a fifth request joins,
// and re-answering replaces the text.
func TestTopicsAnswerLinksCasesAndSurvivesRestart(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	texts := []string{"宿舍楼热水一直不热，洗澡只有冷水", "十号宿舍楼晚上洗澡没有热水", "宿舍热水器坏了，洗澡水是冷的", "图书馆的打印机坏了"}
	var ids []string
	for _, tx := range texts {
		c := e.openCase(hall.OpenCaseRequest{Kind: hall.KindComplaint, Text: tx, Hall: "h1"})
		ids = append(ids, c.ID)
		e.clk.Add(time.Hour)
	}
	tp, err := NewTopics(e.db, e.cs, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	top, err := tp.Topics(ctx, 7)
	if err != nil || len(top) != 1 || top[0].Count != 3 {
		t.Fatalf("topics %+v %v", top, err)
	}
	// The refusals of PrepareAnswer: storetest.TopicAnswers (TestTopicAnswersContract).
	a, err := tp.PrepareAnswer(ctx, top[0].ID, 7, hall.Text{Zh: "热水管道本周五前修复", En: "Hot water fixed by Friday"}, "office1")
	if err != nil || len(a.Cases) != 3 {
		t.Fatalf("answer %+v %v", a, err)
	}
	a.Notices = []hall.TopicNotice{{Hall: "h1", Notice: "n1"}}
	if err := tp.RecordAnswer(ctx, *a, nil); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	tp, _ = NewTopics(e.db, e.cs, e.clk.Now)
	for i, id := range ids {
		got, err := tp.AnswerFor(ctx, id)
		if err != nil || (i < 3) != (got != nil) {
			t.Fatalf("case %d answer %+v %v", i, got, err)
		}
		if got != nil && (got.Text.Zh != "热水管道本周五前修复" || len(got.Notices) != 1) {
			t.Fatalf("stored answer %+v", got)
		}
	}
	e.openCase(hall.OpenCaseRequest{Kind: hall.KindComplaint, Text: "宿舍洗澡没有热水", Hall: "h1"})
	top, _ = tp.Topics(ctx, 7)
	if len(top) != 1 || top[0].ID != a.Topic || top[0].Count != 4 || top[0].Answer == nil {
		t.Fatalf("after a fifth request: %+v", top)
	}
	a2, err := tp.PrepareAnswer(ctx, a.Topic, 7, hall.Text{Zh: "已修复"}, "office1")
	if err != nil || len(a2.Cases) != 4 || a2.Notices[0].Notice != "n1" {
		t.Fatalf("re-answer %+v %v", a2, err)
	}
	// Replacements racing each other: storetest.TopicAnswers (TestTopicAnswersContract).
}

// TestLongListCRUD: create numbers items, update keeps the creation, delete removes; the list
// survives a restart.
func TestLongListCRUD(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	l, err := NewLongList(e.db, []string{"library", "it"}, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	storetest.LongListCRUD(t, l, func() { e.clk.Add(time.Hour) })
	e.reopen()
	l, _ = NewLongList(e.db, []string{"library", "it"}, e.clk.Now)
	items, err := l.Items(ctx)
	if err != nil || len(items) != 1 || items[0].ID != "QD-001" || items[0].Status != "done" {
		t.Fatalf("items after restart %+v %v", items, err)
	}
}

// TestDailyAndSeriesFromStore: the store feeds the daily report and the series.
func TestDailyAndSeriesFromStore(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	c := e.openCase(hall.OpenCaseRequest{Kind: hall.KindComplaint, Text: "宿舍没有热水", Hall: "h1"})
	rep, err := e.cs.Daily(ctx, e.clk.Now())
	if err != nil || len(rep.Arrived) != 1 || rep.Arrived[0].Number != c.Number {
		t.Fatalf("daily %+v %v", rep, err)
	}
	e.clk.Add(72 * time.Hour)
	rep, _ = e.cs.Daily(ctx, e.clk.Now())
	if len(rep.Arrived) != 0 || len(rep.Late) != 1 {
		t.Fatalf("late %+v", rep)
	}
	ser, err := e.cs.Series(ctx, "day", 7)
	if err != nil || len(ser) != 7 {
		t.Fatalf("series %v", err)
	}
	n := 0
	for _, p := range ser {
		for _, d := range p.Departments {
			n += d.Received
		}
	}
	if n != 1 {
		t.Fatalf("series counts %d cases", n)
	}
	if _, err := e.cs.Series(ctx, "year", 3); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("bad period: %v", err)
	}
}

// TestTopicAnswersContract: the answers' behaviour (storetest) the etcd store shares.
func TestTopicAnswersContract(t *testing.T) {
	e := newCaseEnv(t)
	storetest.TopicAnswers(t, func(cs cases.CaseWindow, now func() time.Time) hall.TopicService {
		tp, err := NewTopics(e.db, cs, now)
		if err != nil {
			t.Fatal(err)
		}
		return tp
	})
}
