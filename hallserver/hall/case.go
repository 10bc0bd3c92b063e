package hall

import (
	"context"
	"strings"
	"time"
)

// This file holds the shared case system (接诉即办): consultations, complaints and suggestions that
// reach the responsible department at once, get a reply within the time limit, are rated by the
// requester and are followed by the supervising office. The workflow rules live in package cases;
// these are the types every layer speaks in.

// OfficeDepartment is the department code of the supervising office: it triages what the router
// cannot place, receives escalations, and may act on every case.
const OfficeDepartment = "office"

// CaseState is where a case is in its life.
type CaseState string

// Case states.
//
//	received → triage → dispatched → in_progress ⇄ waiting_requester → replied → rated → archived
//	                                      ↑                               │ (≤2 stars)
//	                                  reopened ←──────────────────────────┘
//
// A case is "received" only inside the command that opens it: Open routes it at once, to a
// department (dispatched) or to the office (triage). Exits: duplicate (linked to the original),
// not_accepted (with a reason shown to the requester); both are final, like archived. A
// department can return a case to triage (counted, Returns).
const (
	CaseReceived         CaseState = "received"
	CaseTriage           CaseState = "triage"            // the office must choose a department
	CaseDispatched       CaseState = "dispatched"        // sent to a department, not yet signed for
	CaseInProgress       CaseState = "in_progress"       // the department signed for it (签收)
	CaseWaitingRequester CaseState = "waiting_requester" // asked the requester for details; clock paused
	CaseReplied          CaseState = "replied"           // the department answered; awaiting the rating
	CaseRated            CaseState = "rated"             // rated 3–5 stars
	CaseReopened         CaseState = "reopened"          // rated 1–2 stars (or reopened by the office): handle again
	CaseArchived         CaseState = "archived"          // closed for good
	CaseDuplicate        CaseState = "duplicate"         // same matter as another case (DuplicateOf)
	CaseNotAccepted      CaseState = "not_accepted"      // outside the system's remit (Reason)
)

// CaseStates lists every case state in lifecycle order.
var CaseStates = []CaseState{CaseReceived, CaseTriage, CaseDispatched, CaseInProgress,
	CaseWaitingRequester, CaseReplied, CaseRated, CaseReopened, CaseArchived, CaseDuplicate,
	CaseNotAccepted}

// Valid reports whether s is a known case state.
func (s CaseState) Valid() bool {
	for _, k := range CaseStates {
		if s == k {
			return true
		}
	}
	return false
}

// Final reports whether nothing more can happen to a case in this state.
func (s CaseState) Final() bool {
	return s == CaseArchived || s == CaseDuplicate || s == CaseNotAccepted
}

// Handling reports whether the department is working on the case: the time limits run (except
// while waiting on the requester, which pauses them).
func (s CaseState) Handling() bool {
	switch s {
	case CaseTriage, CaseDispatched, CaseInProgress, CaseWaitingRequester, CaseReopened:
		return true
	}
	return false
}

// Kind is what the requester brings.
type Kind string

// Case kinds.
const (
	KindConsultation Kind = "consultation" // 咨询
	KindComplaint    Kind = "complaint"    // 投诉
	KindSuggestion   Kind = "suggestion"   // 建议
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	return k == KindConsultation || k == KindComplaint || k == KindSuggestion
}

// Channel is how a case came in.
type Channel string

// Case channels. Hotline cases are entered by staff on the caller's behalf; the time limit still
// applies.
const (
	ChannelKiosk   Channel = "kiosk"
	ChannelCounter Channel = "counter"
	ChannelWeb     Channel = "web"
	ChannelHotline Channel = "hotline"
	ChannelAPI     Channel = "api"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	switch c {
	case ChannelKiosk, ChannelCounter, ChannelWeb, ChannelHotline, ChannelAPI:
		return true
	}
	return false
}

