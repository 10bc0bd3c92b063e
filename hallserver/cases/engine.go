// Package cases is the workflow engine of the shared case system (接诉即办): opening and routing
// cases, the department's handling, time limits on a business calendar with warnings and
// escalation, replies, ratings, co-handling, duplicates, supervision flags and the per-department
// rates. Like the queue engine it is pure logic: the clock is passed in as `now`, IDs and follow
// tokens are passed in by the caller, and it does no I/O. An Engine is not safe for concurrent
// use; its owner (the store) serialises calls. The Router it uses is safe for concurrent use.
//
// Every command validates first and changes nothing when it returns an error. On success it
// returns a Change: the cases created or changed (as they are after the change), the events to
// append to the case log with consecutive sequence numbers, the texts the router learned from
// (to persist and replay at start-up), and the engine Meta. The owner persists the Change in one
// transaction before acknowledging.
//
// Above the engine, in the same package: the case visibility policy (policy.go: who sees which
// case, which fields, which events) and Service (service.go, listservice.go), the use cases a
// signed-in principal runs — the policy applied around the stores, and the workflows that span
// stores (a topic's answer on every hall's notice line, all or nothing). Service reaches the
// stores only through package hall's interfaces; the HTTP layer calls it.
//
// The engine keeps every case that is not final (archived, duplicate, not accepted) in memory;
// final cases leave it with the Change that closed them. Restore rebuilds the engine from the
// Meta and those open cases; the durable timers (warned/escalated marks, deadlines, pauses) are
// fields of the cases, so a restart neither forgets nor repeats a warning or an escalation.
//
// See docs/CASES.md for the lifecycle, the limits and the router's measured accuracy.
package cases

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// Text limits (in runes).
const (
	MaxText       = 2000 // request, reply, details
	MaxTitle      = 100
	MaxNote       = 1000 // reasons, notes, tasks, questions
	MaxComment    = 500  // rating comment
	MaxDetails    = 20   // details a requester can add to one case
	MaxParts      = 10   // assisting departments
	MaxDuplicates = 100  // duplicates linked to one original (each adds to every event of it)
	MaxContact    = 64   // requester name, phone, e-mail, person number
)

// SystemActor is the actor of events the engine makes by itself (warnings, escalations,
// automatic archiving).
const SystemActor = "system"

// Limits are the time limits. Reply, ReplyWarn and ResolveWarn are working time on the
// Calendar; RateWindow and ArchiveRated are wall-clock time.
type Limits struct {
	// Reply is the first-response limit (default 24 h of working time).
	Reply time.Duration
	// ReplyWarn warns the department this long before the reply limit (default 4 h).
	ReplyWarn time.Duration
	// ResolveWarn warns this long before the resolution limit (default one working day).
	ResolveWarn time.Duration
	// RateWindow is how long a replied case waits for a rating before it is archived (default 7
	// days).
	RateWindow time.Duration
	// ArchiveRated is how long a satisfied (rated) case stays visible before it is archived
	// (default 3 days).
	ArchiveRated time.Duration
	// MaxExtensionDays is the most working days one extension may ask for (default 10).
	MaxExtensionDays int
}

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{Reply: 24 * time.Hour, ReplyWarn: 4 * time.Hour, ResolveWarn: 24 * time.Hour,
		RateWindow: 7 * 24 * time.Hour, ArchiveRated: 3 * 24 * time.Hour, MaxExtensionDays: 10}
}

// Config is what an engine needs.
type Config struct {
	Catalogue *hall.Catalogue // dispatch catalogue (DemoCatalogue by default)
	Router    *Router         // trained on Catalogue (NewRouter(Catalogue) by default)
	Calendar  *Calendar       // DemoCalendar by default
	// Departments are the department codes cases can go to (the campus's); empty means the
	// catalogue's departments plus the office.
	Departments []string
	Limits      Limits // zero fields take the defaults
	// NumberPrefix starts case numbers (default "JS", 接诉).
	NumberPrefix string
}

// Meta is the small, whole-log part of the engine state persisted with every change: with the
// open cases it is enough to Restore the engine.
type Meta struct {
	Seq    uint64 `json:"seq"`    // last case event sequence number
	Day    string `json:"day"`    // local day (YYYYMMDD) of the last case number
	Number int    `json:"number"` // last case number issued that day
}

