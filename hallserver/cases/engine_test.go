package cases

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

var cst = DemoCalendar().Loc

// at returns a local (Shanghai) time.
func at(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, cst) }

// mon is Monday 2026-03-02 10:00 local, a plain working week.
var mon = at(2026, 3, 2, 10, 0)

func newEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type fixture struct {
	t   testing.TB
	e   *Engine
	seq uint64
	n   int
}

func newFixture(t testing.TB) *fixture { return &fixture{t: t, e: newEngine(t)} }

// check verifies a Change: consecutive seqs, every event's case in Cases.
func (f *fixture) check(ch Change) {
	f.t.Helper()
	for _, ev := range ch.Events {
		f.seq++
		if ev.Seq != f.seq {
			f.t.Fatalf("event %s seq %d, want %d", ev.Type, ev.Seq, f.seq)
		}
	}
	if !ch.Empty() && ch.Meta.Seq != f.seq {
		f.t.Fatalf("meta seq %d, want %d", ch.Meta.Seq, f.seq)
	}
}

func (f *fixture) open(now time.Time, req hall.OpenCaseRequest) hall.Case {
	f.t.Helper()
	f.n++
	if req.Channel == "" {
		req.Channel = hall.ChannelWeb
	}
	c, ch, err := f.e.Open(now, req, fmt.Sprint("id", f.n), fmt.Sprint("tok", f.n))
	if err != nil {
		f.t.Fatalf("open: %v", err)
	}
	f.check(ch)
	return *c
}

// openTo opens a case dispatched to dept by staff choice.
func (f *fixture) openTo(now time.Time, dept string) hall.Case {
	return f.open(now, hall.OpenCaseRequest{Kind: hall.KindComplaint, Text: "宿舍卫生间漏水好几天了", Department: dept})
}

func (f *fixture) act(now time.Time, a hall.CaseAction) hall.Case {
	f.t.Helper()
	if a.ActorDepartment == "" && a.Role == "" {
		a.Role = hall.RoleSupervisor
	}
	c, ch, err := f.e.Act(now, a)
	if err != nil {
		f.t.Fatalf("%s: %v", a.Action, err)
	}
	f.check(ch)
	return *c
}

// fails checks that an action fails with the code and changes nothing.
func (f *fixture) fails(now time.Time, a hall.CaseAction, code string) {
	f.t.Helper()
	before, meta := f.e.Cases(), f.e.Meta()
	_, ch, err := f.e.Act(now, a)
	if hall.ErrorCode(err) != code {
		f.t.Fatalf("%s: error %v, want %s", a.Action, err, code)
	}
	if !ch.Empty() || !reflect.DeepEqual(before, f.e.Cases()) || meta != f.e.Meta() {
		f.t.Fatalf("%s: failing action changed the engine", a.Action)
	}
}

func lead(id, action, dept string) hall.CaseAction {
	return hall.CaseAction{Case: id, Action: action, Actor: "h-" + dept, Role: hall.RoleHandler, ActorDepartment: dept}
}

func types(ch Change) []hall.CaseEventType {
	var out []hall.CaseEventType
	for _, ev := range ch.Events {
		out = append(out, ev.Type)
	}
	return out
}

