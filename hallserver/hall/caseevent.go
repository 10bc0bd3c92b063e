package hall

import (
	"time"
)

// This file holds the case log's events, who may see each of them, and the staff actions that
// make them.

// CaseEventType names a change of a case. Every change is an event in the case log; all of them
// start with "case." and are distinct from ticket events.
type CaseEventType string

// Case event types.
const (
	CaseEvReceived           CaseEventType = "case.received"            // opened (any channel)
	CaseEvRouted             CaseEventType = "case.routed"              // the router's or staff's choice of department
	CaseEvTriaged            CaseEventType = "case.triaged"             // to the office for triage
	CaseEvDispatched         CaseEventType = "case.dispatched"          // sent to a department (also re-routing)
	CaseEvSigned             CaseEventType = "case.signed"              // the department signed for it
	CaseEvResponded          CaseEventType = "case.responded"           // interim answer to the requester
	CaseEvAsked              CaseEventType = "case.asked"               // asked the requester for details (clock paused)
	CaseEvDetails            CaseEventType = "case.details_added"       // the requester added details
	CaseEvResumed            CaseEventType = "case.resumed"             // handling resumed (clock runs again)
	CaseEvReplied            CaseEventType = "case.replied"             // the department's answer
	CaseEvRated              CaseEventType = "case.rated"               // the requester's rating
	CaseEvReopened           CaseEventType = "case.reopened"            // unsatisfied rating or the office
	CaseEvArchived           CaseEventType = "case.archived"            // closed for good
	CaseEvDuplicate          CaseEventType = "case.duplicate"           // linked as a duplicate (both cases)
	CaseEvNotAccepted        CaseEventType = "case.not_accepted"        // refused, with a reason
	CaseEvReturned           CaseEventType = "case.returned"            // a department returned it to triage
	CaseEvInvited            CaseEventType = "case.invited"             // an assisting department was invited
	CaseEvPartDone           CaseEventType = "case.part_done"           // an assisting department finished its part
	CaseEvExtensionRequested CaseEventType = "case.extension_requested" // more time asked for
	CaseEvExtensionDecided   CaseEventType = "case.extension_decided"   // the office approved or rejected it
	CaseEvSupervised         CaseEventType = "case.supervised"          // 督办 flag set or cleared
	CaseEvListed             CaseEventType = "case.listed"              // long-standing list flag set or cleared
	CaseEvNoted              CaseEventType = "case.noted"               // internal note
	CaseEvAssigned           CaseEventType = "case.assigned"            // a handler of the lead department owns it (text: the username)
	CaseEvWarned             CaseEventType = "case.warned"              // a limit is near (to the department)
	CaseEvEscalated          CaseEventType = "case.escalated"           // a limit passed (to the office)
)

// CaseEventTypes lists every case event type (TestEveryCaseEventTypeHasAPublicRule checks the
// list against the constants).
var CaseEventTypes = []CaseEventType{CaseEvReceived, CaseEvRouted, CaseEvTriaged, CaseEvDispatched,
	CaseEvSigned, CaseEvResponded, CaseEvAsked, CaseEvDetails, CaseEvResumed, CaseEvReplied,
	CaseEvRated, CaseEvReopened, CaseEvArchived, CaseEvDuplicate, CaseEvNotAccepted, CaseEvReturned,
	CaseEvInvited, CaseEvPartDone, CaseEvExtensionRequested, CaseEvExtensionDecided,
	CaseEvSupervised, CaseEvListed, CaseEvNoted, CaseEvAssigned, CaseEvWarned, CaseEvEscalated}

// EntryVisibility is what the requester (the follow page, the follow API and stream) may see of
// a timeline entry or an event of one type. The time and the type of a shown entry are always
// public; the actor never is.
type EntryVisibility struct {
	// Shown: the entry is on the public timeline at all (an entry the workflow marked internal
	// stays hidden all the same).
	Shown bool
	// Department: the department concerned (the one dispatched to, invited, replying).
	Department bool
	// Text: the entry's text. Only text addressed to the requester (an answer, a question, the
	// reason a request is not accepted) or written by them (details, a rating's comment) is
	// public; staff text (co-handling tasks, supervision remarks, return reasons, notes) never is.
	Text bool
}