// Change is what one command changed.
type Change struct {
	Cases   []hall.Case         // cases created or changed, as they are after the change
	Events  []hall.CaseEvent    // events to append, Seq consecutive after the previous change
	Learned []hall.RouteExample // texts the router learned from (persist; replay at start-up)
	Meta    Meta                // the engine meta after the change
}

// Empty reports whether the change has no events (nothing to persist).
func (c Change) Empty() bool { return len(c.Events) == 0 }

// Engine is the case workflow state.
type Engine struct {
	cfg   Config
	depts map[string]bool

	seq    uint64
	day    string
	number int

	cases    map[string]*hall.Case // open (not final) cases by ID
	byNumber map[string]string
	byToken  map[string]string

	// the command being run: staged copies of the cases it touches, in touch order
	staged map[string]*hall.Case
	order  []string
	ch     Change
}

// New returns an engine with no history.
func New(cfg Config) (*Engine, error) { return Restore(cfg, Meta{}, nil) }

// Restore returns an engine from its persisted meta and the open cases. Cases in a final state
// are ignored. It fails on duplicate IDs, numbers or tokens, unknown states, or a department
// the engine does not know.
func Restore(cfg Config, meta Meta, open []hall.Case) (*Engine, error) {
	if cfg.Catalogue == nil {
		cfg.Catalogue = DemoCatalogue()
	}
	if cfg.Router == nil {
		cfg.Router = NewRouter(cfg.Catalogue)
	}
	if cfg.Calendar == nil {
		cfg.Calendar = DemoCalendar()
	}
	def := DefaultLimits()
	l := &cfg.Limits
	if l.Reply <= 0 {
		l.Reply = def.Reply
	}
	if l.ReplyWarn <= 0 {
		l.ReplyWarn = def.ReplyWarn
	}
	if l.ResolveWarn <= 0 {
		l.ResolveWarn = def.ResolveWarn
	}
	if l.RateWindow <= 0 {
		l.RateWindow = def.RateWindow
	}
	if l.ArchiveRated <= 0 {
		l.ArchiveRated = def.ArchiveRated
	}
	if l.MaxExtensionDays <= 0 {
		l.MaxExtensionDays = def.MaxExtensionDays
	}
	if cfg.NumberPrefix == "" {
		cfg.NumberPrefix = "JS"
	}
	e := &Engine{cfg: cfg, depts: map[string]bool{hall.OfficeDepartment: true},
		seq: meta.Seq, day: meta.Day, number: meta.Number,
		cases: map[string]*hall.Case{}, byNumber: map[string]string{}, byToken: map[string]string{}}
	if len(cfg.Departments) > 0 {
		for _, d := range cfg.Departments {
			e.depts[d] = true
		}
	} else {
		for _, k := range cfg.Catalogue.Categories {
			e.depts[k.Department] = true
		}
	}
	if err := ValidateCatalogue(cfg.Catalogue, e.depts); err != nil {
		return nil, fmt.Errorf("cases: restore: %w", err)
	}
	for i := range open {
		c := open[i].Clone()
		if !c.State.Valid() {
			return nil, fmt.Errorf("cases: restore: case %q has unknown state %q", c.ID, c.State)
		}
		if c.State.Final() {
			continue
		}
		if c.ID == "" || e.cases[c.ID] != nil {
			return nil, fmt.Errorf("cases: restore: duplicate or empty case ID %q", c.ID)
		}
		if _, dup := e.byNumber[c.Number]; dup || c.Number == "" {
			return nil, fmt.Errorf("cases: restore: duplicate or empty case number %q", c.Number)
		}
		if _, dup := e.byToken[c.Token]; dup || c.Token == "" {
			return nil, fmt.Errorf("cases: restore: duplicate or empty token of case %s", c.Number)
		}
		if c.Department != "" && !e.depts[c.Department] {
			return nil, fmt.Errorf("cases: restore: case %s has unknown department %q", c.Number, c.Department)
		}
		e.cases[c.ID] = &c
		e.byNumber[c.Number] = c.ID
		e.byToken[c.Token] = c.ID
		// never reuse a number of the meta's day
		if d, n, ok := e.parseNumber(c.Number); ok && d == e.day && n > e.number {
			e.number = n
		}
	}
	return e, nil
}

