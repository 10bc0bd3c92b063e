package enginehost

import (
	"container/heap"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

var (
	_ hall.CaseService = (*Cases)(nil)
	_ hall.CaseLog     = (*Cases)(nil)
)

// CaseTickInterval is how often the tick loop runs the case engine's time rules (warnings,
// escalations, automatic archiving).
const CaseTickInterval = time.Minute

// CaseIdempotencyTTL is how long an idempotency key of Open keeps returning its case. A kiosk's
// outbox may hold a request while the server is away, so it is longer than for tickets.
const CaseIdempotencyTTL = 7 * 24 * time.Hour

// caseLogName names the one log of the case host.
const caseLogName = "cases"

// caseLog is the case log in the engine host.
type caseLog = Log[*cases.Engine, cases.Change, hall.CaseEvent, any]

// Cases runs the case workflow engine (package cases) on a CaseStore. It implements
// hall.CaseService, hall.CaseLog and hall.CaseReports.
//
// It is the case system's configuration of the Host: one log, its own group committer, publish
// after the commit; a failed commit rebuilds the engine and its router from the store. The
// engine keeps only open cases; closed ones are read from the store.
type Cases struct {
	// cfgMu guards campus, cfg.Departments and cfg.Calendar, which a campus change replaces
	// (SetCampus); the engine's copy changes under the log's lock.
	cfgMu  sync.RWMutex
	campus hall.Campus
	cfg    cases.Config
	now    func() time.Time
	store  CaseStore
	fp     Failpoint
	host   *Host[*cases.Engine, cases.Change, hall.CaseEvent, any]
	log    *caseLog

	router atomic.Pointer[cases.Router] // the engine's router (safe for concurrent Route)
	// firstRouter is cfg.Router, used by the first load only (under the log's lock).
	firstRouter *cases.Router
}

// CaseOption configures Cases.
type CaseOption func(*Cases)

// WithCaseFailpoint sets the fault injection hook (tests).
func WithCaseFailpoint(fp Failpoint) CaseOption { return func(s *Cases) { s.fp = fp } }

// NewCases loads the case system from the store: its meta and open cases (never the history) and
// the router examples learned from re-routings, which it replays into the router before serving.
// It then starts the group committer and the tick loop. cfg is the engine configuration (demo
// catalogue and calendar when nil; the departments default to the campus's when it lists any,
// and the calendar's time zone to the campus's); now is the clock (time.Now when nil). After a
// failed commit the router is rebuilt with cases.NewRouter from the catalogue plus the learned
// examples, whatever cfg.Router was.
func NewCases(ctx context.Context, store CaseStore, campus hall.Campus, cfg cases.Config, now func() time.Time, opts ...CaseOption) (*Cases, error) {
	if now == nil {
		now = time.Now
	}
	if cfg.Catalogue == nil {
		cfg.Catalogue = cases.DemoCatalogue()
	}
	if cfg.Calendar == nil {
		cfg.Calendar = cases.DemoCalendar()
		if loc, err := campus.Location(); err == nil && campus.TimeZone != "" {
			cfg.Calendar.Loc = loc
		}
	}
	if len(cfg.Departments) == 0 {
		for _, d := range campus.Departments {
			cfg.Departments = append(cfg.Departments, d.Code)
		}
	}
	s := &Cases{campus: campus, cfg: cfg, now: now, store: store, firstRouter: cfg.Router}
	for _, o := range opts {
		o(s)
	}
	var err error
	s.host, err = New(ctx, Config[*cases.Engine, cases.Change, hall.CaseEvent]{
		Logs:      []string{caseLogName},
		Load:      s.load,
		Events:    func(ch cases.Change) []hall.CaseEvent { return ch.Events },
		EventSeq:  func(ev hall.CaseEvent) uint64 { return ev.Seq },
		Seq:       func(ch cases.Change) uint64 { return ch.Meta.Seq },
		Empty:     cases.Change.Empty,
		Tick:      (*cases.Engine).Tick,
		TickEvery: CaseTickInterval,
		Prune:     func(now time.Time) { store.PruneIdem(CaseIdempotencyTTL, now) },
		Now:       now,
		Closing:   hall.Errorf(hall.EUNAVAILABLE, "", "the case system is shutting down"),
		Failpoint: s.fp,
	}, store)
	if err != nil {
		return nil, err
	}
	s.log, _ = s.host.Log(caseLogName)
	return s, nil
}

// load (re)builds the engine from the meta, the open-case index and the learned examples
// (Config.Load). The first load uses cfg.Router; later ones train a new router on the
// catalogue.
func (s *Cases) load(string) (*cases.Engine, uint64, error) {
	meta, open, learned, err := s.store.LoadCases()
	if err != nil {
		return nil, 0, err
	}
	s.cfgMu.RLock()
	cfg := s.cfg
	s.cfgMu.RUnlock()
	router := s.firstRouter
	if router == nil {
		router = cases.NewRouter(cfg.Catalogue)
	}
	for _, ex := range learned {
		router.LearnExample(ex)
	}
	cfg.Router = router
	eng, err := cases.Restore(cfg, meta, open)
	if err != nil {
		return nil, 0, fmt.Errorf("restore cases: %w", err)
	}
	s.firstRouter = nil
	s.router.Store(router)
	return eng, meta.Seq, nil
}

// Close stops the tick loop, commits every change already handed to the committer, stops it and
// closes all subscriptions. It does not close the DB.
func (s *Cases) Close() error {
	s.host.Close()
	return nil
}

// EventsAfter returns at most limit committed case events with a seq above after, oldest first.
// Unlike Since it has no replay window: a deliverer that was away for long reads the whole log in
// pages. Events are only ever read once committed.
func (s *Cases) EventsAfter(ctx context.Context, after uint64, limit int) ([]hall.CaseEvent, error) {
	return s.log.EventsAfter(ctx, after, limit)
}

// CommitStats returns the committer's figures (batches, changes, batch sizes).
func (s *Cases) CommitStats() CommitStats { return s.host.Stats() }

// Tick runs the engine's time rules now (warnings, escalations, archiving) and waits until their
// change is durable. The tick loop runs them every CaseTickInterval; tests call it directly.
func (s *Cases) Tick(ctx context.Context) error { return s.log.Tick(ctx) }

// ---- hall.CaseService ----

// Open logs a new case, routes it and returns once it is durable. With an idempotency key seen
// from the same source (device or staff) within CaseIdempotencyTTL it returns the case created
// then, as it is now.
func (s *Cases) Open(ctx context.Context, req hall.OpenCaseRequest) (*hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req.Hall != "" {
		s.cfgMu.RLock()
		_, ok := s.campus.Hall(req.Hall)
		s.cfgMu.RUnlock()
		if !ok {
			return nil, hall.Errorf(hall.ENOTFOUND, "hall", "no hall %q", req.Hall)
		}
	}
	idemKey := ""
	if req.IdempotencyKey != "" {
		idemKey = req.Source + "\x00" + req.IdempotencyKey
	}
	token := newFollowToken()
	l := s.log
	l.Lock()
	if idemKey != "" {
		if r, ok := l.Pending(idemKey); ok {
			// The same key is being committed right now: answer with its case once durable.
			l.Unlock()
			if err := r.Wait(ctx); err != nil {
				return nil, err
			}
			return s.Get(ctx, r.IdemID())
		}
		rec, err := s.store.Idem(idemKey)
		if err != nil {
			l.Unlock()
			return nil, err
		}
		if rec.ID != "" && s.now().Sub(rec.At) <= CaseIdempotencyTTL {
			l.Unlock()
			return s.Get(ctx, rec.ID)
		}
	}
	eng, err := l.Engine()
	if err != nil {
		l.Unlock()
		return nil, err
	}
	if req.FollowToken != "" {
		if err := s.tokenFree(ctx, eng, req.FollowToken); err != nil {
			l.Unlock()
			return nil, err
		}
		token = req.FollowToken
	}
	now := s.now()
	// Like ticket IDs: the next event seq is never reused by a committed case.
	id := "case-" + now.In(eng.Calendar().Loc).Format("20060102") + "-" + strconv.FormatUint(l.Seq()+1, 10)
	c, ch, err := eng.Open(now, req, id, token)
	if err != nil {
		l.Unlock()
		return nil, err
	}
	r, err := l.Enqueue(ch, idemKey, id)
	l.Unlock()
	if err != nil {
		return nil, err
	}
	if err := r.Wait(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// tokenFree checks that a proposed follow token is well formed and no case has it (open in the
// engine, or closed in the store). Call it with the log locked.
func (s *Cases) tokenFree(ctx context.Context, eng *cases.Engine, token string) error {
	if !hall.IsFollowToken(token) {
		return hall.Errorf(hall.EINVALID, "followToken", "followToken is not 32 characters of base32")
	}
	if _, ok := eng.CaseByToken(token); ok {
		return hall.Errorf(hall.ECONFLICT, "followToken", "followToken is in use")
	}
	c, err := s.store.ReadCase(ctx, token, true)
	if err != nil {
		return fmt.Errorf("check follow token: %w", err)
	}
	if c != nil {
		return hall.Errorf(hall.ECONFLICT, "followToken", "followToken is in use")
	}
	return nil
}

// Get returns a committed case by ID or number (open or closed; staff view).
func (s *Cases) Get(ctx context.Context, id string) (*hall.Case, error) {
	c, err := s.store.ReadCase(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "case", "no case %q", id)
	}
	return c, nil
}

// GetByToken returns the public view of the committed case with this follow token.
func (s *Cases) GetByToken(ctx context.Context, token string) (*hall.Case, error) {
	c, err := s.store.ReadCase(ctx, token, true)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "token", "no case with this token")
	}
	p := c.Public()
	return &p, nil
}

