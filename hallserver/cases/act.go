package cases

import (
	"slices"
	"time"

	"onedoor/hallserver/hall"
)

// right is who may perform an action on a case.
type right int

const (
	rightOffice   right = iota // the supervising office (supervisors, admins, office handlers)
	rightLead                  // the lead department or the office
	rightInvolved              // the lead, an assisting department, or the office
)

// isOffice reports whether the actor has the office's rights (policy.go).
func isOffice(a *hall.CaseAction) bool { return officeRights(a.Role, a.ActorDepartment) }

func allowed(a *hall.CaseAction, c *hall.Case, need right) error {
	if isOffice(a) {
		return nil
	}
	if a.ActorDepartment != "" {
		switch need {
		case rightLead:
			if a.ActorDepartment == c.Department {
				return nil
			}
		case rightInvolved:
			if c.Involves(a.ActorDepartment) {
				return nil
			}
		}
	}
	return hall.Errorf(hall.EFORBIDDEN, "case", "%s may not %s case %s", actorName(a), a.Action, c.Number)
}

// visible reports whether the actor may see the case, by the visibility policy (policy.go).
func visible(a *hall.CaseAction, c *hall.Case) bool { return involved(a.Role, a.ActorDepartment, c) }

func actorName(a *hall.CaseAction) string {
	if a.Actor != "" {
		return a.Actor
	}
	return "this user"
}

func inState(c *hall.Case, action string, states ...hall.CaseState) error {
	if slices.Contains(states, c.State) {
		return nil
	}
	return hall.Errorf(hall.ECONFLICT, "state", "cannot %s a case that is %s", action, c.State)
}

// handlingStates are the states of a case being handled (not yet replied or closed).
var handlingStates = []hall.CaseState{hall.CaseTriage, hall.CaseDispatched, hall.CaseInProgress, hall.CaseWaitingRequester, hall.CaseReopened}

// gate is the one rule of who may take which action on a case in its present state, before any
// parameter of the action is read: the engine applies it first to every action (act), and the
// pages offer exactly the actions it allows (Actions). EFORBIDDEN when the actor may not, else
// ECONFLICT when the case's state (or its pending extension, parts) does not allow it now.
func gate(a *hall.CaseAction, c *hall.Case) error {
	pending := c.Extension != nil && !c.Extension.Decided
	switch a.Action {
	case hall.CaseActDispatch:
		return all(allowed(a, c, rightOffice), inState(c, a.Action, handlingStates...))
	case hall.CaseActSign:
		return all(allowed(a, c, rightLead), inState(c, a.Action, hall.CaseDispatched))
	case hall.CaseActRespond:
		return all(allowed(a, c, rightLead), inState(c, a.Action, hall.CaseDispatched, hall.CaseInProgress, hall.CaseReopened))
	case hall.CaseActAsk:
		return all(allowed(a, c, rightLead), inState(c, a.Action, hall.CaseInProgress, hall.CaseReopened))
	case hall.CaseActResume:
		return all(allowed(a, c, rightLead), inState(c, a.Action, hall.CaseWaitingRequester))
	case hall.CaseActReply:
		if err := all(allowed(a, c, rightLead), inState(c, a.Action, hall.CaseInProgress, hall.CaseReopened)); err != nil {
			return err
		}
		for _, p := range c.Parts {
			if !p.Done {
				return hall.Errorf(hall.ECONFLICT, "parts", "assisting department %s has not finished its part", p.Department)
			}
		}
		return nil
	case hall.CaseActReturn:
		if err := all(allowed(a, c, rightLead), inState(c, a.Action, hall.CaseDispatched, hall.CaseInProgress, hall.CaseReopened)); err != nil {
			return err
		}
		if c.Department == hall.OfficeDepartment {
			return hall.Errorf(hall.ECONFLICT, "department", "the office cannot return a case to itself; dispatch it")
		}
		return nil
	case hall.CaseActInvite:
		return all(allowed(a, c, rightLead), inState(c, a.Action, hall.CaseDispatched, hall.CaseInProgress, hall.CaseWaitingRequester, hall.CaseReopened))
	case hall.CaseActPart:
		return gatePart(a, c)
	case hall.CaseActExtend:
		if err := all(allowed(a, c, rightLead), inState(c, a.Action, hall.CaseDispatched, hall.CaseInProgress, hall.CaseWaitingRequester, hall.CaseReopened)); err != nil {
			return err
		}
		if pending {
			return hall.Errorf(hall.ECONFLICT, "extension", "an extension request is already pending")
		}
		return nil
	case hall.CaseActApprove, hall.CaseActReject:
		if err := allowed(a, c, rightOffice); err != nil {
			return err
		}
		if !pending {
			return hall.Errorf(hall.ECONFLICT, "extension", "no pending extension request")
		}
		return nil
	case hall.CaseActDuplicate, hall.CaseActSetCategory:
		return all(allowed(a, c, rightLead), inState(c, a.Action, handlingStates...))
	case hall.CaseActNotAccept:
		return all(allowed(a, c, rightLead), inState(c, a.Action, hall.CaseTriage, hall.CaseDispatched, hall.CaseInProgress, hall.CaseWaitingRequester))
	case hall.CaseActSupervise, hall.CaseActList:
		return allowed(a, c, rightOffice)
	case hall.CaseActNote:
		return allowed(a, c, rightInvolved)
	case hall.CaseActReopen:
		return all(allowed(a, c, rightOffice), inState(c, a.Action, hall.CaseReplied, hall.CaseRated))
	case hall.CaseActArchive:
		return all(allowed(a, c, rightLead), inState(c, a.Action, hall.CaseReplied, hall.CaseRated))
	case hall.CaseActAssign:
		return all(allowed(a, c, rightLead), inState(c, a.Action, hall.CaseDispatched, hall.CaseInProgress, hall.CaseWaitingRequester, hall.CaseReopened))
	}
	return hall.Errorf(hall.EINVALID, "action", "unknown case action %q", a.Action)
}