// Meta returns the engine meta.
func (e *Engine) Meta() Meta { return Meta{Seq: e.seq, Day: e.day, Number: e.number} }

// Router returns the engine's router (to replay learned examples at start-up, and for Route).
func (e *Engine) Router() *Router { return e.cfg.Router }

// Calendar returns the engine's business calendar.
func (e *Engine) Calendar() *Calendar { return e.cfg.Calendar }

// Catalogue returns the engine's dispatch catalogue (do not modify it).
func (e *Engine) Catalogue() *hall.Catalogue { return e.cfg.Catalogue }

// Limits returns the engine's limits (defaults filled in).
func (e *Engine) Limits() Limits { return e.cfg.Limits }

// Route suggests a department for a text (no state change).
func (e *Engine) Route(text string) hall.RouteResult { return e.cfg.Router.Route(text) }

// Case returns an open case by ID or number.
func (e *Engine) Case(ref string) (hall.Case, bool) {
	c := e.lookup(ref)
	if c == nil {
		return hall.Case{}, false
	}
	return c.Clone(), true
}

// CaseByToken returns an open case by its follow token.
func (e *Engine) CaseByToken(token string) (hall.Case, bool) {
	id, ok := e.byToken[token]
	if !ok || token == "" {
		return hall.Case{}, false
	}
	return e.cases[id].Clone(), true
}