func TestOpenRoutesAndNumbers(t *testing.T) {
	f := newFixture(t)
	c, ch, err := f.e.Open(mon, hall.OpenCaseRequest{Kind: hall.KindComplaint, Channel: hall.ChannelKiosk, Text: "图书馆座位被人用书占着一整天", Requester: hall.Requester{Name: "张三", Phone: "13812345678", PersonID: "20231234"}}, "a", "tokA")
	if err != nil {
		t.Fatal(err)
	}
	f.check(ch)
	if c.Number != "JS20260302-0001" || c.State != hall.CaseDispatched || c.Department != "library" || c.Category != "library-seats" {
		t.Fatalf("case %s %s %s %s", c.Number, c.State, c.Department, c.Category)
	}
	want := []hall.CaseEventType{hall.CaseEvReceived, hall.CaseEvRouted, hall.CaseEvDispatched}
	if !reflect.DeepEqual(types(ch), want) || len(ch.Cases) != 1 {
		t.Fatalf("events %v cases %d", types(ch), len(ch.Cases))
	}
	if c.Route == nil || c.Route.Confidence <= 0 {
		t.Fatalf("route %+v", c.Route)
	}
	if !c.ReplyDue.Equal(mon.Add(24*time.Hour)) || !c.Due.Equal(mon.Add(3*24*time.Hour)) {
		t.Fatalf("limits %v %v", c.ReplyDue, c.Due)
	}
	// nonsense goes to triage
	c2 := f.open(mon, hall.OpenCaseRequest{Text: "zzqx ???"})
	if c2.State != hall.CaseTriage || c2.Department != hall.OfficeDepartment || c2.Number != "JS20260302-0002" {
		t.Fatalf("triage: %s %s %s", c2.State, c2.Department, c2.Number)
	}
	// next local day restarts the count; the clock going back does not reuse numbers
	c3 := f.open(at(2026, 3, 3, 0, 5), hall.OpenCaseRequest{Text: "校园网断了"})
	c4 := f.open(at(2026, 3, 2, 23, 59), hall.OpenCaseRequest{Text: "校园网又断了"})
	if c3.Number != "JS20260303-0001" || c4.Number != "JS20260303-0002" {
		t.Fatalf("numbers %s %s", c3.Number, c4.Number)
	}
	// public view masks the requester
	p := f.e.cases["a"].Public()
	if p.Requester.Phone != "138****5678" || p.Requester.Name != "张*" || p.Requester.PersonID != "20****34" || p.Route != nil {
		t.Fatalf("public %+v", p.Requester)
	}
	for _, en := range p.Timeline {
		if !en.Public || en.Actor != "" {
			t.Fatalf("public timeline entry %+v", en)
		}
	}
}

func TestOpenStaffChoiceTeachesRouter(t *testing.T) {
	f := newFixture(t)
	text := "学术报告厅的话筒总是没声音"
	if f.e.Route(text).Department == "logistics" {
		t.Fatal("the router already sends this text to logistics: pick a text it routes elsewhere, or the test shows no learning")
	}
	_, ch, err := f.e.Open(mon, hall.OpenCaseRequest{Channel: hall.ChannelCounter, Text: text, Department: "logistics"}, "x", "tx")
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Learned) != 1 || ch.Learned[0].Department != "logistics" || f.e.Router().Learned() != 1 {
		t.Fatalf("learned %+v", ch.Learned)
	}
}

func TestOpenInvalid(t *testing.T) {
	f := newFixture(t)
	f.open(mon, hall.OpenCaseRequest{Text: "校园网断了"})
	long := string(make([]rune, MaxText+1))
	for _, tc := range []struct {
		req       hall.OpenCaseRequest
		id, token string
		code      string
	}{
		{hall.OpenCaseRequest{Channel: "fax", Text: "x"}, "n", "t", hall.EINVALID},
		{hall.OpenCaseRequest{Channel: hall.ChannelWeb, Kind: "rant", Text: "x"}, "n", "t", hall.EINVALID},
		{hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "  "}, "n", "t", hall.EINVALID},
		{hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: long}, "n", "t", hall.EINVALID},
		{hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "x", Lang: "fr"}, "n", "t", hall.EINVALID},
		{hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "x", Category: "nope"}, "n", "t", hall.ENOTFOUND},
		{hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "x", Department: "nope"}, "n", "t", hall.ENOTFOUND},
		{hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "x", Department: "it", Category: "canteens"}, "n", "t", hall.EINVALID},
		{hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "x"}, "", "t", hall.EINVALID},
		{hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "x"}, "n", "", hall.EINVALID},
		{hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "x"}, "id1", "t", hall.ECONFLICT},
		{hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "x"}, "n", "tok1", hall.ECONFLICT},
	} {
		meta := f.e.Meta()
		_, ch, err := f.e.Open(mon, tc.req, tc.id, tc.token)
		if hall.ErrorCode(err) != tc.code || !ch.Empty() || f.e.Meta() != meta || f.e.Len() != 1 {
			t.Fatalf("%+v: err %v want %s", tc.req, err, tc.code)
		}
	}
	// anonymous requests drop contact data
	c := f.open(mon, hall.OpenCaseRequest{Text: "食堂太贵", Requester: hall.Requester{Anonymous: true, Phone: "13800000000"}})
	if c.Requester.Phone != "" || !c.Requester.Anonymous {
		t.Fatalf("anonymous %+v", c.Requester)
	}
}

