package bolt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/authkit"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

// The audit trail (layout: doc.go, "Audit trail"). Three kinds of sources, read as one list,
// newest first:
//   - the audit bucket: sign-ins (and failures), sign-outs, staff and device changes, backups
//     (and, through PutAudit, whatever another store writes in its own transaction);
//   - each hall's event log (events/{hall} and the queue WAL's overlay): the counter actions,
//     with the staff member who acted as the event's actor, written in the same WAL record as
//     the change. Nothing is written twice on the issue/call path;
//   - the case log (cases.events): every case action with its actor.

// DefaultAuditRetention is how long audit entries are kept unless configured.
const DefaultAuditRetention = 3 * 365 * 24 * time.Hour

// Audit work bounds.
const (
	// auditScanMax is the most records one request reads across all sources; a page that
	// reaches it ends early with a cursor.
	auditScanMax = 5000
	// auditMaxLimit and auditDefaultLimit bound a page.
	auditMaxLimit     = 500
	auditDefaultLimit = 100
	// auditPruneBatch is the most entries one pruning transaction deletes.
	auditPruneBatch = 1000
)

var bucketAudit = []byte("audit")

// PutAudit writes an audit entry inside tx (a write transaction): the entry is durable exactly
// when the change written in the same transaction is. Other stores (the campus configuration)
// call it in their own commit.
func PutAudit(tx *bbolt.Tx, e hall.AuditEntry) error {
	b, err := tx.CreateBucketIfNotExists(bucketAudit)
	if err != nil {
		return fmt.Errorf("bolt: audit bucket: %w", err)
	}
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("bolt: audit sequence: %w", err)
	}
	e = authkit.ClipAudit(e)
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("bolt: encode audit entry: %w", err)
	}
	return b.Put(auditKey(e.At, seq), v)
}

// auditKey is the key of an entry: its time (Unix ns) and the bucket's sequence, so keys sort by
// time and never collide.
func auditKey(at time.Time, seq uint64) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(max(at.UnixNano(), 0)))
	return binary.BigEndian.AppendUint64(k, seq)
}

// Audit is the audit trail of the file (hall.AuditLog): it reads the sources above and prunes
// its own bucket.
type Audit struct {
	db        *DB
	now       func() time.Time
	retention time.Duration
	log       *slog.Logger
	trail     AuditTrail
	halls     HallLogs
	cases     CaseLog
}

// AuditTrail keeps audit entries apart from the file (etcd's with -etcd: the accounts, devices
// and sessions are there): Record writes to it, Prune prunes it too, and Audit reads it with the
// file's sources. Its keys are hex and sort by time.
type AuditTrail interface {
	Record(ctx context.Context, e hall.AuditEntry) error
	// Prune deletes the entries before cut and returns how many.
	Prune(ctx context.Context, cut time.Time) (int, error)
	// Before returns at most n entries whose keys are below before ("": the newest), newest
	// first, with their keys.
	Before(ctx context.Context, before string, n int) ([]string, []hall.AuditEntry, error)
	// Bound is the key bound above every entry at or before t.
	Bound(t time.Time) string
}

// HallLogs are the halls' event logs kept apart from the file (etcd's with -etcd): their counter
// actions are audit entries as the file's hall logs are.
type HallLogs interface {
	// Halls returns the codes of the halls with a log.
	Halls(ctx context.Context) ([]string, error)
	// EventsBefore returns at most n events (JSON hall.Event) of the hall with seqs below
	// before, newest first, with their seqs.
	EventsBefore(ctx context.Context, code string, before uint64, n int) ([]uint64, [][]byte, error)
}

// CaseLog is the case event log kept apart from the file (etcd's with -etcd), stored as the
// file's (format 2).
type CaseLog interface {
	// CaseEventsBefore returns at most n stored case events with seqs below before, newest
	// first, with their seqs.
	CaseEventsBefore(ctx context.Context, before uint64, n int) ([]uint64, [][]byte, error)
}

// WithCaseLog returns the audit trail reading the case log l instead of the file's.
func (a *Audit) WithCaseLog(l CaseLog) *Audit {
	c := *a
	c.cases = l
	return &c
}

