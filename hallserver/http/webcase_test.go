package http

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// webRequest posts a request from the follow page of the ticket with token tok.
func (e *caseEnv) webRequest(tok string, body any, key string) response {
	e.t.Helper()
	var hdr []string
	if key != "" {
		hdr = []string{"Idempotency-Key", key}
	}
	return e.do("POST", "/api/v1/follow/"+tok+"/request", "", body, hdr...)
}

// TestWebCaseRequest: the holder of a ticket logs a complaint from its follow page; the case is
// a web case of the ticket's hall and ticket, the page follows it, the phone is for the
// department only; every bad request is refused naming the field and changes nothing; a retry
// with the same key returns the same case, anything else for that ticket is 409.
func TestWebCaseRequest(t *testing.T) {
	e := newCaseEnv(t)
	tk := e.issue("A")
	if body := string(e.do("GET", "/t/"+tk.Token, "", nil).body); !strings.Contains(body, `id="ask"`) || strings.Contains(body, `id="case"`) {
		t.Fatal("a ticket without a case does not offer the request form")
	}
	cat, err := e.cs.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	notTopic := ""
	for _, k := range cat.Categories {
		if !k.Topic {
			notTopic = k.Code
			break
		}
	}
	ok := map[string]any{"kind": "complaint", "category": "library-seats", "text": "三楼座位被书包占着 <script>window.pwned=1</script>", "phone": "137-1234-5678", "lang": "zh-CN"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range ok {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	bad := []struct {
		name, tok string
		body      any
		key       string
		status    int
		field     string
	}{
		{"unknown token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ok, "", 404, "token"},
		{"bad kind", tk.Token, with("kind", "praise"), "", 400, "kind"},
		{"no kind", tk.Token, with("kind", nil), "", 400, "kind"},
		{"no category", tk.Token, with("category", nil), "", 400, "category"},
		{"unknown category", tk.Token, with("category", "nope"), "", 400, "category"},
		{"not a topic", tk.Token, with("category", notTopic), "", 400, "category"},
		{"text too long", tk.Token, with("text", strings.Repeat("长", 1001)), "", 400, "text"},
		{"phone letters", tk.Token, with("phone", "call me"), "", 400, "phone"},
		{"phone short", tk.Token, with("phone", "123"), "", 400, "phone"},
		{"bad lang", tk.Token, with("lang", "fr"), "", 400, "lang"},
		{"unknown field", tk.Token, with("name", "张三"), "", 400, "name"},
		{"not JSON", tk.Token, "{", "", 400, ""},
		{"long key", tk.Token, ok, strings.Repeat("k", 129), 400, "Idempotency-Key"},
	}
	if notTopic == "" {
		t.Fatal("the catalogue has no category without a topic")
	}
	seq := e.cs.LastSeq()
	for _, b := range bad {
		r := e.webRequest(b.tok, b.body, b.key)
		if r.status != b.status {
			t.Errorf("%s: %d, want %d: %s", b.name, r.status, b.status, r.body)
			continue
		}
		if ed := r.apiError(t); ed.Field != b.field {
			t.Errorf("%s: field %q, want %q (%s)", b.name, ed.Field, b.field, ed.Message)
		}
		if e.cs.LastSeq() != seq {
			t.Fatalf("%s: refused but the case log moved", b.name)
		}
	}
	if list, _ := e.cs.List(context.Background(), hall.CaseFilter{}); len(list) != 0 {
		t.Fatalf("refused requests left %d cases", len(list))
	}

	// The request.
	r := e.webRequest(tk.Token, ok, "try-1")
	if r.status != 201 {
		t.Fatalf("request: %d %s", r.status, r.body)
	}
	var wc wire.WebCase
	r.decode(t, &wc)
	if wc.Number == "" || wc.Channel != hall.ChannelWeb || wc.Department != "library" || wc.DepartmentName.Zh == "" ||
		wc.FollowURL != e.srv.cfg.PublicURL+"/c/"+wc.Token || wc.Kind != hall.KindComplaint || !wc.DueAt.After(wc.ReceivedAt) {
		t.Fatalf("answer %+v", wc)
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatal(err)
	}
	if err := loadSpec(t).validate("WebCase", v); err != nil {
		t.Errorf("answer does not match WebCase: %v", err)
	}
	for _, p := range []string{"phone", "13712345678", "requester"} {
		if strings.Contains(string(r.body), p) {
			t.Errorf("answer carries %q", p)
		}
	}
	seq = e.cs.LastSeq()

	// A retry with the same key: the same case, nothing new.
	r = e.webRequest(tk.Token, ok, "try-1")
	var again wire.WebCase
	r.decode(t, &again)
	if r.status != 201 || again.Number != wc.Number || again.Token != wc.Token {
		t.Fatalf("retry: %d %+v", r.status, again)
	}
	// Another request for the ticket (no key, another key): 409, nothing new.
	for _, key := range []string{"", "try-2"} {
		r = e.webRequest(tk.Token, with("kind", "suggestion"), key)
		if r.status != 409 || r.apiError(t).Code != hall.ECONFLICT || !strings.Contains(string(r.body), wc.Number) {
			t.Errorf("second request (key %q): %d %s", key, r.status, r.body)
		}
	}
	if e.cs.LastSeq() != seq {
		t.Fatal("the retry or the second request changed the case log")
	}

	// The handling department sees the web case of the ticket with the phone; other departments
	// do not see it; the public views mask the phone.
	var c hall.Case
	lib := e.login("h-library")
	e.do("GET", "/api/v1/cases/"+wc.Number, lib, nil).decode(t, &c)
	if c.Channel != hall.ChannelWeb || c.Ticket != tk.ID || c.Hall != "students" || c.Kind != hall.KindComplaint ||
		c.Category != "library-seats" || c.Requester.Phone != "13712345678" || c.Text != ok["text"] || c.Lang != "zh" {
		t.Fatalf("case as the department sees it: %+v", c)
	}
	if r := e.do("GET", "/api/v1/cases/"+wc.Number, e.login("h-it"), nil); r.status != 404 {
		t.Errorf("another department reads the case: %d", r.status)
	}
	var pub wire.CaseFollow
	e.do("GET", "/api/v1/case-follow/"+wc.Token, "", nil).decode(t, &pub)
	if pub.Requester.Phone != "137****5678" || pub.Number != wc.Number {
		t.Errorf("public case: phone %q number %q", pub.Requester.Phone, pub.Number)
	}
	page := string(e.do("GET", "/t/"+tk.Token, "", nil).body)
	for _, want := range []string{`id="case"`, wc.Number, `data-case-token="` + wc.Token + `"`, "24 小时内答复", "&lt;script&gt;window.pwned=1&lt;/script&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("follow page lacks %q", want)
		}
	}
	for _, bad := range []string{`id="ask"`, "13712345678", "<script>window"} {
		if strings.Contains(page, bad) {
			t.Errorf("follow page has %q", bad)
		}
	}
	// The counter sees it as the ticket's request.
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	e.act(staff, 1, "call", map[string]any{"ticket": tk.Number}, 200)
	var cur struct {
		Current *wire.CurrentTicket `json:"current"`
	}
	e.do("GET", "/api/v1/halls/students/counters/1", staff, nil).decode(t, &cur)
	if cur.Current == nil || cur.Current.Request == nil || cur.Current.Request.Number != wc.Number {
		t.Errorf("counter view of the ticket: %+v", cur.Current)
	}
}

// TestWebCaseRequestRefusals: a ticket with a kiosk request or a counter case, and a cancelled
// ticket of a past day, may not log a request from the web; a ticket cancelled today may.
func TestWebCaseRequestRefusals(t *testing.T) {
	e := newCaseEnv(t)
	body := map[string]any{"kind": "consultation", "category": "campus-network"}

	// Logged by the kiosk with the ticket.
	kiosk := e.issue("A")
	e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "ticketId": kiosk.ID}, "")
	// Turned into a case at the counter.
	counter := e.issue("A")
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	e.act(staff, 1, "call", map[string]any{"ticket": counter.Number}, 200)
	r := e.do("POST", "/api/v1/cases", staff, map[string]any{"hall": "students", "kind": "complaint", "channel": "counter", "ticketId": counter.ID, "department": "library"})
	var oc wire.OpenedCase
	r.decode(t, &oc)
	e.act(staff, 1, "finish", map[string]any{"outcome": "case_opened", "caseId": oc.ID}, 200)
	// Cancelled by its holder.
	left := e.issue("A")
	if r := e.do("POST", "/api/v1/follow/"+left.Token+"/cancel", "", nil); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}

	seq := e.cs.LastSeq()
	for _, tk := range []wire.Ticket{kiosk, counter} {
		if r := e.webRequest(tk.Token, body, ""); r.status != 409 || r.apiError(t).Code != hall.ECONFLICT {
			t.Errorf("ticket %s with a case: %d %s", tk.Number, r.status, r.body)
		}
		if strings.Contains(string(e.do("GET", "/t/"+tk.Token, "", nil).body), `id="ask"`) {
			t.Errorf("ticket %s with a case offers the form", tk.Number)
		}
	}
	// The next day, the cancelled ticket is over.
	e.srv.cfg.Now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	r = e.webRequest(left.Token, body, "")
	page := string(e.do("GET", "/t/"+left.Token, "", nil).body)
	e.srv.cfg.Now = nil
	if r.status != 409 || !strings.Contains(r.apiError(t).Message, "cancelled") {
		t.Errorf("cancelled ticket of a past day: %d %s", r.status, r.body)
	}
	if strings.Contains(page, `id="ask"`) {
		t.Error("a cancelled ticket of a past day offers the form")
	}
	if e.cs.LastSeq() != seq {
		t.Fatal("refused requests changed the case log")
	}
	// The same day it may (someone who gave up waiting may still complain).
	if !strings.Contains(string(e.do("GET", "/t/"+left.Token, "", nil).body), `id="ask"`) {
		t.Error("a ticket cancelled today does not offer the form")
	}
	if r := e.webRequest(left.Token, body, ""); r.status != 201 {
		t.Errorf("ticket cancelled today: %d %s", r.status, r.body)
	}
}