func TestHappyPathAndRating(t *testing.T) {
	f := newFixture(t)
	c := f.openTo(mon, "logistics")
	f.act(mon.Add(time.Hour), lead(c.ID, hall.CaseActSign, "logistics"))
	a := lead(c.ID, hall.CaseActAsk, "logistics")
	a.Text = "请问是哪栋楼哪个房间？"
	got := f.act(mon.Add(2*time.Hour), a)
	if got.State != hall.CaseWaitingRequester || got.PausedAt == nil || got.FirstResponseAt == nil {
		t.Fatalf("ask: %+v", got.State)
	}
	// the requester answers a day later: the limits move by the paused time
	c2, ch, err := f.e.AddDetails(mon.Add(26*time.Hour), c.Token, "3号楼502")
	if err != nil {
		t.Fatal(err)
	}
	f.check(ch)
	if c2.State != hall.CaseInProgress || !c2.Due.Equal(c.Due.Add(24*time.Hour)) {
		t.Fatalf("details: %s due %v (was %v)", c2.State, c2.Due, c.Due)
	}
	if !reflect.DeepEqual(types(ch), []hall.CaseEventType{hall.CaseEvDetails, hall.CaseEvResumed}) {
		t.Fatalf("events %v", types(ch))
	}
	r := lead(c.ID, hall.CaseActReply, "logistics")
	r.Text = "已派维修师傅更换水管。"
	got = f.act(mon.Add(27*time.Hour), r)
	if got.State != hall.CaseReplied || got.LastReply().Text != r.Text {
		t.Fatalf("reply %s", got.State)
	}
	// unsatisfied → reopened, new round
	c3, ch, err := f.e.Rate(mon.Add(28*time.Hour), c.Token, 2, "还在漏")
	if err != nil {
		t.Fatal(err)
	}
	f.check(ch)
	if c3.State != hall.CaseReopened || c3.Round != 2 || c3.Reopens != 1 || !c3.ReplyDue.Equal(mon.Add(52*time.Hour)) {
		t.Fatalf("reopened %s round %d due %v", c3.State, c3.Round, c3.ReplyDue)
	}
	if !reflect.DeepEqual(types(ch), []hall.CaseEventType{hall.CaseEvRated, hall.CaseEvReopened}) {
		t.Fatalf("events %v", types(ch))
	}
	f.act(mon.Add(29*time.Hour), r)
	c4, ch, err := f.e.Rate(mon.Add(30*time.Hour), c.Token, 5, "好了")
	if err != nil {
		t.Fatal(err)
	}
	f.check(ch)
	if c4.State != hall.CaseRated {
		t.Fatalf("rated %s", c4.State)
	}
	// rating twice, bad stars, unknown token
	if _, _, err := f.e.Rate(mon.Add(31*time.Hour), c.Token, 5, ""); hall.ErrorCode(err) != hall.ECONFLICT {
		t.Fatalf("second rating: %v", err)
	}
	if _, _, err := f.e.Rate(mon, "nope", 5, ""); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("bad token: %v", err)
	}
	// archived automatically after ArchiveRated; then it leaves the engine
	ch = f.e.Tick(mon.Add(30*time.Hour + DefaultLimits().ArchiveRated))
	f.check(ch)
	if len(ch.Cases) != 1 || ch.Cases[0].State != hall.CaseArchived || f.e.Len() != 0 {
		t.Fatalf("archive: %v", types(ch))
	}
	if _, ok := f.e.CaseByToken(c.Token); ok {
		t.Fatal("archived case still in the engine")
	}
}

