package queue

import (
	"fmt"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// quotaHall has A (no limits), Q (a quota of 3 a day) and S (seasonal 2026-03-02..03-03), no
// opening hours.
func quotaHall() hall.Hall {
	h := testHall()
	h.Services = append(h.Services,
		hall.Service{Code: "Q", AvgMinutes: 5, Quota: 3},
		hall.Service{Code: "S", AvgMinutes: 5, From: "2026-03-02", Until: "2026-03-03"})
	h.Counters = append(h.Counters, hall.CounterConfig{Number: 4, Services: []string{"Q", "S"}})
	return h
}

func shanghaiLoc(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// issueQ issues one ticket of svc at now; it returns the error.
func issueQ(e *Engine, now time.Time, svc string, n *int) (*hall.Issued, error) {
	*n++
	is, _, err := e.Issue(now, hall.IssueRequest{Service: svc}, fmt.Sprintf("id%d", *n), fmt.Sprintf("tok%d", *n))
	return is, err
}

// TestQuotaDayRolloverAndRestart: the 4th ticket of Q in a local day is refused with
// quota_reached and when it opens again (the next local midnight, no hours); the refusal changes
// nothing; a restart mid-day keeps the count (Meta round trip); after local midnight (injected
// clock) the quota starts again, also for a snapshot taken before any command of the new day.
func TestQuotaDayRolloverAndRestart(t *testing.T) {
	loc := shanghaiLoc(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, loc)
	e := New(quotaHall(), loc)
	n := 0
	for i := 0; i < 2; i++ {
		if _, err := issueQ(e, now, "Q", &n); err != nil {
			t.Fatal(err)
		}
	}
	if r := remaining(t, e.Snapshot(now), "Q"); r != 1 {
		t.Errorf("remaining after 2: %d, want 1", r)
	}
	// Restart mid-day: the count survives in Meta.
	meta := roundTrip(t, e.Meta())
	var open []hall.Ticket
	for _, tk := range e.Waiting() {
		open = append(open, tk)
	}
	e, err := Restore(quotaHall(), loc, meta, open)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if is, err := issueQ(e, now, "Q", &n); err != nil || is.Ticket.Number != "Q003" {
		t.Fatalf("3rd after restart: %v %v", is, err)
	}
	seq := e.Meta().Seq
	_, err = issueQ(e, now, "Q", &n)
	if hall.ErrorCode(err) != hall.EQUOTAREACHED || hall.ErrorField(err) != "service" {
		t.Fatalf("4th ticket: %v, want quota_reached", err)
	}
	if at := hall.ErrorOpensAt(err); at == nil || !at.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, loc)) {
		t.Errorf("opens again at %v, want the next local midnight", at)
	}
	if e.Meta().Seq != seq || e.Meta().Numbers["Q"] != 3 {
		t.Errorf("a refused ticket changed the engine: seq %d numbers %v", e.Meta().Seq, e.Meta().Numbers)
	}
	s := e.Snapshot(now)
	if st := service(s, "Q"); st.Closed != hall.EQUOTAREACHED || st.NextIssueAt == nil || st.Quota != 3 || *st.Remaining != 0 {
		t.Errorf("snapshot Q past its quota: %+v", st)
	}
	if st := service(s, "A"); st.Closed != "" || st.Remaining != nil || st.Quota != 0 {
		t.Errorf("snapshot A without limits: %+v", st)
	}
	// Other services are not limited by Q's quota.
	if _, err := issueQ(e, now, "A", &n); err != nil {
		t.Fatal(err)
	}
	// Local midnight (16:00 UTC): a snapshot before any command already counts from zero; the
	// next ticket is Q001 of the new day.
	midnight := time.Date(2026, 3, 3, 0, 0, 1, 0, loc)
	if st := service(e.Snapshot(midnight), "Q"); st.Closed != "" || *st.Remaining != 3 {
		t.Errorf("snapshot after midnight: %+v", st)
	}
	for i := 1; i <= 3; i++ {
		is, err := issueQ(e, midnight, "Q", &n)
		if err != nil || is.Ticket.Number != fmt.Sprintf("Q%03d", i) {
			t.Fatalf("new day ticket %d: %v %v", i, is, err)
		}
	}
	if _, err := issueQ(e, midnight, "Q", &n); hall.ErrorCode(err) != hall.EQUOTAREACHED {
		t.Errorf("4th of the new day: %v", err)
	}
}

