package hall

import (
	"slices"
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

// Requester is the person a case is for. Every field is optional (anonymous requests are
// allowed); contact data is visible to the handling department only and masked on public views.
type Requester struct {
	Name      string `json:"name,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
	PersonID  string `json:"personId,omitempty"` // student or staff number
	Anonymous bool   `json:"anonymous,omitempty"`
	// Identity is who opened the case when signed in (CAS, WeChat Work): never encoded, so no
	// view, event or record carries it; the store indexes the case under it at opening, for
	// the requester's "my requests" (RequesterService).
	Identity *Identity `json:"-"`
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
	r.Identity = nil
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
	// Channel is how the rating reached the system when not through the requester's own follow
	// page: hotline for a rating a hotline operator recorded on a callback (回访); empty otherwise.
	Channel Channel `json:"channel,omitempty"`
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
	// Attachments are the files sent with this message (public only where the type's
	// PublicFiles says so).
	Attachments []Attachment `json:"attachments,omitempty"`
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
	// Place is where the matter is and a link to a picture of it, as an outside channel gave
	// them (Open311's lat/long, address_string, media_url); nil when none was given.
	Place *Place `json:"place,omitempty"`

	Category   string `json:"category,omitempty"`
	Department string `json:"department,omitempty"` // lead department (empty or office in triage)
	// Route is the router's suggestion when the case was opened (nil when staff chose).
	Route *RouteResult `json:"route,omitempty"`
	Parts []CasePart   `json:"parts,omitempty"` // assisting departments (co-handling)
	// Assignee is the handler of the lead department who owns the case (named assignment): the
	// one who signed it, or whom the department or the office gave it to since; empty when
	// nobody does (not signed yet, or dispatched to another department).
	Assignee string `json:"assignee,omitempty"`

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

	// Actions are the case actions (of CaseActions) the principal who asked may take now: set
	// only in a staff view of one case (the case API's answer), never stored.
	Actions []string `json:"actions,omitempty"`
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
	c.Actions = slices.Clone(c.Actions)
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
	c.Place = c.Place.Clone()
	return c
}

// Place is where a reported matter is, and a link to a picture of it, as an outside channel
// (Open311) gave them. The campus has no address register: Address is free text. Lat and Long
// are WGS84 degrees, both set or both nil.
type Place struct {
	Lat      *float64 `json:"lat,omitempty"`
	Long     *float64 `json:"long,omitempty"`
	Address  string   `json:"address,omitempty"`
	MediaURL string   `json:"mediaUrl,omitempty"` // http(s) only
}

// Clone returns a deep copy (nil for nil).
func (p *Place) Clone() *Place {
	if p == nil {
		return nil
	}
	c := *p
	if p.Lat != nil {
		v := *p.Lat
		c.Lat = &v
	}
	if p.Long != nil {
		v := *p.Long
		c.Long = &v
	}
	return &c
}

// Public returns a copy fit for the requester's follow page and public streams: requester
// contact and personal data masked, staff usernames and the entering device hidden, internal
// timeline entries, co-handling tasks, extension requests, the routing detail and the durable
// timers left out, and public entries cut to what their type may show (CaseEventType.Visibility).
// The place (an address, a point, a picture link) is left out too.
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
	c.Place = nil // free text and a picture link: may say whose room it is
	c.Source = ""
	c.Assignee = "" // staff usernames stay internal
	c.Route = nil
	c.Timers = CaseTimers{}
	c.Extension = nil
	c.ListItem = ""
	c.Actions = nil
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