// Category is one entry of the dispatch catalogue: a kind of matter, the department responsible
// for it, its scope line, example requests (the router's training data) and its resolution limit.
type Category struct {
	Code       string `json:"code" yaml:"code"`
	Department string `json:"department" yaml:"department"`
	Name       Text   `json:"name" yaml:"name"`
	// Scope says what belongs here, in one line per language (shown to staff and requesters).
	Scope Text `json:"scope" yaml:"scope"`
	// Examples are realistic requests of this category; the router learns from them.
	Examples []string `json:"examples,omitempty" yaml:"examples"`
	// Keywords are words and phrases typical of the category (extra router training).
	Keywords []string `json:"keywords,omitempty" yaml:"keywords"`
	// ResolveDays is the resolution limit in working days (0: the catalogue default).
	ResolveDays int `json:"resolveDays,omitempty" yaml:"resolveDays,omitempty"`
	// Topic marks categories the kiosk offers as a large topic button.
	Topic bool `json:"topic,omitempty" yaml:"topic,omitempty"`
}

// Catalogue is the dispatch catalogue: every category a case can have.
type Catalogue struct {
	// ResolveDays is the default resolution limit in working days.
	ResolveDays int        `json:"resolveDays" yaml:"resolveDays"`
	Categories  []Category `json:"categories" yaml:"categories"`
}

// Category returns the catalogue entry with the given code.
func (c *Catalogue) Category(code string) (*Category, bool) {
	for i := range c.Categories {
		if c.Categories[i].Code == code {
			return &c.Categories[i], true
		}
	}
	return nil, false
}

