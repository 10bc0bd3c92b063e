package http

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/wire"
)

// searchNumbers lists the case numbers GET /api/v1/cases?q= answers the token, in order; the
// answer matches openapi.json.
func (e *caseEnv) searchNumbers(t *testing.T, s spec, token, query string) []string {
	t.Helper()
	r := e.do("GET", "/api/v1/cases?"+query, token, nil)
	if r.status != 200 {
		t.Fatalf("GET ?%s: %d %s", query, r.status, r.body)
	}
	s.checkSamples(t, []schemaSample{{"search " + query, r.body, "CaseList"}})
	var list wire.CaseList
	r.decode(t, &list)
	out := []string{}
	for _, c := range list.Cases {
		out = append(out, c.Number)
	}
	return out
}

// TestCaseSearchHTTP: GET /api/v1/cases?q= finds cases by number, the requester's phone and
// name, and words of the text (Chinese and English), best match first, among the cases the
// caller may see: the requester's data find a case only for those who see them unmasked (the
// office, the lead department; not an assisting one, nor another department).
func TestCaseSearchHTTP(t *testing.T) {
	e := newCaseEnv(t)
	s := loadSpec(t)
	lib, it, sup := e.login("h-library"), e.login("h-it"), e.login("supervisor")
	a := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼座位被书包占着，没人管", "requester": map[string]any{"phone": "13712345678", "name": "赵六"}}, "")
	b := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "The seats on floor 3 are taken by bags"}, "")
	c := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼太吵"}, "")
	q := func(v string) string { return "q=" + url.QueryEscape(v) }
	same := func(what string, got []string, want ...string) {
		t.Helper()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	same("library: 座位 占着", e.searchNumbers(t, s, lib, q("座位 占着")), a.Number)
	same("library: 三楼", e.searchNumbers(t, s, lib, q("三楼")), c.Number, a.Number)
	same("library: seats floor", e.searchNumbers(t, s, lib, q("Seats floor")), b.Number)
	same("library: phone", e.searchNumbers(t, s, lib, q("137 1234 5678")), a.Number)
	same("library: name", e.searchNumbers(t, s, lib, q("赵六")), a.Number)
	same("office: number", e.searchNumbers(t, s, sup, q(strings.ToLower(b.Number))), b.Number)
	same("office: phone", e.searchNumbers(t, s, sup, q("13712345678")), a.Number)
	same("with other filters", e.searchNumbers(t, s, sup, q("三楼")+"&kind=suggestion"))
	same("it: another department's case", e.searchNumbers(t, s, it, q("三楼")))
	same("it: another department's number", e.searchNumbers(t, s, it, q(a.Number)))

	// it assists: it finds the case by its words, not by the requester's phone or name
	e.caseAct(lib, a.Number, "invite", map[string]string{"department": "it", "text": "查看监控"})
	same("it assists: words", e.searchNumbers(t, s, it, q("座位")), a.Number)
	same("it assists: phone", e.searchNumbers(t, s, it, q("13712345678")))
	same("it assists: name", e.searchNumbers(t, s, it, q("赵六")))

	if r := e.do("GET", "/api/v1/cases?"+q(strings.Repeat("长", 201)), lib, nil); r.status != 400 || !strings.Contains(string(r.body), `"q"`) {
		t.Errorf("a 201-character query: %d %s", r.status, r.body)
	}
}

// TestInboxSearchAsksServer: the inbox's search box lists what the server finds (a case found by
// its requester's phone, which the list's lines do not show), best match first.
func TestInboxSearchAsksServer(t *testing.T) {
	e := newCaseEnv(t)
	a := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼座位被书包占着", "requester": map[string]any{"phone": "13712345678"}}, "")
	b := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "二楼空调太冷"}, "")
	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-library", b.Number)
	typeSearch := func(v string) {
		t.Helper()
		run(t, ctx, "type the search", chromedp.Evaluate[chromedp.Void](`(function(){var s=document.getElementById("search");s.value=`+jsString(v)+`;s.dispatchEvent(new Event("input"));})()`))
	}
	listed := `Array.prototype.map.call(document.querySelectorAll("#cases li"), function (li) { return li.getAttribute("data-number"); }).join(",")`
	typeSearch("13712345678")
	must(t, ctx, "the phone finds its case", listed+` === `+jsString(a.Number), 5*time.Second)
	typeSearch("空调")
	must(t, ctx, "words find their case", listed+` === `+jsString(b.Number), 5*time.Second)
	shot(t, ctx, "inbox-search")
	typeSearch("")
	must(t, ctx, "an empty search lists every case", `document.querySelectorAll("#cases li").length === 2`, 5*time.Second)
}