// List returns the cases matching the filter, most urgent first (cases.Filter): open cases from
// the engine (once their state is durable), closed ones from the store, newest first. A filter
// that only open cases can pass (Open, Overdue, or only open states) reads no closed case.
func (s *Cases) List(ctx context.Context, f hall.CaseFilter) ([]hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.Text != "" {
		return s.search(ctx, f)
	}
	var open []hall.Case
	var now time.Time
	err := s.log.View(ctx, func(eng *cases.Engine, t time.Time) {
		now = t
		open = open[:0]
		// Shallow copies of the matching cases only: the engine never changes an installed
		// case (Engine.EachOpen), so they may share its lists.
		eng.EachOpen(func(c *hall.Case) {
			if cases.Match(c, f, now) {
				open = append(open, *c)
			}
		})
	})
	if err != nil {
		return nil, err
	}
	out := cases.Filter(open, f, now)
	if !wantsClosed(f) || (f.Limit > 0 && countHandling(out) >= f.Limit) {
		return out, nil
	}
	closed, err := s.store.ClosedCases(ctx, f, now)
	if err != nil {
		return nil, err
	}
	return cases.Filter(append(out, closed...), f, now), nil
}

// search answers a list with a search (f.Text): the cases the store's index finds that pass the
// rest of the filter, best match first (an exact number or phone, then the most of the query's
// tokens; among equals the newest), the requester's phone and name counting only as f.Contact
// allows. The hits are read in the order of the best score they could have, and the reading
// stops once f.Limit cases score at least that: a query reads about f.Limit cases, not every
// case it matches.
func (s *Cases) search(ctx context.Context, f hall.CaseFilter) ([]hall.Case, error) {
	q := cases.ParseQuery(f.Text)
	if q.Empty() {
		return []hall.Case{}, nil
	}
	hits, err := s.store.SearchCases(ctx, q, f.Department)
	if err != nil {
		return nil, err
	}
	best := func(h *cases.SearchHit) int { return h.Score(q, true) }
	hits = slices.DeleteFunc(hits, func(h cases.SearchHit) bool { return best(&h) == 0 })
	// The hits in the order of their best score, then newest (case IDs by day and seq): a heap,
	// popped while needed, not a sort of every hit (a common word finds thousands).
	hh := &hitHeap{hits: hits, best: best}
	heap.Init(hh)
	want := make(map[string]bool, len(hits))
	for i := range hits {
		want[hits[i].ID] = true
	}
	open := map[string]hall.Case{}
	var now time.Time
	err = s.log.View(ctx, func(eng *cases.Engine, t time.Time) {
		now = t
		clear(open)
		eng.EachOpen(func(c *hall.Case) {
			if want[c.ID] {
				open[c.ID] = *c
			}
		})
	})
	if err != nil {
		return nil, err
	}
	rest := f
	rest.Text, rest.Limit = "", 0
	type found struct {
		c     hall.Case
		score int
	}
	var out []found
	limit := f.Limit
	if limit <= 0 {
		limit = len(hits)
	}
	for hh.Len() > 0 {
		h := heap.Pop(hh).(*cases.SearchHit)
		if len(out) >= limit {
			n := 0
			for j := range out {
				if out[j].score >= best(h) {
					n++
				}
			}
			if n >= limit {
				break
			}
		}
		c, ok := open[h.ID]
		if !ok {
			read, err := s.store.ReadCase(ctx, h.ID, false)
			if err != nil {
				return nil, err
			}
			if read == nil {
				continue
			}
			c = *read
		}
		if !cases.Match(&c, rest, now) {
			continue
		}
		if sc := h.Score(q, cases.Personal(f, &c)); sc > 0 {
			out = append(out, found{c, sc})
		}
	}
	slices.SortStableFunc(out, func(a, b found) int {
		if a.score != b.score {
			return b.score - a.score
		}
		return b.c.ReceivedAt.Compare(a.c.ReceivedAt)
	})
	list := make([]hall.Case, 0, min(len(out), limit))
	for i := 0; i < len(out) && i < limit; i++ {
		list = append(list, out[i].c)
	}
	return list, nil
}