// Cases returns copies of all open cases, by number.
func (e *Engine) Cases() []hall.Case {
	out := make([]hall.Case, 0, len(e.cases))
	for _, c := range e.cases {
		out = append(out, c.Clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// EachOpen calls fn with each open case itself (not a copy), in no order. The case must only be
// read, and may be kept after the call: the engine never changes a case it has installed (a
// command changes a staged copy and installs that), so it stays as it was.
func (e *Engine) EachOpen(fn func(c *hall.Case)) {
	for _, c := range e.cases {
		fn(c)
	}
}

// Len returns the number of open cases.
func (e *Engine) Len() int { return len(e.cases) }

func (e *Engine) lookup(ref string) *hall.Case {
	if ref == "" {
		return nil
	}
	if c, ok := e.cases[ref]; ok {
		return c
	}
	if id, ok := e.byNumber[strings.ToUpper(ref)]; ok {
		return e.cases[id]
	}
	return nil
}

// ---- numbers ----

// parseNumber splits "JS20261125-0001" into its day and sequence.
func (e *Engine) parseNumber(num string) (day string, n int, ok bool) {
	rest, found := strings.CutPrefix(num, e.cfg.NumberPrefix)
	if !found {
		return "", 0, false
	}
	d, seq, found := strings.Cut(rest, "-")
	if !found || len(d) != 8 {
		return "", 0, false
	}
	if _, err := fmt.Sscanf(seq, "%d", &n); err != nil {
		return "", 0, false
	}
	return d, n, true
}

// ---- change building ----

// run wraps a command: errors undo everything (staged copies are dropped, seq and numbers are
// restored, nothing is learned); success installs the staged cases and returns the Change.
func (e *Engine) run(cmd func() error) (Change, error) {
	seq, day, number := e.seq, e.day, e.number
	e.staged, e.order, e.ch = map[string]*hall.Case{}, nil, Change{}
	if err := cmd(); err != nil {
		e.seq, e.day, e.number = seq, day, number
		e.staged, e.order, e.ch = nil, nil, Change{}
		return Change{}, err
	}
	ch := e.ch
	for _, id := range e.order {
		c := e.staged[id]
		if old, ok := e.cases[id]; ok && old.Token != c.Token {
			delete(e.byToken, old.Token)
		}
		if c.State.Final() {
			delete(e.cases, id)
			if e.byNumber[c.Number] == id {
				delete(e.byNumber, c.Number)
			}
			if e.byToken[c.Token] == id {
				delete(e.byToken, c.Token)
			}
		} else {
			e.cases[id] = c
			e.byNumber[c.Number] = id
			e.byToken[c.Token] = id
		}
		if len(ch.Events) > 0 {
			ch.Cases = append(ch.Cases, c.Clone())
		}
	}
	for _, l := range ch.Learned {
		e.cfg.Router.LearnExample(l)
	}
	e.staged, e.order, e.ch = nil, nil, Change{}
	if len(ch.Events) == 0 {
		return Change{}, nil
	}
	ch.Meta = e.Meta()
	return ch, nil
}

// stage returns the working copy of a case for the running command.
func (e *Engine) stage(c *hall.Case) *hall.Case {
	if s, ok := e.staged[c.ID]; ok {
		return s
	}
	cp := c.Clone()
	e.staged[c.ID] = &cp
	e.order = append(e.order, c.ID)
	return &cp
}

// find resolves a case reference to its working copy.
func (e *Engine) find(ref string) (*hall.Case, error) {
	if ref == "" {
		return nil, hall.Errorf(hall.EINVALID, "case", "case is required")
	}
	if c := e.lookup(ref); c != nil {
		return e.stage(c), nil
	}
	return nil, hall.Errorf(hall.ENOTFOUND, "case", "no open case %q", ref)
}

// public reports whether an event type makes a public timeline entry (hall's public-view rule).
func public(typ hall.CaseEventType) bool {
	v, ok := typ.Visibility()
	return ok && v.Shown
}

// emit appends an event (and a timeline entry) for the working copy c.
func (e *Engine) emit(now time.Time, c *hall.Case, typ hall.CaseEventType, actor, dept, limit, text string) {
	e.emitEntry(now, c, typ, actor, dept, limit, text, public(typ))
}

// emitInternal is emit with an internal timeline entry, whatever the event type.
func (e *Engine) emitInternal(now time.Time, c *hall.Case, typ hall.CaseEventType, actor, dept, limit, text string) {
	e.emitEntry(now, c, typ, actor, dept, limit, text, false)
}

func (e *Engine) emitEntry(now time.Time, c *hall.Case, typ hall.CaseEventType, actor, dept, limit, text string, public bool) {
	e.seq++
	c.UpdatedAt = now
	c.Timeline = append(c.Timeline, hall.CaseEntry{At: now, Type: typ, Actor: actor, Department: dept, Text: text, Public: public})
	snap := c.Clone()
	e.ch.Events = append(e.ch.Events, hall.CaseEvent{Seq: e.seq, Type: typ, At: now, Actor: actor, Department: dept, Limit: limit, Case: &snap})
}

// ---- deadlines ----

func (e *Engine) resolveDays(c *hall.Case) int { return resolveDays(e.cfg.Catalogue, c.Category) }

// deadlines recomputes ReplyDue and Due from the round start, the limits, the paused working
// time and the approved extensions.
func (e *Engine) deadlines(c *hall.Case) {
	cal := e.cfg.Calendar
	paused := time.Duration(c.PausedSeconds) * time.Second
	c.ReplyDue = cal.Add(c.RoundStart, e.cfg.Limits.Reply+paused)
	c.Due = cal.Add(c.RoundStart, time.Duration(e.resolveDays(c)+c.ExtendedDays)*cal.DayLength()+paused)
}

// responded records a response to the requester (reply, interim answer or question).
func (e *Engine) responded(now time.Time, c *hall.Case) {
	if c.FirstResponseAt == nil {
		t := now
		c.FirstResponseAt = &t
	}
	if c.RespondedAt == nil {
		t := now
		c.RespondedAt = &t
		if now.After(c.ReplyDue) {
			c.ReplyLate = true
		}
	}
}

// unpause ends a pause: the working time spent waiting moves the deadlines.
func (e *Engine) unpause(now time.Time, c *hall.Case) {
	if c.PausedAt == nil {
		return
	}
	c.PausedSeconds += int64(e.cfg.Calendar.Counted(*c.PausedAt, now) / time.Second)
	c.PausedAt = nil
	e.deadlines(c)
	if now.Before(c.Due) {
		c.Timers.ResolveWarned, c.Timers.ResolveEscalated = nil, nil
	}
	if c.RespondedAt == nil && now.Before(c.ReplyDue) {
		c.Timers.ReplyWarned, c.Timers.ReplyEscalated = nil, nil
	}
}

// close makes the working copy final.
func closeCase(now time.Time, c *hall.Case, st hall.CaseState) {
	c.State = st
	t := now
	c.ClosedAt = &t
	c.PausedAt = nil
}

// newRound starts handling again after a reopening.
func (e *Engine) newRound(now time.Time, c *hall.Case) {
	c.State = hall.CaseReopened
	c.Round++
	c.Reopens++
	c.RoundStart = now
	c.PausedSeconds, c.ExtendedDays = 0, 0
	c.PausedAt, c.RespondedAt = nil, nil
	c.Timers = hall.CaseTimers{}
	if c.Extension != nil && !c.Extension.Decided {
		c.Extension = nil
	}
	e.deadlines(c)
}

// ---- validation helpers ----

func runes(s string) int { return utf8.RuneCountInString(s) }

func needText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", hall.Errorf(hall.EINVALID, field, "%s is required", field)
	}
	if runes(s) > max || !utf8.ValidString(s) {
		return "", hall.Errorf(hall.EINVALID, field, "%s must be valid text of at most %d characters", field, max)
	}
	return s, nil
}

func optText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if runes(s) > max || !utf8.ValidString(s) {
		return "", hall.Errorf(hall.EINVALID, field, "%s must be valid text of at most %d characters", field, max)
	}
	return s, nil
}