func TestInvalidTransitionsChangeNothing(t *testing.T) {
	f := newFixture(t)
	c := f.openTo(mon, "logistics")
	now := mon.Add(time.Minute)
	withText := func(a hall.CaseAction, s string) hall.CaseAction { a.Text = s; return a }
	// dispatched: cannot reply, ask, resume, archive, reopen
	f.fails(now, withText(lead(c.ID, hall.CaseActReply, "logistics"), "x"), hall.ECONFLICT)
	f.fails(now, withText(lead(c.ID, hall.CaseActAsk, "logistics"), "x"), hall.ECONFLICT)
	f.fails(now, lead(c.ID, hall.CaseActResume, "logistics"), hall.ECONFLICT)
	f.fails(now, lead(c.ID, hall.CaseActArchive, "logistics"), hall.ECONFLICT)
	f.fails(now, hall.CaseAction{Case: c.ID, Action: hall.CaseActReopen, Role: hall.RoleSupervisor}, hall.ECONFLICT)
	// another department may not act; a handler may not dispatch or supervise
	f.fails(now, lead(c.ID, hall.CaseActSign, "it"), hall.EFORBIDDEN)
	f.fails(now, hall.CaseAction{Case: c.ID, Action: hall.CaseActDispatch, Department: "it", Role: hall.RoleHandler, ActorDepartment: "logistics"}, hall.EFORBIDDEN)
	f.fails(now, hall.CaseAction{Case: c.ID, Action: hall.CaseActSupervise, On: true, Role: hall.RoleHandler, ActorDepartment: "logistics"}, hall.EFORBIDDEN)
	f.fails(now, hall.CaseAction{Case: c.ID, Action: hall.CaseActSign, Role: hall.RoleCounter}, hall.EFORBIDDEN)
	// bad input
	f.fails(now, lead(c.ID, "fly", "logistics"), hall.EINVALID)
	f.fails(now, lead("nope", hall.CaseActSign, "logistics"), hall.ENOTFOUND)
	f.fails(now, lead("", hall.CaseActSign, "logistics"), hall.EINVALID)
	f.fails(now, withText(lead(c.ID, hall.CaseActRespond, "logistics"), " "), hall.EINVALID)
	f.fails(now, hall.CaseAction{Case: c.ID, Action: hall.CaseActDispatch, Department: "mars", Role: hall.RoleSupervisor}, hall.ENOTFOUND)
	f.fails(now, hall.CaseAction{Case: c.ID, Action: hall.CaseActDispatch, Department: "logistics", Role: hall.RoleSupervisor}, hall.ECONFLICT)
	f.fails(now, hall.CaseAction{Case: c.ID, Action: hall.CaseActDispatch, Department: "it", Category: "canteens", Role: hall.RoleSupervisor}, hall.EINVALID)
	f.fails(now, hall.CaseAction{Case: c.ID, Action: hall.CaseActApprove, Role: hall.RoleSupervisor}, hall.ECONFLICT)
	f.fails(now, hall.CaseAction{Case: c.ID, Action: hall.CaseActDuplicate, Original: c.ID, Role: hall.RoleSupervisor}, hall.EINVALID)
	f.fails(now, hall.CaseAction{Case: c.ID, Action: hall.CaseActDuplicate, Original: "nope", Role: hall.RoleSupervisor}, hall.ENOTFOUND)
	f.fails(now, withText(lead(c.ID, hall.CaseActExtend, "logistics"), "x"), hall.EINVALID) // days 0
	f.fails(now, lead(c.ID, hall.CaseActNotAccept, "logistics"), hall.EINVALID)             // no reason
	f.fails(now, withText(lead(c.ID, hall.CaseActPart, "it"), "x"), hall.EFORBIDDEN)
	f.fails(now, hall.CaseAction{Case: c.ID, Action: hall.CaseActSetCategory, Category: "campus-network", Role: hall.RoleSupervisor}, hall.EINVALID)
	// in progress: cannot sign again
	f.act(now, lead(c.ID, hall.CaseActSign, "logistics"))
	f.fails(now, lead(c.ID, hall.CaseActSign, "logistics"), hall.ECONFLICT)
	// requester side: details on an unknown token, a replied case cannot be rated twice...
	if _, ch, err := f.e.AddDetails(now, "nope", "x"); hall.ErrorCode(err) != hall.ENOTFOUND || !ch.Empty() {
		t.Fatalf("details: %v", err)
	}
	if _, _, err := f.e.Rate(now, c.Token, 4, ""); hall.ErrorCode(err) != hall.ECONFLICT {
		t.Fatalf("rate in progress: %v", err)
	}
	// the office cannot return a case to itself
	o := f.open(now, hall.OpenCaseRequest{Text: "zzqx"})
	f.fails(now, withText(hall.CaseAction{Case: o.ID, Action: hall.CaseActReturn, Role: hall.RoleSupervisor}, "x"), hall.ECONFLICT)
}

