package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// caseEnv is a case store on a bbolt file with a settable clock.
type caseEnv struct {
	t    testing.TB
	fp   faults
	path string
	clk  *clock
	db   *DB
	cs   *Cases
}

func newCaseEnv(t testing.TB) *caseEnv {
	t.Helper()
	e := &caseEnv{t: t, path: filepath.Join(t.TempDir(), "onedoor.db"), clk: newClock()}
	e.open()
	t.Cleanup(e.close)
	return e
}

func (e *caseEnv) open() {
	e.t.Helper()
	db, err := OpenWith(e.path, Options{Failpoint: e.fp.hit})
	if err != nil {
		e.t.Fatal(err)
	}
	cs, err := NewCases(context.Background(), db, testCampus(), cases.Config{}, e.clk.Now)
	if err != nil {
		db.Close()
		e.t.Fatal(err)
	}
	e.db, e.cs = db, cs
}

func (e *caseEnv) close() {
	if e.cs != nil {
		e.cs.Close()
		e.cs = nil
	}
	if e.db != nil {
		e.db.Close()
		e.db = nil
	}
}

func (e *caseEnv) reopen() {
	e.t.Helper()
	e.close()
	e.open()
}

func (e *caseEnv) openCase(req hall.OpenCaseRequest) *hall.Case {
	e.t.Helper()
	if req.Channel == "" {
		req.Channel = hall.ChannelKiosk
	}
	c, err := e.cs.Open(context.Background(), req)
	if err != nil {
		e.t.Fatalf("open %+v: %v", req, err)
	}
	return c
}

func (e *caseEnv) act(a hall.CaseAction) *hall.Case {
	e.t.Helper()
	c, err := e.cs.Act(context.Background(), a)
	if err != nil {
		e.t.Fatalf("%s %s: %v", a.Action, a.Case, err)
	}
	return c
}

func (e *caseEnv) get(ref string) *hall.Case {
	e.t.Helper()
	c, err := e.cs.Get(context.Background(), ref)
	if err != nil {
		e.t.Fatalf("get %s: %v", ref, err)
	}
	return c
}

func handler(id, action, dept string) hall.CaseAction {
	return hall.CaseAction{Case: id, Action: action, Actor: "h-" + dept, Role: hall.RoleHandler, ActorDepartment: dept, Text: "好的，已处理"}
}

