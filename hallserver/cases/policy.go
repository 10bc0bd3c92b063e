package cases

import (
	"onedoor/hallserver/hall"
)

// The case visibility policy, in one place: who may see which case, which of its fields, and
// which of its events. The workflow's rights (act.go) and the use cases (service.go) apply
// it; the HTTP layer and the streams only ask.
//
//   - The supervising office (supervisors, admins, handlers of the office department) sees
//     every case, with the requester's contact data.
//   - A department handler sees the cases its department leads or assists; the requester's
//     contact data only when it leads (assisting departments get it masked).
//   - Devices, counters and anyone else see no case through the staff views.
//   - Staff never see the requester's follow token: it would let a department add details or
//     rate its own reply in the requester's name.
//   - The requester sees the public view (hall.Case.Public) through the follow token.

// officeRights reports whether an actor of this role and department has the supervising
// office's rights and view.
func officeRights(role hall.Role, dept string) bool {
	return role == hall.RoleSupervisor || role == hall.RoleAdmin ||
		(role == hall.RoleHandler && dept == hall.OfficeDepartment)
}

// involved reports whether an actor of this role and department may see the case: the office
// every case, a department handler the cases its department leads or assists.
func involved(role hall.Role, dept string, c *hall.Case) bool {
	return officeRights(role, dept) || (role == hall.RoleHandler && dept != "" && c.Involves(dept))
}

// SeesAll reports whether the principal has the supervising office's view of the cases.
func SeesAll(p *hall.Principal) bool {
	return p != nil && !p.Device && officeRights(p.Role, p.Department)
}

// WorksCases reports whether the principal works cases at all (lists, reads, acts): the office
// and the handlers of a department.
func WorksCases(p *hall.Principal) bool {
	return SeesAll(p) || (p != nil && !p.Device && p.Role == hall.RoleHandler && p.Department != "")
}

// Sees reports whether the principal may see the case.
func Sees(p *hall.Principal, c *hall.Case) bool {
	return p != nil && !p.Device && involved(p.Role, p.Department, c)
}

// StaffView returns the case as the principal sees it (the principal must see it): without
// the follow token, the requester masked for an assisting department, the timeline never nil.
func StaffView(p *hall.Principal, c *hall.Case) hall.Case {
	v := ViewFull
	if !SeesRequester(p, c) {
		v = ViewMasked
	}
	return ViewCase(*c, v)
}

// SeesRequester reports whether the principal may see the requester's personal data of the
// case (name, phone, e-mail, campus number): the office, and the department that leads it; an
// assisting department sees it masked, anyone else not at all.
func SeesRequester(p *hall.Principal, c *hall.Case) bool {
	return Sees(p, c) && (SeesAll(p) || c.Department == p.Department)
}

// View is how much of a case a client gets with an event of the case log.
type View int

// The views of a case event.
const (
	ViewNone   View = iota // nothing: the event is not for the client
	ViewFull               // the staff view with the requester's contact data (lead department, office)
	ViewMasked             // the staff view with the requester masked (assisting departments)
	ViewLeft               // the case left the client's department: only what identifies it
	ViewPublic             // the requester's view (Case.Public) of a public timeline entry
	NumViews               // the number of views
)

// ViewCase returns the case as a staff view shows it: ViewFull and ViewMasked clear the follow
// token, ViewMasked masks the requester; both give an empty timeline rather than nil. Other
// views return the case as it is.
func ViewCase(c hall.Case, v View) hall.Case {
	if v != ViewFull && v != ViewMasked {
		return c
	}
	c.Token = ""
	if v == ViewMasked {
		c.Requester = c.Requester.Masked()
	}
	if c.Timeline == nil {
		c.Timeline = []hall.CaseEntry{}
	}
	return c
}

// EventView returns the view a staff principal gets of an event of the case log: the office
// every event in full; a department the events of the cases it leads (full) or assists
// (masked), the routing of a case to it (full: routed comes before the case is assigned), and a
// "left" notice when a case that was its own once moves away.
func EventView(p *hall.Principal, ev *hall.CaseEvent) View {
	c := ev.Case
	switch {
	case c == nil || !WorksCases(p):
		return ViewNone
	case SeesAll(p):
		return ViewFull
	}
	dept := p.Department
	switch {
	case c.Department == dept:
		return ViewFull
	case c.Involves(dept):
		return ViewMasked
	case ev.Department == dept && (ev.Type == hall.CaseEvRouted || ev.Type == hall.CaseEvDispatched):
		return ViewFull
	case ev.Department == dept:
		return ViewLeft
	}
	for i := range c.Timeline {
		if c.Timeline[i].Department == dept {
			return ViewLeft // it was theirs once (re-routed, returned): let the inbox drop it
		}
	}
	return ViewNone
}

// FollowEventView returns the view the follow page of the case with this ID gets of an event:
// the events of that case that add a public timeline entry.
func FollowEventView(caseID string, ev *hall.CaseEvent) View {
	if ev.Case == nil || ev.Case.ID != caseID {
		return ViewNone
	}
	if _, ok := ev.Public(); !ok {
		return ViewNone
	}
	return ViewPublic
}

// Scope narrows a case filter to what the principal may list (its department's cases unless it
// sees all) and sets whose requester data a search may match (Contact: those StaffView shows
// unmasked); asking for another department's cases is EFORBIDDEN.
func Scope(p *hall.Principal, f hall.CaseFilter) (hall.CaseFilter, error) {
	if !WorksCases(p) {
		return f, forbiddenCases(p)
	}
	if SeesAll(p) {
		f.Contact = hall.ContactAll
		return f, nil
	}
	if f.Department != "" && f.Department != p.Department {
		return f, hall.Errorf(hall.EFORBIDDEN, "department", "a department sees only its own cases")
	}
	f.Department = p.Department
	f.Contact = hall.ContactLead // the requester's data of the cases it leads, not of those it assists
	return f, nil
}

// forbiddenCases is the error for a principal who does not work cases.
func forbiddenCases(p *hall.Principal) error {
	if p == nil {
		return hall.Errorf(hall.EUNAUTHORIZED, "", "sign in to work cases")
	}
	return hall.Errorf(hall.EFORBIDDEN, "", "%s %q does not work cases (department handlers, the office, supervisors and admins do)", p.Role, p.Subject)
}

// forbiddenOffice is the error for a principal without the office's view.
func forbiddenOffice(p *hall.Principal) error {
	if p == nil {
		return hall.Errorf(hall.EUNAUTHORIZED, "", "sign in as the supervising office")
	}
	return hall.Errorf(hall.EFORBIDDEN, "", "%s %q: this is for the supervising office, supervisors and admins", p.Role, p.Subject)
}

// CheckWorksCases returns nil when the principal works cases, else EFORBIDDEN.
func CheckWorksCases(p *hall.Principal) error {
	if !WorksCases(p) {
		return forbiddenCases(p)
	}
	return nil
}

// CheckOffice returns nil when the principal has the office's view, else EFORBIDDEN.
func CheckOffice(p *hall.Principal) error {
	if !SeesAll(p) {
		return forbiddenOffice(p)
	}
	return nil
}
