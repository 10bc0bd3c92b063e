package http

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// webCaseWithPhone opens a web case (library seats) from a ticket's follow page with a phone and
// returns it and the ticket.
func (e *caseEnv) webCaseWithPhone(t *testing.T, text, phone string) (wire.WebCase, wire.Ticket) {
	t.Helper()
	tk := e.issue("A")
	r := e.webRequest(tk.Token, map[string]any{"kind": "complaint", "category": "library-seats", "text": text, "phone": phone}, "")
	if r.status != 201 {
		t.Fatalf("web request: %d %s", r.status, r.body)
	}
	var wc wire.WebCase
	r.decode(t, &wc)
	return wc, tk
}

// TestInboxRequesterPhoneLeadOnly: the follow form promises "仅承办部门可见": in the inbox the
// lead department reads the requester's phone in full, an assisting department masked, through
// the API, the case stream and the page; the follow page never shows it.
func TestInboxRequesterPhoneLeadOnly(t *testing.T) {
	e := newCaseEnv(t)
	wc, _ := e.webCaseWithPhone(t, "三楼座位被书包占着", "13712345678")
	lib, it := e.login("h-library"), e.login("h-it")
	e.caseAct(lib, wc.Number, "invite", map[string]string{"department": "it", "text": "查看监控"})
	for _, tc := range []struct {
		user, token, want string
	}{{"h-library", lib, "13712345678"}, {"h-it", it, "137****5678"}} {
		var c hall.Case
		e.do("GET", "/api/v1/cases/"+wc.Number, tc.token, nil).decode(t, &c)
		if c.Requester.Phone != tc.want {
			t.Errorf("%s reads the phone %q through the API, want %q", tc.user, c.Requester.Phone, tc.want)
		}
		sc := e.dialCases("/api/v1/cases/stream", tc.token, 0)
		if m, ok := readCase(t, sc, 2*time.Second); !ok || len(m.Cases) != 1 || !strings.Contains(m.raw, `"phone":"`+tc.want+`"`) {
			t.Errorf("%s's stream snapshot: %s", tc.user, m.raw)
		}
		sc.Close()
		ctx := browser(t, 1280, 900)
		openInbox(t, ctx, e.ts.URL, tc.user, wc.Number)
		run(t, ctx, "pick the case", chromedp.Click(chromedp.CSS(`#cases li[data-number=`+jsString(wc.Number)+`] button`)))
		must(t, ctx, "case shown", `onedoorInbox.selected() === `+jsString(wc.Number), 3*time.Second)
		if got := evalString(t, ctx, `document.getElementById("c-requester").textContent`); !strings.Contains(got, tc.want) {
			t.Errorf("%s's inbox shows the requester as %q, want %q", tc.user, got, tc.want)
		}
		shot(t, ctx, "inbox-phone-"+tc.user)
	}
	var pub wire.CaseFollow
	e.do("GET", "/api/v1/case-follow/"+wc.Token, "", nil).decode(t, &pub)
	if pub.Requester.Phone != "137****5678" {
		t.Errorf("public case: phone %q", pub.Requester.Phone)
	}
	if page := string(e.do("GET", "/c/"+wc.Token, "", nil).body); strings.Contains(page, "13712345678") {
		t.Error("the follow page shows the full phone")
	}
}