// TestCasesRestartKeepsEverything: open, routed, learned, replied, rated and closed cases, the
// meta and the router's learned examples all survive a restart; numbers go on.
func TestCasesRestartKeepsEverything(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	topic := e.openCase(hall.OpenCaseRequest{Hall: "h1", Category: "library-seats", Kind: hall.KindComplaint})
	if topic.State != hall.CaseDispatched || topic.Department != "library" || topic.Text != "" {
		t.Fatalf("topic case %+v", topic)
	}
	routed := e.openCase(hall.OpenCaseRequest{Text: "宿舍的空调坏了三天了，一直没人来修", Requester: hall.Requester{Name: "张三", Phone: "13812345678"}})
	// A counter sends an IT-sounding request to finance: the router learns from it.
	taught := e.openCase(hall.OpenCaseRequest{Channel: hall.ChannelCounter, Text: "校园卡充值以后网费没到账", Department: "finance"})
	learnedBefore := e.cs.Router().Learned()
	e.act(handler(routed.ID, hall.CaseActSign, routed.Department))
	replied := e.act(handler(routed.ID, hall.CaseActReply, routed.Department))
	if replied.State != hall.CaseReplied {
		t.Fatalf("reply: %s", replied.State)
	}
	if _, err := e.cs.Rate(ctx, routed.Token, hall.Rating{Stars: 5, Comment: "很快"}); err != nil {
		t.Fatal(err)
	}
	closed := e.act(hall.CaseAction{Case: topic.Number, Action: hall.CaseActNotAccept, Role: hall.RoleSupervisor, Actor: "supervisor", ActorDepartment: hall.OfficeDepartment, Text: "不属于受理范围"})
	if closed.State != hall.CaseNotAccepted {
		t.Fatalf("not-accept: %s", closed.State)
	}
	meta := e.cs.Meta()
	want := map[string]*hall.Case{}
	for _, id := range []string{topic.ID, routed.ID, taught.ID} {
		want[id] = e.get(id)
	}

	e.reopen()
	if got := e.cs.Meta(); got != meta {
		t.Fatalf("meta %+v, want %+v", got, meta)
	}
	if e.cs.LastSeq() != meta.Seq {
		t.Fatalf("last seq %d, want %d", e.cs.LastSeq(), meta.Seq)
	}
	if got := e.cs.Router().Learned(); got != learnedBefore || got == 0 {
		t.Fatalf("router learned %d after restart, want %d", got, learnedBefore)
	}
	for id, w := range want {
		g := e.get(id)
		if gj, wj := mustJSON(t, g), mustJSON(t, w); gj != wj {
			t.Fatalf("case %s changed across restart:\n%+v\n%+v", id, g, w)
		}
		if byNum := e.get(w.Number); byNum.ID != id {
			t.Fatalf("by number %s: %s", w.Number, byNum.ID)
		}
		p, err := e.cs.GetByToken(ctx, w.Token)
		// the public view: the case's own number, no internal ID, the phone masked
		if err != nil || p.Number != w.Number || p.ID != "" || (w.Requester.Phone != "" && p.Requester.Phone == w.Requester.Phone) {
			t.Fatalf("by token: %+v %v", p, err)
		}
	}
	// The closed case is read from the store for lists and refuses actions.
	lib, err := e.cs.List(ctx, hall.CaseFilter{Department: "library"})
	if err != nil || len(lib) != 1 || lib[0].ID != topic.ID {
		t.Fatalf("library list %v %v", lib, err)
	}
	if _, err := e.cs.Act(ctx, handler(topic.ID, hall.CaseActNote, "library")); hall.ErrorCode(err) != hall.ECONFLICT {
		t.Fatalf("act on closed case: %v", err)
	}
	if open, _ := e.cs.List(ctx, hall.CaseFilter{Open: true}); len(open) != 2 {
		t.Fatalf("open cases %d, want 2", len(open))
	}
	if all, _ := e.cs.List(ctx, hall.CaseFilter{}); len(all) != 3 {
		t.Fatalf("all cases %d, want 3", len(all))
	}
	next := e.openCase(hall.OpenCaseRequest{Text: "图书馆占座现象严重"})
	if next.Number <= taught.Number {
		t.Fatalf("number %s not after %s", next.Number, taught.Number)
	}
}

// TestCasesIdempotentOpen: a key returns the first case, also while it is being committed, from
// many goroutines at once and after a restart; another source's same key is another case.
func TestCasesIdempotentOpen(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	req := hall.OpenCaseRequest{Channel: hall.ChannelKiosk, Hall: "h1", Category: "dorm-repairs", Source: "kiosk-1", IdempotencyKey: "outbox-7"}
	var wg sync.WaitGroup
	ids := make([]string, 16)
	errs := make([]error, 16)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := e.cs.Open(ctx, req)
			if err == nil {
				ids[i] = c.ID
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("open %d: %s %v (first %s)", i, ids[i], errs[i], ids[0])
		}
	}
	if n, _ := e.cs.List(ctx, hall.CaseFilter{}); len(n) != 1 {
		t.Fatalf("%d cases, want 1", len(n))
	}
	e.reopen()
	c, err := e.cs.Open(ctx, req)
	if err != nil || c.ID != ids[0] {
		t.Fatalf("after restart: %v %v", c, err)
	}
	other := req
	other.Source = "kiosk-2"
	c2, err := e.cs.Open(ctx, other)
	if err != nil || c2.ID == ids[0] {
		t.Fatalf("other source: %v %v", c2, err)
	}
	// The key expires.
	e.clk.Add(CaseIdempotencyTTL + time.Hour)
	c3, err := e.cs.Open(ctx, req)
	if err != nil || c3.ID == ids[0] {
		t.Fatalf("expired key: %v %v", c3, err)
	}
}