func TestReturnAndRedispatchLearns(t *testing.T) {
	f := newFixture(t)
	text := "报告厅的座椅坏了好几个，开会没法坐"
	c := f.open(mon, hall.OpenCaseRequest{Text: text, Department: "library"})
	a := lead(c.ID, hall.CaseActReturn, "library")
	a.Text = "不属于图书馆"
	got := f.act(mon.Add(time.Hour), a)
	if got.State != hall.CaseTriage || got.Returns != 1 || got.Department != hall.OfficeDepartment {
		t.Fatalf("return: %s %d %s", got.State, got.Returns, got.Department)
	}
	_, ch, err := f.e.Act(mon.Add(2*time.Hour), hall.CaseAction{Case: c.ID, Action: hall.CaseActDispatch, Department: "logistics", Actor: "boss", Role: hall.RoleSupervisor})
	if err != nil {
		t.Fatal(err)
	}
	f.check(ch)
	got = ch.Cases[0]
	if got.State != hall.CaseDispatched || got.Department != "logistics" || got.Category == "" {
		t.Fatalf("dispatch: %s %s %q", got.State, got.Department, got.Category)
	}
	if f.e.Route(text).Department != "logistics" {
		t.Fatalf("router did not learn: %+v (learned %v)", f.e.Route(text), ch.Learned)
	}
	st := Stats(f.e.Cases(), mon.Add(-time.Hour), mon.Add(time.Hour), mon.Add(3*time.Hour))
	for _, s := range st {
		if s.Department == "library" && s.Returned != 1 {
			t.Fatalf("returned not counted: %+v", s)
		}
	}
}

func TestCoHandling(t *testing.T) {
	f := newFixture(t)
	c := f.openTo(mon, "logistics")
	f.act(mon, lead(c.ID, hall.CaseActSign, "logistics"))
	inv := lead(c.ID, hall.CaseActInvite, "logistics")
	inv.Department, inv.Text = "security", "核查监控"
	got := f.act(mon.Add(time.Minute), inv)
	if len(got.Parts) != 1 || !got.Involves("security") {
		t.Fatalf("parts %+v", got.Parts)
	}
	f.fails(mon, inv, hall.ECONFLICT) // invited twice
	// the assisting department may note, not reply
	n := lead(c.ID, hall.CaseActNote, "security")
	n.Text = "在查"
	f.act(mon.Add(2*time.Minute), n)
	r := lead(c.ID, hall.CaseActReply, "security")
	r.Text = "x"
	f.fails(mon, r, hall.EFORBIDDEN)
	// the lead cannot reply before the part is done
	r = lead(c.ID, hall.CaseActReply, "logistics")
	r.Text = "已处理"
	f.fails(mon, r, hall.ECONFLICT)
	p := lead(c.ID, hall.CaseActPart, "security")
	p.Text = "监控已调取"
	got = f.act(mon.Add(3*time.Minute), p)
	if !got.Parts[0].Done {
		t.Fatal("part not done")
	}
	f.fails(mon, p, hall.ECONFLICT) // twice
	got = f.act(mon.Add(4*time.Minute), r)
	if got.State != hall.CaseReplied {
		t.Fatal(got.State)
	}
	if pub := got.Public(); pub.Parts[0].Task != "" || pub.Parts[0].Text != "" {
		t.Fatalf("public parts %+v", pub.Parts)
	}
	// filters: the assisting department sees the case
	if len(Filter(f.e.Cases(), hall.CaseFilter{Department: "security"}, mon)) != 1 {
		t.Fatal("filter by assisting department")
	}
}

