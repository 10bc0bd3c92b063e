package http

import (
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// settable is a queue clock the test moves.
type settable struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settable) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *settable) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// withLimits gives the teachers hall office hours (enforced), a quota of 2 on J, a seasonal
// service Y (2026-12-01..12-31) and a seasonal service Z (2027-01-04..01-15), and the queue the
// clock c.
func withLimits(c *settable) envOption {
	return func(e *env) {
		h := &e.campus.Halls[1]
		h.Hours = []hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-11:30", "14:00-17:00"}}}
		h.Services[0].Quota = 2
		h.Services = append(h.Services,
			hall.Service{Code: "Y", Name: hall.Text{Zh: "毕业离校", En: "Graduation leaving"}, AvgMinutes: 5, From: "2026-12-01", Until: "2026-12-31"},
			hall.Service{Code: "Z", Name: hall.Text{Zh: "年终结算", En: "Year-end settlement"}, AvgMinutes: 5, From: "2027-01-04", Until: "2027-01-15"})
		h.Counters[0].Services = []string{"J", "Y", "Z"}
		e.now = c.now
	}
}

// TestIssueClosedAndQuota: POST …/tickets answers 409 quota_reached past the daily quota and
// 409 service_closed outside the hours or the seasonal range, each with opensAt (RFC 3339 in the
// campus zone) and nothing issued; the hall information and the snapshot say per service whether
// it issues now, the quota left and the range; all as openapi.json says.
func TestIssueClosedAndQuota(t *testing.T) {
	c := &settable{t: inShanghai(t, "2026-12-07 10:00")} // a Monday
	e := newEnv(t, withLimits(c))
	issue := func(svc string) response {
		return e.do("POST", "/api/v1/halls/teachers/tickets", kioskTeachers, map[string]any{"service": svc})
	}
	for i := 0; i < 2; i++ {
		if r := issue("J"); r.status != 201 {
			t.Fatalf("J %d: %d %s", i+1, r.status, r.body)
		}
	}
	var eb wire.ErrorBody
	r := issue("J")
	r.decode(t, &eb)
	if r.status != 409 || eb.Error.Code != hall.EQUOTAREACHED || eb.Error.Field != "service" ||
		!strings.Contains(string(r.body), `"opensAt":"2026-12-08T08:30:00+08:00"`) {
		t.Errorf("3rd J: %d %s, want 409 quota_reached opening 2026-12-08T08:30:00+08:00", r.status, r.body)
	}
	samples := []schemaSample{{"quota_reached", r.body, "Error"}}

	var h wire.Hall
	hr := e.do("GET", "/api/v1/halls/teachers", "", nil)
	hr.decode(t, &h)
	samples = append(samples, schemaSample{"hall info", hr.body, "Hall"})
	byCode := map[string]wire.Service{}
	for _, sv := range h.Services {
		byCode[sv.Code] = sv
	}
	if j := byCode["J"]; j.Quota != 2 || j.Remaining == nil || *j.Remaining != 0 || j.Closed != hall.EQUOTAREACHED || j.NextIssueAt == nil {
		t.Errorf("hall info J: %+v", j)
	}
	if y := byCode["Y"]; y.Closed != "" || y.OutOfSeason || y.Until != "2026-12-31" || y.SeasonText.Zh != "限时开放至12月31日" ||
		y.SeasonText.En != "Limited period until 31 Dec" {
		t.Errorf("hall info Y (in its range): %+v", y)
	}
	if z := byCode["Z"]; !z.OutOfSeason || z.Closed != hall.ESERVICECLOSED || z.NextIssueAt == nil ||
		!z.NextIssueAt.Equal(inShanghai(t, "2027-01-04 08:30")) || z.From != "2027-01-04" {
		t.Errorf("hall info Z (before its range): %+v", z)
	}

	// Z before its range.
	r = issue("Z")
	if r.status != 409 || !strings.Contains(string(r.body), `"code":"service_closed"`) ||
		!strings.Contains(string(r.body), `"opensAt":"2027-01-04T08:30:00+08:00"`) {
		t.Errorf("Z before its range: %d %s", r.status, r.body)
	}
	// Lunch break: Y is closed until 14:00; at 14:00 it issues.
	c.set(inShanghai(t, "2026-12-07 12:00"))
	r = issue("Y")
	if r.status != 409 || !strings.Contains(string(r.body), `"code":"service_closed"`) ||
		!strings.Contains(string(r.body), `"opensAt":"2026-12-07T14:00:00+08:00"`) {
		t.Errorf("Y at lunch: %d %s", r.status, r.body)
	}
	samples = append(samples, schemaSample{"service_closed", r.body, "Error"})
	sr := e.do("GET", "/api/v1/halls/teachers/snapshot", "", nil)
	samples = append(samples, schemaSample{"snapshot", sr.body, "Snapshot"})
	var snap hall.Snapshot
	sr.decode(t, &snap)
	for _, sv := range snap.Services {
		if sv.Code == "Y" && (sv.Closed != hall.ESERVICECLOSED || sv.NextIssueAt == nil || !sv.NextIssueAt.Equal(inShanghai(t, "2026-12-07 14:00"))) {
			t.Errorf("snapshot Y at lunch: %+v", sv)
		}
	}
	c.set(inShanghai(t, "2026-12-07 14:00"))
	if r := issue("Y"); r.status != 201 {
		t.Errorf("Y at 14:00: %d %s", r.status, r.body)
	}
	// Staff issue by the same rule (admin may issue in every hall).
	if r := e.do("POST", "/api/v1/halls/teachers/tickets", e.login("admin"), map[string]any{"service": "J"}); r.status != 409 {
		t.Errorf("staff past the quota: %d %s", r.status, r.body)
	}
	// The next morning the quota starts again.
	c.set(inShanghai(t, "2026-12-08 08:30"))
	if r := issue("J"); r.status != 201 || !strings.Contains(string(r.body), `"number":"J001"`) {
		t.Errorf("J next morning: %d %s", r.status, r.body)
	}
	loadSpec(t).checkSamples(t, samples)
}

// TestCounterConsoleShowsIssuing: the counter console lists its services that are limited or
// closed for tickets: A past its quota with when it issues again, B's seasonal mark, both
// languages.
func TestCounterConsoleShowsIssuing(t *testing.T) {
	at := inShanghai(t, "2026-12-07 10:00")
	c := &settable{t: at}
	e := newEnv(t, func(e *env) {
		h := &e.campus.Halls[0]
		h.Hours = []hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-17:00"}}}
		h.Services[0].Quota = 1
		h.Services[1].From, h.Services[1].Until = "2026-12-01", "2026-12-31"
		e.now = c.now
		e.config = func(cfg *Config) { cfg.Now = c.now }
	})
	e.issue("A")
	ctx := browserIn(t, 1280, 900, "UTC")
	pinBrowserClock(t, ctx, at)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	li := func(code string) string { return `document.querySelector('#svc-states li[data-code="` + code + `"]')` }
	must(t, ctx, "A listed", li("A")+` !== null && !document.getElementById("svc-states").hidden`, 5*time.Second)
	for code, want := range map[string][]string{
		"A": {"今日号已取完", "明天 08:30 开始办理", "No more numbers today", "opens tomorrow 08:30"},
		"B": {"限时开放至12月31日", "Limited period until 31 Dec"},
	} {
		got := evalString(t, ctx, li(code)+`.textContent`)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("console line of %s: %q lacks %q", code, got, w)
			}
		}
	}
}