// TestCasesFailedCommitChangesNothing: a storage error fails the command, leaves the file, the
// engine, the router and the numbers as they were; the next command works.
func TestCasesFailedCommitChangesNothing(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	first := e.openCase(hall.OpenCaseRequest{Text: "校园网晚上总是断线"})
	meta := e.cs.Meta()
	learned := e.cs.Router().Learned()

	e.fp.fail.Store(1)
	_, err := e.cs.Open(ctx, hall.OpenCaseRequest{Channel: hall.ChannelCounter, Text: "食堂饭菜太贵", Department: "it"})
	if hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("open with failing commit: %v", err)
	}
	if got := e.cs.Meta(); got != meta {
		t.Fatalf("meta %+v after failed open, want %+v", got, meta)
	}
	if got := e.cs.Router().Learned(); got != learned {
		t.Fatalf("router learned %d after failed open, want %d", got, learned)
	}
	e.fp.fail.Store(1)
	if _, err := e.cs.Act(ctx, handler(first.ID, hall.CaseActSign, first.Department)); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("sign with failing commit: %v", err)
	}
	if c := e.get(first.ID); c.State != first.State || !c.UpdatedAt.Equal(first.UpdatedAt) {
		t.Fatalf("case changed by a failed commit: %s", c.State)
	}
	if open, _ := e.cs.List(ctx, hall.CaseFilter{}); len(open) != 1 || open[0].State != first.State {
		t.Fatalf("list after failed commits: %+v", open)
	}
	if evs, ok, _ := e.cs.Since(ctx, 0); !ok || uint64(len(evs)) != meta.Seq {
		t.Fatalf("log has %d events, want %d", len(evs), meta.Seq)
	}
	second := e.openCase(hall.OpenCaseRequest{Text: "食堂饭菜太贵"})
	if want := first.Number[:len(first.Number)-4] + "0002"; second.Number != want {
		t.Fatalf("number after failures %s, want %s", second.Number, want)
	}
	e.act(handler(first.ID, hall.CaseActSign, first.Department))
}

// TestCasesSinceReplays: the log replays every committed event in order, also after a restart;
// subscribers get the same events; a seq ahead of the log is unknown.
func TestCasesSinceReplays(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	sub, cancel := e.cs.Subscribe(100)
	defer cancel()
	c := e.openCase(hall.OpenCaseRequest{Text: "奖学金什么时候发放"})
	e.act(handler(c.ID, hall.CaseActSign, c.Department))
	e.act(handler(c.ID, hall.CaseActAsk, c.Department))
	if _, err := e.cs.AddDetails(ctx, c.Token, "我是2023级的"); err != nil {
		t.Fatal(err)
	}
	all, ok, err := e.cs.Since(ctx, 0)
	if err != nil || !ok || len(all) == 0 {
		t.Fatalf("since 0: %d %v %v", len(all), ok, err)
	}
	for i, ev := range all {
		if ev.Seq != uint64(i+1) || ev.Case == nil || ev.Case.ID != c.ID {
			t.Fatalf("event %d: %+v", i, ev)
		}
		select {
		case got := <-sub:
			if got.Seq != ev.Seq || got.Type != ev.Type {
				t.Fatalf("subscribed %d %s, logged %d %s", got.Seq, got.Type, ev.Seq, ev.Type)
			}
		case <-time.After(time.Second):
			t.Fatalf("subscriber missed event %d", ev.Seq)
		}
	}
	if last := all[len(all)-1]; last.Type != hall.CaseEvResumed {
		t.Fatalf("last event %s", last.Type)
	}
	tail, ok, _ := e.cs.Since(ctx, 3)
	if !ok || len(tail) != len(all)-3 || tail[0].Seq != 4 {
		t.Fatalf("since 3: %d events", len(tail))
	}
	if _, ok, _ := e.cs.Since(ctx, e.cs.LastSeq()+1); ok {
		t.Fatal("since ahead of the log is ok")
	}
	e.reopen()
	again, ok, _ := e.cs.Since(ctx, 0)
	if !ok || len(again) != len(all) || again[len(again)-1].Seq != all[len(all)-1].Seq {
		t.Fatalf("after restart %d events, want %d", len(again), len(all))
	}
	// Close closes subscriptions.
	sub2, _ := e.cs.Subscribe(1)
	e.close()
	if _, open := <-sub2; open {
		t.Fatal("subscription open after Close")
	}
}

// TestCasesTimersSurviveRestart: a warning and an escalation are committed by Tick and never
// repeated, also across a restart.
func TestCasesTimersSurviveRestart(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	c := e.openCase(hall.OpenCaseRequest{Text: "宿舍热水器坏了"})
	count := func(typ hall.CaseEventType) int {
		evs, _, _ := e.cs.Since(ctx, 0)
		n := 0
		for _, ev := range evs {
			if ev.Type == typ {
				n++
			}
		}
		return n
	}
	e.clk.Add(21 * time.Hour) // Monday 09:00 + 21 h: within 4 h of the 24 h reply limit
	if err := e.cs.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if count(hall.CaseEvWarned) != 1 {
		t.Fatalf("warnings %d, want 1", count(hall.CaseEvWarned))
	}
	e.reopen()
	e.cs.Tick(ctx)
	if count(hall.CaseEvWarned) != 1 {
		t.Fatalf("warning repeated after restart")
	}
	e.clk.Add(4 * time.Hour)
	e.cs.Tick(ctx)
	e.reopen()
	e.cs.Tick(ctx)
	if count(hall.CaseEvEscalated) != 1 {
		t.Fatalf("escalations %d, want 1", count(hall.CaseEvEscalated))
	}
	if g := e.get(c.ID); g.Timers.ReplyEscalated == nil || !g.ReplyLate {
		t.Fatalf("timers not stored: %+v", g.Timers)
	}
	over, _ := e.cs.List(ctx, hall.CaseFilter{Overdue: true})
	if len(over) != 1 {
		t.Fatalf("overdue %d, want 1", len(over))
	}
}