func TestDuplicate(t *testing.T) {
	f := newFixture(t)
	orig := f.openTo(mon, "logistics")
	dup := f.openTo(mon.Add(time.Minute), "logistics")
	a := lead(dup.ID, hall.CaseActDuplicate, "logistics")
	a.Original = orig.Number
	_, ch, err := f.e.Act(mon.Add(2*time.Minute), a)
	if err != nil {
		t.Fatal(err)
	}
	f.check(ch)
	if len(ch.Cases) != 2 || len(ch.Events) != 2 {
		t.Fatalf("change %d cases %d events", len(ch.Cases), len(ch.Events))
	}
	d, o := ch.Cases[0], ch.Cases[1]
	if d.State != hall.CaseDuplicate || d.DuplicateOf != orig.Number || d.ClosedAt == nil {
		t.Fatalf("dup %+v", d.State)
	}
	if !reflect.DeepEqual(o.Duplicates, []string{dup.Number}) {
		t.Fatalf("orig duplicates %v", o.Duplicates)
	}
	if f.e.Len() != 1 {
		t.Fatal("duplicate still open")
	}
	// the duplicate left the engine: acting on it is not found
	f.fails(mon, lead(dup.ID, hall.CaseActSign, "logistics"), hall.ENOTFOUND)
}

func TestNotAcceptSuperviseListExtend(t *testing.T) {
	f := newFixture(t)
	c := f.openTo(mon, "logistics")
	sup := hall.CaseAction{Case: c.ID, Action: hall.CaseActSupervise, On: true, Role: hall.RoleSupervisor}
	if got := f.act(mon, sup); !got.Supervised {
		t.Fatal("not supervised")
	}
	if _, ch, err := f.e.Act(mon, sup); err != nil || !ch.Empty() {
		t.Fatalf("repeat supervise: %v %v", err, types(ch))
	}
	l := hall.CaseAction{Case: c.ID, Action: hall.CaseActList, On: true, ListItem: "宿舍老化管网改造", Role: hall.RoleSupervisor}
	if got := f.act(mon, l); !got.LongStanding || got.ListItem == "" || got.Public().ListItem != "" {
		t.Fatal("list")
	}
	f.act(mon, lead(c.ID, hall.CaseActSign, "logistics"))
	x := lead(c.ID, hall.CaseActExtend, "logistics")
	x.Days, x.Text = 5, "需要采购配件"
	f.act(mon, x)
	f.fails(mon, x, hall.ECONFLICT) // pending already
	f.fails(mon, lead(c.ID, hall.CaseActApprove, "logistics"), hall.EFORBIDDEN)
	got := f.act(mon, hall.CaseAction{Case: c.ID, Action: hall.CaseActApprove, Role: hall.RoleSupervisor})
	if got.ExtendedDays != 5 || !got.Due.Equal(DemoCalendar().AddDays(mon, 3+5)) {
		t.Fatalf("extension: %d due %v", got.ExtendedDays, got.Due)
	}
	n := lead(c.ID, hall.CaseActNotAccept, "logistics")
	n.Text = "属于施工方责任"
	got = f.act(mon, n)
	if got.State != hall.CaseNotAccepted || got.Public().Reason == "" || f.e.Len() != 0 {
		t.Fatal("not accepted")
	}
}

func TestReplyLimitEscalates(t *testing.T) {
	f := newFixture(t)
	c := f.openTo(mon, "logistics")
	if ch := f.e.Tick(mon.Add(19 * time.Hour)); !ch.Empty() {
		t.Fatalf("early tick: %v", types(ch))
	}
	ch := f.e.Tick(mon.Add(20 * time.Hour)) // 4 h before
	f.check(ch)
	if len(ch.Events) != 1 || ch.Events[0].Type != hall.CaseEvWarned || ch.Events[0].Limit != "reply" || ch.Events[0].Department != "logistics" {
		t.Fatalf("warning: %+v", ch.Events)
	}
	if ch := f.e.Tick(mon.Add(21 * time.Hour)); !ch.Empty() {
		t.Fatal("warned twice")
	}
	ch = f.e.Tick(mon.Add(24 * time.Hour))
	f.check(ch)
	if len(ch.Events) != 1 || ch.Events[0].Type != hall.CaseEvEscalated || ch.Events[0].Department != hall.OfficeDepartment {
		t.Fatalf("escalation: %+v", types(ch))
	}
	got, _ := f.e.Case(c.ID)
	if !got.ReplyLate || got.Timers.ReplyEscalated == nil || !Overdue(&got, mon.Add(24*time.Hour)) {
		t.Fatal("not marked late")
	}
	// durable: a restored engine does not escalate again
	e2, err := Restore(Config{}, f.e.Meta(), f.e.Cases())
	if err != nil {
		t.Fatal(err)
	}
	if ch := e2.Tick(mon.Add(25 * time.Hour)); !ch.Empty() {
		t.Fatalf("restored engine repeated: %v", types(ch))
	}
	if len(Filter(f.e.Cases(), hall.CaseFilter{Overdue: true}, mon.Add(25*time.Hour))) != 1 {
		t.Fatal("overdue filter")
	}
}

