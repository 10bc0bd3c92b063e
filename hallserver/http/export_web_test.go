package http

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// TestExportLinksInThePages: the inbox's export link follows the list's current filter (the
// tab, the search) and downloads those cases; the supervision page's links download the rates
// of the window it shows and the daily report of the day it shows.
func TestExportLinksInThePages(t *testing.T) {
	e := newCaseEnv(t)
	a := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼有人长期占座"}, "")
	e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "图书馆空调太冷"}, "")
	e.openTexts(waterTexts...)
	lib, sup := e.login("h-library"), e.login("supervisor")

	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-library", a.Number)
	run(t, ctx, "all cases", chromedp.Click(chromedp.CSS(`#tabs a[data-filter="all"]`)))
	run(t, ctx, "search", chromedp.SendKeys(chromedp.ID("search"), "占座"))
	eventually(t, ctx, "one case listed", `document.querySelectorAll("#cases li").length === 1`, 5*time.Second)
	href := evalString(t, ctx, `document.getElementById("export-xlsx").href`)
	u, err := url.Parse(href)
	if err != nil || u.Path != "/api/v1/cases/export" || u.Query().Get("format") != "xlsx" || u.Query().Get("q") != "占座" || u.Query().Has("limit") || u.Query().Has("view") {
		t.Fatalf("inbox export link %q", href)
	}
	rows, _ := e.exportFile(lib, u.RequestURI())
	if len(rows) != 2 || rows[1][0] != a.Number {
		t.Errorf("the inbox's export of its filter: %q", rows)
	}

	// the office's page (the inbox's session is a department handler's: sign in again)
	run(t, ctx, "sign out", chromedp.Click(chromedp.ID("logout")))
	must(t, ctx, "signed out", `!document.getElementById("login").hidden`, 5*time.Second)
	run(t, ctx, "supervision", chromedp.Navigate(e.ts.URL+"/supervision?period=day"))
	must(t, ctx, "sign-in form", `!!document.getElementById("login") && window.onedoorSupervision`, 5*time.Second)
	signInForm(t, ctx, "supervisor")
	eventually(t, ctx, "export links", `document.querySelectorAll("#rates-export a, #daily-export a").length === 4`, 5*time.Second)
	links := strings.Split(evalString(t, ctx, `Array.prototype.map.call(document.querySelectorAll("#rates-export a, #daily-export a"), function (a) { return a.href; }).join(" ")`), " ")
	var ser seriesJSON
	e.do("GET", "/api/v1/cases/series?period=day", sup, nil).decode(t, &ser)
	var st wire.CaseStats
	from, to := ser.Periods[0].From, ser.Periods[len(ser.Periods)-1].To
	e.do("GET", "/api/v1/cases/stats?from="+url.QueryEscape(from.Format(time.RFC3339))+"&to="+url.QueryEscape(to.Format(time.RFC3339)), sup, nil).decode(t, &st)
	var rep hall.DailyReport
	e.do("GET", "/api/v1/cases/daily", sup, nil).decode(t, &rep)
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := e.exportFile(sup, u.RequestURI())
		switch u.Path {
		case "/api/v1/cases/stats/export":
			if len(rows) != len(st.Departments)+1 || rows[1][column(t, rows, "受理")] != itoa(st.Departments[0].Received) {
				t.Errorf("%s: %q, the window's stats %+v", l, rows, st.Departments)
			}
		case "/api/v1/cases/daily/export":
			if len(rows) != len(rep.Arrived)+len(rep.Closed)+len(rep.Late)+1 || rows[1][0] != rep.Date {
				t.Errorf("%s: %q, the day's report %+v", l, rows, rep)
			}
		default:
			t.Errorf("supervision links to %s", l)
		}
	}
}