// WithHallLogs returns the audit trail of the file read together with the hall logs l.
func (a *Audit) WithHallLogs(l HallLogs) *Audit {
	c := *a
	c.halls = l
	return &c
}

// WithTrail returns the audit trail of the file read together with t, to which Record writes.
func (a *Audit) WithTrail(t AuditTrail) *Audit {
	c := *a
	c.trail = t
	return &c
}

var _ hall.AuditLog = (*Audit)(nil)

// NewAudit returns the audit trail of the file; retention 0 means DefaultAuditRetention, now
// nil time.Now, log nil discards.
func NewAudit(db *DB, retention time.Duration, now func() time.Time, log *slog.Logger) *Audit {
	if retention <= 0 {
		retention = DefaultAuditRetention
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Audit{db: db, now: now, retention: retention, log: log}
}

// Record writes an entry that changes nothing else (a backup) in its own transaction.
func (a *Audit) Record(ctx context.Context, e hall.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = a.now()
	}
	if a.trail != nil {
		return a.trail.Record(ctx, e)
	}
	if err := a.db.bolt.Update(func(tx *bbolt.Tx) error { return PutAudit(tx, e) }); err != nil {
		return hall.Errorf(hall.EUNAVAILABLE, "", "bolt: record audit entry: %v", err)
	}
	return nil
}

