package enginehost

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

var _ hall.CampusService = (*Queue)(nil)

// CampusStore is what a QueueStore implements so that the campus can change while the server
// runs (ApplyCampus): the buckets of a new hall, and the campus record prepared as one more
// write of the committer's batch, so that the record and every hall's change are one
// transaction.
type CampusStore interface {
	// EnsureHall makes the store ready for a new hall's log.
	EnsureHall(code string) error
	// PrepareCampus prepares the write of the campus record (the campus and its version).
	PrepareCampus(c hall.Campus, version uint64) (any, error)
}

// Campus returns the current campus and its version (opaque to clients).
func (q *Queue) Campus() (hall.Campus, string) {
	q.cfgMu.RLock()
	defer q.cfgMu.RUnlock()
	return q.campus, strconv.FormatUint(q.version, 10)
}

// OnCampusChange registers fn, called with the new campus after each applied change (in the
// applying goroutine, before ApplyCampus returns): the case engine's departments and calendar,
// the long list's departments, the HTTP server's caches.
func (q *Queue) OnCampusChange(fn func(hall.Campus)) {
	q.applyMu.Lock()
	q.onCampus = append(q.onCampus, fn)
	q.applyMu.Unlock()
}

// CheckCampus registers check, which ApplyCampus asks before a change (after the campus itself
// is valid): the problems it lists refuse the change (the case system's departments with open
// cases, CampusProblems).
func (q *Queue) CheckCampus(check func(context.Context, hall.Campus) []*hall.Error) {
	q.applyMu.Lock()
	q.checks = append(q.checks, check)
	q.applyMu.Unlock()
}

