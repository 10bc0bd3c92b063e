package http

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
)

// TestReportsPageWeb: three days of a hall worked through the API (more people in the morning,
// a no-show each day); an admin signs in on /reports, sees the days' rows, the charts and the
// heat map (the busiest hour darkest, its title telling the mean wait in the campus zone's
// hours), chooses "by service" in the form and gets one row per service with the counts the
// API gives. A counter staff member is refused the page. With -web-screenshots it writes
// reports-queue.png.
func TestReportsPageWeb(t *testing.T) {
	loc, _ := time.LoadLocation(hall.DefaultTimeZone)
	clk := &settableClock{at: time.Date(2026, 3, 2, 8, 30, 0, 0, loc)}
	e := newEnv(t, withQueueClock(clk.now), withConfig(func(c *Config) { c.Now = clk.now }))
	staff := e.login("counter1")
	issuedA := 0
	for day := 0; day < 3; day++ {
		clk.add(time.Date(2026, 3, 2+day, 8, 30, 0, 0, loc).Sub(clk.now()))
		e.act(staff, 1, "open", nil, 200)
		for hour, n := range map[int]int{9: 5, 10: 3, 14: 2} {
			clk.add(time.Date(2026, 3, 2+day, hour, 0, 0, 0, loc).Sub(clk.now()))
			for i := 0; i < n; i++ {
				svc := "A"
				if i%3 == 2 {
					svc = "B"
				} else {
					issuedA++
				}
				e.issue(svc)
				clk.add(time.Minute)
			}
			for i := 0; i < n; i++ {
				clk.add(4 * time.Minute)
				e.act(staff, 1, "call-next", nil, 200)
				clk.add(3 * time.Minute)
				if i == n-1 && hour == 14 {
					e.act(staff, 1, "no-show", nil, 200)
					continue
				}
				e.act(staff, 1, "finish", nil, 200)
			}
		}
		clk.add(time.Hour)
		e.act(staff, 1, "close", nil, 200)
	}
	clk.add(time.Date(2026, 3, 5, 9, 0, 0, 0, loc).Sub(clk.now()))

	ctx := browser(t, 1400, 1100)
	run(t, ctx, "open reports", chromedp.Navigate(e.ts.URL+"/reports?hall=students&from=2026-03-02&until=2026-03-05&by=day"))
	must(t, ctx, "sign-in form", `window.onedoorReports && !!document.getElementById("login")`, 5*time.Second)
	signInForm(t, ctx, "admin")
	must(t, ctx, "the days' rows", `document.querySelectorAll("#report-table tbody tr[data-key]").length === 4`, 5*time.Second)
	if got := evalString(t, ctx, `document.querySelector('#report-table tr[data-key="2026-03-02"]').children[1].textContent`); got != "10" {
		t.Errorf("issued on 2 March: %q, want 10", got)
	}
	if n := evalString(t, ctx, `String(document.querySelectorAll(".charts svg.chart").length)`); n != "2" {
		t.Errorf("%s charts, want 2", n)
	}
	// The heat map: the 09:00 cells are the darkest, their title the mean wait.
	title := evalString(t, ctx, `(document.querySelector("#heat rect.q5 title")||{}).textContent||""`)
	if want := "2026-03-02 09:00 · 取号 Issued 5"; len(title) < len(want) || title[:len(want)] != want {
		t.Errorf("darkest heat cell %q, want it to start %q", title, want)
	}
	shot(t, ctx, "reports-queue")

	run(t, ctx, "group by service", chromedp.SetValue(`#report-form select[name="by"]`, "service"), chromedp.Submit(`#report-form`))
	must(t, ctx, "by service", `document.querySelectorAll("#report-table tbody tr[data-key]").length === 2 && !!document.querySelector('#report-table tr[data-key="A"]')`, 5*time.Second)
	if got := evalString(t, ctx, `document.querySelector('#report-table tr[data-key="A"]').children[1].textContent`); got != strconv.Itoa(issuedA) {
		t.Errorf("service A issued %q, want %d", got, issuedA)
	}

	// The export link downloads the report shown (the page's query, as an admin's browser sends it).
	href := evalString(t, ctx, `document.querySelector('#queue-export a[href*="format=csv"]').getAttribute("href")`)
	u, err := url.Parse(href)
	if err != nil || u.Path != "/api/v1/reports/queue/export" || u.Query().Get("by") != "service" || u.Query().Get("hall") != "students" || u.Query().Get("from") != "2026-03-02" {
		t.Fatalf("export link %q", href)
	}
	body := string(e.do("GET", href, e.login("admin"), nil).body)
	if !strings.Contains(body, "\nstudents,service,A,"+strconv.Itoa(issuedA)+",") {
		t.Errorf("the CSV behind the link: %q", body)
	}
	if r := e.do("GET", "/reports", staff, nil); r.status != 403 {
		t.Errorf("counter staff on /reports: %d", r.status)
	}
}