// ---- open ----

// Open logs a new case with the given ID and follow token, numbers it (prefix, local date, a
// four-digit count per day: JS20261125-0001) and routes it at once:
//   - a Department chosen by staff (with an optional Category of that department) dispatches
//     there; when the router would have said otherwise, the router learns from it;
//   - else a Category dispatches to its department;
//   - else the router decides: a confident answer dispatches, a doubtful one goes to the office
//     for triage (state triage, Department office).
//
// Events: case.received, case.routed, then case.dispatched or case.triaged.
//
// The text may be empty when a category or a department is given (a kiosk topic button).
//
// Errors: EINVALID kind, channel, text (empty without a category or department, or too long),
// title, lang, requester, id, token; ENOTFOUND category or department; EINVALID category (of
// another department than the one chosen); ECONFLICT id or token already in use.
func (e *Engine) Open(now time.Time, req hall.OpenCaseRequest, id, token string) (*hall.Case, Change, error) {
	var out *hall.Case
	ch, err := e.run(func() error {
		if req.Kind == "" {
			req.Kind = hall.KindConsultation
		}
		if !req.Kind.Valid() {
			return hall.Errorf(hall.EINVALID, "kind", "kind must be consultation, complaint or suggestion")
		}
		if !req.Channel.Valid() {
			return hall.Errorf(hall.EINVALID, "channel", "channel must be kiosk, counter, web, hotline or api")
		}
		// A topic chosen on the kiosk (a category) or a department chosen by staff is enough: the
		// text is then optional (typing Chinese on a kiosk is slow; details come from the phone).
		var text string
		var err error
		if req.Category == "" && req.Department == "" {
			text, err = needText("text", req.Text, MaxText)
		} else {
			text, err = optText("text", req.Text, MaxText)
		}
		if err != nil {
			return err
		}
		title, err := optText("title", req.Title, MaxTitle)
		if err != nil {
			return err
		}
		if req.Lang != "" && req.Lang != "zh" && req.Lang != "en" {
			return hall.Errorf(hall.EINVALID, "lang", "lang must be zh or en")
		}
		rq := req.Requester
		for _, f := range []struct{ name, v string }{{"requester.name", rq.Name}, {"requester.phone", rq.Phone}, {"requester.email", rq.Email}, {"requester.personId", rq.PersonID}} {
			if _, err := optText(f.name, f.v, MaxContact); err != nil {
				return err
			}
		}
		if rq.Anonymous {
			rq = hall.Requester{Anonymous: true, Identity: rq.Identity} // the identity is never shown
		}
		if err := checkPlace(req.Place); err != nil {
			return err
		}
		if id == "" {
			return hall.Errorf(hall.EINVALID, "id", "case ID is required")
		}
		if e.cases[id] != nil {
			return hall.Errorf(hall.ECONFLICT, "id", "case ID %q already exists", id)
		}
		if token == "" {
			return hall.Errorf(hall.EINVALID, "token", "follow token is required")
		}
		if _, dup := e.byToken[token]; dup {
			return hall.Errorf(hall.ECONFLICT, "token", "follow token already in use")
		}
		var cat *hall.Category
		if req.Category != "" {
			k, ok := e.cfg.Catalogue.Category(req.Category)
			if !ok {
				return hall.Errorf(hall.ENOTFOUND, "category", "no category %q", req.Category)
			}
			cat = k
		}
		dept := req.Department
		if dept != "" {
			if !e.depts[dept] {
				return hall.Errorf(hall.ENOTFOUND, "department", "no department %q", dept)
			}
			if cat != nil && cat.Department != dept {
				return hall.Errorf(hall.EINVALID, "category", "category %q belongs to %s, not %s", cat.Code, cat.Department, dept)
			}
		} else if cat != nil {
			dept = cat.Department
		}

		// A new local day restarts the count; when the clock went back, counting goes on in the
		// later day, so no number is ever issued twice.
		if day := now.In(e.cfg.Calendar.Loc).Format("20060102"); day > e.day {
			e.day, e.number = day, 0
		}
		e.number++
		c := &hall.Case{
			ID: id, Number: fmt.Sprintf("%s%s-%04d", e.cfg.NumberPrefix, e.day, e.number), Token: token,
			Kind: req.Kind, Channel: req.Channel, State: hall.CaseReceived, Lang: req.Lang,
			Hall: req.Hall, Ticket: req.Ticket, Source: req.Source, Title: title, Text: text,
			Requester: rq, Place: req.Place.Clone(), ReceivedAt: now, UpdatedAt: now, Round: 1, RoundStart: now,
			Timeline: []hall.CaseEntry{},
		}
		if cat != nil {
			c.Category = cat.Code
		}
		e.staged[id] = c
		e.order = append(e.order, id)
		e.deadlines(c)
		e.emit(now, c, hall.CaseEvReceived, req.Source, "", "", "")

		rr := e.cfg.Router.Route(text)
		if dept == "" {
			c.Route = &rr
			if !rr.Triage {
				dept = rr.Department
				c.Category = rr.Category
			}
		} else if rr.Department != dept {
			e.learn(now, text, dept, req.Source)
		}
		if dept == "" {
			c.Department = hall.OfficeDepartment
			c.State = hall.CaseTriage
			e.deadlines(c)
			e.emit(now, c, hall.CaseEvRouted, req.Source, hall.OfficeDepartment, "", "")
			e.emit(now, c, hall.CaseEvTriaged, req.Source, hall.OfficeDepartment, "", "")
		} else {
			if c.Category == "" {
				c.Category = e.cfg.Router.BestCategory(text, dept)
			}
			e.emit(now, c, hall.CaseEvRouted, req.Source, dept, "", "")
			e.dispatch(now, c, dept, req.Source)
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

// learn queues a labelled text for the router (applied when the command succeeds).
func (e *Engine) learn(now time.Time, text, dept, by string) {
	if strings.TrimSpace(text) == "" || !e.cfg.Router.Knows(dept) {
		return
	}
	e.ch.Learned = append(e.ch.Learned, hall.RouteExample{Text: text, Department: dept, At: now, By: by})
}

// dispatch sends the working copy to a department (state dispatched).
func (e *Engine) dispatch(now time.Time, c *hall.Case, dept, actor string) {
	c.Department = dept
	c.State = hall.CaseDispatched
	c.SignedAt = nil
	c.Assignee = "" // the department signs it again: its signer owns it
	t := now
	c.DispatchedAt = &t
	e.deadlines(c)
	e.emit(now, c, hall.CaseEvDispatched, actor, dept, "", "")
}

// ---- requester ----

// Rate records the requester's rating of the latest reply (state replied). 1–2 stars reopen the
// case for a new round (case.rated, case.reopened; the limits start again); 3–5 make it rated.
//
// Errors: ENOTFOUND token; ECONFLICT state (not replied); EINVALID stars (1–5), comment.
func (e *Engine) Rate(now time.Time, token string, stars int, comment string) (*hall.Case, Change, error) {
	return e.RateVia(now, token, stars, comment, "")
}

// RateVia is Rate with the channel the rating came through noted on it (hall.Rating.Channel):
// hotline for a rating a hotline operator recorded on a callback, empty for the requester's own
// follow page.
func (e *Engine) RateVia(now time.Time, token string, stars int, comment string, via hall.Channel) (*hall.Case, Change, error) {
	if via != "" && !via.Valid() {
		return nil, Change{}, hall.Errorf(hall.EINVALID, "channel", "unknown channel %q", via)
	}
	return e.byTokenCmd(now, token, func(c *hall.Case) error {
		if c.State != hall.CaseReplied {
			return hall.Errorf(hall.ECONFLICT, "state", "only a replied case can be rated (it is %s)", c.State)
		}
		if stars < 1 || stars > 5 {
			return hall.Errorf(hall.EINVALID, "stars", "stars must be 1 to 5")
		}
		comment, err := optText("comment", comment, MaxComment)
		if err != nil {
			return err
		}
		r := hall.Rating{Stars: stars, Comment: comment, At: now, Round: c.Round, Channel: via}
		c.Ratings = append(c.Ratings, r)
		if r.Satisfied() {
			c.State = hall.CaseRated
			e.emit(now, c, hall.CaseEvRated, "", c.Department, "", comment)
			return nil
		}
		e.emit(now, c, hall.CaseEvRated, "", c.Department, "", comment)
		e.newRound(now, c)
		e.emit(now, c, hall.CaseEvReopened, "", c.Department, "", "")
		return nil
	})
}

// AddDetails appends the requester's details to a case that is not final. A case waiting on the
// requester resumes (case.details_added, case.resumed; the clock runs again).
//
// Errors: ENOTFOUND token; EINVALID text; ECONFLICT when MaxDetails were already added.
func (e *Engine) AddDetails(now time.Time, token, text string) (*hall.Case, Change, error) {
	return e.AddDetailsWithFiles(now, token, text, nil)
}

func (e *Engine) byTokenCmd(now time.Time, token string, cmd func(c *hall.Case) error) (*hall.Case, Change, error) {
	var out *hall.Case
	ch, err := e.run(func() error {
		id, ok := e.byToken[token]
		if !ok || token == "" {
			return hall.Errorf(hall.ENOTFOUND, "token", "no open case with this token")
		}
		c := e.stage(e.cases[id])
		if err := cmd(c); err != nil {
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

// ---- timers ----

// Tick runs the time-based rules at now and returns their Change (empty when nothing happened):
//   - for a case being handled and not paused (triage, dispatched, in progress, reopened):
//     case.warned (to the handling department) when the reply limit (not yet responded in this
//     round) or the resolution limit is near, case.escalated (to the office) when it has passed;
//     each at most once per round and limit (the marks are in Case.Timers);
//   - a replied case that nobody rated within RateWindow, and a rated case after ArchiveRated,
//     is archived.
func (e *Engine) Tick(now time.Time) Change {
	ch, _ := e.run(func() error {
		ids := make([]string, 0, len(e.cases))
		for id := range e.cases {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		cal := e.cfg.Calendar
		lim := e.cfg.Limits
		for _, id := range ids {
			c0 := e.cases[id]
			switch c0.State {
			case hall.CaseTriage, hall.CaseDispatched, hall.CaseInProgress, hall.CaseReopened:
				if c0.PausedAt != nil {
					continue
				}
				if c0.RespondedAt == nil && c0.Timers.ReplyEscalated == nil {
					if !now.Before(c0.ReplyDue) {
						c := e.stage(c0)
						t := now
						c.Timers.ReplyEscalated = &t
						c.ReplyLate = true
						e.emit(now, c, hall.CaseEvEscalated, SystemActor, hall.OfficeDepartment, "reply", c.Department)
					} else if c0.Timers.ReplyWarned == nil && cal.Counted(now, c0.ReplyDue) <= lim.ReplyWarn {
						c := e.stage(c0)
						t := now
						c.Timers.ReplyWarned = &t
						e.emit(now, c, hall.CaseEvWarned, SystemActor, c.Department, "reply", "")
					}
				}
				if c0.Timers.ResolveEscalated == nil {
					if !now.Before(c0.Due) {
						c := e.stage(c0)
						t := now
						c.Timers.ResolveEscalated = &t
						c.ResolveLate = true
						e.emit(now, c, hall.CaseEvEscalated, SystemActor, hall.OfficeDepartment, "resolve", c.Department)
					} else if c0.Timers.ResolveWarned == nil && cal.Counted(now, c0.Due) <= lim.ResolveWarn {
						c := e.stage(c0)
						t := now
						c.Timers.ResolveWarned = &t
						e.emit(now, c, hall.CaseEvWarned, SystemActor, c.Department, "resolve", "")
					}
				}
			case hall.CaseReplied:
				if c0.RepliedAt != nil && now.Sub(*c0.RepliedAt) >= lim.RateWindow {
					c := e.stage(c0)
					closeCase(now, c, hall.CaseArchived)
					e.emit(now, c, hall.CaseEvArchived, SystemActor, c.Department, "", "")
				}
			case hall.CaseRated:
				if r := c0.LastRating(); r != nil && now.Sub(r.At) >= lim.ArchiveRated {
					c := e.stage(c0)
					closeCase(now, c, hall.CaseArchived)
					e.emit(now, c, hall.CaseEvArchived, SystemActor, c.Department, "", "")
				}
			}
		}
		return nil
	})
	return ch
}

// Overdue reports whether a case being handled is past a limit at now (paused cases are not).
func Overdue(c *hall.Case, now time.Time) bool {
	if !c.State.Handling() || c.PausedAt != nil {
		return false
	}
	return (c.RespondedAt == nil && !now.Before(c.ReplyDue)) || !now.Before(c.Due)
}

// ---- lists ----

// Match reports whether a case passes a filter at now.
func Match(c *hall.Case, f hall.CaseFilter, now time.Time) bool {
	if f.Department != "" && !c.Involves(f.Department) {
		return false
	}
	if len(f.States) > 0 && !slices.Contains(f.States, c.State) {
		return false
	}
	if f.Open && c.State.Final() {
		return false
	}
	if f.Overdue && !Overdue(c, now) {
		return false
	}
	if f.Supervised && !c.Supervised {
		return false
	}
	if f.Kind != "" && c.Kind != f.Kind {
		return false
	}
	if f.Assignee != "" && c.Assignee != f.Assignee {
		return false
	}
	if !f.Since.IsZero() && c.ReceivedAt.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !c.ReceivedAt.Before(f.Until) {
		return false
	}
	if f.Text != "" && !strings.Contains(c.Text, f.Text) && !strings.Contains(c.Title, f.Text) {
		return false
	}
	return true
}

// Filter returns the cases that pass the filter, most urgent first: cases being handled by
// their nearest limit (supervised first among equals), then the others by number (newest
// first); at most f.Limit when it is positive.
func Filter(cs []hall.Case, f hall.CaseFilter, now time.Time) []hall.Case {
	out := []hall.Case{}
	for i := range cs {
		if Match(&cs[i], f, now) {
			out = append(out, cs[i])
		}
	}
	next := func(c *hall.Case) time.Time {
		if c.RespondedAt == nil && c.ReplyDue.Before(c.Due) {
			return c.ReplyDue
		}
		return c.Due
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		ha, hb := a.State.Handling(), b.State.Handling()
		if ha != hb {
			return ha
		}
		if ha {
			na, nb := next(a), next(b)
			if !na.Equal(nb) {
				return na.Before(nb)
			}
			if a.Supervised != b.Supervised {
				return a.Supervised
			}
			return a.Number < b.Number
		}
		return a.Number > b.Number
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out
}

// SetCampus gives the engine the campus's departments and business calendar while it runs (a
// live campus change). It fails, changing nothing, when the catalogue names a department that
// is not among them or an open case belongs to one that is not (DepartmentsInUse).
func (e *Engine) SetCampus(depts []string, cal *Calendar) error {
	m := map[string]bool{hall.OfficeDepartment: true}
	for _, d := range depts {
		m[d] = true
	}
	if err := ValidateCatalogue(e.cfg.Catalogue, m); err != nil {
		return err
	}
	for d, n := range e.DepartmentsInUse() {
		if !m[d] {
			return hall.Errorf(hall.EUNPROCESSABLE, "departments", "department %s still has %d open cases", d, n)
		}
	}
	e.depts = m
	e.cfg.Departments = slices.Clone(depts)
	if cal != nil {
		e.cfg.Calendar = cal
	}
	return nil
}

// DepartmentsInUse returns the departments of open cases with how many each has.
func (e *Engine) DepartmentsInUse() map[string]int {
	out := map[string]int{}
	for _, c := range e.cases {
		if c.Department != "" {
			out[c.Department]++
		}
	}
	return out
}