// ApplyCampus validates the campus c and makes it the current one at once, when version is the
// current version: every hall's queue engine is reconfigured (queue.Engine.Reconfigure: a
// campus.changed event each), new halls start, and the campus record and all the halls' changes
// are committed in one transaction, so that a crash leaves the old campus or the new one, never
// a mix. It returns the new version.
//
// Errors change nothing: EUNPROCESSABLE listing every problem in Details (field paths from the
// campus root, e.g. "halls[1].counters[0].services[2]"), for an invalid campus or one that would
// leave a ticket without a counter to call it; ECONFLICT when version is not the current one;
// EUNAVAILABLE when the commit failed.
func (q *Queue) ApplyCampus(ctx context.Context, c hall.Campus, version, actor string) (string, error) {
	cs, ok := q.store.(CampusStore)
	if !ok {
		return "", hall.Errorf(hall.EUNAVAILABLE, "", "this store cannot change the campus while the server runs")
	}
	q.applyMu.Lock()
	defer q.applyMu.Unlock()
	cur, curVersion := q.Campus()
	if version != curVersion {
		return "", hall.Errorf(hall.ECONFLICT, "version", "the campus has changed since version %s (now %s): get it again and reapply your edit", version, curVersion)
	}
	var probs []*hall.Error
	for _, p := range c.Problems() {
		p.Code = hall.EUNPROCESSABLE
		probs = append(probs, p)
	}
	if c.TimeZone != cur.TimeZone {
		probs = append(probs, hall.Errorf(hall.EUNPROCESSABLE, "timeZone", "the time zone cannot change on a running campus (it dates every ticket and case)"))
	}
	if len(probs) > 0 {
		return "", problems(probs)
	}
	for _, check := range q.checks {
		probs = append(probs, check(ctx, c)...)
	}
	// Halls that leave must have nothing open.
	for _, h := range cur.Halls {
		if _, kept := c.Hall(h.Code); kept {
			continue
		}
		l, ok := q.host.Log(h.Code)
		if !ok {
			continue
		}
		var open int
		err := l.View(ctx, func(e *queue.Engine, _ time.Time) { open = e.OpenTickets() })
		if err != nil {
			return "", err
		}
		if open > 0 {
			probs = append(probs, hall.Errorf(hall.EUNPROCESSABLE, "halls", "hall %s still has %d open tickets: keep it until they are served or the day ends", h.Code, open))
		}
	}
	if len(probs) > 0 {
		return "", problems(probs)
	}
	for _, h := range c.Halls {
		if _, ok := q.host.Log(h.Code); ok {
			continue
		}
		if err := cs.EnsureHall(h.Code); err != nil {
			return "", hall.Errorf(hall.EUNAVAILABLE, "", "prepare hall %s: %v", h.Code, err)
		}
		q.cfgMu.Lock()
		q.starting[h.Code] = h // its engine starts from this configuration, unreachable until applied
		q.cfgMu.Unlock()
		if _, err := q.host.AddLog(h.Code); err != nil {
			return "", hall.Errorf(hall.EUNAVAILABLE, "", "start hall %s: %v", h.Code, err)
		}
	}
	// Lock every hall of the new campus in a fixed order, reconfigure copies of the engines.
	codes := make([]string, 0, len(c.Halls))
	for _, h := range c.Halls {
		codes = append(codes, h.Code)
	}
	slices.Sort(codes)
	logs := make([]*hallLog, len(codes))
	for i, code := range codes {
		logs[i], _ = q.host.Log(code)
		logs[i].Lock()
	}
	unlock := func() {
		for _, l := range logs {
			l.Unlock()
		}
	}
	cal, err := cases.CampusCalendar(&c)
	if err != nil { // Campus.Problems refuses such a calendar
		unlock()
		return "", hall.Errorf(hall.EUNPROCESSABLE, "calendar", "%v", err)
	}
	now := q.now()
	changes := make([]GroupChange[*queue.Engine, queue.Change], 0, len(codes))
	for i, code := range codes {
		eng, err := logs[i].Engine()
		if err != nil {
			unlock()
			return "", err
		}
		hi := slices.IndexFunc(c.Halls, func(h hall.Hall) bool { return h.Code == code })
		next := eng.Clone()
		next.SetCalendar(cal) // the new calendar's holidays and workdays open and close the services
		ch, err := next.Reconfigure(now, c.Halls[hi], actor)
		if err != nil {
			for _, d := range detailsOf(err) {
				d.Field = prefixField(fmt.Sprintf("halls[%d]", hi), d.Field)
				probs = append(probs, d)
			}
			continue
		}
		changes = append(changes, GroupChange[*queue.Engine, queue.Change]{Log: code, Engine: next, Change: ch})
	}
	if len(probs) > 0 {
		unlock()
		return "", problems(probs)
	}
	nextVersion := q.version + 1
	rec, err := cs.PrepareCampus(c, nextVersion)
	if err != nil {
		unlock()
		return "", hall.Errorf(hall.EINTERNAL, "", "prepare campus record: %v", err)
	}
	reqs, err := q.host.EnqueueGroup(changes, []any{rec})
	unlock()
	if err != nil {
		return "", err
	}
	var failed error
	for _, r := range reqs {
		// The commit is never aborted by ctx: wait for it whatever happens to the request.
		if err := r.Wait(context.WithoutCancel(ctx)); err != nil && failed == nil {
			failed = err
		}
	}
	if failed != nil {
		return "", failed
	}
	halls := make(map[string]hall.Hall, len(c.Halls))
	for _, h := range c.Halls {
		halls[h.Code] = h
	}
	q.cfgMu.Lock()
	q.campus, q.version, q.halls, q.days = c, nextVersion, halls, cal
	clear(q.starting)
	q.cfgMu.Unlock()
	for _, fn := range q.onCampus {
		fn(c)
	}
	return strconv.FormatUint(nextVersion, 10), nil
}

// problems is one error listing every problem in Details; its own field and message are the
// first one's.
func problems(ps []*hall.Error) error {
	e := *ps[0]
	if len(ps) > 1 {
		e.Message = fmt.Sprintf("%s (and %d more problems)", e.Message, len(ps)-1)
	}
	e.Details = ps
	return &e
}

// detailsOf returns the problems an error lists (itself when it lists none).
func detailsOf(err error) []*hall.Error {
	he, ok := err.(*hall.Error)
	if !ok {
		return []*hall.Error{hall.Errorf(hall.ErrorCode(err), "", "%v", err)}
	}
	if len(he.Details) > 0 {
		return he.Details
	}
	return []*hall.Error{he}
}

// prefixField puts a field path under prefix ("halls[1]" + "counters" → "halls[1].counters").
func prefixField(prefix, field string) string {
	if field == "" {
		return prefix
	}
	return prefix + "." + field
}
