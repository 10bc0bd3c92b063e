package display

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
)

var t0 = time.Date(2026, 11, 25, 1, 30, 0, 0, time.UTC) // 09:30 in Shanghai

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func snapshot(seq uint64, calls ...hall.Call) client.Message {
	return client.Message{Type: "snapshot", Seq: seq, Snapshot: &hall.Snapshot{
		Seq: seq, Hall: "students", Name: hall.Text{Zh: "学生事务大厅", En: "Student Affairs Hall"},
		Services: []hall.ServiceStatus{
			{Code: "A", Name: hall.Text{Zh: "学籍与成绩", En: "Enrolment"}, Waiting: 4, EtaSeconds: 600, Open: true},
			{Code: "B", Name: hall.Text{Zh: "奖助学金", En: "Scholarships"}, Waiting: 0, Open: false},
		},
		Counters:    []hall.CounterStatus{{Number: 1, State: hall.CounterOpen, Services: []string{"A"}}},
		RecentCalls: calls,
		Notices:     []hall.Notice{{ID: "n1", Text: hall.Text{Zh: "今天下午闭馆", En: "Closed this afternoon"}}},
	}}
}

func called(seq uint64, typ hall.EventType, number string, counter int, at time.Time, waiting map[string]int) client.Message {
	return client.Message{Type: string(typ), Seq: seq, Event: &hall.Event{
		Seq: seq, Hall: "students", Type: typ, At: at,
		Ticket:  &hall.Ticket{Number: number, Service: number[:1], Counter: counter, State: hall.TicketCalled},
		Counter: &hall.Counter{Number: counter, State: hall.CounterOpen, Services: []string{number[:1]}},
		Waiting: waiting,
	}}
}

func TestStateAppliesSnapshotAndEvents(t *testing.T) {
	var s State
	if a := s.Apply(snapshot(10, hall.Call{Number: "A001", Service: "A", Counter: 1, At: t0.Add(-time.Minute)})); len(a) != 0 {
		t.Fatalf("the first snapshot announced %v", a)
	}
	a := s.Apply(called(11, hall.EventCalled, "A002", 2, t0, map[string]int{"A": 3}))
	if len(a) != 1 || a[0].Number != "A002" || a[0].Counter != 2 || a[0].Recall {
		t.Fatalf("call announced %+v", a)
	}
	a = s.Apply(called(12, hall.EventRecalled, "A002", 2, t0.Add(time.Second), nil))
	if len(a) != 1 || !a[0].Recall || a[0].Key == CallKey(s.Recent[1]) {
		t.Fatalf("recall announced %+v", a)
	}
	if a := s.Apply(client.Message{Type: "ticket.issued", Seq: 13, Event: &hall.Event{Seq: 13, Type: hall.EventIssued, Waiting: map[string]int{"A": 4, "B": 1}}}); len(a) != 0 {
		t.Fatal("an issued ticket was announced")
	}
	s.Apply(client.Message{Type: "notice.published", Seq: 14, Event: &hall.Event{Seq: 14, Type: hall.EventNotice, Notice: &hall.Notice{ID: "n2", Text: hall.Text{Zh: "请保管好随身物品", En: "Mind your belongings"}}}})
	s.Apply(client.Message{Type: "notice.withdrawn", Seq: 15, Event: &hall.Event{Seq: 15, Type: hall.EventNoticeGone, Notice: &hall.Notice{ID: "n1"}}})

	v := s.View(t0, shanghai(t), Link{Connected: true, Since: t0})
	if v.Clock != "09:30" || !strings.HasPrefix(v.Date, "2026年11月25日 星期三") {
		t.Errorf("clock %q date %q", v.Clock, v.Date)
	}
	if v.Now == nil || v.Now.Number != "A002" || v.Now.Zh != "再次呼叫：请 A002 号到 2 号窗口" || !v.Now.Recall {
		t.Fatalf("now calling %+v", v.Now)
	}
	// The recalled A002 is not listed again below its recall (issue 12).
	if len(v.Recent) != 1 || v.Recent[0].Number != "A001" || v.Recent[0].CounterZh != "1 号窗口" {
		t.Fatalf("recent %+v", v.Recent)
	}
	if v.Services[0].Waiting != "4" || v.Services[0].WaitZh != "约 10 分钟" || v.Services[0].WaitEn != "about 10 min" {
		t.Errorf("service A %+v", v.Services[0])
	}
	if v.Services[1].Waiting != "1" {
		t.Errorf("service B %+v", v.Services[1])
	}
	if v.Notice != "请保管好随身物品  Mind your belongings" {
		t.Errorf("notice %q", v.Notice)
	}
	if v.CallSerial != 2 || !v.Conn.OK {
		t.Errorf("serial %d conn %+v", v.CallSerial, v.Conn)
	}
}