// Visibility returns the public-view rule of the event type; ok is false for an unknown type,
// which is then not public at all.
func (t CaseEventType) Visibility() (v EntryVisibility, ok bool) {
	switch t {
	case CaseEvReceived, CaseEvArchived:
		return EntryVisibility{Shown: true, Department: true}, true
	case CaseEvRouted, CaseEvTriaged, CaseEvDispatched, CaseEvSigned, CaseEvResumed, CaseEvReopened:
		// resume and reopen may carry a staff note: not public
		return EntryVisibility{Shown: true, Department: true}, true
	case CaseEvResponded, CaseEvAsked, CaseEvReplied, CaseEvNotAccepted:
		return EntryVisibility{Shown: true, Department: true, Text: true}, true // to the requester
	case CaseEvDetails, CaseEvRated:
		return EntryVisibility{Shown: true, Text: true}, true // by the requester
	case CaseEvDuplicate:
		// "merged": the text is the other case's number
		return EntryVisibility{Shown: true, Department: true}, true
	case CaseEvInvited:
		// "已请保卫处协办": the assisting department, not its task
		return EntryVisibility{Shown: true, Department: true}, true
	case CaseEvReturned, CaseEvSupervised:
		// "已退回重新分派", "已列入督办": neither the reason nor the remark, nor who returned it
		return EntryVisibility{Shown: true}, true
	case CaseEvPartDone, CaseEvExtensionRequested, CaseEvExtensionDecided, CaseEvListed,
		CaseEvNoted, CaseEvAssigned, CaseEvWarned, CaseEvEscalated:
		return EntryVisibility{}, true
	}
	return EntryVisibility{}, false
}

// PublicView returns the entry as the requester sees it; ok is false when it is not public (marked
// internal, or its type is not shown).
func (e CaseEntry) PublicView() (out CaseEntry, ok bool) {
	v, known := e.Type.Visibility()
	if !known || !v.Shown || !e.Public {
		return CaseEntry{}, false
	}
	out = CaseEntry{At: e.At, Type: e.Type, Public: true}
	if v.Department {
		out.Department = e.Department
	}
	if v.Text {
		out.Text = e.Text
	}
	if e.Type.PublicFiles() {
		out.Attachments = e.Attachments
	}
	return out, true
}

// Public returns the event as the follow stream sends it (the case in its Public view, the
// actor and the limit left out, the department only where the type shows it); ok is false for
// an event that adds no public timeline entry.
func (ev CaseEvent) Public() (out CaseEvent, ok bool) {
	if ev.Case == nil || len(ev.Case.Timeline) == 0 {
		return CaseEvent{}, false
	}
	last := ev.Case.Timeline[len(ev.Case.Timeline)-1]
	if last.Type != ev.Type {
		return CaseEvent{}, false
	}
	if _, shown := last.PublicView(); !shown {
		return CaseEvent{}, false
	}
	v, _ := ev.Type.Visibility()
	out = CaseEvent{Seq: ev.Seq, Type: ev.Type, At: ev.At}
	if v.Department {
		out.Department = ev.Department
	}
	p := ev.Case.Public()
	out.Case = &p
	return out, true
}

// CaseEvent is one entry in the case log: what changed, when, by whom, and the case after it.
// Seq is consecutive over the whole case log.
type CaseEvent struct {
	Seq        uint64        `json:"seq"`
	Type       CaseEventType `json:"type"`
	At         time.Time     `json:"at"`
	Actor      string        `json:"actor,omitempty"`
	Department string        `json:"department,omitempty"` // the department concerned (target, warned, ...)
	Limit      string        `json:"limit,omitempty"`      // warned/escalated: "reply" or "resolve"
	Case       *Case         `json:"case,omitempty"`       // the case after the change (full; streams use Public)
}