// TestFollowPageWebRequestInBrowser: on a phone-size follow page the holder opens the form,
// picks a kind and a topic, types a request with markup and a phone, submits; the page then
// shows the case number, the 24-hour promise and the request as text.
func TestFollowPageWebRequestInBrowser(t *testing.T) {
	e := newCaseEnv(t)
	tk := e.issue("A")
	ctx := browser(t, 390, 844)
	openFollow(t, ctx, tk.FollowURL)
	must(t, ctx, "form offered", `!!document.getElementById("ask") && document.getElementById("ask-form").hidden`, time.Second)
	run(t, ctx, "open the form", chromedp.Click(chromedp.CSS("#ask-open")))
	must(t, ctx, "topics", `Number(document.getElementById("follow").dataset.topics) > 5 && !document.getElementById("ask-form").hidden`, 3*time.Second)
	text := "食堂二楼晚上七点就没饭了 <script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">"
	evalString(t, ctx, `(function(){var s=document.getElementById("ask-topic");s.value="canteens";return s.value})()`)
	run(t, ctx, "fill in",
		chromedp.Click(chromedp.CSS(`input[name="ask-kind"][value="complaint"]`)),
		chromedp.SendKeys(chromedp.CSS("#ask-text"), text),
		chromedp.SendKeys(chromedp.CSS("#ask-phone"), "13712345678"))
	shot(t, ctx, "follow-request")
	run(t, ctx, "submit", chromedp.Click(chromedp.CSS("#ask-btn")))
	eventually(t, ctx, "case on the page", `!!document.getElementById("case-number") && document.getElementById("case-number").textContent !== "" && !document.getElementById("case-promise").hidden`, 5*time.Second)

	list, err := e.cs.List(context.Background(), hall.CaseFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("cases after the request: %d %v", len(list), err)
	}
	c := list[0]
	if c.Channel != hall.ChannelWeb || c.Ticket != tk.ID || c.Kind != hall.KindComplaint || c.Category != "canteens" || c.Text != text || c.Requester.Phone != "13712345678" {
		t.Fatalf("case %+v", c)
	}
	if got := evalString(t, ctx, `document.getElementById("case-number").textContent`); got != c.Number {
		t.Errorf("page shows case %q, want %q", got, c.Number)
	}
	if got := evalString(t, ctx, `document.getElementById("case-promise").textContent`); !strings.Contains(got, "24 小时内答复") || !strings.Contains(got, "within 24 hours") {
		t.Errorf("promise %q", got)
	}
	if got := evalString(t, ctx, `document.getElementById("case-text").textContent + "|" + String(window.pwned) + "|" + document.scripts.length + "|" + document.images.length`); got != text+"|undefined|3|0" { // boot block, common.js, follow.js
		t.Errorf("request on the page: %q", got)
	}
	if got := evalString(t, ctx, `String(!!document.getElementById("ask")) + " " + document.getElementById("timeline").children.length`); !strings.HasPrefix(got, "false ") || got == "false 0" {
		t.Errorf("form gone and timeline shown: %q", got)
	}
	if strings.Contains(evalString(t, ctx, `document.body.textContent`), "13712345678") {
		t.Error("the page shows the full phone")
	}
	shot(t, ctx, "follow-request-sent")
}
