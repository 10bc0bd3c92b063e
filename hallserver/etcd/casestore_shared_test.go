package etcd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/campus"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/etcd/etcdtest"
	"onedoor/hallserver/hall"
)

// The bbolt case store's tests (hallserver/bolt/cases_test.go) where they apply to etcd, with
// a change of owner where bbolt restarts.

// clock is a settable test clock starting on Monday 2026-03-02 09:00 in Shanghai.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	loc, _ := time.LoadLocation(hall.DefaultTimeZone)
	return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, loc)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// caseEnv is the case system on an etcd cluster, its owner changed by reopen.
type caseEnv struct {
	t    *testing.T
	ctx  context.Context
	cli  *clientv3.Client
	clk  *clock
	n    int
	term *etcd.Term
	cs   *enginehost.Cases
	// maxOps is the store's limit of operations per Txn (0: its default), from the next open.
	maxOps int
}

func newCaseEnv(t *testing.T) *caseEnv {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	e := &caseEnv{t: t, ctx: ctx, cli: cli, clk: newClock()}
	e.open()
	t.Cleanup(e.close)
	return e
}

func (e *caseEnv) open() {
	e.t.Helper()
	e.n++
	term, err := etcd.Campaign(e.ctx, e.cli, "/t/", 3, fmt.Sprintf("http://owner%d", e.n))
	if err != nil {
		e.t.Fatal(err)
	}
	store := etcd.NewCaseStore(e.cli, "/t/", term.Fence, e.clk.Now)
	store.SetMaxTxnOps(e.maxOps)
	cs, err := enginehost.NewCases(e.ctx, store, campus.Demo(), cases.Config{}, e.clk.Now)
	if err != nil {
		e.t.Fatal(err)
	}
	e.term, e.cs = term, cs
}

func (e *caseEnv) close() {
	if e.cs != nil {
		e.cs.Close()
		e.term.Resign()
		e.cs = nil
	}
}

// reopen hands the case system to a new owner, which loads it from etcd.
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
	c, err := e.cs.Open(e.ctx, req)
	if err != nil {
		e.t.Fatalf("open %+v: %v", req, err)
	}
	return c
}

