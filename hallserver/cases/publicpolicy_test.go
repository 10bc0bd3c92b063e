package cases

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// TestPublicRuleWhichCases: the open list shows complaints and suggestions a department has,
// never consultations, cases nobody routed yet, or cases the office refused.
func TestPublicRuleWhichCases(t *testing.T) {
	for _, tc := range []struct {
		kind  hall.Kind
		state hall.CaseState
		want  bool
	}{
		{hall.KindComplaint, hall.CaseReceived, false},
		{hall.KindComplaint, hall.CaseTriage, false},
		{hall.KindComplaint, hall.CaseDispatched, true},
		{hall.KindComplaint, hall.CaseInProgress, true},
		{hall.KindComplaint, hall.CaseWaitingRequester, true},
		{hall.KindComplaint, hall.CaseReplied, true},
		{hall.KindComplaint, hall.CaseRated, true},
		{hall.KindComplaint, hall.CaseReopened, true},
		{hall.KindComplaint, hall.CaseArchived, true},
		{hall.KindComplaint, hall.CaseDuplicate, true},
		{hall.KindComplaint, hall.CaseNotAccepted, false},
		{hall.KindSuggestion, hall.CaseDispatched, true},
		{hall.KindSuggestion, hall.CaseReplied, true},
		{hall.KindSuggestion, hall.CaseTriage, false},
		{hall.KindSuggestion, hall.CaseNotAccepted, false},
		{hall.KindConsultation, hall.CaseDispatched, false},
		{hall.KindConsultation, hall.CaseReplied, false},
		{hall.KindConsultation, hall.CaseArchived, false},
		{"", hall.CaseDispatched, false},
	} {
		c := &hall.Case{Kind: tc.kind, State: tc.state}
		if got := Publishable(c); got != tc.want {
			t.Errorf("Publishable(%s, %s) = %v, want %v", tc.kind, tc.state, got, tc.want)
		}
		if _, ok := PublicRecord(c); ok != tc.want {
			t.Errorf("PublicRecord(%s, %s) ok = %v, want %v", tc.kind, tc.state, ok, tc.want)
		}
	}
	if Publishable(nil) {
		t.Error("Publishable(nil)")
	}
}

// TestPublicRuleWhichFields: a public record carries the number, state, category, department,
// times and a coarse point, and nothing a person wrote or that names a person.
func TestPublicRuleWhichFields(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	later := at.Add(3 * time.Hour)
	lat, long := 39.90765, 116.39712
	c := &hall.Case{ID: "case-20260302-1", Number: "JS20260302-0001", Token: "SECRETTOKEN", Kind: hall.KindComplaint,
		Channel: hall.ChannelAPI, State: hall.CaseReplied, Lang: "zh", Hall: "students", Ticket: "students-20260302-7",
		Source: "open311:wechat", Title: "占座", Text: "三楼自习室张三长期占座，电话13812345678",
		Requester: hall.Requester{Name: "李四", Phone: "13900000000", Email: "lisi@example.edu.cn", PersonID: "2023123456"},
		Place:     &hall.Place{Lat: &lat, Long: &long, Address: "图书馆三楼 李四的座位旁", MediaURL: "https://img.example/p.jpg"},
		Category:  "library-seats", Department: "library", Route: &hall.RouteResult{Department: "library"},
		Parts:      []hall.CasePart{{Department: "security", Task: "巡查"}},
		ReceivedAt: at, UpdatedAt: later, RepliedAt: &later, Due: at.Add(72 * time.Hour), Supervised: true, LongStanding: true,
		ListItem: "L-1", Replies: []hall.Reply{{Text: "已联系张三本人", By: "h-library"}}, Reason: "理由", Question: "问题",
		Timeline: []hall.CaseEntry{{Type: hall.CaseEvReceived, At: at, Actor: "open311:wechat", Text: "内部备注"}},
	}
	p, ok := PublicRecord(c)
	if !ok {
		t.Fatal("a replied complaint is publishable")
	}
	if p.Number != c.Number || p.State != c.State || p.Kind != c.Kind || p.Category != c.Category || p.Department != c.Department ||
		!p.ReceivedAt.Equal(at) || !p.UpdatedAt.Equal(later) || p.RepliedAt == nil || !p.RepliedAt.Equal(later) || !p.Due.Equal(c.Due) {
		t.Fatalf("public record lost a public field: %+v", p)
	}
	if p.Place == nil || *p.Place.Lat != 39.908 || *p.Place.Long != 116.397 || p.Place.Address != "" || p.Place.MediaURL != "" {
		t.Fatalf("public place %+v, want the point rounded to 3 decimals only", p.Place)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"case-2026", "SECRETTOKEN", "students", "open311", "wechat", "占座", "张三", "李四", "1381", "1390",
		"lisi", "2023123456", "图书馆", "img.example", "security", "巡查", "h-library", "已联系", "理由", "问题", "内部", "L-1",
		`"supervised"`, `"longStanding"`, `"route"`, `"channel":"api"`} {
		if strings.Contains(string(b), leak) {
			t.Errorf("public record shows %q: %s", leak, b)
		}
	}
	// The record is a copy: changing it leaves the case alone.
	*p.RepliedAt = at
	if !c.RepliedAt.Equal(later) {
		t.Fatal("PublicRecord shares the case's times")
	}
}
