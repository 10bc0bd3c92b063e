package cases

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// Service holds the case system's use cases as a signed-in principal runs them: it applies
// the visibility policy (policy.go) around the case store and runs the workflows that span
// stores (a topic's answer on every hall's notice line). The HTTP layer authenticates,
// decodes, calls a method and encodes what it returns.
type Service struct {
	cfg ServiceConfig
}

// NoticeBoard is the halls' notice lines (displays and kiosks show them); hall.QueueService
// is one.
type NoticeBoard interface {
	PublishNotice(ctx context.Context, hall string, text hall.Text, by string) (*hall.Notice, error)
	WithdrawNotice(ctx context.Context, hall, id, by string) error
}

// ServiceConfig is what a Service works with.
type ServiceConfig struct {
	// Cases is the case store; nil makes the staff use cases EUNAVAILABLE.
	Cases hall.CaseService
	// Topics keeps the hot topics' answers; nil makes Topics and AnswerTopic EUNAVAILABLE.
	Topics hall.TopicService
	// LongList is the long-standing list; nil makes EditListItem EUNAVAILABLE.
	LongList hall.LongListService
	// Notices are the halls' notice lines and Halls the codes of the halls a topic's answer
	// goes to; nil Notices records answers without notices.
	Notices NoticeBoard
	Halls   []string
	// HallCodes, when set, returns the halls' codes at the time of use (the campus changes
	// while the server runs) and replaces Halls.
	HallCodes func() []string
	// Staff returns the staff accounts: named assignment gives a case only to an enabled
	// handler of its department. Nil makes the assign action EUNAVAILABLE.
	Staff func(ctx context.Context) ([]hall.Staff, error)
	// Now is the clock (nil: time.Now); Log receives what goes wrong after the fact (nil
	// discards it).
	Now func() time.Time
	Log *slog.Logger
}

// NewService returns the use cases over the configured stores.
func NewService(cfg ServiceConfig) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}
}

// Related cases search limits.
const (
	RelatedDays   = 30  // similar requests received in the last RelatedDays days
	RelatedMax    = 8   // most similar requests returned
	RelatedMinSim = 0.2 // least cosine similarity of a similar request
	relatedPool   = 500 // most cases compared
)

// store returns the case store, EUNAVAILABLE when there is none.
func (s *Service) store() (hall.CaseService, error) {
	if s.cfg.Cases == nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "the case system is not configured on this server")
	}
	return s.cfg.Cases, nil
}

// staff checks that the principal works cases and returns the case store.
func (s *Service) staff(p *hall.Principal) (hall.CaseService, error) {
	if err := CheckWorksCases(p); err != nil {
		return nil, err
	}
	return s.store()
}

// visible returns the case with this ID or number when the principal may see it; any other
// case, and any implausible reference, is not found with the same answer.
func (s *Service) visible(ctx context.Context, p *hall.Principal, cs hall.CaseService, id string) (*hall.Case, error) {
	notFound := hall.Errorf(hall.ENOTFOUND, "case", "no case %q", id)
	if id == "" || len(id) > 64 {
		return nil, notFound
	}
	c, err := cs.Get(ctx, id)
	if err != nil {
		if hall.ErrorCode(err) == hall.ENOTFOUND {
			return nil, notFound
		}
		return nil, err
	}
	if !Sees(p, c) {
		return nil, notFound
	}
	return c, nil
}

// staffCase checks that the principal works cases and returns the store and the case with
// this ID or number when the principal may see it.
func (s *Service) staffCase(ctx context.Context, p *hall.Principal, id string) (hall.CaseService, *hall.Case, error) {
	cs, err := s.staff(p)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.visible(ctx, p, cs, id)
	return cs, c, err
}

// List returns the cases matching the filter that the principal may see, as it sees them
// (StaffView). A department asking for another department's cases is EFORBIDDEN.
func (s *Service) List(ctx context.Context, p *hall.Principal, f hall.CaseFilter) ([]hall.Case, error) {
	cs, err := s.staff(p)
	if err != nil {
		return nil, err
	}
	if f, err = Scope(p, f); err != nil {
		return nil, err
	}
	list, err := cs.List(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]hall.Case, 0, len(list))
	for i := range list {
		if Sees(p, &list[i]) {
			out = append(out, StaffView(p, &list[i]))
		}
	}
	return out, nil
}