func TestPausedCaseIsNotEscalated(t *testing.T) {
	f := newFixture(t)
	c := f.openTo(mon, "logistics")
	f.act(mon, lead(c.ID, hall.CaseActSign, "logistics"))
	a := lead(c.ID, hall.CaseActAsk, "logistics")
	a.Text = "请补充照片"
	f.act(mon.Add(time.Hour), a)
	// a week passes while waiting on the requester: no warning, no escalation
	for h := 2; h < 24*7; h++ {
		if ch := f.e.Tick(mon.Add(time.Duration(h) * time.Hour)); !ch.Empty() {
			t.Fatalf("paused case got %v at +%dh", types(ch), h)
		}
	}
	// resumed after 7 days: the resolution limit moved by the 5 working days waited
	got := f.act(mon.Add(7*24*time.Hour), lead(c.ID, hall.CaseActResume, "logistics"))
	if want := DemoCalendar().Add(c.Due, 5*24*time.Hour-time.Hour); !got.Due.Equal(want) {
		t.Fatalf("due %v, want %v", got.Due, want)
	}
}

func TestHolidayDoesNotCount(t *testing.T) {
	cal := DemoCalendar()
	// Wednesday 30 Sep 2026 10:00; 1–7 Oct is the National Day holiday, Sat 10 Oct is worked.
	from := at(2026, 9, 30, 10, 0)
	if got, want := cal.Add(from, 24*time.Hour), at(2026, 10, 8, 10, 0); !got.Equal(want) {
		t.Fatalf("reply due %v, want %v", got, want)
	}
	if got, want := cal.AddDays(from, 3), at(2026, 10, 10, 10, 0); !got.Equal(want) {
		t.Fatalf("3 working days: %v, want %v", got, want)
	}
	if got := cal.Counted(at(2026, 10, 1, 0, 0), at(2026, 10, 8, 0, 0)); got != 0 {
		t.Fatalf("holiday counted %v", got)
	}
	// Friday 17:00 → Monday 17:00
	if got, want := cal.Add(at(2026, 3, 6, 17, 0), 24*time.Hour), at(2026, 3, 9, 17, 0); !got.Equal(want) {
		t.Fatalf("weekend: %v", got)
	}
	// with working hours 08:30–17:30 a 24 h limit spans 2⅔ working days
	wh := DemoCalendar()
	wh.DayStart, wh.DayEnd = 8*time.Hour+30*time.Minute, 17*time.Hour+30*time.Minute
	if got, want := wh.Add(at(2026, 3, 2, 16, 30), 9*time.Hour), at(2026, 3, 3, 16, 30); !got.Equal(want) {
		t.Fatalf("working hours: %v", got)
	}
	if got := wh.Counted(at(2026, 3, 2, 0, 0), at(2026, 3, 3, 0, 0)); got != 9*time.Hour {
		t.Fatalf("working hours counted %v", got)
	}
	// an engine case opened before the holiday is not escalated during it
	f := newFixture(t)
	f.openTo(from, "logistics")
	for d := 0; d < 7; d++ {
		ch := f.e.Tick(at(2026, 10, 1+d, 12, 0))
		for _, ev := range ch.Events {
			if ev.Type == hall.CaseEvEscalated {
				t.Fatalf("escalated on holiday %d Oct", 1+d)
			}
		}
		f.check(ch)
	}
	ch := f.e.Tick(at(2026, 10, 8, 10, 0))
	if len(ch.Events) != 1 || ch.Events[0].Type != hall.CaseEvEscalated {
		t.Fatalf("after the holiday: %v", types(ch))
	}
}

