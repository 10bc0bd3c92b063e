package cases

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// actionScenario is a case brought into one state (with or without pending parts or an
// extension request) by the engine itself.
type actionScenario struct {
	name  string
	build func(f *fixture) hall.Case
}

func withText(a hall.CaseAction, text string) hall.CaseAction { a.Text = text; return a }

func actionScenarios() []actionScenario {
	dispatched := func(f *fixture) hall.Case { return f.openTo(mon, "logistics") }
	signed := func(f *fixture) hall.Case {
		c := dispatched(f)
		return f.act(mon, lead(c.ID, hall.CaseActSign, "logistics"))
	}
	invited := func(f *fixture, c hall.Case) hall.Case {
		a := withText(lead(c.ID, hall.CaseActInvite, "logistics"), "核查监控")
		a.Department = "security"
		return f.act(mon, a)
	}
	replied := func(f *fixture) hall.Case {
		c := signed(f)
		return f.act(mon, withText(lead(c.ID, hall.CaseActReply, "logistics"), "已处理"))
	}
	extend := func(f *fixture, c hall.Case) hall.Case {
		a := withText(lead(c.ID, hall.CaseActExtend, "logistics"), "需要采购配件")
		a.Days = 3
		return f.act(mon, a)
	}
	office := func(id, action string) hall.CaseAction {
		return hall.CaseAction{Case: id, Action: action, Role: hall.RoleSupervisor, Actor: "sup"}
	}
	return []actionScenario{
		{"triage", func(f *fixture) hall.Case {
			return f.act(mon, withText(lead(signed(f).ID, hall.CaseActReturn, "logistics"), "不归我们"))
		}},
		{"dispatched", dispatched},
		{"dispatched+part", func(f *fixture) hall.Case { return invited(f, dispatched(f)) }},
		{"in_progress", signed},
		{"in_progress+part", func(f *fixture) hall.Case { return invited(f, signed(f)) }},
		{"in_progress+part done", func(f *fixture) hall.Case {
			c := invited(f, signed(f))
			return f.act(mon, withText(lead(c.ID, hall.CaseActPart, "security"), "监控已调取"))
		}},
		{"in_progress+extension", func(f *fixture) hall.Case { return extend(f, signed(f)) }},
		{"in_progress+extension decided", func(f *fixture) hall.Case {
			c := extend(f, signed(f))
			return f.act(mon, office(c.ID, hall.CaseActReject))
		}},
		{"waiting_requester", func(f *fixture) hall.Case {
			return f.act(mon, withText(lead(signed(f).ID, hall.CaseActAsk, "logistics"), "几号楼？"))
		}},
		{"waiting_requester+part", func(f *fixture) hall.Case {
			c := invited(f, signed(f))
			return f.act(mon, withText(lead(c.ID, hall.CaseActAsk, "logistics"), "几号楼？"))
		}},
		{"replied", replied},
		{"rated", func(f *fixture) hall.Case {
			replied(f)
			r, ch, err := f.e.Rate(mon, fmt.Sprint("tok", f.n), 2, "")
			if err != nil {
				f.t.Fatal(err)
			}
			f.check(ch)
			return *r
		}},
		{"reopened", func(f *fixture) hall.Case { return f.act(mon, office(replied(f).ID, hall.CaseActReopen)) }},
	}
}

// actionPrincipals are the staff and device principals the rights are compared for.
var actionPrincipals = []hall.Principal{
	{Subject: "sup", Role: hall.RoleSupervisor},
	{Subject: "root", Role: hall.RoleAdmin},
	{Subject: "desk", Role: hall.RoleHandler, Department: hall.OfficeDepartment},
	{Subject: "h-logistics", Role: hall.RoleHandler, Department: "logistics"},
	{Subject: "h-security", Role: hall.RoleHandler, Department: "security"},
	{Subject: "h-library", Role: hall.RoleHandler, Department: "library"},
	{Subject: "kiosk-1", Role: hall.RoleKiosk, Device: true},
}

// validBody fills in the action's parameters as a careful user would: what is left to fail is
// the right and the state.
func validBody(e *Engine, a *hall.CaseAction, c hall.Case, original string) {
	a.Text, a.Days, a.On, a.ListItem, a.Original = "说明 Reason", 1, true, "宿舍管网改造", original
	switch a.Action {
	case hall.CaseActDispatch:
		a.Department = "library"
	case hall.CaseActInvite:
		a.Department = "it"
	case hall.CaseActPart:
		if officeRights(a.Role, a.ActorDepartment) {
			for _, p := range c.Parts {
				if !p.Done {
					a.Department = p.Department
				}
			}
		}
	case hall.CaseActSetCategory:
		for _, k := range e.Catalogue().Categories {
			if k.Department == c.Department && k.Code != c.Category {
				a.Category = k.Code
			}
		}
	}
}