// TestSeasonalServiceOnlyInItsRange: S issues on 2026-03-02 and 03-03 only; before and after,
// service_closed (with the first day's start before, nothing after) and outOfSeason in the
// snapshot with its range.
func TestSeasonalServiceOnlyInItsRange(t *testing.T) {
	loc := shanghaiLoc(t)
	e := New(quotaHall(), loc)
	n := 0
	before := time.Date(2026, 3, 1, 10, 0, 0, 0, loc)
	_, err := issueQ(e, before, "S", &n)
	if hall.ErrorCode(err) != hall.ESERVICECLOSED {
		t.Fatalf("before the season: %v", err)
	}
	if at := hall.ErrorOpensAt(err); at == nil || !at.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, loc)) {
		t.Errorf("before the season opens at %v", at)
	}
	st := service(e.Snapshot(before), "S")
	if !st.OutOfSeason || st.Closed != hall.ESERVICECLOSED || st.From != "2026-03-02" || st.Until != "2026-03-03" {
		t.Errorf("snapshot before the season: %+v", st)
	}
	for _, d := range []int{2, 3} {
		if _, err := issueQ(e, time.Date(2026, 3, d, 23, 59, 0, 0, loc), "S", &n); err != nil {
			t.Errorf("2026-03-%02d: %v", d, err)
		}
	}
	after := time.Date(2026, 3, 4, 0, 0, 0, 0, loc)
	_, err = issueQ(e, after, "S", &n)
	if hall.ErrorCode(err) != hall.ESERVICECLOSED || hall.ErrorOpensAt(err) != nil {
		t.Errorf("after the season: %v (opens %v), want service_closed for good", err, hall.ErrorOpensAt(err))
	}
	if st := service(e.Snapshot(after), "S"); !st.OutOfSeason || st.NextIssueAt != nil {
		t.Errorf("snapshot after the season: %+v", st)
	}
}

// TestHoursCloseIssuing: a hall with hours issues only within them unless it sets
// IssueOutsideHours; the calendar's holidays close it (WithCalendar).
func TestHoursCloseIssuing(t *testing.T) {
	loc := shanghaiLoc(t)
	h := testHall()
	h.Hours = []hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-11:30", "14:00-17:00"}}}
	e := New(h, loc, WithCalendar(holidays{"2026-03-04": true}))
	n := 0
	_, err := issueQ(e, time.Date(2026, 3, 2, 12, 0, 0, 0, loc), "A", &n)
	if hall.ErrorCode(err) != hall.ESERVICECLOSED || !hall.ErrorOpensAt(err).Equal(time.Date(2026, 3, 2, 14, 0, 0, 0, loc)) {
		t.Errorf("lunch break: %v opens %v", err, hall.ErrorOpensAt(err))
	}
	if _, err := issueQ(e, time.Date(2026, 3, 2, 14, 0, 0, 0, loc), "A", &n); err != nil {
		t.Errorf("at 14:00: %v", err)
	}
	_, err = issueQ(e, time.Date(2026, 3, 4, 9, 0, 0, 0, loc), "A", &n)
	if hall.ErrorCode(err) != hall.ESERVICECLOSED || !hall.ErrorOpensAt(err).Equal(time.Date(2026, 3, 5, 8, 30, 0, 0, loc)) {
		t.Errorf("holiday: %v opens %v", err, hall.ErrorOpensAt(err))
	}
	h.IssueOutsideHours = true
	e = New(h, loc)
	if _, err := issueQ(e, time.Date(2026, 3, 2, 23, 0, 0, 0, loc), "A", &n); err != nil {
		t.Errorf("issue outside hours: %v", err)
	}
}

// holidays is a calendar with the given holidays and Monday to Friday working.
type holidays map[string]bool

func (h holidays) Holiday(t time.Time) bool { return h[t.Format("2006-01-02")] }
func (h holidays) Working(t time.Time) bool {
	return !h.Holiday(t) && t.Weekday() != time.Saturday && t.Weekday() != time.Sunday
}

func service(s hall.Snapshot, code string) hall.ServiceStatus {
	for _, sv := range s.Services {
		if sv.Code == code {
			return sv
		}
	}
	return hall.ServiceStatus{}
}

func remaining(t *testing.T, s hall.Snapshot, code string) int {
	t.Helper()
	r := service(s, code).Remaining
	if r == nil {
		t.Fatalf("service %s has no remaining", code)
	}
	return *r
}