func TestUnratedReplyArchives(t *testing.T) {
	f := newFixture(t)
	c := f.openTo(mon, "logistics")
	f.act(mon, lead(c.ID, hall.CaseActSign, "logistics"))
	r := lead(c.ID, hall.CaseActReply, "logistics")
	r.Text = "已修好"
	f.act(mon.Add(time.Hour), r)
	if ch := f.e.Tick(mon.Add(time.Hour + DefaultLimits().RateWindow - time.Second)); !ch.Empty() {
		t.Fatal("archived early")
	}
	ch := f.e.Tick(mon.Add(time.Hour + DefaultLimits().RateWindow))
	if len(ch.Cases) != 1 || ch.Cases[0].State != hall.CaseArchived {
		t.Fatalf("not archived: %v", types(ch))
	}
}

func TestRestoreSameState(t *testing.T) {
	f := newFixture(t)
	texts := []string{"校园网断了", "食堂太贵", "图书馆占座", "zzqx", "三方协议怎么签"}
	for i, s := range texts {
		f.open(mon.Add(time.Duration(i)*time.Minute), hall.OpenCaseRequest{Text: s})
	}
	cs := f.e.Cases()
	f.act(mon.Add(time.Hour), lead(cs[0].ID, hall.CaseActSign, cs[0].Department))
	f.check(f.e.Tick(mon.Add(30 * time.Hour)))
	e2, err := Restore(Config{}, f.e.Meta(), f.e.Cases())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e2.Cases(), f.e.Cases()) || e2.Meta() != f.e.Meta() {
		t.Fatal("restored state differs")
	}
	// the same command gives the same change on both
	req := hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "宿舍没热水"}
	_, c1, err1 := f.e.Open(mon.Add(31*time.Hour), req, "n", "tn")
	_, c2, err2 := e2.Open(mon.Add(31*time.Hour), req, "n", "tn")
	if err1 != nil || err2 != nil || !reflect.DeepEqual(c1, c2) {
		t.Fatalf("diverged: %v %v", err1, err2)
	}
	// Restore rejects duplicates
	cs = f.e.Cases()
	if _, err := Restore(Config{}, f.e.Meta(), append(cs, cs[0])); err == nil {
		t.Fatal("duplicate accepted")
	}
}

func TestStats(t *testing.T) {
	f := newFixture(t)
	var all []hall.Case
	// logistics: one replied in time and rated 5, one replied late, one never answered
	a := f.openTo(mon, "logistics")
	b := f.openTo(mon, "logistics")
	c := f.openTo(mon, "logistics")
	for _, x := range []hall.Case{a, b} {
		f.act(mon, lead(x.ID, hall.CaseActSign, "logistics"))
	}
	r := lead(a.ID, hall.CaseActReply, "logistics")
	r.Text = "好"
	f.act(mon.Add(time.Hour), r)
	_, ch, _ := f.e.Rate(mon.Add(2*time.Hour), a.Token, 5, "")
	f.check(ch)
	r.Case = b.ID
	f.act(mon.Add(30*time.Hour), r)
	_, ch, _ = f.e.Rate(mon.Add(31*time.Hour), b.Token, 3, "")
	f.check(ch)
	_ = c
	all = f.e.Cases()
	st := Stats(all, mon.Add(-time.Hour), mon.Add(time.Hour), mon.Add(48*time.Hour))
	if len(st) != 1 {
		t.Fatalf("stats %+v", st)
	}
	s := st[0]
	if s.Received != 3 || s.Responded != 2 || s.RespondedInTime != 1 || s.Resolved != 2 || s.Rated != 2 || s.Satisfied != 2 || s.Overdue != 2 {
		t.Fatalf("stats %+v", s)
	}
	if s.ResponseRate != 1.0/3 || s.ResolutionRate != 2.0/3 || s.SatisfactionRate != 1 {
		t.Fatalf("rates %+v", s)
	}
}
