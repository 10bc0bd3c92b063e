package notify_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/notify"
)

// fakeLog is a case log of made-up events.
type fakeLog struct {
	mu  sync.Mutex
	evs []hall.CaseEvent
}

func (l *fakeLog) EventsAfter(_ context.Context, after uint64, limit int) ([]hall.CaseEvent, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []hall.CaseEvent
	for _, e := range l.evs {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (l *fakeLog) LastSeq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.evs))
}

// recorder is a channel that records what it was asked to send.
type recorder struct {
	mu   sync.Mutex
	sent []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, s)
}

func (r *recorder) SendCard(_ context.Context, users []string, title, _, _ string) ([]string, error) {
	sort.Strings(users)
	r.add(fmt.Sprintf("app %s → %s", strings.Fields(title)[0], strings.Join(users, "|")))
	return nil, nil
}

func (r *recorder) Send(_ context.Context, key, md string) error {
	r.add("robot " + key)
	return nil
}

func (r *recorder) SendMail(_ context.Context, to, subject, _, _ string) error {
	r.add(fmt.Sprintf("mail %s → %s", strings.Fields(subject)[0], to))
	return nil
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]string(nil), r.sent...)
	sort.Strings(out)
	return out
}

// TestWhoIsTold: each kind of event reaches the people the issue names, on every configured
// channel, and nobody else: a case dispatched or invited reaches the department's handlers and
// robot, a warning the owner, an escalation the office, details and a 1–2 star rating the owner,
// a good rating nobody, a reply an identified requester (the seam).
func TestWhoIsTold(t *testing.T) {
	c := func(assignee string, mod func(*hall.Case)) *hall.Case {
		x := &hall.Case{ID: "case-1", Number: "JS20261204-0001", Token: "tok", Department: "library", Assignee: assignee, Text: "占座", Due: time.Now(), ReplyDue: time.Now()}
		if mod != nil {
			mod(x)
		}
		return x
	}
	evs := []hall.CaseEvent{
		{Type: hall.CaseEvReceived, Case: c("", nil)},
		{Type: hall.CaseEvDispatched, Department: "library", Case: c("", nil)},
		{Type: hall.CaseEvSigned, Department: "library", Case: c("h-library", nil)},
		{Type: hall.CaseEvInvited, Department: "it", Case: c("h-library", nil)},
		{Type: hall.CaseEvWarned, Department: "library", Limit: "reply", Case: c("h-library", nil)},
		{Type: hall.CaseEvEscalated, Department: "library", Limit: "reply", Case: c("h-library", nil)},
		{Type: hall.CaseEvDetails, Case: c("h-library2", nil)},
		{Type: hall.CaseEvRated, Case: c("h-library", func(x *hall.Case) { x.Ratings = []hall.Rating{{Stars: 4}} })},
		{Type: hall.CaseEvRated, Case: c("h-library", func(x *hall.Case) { x.Ratings = []hall.Rating{{Stars: 2}} })},
		{Type: hall.CaseEvReplied, Case: c("h-library", nil)},
		{Type: hall.CaseEvTriaged, Case: c("", func(x *hall.Case) { x.Department = "office" })},
	}
	log := &fakeLog{}
	e := newEnv(t)
	rec := &recorder{}
	campus := testCampus
	campus.Departments = append(campus.Departments, hall.Department{Code: "it", Name: hall.Text{Zh: "网络中心"}})
	d := dirWith{campus: campus, staff: []hall.Staff{
		{Username: "h-library", Role: hall.RoleHandler, Department: "library", WecomUser: "zhang", Email: "zhang@example.edu"},
		{Username: "h-library2", Role: hall.RoleHandler, Department: "library"},
		{Username: "h-it", Role: hall.RoleHandler, Department: "it", WecomUser: "it1"},
		{Username: "off", Role: hall.RoleHandler, Department: "office", WecomUser: "boss", Disabled: true},
		{Username: "supervisor", Role: hall.RoleSupervisor, Department: "office"},
		{Username: "counter1", Role: hall.RoleCounter},
	}}
	n, err := notify.New(notify.Config{Log: log, Store: e.st, Directory: d, App: rec, Robot: rec, Mail: rec, Demo: true,
		Requester: func(_ context.Context, c *hall.Case) string { return "student-7" }, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the cursor", func() bool { _, ok, _ := e.st.Cursor(context.Background(), notify.CursorName); return ok })
	log.mu.Lock()
	for i, ev := range evs {
		ev.Seq = uint64(i + 1)
		log.evs = append(log.evs, ev)
	}
	log.mu.Unlock()
	want := []string{
		"app 即将超时 → zhang", "app 不满意评价 → zhang", "app 协办案件 → it1", "app 您的诉求已答复 → student-7",
		"app 待分派 → supervisor", "app 新案件 → h-library2|zhang", "app 补充材料 → h-library2", "app 超时督办 → supervisor",
		"mail 即将超时 → zhang@example.edu", "mail 不满意评价 → zhang@example.edu", "mail 新案件 → zhang@example.edu",
		"robot lib-robot", "robot lib-robot", "robot lib-robot",
	}
	sort.Strings(want)
	waitFor(t, "every notice", func() bool { return len(rec.all()) >= len(want) })
	time.Sleep(100 * time.Millisecond)
	if got := rec.all(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("sent:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

type dirWith struct {
	campus hall.Campus
	staff  []hall.Staff
}

func (d dirWith) ListStaff(context.Context) ([]hall.Staff, error) { return d.staff, nil }
func (d dirWith) Campus(context.Context) (hall.Campus, error)     { return d.campus, nil }
