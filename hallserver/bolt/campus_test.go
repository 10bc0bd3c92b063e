package bolt

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// openSeeded opens the env's file the way hallserver does: the stored campus (seeded from
// e.campus the first time) with its version.
func (e *env) openSeeded() {
	e.t.Helper()
	db, err := OpenWith(e.path, Options{Failpoint: e.fp.hit})
	if err != nil {
		e.t.Fatal(err)
	}
	c, v, _, err := db.SeedCampus(e.campus)
	if err != nil {
		e.t.Fatal(err)
	}
	q, err := NewQueue(context.Background(), db, c, e.clk.Now, WithCampusVersion(v))
	if err != nil {
		db.Close()
		e.t.Fatal(err)
	}
	e.db, e.q = db, q
}

func newSeededEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.close()
	e.openSeeded()
	return e
}

func serviceList(t *testing.T, q *Queue, code string) []string {
	t.Helper()
	snap, err := q.Snapshot(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range snap.Services {
		out = append(out, s.Code)
	}
	return out
}

// A campus change takes effect at once (a new service and a new hall), is stored with a new
// version, and a restart starts from it, whatever campus the start-up is given.
func TestApplyCampusLiveAndStored(t *testing.T) {
	e := newSeededEnv(t)
	ctx := context.Background()
	c, v := e.q.Campus()
	if v != "1" || !reflect.DeepEqual(c, e.campus) {
		t.Fatalf("seeded campus version %q", v)
	}
	next := e.campus
	next.Halls = slices.Clone(next.Halls)
	h1 := next.Halls[0]
	h1.Services = append(slices.Clone(h1.Services), hall.Service{Code: "C", Name: hall.Text{Zh: "丙", En: "C"}, AvgMinutes: 3})
	h1.Counters = append(slices.Clone(h1.Counters), hall.CounterConfig{Number: 6, Services: []string{"C"}})
	next.Halls[0] = h1
	h3 := next.Halls[1]
	h3.Code = "h3"
	next.Halls = append(next.Halls, h3)
	nv, err := e.q.ApplyCampus(ctx, next, v, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if nv == v {
		t.Fatal("version did not change")
	}
	if got := e.issue("h1", "C").Ticket.Number; got != "C001" {
		t.Fatalf("new service issued %s", got)
	}
	if got := e.issue("h3", "A").Ticket.Number; got != "A001" {
		t.Fatalf("new hall issued %s", got)
	}
	e.close()
	e.openSeeded() // e.campus (the old one) is given again: the stored one wins
	if c, v := e.q.Campus(); v != nv || !reflect.DeepEqual(c, next) {
		t.Fatalf("after restart version %q, campus differs: %v", v, c.Halls[0].Services)
	}
	if got := serviceList(t, e.q, "h1"); !reflect.DeepEqual(got, []string{"A", "B", "C"}) {
		t.Fatalf("h1 services after restart %v", got)
	}
	if got := e.issue("h3", "A").Ticket.Number; got != "A002" {
		t.Fatalf("new hall after restart issued %s", got)
	}
}

// A failed commit applies nothing: the engines and the stored campus stay the old ones.
func TestApplyCampusFailedCommitChangesNothing(t *testing.T) {
	e := newSeededEnv(t)
	ctx := context.Background()
	_, v := e.q.Campus()
	next := e.campus
	next.Halls = slices.Clone(next.Halls)
	h := next.Halls[0]
	h.Services = append(slices.Clone(h.Services), hall.Service{Code: "C", Name: hall.Text{Zh: "丙", En: "C"}, AvgMinutes: 3})
	next.Halls[0] = h
	e.fp.fail.Store(1)
	if _, err := e.q.ApplyCampus(ctx, next, v, "admin"); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("apply with a failing commit: %v, want unavailable", err)
	}
	if _, v2 := e.q.Campus(); v2 != v {
		t.Fatalf("version %s after a failed apply", v2)
	}
	if got := serviceList(t, e.q, "h1"); !reflect.DeepEqual(got, []string{"A", "B"}) {
		t.Fatalf("services after a failed apply %v", got)
	}
	e.close()
	e.openSeeded()
	if c, _ := e.q.Campus(); !reflect.DeepEqual(c, e.campus) {
		t.Fatal("the stored campus changed after a failed apply")
	}
}

// Concurrent changes from one version: exactly one wins, the others get ECONFLICT.
func TestApplyCampusConcurrentOneWins(t *testing.T) {
	e := newSeededEnv(t)
	_, v := e.q.Campus()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := e.campus
			next.Name = hall.Text{Zh: "改", En: string(rune('a' + i))}
			_, errs[i] = e.q.ApplyCampus(context.Background(), next, v, "admin")
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch hall.ErrorCode(err) {
		case "":
			won++
		case hall.ECONFLICT:
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d applies won, want 1", won)
	}
}

// Removing the only counters of a service with waiting tickets is refused with the reason and
// the path; every problem is listed.
func TestApplyCampusRefusesUnservable(t *testing.T) {
	e := newSeededEnv(t)
	_, v := e.q.Campus()
	e.issue("h2", "B")
	next := e.campus
	next.Halls = slices.Clone(next.Halls)
	h := next.Halls[1]
	h.Counters = slices.Clone(h.Counters)
	for i := range h.Counters {
		h.Counters[i].Services = []string{"A"}
	}
	next.Halls[1] = h
	next.Departments = []hall.Department{{Code: "Bad", Name: hall.Text{Zh: "x"}}}
	_, err := e.q.ApplyCampus(context.Background(), next, v, "admin")
	if hall.ErrorCode(err) != hall.EUNPROCESSABLE {
		t.Fatalf("err %v, want unprocessable", err)
	}
	// The invalid department is reported first; the ticket problem needs a valid campus.
	he := err.(*hall.Error)
	if len(he.Details) != 1 || he.Details[0].Field != "departments[0].code" {
		t.Fatalf("details %+v", he.Details)
	}
	next.Departments = nil
	_, err = e.q.ApplyCampus(context.Background(), next, v, "admin")
	he, _ = err.(*hall.Error)
	if he == nil || len(he.Details) != 1 || he.Details[0].Field != "halls[1].services[1]" {
		t.Fatalf("err %v, want the waiting B ticket of halls[1]", err)
	}
	if _, v2 := e.q.Campus(); v2 != v {
		t.Fatal("a refused change changed the version")
	}
}

// The case system follows a campus change: a new department can be given cases at once, and a
// department that still has open cases cannot be removed (the reason names it).
func TestApplyCampusCaseDepartments(t *testing.T) {
	e := newSeededEnv(t)
	ctx := context.Background()
	cs, err := NewCases(ctx, e.db, e.campus, cases.Config{}, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	e.q.CheckCampus(cs.CampusProblems)
	e.q.OnCampusChange(func(c hall.Campus) {
		if err := cs.SetCampus(c); err != nil {
			t.Errorf("set campus: %v", err)
		}
	})
	open := func(dept string) error {
		_, err := cs.Open(ctx, hall.OpenCaseRequest{Kind: hall.KindComplaint, Channel: hall.ChannelCounter, Text: "窗口排队太久", Department: dept, Source: "counter1"})
		return err
	}
	if err := open("museum"); err == nil {
		t.Fatal("a case went to a department the campus does not have")
	}
	next := e.campus
	next.Departments = append(slices.Clone(next.Departments), hall.Department{Code: "museum", Name: hall.Text{Zh: "校史馆", En: "Museum"}})
	_, v := e.q.Campus()
	v, err = e.q.ApplyCampus(ctx, next, v, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := open("museum"); err != nil {
		t.Fatalf("case to the new department: %v", err)
	}
	_, err = e.q.ApplyCampus(ctx, e.campus, v, "admin")
	if hall.ErrorCode(err) != hall.EUNPROCESSABLE || !strings.Contains(err.Error(), "museum") {
		t.Fatalf("removing a department with an open case: %v", err)
	}
}