// Case actions accepted by CaseService.Act.
const (
	CaseActDispatch    = "dispatch"     // office: triage (or any handling state) → dispatched to Department
	CaseActSign        = "sign"         // department: dispatched → in_progress
	CaseActRespond     = "respond"      // department: interim answer (counts as the first response)
	CaseActAsk         = "ask"          // department: in_progress/reopened → waiting_requester
	CaseActResume      = "resume"       // department: waiting_requester → in_progress
	CaseActReply       = "reply"        // department: in_progress/reopened → replied
	CaseActReturn      = "return"       // department: dispatched/in_progress → triage (counted)
	CaseActInvite      = "invite"       // lead or office: add an assisting department with a task
	CaseActPart        = "part"         // assisting department: its part is done
	CaseActExtend      = "extend"       // department: ask for Days more working days
	CaseActApprove     = "approve"      // office: approve the pending extension
	CaseActReject      = "reject"       // office: reject the pending extension
	CaseActDuplicate   = "duplicate"    // department or office: link to Original, close
	CaseActNotAccept   = "not-accept"   // department or office: refuse with a Reason, close
	CaseActSupervise   = "supervise"    // office: set (On) or clear the 督办 flag
	CaseActList        = "list"         // office: put on (On, ListItem) or take off the long-standing list
	CaseActNote        = "note"         // anyone who may see it: internal note
	CaseActReopen      = "reopen"       // office: replied/rated → reopened
	CaseActArchive     = "archive"      // department or office: replied/rated → archived
	CaseActSetCategory = "set-category" // department or office: correct the category (same department)
	CaseActAssign      = "assign"       // department or office: a handler of the lead department owns it
)

// CaseActions lists every case action.
var CaseActions = []string{CaseActDispatch, CaseActSign, CaseActRespond, CaseActAsk, CaseActResume,
	CaseActReply, CaseActReturn, CaseActInvite, CaseActPart, CaseActExtend, CaseActApprove,
	CaseActReject, CaseActDuplicate, CaseActNotAccept, CaseActSupervise, CaseActList, CaseActNote,
	CaseActReopen, CaseActArchive, CaseActSetCategory, CaseActAssign}

// CaseAction is one request from staff on a case. The HTTP layer fills Actor, Role and
// ActorDepartment from the principal; the workflow checks that the actor's department may do it
// (its own cases; the office and supervisors everything).
type CaseAction struct {
	Case            string `json:"-"` // case ID or number
	Action          string `json:"-"`
	Actor           string `json:"-"` // staff username
	Role            Role   `json:"-"`
	ActorDepartment string `json:"-"`

	Text       string   `json:"text,omitempty"`       // reply, response, question, reason, note, part
	Department string   `json:"department,omitempty"` // dispatch, invite target
	Category   string   `json:"category,omitempty"`   // dispatch, set-category
	Assist     []string `json:"assist,omitempty"`     // dispatch: assisting departments
	Days       int      `json:"days,omitempty"`       // extend: working days
	Original   string   `json:"original,omitempty"`   // duplicate: the original case (ID or number)
	On         bool     `json:"on,omitempty"`         // supervise, list
	ListItem   string   `json:"listItem,omitempty"`   // list
	Assignee   string   `json:"assignee,omitempty"`   // assign: the handler's username
	// AssigneeDepartment is the department of the handler Assignee names, as the staff
	// directory says (never from JSON: the use case looks it up; "" when no such handler).
	AssigneeDepartment string `json:"-"`

	// Files are the checked files of a reply (never from JSON: the HTTP layer reads them from a
	// multipart body); the case service stores them and hands the engine their Attachments.
	Files       []AttachmentFile `json:"-"`
	Attachments []Attachment     `json:"-"`
}
