package http

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// waterTexts are three requests about one matter (a hot topic) and one about another.
var waterTexts = []string{"宿舍楼热水一直不热，洗澡只有冷水", "十号宿舍楼晚上洗澡没有热水，报修了没人来", "宿舍热水器坏了，洗澡水是冷的", "图书馆的打印机坏了"}

// openTexts opens one kiosk case per text and returns them.
func (e *caseEnv) openTexts(texts ...string) []wire.OpenedCase {
	e.t.Helper()
	var out []wire.OpenedCase
	for _, tx := range texts {
		out = append(out, e.openKiosk(map[string]any{"hall": "students", "text": tx}, ""))
	}
	return out
}

// listItemBody is a valid long-standing list item linking the given cases.
func listItemBody(cases ...string) map[string]any {
	return map[string]any{
		"title": map[string]string{"zh": "宿舍热水改造", "en": "Dormitory hot water"}, "lead": "logistics", "assist": []string{"it"},
		"milestones": []map[string]any{
			{"title": map[string]string{"zh": "管网排查"}, "due": "2026-01-15", "progress": 100},
			{"title": map[string]string{"zh": "更换热水器"}, "due": "2026-03-01", "progress": 30},
		},
		"cases": cases,
	}
}

// TestSupervisionAuthzMatrix: every phase-3 endpoint × anonymous, devices, counter staff, a
// department handler, an office handler, a supervisor and an admin. Rejected requests change
// nothing (the case log, the list and the notice line stay where they were).
func TestSupervisionAuthzMatrix(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "图书馆占座"}, "")
	ctx := context.Background()
	if _, err := e.list.CreateItem(ctx, hall.ListItem{Title: hall.Text{Zh: "占座治理"}, Lead: "library"}, "setup"); err != nil {
		t.Fatal(err)
	}
	roles := []struct{ name, token string }{
		{"anonymous", ""}, {"kiosk", kioskStudents}, {"display", displayStudents}, {"counter", e.login("counter1")},
		{"handler (library)", e.login("h-library")}, {"office handler", e.login("h-office")},
		{"supervisor", e.login("supervisor")}, {"admin", e.login("admin")},
	}
	answer := map[string]any{"text": map[string]string{"zh": "答复"}}
	eps := []struct {
		method, path string
		body         any
		want         [8]int
	}{
		{"GET", "/api/v1/cases/daily", nil, [8]int{401, 403, 403, 403, 403, 200, 200, 200}},
		{"GET", "/api/v1/cases/daily?date=2026-13-01", nil, [8]int{401, 403, 403, 403, 403, 400, 400, 400}},
		{"GET", "/api/v1/cases/series?period=day&n=3", nil, [8]int{401, 403, 403, 403, 403, 200, 200, 200}},
		{"GET", "/api/v1/cases/escalations", nil, [8]int{401, 403, 403, 403, 403, 200, 200, 200}},
		{"GET", "/api/v1/cases/" + oc.ID + "/related", nil, [8]int{401, 403, 403, 403, 200, 200, 200, 200}},
		{"GET", "/api/v1/topics?days=7", nil, [8]int{401, 403, 403, 403, 403, 200, 200, 200}},
		{"POST", "/api/v1/topics/tnothing/answer", answer, [8]int{401, 403, 403, 403, 403, 404, 404, 404}},
		{"GET", "/api/v1/longlist", nil, [8]int{401, 403, 403, 403, 200, 200, 200, 200}},
		{"GET", "/api/v1/longlist/QD-001", nil, [8]int{401, 403, 403, 403, 200, 200, 200, 200}},
		{"POST", "/api/v1/longlist", listItemBody(), [8]int{401, 403, 403, 403, 403, 201, 201, 201}},
		{"PUT", "/api/v1/longlist/QD-001", listItemBody(), [8]int{401, 403, 403, 403, 403, 200, 200, 200}},
		{"DELETE", "/api/v1/longlist/QD-999", nil, [8]int{401, 403, 403, 403, 403, 404, 404, 404}},
		{"GET", "/api/v1/roadmap", nil, [8]int{200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/roadmap", nil, [8]int{200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/cases", nil, [8]int{200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/supervision", nil, [8]int{200, 403, 403, 403, 403, 200, 200, 200}},
	}
	state := func() string {
		items, _ := e.list.Items(ctx)
		b, _ := json.Marshal(items)
		snap := e.do("GET", "/api/v1/halls/students/snapshot", "", nil)
		var sn struct{ Notices []hall.Notice }
		snap.decode(t, &sn)
		return string(b) + "|" + itoa(len(sn.Notices)) + "|" + itoa(int(e.cs.LastSeq()))
	}
	for _, x := range eps {
		for i, role := range roles {
			before := state()
			r := e.do(x.method, x.path, role.token, x.body)
			if r.status != x.want[i] {
				t.Errorf("%s %s as %s: %d, want %d (%.200s)", x.method, x.path, role.name, r.status, x.want[i], r.body)
				continue
			}
			if r.status >= 400 {
				if strings.HasPrefix(x.path, "/api/") {
					r.apiError(t)
				}
				if state() != before {
					t.Errorf("%s %s as %s: rejected with %d but something changed", x.method, x.path, role.name, r.status)
				}
			}
		}
	}
	// Page content by role: the sign-in form for nobody, the charts for the office.
	if r := e.do("GET", "/supervision", "", nil); !strings.Contains(string(r.body), `id="login"`) || strings.Contains(string(r.body), "<svg") {
		t.Errorf("anonymous supervision page: %.300s", r.body)
	}
	if r := e.do("GET", "/supervision", roles[6].token, nil); !strings.Contains(string(r.body), "<svg") || strings.Contains(string(r.body), `id="login"`) {
		t.Errorf("supervisor's supervision page has no charts")
	}
}

// TestTopicAnswerReachesHallsAndFollowPages: three similar requests form a topic; the office's
// answer goes on both halls' notice line (what displays and kiosks show) and on the follow API
// and page of each of the three cases, escaped; republishing replaces the notices.
func TestTopicAnswerReachesHallsAndFollowPages(t *testing.T) {
	e := newCaseEnv(t)
	ocs := e.openTexts(waterTexts...)
	sup := e.login("supervisor")
	var tl wire.Topics
	e.do("GET", "/api/v1/topics?days=7", sup, nil).decode(t, &tl)
	if len(tl.Topics) != 1 || tl.Topics[0].Count != 3 {
		t.Fatalf("topics: %+v", tl.Topics)
	}
	id := tl.Topics[0].ID
	text := hall.Text{Zh: "<b>热水</b>管道本周五前修复，请暂用三号楼浴室", En: "Hot water is fixed by Friday"}
	r := e.do("POST", "/api/v1/topics/"+id+"/answer", sup, map[string]any{"text": text})
	if r.status != 200 {
		t.Fatalf("answer: %d %s", r.status, r.body)
	}
	var a hall.TopicAnswer
	r.decode(t, &a)
	if len(a.Cases) != 3 || len(a.Notices) != 2 {
		t.Fatalf("answer %+v", a)
	}
	notices := func(h string) []hall.Notice {
		var sn struct{ Notices []hall.Notice }
		e.do("GET", "/api/v1/halls/"+h+"/snapshot", "", nil).decode(t, &sn)
		return sn.Notices
	}
	for _, h := range []string{"students", "teachers"} {
		ns := notices(h)
		if len(ns) != 1 || ns[0].Text.Zh != "热点答复："+text.Zh || ns[0].Text.En != "Answer: "+text.En {
			t.Fatalf("notice line of %s: %+v", h, ns)
		}
	}
	for i, oc := range ocs {
		var f wire.CaseFollow
		e.do("GET", "/api/v1/case-follow/"+oc.Token, "", nil).decode(t, &f)
		page := string(e.do("GET", "/c/"+oc.Token, "", nil).body)
		if i < 3 {
			if f.TopicAnswer == nil || f.TopicAnswer.Text != text {
				t.Fatalf("case %d follow: %+v", i, f.TopicAnswer)
			}
			if !strings.Contains(page, "&lt;b&gt;热水&lt;/b&gt;管道") || strings.Contains(page, "<b>热水") {
				t.Fatalf("case %d page does not show the answer escaped", i)
			}
		} else if f.TopicAnswer != nil || strings.Contains(page, "case-topic-answer") {
			t.Fatalf("unrelated case got the answer")
		}
	}
	// Republish: the old notices are withdrawn, the new text is the only one.
	text2 := hall.Text{Zh: "热水已恢复"}
	if r := e.do("POST", "/api/v1/topics/"+id+"/answer", sup, map[string]any{"text": text2}); r.status != 200 {
		t.Fatalf("republish: %d %s", r.status, r.body)
	}
	if ns := notices("students"); len(ns) != 1 || ns[0].Text.Zh != "热点答复：热水已恢复" || ns[0].Text.En != "" {
		t.Fatalf("after republishing: %+v", ns)
	}
	if r := e.do("POST", "/api/v1/topics/"+id+"/answer", sup, map[string]any{"text": map[string]string{"zh": strings.Repeat("长", 501)}}); r.status != 400 {
		t.Fatalf("too long answer: %d", r.status)
	}
}

// TestDailyAndSeriesHTTP: the daily report lists today's arrivals; the series has the periods.
func TestDailyAndSeriesHTTP(t *testing.T) {
	e := newCaseEnv(t)
	ocs := e.openTexts(waterTexts[:2]...)
	sup := e.login("supervisor")
	var rep hall.DailyReport
	e.do("GET", "/api/v1/cases/daily", sup, nil).decode(t, &rep)
	if len(rep.Arrived) != 2 || rep.Arrived[0].Number != ocs[0].Number || len(rep.Late) != 0 {
		t.Fatalf("daily %+v", rep)
	}
	var empty hall.DailyReport
	e.do("GET", "/api/v1/cases/daily?date=2020-01-01", sup, nil).decode(t, &empty)
	if empty.Date != "2020-01-01" || len(empty.Arrived) != 0 || empty.Arrived == nil {
		t.Fatalf("old day %+v", empty)
	}
	var ser seriesJSON
	e.do("GET", "/api/v1/cases/series?period=month&n=2", sup, nil).decode(t, &ser)
	if ser.Period != "month" || len(ser.Periods) != 2 || len(ser.Periods[1].Departments) == 0 {
		t.Fatalf("series %+v", ser)
	}
	for _, bad := range []string{"?period=year", "?period=day&n=0", "?n=x"} {
		if r := e.do("GET", "/api/v1/cases/series"+bad, sup, nil); r.status != 400 {
			t.Errorf("series%s: %d", bad, r.status)
		}
	}
}

// TestLongListAndRoadmap: creating an item flags its cases; the roadmap shows no personal data
// and escapes what was typed; deleting clears the flag.
func TestLongListAndRoadmap(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openTexts(waterTexts[0])[0]
	sup := e.login("supervisor")
	if r := e.do("POST", "/api/v1/longlist", sup, listItemBody("JS-NOPE")); r.status != 400 {
		t.Fatalf("unknown case: %d %s", r.status, r.body)
	}
	body := listItemBody(oc.Number)
	body["title"] = map[string]string{"zh": "<script>alert(1)</script>宿舍热水", "en": "Hot water"}
	r := e.do("POST", "/api/v1/longlist", sup, body)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var it hall.ListItem
	r.decode(t, &it)
	if it.ID != "QD-001" || it.Progress != 65 || it.Status != "in_progress" || it.CreatedBy != "supervisor" {
		t.Fatalf("item %+v", it)
	}
	var c hall.Case
	e.do("GET", "/api/v1/cases/"+oc.ID, sup, nil).decode(t, &c)
	if !c.LongStanding || c.ListItem != "QD-001" {
		t.Fatalf("case not flagged: %v %q", c.LongStanding, c.ListItem)
	}
	rm := e.do("GET", "/api/v1/roadmap", "", nil)
	if strings.Contains(string(rm.body), "supervisor") || strings.Contains(string(rm.body), oc.Number) || !strings.Contains(string(rm.body), `"caseCount":1`) {
		t.Fatalf("roadmap leaks or misses: %s", rm.body)
	}
	page := string(e.do("GET", "/roadmap", "", nil).body)
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;宿舍热水") || !strings.Contains(page, `width="130"`) {
		t.Fatalf("roadmap page: %s", page)
	}
	if r := e.do("PUT", "/api/v1/longlist/QD-001", e.login("h-library"), body); r.status != 403 {
		t.Fatalf("a department handler edits the list: %d", r.status)
	}
	if r := e.do("DELETE", "/api/v1/longlist/QD-001", sup, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	var after hall.Case
	e.do("GET", "/api/v1/cases/"+oc.ID, sup, nil).decode(t, &after)
	if after.LongStanding || after.ListItem != "" {
		t.Fatalf("case still flagged after delete")
	}
}

// TestSupervisionPageEscapes: what requesters typed reaches the page only as text.
func TestSupervisionPageEscapes(t *testing.T) {
	e := newCaseEnv(t)
	e.openTexts("<script>alert(1)</script>宿舍楼热水一直不热，洗澡只有冷水", "<img src=x onerror=alert(1)>宿舍热水器坏了，洗澡水是冷的")
	page := string(e.do("GET", "/supervision?period=day", e.login("supervisor"), nil).body)
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
		t.Fatal("raw markup from a request on the supervision page")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") && !strings.Contains(page, "&lt;img src=x") {
		t.Fatalf("the topic label is missing: %s", page)
	}
	for _, want := range []string{`class="active" aria-current="page">按日`, "日清日结", `id="n-arrived">2<`, "<svg"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestSVGCharts(t *testing.T) {
	b := string(barSVG(chart{Title: "t<x>", Categories: []string{"<script>", "图书馆"}, Percent: true,
		Series: []chartSeries{{Name: "响应率", Values: []float64{0.5, 1}}, {Name: "解决率", Values: []float64{0, 0.25}}}}))
	if strings.Contains(b, "<script>") || !strings.Contains(b, "&lt;script&gt;") || strings.Count(b, "<rect") != 2+4 || !strings.Contains(b, ">100%<") {
		t.Fatalf("bar chart: %s", b)
	}
	l := string(lineSVG(chart{Categories: []string{"W1", "W2", "W3"}, Percent: true,
		Series: []chartSeries{{Name: "a", Values: []float64{0.5, math.NaN(), 1}}}}))
	if strings.Count(l, "<circle") != 2 || !strings.Contains(l, "<polyline") {
		t.Fatalf("line chart: %s", l)
	}
	if n := niceCeil(37); n != 50 {
		t.Fatalf("niceCeil(37) = %v", n)
	}
}

// TestSupervisionResponsesMatchSpec checks the phase-3 answers against openapi.json.
func TestSupervisionResponsesMatchSpec(t *testing.T) {
	e := newCaseEnv(t)
	s := loadSpec(t)
	ocs := e.openTexts(waterTexts...)
	sup := e.login("supervisor")
	var tl wire.Topics
	topics := e.do("GET", "/api/v1/topics", sup, nil)
	topics.decode(t, &tl)
	answer := e.do("POST", "/api/v1/topics/"+tl.Topics[0].ID+"/answer", sup, map[string]any{"text": map[string]string{"zh": "已修复"}})
	created := e.do("POST", "/api/v1/longlist", sup, listItemBody(ocs[0].Number))
	samples := []schemaSample{
		{"daily", e.do("GET", "/api/v1/cases/daily", sup, nil).body, "DailyReport"},
		{"series", e.do("GET", "/api/v1/cases/series", sup, nil).body, "StatsSeries"},
		{"related", e.do("GET", "/api/v1/cases/"+ocs[0].ID+"/related", sup, nil).body, "RelatedList"},
		{"topics", e.do("GET", "/api/v1/topics", sup, nil).body, "TopicList"},
		{"answer", answer.body, "TopicAnswer"},
		{"follow", e.do("GET", "/api/v1/case-follow/"+ocs[0].Token, "", nil).body, "CaseFollow"},
		{"created", created.body, "ListItem"},
		{"items", e.do("GET", "/api/v1/longlist", sup, nil).body, "ListItems"},
		{"item", e.do("GET", "/api/v1/longlist/QD-001", sup, nil).body, "ListItem"},
		{"roadmap", e.do("GET", "/api/v1/roadmap", "", nil).body, "Roadmap"},
	}
	s.checkSamples(t, samples)
	var rel wire.RelatedList
	e.do("GET", "/api/v1/cases/"+ocs[0].ID+"/related", sup, nil).decode(t, &rel)
	if len(rel.Cases) != 2 || rel.Cases[0].Relation != "similar" {
		t.Errorf("related to a hot-water request: %+v", rel.Cases)
	}
}

// TestEscalationsHTTP: GET /api/v1/cases/escalations lists a case received ten days ago and
// never answered as overdue, in the list's summary form, matching openapi.json; a case received
// now is not on it.
func TestEscalationsHTTP(t *testing.T) {
	var mu sync.Mutex
	at := time.Now().Add(-10 * 24 * time.Hour)
	e := newCaseEnvAt(t, func() time.Time { mu.Lock(); defer mu.Unlock(); return at })
	s := loadSpec(t)
	old := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "图书馆占座没人管"}, "")
	mu.Lock()
	at = time.Now()
	mu.Unlock()
	e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "今天图书馆很安静"}, "")
	sup := e.login("supervisor")
	r := e.do("GET", "/api/v1/cases/escalations", sup, nil)
	s.checkSamples(t, []schemaSample{{"escalations", r.body, "EscalationList"}})
	var got wire.EscalationList
	r.decode(t, &got)
	if got.Count != 1 || len(got.Escalations) != 1 || got.Escalations[0].Case.Number != old.Number || got.Escalations[0].Reasons[0] != "overdue" {
		t.Fatalf("escalations: %s", r.body)
	}
	if len(got.Escalations[0].Case.Timeline) > 0 && got.Escalations[0].Case.Timeline[0].Type != hall.CaseEvDetails {
		t.Errorf("the list's case carries its timeline: %+v", got.Escalations[0].Case.Timeline)
	}
}