// hitHeap orders search hits by their best score, then by case ID, newest first (idNewer).
type hitHeap struct {
	hits []cases.SearchHit
	best func(*cases.SearchHit) int
}

func (h *hitHeap) Len() int { return len(h.hits) }
func (h *hitHeap) Less(i, j int) bool {
	a, b := &h.hits[i], &h.hits[j]
	if sa, sb := h.best(a), h.best(b); sa != sb {
		return sa > sb
	}
	return idNewer(a.ID, b.ID)
}
func (h *hitHeap) Swap(i, j int) { h.hits[i], h.hits[j] = h.hits[j], h.hits[i] }
func (h *hitHeap) Push(x any)    { h.hits = append(h.hits, *x.(*cases.SearchHit)) }
func (h *hitHeap) Pop() any {
	n := len(h.hits) - 1
	x := h.hits[n]
	h.hits = h.hits[:n]
	return &x
}

// idNewer reports whether the case ID a (case-{yyyymmdd}-{seq}) was opened after b: a later
// day, or the same day and a higher seq (longer, or equally long and greater).
func idNewer(a, b string) bool {
	ia, ib := strings.LastIndexByte(a, '-'), strings.LastIndexByte(b, '-')
	if ia < 0 || ib < 0 || a[:ia] != b[:ib] {
		return a > b
	}
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// wantsClosed reports whether a final case can pass the filter.
func wantsClosed(f hall.CaseFilter) bool {
	if f.Open || f.Overdue {
		return false
	}
	if len(f.States) == 0 {
		return true
	}
	for _, st := range f.States {
		if st.Final() {
			return true
		}
	}
	return false
}

// countHandling counts the cases being handled (which Filter ranks before all others).
func countHandling(cs []hall.Case) int {
	n := 0
	for i := range cs {
		if cs[i].State.Handling() {
			n++
		}
	}
	return n
}

// Act performs a staff action and returns once it is durable. An action on a closed case is a
// conflict (ECONFLICT), not "not found".
func (s *Cases) Act(ctx context.Context, a hall.CaseAction) (*hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.command(ctx, s.actWithFiles(ctx, a))
	if hall.ErrorCode(err) == hall.ENOTFOUND && hall.ErrorField(err) == "case" {
		if old, _ := s.store.ReadCase(ctx, a.Case, false); old != nil && old.State.Final() {
			return nil, hall.Errorf(hall.ECONFLICT, "state", "case %s is closed (%s)", old.Number, old.State)
		}
	}
	return c, err
}

// command runs one engine command and waits until its change is durable.
func (s *Cases) command(ctx context.Context, cmd func(eng *cases.Engine, now time.Time) (*hall.Case, cases.Change, error)) (*hall.Case, error) {
	var c *hall.Case
	err := s.log.Apply(ctx, func(eng *cases.Engine, now time.Time) (ch cases.Change, err error) {
		c, ch, err = cmd(eng, now)
		return ch, err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// byToken runs a requester's command and returns the public view of the case; a closed case is
// a conflict.
func (s *Cases) byToken(ctx context.Context, token string, cmd func(eng *cases.Engine, now time.Time) (*hall.Case, cases.Change, error)) (*hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.command(ctx, cmd)
	if err != nil {
		if hall.ErrorCode(err) == hall.ENOTFOUND {
			if old, _ := s.store.ReadCase(ctx, token, true); old != nil && old.State.Final() {
				return nil, hall.Errorf(hall.ECONFLICT, "state", "case %s is closed", old.Number)
			}
		}
		return nil, err
	}
	p := c.Public()
	return &p, nil
}

// Rate records the requester's rating (1–2 stars reopen the case) and returns the public view.
func (s *Cases) Rate(ctx context.Context, token string, r hall.Rating) (*hall.Case, error) {
	return s.byToken(ctx, token, func(eng *cases.Engine, now time.Time) (*hall.Case, cases.Change, error) {
		return eng.RateVia(now, token, r.Stars, r.Comment, r.Channel)
	})
}

// AddDetails appends the requester's details and returns the public view.
func (s *Cases) AddDetails(ctx context.Context, token string, text string) (*hall.Case, error) {
	return s.byToken(ctx, token, func(eng *cases.Engine, now time.Time) (*hall.Case, cases.Change, error) {
		return eng.AddDetails(now, token, text)
	})
}

// Route suggests a department for a text (no state change, no lock on the engine).
func (s *Cases) Route(ctx context.Context, text string) (*hall.RouteResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := s.router.Load().Route(text)
	return &r, nil
}

// ForgetRoutes undoes the re-routes the router learned from the staff member by: the store
// records it first (so a restart leaves them out), then the router drops them. It runs under the
// log's lock, so a re-route by the same user is either before (undone) or after (kept) in both.
func (s *Cases) ForgetRoutes(ctx context.Context, by string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if strings.TrimSpace(by) == "" {
		return 0, hall.Errorf(hall.EINVALID, "username", "username is required")
	}
	n := 0
	err := s.log.Apply(ctx, func(eng *cases.Engine, now time.Time) (cases.Change, error) {
		if err := s.store.ForgetRoutes(by, eng.Meta().Seq, now); err != nil {
			return cases.Change{}, err
		}
		n = s.router.Load().Forget(by)
		return cases.Change{}, nil
	})
	return n, err
}

// Stats returns the per-department figures for the cases received in [from, to), read from the
// store (committed state).
func (s *Cases) Stats(ctx context.Context, from, to time.Time) ([]hall.DepartmentStats, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return []hall.DepartmentStats{}, nil
	}
	cs, err := s.ReportCases(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return cases.StatsOf(cs, from, to, s.now()), nil
}

// Router returns the engine's current router (safe for concurrent Route; a failed commit
// replaces it with one rebuilt from the store).
func (s *Cases) Router() *cases.Router { return s.router.Load() }

// Catalogue returns the dispatch catalogue.
func (s *Cases) Catalogue(ctx context.Context) (*hall.Catalogue, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.cfg.Catalogue, nil
}

// Meta returns the engine meta (last seq, day and number of the last case).
func (s *Cases) Meta() cases.Meta {
	s.log.Lock()
	defer s.log.Unlock()
	eng, err := s.log.Engine()
	if err != nil {
		return cases.Meta{Seq: s.log.Committed()}
	}
	return eng.Meta()
}

// Calendar returns the business calendar the limits run on.
func (s *Cases) Calendar() *cases.Calendar {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg.Calendar
}

// departmentsFor returns the departments cases may go to with the campus c: the supervising
// office, the campus's, and those the catalogue names.
func (s *Cases) departmentsFor(c hall.Campus) []string {
	seen := map[string]bool{hall.OfficeDepartment: true}
	out := []string{hall.OfficeDepartment}
	for _, d := range c.Departments {
		if !seen[d.Code] {
			seen[d.Code] = true
			out = append(out, d.Code)
		}
	}
	for _, k := range s.cfg.Catalogue.Categories {
		if !seen[k.Department] {
			seen[k.Department] = true
			out = append(out, k.Department)
		}
	}
	return out
}

// CampusProblems lists what stops the campus c from being applied to the case system: a
// department that would go while it has open cases (fields from the campus root).
func (s *Cases) CampusProblems(ctx context.Context, c hall.Campus) []*hall.Error {
	keep := map[string]bool{}
	for _, d := range s.departmentsFor(c) {
		keep[d] = true
	}
	var inUse map[string]int
	if err := s.log.View(ctx, func(e *cases.Engine, _ time.Time) { inUse = e.DepartmentsInUse() }); err != nil {
		return []*hall.Error{hall.Errorf(hall.EUNAVAILABLE, "", "read the case system: %v", err)}
	}
	var out []*hall.Error
	for _, d := range slices.Sorted(maps.Keys(inUse)) {
		if !keep[d] {
			out = append(out, hall.Errorf(hall.EUNPROCESSABLE, "departments", "department %s still has %d open cases: keep it until they are closed", d, inUse[d]))
		}
	}
	return out
}

// SetCampus gives the case system the departments and business calendar of the campus c at
// once (a live campus change, after CampusProblems found nothing).
func (s *Cases) SetCampus(c hall.Campus) error {
	cal, err := cases.CampusCalendar(&c)
	if err != nil {
		return err
	}
	depts := s.departmentsFor(c)
	s.log.Lock()
	defer s.log.Unlock()
	if eng, err := s.log.Engine(); err == nil {
		if err := eng.SetCampus(depts, cal); err != nil {
			return err
		}
	}
	s.cfgMu.Lock()
	s.campus, s.cfg.Departments, s.cfg.Calendar = c, depts, cal
	s.cfgMu.Unlock()
	return nil
}

// ---- hall.CaseLog ----

// Since returns the committed case events after seq, oldest first. ok is false when seq is ahead
// of the log or more than MaxReplay events behind it.
//
// To follow the log without a gap, Subscribe first, then call Since, and drop subscribed events
// whose Seq is not above the last one already handled.
func (s *Cases) Since(ctx context.Context, seq uint64) ([]hall.CaseEvent, bool, error) {
	return s.log.Since(ctx, seq)
}

// LastSeq returns the seq of the last committed case event.
func (s *Cases) LastSeq() uint64 { return s.log.Committed() }

// Subscribe delivers every case event committed after the call, in order. The channel is closed
// by cancel, by Close, or when the subscriber falls more than buffer events behind. Events are
// shared by all subscribers: read them, never modify them.
func (s *Cases) Subscribe(buffer int) (<-chan hall.CaseEvent, func()) {
	return s.log.Subscribe(buffer)
}