func (e *caseEnv) act(a hall.CaseAction) *hall.Case {
	e.t.Helper()
	c, err := e.cs.Act(e.ctx, a)
	if err != nil {
		e.t.Fatalf("%s %s: %v", a.Action, a.Case, err)
	}
	return c
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEtcdCasesTimersSurviveOwnerChange: a warning and an escalation (tick changes) are stored
// once: a new owner neither repeats nor loses them.
func TestEtcdCasesTimersSurviveOwnerChange(t *testing.T) {
	e := newCaseEnv(t)
	c := e.openCase(hall.OpenCaseRequest{Text: "宿舍热水器坏了"})
	count := func(typ hall.CaseEventType) int {
		evs, _, _ := e.cs.Since(e.ctx, 0)
		n := 0
		for _, ev := range evs {
			if ev.Type == typ {
				n++
			}
		}
		return n
	}
	e.clk.Add(21 * time.Hour)
	if err := e.cs.Tick(e.ctx); err != nil {
		t.Fatal(err)
	}
	if count(hall.CaseEvWarned) != 1 {
		t.Fatalf("warnings %d, want 1", count(hall.CaseEvWarned))
	}
	e.reopen()
	e.cs.Tick(e.ctx)
	if count(hall.CaseEvWarned) != 1 {
		t.Fatalf("warning repeated after the owner changed")
	}
	e.clk.Add(4 * time.Hour)
	e.cs.Tick(e.ctx)
	e.reopen()
	e.cs.Tick(e.ctx)
	if count(hall.CaseEvEscalated) != 1 {
		t.Fatalf("escalations %d, want 1", count(hall.CaseEvEscalated))
	}
	g, err := e.cs.Get(e.ctx, c.ID)
	if err != nil || g.Timers.ReplyEscalated == nil || !g.ReplyLate {
		t.Fatalf("timers not stored: %+v %v", g, err)
	}
	if over, _ := e.cs.List(e.ctx, hall.CaseFilter{Overdue: true}); len(over) != 1 {
		t.Fatalf("overdue %d, want 1", len(over))
	}
}

// TestEtcdCasesStatsClosedListsAndReports: closed cases are listed per involved department,
// newest first, limited, by period, with or without timelines; the statistics and the daily
// report read the report form (returns to triage counted) and give the figures computed from the
// full cases, before and after a change of owner.
func TestEtcdCasesStatsClosedListsAndReports(t *testing.T) {
	e := newCaseEnv(t)
	var ids []string
	for i := range 6 {
		c := e.openCase(hall.OpenCaseRequest{Category: "library-seats", Text: fmt.Sprintf("第%d次投诉占座", i)})
		if i%3 == 0 {
			ret := handler(c.ID, hall.CaseActReturn, "library")
			ret.Text = "不属于本部门"
			e.act(ret)
			e.act(hall.CaseAction{Case: c.ID, Action: hall.CaseActDispatch, Role: hall.RoleSupervisor, Actor: "supervisor",
				ActorDepartment: hall.OfficeDepartment, Department: "library"})
		}
		e.act(handler(c.ID, hall.CaseActSign, "library"))
		e.act(handler(c.ID, hall.CaseActReply, "library"))
		if i%2 == 0 {
			e.act(handler(c.ID, hall.CaseActArchive, "library"))
		}
		ids = append(ids, c.ID)
		e.clk.Add(time.Minute)
	}
	from, to := e.clk.Now().Add(-time.Hour), e.clk.Now().Add(time.Minute)
	full, err := e.cs.Received(e.ctx, from, to)
	if err != nil || len(full) != 6 || len(full[0].Timeline) < 8 {
		t.Fatalf("received %d %v", len(full), err)
	}
	want := mustJSON(t, cases.Stats(full, from, to, e.clk.Now()))
	if !strings.Contains(want, `"returned":2`) {
		t.Fatalf("the reference counts no returns: %s", want)
	}
	day, err := e.cs.Daily(e.ctx, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		if round == 2 {
			e.reopen()
		}
		st, err := e.cs.Stats(e.ctx, from, to)
		if err != nil || mustJSON(t, st) != want {
			t.Fatalf("round %d: stats %s %v, want %s", round, mustJSON(t, st), err, want)
		}
		again, err := e.cs.Daily(e.ctx, e.clk.Now())
		if err != nil || mustJSON(t, again) != mustJSON(t, day) {
			t.Fatalf("round %d: daily report changed:\n%s\n%s", round, mustJSON(t, again), mustJSON(t, day))
		}
		closed, err := e.cs.List(e.ctx, hall.CaseFilter{Department: "library", States: []hall.CaseState{hall.CaseArchived}, Limit: 2})
		if err != nil || len(closed) != 2 || closed[0].ID != ids[4] || closed[1].ID != ids[2] {
			t.Fatalf("round %d: closed list %v %v", round, closed, err)
		}
		if other, _ := e.cs.List(e.ctx, hall.CaseFilter{Department: "it"}); len(other) != 0 {
			t.Fatalf("it sees %d library cases", len(other))
		}
		if since, _ := e.cs.List(e.ctx, hall.CaseFilter{Since: e.clk.Now().Add(-150 * time.Second)}); len(since) != 2 {
			t.Fatalf("since: %d cases, want 2", len(since))
		}
		brief, err := e.cs.List(e.ctx, hall.CaseFilter{States: []hall.CaseState{hall.CaseArchived}, NoTimeline: true})
		if err != nil || len(brief) != 3 || len(brief[0].Timeline) != 0 {
			t.Fatalf("brief list: %d %v", len(brief), err)
		}
		whole, err := e.cs.List(e.ctx, hall.CaseFilter{States: []hall.CaseState{hall.CaseArchived}})
		if err != nil || len(whole) != 3 || len(whole[0].Timeline) == 0 {
			t.Fatalf("full list: %d %v", len(whole), err)
		}
	}
	if st, _ := e.cs.Stats(e.ctx, e.clk.Now(), e.clk.Now().Add(time.Hour)); len(st) != 0 {
		t.Fatalf("empty period: %+v", st)
	}
}

// TestEtcdForgetRoutesSurvivesOwnerChange: the office undoes one user's re-routes; a new owner
// does not learn them again, while another user's re-route and the user's later ones stay.
func TestEtcdForgetRoutesSurvivesOwnerChange(t *testing.T) {
	e := newCaseEnv(t)
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
	if n, err := e.cs.ForgetRoutes(e.ctx, "office-a"); err != nil || n != 1 {
		t.Fatalf("ForgetRoutes: %d %v, want 1", n, err)
	}
	later := "食堂的饭菜太咸了"
	dispatch(later, "office-a", "hr")
	check := func(when string) {
		t.Helper()
		r := e.cs.Router()
		if r.Learned() != 2 || r.Route(rogue).Department == "finance" || r.Route(honest).Department != "careers" || r.Route(later).Department != "hr" {
			t.Fatalf("%s: learned %d; %s→%s, %s→%s, %s→%s", when, r.Learned(), rogue, r.Route(rogue).Department, honest, r.Route(honest).Department, later, r.Route(later).Department)
		}
	}
	check("before the owner changed")
	e.reopen()
	check("after the owner changed")
}

// TestEtcdCasesBigTickAcrossTxns: one tick warns 80 cases at once, a change of several hundred
// operations cut over several fenced Txns: every case gets its warning once, with its timeline
// entry, the log stays gap-free, and a new owner repeats none of them.
func TestEtcdCasesBigTickAcrossTxns(t *testing.T) {
	e := newCaseEnv(t)
	var ids []string
	for i := range 80 {
		ids = append(ids, e.openCase(hall.OpenCaseRequest{Text: fmt.Sprintf("宿舍%d号楼热水器坏了", i)}).ID)
	}
	before := e.cs.LastSeq()
	e.clk.Add(21 * time.Hour)
	if err := e.cs.Tick(e.ctx); err != nil {
		t.Fatal(err)
	}
	if e.cs.LastSeq() < before+80 {
		t.Fatalf("the tick logged %d events, want at least 80", e.cs.LastSeq()-before)
	}
	check := func(when string) {
		t.Helper()
		evs, ok, err := e.cs.Since(e.ctx, 0)
		if err != nil || !ok || uint64(len(evs)) != e.cs.LastSeq() {
			t.Fatalf("%s: %d events, last seq %d, %v", when, len(evs), e.cs.LastSeq(), err)
		}
		warned := map[string]int{}
		for i, ev := range evs {
			if ev.Seq != uint64(i+1) {
				t.Fatalf("%s: event %d has seq %d", when, i, ev.Seq)
			}
			if ev.Type == hall.CaseEvWarned {
				warned[ev.Case.ID]++
			}
		}
		for _, id := range ids {
			c, err := e.cs.Get(e.ctx, id)
			if err != nil || warned[id] != 1 {
				t.Fatalf("%s: case %s warned %d times (%v)", when, id, warned[id], err)
			}
			n := 0
			for _, en := range c.Timeline {
				if en.Type == hall.CaseEvWarned {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%s: case %s has %d warnings in its timeline", when, id, n)
			}
		}
	}
	check("before the owner changed")
	e.reopen()
	if err := e.cs.Tick(e.ctx); err != nil {
		t.Fatal(err)
	}
	check("after the owner changed")
}

// TestEtcdCasesTickOneTxnOnClusterLimit: told the cluster's --max-txn-ops (hallserver -etcd
// probes it), the store writes the tick that warns 80 cases in one Txn, where etcd's default
// limit cuts it into several (one revision per Txn).
func TestEtcdCasesTickOneTxnOnClusterLimit(t *testing.T) {
	txns := func(maxOps int) int64 {
		e := newCaseEnv(t)
		e.maxOps = maxOps
		e.reopen()
		for i := range 80 {
			e.openCase(hall.OpenCaseRequest{Text: fmt.Sprintf("宿舍%d号楼热水器坏了", i)})
		}
		rev := func() int64 {
			r, err := e.cli.Get(e.ctx, "/t/")
			if err != nil {
				t.Fatal(err)
			}
			return r.Header.Revision
		}
		before := rev()
		e.clk.Add(21 * time.Hour)
		if err := e.cs.Tick(e.ctx); err != nil {
			t.Fatal(err)
		}
		return rev() - before
	}
	if n := txns(0); n < 3 {
		t.Fatalf("the tick of 80 cases on etcd's default limit took %d Txns, want it cut (≥ 3)", n)
	}
	if n := txns(etcd.QueueTxnOps(etcdtest.DevMaxTxnOps)); n != 1 {
		t.Fatalf("the tick of 80 cases on the cluster's limit took %d Txns, want 1", n)
	}
}
