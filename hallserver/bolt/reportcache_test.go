package bolt

import (
	"context"
	"fmt"
	"testing"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// TestReportCachesEqualUncached: the supervision figures (series and window statistics from one
// pass, daily reports of several local days, hot topics) and the closed-case lists, computed
// on the store's caches (report forms and topic terms of final cases, whole final cases, open
// cases read in place), equal the same figures computed from every case read whole from the
// file (Received) — on first use, on the next (caches warm), after cases became final, were
// reopened or were replied since the caches were filled, and on a store opened afresh. The
// cases arrive over three days around the campus zone's midnights.
func TestReportCachesEqualUncached(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	loc, _ := time.LoadLocation(hall.DefaultTimeZone)
	e.clk.Add(time.Date(2026, 3, 2, 22, 30, 0, 0, loc).Sub(e.clk.Now())) // Monday evening, campus time
	texts := []string{"图书馆三楼占座严重，书放一天没人", "宿舍楼热水不热，洗澡只有冷水", "校园网晚上经常断线",
		"图书馆占座太严重了，早上去就没有座位", "宿舍热水器坏了，洗澡水是冷的", "食堂的饭菜太贵了"}
	var ids []string
	for i := 0; i < 36; i++ {
		c := e.openCase(hall.OpenCaseRequest{Category: "library-seats", Text: fmt.Sprintf("%s（%d）", texts[i%len(texts)], i)})
		ids = append(ids, c.ID)
		switch i % 6 {
		case 0: // open, untouched
		case 1, 2: // replied; archived (final)
			e.act(handler(c.ID, hall.CaseActSign, "library"))
			e.act(handler(c.ID, hall.CaseActReply, "library"))
			if i%6 == 2 {
				e.act(handler(c.ID, hall.CaseActArchive, "library"))
			}
		case 3: // returned to triage, dispatched again, signed
			ret := handler(c.ID, hall.CaseActReturn, "library")
			ret.Text = "不属于本部门"
			e.act(ret)
			e.act(hall.CaseAction{Case: c.ID, Action: hall.CaseActDispatch, Role: hall.RoleSupervisor, Actor: "supervisor", ActorDepartment: hall.OfficeDepartment, Department: "library"})
			e.act(handler(c.ID, hall.CaseActSign, "library"))
		case 4: // not accepted (final, no reply)
			na := handler(c.ID, hall.CaseActNotAccept, "library")
			na.Text = "不属于学校管理范围"
			e.act(na)
		case 5: // signed, being handled
			e.act(handler(c.ID, hall.CaseActSign, "library"))
		}
		e.clk.Add(97 * time.Minute) // crosses two local midnights
	}
	topics, err := NewTopics(e.db, e.cs, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	check := func(step string) {
		t.Helper()
		now := e.clk.Now()
		full, err := e.cs.Received(ctx, now.AddDate(0, 0, -30), now.Add(time.Hour))
		if err != nil || len(full) != len(ids) {
			t.Fatalf("%s: received %d cases, %v", step, len(full), err)
		}
		for _, period := range []string{"day", "week"} {
			ps, err := cases.Periods(period, 4, now, loc)
			if err != nil {
				t.Fatal(err)
			}
			series, total, err := e.cs.SeriesTotal(ctx, period, 4)
			if err != nil {
				t.Fatal(err)
			}
			wantSeries := make([]hall.StatsPeriod, len(ps))
			for i, p := range ps {
				wantSeries[i] = hall.StatsPeriod{Label: p.Label, From: p.From, To: p.To, Departments: cases.Stats(full, p.From, p.To, now)}
			}
			if got, want := mustJSON(t, series), mustJSON(t, wantSeries); got != want {
				t.Errorf("%s: %s series\n got %s\nwant %s", step, period, got, want)
			}
			if got, want := mustJSON(t, total), mustJSON(t, cases.Stats(full, ps[0].From, ps[len(ps)-1].To, now)); got != want {
				t.Errorf("%s: %s window statistics\n got %s\nwant %s", step, period, got, want)
			}
			if s2, err := e.cs.Series(ctx, period, 4); err != nil || mustJSON(t, s2) != mustJSON(t, series) {
				t.Errorf("%s: Series and SeriesTotal differ (%v)", step, err)
			}
		}
		for back := 0; back < 4; back++ {
			day := now.AddDate(0, 0, -back)
			y, m, d := day.In(loc).Date()
			from := time.Date(y, m, d, 0, 0, 0, 0, loc)
			rep, err := e.cs.Daily(ctx, day)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := mustJSON(t, rep), mustJSON(t, cases.Daily(full, from, from.AddDate(0, 0, 1), now, loc)); got != want {
				t.Errorf("%s: daily report of %s\n got %s\nwant %s", step, from.Format("01-02"), got, want)
			}
		}
		top, err := topics.Topics(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		to := now.Add(time.Nanosecond)
		mid := to.Add(-48 * time.Hour)
		want := cases.Topics(full, mid.Add(-48*time.Hour), mid, to, nil, cases.DefaultTopicOptions())
		if len(want) == 0 {
			t.Fatalf("%s: no topics to compare", step)
		}
		if got, want := mustJSON(t, top), mustJSON(t, want); got != want {
			t.Errorf("%s: topics\n got %s\nwant %s", step, got, want)
		}
		var final []hall.Case
		for _, c := range full {
			if c.State.Final() {
				final = append(final, c)
			}
		}
		closedStates := hall.CaseFilter{States: []hall.CaseState{hall.CaseArchived, hall.CaseNotAccepted, hall.CaseDuplicate}}
		closedStates.Department = "library"
		closed, err := e.cs.List(ctx, closedStates)
		if err != nil {
			t.Fatal(err)
		}
		if len(closed) == 0 {
			t.Fatalf("%s: no closed case listed", step)
		}
		if got, want := mustJSON(t, closed), mustJSON(t, cases.Filter(final, hall.CaseFilter{}, now)); got != want {
			t.Errorf("%s: closed list\n got %s\nwant %s", step, got, want)
		}
		for _, id := range ids {
			c := e.get(id)
			for _, f := range full {
				if f.ID == id && mustJSON(t, c) != mustJSON(t, f) {
					t.Errorf("%s: case %s read by ID differs from the file", step, id)
				}
			}
		}
	}
	check("first use")
	check("caches warm")
	// After the caches were filled: open cases close, replied ones are reopened and replied
	// again, one is archived, and the day turns.
	for i, id := range ids {
		switch i % 6 {
		case 0:
			dup := handler(id, hall.CaseActDuplicate, "library")
			dup.Original = ids[(i+3)%len(ids)]
			e.act(dup)
		case 1:
			e.act(hall.CaseAction{Case: id, Action: hall.CaseActReopen, Role: hall.RoleSupervisor, Actor: "supervisor", ActorDepartment: hall.OfficeDepartment, Text: "答复不完整"})
			if i%12 == 1 {
				e.act(handler(id, hall.CaseActReply, "library"))
				e.act(handler(id, hall.CaseActArchive, "library"))
			}
		case 5:
			e.act(handler(id, hall.CaseActReply, "library"))
		}
	}
	e.clk.Add(3 * time.Hour)
	check("after changes")
	check("after changes, warm")
	e.reopen()
	if topics, err = NewTopics(e.db, e.cs, e.clk.Now); err != nil {
		t.Fatal(err)
	}
	check("store opened afresh")
}

// TestFinalCacheIsBounded: the cache of whole final cases never holds more than its size, keeps
// a case read regularly, and ignores cases that are not final.
func TestFinalCacheIsBounded(t *testing.T) {
	f := newFinalCache(8)
	hot := &hall.Case{ID: "hot", State: hall.CaseArchived}
	f.put(hot)
	f.put(&hall.Case{ID: "open", State: hall.CaseInProgress})
	for i := 0; i < 100; i++ {
		f.put(&hall.Case{ID: fmt.Sprint("c", i), State: hall.CaseNotAccepted})
		if i%3 == 0 && f.get([]byte("hot")) != hot {
			t.Fatalf("after %d puts the case read every third put is gone", i)
		}
		if n := f.len(); n > 8 {
			t.Fatalf("after %d puts the cache holds %d cases, more than 8", i, n)
		}
	}
	if f.get([]byte("open")) != nil || f.get([]byte("c0")) != nil {
		t.Fatal("an open case or a long unused one is still kept")
	}
	if f.get([]byte("c99")) == nil {
		t.Fatal("the last case put is not kept")
	}
}
