package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/kpi"
)

// QueueReports is the queue reports' store seam (kpi.Source): a hall's events of a time range
// read from events/{hall} and the queue WAL's overlay as the audit trail reads them, and the
// visit ratings of a day's tickets. It writes nothing.
type QueueReports struct{ db *DB }

// NewQueueReports returns the reports' source on db.
func NewQueueReports(db *DB) *QueueReports { return &QueueReports{db: db} }

var _ kpi.Source = (*QueueReports)(nil)

// reportEvent is the part of a stored hall.Event the reports read (kpi.DayFacts): decoding
// only it leaves the rest of the ticket and the waiting counts unallocated.
type reportEvent struct {
	Seq    uint64         `json:"seq"`
	Type   hall.EventType `json:"type"`
	At     time.Time      `json:"at"`
	Actor  string         `json:"actor"`
	Ticket *struct {
		ID       string    `json:"id"`
		Service  string    `json:"service"`
		Day      string    `json:"day"`
		IssuedAt time.Time `json:"issuedAt"`
		Counter  int       `json:"counter"`
	} `json:"ticket"`
	Counter *struct {
		Number int               `json:"number"`
		State  hall.CounterState `json:"state"`
		Staff  string            `json:"staff"`
	} `json:"counter"`
}

// HallEvents returns the hall's events with from ≤ at < until, in seq order, and their span.
// The events hold what the reports read: seq, type, time, actor; of the ticket its ID,
// service, day, issue time and counter; of a counter its number, state and staff.
func (q *QueueReports) HallEvents(ctx context.Context, code string, from, until time.Time) ([]hall.Event, kpi.Span, error) {
	var out []hall.Event
	span, err := q.scan(ctx, code, from, until, func(seq uint64, val []byte) error {
		var re reportEvent
		if err := json.Unmarshal(val, &re); err != nil {
			return fmt.Errorf("decode event %d: %w", seq, err)
		}
		ev := hall.Event{Seq: re.Seq, Hall: code, Type: re.Type, At: re.At, Actor: re.Actor}
		if t := re.Ticket; t != nil {
			ev.Ticket = &hall.Ticket{ID: t.ID, Hall: code, Service: t.Service, Day: t.Day, IssuedAt: t.IssuedAt, Counter: t.Counter}
		}
		if c := re.Counter; c != nil {
			ev.Counter = &hall.Counter{Hall: code, Number: c.Number, State: c.State, Staff: c.Staff}
		}
		out = append(out, ev)
		return nil
	})
	return out, span, err
}

// HallSpan returns the span of the hall's events with from ≤ at < until, reading only the
// first and the last of them.
func (q *QueueReports) HallSpan(ctx context.Context, code string, from, until time.Time) (kpi.Span, error) {
	return q.scan(ctx, code, from, until, nil)
}

