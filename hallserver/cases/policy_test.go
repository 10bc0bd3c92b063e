package cases

import (
	"testing"

	"onedoor/hallserver/hall"
)

// Principals of the policy tests: one of each kind of caller.
var (
	pSupervisor = &hall.Principal{Subject: "sup", Role: hall.RoleSupervisor}
	pAdmin      = &hall.Principal{Subject: "admin", Role: hall.RoleAdmin}
	pOffice     = &hall.Principal{Subject: "h-office", Role: hall.RoleHandler, Department: hall.OfficeDepartment}
	pLibrary    = &hall.Principal{Subject: "h-library", Role: hall.RoleHandler, Department: "library"}
	pIT         = &hall.Principal{Subject: "h-it", Role: hall.RoleHandler, Department: "it"}
	pHealth     = &hall.Principal{Subject: "h-health", Role: hall.RoleHandler, Department: "health"}
	pCounter    = &hall.Principal{Subject: "counter1", Role: hall.RoleCounter, Department: hall.OfficeDepartment}
	pKiosk      = &hall.Principal{Subject: "kiosk-1", Role: hall.RoleKiosk, Halls: []string{"students"}, Device: true}
	pNoDept     = &hall.Principal{Subject: "h-none", Role: hall.RoleHandler}
)

// policyCase is led by the library with IT assisting; security had it once.
func policyCase() *hall.Case {
	return &hall.Case{ID: "c1", Number: "20260301-001", Department: "library", Token: "secret-token",
		Requester: hall.Requester{Name: "张三", Phone: "13800138000"},
		Parts:     []hall.CasePart{{Department: "it"}},
		Timeline:  []hall.CaseEntry{{Department: "security"}}}
}

// TestPolicyWhoSeesWhat: the office sees every case; a department the cases it leads or
// assists; counters (even of the office department), devices and handlers without a department
// see none and do not work cases.
func TestPolicyWhoSeesWhat(t *testing.T) {
	c := policyCase()
	for _, tc := range []struct {
		p                    *hall.Principal
		all, works, seesCase bool
	}{
		{pSupervisor, true, true, true},
		{pAdmin, true, true, true},
		{pOffice, true, true, true},
		{pLibrary, false, true, true},
		{pIT, false, true, true},
		{pHealth, false, true, false},
		{pCounter, false, false, false},
		{pKiosk, false, false, false},
		{pNoDept, false, false, false},
		{nil, false, false, false},
	} {
		name := "nobody"
		if tc.p != nil {
			name = tc.p.Subject
		}
		if got := SeesAll(tc.p); got != tc.all {
			t.Errorf("%s: SeesAll %v", name, got)
		}
		if got := WorksCases(tc.p); got != tc.works {
			t.Errorf("%s: WorksCases %v", name, got)
		}
		if got := Sees(tc.p, c); got != tc.seesCase {
			t.Errorf("%s: Sees %v", name, got)
		}
		if (CheckWorksCases(tc.p) == nil) != tc.works || (CheckOffice(tc.p) == nil) != tc.all {
			t.Errorf("%s: checks disagree with the rules", name)
		}
	}
}

// TestPolicyStaffViewFields: staff never get the follow token; the lead department and the
// office get the requester's contact data, an assisting department gets it masked.
func TestPolicyStaffViewFields(t *testing.T) {
	c := policyCase()
	for _, tc := range []struct {
		p      *hall.Principal
		masked bool
	}{{pSupervisor, false}, {pOffice, false}, {pLibrary, false}, {pIT, true}} {
		v := StaffView(tc.p, c)
		if v.Token != "" {
			t.Errorf("%s gets the follow token", tc.p.Subject)
		}
		if masked := v.Requester.Phone != c.Requester.Phone; masked != tc.masked {
			t.Errorf("%s: requester %+v (masked: want %v)", tc.p.Subject, v.Requester, tc.masked)
		}
	}
	if c.Token == "" || c.Requester.Phone != "13800138000" {
		t.Fatal("StaffView changed the stored case")
	}
	if v := StaffView(pSupervisor, &hall.Case{}); v.Timeline == nil {
		t.Error("a case without timeline has a nil timeline in the staff view")
	}
}

