package http

import (
	"testing"
	"time"

	"onedoor/hallserver/wire"
)

// TestServerClockOnResponses: the dates the server decides with come from Config.Now, not the
// wall clock: the default end of the stats window and the default day of the daily report.
func TestServerClockOnResponses(t *testing.T) {
	e := newCaseEnv(t)
	at := time.Date(2031, 5, 6, 2, 30, 0, 0, time.UTC) // 10:30 on 6 May in the campus zone
	e.restart(func(c *Config) { c.Now = func() time.Time { return at } })
	sup := e.login("supervisor")
	var st wire.CaseStats
	if r := e.do("GET", "/api/v1/cases/stats", sup, nil); r.status != 200 {
		t.Fatalf("stats: %d %s", r.status, r.body)
	} else {
		r.decode(t, &st)
	}
	if !st.To.Equal(at) || st.From.After(at.AddDate(0, 0, -30)) {
		t.Errorf("stats window %v – %v, want it to end at the server's clock %v", st.From, st.To, at)
	}
	var daily struct{ Date string }
	e.do("GET", "/api/v1/cases/daily", sup, nil).decode(t, &daily)
	if daily.Date != "2031-05-06" {
		t.Errorf("daily report of %q, want the server clock's day 2031-05-06", daily.Date)
	}
}