// Prune deletes the audit bucket's entries older than the retention, at most auditPruneBatch per
// transaction, and returns how many it deleted. The event logs keep their own history; their
// entries older than the retention are left out of every answer.
func (a *Audit) Prune(ctx context.Context) (int, error) {
	cut := binary.BigEndian.AppendUint64(nil, uint64(max(a.now().Add(-a.retention).UnixNano(), 0)))
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n := 0
		err := a.db.bolt.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucketAudit)
			if b == nil {
				return nil
			}
			c := b.Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k, cut) < 0 && n < auditPruneBatch; k, _ = c.Next() {
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("bolt: prune audit: %w", err)
		}
		total += n
		if n < auditPruneBatch {
			break
		}
	}
	if a.trail != nil {
		n, err := a.trail.Prune(ctx, a.now().Add(-a.retention))
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Run prunes now and then every interval until ctx ends.
func (a *Audit) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := a.Prune(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			a.log.Warn("audit prune", "err", err)
		} else if n > 0 {
			a.log.Info("audit entries pruned", "entries", n, "retention", a.retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// auditCursor is where each source continues: the audit bucket's next key (hex, inclusive; ""
// when done), the case log's and each hall's next seq (inclusive; 0 when done).
type auditCursor struct {
	A string            `json:"a"`
	C uint64            `json:"c"`
	H map[string]uint64 `json:"h"`
	// E is the trail's next key (inclusive; "" when done), X each hall log's kept apart from
	// the file (WithHallLogs).
	E string            `json:"e,omitempty"`
	X map[string]uint64 `json:"x,omitempty"`
}

func decodeCursor(s string) (*auditCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c auditCursor
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err == nil && c.A != "" {
		_, err = hex.DecodeString(c.A)
	}
	if err == nil && c.E != "" && len(c.E) <= 64 {
		_, err = hex.DecodeString(c.E)
	} else if len(c.E) > 64 {
		err = fmt.Errorf("trail key of %d bytes", len(c.E))
	}
	if err != nil || len(c.H) > 1000 || len(c.X) > 1000 {
		return nil, hall.Errorf(hall.EINVALID, "cursor", "not a cursor of this list")
	}
	return &c, nil
}

func (c *auditCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// auditSource reads one source backwards. next returns the next older record: done at the
// end, e.Kind "" for a record that is no audit entry (a ticket issued at a kiosk).
type auditSource struct {
	name string
	next func() (e hall.AuditEntry, done bool, err error)
	// pos is the position of the record next would read (for the cursor).
	pos  func() any
	head hall.AuditEntry
	done bool
}

// Audit returns a page of entries, newest first.
func (a *Audit) Audit(ctx context.Context, q hall.AuditQuery) (*hall.AuditPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = auditDefaultLimit
	}
	limit = min(limit, auditMaxLimit)
	var cur *auditCursor
	if q.Cursor != "" {
		var err error
		if cur, err = decodeCursor(q.Cursor); err != nil {
			return nil, err
		}
	}
	since := a.now().Add(-a.retention)
	if q.Since.After(since) {
		since = q.Since
	}
	page := &hall.AuditPage{Entries: []hall.AuditEntry{}}
	// A read transaction and a copy of the WAL's overlay taken together (under the queue log's
	// read lock, briefly): the checkpointer never waits for the rest of the request, and the
	// issue and call paths never wait behind it.
	ql := a.db.qlog
	ql.readMu.RLock()
	tx, err := a.db.bolt.Begin(false)
	var ov map[string][]ovEvent
	if err == nil {
		ql.mu.Lock()
		ov = make(map[string][]ovEvent, len(ql.events))
		for h, evs := range ql.events {
			ov[h] = slices.Clone(evs)
		}
		ql.mu.Unlock()
	}
	ql.readMu.RUnlock()
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read the audit trail: %v", err)
	}
	defer tx.Rollback()
	err = func() error {
		var srcs []*auditSource
		pre := prefilter(q)
		if !q.CasesOnly {
			srcs = append(srcs, auditBucketSource(tx, cur, q.Until))
			if a.trail != nil {
				srcs = append(srcs, trailSource(ctx, a.trail, cur, q.Until))
			}
			if a.halls != nil {
				codes, err := a.halls.Halls(ctx)
				if err != nil {
					return err
				}
				for _, code := range codes {
					srcs = append(srcs, hallLogSource(ctx, a.halls, code, cur, pre))
				}
			}
			for _, code := range hallCodes(tx, ov) {
				srcs = append(srcs, hallSource(tx, code, ov[code], cur, q.Until, pre))
			}
		}
		if a.cases != nil {
			srcs = append(srcs, caseLogSource(ctx, a.cases, cur, pre))
		} else {
			srcs = append(srcs, caseSource(tx, cur, q.Until, pre))
		}
		read := 0
		step := func(s *auditSource) error {
			e, done, err := s.next()
			read++
			if err != nil {
				return err
			}
			s.head, s.done = e, done || e.At.Before(since)
			return nil
		}
		for _, s := range srcs {
			if err := step(s); err != nil {
				return err
			}
		}
		for len(page.Entries) < limit && read < auditScanMax {
			var best *auditSource
			for _, s := range srcs {
				if !s.done && (best == nil || s.head.At.After(best.head.At)) {
					best = s
				}
			}
			if best == nil {
				return nil // every source done
			}
			if e := best.head; e.Kind != "" && matches(e, q) {
				page.Entries = append(page.Entries, e)
			}
			if err := step(best); err != nil {
				return err
			}
		}
		next := &auditCursor{H: map[string]uint64{}}
		if a.halls != nil {
			next.X = map[string]uint64{}
		}
		more := false
		for _, s := range srcs {
			var p any
			if !s.done {
				more, p = true, s.pos()
			}
			kind, code, _ := strings.Cut(s.name, ":")
			seq, _ := p.(uint64)
			switch kind {
			case "a":
				next.A, _ = p.(string)
			case "e":
				next.E, _ = p.(string)
			case "c":
				next.C = seq
			case "h":
				next.H[code] = seq
			case "x":
				next.X[code] = seq
			}
		}
		if more {
			page.Next = next.encode()
		}
		return nil
	}()
	if err != nil {
		if hall.ErrorCode(err) == hall.EINVALID {
			return nil, err
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read the audit trail: %v", err)
	}
	return page, nil
}

// prefilter returns a cheap test of an event's JSON that is false only for events the query
// cannot match (the actor or the type is not in it): those are not decoded, only their time
// is read (quickAt), which keeps a sparse filter's scan of a log to a byte search per record.
// Tickets issued are never audit entries and are skipped the same way.
func prefilter(q hall.AuditQuery) func(val []byte) bool {
	var need [][]byte
	if q.Actor != "" && q.Actor != "system" { // "system" stands for a case event without actor
		a, _ := json.Marshal(q.Actor)
		need = append(need, append([]byte(`"actor":`), a...))
	}
	if q.Kind != "" {
		k := `"type":"` + q.Kind
		if strings.Contains(q.Kind, ".") {
			k += `"`
		} else {
			k += "."
		}
		need = append(need, []byte(k))
	}
	issued := []byte(`"type":"` + string(hall.EventIssued) + `"`)
	return func(val []byte) bool {
		for _, n := range need {
			if !bytes.Contains(val, n) {
				return false
			}
		}
		return !bytes.Contains(val, issued)
	}
}

// quickAt reads an event's time without decoding it: the first "at" of the JSON is the event's
// own (hall.Event and the stored case event put it before any nested object).
func quickAt(val []byte) (time.Time, error) {
	i := bytes.Index(val, []byte(`"at":"`))
	if i < 0 {
		return time.Time{}, fmt.Errorf("no time in %.40q", val)
	}
	rest := val[i+6:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}, fmt.Errorf("no time in %.40q", val)
	}
	return time.Parse(time.RFC3339Nano, string(rest[:j]))
}

// matches applies the query's filters other than time.
func matches(e hall.AuditEntry, q hall.AuditQuery) bool {
	if q.Actor != "" && e.Actor != q.Actor {
		return false
	}
	if q.Target != "" && e.Target != q.Target {
		return false
	}
	if q.Kind != "" && e.Kind != q.Kind {
		fam, _, _ := strings.Cut(e.Kind, ".")
		if strings.Contains(q.Kind, ".") || fam != q.Kind {
			return false
		}
	}
	return q.Until.IsZero() || !e.At.After(q.Until)
}

// hallCodes returns the halls that have an event log, in the file or the WAL's overlay.
func hallCodes(tx *bbolt.Tx, ov map[string][]ovEvent) []string {
	set := map[string]bool{}
	tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
		if h, ok := bytes.CutPrefix(name, []byte("events/")); ok {
			set[string(h)] = true
		}
		return nil
	})
	for h := range ov {
		set[h] = true
	}
	out := make([]string, 0, len(set))
	for h := range set {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// auditBucketSource reads the audit bucket backwards from the cursor (or from until).
func auditBucketSource(tx *bbolt.Tx, cur *auditCursor, until time.Time) *auditSource {
	s := &auditSource{name: "a"}
	b := tx.Bucket(bucketAudit)
	if b == nil || (cur != nil && cur.A == "") {
		s.next = func() (hall.AuditEntry, bool, error) { return hall.AuditEntry{}, true, nil }
		s.pos = func() any { return "" }
		return s
	}
	c := b.Cursor()
	start := bytes.Repeat([]byte{0xff}, 16)
	if cur != nil {
		start, _ = hex.DecodeString(cur.A)
	} else if !until.IsZero() {
		start = auditKey(until, math.MaxUint64)
	}
	var k, v []byte
	first := true
	s.next = func() (hall.AuditEntry, bool, error) {
		if first {
			first = false
			k, v = seekAtOrBefore(c, start)
		} else {
			k, v = c.Prev()
		}
		if k == nil {
			return hall.AuditEntry{}, true, nil
		}
		var e hall.AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return e, false, fmt.Errorf("decode audit entry %x: %w", k, err)
		}
		return e, false, nil
	}
	s.pos = func() any { return hex.EncodeToString(k) }
	return s
}

// trailSource reads the trail backwards from the cursor (or from until).
func trailSource(ctx context.Context, t AuditTrail, cur *auditCursor, until time.Time) *auditSource {
	if cur != nil && cur.E == "" {
		return doneSource("e", "")
	}
	var before string // the next page's exclusive bound ("": none)
	if cur != nil {
		before = cur.E + "\x00" // the cursor's key is the next to read
	} else if !until.IsZero() {
		before = t.Bound(until)
	}
	return pagedSource("e", before, func(before string) ([]string, []hall.AuditEntry, error) {
		return t.Before(ctx, before, auditPage)
	})
}

// hallLogSource reads a hall's event log kept apart from the file backwards from the cursor
// (entries after until are skipped one by one by the merge).
func hallLogSource(ctx context.Context, l HallLogs, code string, cur *auditCursor, pre func([]byte) bool) *auditSource {
	name := "x:" + code
	before := uint64(math.MaxUint64)
	if cur != nil {
		seq := cur.X[code] // a hall the cursor does not name came later: done
		if seq == 0 {
			return doneSource(name, uint64(0))
		}
		before = seq + 1
	}
	return pagedSource(name, before, func(before uint64) ([]uint64, []hall.AuditEntry, error) {
		seqs, vals, err := l.EventsBefore(ctx, code, before, auditPage)
		if err != nil {
			return nil, nil, err
		}
		out := make([]hall.AuditEntry, len(vals))
		for i, v := range vals {
			if out[i], err = hallEventEntry(code, seqs[i], v, pre); err != nil {
				return nil, nil, err
			}
		}
		return seqs, out, nil
	})
}

// auditPage is how many records a source kept apart from the file reads at a time.
const auditPage = 100

// doneSource is a source with nothing (more) to read.
func doneSource(name string, pos any) *auditSource {
	return &auditSource{name: name,
		next: func() (hall.AuditEntry, bool, error) { return hall.AuditEntry{}, true, nil },
		pos:  func() any { return pos }}
}

// pagedSource reads a source kept apart from the file backwards, a page at a time: fetch
// returns at most auditPage entries at positions below before, newest first, with their
// positions.
func pagedSource[P any](name string, before P, fetch func(before P) ([]P, []hall.AuditEntry, error)) *auditSource {
	var (
		keys    []P
		entries []hall.AuditEntry
		i       int
		end     bool
		pos     P
	)
	s := &auditSource{name: name}
	s.next = func() (hall.AuditEntry, bool, error) {
		if i == len(keys) {
			if end {
				return hall.AuditEntry{}, true, nil
			}
			var err error
			if keys, entries, err = fetch(before); err != nil {
				return hall.AuditEntry{}, false, err
			}
			i, end = 0, len(keys) < auditPage
			if len(keys) == 0 {
				return hall.AuditEntry{}, true, nil
			}
			before = keys[len(keys)-1]
		}
		pos = keys[i]
		i++
		return entries[i-1], false, nil
	}
	s.pos = func() any { return pos }
	return s
}

// seekAtOrBefore positions c at the last key ≤ key.
func seekAtOrBefore(c *bbolt.Cursor, key []byte) ([]byte, []byte) {
	k, v := c.Seek(key)
	switch {
	case k == nil:
		return c.Last()
	case bytes.Compare(k, key) > 0:
		return c.Prev()
	}
	return k, v
}

// seqLog reads a log keyed by 8-byte seqs backwards from a seq (inclusive).
type seqLog struct {
	c *bbolt.Cursor
	k []byte
}

func (l *seqLog) at(seq uint64) ([]byte, []byte) {
	k, v := seekAtOrBefore(l.c, binary.BigEndian.AppendUint64(nil, seq))
	l.k = k
	return k, v
}

func (l *seqLog) prev() ([]byte, []byte) {
	k, v := l.c.Prev()
	l.k = k
	return k, v
}

// startSeq is the seq a log's reading starts at: the cursor's, else the last one at or before
// until (a binary search over the seqs: events are in time order), else the newest.
func startSeq(c *bbolt.Cursor, fromCursor uint64, hasCursor bool, until time.Time) uint64 {
	if hasCursor {
		return fromCursor
	}
	if until.IsZero() {
		return math.MaxUint64
	}
	fk, _ := c.First()
	lk, _ := c.Last()
	if fk == nil {
		return 0
	}
	lo, hi := binary.BigEndian.Uint64(fk), binary.BigEndian.Uint64(lk)
	at := func(seq uint64) time.Time {
		_, v := c.Seek(binary.BigEndian.AppendUint64(nil, seq))
		var ev struct {
			At time.Time `json:"at"`
		}
		if v != nil && json.Unmarshal(v, &ev) == nil {
			return ev.At
		}
		return time.Time{}
	}
	if at(lo).After(until) {
		return 0
	}
	for lo < hi { // invariant: at(lo) ≤ until
		mid := lo + (hi-lo+1)/2
		if at(mid).After(until) {
			hi = mid - 1
		} else {
			lo = mid
		}
	}
	return lo
}

// hallSource reads a hall's events backwards: first the WAL's overlay (the newest, not yet
// checkpointed), then the file.
func hallSource(tx *bbolt.Tx, code string, ov []ovEvent, cur *auditCursor, until time.Time, pre func([]byte) bool) *auditSource {
	s := &auditSource{name: "h:" + code}
	var from uint64 = math.MaxUint64
	hasCur := false
	if cur != nil {
		from, hasCur = cur.H[code], true // a hall the cursor does not name came later: done
	}
	var ovFirst uint64
	if len(ov) > 0 {
		ovFirst = ov[0].seq
	}
	var fileLog *seqLog
	if b := tx.Bucket(eventsBucket(code)); b != nil {
		fileLog = &seqLog{c: b.Cursor()}
	}
	// Where to start: the cursor; else until (the overlay holds the last moments only: its
	// events after until are skipped one by one); else the newest.
	i := len(ov) - 1
	for i >= 0 && ov[i].seq > from {
		i--
	}
	fileFrom := from
	if ovFirst != 0 && fileFrom >= ovFirst {
		fileFrom = ovFirst - 1
	}
	if !hasCur && !until.IsZero() && fileLog != nil {
		fileFrom = min(fileFrom, startSeq(fileLog.c, 0, false, until))
	}
	var pos uint64 = from
	first := true
	s.next = func() (hall.AuditEntry, bool, error) {
		var val []byte
		if i >= 0 {
			pos, val = ov[i].seq, ov[i].val
			i--
		} else if fileLog != nil && fileFrom > 0 {
			var k []byte
			if first {
				first = false
				k, val = fileLog.at(fileFrom)
			} else {
				k, val = fileLog.prev()
			}
			if k == nil {
				return hall.AuditEntry{}, true, nil
			}
			pos = binary.BigEndian.Uint64(k)
		} else {
			return hall.AuditEntry{}, true, nil
		}
		e, err := hallEventEntry(code, pos, val, pre)
		return e, false, err
	}
	s.pos = func() any { return pos }
	return s
}

// hallEventEntry is a hall event (JSON) as an audit entry; only its time when pre says the
// query cannot match it.
func hallEventEntry(code string, seq uint64, val []byte, pre func([]byte) bool) (hall.AuditEntry, error) {
	if !pre(val) {
		at, err := quickAt(val)
		if err != nil {
			return hall.AuditEntry{}, fmt.Errorf("%s event %d: %w", code, seq, err)
		}
		return hall.AuditEntry{At: at}, nil
	}
	var ev hall.Event
	if err := json.Unmarshal(val, &ev); err != nil {
		return hall.AuditEntry{}, fmt.Errorf("decode %s event %d: %w", code, seq, err)
	}
	return hallAuditEntry(&ev), nil
}

// hallAuditEntry is a hall event as an audit entry: the counter actions and notices. Tickets
// issued (the holder's act: the actor is the channel), day resets, device reports and what the
// engine did by itself get Kind "" (not audit entries), but keep their time.
func hallAuditEntry(ev *hall.Event) hall.AuditEntry {
	e := hall.AuditEntry{At: ev.At}
	switch {
	case ev.Type == hall.EventIssued || ev.Type == hall.EventDayReset || ev.Type == hall.EventDevice:
		return e
	case ev.Actor == "" || ev.Actor == queue.SystemActor:
		return e
	}
	e.Kind, e.Actor = string(ev.Type), ev.Actor
	var d []string
	switch {
	case ev.Ticket != nil:
		t := ev.Ticket
		e.Target = t.ID
		d = append(d, "number="+t.Number, "state="+string(t.State))
		if t.Counter != 0 {
			d = append(d, "counter="+strconv.Itoa(t.Counter))
		}
		if t.Outcome != "" {
			d = append(d, "outcome="+string(t.Outcome))
		}
	case ev.Notice != nil:
		e.Target = ev.Hall + "/notice/" + ev.Notice.ID
		d = append(d, "text="+ev.Notice.Text.Zh)
	case ev.Counter != nil:
		e.Target = ev.Hall + "/counter/" + strconv.Itoa(ev.Counter.Number)
		d = append(d, "state="+string(ev.Counter.State))
	case ev.Rated != nil: // a visit rated at the counter (the tablet or staff); the follow page's has no actor
		e.Target = ev.Rated.Ticket
		d = append(d, "number="+ev.Rated.Number, "counter="+strconv.Itoa(ev.Rated.Counter), "stars="+strconv.Itoa(ev.Rated.Stars))
	default:
		e.Target = ev.Hall
	}
	e.Detail = authkit.Clip(strings.Join(d, " "))
	return e
}

// caseEventEntry is a stored case event (JSON) as an audit entry; only its time when pre says
// the query cannot match it.
func caseEventEntry(seq uint64, v []byte, pre func([]byte) bool) (hall.AuditEntry, error) {
	if !pre(v) {
		at, err := quickAt(v)
		if err != nil {
			return hall.AuditEntry{}, fmt.Errorf("case event %d: %w", seq, err)
		}
		return hall.AuditEntry{At: at}, nil
	}
	var ev struct {
		Type       string    `json:"type"`
		At         time.Time `json:"at"`
		Actor      string    `json:"actor"`
		Department string    `json:"department"`
		Limit      string    `json:"limit"`
		Case       *struct {
			ID     string `json:"id"`
			Number string `json:"number"`
		} `json:"case"`
	}
	if err := json.Unmarshal(v, &ev); err != nil {
		return hall.AuditEntry{}, fmt.Errorf("decode case event %d: %w", seq, err)
	}
	e := hall.AuditEntry{At: ev.At, Actor: ev.Actor, Kind: ev.Type}
	if e.Actor == "" {
		e.Actor = "system"
	}
	if ev.Case != nil {
		e.Target = ev.Case.Number
		if e.Target == "" {
			e.Target = ev.Case.ID
		}
	}
	var d []string
	if ev.Department != "" {
		d = append(d, "department="+ev.Department)
	}
	if ev.Limit != "" {
		d = append(d, "limit="+ev.Limit)
	}
	e.Detail = strings.Join(d, " ")
	return e, nil
}

// caseLogSource reads a case log kept apart from the file backwards from the cursor (entries
// after until are skipped one by one by the merge).
func caseLogSource(ctx context.Context, l CaseLog, cur *auditCursor, pre func([]byte) bool) *auditSource {
	before := uint64(math.MaxUint64)
	if cur != nil {
		if cur.C == 0 {
			return doneSource("c", uint64(0))
		}
		before = cur.C + 1
	}
	return pagedSource("c", before, func(before uint64) ([]uint64, []hall.AuditEntry, error) {
		seqs, vals, err := l.CaseEventsBefore(ctx, before, auditPage)
		if err != nil {
			return nil, nil, err
		}
		out := make([]hall.AuditEntry, len(vals))
		for i, v := range vals {
			if out[i], err = caseEventEntry(seqs[i], v, pre); err != nil {
				return nil, nil, err
			}
		}
		return seqs, out, nil
	})
}

// caseSource reads the case log backwards.
func caseSource(tx *bbolt.Tx, cur *auditCursor, until time.Time, pre func([]byte) bool) *auditSource {
	s := &auditSource{name: "c"}
	b := tx.Bucket(bucketCaseEvents)
	if b == nil || (cur != nil && cur.C == 0) {
		s.next = func() (hall.AuditEntry, bool, error) { return hall.AuditEntry{}, true, nil }
		s.pos = func() any { return uint64(0) }
		return s
	}
	l := &seqLog{c: b.Cursor()}
	var from uint64
	if cur != nil {
		from = startSeq(l.c, cur.C, true, until)
	} else {
		from = startSeq(l.c, 0, false, until)
	}
	var pos = from
	first := true
	s.next = func() (hall.AuditEntry, bool, error) {
		if from == 0 {
			return hall.AuditEntry{}, true, nil
		}
		var k, v []byte
		if first {
			first = false
			k, v = l.at(from)
		} else {
			k, v = l.prev()
		}
		if k == nil {
			return hall.AuditEntry{}, true, nil
		}
		pos = binary.BigEndian.Uint64(k)
		e, err := caseEventEntry(pos, v, pre)
		return e, false, err
	}
	s.pos = func() any { return pos }
	return s
}