// Requester is the person a case is for. Every field is optional (anonymous requests are
// allowed); contact data is visible to the handling department only and masked on public views.
type Requester struct {
	Name      string `json:"name,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
	PersonID  string `json:"personId,omitempty"` // student or staff number
	Anonymous bool   `json:"anonymous,omitempty"`
}

// Masked returns the requester with personal data hidden: the name keeps its first character
// (a one-character name is masked fully),
// the phone its first three and last four digits, the e-mail its first character and domain,
// the person number its first two and last two characters.
func (r Requester) Masked() Requester {
	if rs := []rune(r.Name); len(rs) == 1 {
		r.Name = "*" // the first character would be the whole name
	} else if len(rs) > 1 {
		r.Name = string(rs[0]) + strings.Repeat("*", len(rs)-1)
	}
	if p := []rune(r.Phone); len(p) > 7 {
		r.Phone = string(p[:3]) + strings.Repeat("*", len(p)-7) + string(p[len(p)-4:])
	} else if len(p) > 0 {
		r.Phone = strings.Repeat("*", len(p))
	}
	if at := strings.LastIndexByte(r.Email, '@'); at > 0 {
		r.Email = r.Email[:1] + "***" + r.Email[at:]
	} else if r.Email != "" {
		r.Email = "***"
	}
	if r.PersonID != "" {
		r.PersonID = MaskPersonID(r.PersonID)
	}
	return r
}

// Reply is a department's answer to the requester.
type Reply struct {
	Text       string    `json:"text"`
	Department string    `json:"department"`
	By         string    `json:"by,omitempty"` // staff username; hidden on public views
	At         time.Time `json:"at"`
	Round      int       `json:"round"` // 1 for the first handling, +1 after each reopening
}

// Rating is the requester's verdict on a reply.
type Rating struct {
	Stars   int       `json:"stars"` // 1–5; 1 and 2 reopen the case
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
	Round   int       `json:"round"`
}

// Satisfied reports whether the rating counts as satisfied (3 stars or more).
func (r Rating) Satisfied() bool { return r.Stars >= 3 }

// CasePart is an assisting department's share of a co-handled case (协办): what the lead asked
// it to do and, when done, what it did.
type CasePart struct {
	Department string     `json:"department"`
	Task       string     `json:"task"`
	InvitedBy  string     `json:"invitedBy,omitempty"`
	InvitedAt  time.Time  `json:"invitedAt"`
	Done       bool       `json:"done"`
	Text       string     `json:"text,omitempty"` // the assisting department's contribution
	DoneAt     *time.Time `json:"doneAt,omitempty"`
}

// Extension is a department's request for more time on the resolution limit; the supervising
// office approves or rejects it.
type Extension struct {
	Days        int        `json:"days"` // working days asked for
	Reason      string     `json:"reason"`
	RequestedBy string     `json:"requestedBy,omitempty"`
	RequestedAt time.Time  `json:"requestedAt"`
	Decided     bool       `json:"decided"`
	Approved    bool       `json:"approved"`
	DecidedBy   string     `json:"decidedBy,omitempty"`
	DecidedAt   *time.Time `json:"decidedAt,omitempty"`
}

// CaseTimers are the durable time-limit marks of a case: when a warning or an escalation was
// made for the current round, so that a restart neither repeats nor forgets them.
type CaseTimers struct {
	ReplyWarned      *time.Time `json:"replyWarned,omitempty"`
	ReplyEscalated   *time.Time `json:"replyEscalated,omitempty"`
	ResolveWarned    *time.Time `json:"resolveWarned,omitempty"`
	ResolveEscalated *time.Time `json:"resolveEscalated,omitempty"`
}

// CaseEntry is one line of a case's timeline.
type CaseEntry struct {
	At         time.Time     `json:"at"`
	Type       CaseEventType `json:"type"`
	Actor      string        `json:"actor,omitempty"` // hidden on public views
	Department string        `json:"department,omitempty"`
	Text       string        `json:"text,omitempty"`
	// Public entries are shown to the requester; internal notes, co-handling and timer entries
	// are not.
	Public bool `json:"public"`
}

// RouteAlternative is a department the router considered, with its probability.
type RouteAlternative struct {
	Department string  `json:"department"`
	Category   string  `json:"category,omitempty"`
	Confidence float64 `json:"confidence"`
}

// RouteResult is the router's answer for a request text.
type RouteResult struct {
	// Department is where the case should go: the most likely department, or the office (for
	// triage) when the router is not confident enough (then Triage is true).
	Department string  `json:"department"`
	Category   string  `json:"category,omitempty"` // the most likely category of that department
	Confidence float64 `json:"confidence"`         // probability of the top department, 0–1
	Triage     bool    `json:"triage,omitempty"`
	// Alternatives are the next most likely departments, best first (the top one excluded).
	Alternatives []RouteAlternative `json:"alternatives"`
}

// RouteExample is a labelled request text the router learned from (a re-routing by staff).
type RouteExample struct {
	Text       string    `json:"text"`
	Department string    `json:"department"`
	At         time.Time `json:"at"`
	By         string    `json:"by,omitempty"`
}

// Case is one consultation, complaint or suggestion.
type Case struct {
	ID      string    `json:"id,omitempty"` // internal (case-YYYYMMDD-seq); left out of the public view
	Number  string    `json:"number"`       // human-readable, e.g. JS20261125-0001
	Token   string    `json:"token"`        // unguessable public follow token (QR)
	Kind    Kind      `json:"kind"`
	Channel Channel   `json:"channel"`
	State   CaseState `json:"state"`
	Lang    string    `json:"lang,omitempty"`

	Hall      string    `json:"hall,omitempty"`   // hall where it was logged (kiosk, counter)
	Ticket    string    `json:"ticket,omitempty"` // queue ticket ID it came from (只进一门)
	Source    string    `json:"source,omitempty"` // device or staff who entered it; hidden publicly
	Title     string    `json:"title,omitempty"`  // short summary
	Text      string    `json:"text"`             // the request as the requester put it
	Requester Requester `json:"requester"`

	Category   string `json:"category,omitempty"`
	Department string `json:"department,omitempty"` // lead department (empty or office in triage)
	// Route is the router's suggestion when the case was opened (nil when staff chose).
	Route *RouteResult `json:"route,omitempty"`
	Parts []CasePart   `json:"parts,omitempty"` // assisting departments (co-handling)

	ReceivedAt      time.Time  `json:"receivedAt"`
	DispatchedAt    *time.Time `json:"dispatchedAt,omitempty"`
	SignedAt        *time.Time `json:"signedAt,omitempty"`
	FirstResponseAt *time.Time `json:"firstResponseAt,omitempty"` // first reply, interim answer or question
	RepliedAt       *time.Time `json:"repliedAt,omitempty"`       // latest reply
	ClosedAt        *time.Time `json:"closedAt,omitempty"`        // became final
	UpdatedAt       time.Time  `json:"updatedAt"`

	// ReplyDue is the first-response limit, Due the resolution limit of the current round (both
	// moved forward by pauses and approved extensions).
	ReplyDue time.Time  `json:"replyDue"`
	Due      time.Time  `json:"due"`
	PausedAt *time.Time `json:"pausedAt,omitempty"` // set while waiting on the requester
	Round    int        `json:"round"`              // 1, +1 per reopening
	// RoundStart is when the current round began (received, or reopened); the limits count from
	// it, plus PausedSeconds of working time spent waiting on the requester and ExtendedDays of
	// approved extensions.
	RoundStart    time.Time `json:"roundStart"`
	PausedSeconds int64     `json:"pausedSeconds,omitempty"`
	ExtendedDays  int       `json:"extendedDays,omitempty"`
	// RespondedAt is the first response of the current round (it stops the reply limit).
	RespondedAt *time.Time `json:"respondedAt,omitempty"`
	Timers      CaseTimers `json:"timers"`
	// ReplyLate and ResolveLate record that a limit was missed at least once (for the rates).
	ReplyLate   bool `json:"replyLate,omitempty"`
	ResolveLate bool `json:"resolveLate,omitempty"`

	Replies   []Reply    `json:"replies,omitempty"`
	Ratings   []Rating   `json:"ratings,omitempty"`
	Extension *Extension `json:"extension,omitempty"` // the latest extension request

	Supervised   bool   `json:"supervised,omitempty"`   // 督办 by the office
	LongStanding bool   `json:"longStanding,omitempty"` // on the long-standing list (清单式管理)
	ListItem     string `json:"listItem,omitempty"`     // the long-standing list item it belongs to

	Returns     int      `json:"returns,omitempty"` // times returned to triage by a department
	Reopens     int      `json:"reopens,omitempty"`
	DuplicateOf string   `json:"duplicateOf,omitempty"` // the original's number
	Duplicates  []string `json:"duplicates,omitempty"`  // numbers of cases linked as its duplicates
	Reason      string   `json:"reason,omitempty"`      // why not accepted (shown to the requester)
	Question    string   `json:"question,omitempty"`    // what the department asked the requester

	Timeline []CaseEntry `json:"timeline"`
}

// LastReply returns the latest reply, or nil.
func (c *Case) LastReply() *Reply {
	if len(c.Replies) == 0 {
		return nil
	}
	return &c.Replies[len(c.Replies)-1]
}

// LastRating returns the latest rating, or nil.
func (c *Case) LastRating() *Rating {
	if len(c.Ratings) == 0 {
		return nil
	}
	return &c.Ratings[len(c.Ratings)-1]
}

// Involves reports whether the department leads or assists the case.
func (c *Case) Involves(dept string) bool {
	if c.Department == dept {
		return true
	}
	for _, p := range c.Parts {
		if p.Department == dept {
			return true
		}
	}
	return false
}

// Clone returns a deep copy (slices and pointers are not shared).
func (c Case) Clone() Case {
	cp := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		v := *t
		return &v
	}
	c.DispatchedAt, c.SignedAt, c.FirstResponseAt = cp(c.DispatchedAt), cp(c.SignedAt), cp(c.FirstResponseAt)
	c.RepliedAt, c.ClosedAt, c.PausedAt = cp(c.RepliedAt), cp(c.ClosedAt), cp(c.PausedAt)
	c.RespondedAt = cp(c.RespondedAt)
	c.Timers = CaseTimers{cp(c.Timers.ReplyWarned), cp(c.Timers.ReplyEscalated), cp(c.Timers.ResolveWarned), cp(c.Timers.ResolveEscalated)}
	if c.Route != nil {
		r := *c.Route
		r.Alternatives = append([]RouteAlternative(nil), r.Alternatives...)
		c.Route = &r
	}
	if c.Parts != nil {
		ps := make([]CasePart, len(c.Parts))
		for i, p := range c.Parts {
			p.DoneAt = cp(p.DoneAt)
			ps[i] = p
		}
		c.Parts = ps
	}
	c.Replies = append([]Reply(nil), c.Replies...)
	c.Ratings = append([]Rating(nil), c.Ratings...)
	if c.Extension != nil {
		x := *c.Extension
		x.DecidedAt = cp(x.DecidedAt)
		c.Extension = &x
	}
	c.Duplicates = append([]string(nil), c.Duplicates...)
	c.Timeline = append([]CaseEntry(nil), c.Timeline...)
	return c
}

// Public returns a copy fit for the requester's follow page and public streams: requester
// contact and personal data masked, staff usernames and the entering device hidden, internal
// timeline entries, co-handling tasks, extension requests, the routing detail and the durable
// timers left out, and public entries cut to what their type may show (CaseEventType.Visibility).
// Internal IDs are left out too: the case ID and the ticket ID (both carry the day and a running
// count), and the numbers of linked cases (the original, the duplicates), which are other
// people's requests. The case's own number (on the requester's receipt) and token stay.
func (c Case) Public() Case {
	c = c.Clone()
	c.ID = ""
	c.Ticket = ""
	c.DuplicateOf = ""
	c.Duplicates = nil
	c.Requester = c.Requester.Masked()
	c.Source = ""
	c.Route = nil
	c.Timers = CaseTimers{}
	c.Extension = nil
	c.ListItem = ""
	for i := range c.Parts {
		c.Parts[i] = CasePart{Department: c.Parts[i].Department, InvitedAt: c.Parts[i].InvitedAt, Done: c.Parts[i].Done}
	}
	for i := range c.Replies {
		c.Replies[i].By = ""
	}
	tl := make([]CaseEntry, 0, len(c.Timeline))
	for _, e := range c.Timeline {
		if p, ok := e.PublicView(); ok {
			tl = append(tl, p)
		}
	}
	c.Timeline = tl
	return c
}

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
	CaseEvWarned             CaseEventType = "case.warned"              // a limit is near (to the department)
	CaseEvEscalated          CaseEventType = "case.escalated"           // a limit passed (to the office)
)

// CaseEventTypes lists every case event type (TestEveryCaseEventTypeHasAPublicRule checks the
// list against the constants).
var CaseEventTypes = []CaseEventType{CaseEvReceived, CaseEvRouted, CaseEvTriaged, CaseEvDispatched,
	CaseEvSigned, CaseEvResponded, CaseEvAsked, CaseEvDetails, CaseEvResumed, CaseEvReplied,
	CaseEvRated, CaseEvReopened, CaseEvArchived, CaseEvDuplicate, CaseEvNotAccepted, CaseEvReturned,
	CaseEvInvited, CaseEvPartDone, CaseEvExtensionRequested, CaseEvExtensionDecided,
	CaseEvSupervised, CaseEvListed, CaseEvNoted, CaseEvWarned, CaseEvEscalated}

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
		CaseEvNoted, CaseEvWarned, CaseEvEscalated:
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
)

// CaseActions lists every case action.
var CaseActions = []string{CaseActDispatch, CaseActSign, CaseActRespond, CaseActAsk, CaseActResume,
	CaseActReply, CaseActReturn, CaseActInvite, CaseActPart, CaseActExtend, CaseActApprove,
	CaseActReject, CaseActDuplicate, CaseActNotAccept, CaseActSupervise, CaseActList, CaseActNote,
	CaseActReopen, CaseActArchive, CaseActSetCategory}

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
}

// OpenCaseRequest asks for a new case.
type OpenCaseRequest struct {
	Kind      Kind      `json:"kind"`
	Channel   Channel   `json:"channel"`
	Hall      string    `json:"hall,omitempty"`
	Ticket    string    `json:"ticket,omitempty"` // queue ticket ID the case comes from
	Title     string    `json:"title,omitempty"`
	Text      string    `json:"text"`
	Lang      string    `json:"lang,omitempty"`
	Requester Requester `json:"requester"`
	// Category and Department, when staff choose them (counter, hotline), skip the router. A
	// category alone dispatches to its department.
	Category   string `json:"category,omitempty"`
	Department string `json:"department,omitempty"`
	Source     string `json:"-"` // device ID or staff username
	// IdempotencyKey, when set, makes a retried request return the case the first one created.
	IdempotencyKey string `json:"-"`
}

// CaseFilter selects cases for a list (a department inbox, the supervision page).
type CaseFilter struct {
	Department string      `json:"department,omitempty"` // leading or assisting; empty = all (office)
	States     []CaseState `json:"states,omitempty"`     // empty = all
	Open       bool        `json:"open,omitempty"`       // only cases not final
	Overdue    bool        `json:"overdue,omitempty"`    // only cases past a limit
	Supervised bool        `json:"supervised,omitempty"`
	Kind       Kind        `json:"kind,omitempty"`
	Since      time.Time   `json:"since,omitempty"` // received at or after
	Until      time.Time   `json:"until,omitempty"` // received before
	Text       string      `json:"text,omitempty"`  // substring of title or text
	Limit      int         `json:"limit,omitempty"`
}

// DepartmentStats are a department's figures over a period (cases received in it).
type DepartmentStats struct {
	Department string `json:"department"`
	Received   int    `json:"received"`  // cases led by the department (exits excluded)
	Responded  int    `json:"responded"` // of those, first response given
	// RespondedInTime counts first responses before ReplyDue; ResponseRate (响应率) =
	// RespondedInTime / (cases responded or already past their reply limit).
	RespondedInTime int `json:"respondedInTime"`
	Resolved        int `json:"resolved"` // replied, rated or archived (and not reopened)
	// ResolvedInTime counts resolved cases that never missed their resolution limit.
	ResolvedInTime int `json:"resolvedInTime"`
	Rated          int `json:"rated"`
	Satisfied      int `json:"satisfied"` // latest rating 3–5
	Overdue        int `json:"overdue"`   // missed a limit (reply or resolution)
	Returned       int `json:"returned"`  // returned to triage by this department
	Reopened       int `json:"reopened"`

	ResponseRate     float64 `json:"responseRate"`     // 响应率, 0–1
	ResolutionRate   float64 `json:"resolutionRate"`   // 解决率 = Resolved / Received
	SatisfactionRate float64 `json:"satisfactionRate"` // 满意率 = Satisfied / Rated
}

// CaseService runs the shared case system. Every method that changes state returns only after the
// change and its events are durable; errors change nothing. Methods taking a token are for the
// requester (no login) and return the Public view.
type CaseService interface {
	// Open logs a new case and routes it (to a department, or to the office for triage).
	Open(ctx context.Context, req OpenCaseRequest) (*Case, error)
	// Get returns a case by ID or number (staff view, full data).
	Get(ctx context.Context, id string) (*Case, error)
	// GetByToken returns the public view of the case with this follow token.
	GetByToken(ctx context.Context, token string) (*Case, error)
	// List returns the cases matching the filter, most urgent (earliest limit) first.
	List(ctx context.Context, f CaseFilter) ([]Case, error)
	// Act performs a staff action on a case.
	Act(ctx context.Context, a CaseAction) (*Case, error)
	// Route suggests the department for a request text (no state change).
	Route(ctx context.Context, text string) (*RouteResult, error)
	// Rate records the requester's rating of the latest reply; 1–2 stars reopen the case.
	Rate(ctx context.Context, token string, r Rating) (*Case, error)
	// AddDetails appends the requester's details; a case waiting on the requester resumes.
	AddDetails(ctx context.Context, token string, text string) (*Case, error)
	// Stats returns the per-department figures for cases received in [from, to).
	Stats(ctx context.Context, from, to time.Time) ([]DepartmentStats, error)
	// Catalogue returns the dispatch catalogue.
	Catalogue(ctx context.Context) (*Catalogue, error)
}

// CaseLog is the case event log: every committed case event, in sequence order, for the
// department inbox, the supervision page and the follow pages to go live. Events carry the full
// case (staff view); apply Case.Public before sending them to public streams.
type CaseLog interface {
	// Since returns the committed events after seq, oldest first. ok is false when seq is ahead
	// of the log or too far behind it: the caller starts again from a list.
	Since(ctx context.Context, seq uint64) (events []CaseEvent, ok bool, err error)
	// LastSeq returns the seq of the last committed event.
	LastSeq() uint64
	// Subscribe delivers every event committed after the call, in order, until cancel is called,
	// the log closes, or the subscriber falls more than buffer events behind (the channel is
	// then closed and the subscriber resynchronises with Since).
	Subscribe(buffer int) (events <-chan CaseEvent, cancel func())
}

// ---- reports, hot topics and the long-standing list (issue 7, phase 3) ----

// CaseBrief is a case in a report line: enough to recognise and open it.
type CaseBrief struct {
	ID         string    `json:"id"`
	Number     string    `json:"number"`
	Kind       Kind      `json:"kind"`
	State      CaseState `json:"state"`
	Department string    `json:"department"`
	Title      string    `json:"title"` // the title, or the start of the text
	ReceivedAt time.Time `json:"receivedAt"`
	ReplyDue   time.Time `json:"replyDue"`
	Due        time.Time `json:"due"`
	// Late says which limit the case missed ("reply" or "resolve"), in the late list.
	Late       string     `json:"late,omitempty"`
	Supervised bool       `json:"supervised,omitempty"`
	ClosedAt   *time.Time `json:"closedAt,omitempty"` // replied or final, in the closed list
}

// DailyDepartment are one department's counts in a daily report.
type DailyDepartment struct {
	Department string `json:"department"`
	Arrived    int    `json:"arrived"`
	Closed     int    `json:"closed"`
	Late       int    `json:"late"`
}

// DailyReport is the daily report (日清日结) of one local day: what arrived, what was closed
// (replied or ended), and what is late at the end of the day (or now, for today).
type DailyReport struct {
	Date        string            `json:"date"` // YYYY-MM-DD in the campus time zone
	From        time.Time         `json:"from"`
	To          time.Time         `json:"to"`
	AsOf        time.Time         `json:"asOf"` // the moment "late" refers to
	Arrived     []CaseBrief       `json:"arrived"`
	Closed      []CaseBrief       `json:"closed"`
	Late        []CaseBrief       `json:"late"`
	Departments []DailyDepartment `json:"departments"`
}

// StatsPeriod are the per-department figures of one period of a series (a day, week or month).
type StatsPeriod struct {
	Label       string            `json:"label"` // "11-25", "W48", "2026-11"
	From        time.Time         `json:"from"`
	To          time.Time         `json:"to"`
	Departments []DepartmentStats `json:"departments"`
}

// CaseReports computes the supervision figures over stored cases.
type CaseReports interface {
	// Daily returns the daily report of the local day that contains day.
	Daily(ctx context.Context, day time.Time) (*DailyReport, error)
	// Series returns the per-department figures of each period ("day", "week", "month") of
	// the n periods that end with the one containing now, oldest first.
	Series(ctx context.Context, period string, n int) ([]StatsPeriod, error)
}

// TopicNotice is a hall notice that carries a topic's answer.
type TopicNotice struct {
	Hall   string `json:"hall"`
	Notice string `json:"notice"`
}

// TopicAnswer is the office's published answer on a hot topic: shown on the halls' notice line
// (displays and kiosks) and on the follow page of every case linked to the topic.
type TopicAnswer struct {
	Topic   string        `json:"topic"`
	Label   string        `json:"label,omitempty"` // the topic's label when it was answered
	Text    Text          `json:"text"`
	By      string        `json:"by,omitempty"` // hidden on public views
	At      time.Time     `json:"at"`
	Cases   []string      `json:"cases"` // IDs of the cases linked to the answer
	Notices []TopicNotice `json:"notices,omitempty"`
}

// Topic is a group of similar requests over a moving window (热点).
type Topic struct {
	ID    string `json:"id"`
	Label string `json:"label"` // the most central request, shortened
	// Keywords are the character bigrams and words that weigh most in the group.
	Keywords []string `json:"keywords"`
	Count    int      `json:"count"`    // requests in the window
	Previous int      `json:"previous"` // requests in the window before it
	// Growth is (Count − Previous) / max(Previous, 1); Score = Count + max(0, Count − Previous)
	// ranks the topics (volume, then growth).
	Growth      float64   `json:"growth"`
	Score       float64   `json:"score"`
	Departments []string  `json:"departments"`
	Cases       []string  `json:"cases"` // numbers of the cases in the window, newest first
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
	// Answer is the published answer, when there is one.
	Answer *TopicAnswer `json:"answer,omitempty"`
}

// TopicService finds hot topics and keeps their published answers.
type TopicService interface {
	// Topics returns the topics of the last days (at least two requests each), best first.
	Topics(ctx context.Context, days int) ([]Topic, error)
	// Answer publishes (or replaces) the answer on the topic with this ID among the topics of
	// the last days (or an answered topic), linking the topic's cases to it.
	Answer(ctx context.Context, id string, days int, text Text, by string) (*TopicAnswer, error)
	// SetNotices records the hall notices that carry the answer.
	SetNotices(ctx context.Context, id string, notices []TopicNotice) error
	// AnswerFor returns the answer linked to a case (nil when none).
	AnswerFor(ctx context.Context, caseID string) (*TopicAnswer, error)
}

// Milestone is a step of a long-standing list item, with its date and progress.
type Milestone struct {
	Title    Text   `json:"title"`
	Due      string `json:"due"`      // YYYY-MM-DD
	Progress int    `json:"progress"` // 0–100
	Note     Text   `json:"note"`
}

// ListItem is an item of the long-standing list (清单式管理): a problem that cannot be solved at
// once, with a lead department, assisting departments, a timetable and the cases that raised it.
type ListItem struct {
	ID         string      `json:"id"`
	Title      Text        `json:"title"`
	Summary    Text        `json:"summary"`
	Lead       string      `json:"lead"`
	Assist     []string    `json:"assist"`
	Milestones []Milestone `json:"milestones"`
	Cases      []string    `json:"cases"` // case numbers
	// Progress is the mean of the milestones' progress (0–100); Status follows from it:
	// "planned" (0), "in_progress", "done" (100).
	Progress  int       `json:"progress"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	CreatedBy string    `json:"createdBy,omitempty"`
	UpdatedBy string    `json:"updatedBy,omitempty"`
}

// LongListService keeps the long-standing list.
type LongListService interface {
	Items(ctx context.Context) ([]ListItem, error)
	Item(ctx context.Context, id string) (*ListItem, error)
	// CreateItem validates and stores a new item (its ID is assigned).
	CreateItem(ctx context.Context, it ListItem, by string) (*ListItem, error)
	// UpdateItem replaces the item with it.ID.
	UpdateItem(ctx context.Context, it ListItem, by string) (*ListItem, error)
	DeleteItem(ctx context.Context, id string) error
}
