package notify_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/notify"
	"onedoor/hallserver/wecom"
	"onedoor/hallserver/wecom/wecomfake"
)

var testCampus = hall.Campus{Name: hall.Text{Zh: "测试", En: "Test"}, TimeZone: hall.DefaultTimeZone,
	Halls:       []hall.Hall{{Code: "h1", Name: hall.Text{Zh: "大厅", En: "Hall"}}},
	Departments: []hall.Department{{Code: "library", Name: hall.Text{Zh: "图书馆", En: "Library"}, WecomRobot: "lib-robot"}}}

type dir struct {
	campus hall.Campus
}

func (d dir) ListStaff(context.Context) ([]hall.Staff, error) {
	return []hall.Staff{
		{Username: "h-library", Role: hall.RoleHandler, Department: "library", WecomUser: "zhang"},
		{Username: "h-library2", Role: hall.RoleHandler, Department: "library", WecomUser: "li"},
		{Username: "h-office", Role: hall.RoleSupervisor, Department: "office", WecomUser: "wang"},
		{Username: "counter1", Role: hall.RoleCounter, WecomUser: "zhao"},
	}, nil
}
func (d dir) Campus(context.Context) (hall.Campus, error) { return d.campus, nil }

type app struct{ c *wecom.Client }

func (a app) SendCard(ctx context.Context, users []string, title, desc, url string) ([]string, error) {
	r, err := a.c.SendCard(ctx, users, wecom.Card{Title: title, Description: desc, URL: url})
	return r.InvalidUsers, err
}

// crashy is the outbox with a crash between the send and the mark: the first Delivered of every
// key fails (as if the process died after WeChat Work took the message).
type crashy struct {
	*bolt.NoticeStore
	mu   sync.Mutex
	seen map[string]bool
}

func (c *crashy) Delivered(ctx context.Context, key string, at time.Time) error {
	c.mu.Lock()
	first := !c.seen[key]
	c.seen[key] = true
	c.mu.Unlock()
	if first {
		return errors.New("crash before the mark")
	}
	return c.NoticeStore.Delivered(ctx, key, at)
}

