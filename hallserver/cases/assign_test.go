package cases

import (
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// assignBy is an assign action by a handler of byDept (office: the office department) giving the
// case to a handler of toDept, as the use case fills AssigneeDepartment from the directory.
func assignBy(id, actor, byDept, to, toDept string) hall.CaseAction {
	return hall.CaseAction{Case: id, Action: hall.CaseActAssign, Actor: actor, Role: hall.RoleHandler, ActorDepartment: byDept, Assignee: to, AssigneeDepartment: toDept}
}

// TestAssignSignerOwns: the handler who signs owns the case; the office signing does not
// make itself the owner; a re-dispatch or a return clears the owner.
func TestAssignSignerOwns(t *testing.T) {
	f := newFixture(t)
	c := f.openTo(mon, "logistics")
	if c.Assignee != "" {
		t.Fatalf("a new case is owned by %q", c.Assignee)
	}
	c = f.act(mon, hall.CaseAction{Case: c.ID, Action: hall.CaseActSign, Actor: "wang", Role: hall.RoleHandler, ActorDepartment: "logistics"})
	if c.Assignee != "wang" {
		t.Fatalf("signed by wang, owned by %q", c.Assignee)
	}
	c = f.act(mon, hall.CaseAction{Case: c.ID, Action: hall.CaseActDispatch, Department: "library"})
	if c.Assignee != "" {
		t.Fatalf("dispatched to the library, still owned by %q", c.Assignee)
	}
	c = f.act(mon, hall.CaseAction{Case: c.ID, Action: hall.CaseActSign, Actor: "supervisor", Role: hall.RoleSupervisor, ActorDepartment: hall.OfficeDepartment})
	if c.Assignee != "" {
		t.Fatalf("the office signed, owned by %q", c.Assignee)
	}
	c = f.act(mon, assignBy(c.ID, "li", "library", "li", "library"))
	if c.Assignee != "li" {
		t.Fatalf("li took it, owned by %q", c.Assignee)
	}
	c = f.act(mon, hall.CaseAction{Case: c.ID, Action: hall.CaseActReturn, Actor: "li", Role: hall.RoleHandler, ActorDepartment: "library", Text: "不归我们管"})
	if c.Assignee != "" {
		t.Fatalf("returned to triage, still owned by %q", c.Assignee)
	}
}

// TestAssignRights: who may reassign to whom. The lead department's handlers and the office
// give the case to a handler of the lead department, with an internal case.assigned entry
// naming the new owner; an assisting or another department may not; nobody gives it to a
// handler of another department (or to no handler); not in triage or once replied.
func TestAssignRights(t *testing.T) {
	f := newFixture(t)
	c := f.openTo(mon, "logistics")
	c = f.act(mon, hall.CaseAction{Case: c.ID, Action: hall.CaseActSign, Actor: "wang", Role: hall.RoleHandler, ActorDepartment: "logistics"})
	f.act(mon, hall.CaseAction{Case: c.ID, Action: hall.CaseActInvite, Actor: "wang", Role: hall.RoleHandler, ActorDepartment: "logistics", Department: "library", Text: "请协助"})

	// the owner gives it to a colleague
	_, ch, err := f.e.Act(mon, assignBy(c.ID, "wang", "logistics", "zhao", "logistics"))
	if err != nil {
		t.Fatal(err)
	}
	f.check(ch)
	got := ch.Cases[0]
	last := got.Timeline[len(got.Timeline)-1]
	if got.Assignee != "zhao" || last.Type != hall.CaseEvAssigned || last.Text != "zhao" || last.Actor != "wang" || last.Public {
		t.Fatalf("assignee %q, last entry %+v", got.Assignee, last)
	}
	pub := got.Public()
	if pub.Assignee != "" {
		t.Fatalf("the requester sees the assignee %q", pub.Assignee)
	}
	for _, en := range pub.Timeline {
		if en.Type == hall.CaseEvAssigned {
			t.Fatal("the requester sees the assignment")
		}
	}
	// another handler of the department (not the owner) may reassign too
	f.act(mon, assignBy(c.ID, "sun", "logistics", "wang", "logistics"))
	// the office, to a handler of the lead department
	f.act(mon, assignBy(c.ID, "office1", hall.OfficeDepartment, "zhao", "logistics"))
	f.act(mon, hall.CaseAction{Case: c.ID, Action: hall.CaseActAssign, Actor: "supervisor", Role: hall.RoleSupervisor, ActorDepartment: hall.OfficeDepartment, Assignee: "wang", AssigneeDepartment: "logistics"})
	// again to the owner: nothing happens
	_, ch, err = f.e.Act(mon, assignBy(c.ID, "wang", "logistics", "wang", "logistics"))
	if err != nil || !ch.Empty() {
		t.Fatalf("assigning to the owner: %v, %d events", err, len(ch.Events))
	}

	// refused, nothing changed
	f.fails(mon, assignBy(c.ID, "li", "library", "li", "library"), hall.EFORBIDDEN)     // assisting department
	f.fails(mon, assignBy(c.ID, "li", "library", "zhao", "logistics"), hall.EFORBIDDEN) // assisting department, even within the lead
	f.fails(mon, assignBy(c.ID, "chen", "it", "zhao", "logistics"), hall.EFORBIDDEN)    // another department
	f.fails(mon, assignBy(c.ID, "wang", "logistics", "li", "library"), hall.EINVALID)   // out of the department
	f.fails(mon, assignBy(c.ID, "office1", hall.OfficeDepartment, "li", "library"), hall.EINVALID)
	f.fails(mon, assignBy(c.ID, "wang", "logistics", "nobody", ""), hall.EINVALID) // not a handler
	f.fails(mon, assignBy(c.ID, "wang", "logistics", "", ""), hall.EINVALID)
	f.fails(mon, hall.CaseAction{Case: c.ID, Action: hall.CaseActAssign, Actor: "k1", Role: hall.RoleCounter, Assignee: "zhao", AssigneeDepartment: "logistics"}, hall.EFORBIDDEN)

	// not in triage, not once replied
	tr := f.open(mon, hall.OpenCaseRequest{Text: "zzqx ???"})
	f.fails(mon, assignBy(tr.ID, "office1", hall.OfficeDepartment, "office2", hall.OfficeDepartment), hall.ECONFLICT)
	f.act(mon, hall.CaseAction{Case: c.ID, Action: hall.CaseActPart, Actor: "li", Role: hall.RoleHandler, ActorDepartment: "library", Text: "已协助"})
	f.act(mon.Add(time.Hour), hall.CaseAction{Case: c.ID, Action: hall.CaseActReply, Actor: "wang", Role: hall.RoleHandler, ActorDepartment: "logistics", Text: "已修好"})
	f.fails(mon.Add(time.Hour), assignBy(c.ID, "wang", "logistics", "zhao", "logistics"), hall.ECONFLICT)
}

// TestFilterAssignee: the list's "mine" filter keeps the cases the handler owns.
func TestFilterAssignee(t *testing.T) {
	a := hall.Case{Number: "1", Assignee: "wang"}
	b := hall.Case{Number: "2", Assignee: "zhao"}
	got := Filter([]hall.Case{a, b, {Number: "3"}}, hall.CaseFilter{Assignee: "wang"}, mon)
	if len(got) != 1 || got[0].Number != "1" {
		t.Fatalf("mine: %+v", got)
	}
}