// TestPolicyEventViews: which events of the case log a department's stream gets, and how.
func TestPolicyEventViews(t *testing.T) {
	c := policyCase()
	ev := func(typ hall.CaseEventType, dept string, c *hall.Case) *hall.CaseEvent {
		return &hall.CaseEvent{Seq: 1, Type: typ, Department: dept, Case: c}
	}
	other := &hall.Case{ID: "c2", Number: "20260301-002", Department: "finance"}
	for _, tc := range []struct {
		name string
		p    *hall.Principal
		ev   *hall.CaseEvent
		want View
	}{
		{"office, any case", pSupervisor, ev(hall.CaseEvNoted, "", other), ViewFull},
		{"lead", pLibrary, ev(hall.CaseEvNoted, "library", c), ViewFull},
		{"assisting", pIT, ev(hall.CaseEvNoted, "library", c), ViewMasked},
		{"routed to it", pHealth, ev(hall.CaseEvRouted, "health", other), ViewFull},
		{"dispatched to it", pHealth, ev(hall.CaseEvDispatched, "health", other), ViewFull},
		{"taken away", pHealth, ev(hall.CaseEvReturned, "health", other), ViewLeft},
		{"was its own once", &hall.Principal{Subject: "h-sec", Role: hall.RoleHandler, Department: "security"}, ev(hall.CaseEvNoted, "library", c), ViewLeft},
		{"not its business", pHealth, ev(hall.CaseEvNoted, "library", c), ViewNone},
		{"no case", pSupervisor, ev(hall.CaseEvNoted, "", nil), ViewNone},
		{"a counter", pCounter, ev(hall.CaseEvNoted, "", c), ViewNone},
	} {
		if got := EventView(tc.p, tc.ev); got != tc.want {
			t.Errorf("%s: view %d, want %d", tc.name, got, tc.want)
		}
	}
	masked := ViewCase(*c, ViewMasked)
	if masked.Token != "" || masked.Requester.Phone == c.Requester.Phone {
		t.Errorf("masked view %+v", masked)
	}
	if full := ViewCase(*c, ViewFull); full.Token != "" || full.Requester.Phone != c.Requester.Phone {
		t.Errorf("full view %+v", full)
	}
}

// TestPolicyFollowEvents: a follow page gets its own case's public events only.
func TestPolicyFollowEvents(t *testing.T) {
	after := func(typ hall.CaseEventType) *hall.CaseEvent {
		c := policyCase()
		c.Timeline = append(c.Timeline, hall.CaseEntry{Type: typ, Public: true})
		return &hall.CaseEvent{Type: typ, Case: c}
	}
	if v := FollowEventView("c1", after(hall.CaseEvReplied)); v != ViewPublic {
		t.Errorf("own reply: %d", v)
	}
	if v := FollowEventView("c1", after(hall.CaseEvNoted)); v != ViewNone {
		t.Errorf("internal note: %d", v)
	}
	if v := FollowEventView("c9", after(hall.CaseEvReplied)); v != ViewNone {
		t.Errorf("another case's reply: %d", v)
	}
}

// TestPolicyScope: a department lists its own cases only; the office lists any.
func TestPolicyScope(t *testing.T) {
	f, err := Scope(pLibrary, hall.CaseFilter{})
	if err != nil || f.Department != "library" {
		t.Errorf("library, no department: %+v %v", f, err)
	}
	if _, err := Scope(pLibrary, hall.CaseFilter{Department: "it"}); hall.ErrorCode(err) != hall.EFORBIDDEN {
		t.Errorf("library asks for it's cases: %v", err)
	}
	if f, err := Scope(pOffice, hall.CaseFilter{Department: "it"}); err != nil || f.Department != "it" {
		t.Errorf("office asks for it's cases: %+v %v", f, err)
	}
	if _, err := Scope(pKiosk, hall.CaseFilter{}); hall.ErrorCode(err) != hall.EFORBIDDEN {
		t.Errorf("kiosk lists cases: %v", err)
	}
}