type env struct {
	db *bolt.DB
	cs *bolt.Cases
	st *bolt.NoticeStore
	f  *wecomfake.Server
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	logCampus := testCampus // the case log's campus leaves the departments to the demo catalogue
	logCampus.Departments = nil
	cs, err := bolt.NewCases(context.Background(), db, logCampus, cases.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.NewNoticeStore(db)
	if err != nil {
		t.Fatal(err)
	}
	f := wecomfake.New(wecomfake.Config{})
	t.Cleanup(func() { f.Close(); cs.Close(); db.Close() })
	return &env{db: db, cs: cs, st: st, f: f}
}

func (e *env) run(t testing.TB, store notify.Store, mod func(*notify.Config)) (*notify.Notifier, func()) {
	t.Helper()
	fc := e.f.Config()
	wc, err := wecom.New(wecom.Config{API: e.f.URL, CorpID: fc.CorpID, Secret: fc.Secret, AgentID: fc.AgentID})
	if err != nil {
		t.Fatal(err)
	}
	robots := wecom.NewRobots(wc, wecom.RobotConfig{})
	cfg := notify.Config{Log: e.cs, Store: store, Directory: dir{testCampus}, App: app{wc}, Robot: robots,
		PublicURL: "http://hall.example", MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Poll: 20 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	n, err := notify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	return n, func() { cancel(); <-done; robots.Close() }
}

func (e *env) open(t *testing.T, n int) []string {
	t.Helper()
	var nums []string
	for i := 0; i < n; i++ {
		c, err := e.cs.Open(context.Background(), hall.OpenCaseRequest{Kind: hall.KindComplaint, Channel: hall.ChannelAPI,
			Category: "library-seats", Text: "图书馆有人*占座*", Requester: hall.Requester{Phone: "13812345678"}})
		if err != nil {
			t.Fatal(err)
		}
		nums = append(nums, c.Number)
	}
	return nums
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// perUser counts the application messages per case number and member.
func perUser(f *wecomfake.Server) map[string]int {
	out := map[string]int{}
	for _, m := range f.Messages() {
		fs := strings.Fields(m.Title)
		out[fs[len(fs)-1]+"/"+m.User]++
	}
	return out
}

// TestCrashBetweenSendAndMarkDeliversOnce: WeChat Work takes every message but the outbox fails
// to mark it (a crash); the notice is sent again, and thanks to the duplicate check each member
// gets it once. Both handlers of the department get one textcard per case (one call, touser
// "zhang|li"), the counter and the office nobody; the robot posts the case, escaped.
func TestCrashBetweenSendAndMarkDeliversOnce(t *testing.T) {
	e := newEnv(t)
	st := &crashy{NoticeStore: e.st, seen: map[string]bool{}}
	n, stop := e.run(t, st, nil)
	defer stop()
	waitFor(t, "the notifier's cursor", func() bool { c, ok, _ := e.st.Cursor(context.Background(), notify.CursorName); return ok && c == 0 })
	nums := e.open(t, 3)
	waitFor(t, "all delivered", func() bool { s := n.Status(); return s.Delivered == 9 && s.Pending == 0 })
	got := perUser(e.f)
	if len(got) != 6 {
		t.Fatalf("messages %v, want 3 cases × 2 handlers", got)
	}
	for _, num := range nums {
		for _, u := range []string{"zhang", "li"} {
			if got[num+"/"+u] != 1 {
				t.Fatalf("%s to %s: %d times (%v)", num, u, got[num+"/"+u], got)
			}
		}
	}
	if sends := e.f.Calls("/cgi-bin/message/send"); sends != 6 {
		t.Fatalf("%d message/send calls, want 6 (one per case, and one resend each after the crash)", sends)
	}
	// Robots have no duplicate check: the resend after the crash repeats the post (at least once).
	var posts string
	for _, m := range e.f.RobotMessages() {
		posts += m.Content
	}
	for _, num := range nums {
		if !strings.Contains(posts, num) {
			t.Fatalf("robot posts miss %s: %s", num, posts)
		}
	}
	if strings.Contains(posts, "*占座*") || !strings.Contains(posts, `\*占座\*`) {
		t.Fatalf("requester's text not escaped in markdown: %s", posts)
	}
}

// TestReplayedLogMakesNoNewNotices: the cursor moved back (a restored backup, a lost cursor
// write) re-reads events whose notices were delivered: nothing is sent again.
func TestReplayedLogMakesNoNewNotices(t *testing.T) {
	e := newEnv(t)
	n, stop := e.run(t, e.st, nil)
	waitFor(t, "the notifier's cursor", func() bool { _, ok, _ := e.st.Cursor(context.Background(), notify.CursorName); return ok })
	e.open(t, 2)
	waitFor(t, "delivered", func() bool { s := n.Status(); return s.Delivered == 6 && s.Pending == 0 })
	stop()
	before := len(e.f.Messages())
	if _, err := e.st.Enqueue(context.Background(), notify.CursorName, 0, nil); err != nil { // cursor back to 0
		t.Fatal(err)
	}
	n, stop = e.run(t, e.st, nil)
	defer stop()
	waitFor(t, "the log re-read", func() bool { return n.Status().Cursor == e.cs.LastSeq() })
	time.Sleep(100 * time.Millisecond)
	if after := len(e.f.Messages()); after != before {
		t.Fatalf("%d messages after the replay, %d before", after, before)
	}
}

// TestDeadLetterAndRetry: a member WeChat Work does not know makes a dead letter at once; an
// unreachable API makes one after DeadAfter attempts; Retry sends it when the API is back.
func TestDeadLetterAndRetry(t *testing.T) {
	e := newEnv(t)
	e.f.Down(true)
	n, stop := e.run(t, e.st, func(c *notify.Config) { c.DeadAfter = 3; c.Robot = nil })
	defer stop()
	waitFor(t, "the notifier's cursor", func() bool { _, ok, _ := e.st.Cursor(context.Background(), notify.CursorName); return ok })
	num := e.open(t, 1)[0]
	waitFor(t, "dead letters", func() bool { return n.Status().Dead == 2 })
	dead, err := n.DeadLetters(context.Background())
	if err != nil || len(dead) != 2 || dead[0].Attempts != 3 || dead[0].Case != num || dead[0].LastError == "" {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	e.f.Down(false)
	for _, d := range dead {
		if err := n.Retry(context.Background(), d.Key); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Retry(context.Background(), "no-such-key"); !errors.Is(err, notify.ErrNotFound) {
		t.Fatalf("retry of an unknown key: %v", err)
	}
	waitFor(t, "delivered after retry", func() bool { s := n.Status(); return s.Delivered == 2 && s.Dead == 0 })
}

// TestQuietHoursHoldAllButEscalations: a department in its quiet hours gets its new case in the
// morning (the notice waits in the outbox, due at the end of the quiet hours).
func TestQuietHoursHoldAllButEscalations(t *testing.T) {
	e := newEnv(t)
	c := testCampus
	c.Departments = []hall.Department{c.Departments[0]}
	c.Departments[0].QuietHours = &hall.QuietHours{From: "00:00", To: "23:59"}
	n, stop := e.run(t, e.st, func(cfg *notify.Config) { cfg.Directory = dir{c}; cfg.Robot = nil })
	defer stop()
	waitFor(t, "the notifier's cursor", func() bool { _, ok, _ := e.st.Cursor(context.Background(), notify.CursorName); return ok })
	e.open(t, 1)
	waitFor(t, "queued", func() bool { return n.Status().Pending == 2 })
	time.Sleep(100 * time.Millisecond)
	if len(e.f.Messages()) != 0 {
		t.Fatalf("sent in quiet hours: %+v", e.f.Messages())
	}
	ps, _ := e.st.Pending(context.Background())
	loc, _ := c.Location()
	for _, p := range ps {
		if l := p.NextAt.In(loc); l.Hour() != 23 || l.Minute() != 59 {
			t.Fatalf("due at %v, want 23:59", l)
		}
	}
}

// TestCursorPastTheLogStartsAtItsEnd: a stored cursor past the case log's end (another log's:
// with -etcd the outbox fails over while the case log is each server's own) is moved to the end
// of this log, and the cases opened after it are notified (they were skipped until the log grew
// past the old cursor).
func TestCursorPastTheLogStartsAtItsEnd(t *testing.T) {
	e := newEnv(t)
	e.open(t, 1)
	if _, err := e.st.Enqueue(context.Background(), notify.CursorName, 1000, nil); err != nil {
		t.Fatal(err)
	}
	n, stop := e.run(t, e.st, nil)
	defer stop()
	waitFor(t, "the cursor at the log's end", func() bool { return n.Status().Cursor == e.cs.LastSeq() })
	e.open(t, 2)
	waitFor(t, "the new cases notified", func() bool { s := n.Status(); return s.Delivered == 6 && s.Pending == 0 })
}