// Get returns a case as the principal sees it; a case it may not see is not found.
func (s *Service) Get(ctx context.Context, p *hall.Principal, id string) (*hall.Case, error) {
	_, c, err := s.staffCase(ctx, p, id)
	if err != nil {
		return nil, err
	}
	v := StaffView(p, c)
	v.Actions = Actions(p, c)
	return &v, nil
}

// Act performs the staff action (one of hall.CaseActions) on the case with this ID or number
// in the principal's name and returns the case as it sees it. body fills in the action's
// parameters (the request body); it runs after the checks that need no body, so that a request
// on a case the principal may not see is not found whatever its body. The workflow (act.go)
// decides the rights on the case.
func (s *Service) Act(ctx context.Context, p *hall.Principal, id, action string, body func(*hall.CaseAction) error) (*hall.Case, error) {
	cs, err := s.staff(p)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(hall.CaseActions, action) {
		return nil, hall.Errorf(hall.ENOTFOUND, "action", "unknown case action %q (one of %s)", action, strings.Join(hall.CaseActions, ", "))
	}
	c, err := s.visible(ctx, p, cs, id)
	if err != nil {
		return nil, err
	}
	var a hall.CaseAction
	if body != nil {
		if err := body(&a); err != nil {
			return nil, err
		}
	}
	a.Case, a.Action, a.Actor, a.Role, a.ActorDepartment = c.ID, action, p.Subject, p.Role, p.Department
	if action == hall.CaseActAssign {
		if a.AssigneeDepartment, err = s.handlerDepartment(ctx, a.Assignee); err != nil {
			return nil, err
		}
	}
	out, err := cs.Act(ctx, a)
	if err != nil {
		return nil, err
	}
	v := StaffView(p, out)
	v.Actions = Actions(p, out)
	return &v, nil
}

// handlerDepartment returns the department of the enabled handler with this username, "" when
// there is none (the engine then refuses the assignment: EINVALID "assignee").
func (s *Service) handlerDepartment(ctx context.Context, username string) (string, error) {
	if s.cfg.Staff == nil {
		return "", hall.Errorf(hall.EUNAVAILABLE, "", "the staff directory is not configured on this server")
	}
	if username == "" || len(username) > 64 {
		return "", nil
	}
	staff, err := s.cfg.Staff(ctx)
	if err != nil {
		return "", err
	}
	for _, m := range staff {
		if m.Username == username && m.Role == hall.RoleHandler && !m.Disabled {
			return m.Department, nil
		}
	}
	return "", nil
}

// Stats returns the figures of every department over the window [from, to) that window
// reads (the request's query): for the office only, checked before the window is read.
func (s *Service) Stats(ctx context.Context, p *hall.Principal, window func() (from, to time.Time, err error)) (from, to time.Time, st []hall.DepartmentStats, err error) {
	cs, err := s.staff(p)
	if err != nil {
		return from, to, nil, err
	}
	if !SeesAll(p) {
		return from, to, nil, hall.Errorf(hall.EFORBIDDEN, "", "the rates of all departments are for the office, supervisors and admins")
	}
	if from, to, err = window(); err != nil {
		return from, to, nil, err
	}
	if !from.Before(to) {
		return from, to, nil, hall.Errorf(hall.EINVALID, "from", "from must be before to")
	}
	if st, err = cs.Stats(ctx, from, to); err != nil {
		return from, to, nil, err
	}
	if st == nil {
		st = []hall.DepartmentStats{}
	}
	return from, to, st, nil
}

// Related returns the cases related to the case with this ID or number that the principal
// may see: its original, its duplicates, then up to RelatedMax similar requests of the last
// RelatedDays days, most similar first.
func (s *Service) Related(ctx context.Context, p *hall.Principal, id string) ([]RelatedCase, error) {
	cs, c, err := s.staffCase(ctx, p, id)
	if err != nil {
		return nil, err
	}
	out := []RelatedCase{}
	seen := map[string]bool{c.Number: true}
	link := func(num, rel string) {
		if seen[num] {
			return
		}
		x, err := cs.Get(ctx, num)
		if err != nil || !Sees(p, x) {
			return
		}
		seen[num] = true
		out = append(out, RelatedCase{Case: x, Relation: rel})
	}
	if c.DuplicateOf != "" {
		link(c.DuplicateOf, RelOriginal)
	}
	for _, d := range c.Duplicates {
		link(d, RelDuplicate)
	}
	f, err := Scope(p, hall.CaseFilter{Since: s.cfg.Now().Add(-RelatedDays * 24 * time.Hour), Limit: relatedPool})
	if err != nil {
		return nil, err
	}
	pool, err := cs.List(ctx, f)
	if err != nil {
		return nil, err
	}
	pool = slices.DeleteFunc(pool, func(x hall.Case) bool { return !Sees(p, &x) || seen[x.Number] })
	return append(out, Related(c, pool, RelatedMax, RelatedMinSim)...), nil
}