// TestCasesStatsAndClosedLists: stats read every case of the period from the file; closed cases
// are listed per involved department, newest first, limited.
func TestCasesStatsAndClosedLists(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	var ids []string
	for i := 0; i < 5; i++ {
		c := e.openCase(hall.OpenCaseRequest{Category: "library-seats", Text: fmt.Sprintf("第%d次投诉占座", i)})
		e.act(handler(c.ID, hall.CaseActSign, "library"))
		e.act(handler(c.ID, hall.CaseActReply, "library"))
		if i%2 == 0 {
			e.act(handler(c.ID, hall.CaseActArchive, "library"))
		}
		ids = append(ids, c.ID)
		e.clk.Add(time.Minute)
	}
	closed, err := e.cs.List(ctx, hall.CaseFilter{Department: "library", States: []hall.CaseState{hall.CaseArchived}, Limit: 2})
	if err != nil || len(closed) != 2 || closed[0].ID != ids[4] || closed[1].ID != ids[2] {
		t.Fatalf("closed list %v %v", closed, err)
	}
	if other, _ := e.cs.List(ctx, hall.CaseFilter{Department: "it"}); len(other) != 0 {
		t.Fatalf("it sees %d library cases", len(other))
	}
	since, _ := e.cs.List(ctx, hall.CaseFilter{Since: e.clk.Now().Add(-150 * time.Second)})
	if len(since) != 2 {
		t.Fatalf("since: %d cases, want 2", len(since))
	}
	st, err := e.cs.Stats(ctx, e.clk.Now().Add(-time.Hour), e.clk.Now())
	if err != nil || len(st) != 1 || st[0].Department != "library" || st[0].Received != 5 || st[0].Resolved != 5 || st[0].ResponseRate != 1 {
		t.Fatalf("stats %+v %v", st, err)
	}
	if st, _ := e.cs.Stats(ctx, e.clk.Now(), e.clk.Now().Add(time.Hour)); len(st) != 0 {
		t.Fatalf("empty period: %+v", st)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCaseReportsReadTheReportForm: the statistics, the series and the daily report read the
// cases in their report form (final ones cached after the first read) and give the same figures
// as computed from the full cases, the first time and the next, also for returns to triage.
func TestCaseReportsReadTheReportForm(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		c := e.openCase(hall.OpenCaseRequest{Category: "library-seats", Text: fmt.Sprintf("第%d次投诉占座", i)})
		if i%3 == 0 {
			ret := handler(c.ID, hall.CaseActReturn, "library")
			ret.Text = "不属于本部门"
			e.act(ret)
			d := hall.CaseAction{Case: c.ID, Action: hall.CaseActDispatch, Role: hall.RoleSupervisor, Actor: "supervisor", ActorDepartment: hall.OfficeDepartment, Department: "library"}
			e.act(d)
		}
		e.act(handler(c.ID, hall.CaseActSign, "library"))
		e.act(handler(c.ID, hall.CaseActReply, "library"))
		if i%2 == 0 {
			e.act(handler(c.ID, hall.CaseActArchive, "library"))
		}
		e.clk.Add(time.Minute)
	}
	from, to := e.clk.Now().Add(-time.Hour), e.clk.Now().Add(time.Minute)
	full, err := e.cs.Received(ctx, from, to)
	if err != nil || len(full) != 6 {
		t.Fatalf("received %d %v", len(full), err)
	}
	want := mustJSON(t, cases.Stats(full, from, to, e.clk.Now()))
	if !strings.Contains(want, `"returned":2`) {
		t.Fatalf("the reference counts no returns: %s", want)
	}
	day, err := e.cs.Daily(ctx, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		st, err := e.cs.Stats(ctx, from, to)
		if err != nil || mustJSON(t, st) != want {
			t.Fatalf("round %d: stats %s %v, want %s", round, mustJSON(t, st), err, want)
		}
		again, err := e.cs.Daily(ctx, e.clk.Now())
		if err != nil || mustJSON(t, again) != mustJSON(t, day) {
			t.Fatalf("round %d: daily report changed:\n%s\n%s", round, mustJSON(t, again), mustJSON(t, day))
		}
	}
	if len(full[0].Timeline) < 8 {
		t.Fatalf("Received lost its full cases: %+v", full[0])
	}
}

// TestForgetRoutesSurvivesRestart: the office undoes one user's re-routes; the router forgets
// them at once and a restart does not replay them, while another user's re-route and the user's
// later ones stay.
func TestForgetRoutesSurvivesRestart(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	dispatch := func(text, actor, dept string) {
		t.Helper()
		c := e.openCase(hall.OpenCaseRequest{Text: text})
		if c.Department == dept {
			t.Fatalf("%q already routed to %s", text, dept)
		}
		e.act(hall.CaseAction{Case: c.ID, Action: hall.CaseActDispatch, Role: hall.RoleSupervisor, Actor: actor, ActorDepartment: hall.OfficeDepartment, Department: dept})
	}
	rogue, honest := "图书馆三楼的空调坏了", "宿舍楼下的自行车被偷了"
	dispatch(rogue, "office-a", "finance")
	dispatch(honest, "office-b", "careers")
	if got := e.cs.Router().Route(rogue).Department; got != "finance" {
		t.Fatalf("after the re-route %q goes to %s, want finance", rogue, got)
	}
	n, err := e.cs.ForgetRoutes(ctx, "office-a")
	if err != nil || n != 1 {
		t.Fatalf("ForgetRoutes: %d %v, want 1", n, err)
	}
	if got := e.cs.Router().Route(rogue).Department; got == "finance" {
		t.Fatalf("after ForgetRoutes %q still goes to finance", rogue)
	}
	later := "食堂的饭菜太咸了"
	dispatch(later, "office-a", "hr") // a re-route after the reversal stays
	check := func(when string) {
		t.Helper()
		r := e.cs.Router()
		if r.Learned() != 2 || r.Route(rogue).Department == "finance" || r.Route(honest).Department != "careers" || r.Route(later).Department != "hr" {
			t.Fatalf("%s: learned %d; %s→%s, %s→%s, %s→%s", when, r.Learned(), rogue, r.Route(rogue).Department, honest, r.Route(honest).Department, later, r.Route(later).Department)
		}
	}
	check("before the restart")
	e.reopen()
	check("after the restart")
	if _, err := e.cs.ForgetRoutes(ctx, " "); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("blank username: %v, want invalid", err)
	}
}