func TestRecentListIsBounded(t *testing.T) {
	var s State
	s.Apply(snapshot(1))
	for i := 0; i < 20; i++ {
		s.Apply(called(uint64(i+2), hall.EventCalled, fmt.Sprintf("A%03d", i), 1, t0.Add(time.Duration(i)*time.Second), nil))
	}
	v := s.View(t0, nil, Link{Connected: true})
	if len(v.Recent) != RecentShown || len(s.Recent) != recentKept {
		t.Fatalf("recent shown %d kept %d", len(v.Recent), len(s.Recent))
	}
}

func TestASnapshotAfterAnOutageAnnouncesOnlyTheMissedCalls(t *testing.T) {
	var s State
	old := hall.Call{Number: "A001", Service: "A", Counter: 1, At: t0}
	s.Apply(snapshot(5, old))
	missed1 := hall.Call{Number: "A002", Service: "A", Counter: 1, At: t0.Add(time.Minute)}
	missed2 := hall.Call{Number: "B001", Service: "B", Counter: 3, At: t0.Add(2 * time.Minute)}
	a := s.Apply(snapshot(50, missed2, missed1, old))
	if len(a) != 2 || a[0].Number != "A002" || a[1].Number != "B001" {
		t.Fatalf("announced %+v, want A002 then B001", a)
	}
	if s.CallSerial != 1 {
		t.Fatalf("serial %d", s.CallSerial)
	}
}

func TestConnectionIndicator(t *testing.T) {
	var s State
	lost := Link{Since: t0}
	if v := s.View(t0.Add(time.Second), nil, lost); v.Conn.Zh != "" {
		t.Errorf("said %q one second after start", v.Conn.Zh)
	}
	if v := s.View(t0.Add(6*time.Second), nil, lost); v.Conn.Zh != "正在连接服务器…" {
		t.Errorf("never connected: %+v", v.Conn)
	}
	s.Apply(snapshot(1))
	if v := s.View(t0.Add(4*time.Second), nil, lost); !v.Conn.OK || v.Conn.Zh != "" {
		t.Errorf("4 s after losing the link: %+v", v.Conn)
	}
	if v := s.View(t0.Add(5*time.Second), nil, lost); v.Conn.OK || v.Conn.Zh != "连接中断，正在重连…" || v.Conn.En == "" {
		t.Errorf("5 s after losing the link: %+v", v.Conn)
	}
}

// TestNobodyServesShowsNoWaitTime: tickets waiting for a service no open counter serves show
// 暂无窗口办理 / no counter now, never an estimate in minutes.
func TestNobodyServesShowsNoWaitTime(t *testing.T) {
	var s State
	s.Apply(snapshot(10))
	s.Apply(client.Message{Type: "ticket.issued", Seq: 11, Event: &hall.Event{Seq: 11, Type: hall.EventIssued, Waiting: map[string]int{"B": 3}}})
	v := s.View(t0, shanghai(t), Link{Connected: true})
	b := v.Services[1]
	if b.Code != "B" || b.Waiting != "3" || b.WaitZh != "暂无窗口办理" || b.WaitEn != "no counter now" || strings.Contains(b.WaitZh, "分钟") {
		t.Fatalf("B nobody serves: %+v", b)
	}
	// Counter 1 closes: A (4 waiting) is served by nobody either.
	s.Apply(client.Message{Type: "counter.state", Seq: 12, Event: &hall.Event{Seq: 12, Type: hall.EventCounter, Counter: &hall.Counter{Number: 1, State: hall.CounterClosed, Services: []string{"A"}}}})
	if a := s.View(t0, shanghai(t), Link{Connected: true}).Services[0]; a.WaitZh != "暂无窗口办理" {
		t.Fatalf("A after its only counter closed: %+v", a)
	}
}