// TestActionsAreTheEnginesRights compares, for every state × role, the actions the case API
// offers (Actions, which the pages draw their buttons from) with what the engine then does with
// each action: an offered action goes through (or fails only on its input), one not offered is
// refused as forbidden or not allowed in this state.
func TestActionsAreTheEnginesRights(t *testing.T) {
	offeredOnce := map[string]bool{}
	base := newEngine(t) // one router for all: training it is the slow part
	cfg := Config{Catalogue: base.Catalogue(), Router: base.Router()}
	for _, sc := range actionScenarios() {
		e0, err := Restore(cfg, Meta{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		f := &fixture{t: t, e: e0}
		orig := f.openTo(mon, "logistics") // a case to duplicate into
		c := sc.build(f)
		meta, open := f.e.Meta(), f.e.Cases()
		for _, p := range actionPrincipals {
			offers := Actions(&p, &c)
			if !Sees(&p, &c) && len(offers) != 0 {
				t.Errorf("%s: %s %s does not see the case but is offered %v", sc.name, p.Role, p.Department, offers)
			}
			for _, action := range hall.CaseActions {
				e, err := Restore(cfg, meta, open)
				if err != nil {
					t.Fatal(err)
				}
				a := hall.CaseAction{Case: c.ID, Action: action, Actor: p.Subject, Role: p.Role, ActorDepartment: p.Department}
				validBody(e, &a, c, orig.Number)
				_, _, err = e.Act(mon.Add(time.Hour), a)
				code := hall.ErrorCode(err)
				refused := code == hall.EFORBIDDEN || code == hall.ECONFLICT ||
					// a department with no part of this case to finish (the lead): its own part is not found
					(action == hall.CaseActPart && code == hall.ENOTFOUND && !officeRights(p.Role, p.Department))
				offered := slices.Contains(offers, action)
				switch {
				case offered && refused:
					t.Errorf("%s: %s/%s offered %s, the engine refuses: %v", sc.name, p.Role, p.Department, action, err)
				case !offered && err == nil:
					t.Errorf("%s: %s/%s not offered %s, the engine does it", sc.name, p.Role, p.Department, action)
				case !offered && !refused && Sees(&p, &c):
					t.Errorf("%s: %s/%s not offered %s, the engine fails on the input only: %v", sc.name, p.Role, p.Department, action, err)
				}
				if offered {
					offeredOnce[action] = true
				}
			}
		}
	}
	for _, action := range hall.CaseActions {
		if !offeredOnce[action] {
			t.Errorf("action %s is never offered in any state: the matrix misses a case", action)
		}
	}
}

// TestActionsByRole pins a few offers a handler would notice.
func TestActionsByRole(t *testing.T) {
	f := newFixture(t)
	c := f.openTo(mon, "logistics")
	c = f.act(mon, lead(c.ID, hall.CaseActSign, "logistics"))
	inv := withText(lead(c.ID, hall.CaseActInvite, "logistics"), "核查监控")
	inv.Department = "security"
	c = f.act(mon, inv)
	assist := hall.Principal{Subject: "h-security", Role: hall.RoleHandler, Department: "security"}
	if got, want := Actions(&assist, &c), []string{hall.CaseActPart, hall.CaseActNote}; !slices.Equal(got, want) {
		t.Fatalf("assisting department offered %v, want %v", got, want)
	}
	leadP := hall.Principal{Subject: "h-logistics", Role: hall.RoleHandler, Department: "logistics"}
	got := Actions(&leadP, &c)
	for _, want := range []string{hall.CaseActRespond, hall.CaseActExtend, hall.CaseActDuplicate, hall.CaseActNotAccept, hall.CaseActSetCategory, hall.CaseActReturn, hall.CaseActAsk} {
		if !slices.Contains(got, want) {
			t.Errorf("lead not offered %s: %v", want, got)
		}
	}
	for _, never := range []string{hall.CaseActReply, hall.CaseActApprove, hall.CaseActSupervise, hall.CaseActDispatch, hall.CaseActPart} {
		if slices.Contains(got, never) {
			t.Errorf("lead offered %s (parts pending or the office's): %v", never, got)
		}
	}
}