// scan finds the hall's events with from ≤ at < until (events are in time order: a binary
// search over the seqs finds the first) and calls fn with each when fn is not nil.
func (q *QueueReports) scan(ctx context.Context, code string, from, until time.Time, fn func(seq uint64, val []byte) error) (kpi.Span, error) {
	var span kpi.Span
	if err := ctx.Err(); err != nil {
		return span, err
	}
	// A read transaction and a copy of the hall's overlay taken together, as the audit trail
	// does: the checkpointer never waits for the whole scan.
	ql := q.db.qlog
	ql.readMu.RLock()
	tx, err := q.db.bolt.Begin(false)
	var ov []ovEvent
	if err == nil {
		ql.mu.Lock()
		ov = slices.Clone(ql.events[code])
		ql.mu.Unlock()
	}
	ql.readMu.RUnlock()
	if err != nil {
		return span, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read the events of hall %s: %v", code, err)
	}
	defer tx.Rollback()
	note := func(seq uint64, val []byte) error {
		if span.First == 0 {
			span.First = seq
		}
		span.Last = seq
		if fn != nil {
			return fn(seq, val)
		}
		return nil
	}
	var ovFirst uint64
	if len(ov) > 0 {
		ovFirst = ov[0].seq
	}
	err = func() error {
		if b := tx.Bucket(eventsBucket(code)); b != nil {
			c := b.Cursor()
			first, ok := firstAtOrAfter(c, from, ovFirst)
			if ok && fn == nil { // only the span: its ends by binary search
				if _, v := c.Seek(seqKey(first)); v != nil {
					if at, err := quickAt(v); err == nil && at.Before(until) {
						span.First = first
						if end, ok := firstAtOrAfter(c, until, ovFirst); ok {
							c.Seek(seqKey(end))
							k, _ := c.Prev()
							span.Last = binary.BigEndian.Uint64(k)
						} else {
							span.Last = lastBelow(c, ovFirst)
						}
					}
				}
				ok = false
			}
			n := 0
			for k, v := c.Seek(seqKey(first)); ok && k != nil; k, v = c.Next() {
				s := binary.BigEndian.Uint64(k)
				if ovFirst != 0 && s >= ovFirst {
					break
				}
				at, err := quickAt(v)
				if err != nil {
					return fmt.Errorf("event %d: %w", s, err)
				}
				if !at.Before(until) {
					break
				}
				if err := note(s, v); err != nil {
					return err
				}
				if n++; n%4096 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
			}
		}
		for _, e := range ov {
			at, err := quickAt(e.val)
			if err != nil {
				return fmt.Errorf("event %d: %w", e.seq, err)
			}
			if at.Before(from) {
				continue
			}
			if !at.Before(until) {
				break
			}
			if err := note(e.seq, e.val); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		if ctx.Err() != nil {
			return span, ctx.Err()
		}
		return span, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read the events of hall %s: %v", code, err)
	}
	return span, nil
}

// firstAtOrAfter is the smallest seq in the file (below limit, when limit is not 0) of an event
// at or after t; false when there is none.
func firstAtOrAfter(c *bbolt.Cursor, t time.Time, limit uint64) (uint64, bool) {
	fk, _ := c.First()
	lk, _ := c.Last()
	if fk == nil {
		return 0, false
	}
	lo, hi := binary.BigEndian.Uint64(fk), binary.BigEndian.Uint64(lk)
	if limit != 0 {
		if limit <= lo {
			return 0, false
		}
		hi = min(hi, limit-1)
	}
	before := func(seq uint64) bool { // the event at seq (or the next one) is before t
		_, v := c.Seek(seqKey(seq))
		at, err := quickAt(v)
		return v != nil && err == nil && at.Before(t)
	}
	if before(hi) {
		return 0, false
	}
	for lo < hi { // invariant: the event at hi is not before t
		mid := lo + (hi-lo)/2
		if before(mid) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, true
}

// lastBelow is the largest seq in the file below limit (the last one when limit is 0); the
// file has one.
func lastBelow(c *bbolt.Cursor, limit uint64) uint64 {
	var k []byte
	if limit != 0 {
		if k, _ = c.Seek(seqKey(limit)); k != nil {
			k, _ = c.Prev()
		}
	}
	if k == nil {
		k, _ = c.Last()
	}
	return binary.BigEndian.Uint64(k)
}

// seqKey is the key of an event.
func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// VisitStars returns the stars of the rated visits among the hall's tickets issued on day
// (YYYY-MM-DD), by ticket ID (ticket IDs are {hall}-{yyyymmdd}-{seq}: one prefix scan).
func (q *QueueReports) VisitStars(ctx context.Context, code, day string) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]int{}
	prefix := []byte(code + "-" + strings.ReplaceAll(day, "-", "") + "-")
	err := q.db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketVisitRatings)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r struct {
				Stars int `json:"stars"`
			}
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode the rating of %s: %w", k, err)
			}
			out[string(k)] = r.Stars
		}
		return nil
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read the visit ratings: %v", err)
	}
	return out, nil
}