// TestRecentCallsEachNumberOnceAndCallsAtOnce: a recalled number is not listed again below its
// recall; calls other counters made at about the same time stand beside the newest one.
func TestRecentCallsEachNumberOnceAndCallsAtOnce(t *testing.T) {
	var s State
	s.Apply(snapshot(10))
	s.Apply(called(11, hall.EventCalled, "A001", 1, t0, nil))
	s.Apply(called(12, hall.EventCalled, "A002", 2, t0.Add(time.Minute), nil))
	s.Apply(called(13, hall.EventRecalled, "A001", 1, t0.Add(2*time.Minute), nil))
	v := s.View(t0, shanghai(t), Link{Connected: true})
	if v.Now.Number != "A001" || !v.Now.Recall || len(v.Recent) != 1 || v.Recent[0].Number != "A002" || len(v.Also) != 0 {
		t.Fatalf("after a recall: now %+v also %d recent %+v", v.Now, len(v.Also), v.Recent)
	}
	// Three counters call within seconds: the newest is "now", the two others beside it.
	at := t0.Add(10 * time.Minute)
	s.Apply(called(14, hall.EventCalled, "B001", 3, at, nil))
	s.Apply(called(15, hall.EventCalled, "A003", 2, at.Add(2*time.Second), nil))
	s.Apply(called(16, hall.EventCalled, "A004", 1, at.Add(4*time.Second), nil))
	v = s.View(at, shanghai(t), Link{Connected: true})
	var also, recent []string
	for _, c := range v.Also {
		also = append(also, c.Number+"@"+c.Counter)
	}
	for _, c := range v.Recent {
		recent = append(recent, c.Number)
	}
	if v.Now.Number != "A004" || strings.Join(also, " ") != "A003@2 B001@3" || strings.Join(recent, " ") != "A001 A002" {
		t.Fatalf("calls at once: now %s also %v recent %v", v.Now.Number, also, recent)
	}
}

// TestNobodyServesSaysWhenItOpens: outside its hours (the snapshot's opensAt), a service nobody
// serves says when it opens: today, tomorrow or on a date, in the hall's zone; a service open
// again, or an opensAt already passed, says nothing of it; a fresh snapshot brings a new one.
func TestNobodyServesSaysWhenItOpens(t *testing.T) {
	loc := shanghai(t)
	noon := time.Date(2026, 12, 4, 12, 10, 0, 0, loc) // Friday, lunch break
	for _, tc := range []struct {
		opens          time.Time
		wantZh, wantEn string
	}{
		{time.Date(2026, 12, 4, 14, 0, 0, 0, loc), "暂无窗口办理 · 14:00 开始办理", "no counter now · opens 14:00"},
		{time.Date(2026, 12, 5, 8, 30, 0, 0, loc), "暂无窗口办理 · 明天 08:30 开始办理", "no counter now · opens tomorrow 08:30"},
		{time.Date(2026, 12, 7, 8, 30, 0, 0, loc), "暂无窗口办理 · 12月7日 08:30 开始办理", "no counter now · opens 7 Dec 08:30"},
		{time.Date(2026, 12, 4, 12, 0, 0, 0, loc), "暂无窗口办理", "no counter now"}, // passed: not said
	} {
		var s State
		m := snapshot(10)
		m.Snapshot.Services[1].Waiting = 2
		m.Snapshot.Services[1].OpensAt = &tc.opens
		m.Snapshot.Services[0].OpensAt = &tc.opens // A is open (a counter serves it): not said
		s.Apply(m)
		v := s.View(noon.UTC(), loc, Link{Connected: true})
		if b := v.Services[1]; b.WaitZh != tc.wantZh || b.WaitEn != tc.wantEn {
			t.Errorf("opens %v: B says %q / %q, want %q / %q", tc.opens, b.WaitZh, b.WaitEn, tc.wantZh, tc.wantEn)
		}
		if a := v.Services[0]; strings.Contains(a.WaitZh, "开始办理") || !strings.Contains(a.WaitZh, "分钟") {
			t.Errorf("A is served: %+v", a)
		}
	}
	// Nothing waits: 暂停服务 and when it opens.
	var s State
	m := snapshot(10)
	at := time.Date(2026, 12, 4, 14, 0, 0, 0, loc)
	m.Snapshot.Services[1].OpensAt = &at
	s.Apply(m)
	if b := s.View(noon, loc, Link{Connected: true}).Services[1]; b.WaitZh != "暂停服务 · 14:00 开始办理" || b.WaitEn != "closed · opens 14:00" {
		t.Errorf("B closed with nothing waiting: %+v", b)
	}
	// A refreshed snapshot at 14:05 (within the hours again) drops it.
	fresh := snapshot(10).Snapshot
	if !s.RefreshEstimates(fresh) {
		t.Fatal("refresh not applied")
	}
	if b := s.View(noon.Add(2*time.Hour), loc, Link{Connected: true}).Services[1]; b.WaitZh != "暂停服务" {
		t.Errorf("B after a fresh snapshot without opensAt: %+v", b)
	}
}