// topics returns the topic service, EUNAVAILABLE when there is none.
func (s *Service) topics() (hall.TopicService, error) {
	if s.cfg.Topics == nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "hot topics are not configured on this server")
	}
	return s.cfg.Topics, nil
}

// Topics returns the hot topics of the last days, best first: for the office only.
func (s *Service) Topics(ctx context.Context, p *hall.Principal, days int) ([]hall.Topic, error) {
	if err := CheckOffice(p); err != nil {
		return nil, err
	}
	ts, err := s.topics()
	if err != nil {
		return nil, err
	}
	top, err := ts.Topics(ctx, days)
	if err != nil {
		return nil, err
	}
	if top == nil {
		top = []hall.Topic{}
	}
	return top, nil
}

// NoticeOf is the notice line text of a topic's answer: a prefix, and the answer shortened to
// the notice line's 200 characters.
func NoticeOf(t hall.Text) hall.Text {
	clip := func(prefix, s string) string {
		if s == "" {
			return ""
		}
		max := 200 - utf8.RuneCountInString(prefix)
		if utf8.RuneCountInString(s) > max {
			s = string([]rune(s)[:max-1]) + "…"
		}
		return prefix + s
	}
	return hall.Text{Zh: clip("热点答复：", t.Zh), En: clip("Answer: ", t.En)}
}

// AnswerTopic publishes (or replaces) the office's answer on the hot topic with this ID among
// the topics of the last days: a notice on every hall's notice line, the answer recorded with
// those notices and linked to the topic's cases (their follow pages show it), then the notices
// of the answer it replaces withdrawn.
//
// It is all or nothing: the answer is checked before anything is published; when a hall's
// notice or the record fails, the notices published so far are withdrawn again and the error
// returned, so no hall shows an answer that is not recorded and the replaced answer stays in
// place. Only withdrawing the replaced notices comes after the record; a failure there leaves
// an old notice beside the new one and is logged.
func (s *Service) AnswerTopic(ctx context.Context, p *hall.Principal, id string, days int, text hall.Text) (*hall.TopicAnswer, error) {
	if err := CheckOffice(p); err != nil {
		return nil, err
	}
	ts, err := s.topics()
	if err != nil {
		return nil, err
	}
	if id == "" || len(id) > 64 {
		return nil, hall.Errorf(hall.ENOTFOUND, "topic", "no topic %q", id)
	}
	a, err := ts.PrepareAnswer(ctx, id, days, text, p.Subject)
	if err != nil {
		return nil, err
	}
	replaced := a.Notices
	a.Notices = nil
	if s.cfg.Notices != nil {
		a.Notices = []hall.TopicNotice{}
		line := NoticeOf(a.Text)
		halls := s.cfg.Halls
		if s.cfg.HallCodes != nil {
			halls = s.cfg.HallCodes()
		}
		for _, h := range halls {
			n, err := s.cfg.Notices.PublishNotice(ctx, h, line, p.Subject)
			if err != nil {
				s.withdraw(a.Notices, p.Subject, "undo a topic answer that failed")
				return nil, err
			}
			a.Notices = append(a.Notices, hall.TopicNotice{Hall: h, Notice: n.ID})
		}
	} else {
		a.Notices = replaced // nothing to publish: the record keeps what it had
	}
	if err := ts.RecordAnswer(ctx, *a, replaced); err != nil {
		if s.cfg.Notices != nil {
			s.withdraw(a.Notices, p.Subject, "undo a topic answer that failed")
		}
		return nil, err
	}
	if s.cfg.Notices != nil {
		s.withdraw(replaced, p.Subject, "withdraw a replaced topic answer")
	}
	return a, nil
}

// withdraw takes notices off the halls' notice lines, logging what fails (a notice already
// gone is fine). It runs on its own context: an undo must not be cut short by the request's
// end (a client that hung up mid-answer).
func (s *Service) withdraw(ns []hall.TopicNotice, by, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range ns {
		if err := s.cfg.Notices.WithdrawNotice(ctx, n.Hall, n.Notice, by); err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
			s.cfg.Log.Warn(why, "hall", n.Hall, "notice", n.Notice, "err", err)
		}
	}
}
