package http

import (
	"context"
	"strings"
	"testing"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// hotlineOpen opens a case for a caller from the hotline desk.
func (e *caseEnv) hotlineOpen(tok, phone, text string) wire.OpenedCase {
	e.t.Helper()
	r := e.do("POST", "/api/v1/cases", tok, map[string]any{"kind": "complaint", "text": text, "requester": map[string]string{"phone": phone, "name": "王五"}})
	if r.status != 201 {
		e.t.Fatalf("hotline open: %d %s", r.status, r.body)
	}
	var oc wire.OpenedCase
	r.decode(e.t, &oc)
	return oc
}

// TestHotlineDesk: the operator enters a caller's case (channel hotline), finds the caller's
// earlier cases by number, reads the department's reply back without its internal note, calls
// back from the list and records the rating by phone: the requester's rating with channel
// hotline, counted in the satisfaction rate; the case leaves the list and cannot be rated twice.
func TestHotlineDesk(t *testing.T) {
	e := newAskEnv(t, testCampusDepts)
	s := loadSpec(t)
	op := e.login("hotline")
	lib := e.login("h-library")
	oc := e.hotlineOpen(op, "13700137000", "图书馆三楼自习室总有人用书占座")
	c, _ := e.cs.Get(context.Background(), oc.ID)
	if c.Channel != hall.ChannelHotline || c.Department != "library" || c.Hall != "" || c.Source != "hotline" {
		t.Fatalf("hotline case: channel %s dept %s hall %q source %q", c.Channel, c.Department, c.Hall, c.Source)
	}
	// Another caller's case, and one from the web by the same phone.
	e.hotlineOpen(op, "13600136000", "食堂饭菜太咸了")
	e.ask("10.9.0.1", map[string]any{"kind": "consultation", "text": "图书馆周末开放到几点", "contact": map[string]string{"phone": "+86 137 0013 7000"}})

	r := e.do("GET", "/api/v1/hotline/cases?phone=137-0013-7000", op, nil)
	var hc wire.HotlineCases
	r.decode(t, &hc)
	s.checkSamples(t, []schemaSample{{"caller cases", r.body, "HotlineCases"}})
	if r.status != 200 || len(hc.Cases) != 2 {
		t.Fatalf("earlier cases: %d %s", r.status, r.body)
	}
	for _, c := range hc.Cases {
		if c.Token != "" || c.ID != "" || strings.Contains(c.Text, "食堂") {
			t.Fatalf("earlier case leaks or is another caller's: %+v", c)
		}
	}
	if hc.Cases[1].Number != oc.Number || hc.Cases[1].Requester.Phone != "13700137000" || hc.Cases[0].Requester.Phone == "+8613700137000" {
		t.Fatalf("newest first, the desk's own case unmasked, the web one masked: %+v", hc.Cases)
	}

	// The department works it: an internal note, then the reply.
	e.do("POST", "/api/v1/cases/"+oc.ID+"/sign", lib, nil)
	e.do("POST", "/api/v1/cases/"+oc.ID+"/note", lib, map[string]string{"text": "内部：涉及某老师"})
	if r := e.do("POST", "/api/v1/cases/"+oc.ID+"/reply", lib, map[string]string{"text": "已增派巡查，占座物品统一清理"}); r.status != 200 {
		t.Fatalf("reply: %d %s", r.status, r.body)
	}
	r = e.do("GET", "/api/v1/hotline/cases/"+oc.Number, op, nil)
	s.checkSamples(t, []schemaSample{{"read back", r.body, "HotlineCase"}})
	if r.status != 200 || !strings.Contains(string(r.body), "已增派巡查") || strings.Contains(string(r.body), "涉及某老师") || strings.Contains(string(r.body), "h-library") {
		t.Fatalf("read back: %d %s", r.status, r.body)
	}

	r = e.do("GET", "/api/v1/hotline/callbacks", op, nil)
	r.decode(t, &hc)
	if r.status != 200 || len(hc.Cases) != 1 || hc.Cases[0].Number != oc.Number || hc.Cases[0].Requester.Phone != "13700137000" {
		t.Fatalf("callbacks: %d %s", r.status, r.body)
	}
	// Bad ratings change nothing.
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]any{"stars": 0}, "stars"},
		{map[string]any{"stars": 6}, "stars"},
		{map[string]any{"stars": 4, "comment": strings.Repeat("好", 501)}, "comment"},
		{map[string]any{"stars": 4, "by": "x"}, "by"},
	} {
		if r := e.do("POST", "/api/v1/hotline/cases/"+oc.Number+"/rating", op, tc.body); r.status != 400 || r.apiError(t).Field != tc.field {
			t.Errorf("rating %v: %d %s", tc.body, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/hotline/cases/JS00000000-9999/rating", op, map[string]any{"stars": 4}); r.status != 404 {
		t.Errorf("rating an unknown case: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/hotline/cases/"+oc.Number+"/rating", op, map[string]any{"stars": 4, "comment": "来电人表示满意"})
	if r.status != 200 {
		t.Fatalf("rating: %d %s", r.status, r.body)
	}
	c, _ = e.cs.Get(context.Background(), oc.ID)
	if c.State != hall.CaseRated || c.LastRating() == nil || c.LastRating().Channel != hall.ChannelHotline || c.LastRating().Stars != 4 {
		t.Fatalf("after the callback: %s %+v", c.State, c.LastRating())
	}
	if r := e.do("POST", "/api/v1/hotline/cases/"+oc.Number+"/rating", op, map[string]any{"stars": 1}); r.status != 409 {
		t.Fatalf("rated twice: %d %s", r.status, r.body)
	}
	r = e.do("GET", "/api/v1/hotline/callbacks", op, nil)
	r.decode(t, &hc)
	if len(hc.Cases) != 0 {
		t.Fatalf("callbacks after rating: %s", r.body)
	}
	// The satisfaction rate counts it like any other rating.
	sup := e.login("supervisor")
	r = e.do("GET", "/api/v1/cases/stats", sup, nil)
	var st wire.CaseStats
	r.decode(t, &st)
	found := false
	for _, d := range st.Departments {
		if d.Department == "library" {
			found = d.Rated == 1 && d.Satisfied == 1 && d.SatisfactionRate == 1
		}
	}
	if !found {
		t.Fatalf("stats: %s", r.body)
	}

	// A web case (with a follow link) is not the desk's to rate.
	wc := e.hotlineOpen(op, "13500135000", "校园卡丢了怎么补办")
	web := e.ask("10.9.0.2", map[string]any{"kind": "consultation", "text": "图书馆周末开放时间是多少"})
	var ac wire.AskCase
	web.decode(t, &ac)
	if r := e.do("POST", "/api/v1/hotline/cases/"+ac.Number+"/rating", op, map[string]any{"stars": 5}); r.status != 409 {
		t.Fatalf("rating a web case: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/hotline/cases/"+wc.Number+"/rating", op, map[string]any{"stars": 5}); r.status != 409 {
		t.Fatalf("rating a case not replied: %d %s", r.status, r.body)
	}
}

// TestHotlineAuthorization: the hotline role uses the desk and opens hotline cases only (no
// other channel, no hall, no ticket); it does not work cases (no lists, no case view, no
// actions, so never a department's internal notes); department handlers and counters may not
// use the desk, the office may; anonymous callers get 401. Bad phone lookups name the field.
func TestHotlineAuthorization(t *testing.T) {
	e := newAskEnv(t, testCampusDepts)
	op := e.login("hotline")
	oc := e.hotlineOpen(op, "13700137000", "图书馆三楼自习室总有人用书占座")
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"kind": "complaint", "text": "x", "channel": "counter"}, "channel"},
		{map[string]any{"kind": "complaint", "text": "x", "channel": "web"}, "channel"},
		{map[string]any{"kind": "complaint", "text": "x", "hall": "students"}, "hall"},
	} {
		if r := e.do("POST", "/api/v1/cases", op, tc.body); r.status != 403 || r.apiError(t).Field != tc.field {
			t.Errorf("hotline opens %v: %d %s", tc.body, r.status, r.body)
		}
	}
	for _, p := range []string{"/api/v1/cases", "/api/v1/cases/" + oc.ID, "/api/v1/cases/stats", "/api/v1/topics"} {
		if r := e.do("GET", p, op, nil); r.status != 403 && r.status != 404 {
			t.Errorf("hotline GET %s: %d %s", p, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/cases/"+oc.ID+"/note", op, map[string]string{"text": "x"}); r.status != 403 && r.status != 404 {
		t.Errorf("hotline acts on a case: %d %s", r.status, r.body)
	}
	desk := []string{"/api/v1/hotline/cases?phone=13700137000", "/api/v1/hotline/cases/" + oc.Number, "/api/v1/hotline/callbacks"}
	for _, user := range []string{"h-library", "counter1"} {
		tok := e.login(user)
		for _, p := range desk {
			if r := e.do("GET", p, tok, nil); r.status != 403 {
				t.Errorf("%s GET %s: %d %s", user, p, r.status, r.body)
			}
		}
		if r := e.do("POST", "/api/v1/hotline/cases/"+oc.Number+"/rating", tok, map[string]any{"stars": 5}); r.status != 403 {
			t.Errorf("%s rates: %d", user, r.status)
		}
	}
	for _, p := range desk {
		if r := e.do("GET", p, "", nil); r.status != 401 {
			t.Errorf("anonymous GET %s: %d", p, r.status)
		}
		if r := e.do("GET", p, kioskStudents, nil); r.status != 403 {
			t.Errorf("kiosk GET %s: %d", p, r.status)
		}
	}
	sup := e.login("supervisor")
	for _, p := range desk {
		if r := e.do("GET", p, sup, nil); r.status != 200 {
			t.Errorf("office GET %s: %d %s", p, r.status, r.body)
		}
	}
	for _, q := range []string{"", "?phone=", "?phone=abc", "?phone=12"} {
		if r := e.do("GET", "/api/v1/hotline/cases"+q, op, nil); r.status != 400 || r.apiError(t).Field != "phone" {
			t.Errorf("lookup %q: %d %s", q, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/hotline/cases/NOPE-1", op, nil); r.status != 404 {
		t.Errorf("unknown number: %d", r.status)
	}
	// The admin accepts the role.
	adm := e.login("admin")
	if r := e.do("POST", "/api/v1/admin/staff", adm, map[string]any{"username": "hotline2", "password": "long-enough-1", "role": "hotline"}); r.status != 201 {
		t.Fatalf("admin adds a hotline operator: %d %s", r.status, r.body)
	}
	me := e.do("GET", "/api/v1/me", e.login2("hotline2", "long-enough-1"), nil)
	s := loadSpec(t)
	s.checkSamples(t, []schemaSample{{"me", me.body, "Principal"}})
}

// login2 signs a staff member in with a password.
func (e *caseEnv) login2(user, pass string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/session", "", map[string]string{"username": user, "password": pass})
	var s wire.Session
	r.decode(e.t, &s)
	if r.status != 200 {
		e.t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
	return s.Token
}