// TestClosedCasesWithoutTimeline: a list with NoTimeline (the exports) reads the final cases
// from disk without their timelines, the same cases otherwise, and does not put the partial
// cases in the cache of whole ones: a list after it has the timelines.
func TestClosedCasesWithoutTimeline(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		c := e.openCase(hall.OpenCaseRequest{Category: "library-seats", Text: fmt.Sprintf("第%d次投诉占座", i)})
		e.act(handler(c.ID, hall.CaseActSign, "library"))
		e.act(handler(c.ID, hall.CaseActReply, "library"))
		e.act(handler(c.ID, hall.CaseActArchive, "library"))
		e.clk.Add(time.Minute)
	}
	f := hall.CaseFilter{States: []hall.CaseState{hall.CaseArchived}, NoTimeline: true}
	brief, err := e.cs.List(ctx, f)
	if err != nil || len(brief) != 3 {
		t.Fatalf("brief list: %d %v", len(brief), err)
	}
	f.NoTimeline = false
	full, err := e.cs.List(ctx, f)
	if err != nil || len(full) != 3 {
		t.Fatalf("full list: %d %v", len(full), err)
	}
	for i := range full {
		if len(brief[i].Timeline) != 0 || len(full[i].Timeline) < 4 {
			t.Errorf("case %s: timeline %d entries without, %d with", full[i].ID, len(brief[i].Timeline), len(full[i].Timeline))
		}
		b, w := brief[i], full[i]
		b.Timeline, w.Timeline = nil, nil
		if mustJSON(t, b) != mustJSON(t, w) {
			t.Errorf("the cases differ beyond the timeline:\n%s\n%s", mustJSON(t, b), mustJSON(t, w))
		}
	}
}