// all returns the first error of the checks, in order (the rights before the state).
func all(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// partDepartment is the department whose part a part action finishes: the actor's own, or the
// one the office names.
func partDepartment(a *hall.CaseAction) string {
	if isOffice(a) && a.Department != "" {
		return a.Department
	}
	return a.ActorDepartment
}

// gatePart is gate for the part action: the assisting department (or the office) while the case
// is handled and the part is not done yet. The office naming no department may act when some
// part is pending (it must name it: act asks).
func gatePart(a *hall.CaseAction, c *hall.Case) error {
	dept := partDepartment(a)
	i := slices.IndexFunc(c.Parts, func(p hall.CasePart) bool { return p.Department == dept })
	if i < 0 {
		switch {
		case !isOffice(a) && !c.Involves(a.ActorDepartment):
			return hall.Errorf(hall.EFORBIDDEN, "case", "%s may not part case %s", actorName(a), c.Number)
		case !isOffice(a) || a.Department != "":
			return hall.Errorf(hall.ENOTFOUND, "department", "%q is not an assisting department of case %s", dept, c.Number)
		case !slices.ContainsFunc(c.Parts, func(p hall.CasePart) bool { return !p.Done }):
			return hall.Errorf(hall.ECONFLICT, "parts", "no assisting department has a part pending on case %s", c.Number)
		}
	}
	if err := inState(c, a.Action, hall.CaseDispatched, hall.CaseInProgress, hall.CaseWaitingRequester, hall.CaseReopened); err != nil {
		return err
	}
	if i >= 0 && c.Parts[i].Done {
		return hall.Errorf(hall.ECONFLICT, "department", "%s has already done its part", dept)
	}
	return nil
}

// Actions returns the actions (of hall.CaseActions, in that order) the principal may take on
// the case now, by the very rule the engine applies (gate): what the pages offer. None for a
// principal who may not see the case.
func Actions(p *hall.Principal, c *hall.Case) []string {
	if !Sees(p, c) {
		return nil
	}
	out := []string{}
	for _, act := range hall.CaseActions {
		a := hall.CaseAction{Case: c.ID, Action: act, Actor: p.Subject, Role: p.Role, ActorDepartment: p.Department}
		if gate(&a, c) == nil {
			out = append(out, act)
		}
	}
	return out
}

// Act performs a staff action on an open case (a.Case names it by ID or number). The rules, per
// action (errors always change nothing; EFORBIDDEN when the actor's department may not):
//   - dispatch (office): triage, dispatched, in_progress, waiting_requester or reopened →
//     dispatched to a.Department (optional a.Category of it, a.Assist assisting departments).
//     A re-routing: the router learns the text when it had said otherwise.
//   - sign (lead): dispatched → in_progress.
//   - respond (lead): an interim answer a.Text; counts as the response of the round.
//   - ask (lead): in_progress or reopened → waiting_requester with the question a.Text; the
//     clock pauses (and the question counts as a response).
//   - resume (lead): waiting_requester → in_progress; the paused working time moves the limits.
//   - reply (lead): in_progress or reopened → replied with a.Text; every assisting department
//     must have done its part first.
//   - return (lead, not the office): dispatched, in_progress or reopened → triage with the reason
//     a.Text (Returns+1).
//   - invite (lead): adds a.Department as an assisting department with the task a.Text.
//   - part (the assisting department, or the office for a.Department): its part is done (a.Text).
//   - extend (lead): asks for a.Days (1..MaxExtensionDays) more working days, reason a.Text;
//     one pending request at a time. approve/reject (office): decides it; approving moves Due.
//   - duplicate (lead): closes the case as a duplicate of the open case a.Original (linked both
//     ways), which the actor must be able to see (else ENOTFOUND, as for a missing case); an
//     original takes at most MaxDuplicates (then ECONFLICT). The original's entry is internal. not-accept (lead): closes it with the reason a.Text, shown to the requester.
//   - supervise (office): sets (a.On) or clears the 督办 flag; list (office): puts the case on
//     (a.On, a.ListItem) or takes it off the long-standing list. A repeat is a no-op (no events).
//   - note (involved): an internal note a.Text.
//   - reopen (office): replied or rated → reopened (a new round). archive (lead): replied or
//     rated → archived.
//   - set-category (lead): a.Category of the same department; the resolution limit follows.
//   - assign (lead): a handler of the lead department (a.Assignee) owns the case (named
//     assignment; the handler who signs owns it, a dispatch or a return clears it); see assign.
func (e *Engine) Act(now time.Time, a hall.CaseAction) (*hall.Case, Change, error) {
	var out *hall.Case
	ch, err := e.run(func() error {
		c, err := e.find(a.Case)
		if err != nil {
			return err
		}
		if err := actionFiles(&a); err != nil {
			return err
		}
		if err := e.act(now, c, &a); err != nil {
			return err
		}
		cp := c.Clone()
		out = &cp
		return nil
	})
	if err != nil {
		return nil, Change{}, err
	}
	return out, ch, nil
}

func (e *Engine) act(now time.Time, c *hall.Case, a *hall.CaseAction) error {
	if err := gate(a, c); err != nil {
		return err
	}
	switch a.Action {
	case hall.CaseActDispatch:
		if !e.depts[a.Department] {
			if a.Department == "" {
				return hall.Errorf(hall.EINVALID, "department", "department is required")
			}
			return hall.Errorf(hall.ENOTFOUND, "department", "no department %q", a.Department)
		}
		if a.Department == c.Department && c.State != hall.CaseTriage {
			return hall.Errorf(hall.ECONFLICT, "department", "case %s is already with %s", c.Number, a.Department)
		}
		cat := ""
		if a.Category != "" {
			k, ok := e.cfg.Catalogue.Category(a.Category)
			if !ok {
				return hall.Errorf(hall.ENOTFOUND, "category", "no category %q", a.Category)
			}
			if k.Department != a.Department {
				return hall.Errorf(hall.EINVALID, "category", "category %q belongs to %s, not %s", k.Code, k.Department, a.Department)
			}
			cat = k.Code
		}
		for _, d := range a.Assist {
			if !e.depts[d] || d == a.Department {
				return hall.Errorf(hall.EINVALID, "assist", "assisting department %q unknown or the lead", d)
			}
		}
		if len(c.Parts)+len(a.Assist) > MaxParts {
			return hall.Errorf(hall.EINVALID, "assist", "at most %d assisting departments", MaxParts)
		}
		note, err := optText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		// a re-routing by staff: learn when the router would say otherwise for this text (a
		// reopened or returned case keeps its round; only the department changes)
		if e.cfg.Router.Route(c.Text).Department != a.Department {
			e.learn(now, c.Text, a.Department, a.Actor)
		}
		if cat == "" {
			if k, ok := e.cfg.Catalogue.Category(c.Category); !ok || k.Department != a.Department {
				cat = e.cfg.Router.BestCategory(c.Text, a.Department)
			} else {
				cat = c.Category
			}
		}
		c.Category = cat
		if c.State == hall.CaseWaitingRequester {
			e.unpause(now, c)
			c.Question = ""
		}
		// assisting departments: drop the new lead from the parts, add the new ones
		c.Parts = slices.DeleteFunc(c.Parts, func(p hall.CasePart) bool { return p.Department == a.Department })
		for _, d := range a.Assist {
			if !hasPart(c, d) {
				c.Parts = append(c.Parts, hall.CasePart{Department: d, InvitedBy: a.Actor, InvitedAt: now})
			}
		}
		e.dispatch(now, c, a.Department, a.Actor)
		if note != "" {
			e.emit(now, c, hall.CaseEvNoted, a.Actor, a.Department, "", note)
		}
		return nil

	case hall.CaseActSign:
		c.State = hall.CaseInProgress
		t := now
		c.SignedAt = &t
		e.emit(now, c, hall.CaseEvSigned, a.Actor, c.Department, "", "")
		if a.Role == hall.RoleHandler && a.ActorDepartment == c.Department && a.Actor != "" {
			c.Assignee = a.Actor // the handler who signs owns it (the office signing for it does not)
		}
		return nil

	case hall.CaseActRespond:
		text, err := needText("text", a.Text, MaxText)
		if err != nil {
			return err
		}
		e.responded(now, c)
		e.emit(now, c, hall.CaseEvResponded, a.Actor, c.Department, "", text)
		return nil

	case hall.CaseActAsk:
		q, err := needText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		e.responded(now, c)
		c.State = hall.CaseWaitingRequester
		c.Question = q
		t := now
		c.PausedAt = &t
		e.emit(now, c, hall.CaseEvAsked, a.Actor, c.Department, "", q)
		return nil

	case hall.CaseActResume:
		note, err := optText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		e.unpause(now, c)
		c.State = hall.CaseInProgress
		c.Question = ""
		e.emit(now, c, hall.CaseEvResumed, a.Actor, c.Department, "", note)
		return nil

	case hall.CaseActReply:
		text, err := needText("text", a.Text, MaxText)
		if err != nil {
			return err
		}
		e.responded(now, c)
		if now.After(c.Due) {
			c.ResolveLate = true
		}
		c.Replies = append(c.Replies, hall.Reply{Text: text, Department: c.Department, By: a.Actor, At: now, Round: c.Round})
		t := now
		c.RepliedAt = &t
		c.State = hall.CaseReplied
		e.emit(now, c, hall.CaseEvReplied, a.Actor, c.Department, "", text)
		e.attachLast(c, a.Attachments)
		return nil

	case hall.CaseActReturn:
		reason, err := needText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		from := c.Department
		c.Returns++
		c.Department = hall.OfficeDepartment
		c.State = hall.CaseTriage
		c.SignedAt = nil
		c.Assignee = ""
		e.emit(now, c, hall.CaseEvReturned, a.Actor, from, "", reason)
		return nil

	case hall.CaseActInvite:
		if !e.depts[a.Department] {
			return hall.Errorf(hall.ENOTFOUND, "department", "no department %q", a.Department)
		}
		if a.Department == c.Department || hasPart(c, a.Department) {
			return hall.Errorf(hall.ECONFLICT, "department", "%s already handles case %s", a.Department, c.Number)
		}
		if len(c.Parts) >= MaxParts {
			return hall.Errorf(hall.ECONFLICT, "department", "at most %d assisting departments", MaxParts)
		}
		task, err := needText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		c.Parts = append(c.Parts, hall.CasePart{Department: a.Department, Task: task, InvitedBy: a.Actor, InvitedAt: now})
		e.emit(now, c, hall.CaseEvInvited, a.Actor, a.Department, "", task)
		return nil

	case hall.CaseActPart:
		dept := partDepartment(a)
		i := slices.IndexFunc(c.Parts, func(p hall.CasePart) bool { return p.Department == dept })
		if i < 0 { // the office naming no department: gate found a part pending, but whose?
			return hall.Errorf(hall.EINVALID, "department", "department is required: the assisting department whose part is done")
		}
		text, err := needText("text", a.Text, MaxText)
		if err != nil {
			return err
		}
		t := now
		c.Parts[i].Done, c.Parts[i].Text, c.Parts[i].DoneAt = true, text, &t
		e.emit(now, c, hall.CaseEvPartDone, a.Actor, dept, "", text)
		return nil

	case hall.CaseActExtend:
		if a.Days < 1 || a.Days > e.cfg.Limits.MaxExtensionDays {
			return hall.Errorf(hall.EINVALID, "days", "days must be 1 to %d", e.cfg.Limits.MaxExtensionDays)
		}
		reason, err := needText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		c.Extension = &hall.Extension{Days: a.Days, Reason: reason, RequestedBy: a.Actor, RequestedAt: now}
		e.emit(now, c, hall.CaseEvExtensionRequested, a.Actor, c.Department, "", reason)
		return nil

	case hall.CaseActApprove, hall.CaseActReject:
		note, err := optText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		t := now
		c.Extension.Decided, c.Extension.DecidedBy, c.Extension.DecidedAt = true, a.Actor, &t
		c.Extension.Approved = a.Action == hall.CaseActApprove
		if c.Extension.Approved {
			c.ExtendedDays += c.Extension.Days
			e.deadlines(c)
			if now.Before(c.Due) {
				c.Timers.ResolveWarned, c.Timers.ResolveEscalated = nil, nil
			}
		}
		e.emit(now, c, hall.CaseEvExtensionDecided, a.Actor, c.Department, "", note)
		return nil

	case hall.CaseActDuplicate:
		if a.Original == "" {
			return hall.Errorf(hall.EINVALID, "original", "original case is required")
		}
		// An original the actor may not see is not found, with the very answer a number that
		// does not exist gets: no linking into another department's case, and no oracle of
		// which case numbers exist.
		o0 := e.lookup(a.Original)
		if o0 == nil || !visible(a, o0) {
			return hall.Errorf(hall.ENOTFOUND, "original", "no open case %q", a.Original)
		}
		if o0.ID == c.ID {
			return hall.Errorf(hall.EINVALID, "original", "a case cannot duplicate itself")
		}
		if len(o0.Duplicates) >= MaxDuplicates {
			return hall.Errorf(hall.ECONFLICT, "original", "case %s already has %d duplicates, the most one case takes", o0.Number, MaxDuplicates)
		}
		note, err := optText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		o := e.stage(o0)
		c.DuplicateOf = o.Number
		c.Reason = note
		closeCase(now, c, hall.CaseDuplicate)
		e.emit(now, c, hall.CaseEvDuplicate, a.Actor, c.Department, "", o.Number)
		o.Duplicates = append(o.Duplicates, c.Number)
		// the original's entry is internal: another case's closing adds nothing to the
		// original requester's timeline
		e.emitInternal(now, o, hall.CaseEvDuplicate, a.Actor, o.Department, "", c.Number)
		return nil

	case hall.CaseActNotAccept:
		reason, err := needText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		c.Reason = reason
		closeCase(now, c, hall.CaseNotAccepted)
		e.emit(now, c, hall.CaseEvNotAccepted, a.Actor, c.Department, "", reason)
		return nil

	case hall.CaseActSupervise:
		note, err := optText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		if c.Supervised == a.On {
			return nil
		}
		c.Supervised = a.On
		if a.On {
			e.emit(now, c, hall.CaseEvSupervised, a.Actor, c.Department, "", note)
		} else {
			// the requester was told "under supervision"; lifting it is internal
			e.emitInternal(now, c, hall.CaseEvSupervised, a.Actor, c.Department, "", note)
		}
		return nil

	case hall.CaseActList:
		item, err := optText("listItem", a.ListItem, MaxTitle)
		if err != nil {
			return err
		}
		if !a.On {
			item = ""
		}
		if c.LongStanding == a.On && c.ListItem == item {
			return nil
		}
		c.LongStanding, c.ListItem = a.On, item
		e.emit(now, c, hall.CaseEvListed, a.Actor, c.Department, "", item)
		return nil

	case hall.CaseActNote:
		note, err := needText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		e.emit(now, c, hall.CaseEvNoted, a.Actor, a.ActorDepartment, "", note)
		return nil

	case hall.CaseActReopen:
		note, err := optText("text", a.Text, MaxNote)
		if err != nil {
			return err
		}
		e.newRound(now, c)
		e.emit(now, c, hall.CaseEvReopened, a.Actor, c.Department, "", note)
		return nil

	case hall.CaseActArchive:
		closeCase(now, c, hall.CaseArchived)
		e.emit(now, c, hall.CaseEvArchived, a.Actor, c.Department, "", "")
		return nil

	case hall.CaseActSetCategory:
		k, ok := e.cfg.Catalogue.Category(a.Category)
		if !ok {
			return hall.Errorf(hall.ENOTFOUND, "category", "no category %q", a.Category)
		}
		if k.Department != c.Department {
			return hall.Errorf(hall.EINVALID, "category", "category %q belongs to %s; dispatch the case instead", k.Code, k.Department)
		}
		if c.Category == k.Code {
			return nil
		}
		c.Category = k.Code
		e.deadlines(c)
		e.emit(now, c, hall.CaseEvNoted, a.Actor, c.Department, "", "category "+k.Code)
		return nil

	case hall.CaseActAssign:
		return e.assign(now, c, a)
	}
	return hall.Errorf(hall.EINVALID, "action", "unknown case action %q", a.Action)
}

// assign gives the case to a.Assignee, a handler of the lead department (named assignment).
// Who may: the lead department's handlers and the office (rightLead), while the case is handled
// by a department (dispatched, in progress, waiting, reopened). That the assignee is a handler
// of that department is checked by the use case (Service.Act: the engine knows no staff);
// a.AssigneeDepartment is what it found. Giving it to its owner again is a no-op (no event).
// The case.assigned entry is internal, its text the new assignee.
func (e *Engine) assign(now time.Time, c *hall.Case, a *hall.CaseAction) error {
	// Who and when: gate (the lead department or the office, while a department handles it).
	if a.Assignee == "" {
		return hall.Errorf(hall.EINVALID, "assignee", "assignee is required")
	}
	if a.AssigneeDepartment != c.Department {
		return hall.Errorf(hall.EINVALID, "assignee", "%q is not a handler of %s, the case's department", a.Assignee, c.Department)
	}
	if c.Assignee == a.Assignee {
		return nil
	}
	note, err := optText("text", a.Text, MaxNote)
	if err != nil {
		return err
	}
	c.Assignee = a.Assignee
	e.emitInternal(now, c, hall.CaseEvAssigned, a.Actor, c.Department, "", a.Assignee)
	if note != "" {
		e.emit(now, c, hall.CaseEvNoted, a.Actor, c.Department, "", note)
	}
	return nil
}

func hasPart(c *hall.Case, dept string) bool {
	return slices.ContainsFunc(c.Parts, func(p hall.CasePart) bool { return p.Department == dept })
}
