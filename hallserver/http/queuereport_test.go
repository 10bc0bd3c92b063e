package http

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// TestQueueReportAPI: a day of a hall worked through the API (two tickets served at counter 1,
// one left waiting, one rated 2 stars) gives, the next day, the figures a supervisor would
// count by hand, by counter, service, staff, day and hour, matching openapi.json; counter
// staff see their own hall only, a department handler none; bad parameters are 400 naming them.
func TestQueueReportAPI(t *testing.T) {
	loc, _ := time.LoadLocation(hall.DefaultTimeZone)
	clk := &settableClock{at: time.Date(2026, 3, 2, 9, 0, 0, 0, loc)}
	e := newEnv(t, withQueueClock(clk.now))
	if err := e.auth.CreateStaff(context.Background(), hall.Staff{Username: "h-library", Role: hall.RoleHandler, Department: "library"}, "demo"); err != nil {
		t.Fatal(err)
	}
	staff := e.login("counter1")
	admin := e.login("admin")
	a1 := e.issue("A")
	clk.add(2 * time.Minute)
	e.issue("A")
	e.act(staff, 1, "open", nil, 200)
	clk.add(3 * time.Minute) // 09:05: A001 waited 5 min, A002 3 min
	e.act(staff, 1, "call-next", nil, 200)
	e.act(staff, 1, "start", nil, 200)
	clk.add(4 * time.Minute)
	e.act(staff, 1, "finish", nil, 200)
	clk.add(20 * time.Minute) // 09:29: A002 waited 27 min
	e.act(staff, 1, "call-next", nil, 200)
	clk.add(6 * time.Minute)
	e.act(staff, 1, "finish", nil, 200)
	clk.add(time.Date(2026, 3, 2, 10, 15, 0, 0, loc).Sub(clk.now()))
	e.issue("B") // never called: cancelled at the day's end
	if r := e.do("POST", "/api/v1/follow/"+a1.Token+"/rating", "", map[string]any{"stars": 2, "comment": "等太久"}); r.status != 200 && r.status != 201 {
		t.Fatalf("rating: %d %s", r.status, r.body)
	}
	e.act(staff, 1, "close", nil, 200)                             // open 09:02–10:15
	clk.add(time.Date(2026, 3, 3, 8, 0, 0, 0, loc).Sub(clk.now())) // the next morning
	e.do("GET", "/api/v1/halls/students/snapshot", "", nil)        // (nothing needs the day reset)

	s := loadSpec(t)
	get := func(tok string, q url.Values) response {
		return e.do("GET", "/api/v1/reports/queue?"+q.Encode(), tok, nil)
	}
	report := func(tok, by string) wire.QueueReport {
		t.Helper()
		r := get(tok, url.Values{"hall": {"students"}, "from": {"2026-03-02"}, "until": {"2026-03-03"}, "by": {by}})
		if r.status != 200 {
			t.Fatalf("by %s: %d %s", by, r.status, r.body)
		}
		s.checkSamples(t, []schemaSample{{"queue report by " + by, r.body, "QueueReport"}})
		var out wire.QueueReport
		r.decode(t, &out)
		return out
	}
	byCounter := report(staff, "counter")
	if len(byCounter.Rows) != 1 {
		t.Fatalf("by counter: %+v", byCounter.Rows)
	}
	c1 := byCounter.Rows[0]
	if c1.Key != "1" || c1.Issued != 2 || c1.Served != 2 || c1.WaitSeconds.Mean != 960 || c1.WaitSeconds.Median != 300 ||
		c1.WaitSeconds.P90 != 1620 || c1.ServiceSeconds.Mean != 300 || c1.WithinTarget != 1 || c1.WithinTargetShare != 0.5 ||
		c1.OpenHours == nil || *c1.OpenHours != 1.22 || c1.Rating == nil || c1.Rating.Count != 1 || c1.Rating.Low != 1 {
		t.Errorf("counter 1: %+v (open %v, rating %+v)", c1, c1.OpenHours, c1.Rating)
	}
	bySvc := report(admin, "service")
	if len(bySvc.Rows) != 2 || bySvc.Rows[0].Key != "A" || bySvc.Rows[0].Served != 2 || bySvc.Rows[1].Key != "B" ||
		bySvc.Rows[1].Issued != 1 || bySvc.Rows[1].Cancelled != 1 || bySvc.Rows[0].OpenHours != nil {
		t.Errorf("by service: %+v", bySvc.Rows)
	}
	if r := report(admin, "staff").Rows; len(r) != 1 || r[0].Key != "counter1" || r[0].Served != 2 {
		t.Errorf("by staff: %+v", r)
	}
	if r := report(admin, "day").Rows; len(r) != 2 || r[0].Key != "2026-03-02" || r[0].Issued != 3 || r[1].Issued != 0 {
		t.Errorf("by day: %+v", r)
	}
	if r := report(admin, "hour").Rows; len(r) < 2 || r[0].Key != "09" || r[0].Issued != 2 || r[1].Key != "10" || r[1].Issued != 1 {
		t.Errorf("by hour: %+v", r)
	}
	// The export (GET /api/v1/reports/queue/export): the same figures as the API, in XLSX opened
	// with excelize and in CSV; counter staff get their hall's, not another's.
	for _, format := range []string{"xlsx", "csv"} {
		rows, _ := e.exportFile(staff, "/api/v1/reports/queue/export?format="+format+"&hall=students&from=2026-03-02&until=2026-03-03&by=counter", excelize.Options{RawCellValue: true})
		if len(rows) != 2 {
			t.Fatalf("%s: %d rows, want a header and counter 1", format, len(rows))
		}
		got := func(h string) float64 {
			v, err := strconv.ParseFloat(rows[1][column(t, rows, h)], 64)
			if err != nil {
				t.Fatalf("%s: %s = %q", format, h, rows[1][column(t, rows, h)])
			}
			return v
		}
		if rows[1][column(t, rows, "分组")] != c1.Key || got("取号") != float64(c1.Issued) || got("办结") != float64(c1.Served) ||
			got("平均等候(秒)") != c1.WaitSeconds.Mean || got("等候P90(秒)") != c1.WaitSeconds.P90 || got("平均办理(秒)") != c1.ServiceSeconds.Mean ||
			got("达标率") != c1.WithinTargetShare || got("窗口开放小时") != *c1.OpenHours || got("差评(1–2星)") != float64(c1.Rating.Low) {
			t.Errorf("%s export %q, the API's row %+v", format, rows[1], c1)
		}
	}
	if r := e.do("GET", "/api/v1/reports/queue/export?format=csv&hall=teachers", staff, nil); r.status != 403 {
		t.Errorf("counter staff export of another hall: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/reports/queue/export?format=pdf&hall=students", admin, nil); r.status != 400 || r.apiError(t).Field != "format" {
		t.Errorf("format pdf: %d %s", r.status, r.body)
	}

	for _, c := range []struct {
		tok    string
		q      url.Values
		status int
		field  string
	}{
		{"", url.Values{"hall": {"students"}}, 401, ""},
		{staff, url.Values{"hall": {"teachers"}}, 403, ""},
		{e.login("h-library"), url.Values{"hall": {"students"}}, 403, ""},
		{admin, url.Values{}, 400, "hall"},
		{admin, url.Values{"hall": {"nowhere"}}, 400, "hall"},
		{admin, url.Values{"hall": {"students"}, "by": {"week"}}, 400, "by"},
		{admin, url.Values{"hall": {"students"}, "from": {"2026/03/01"}}, 400, "from"},
		{admin, url.Values{"hall": {"students"}, "from": {"2026-03-03"}, "until": {"2026-03-01"}}, 400, "until"},
		{admin, url.Values{"hall": {"students"}, "from": {"2025-01-01"}, "until": {"2026-03-01"}}, 400, "until"},
	} {
		r := get(c.tok, c.q)
		if r.status != c.status {
			t.Errorf("%v: %d %s, want %d", c.q, r.status, r.body, c.status)
			continue
		}
		s.checkSamples(t, []schemaSample{{"refusal", r.body, "Error"}})
		if c.field != "" {
			var eb wire.ErrorBody
			r.decode(t, &eb)
			if eb.Error.Field != c.field {
				t.Errorf("%v: field %q, want %q", c.q, eb.Error.Field, c.field)
			}
		}
	}
}
