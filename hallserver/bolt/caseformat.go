package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/caseformat"
	"onedoor/hallserver/hall"
)

// The cases and the case log on disk (format 2; the layout is in doc.go). A case event used to
// hold a full copy of its case, and the case's record its whole timeline: the events of a case
// grew with the square of its timeline (1,000 notes on one case: 132 MiB) and each note rewrote
// the whole timeline. Now
//   - a case's record (bucket cases) holds the case without its timeline, and each timeline
//     entry is stored once, under the case ID and its index (bucket cases.timeline): a change
//     writes the record and only the entries it added;
//   - an event holds its own fields, the case after it without its append-only lists (the
//     head: caseHead), and how long those lists were then (caseLens). Reading it back fills the
//     lists from the case's current ones: the engine only ever appends to them, so the first n
//     entries of a list now are the list as it was.

// caseEventsFormat is the value of caseFormatKey in cases.meta once every case record and event
// is in format 2 (absent: format 1 records, each with its timeline, and format 1 events, each
// with its full case, may remain; both still read correctly).
const caseEventsFormat = "2"

// caseFormatKey is the key in cases.meta naming the format of cases and cases.events.
var caseFormatKey = []byte("events-format")

// storedCaseEvent and caseLens are the stored form of a case event (hallserver/caseformat),
// shared with the etcd store.
type (
	storedCaseEvent = caseformat.Event
	caseLens        = caseformat.Lens
)

// isPrefix reports whether a begins b (entries compared as JSON, which is how they are stored).
func isPrefix[T any](a, b []T) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		x, err1 := json.Marshal(&a[i])
		y, err2 := json.Marshal(&b[i])
		if err1 != nil || err2 != nil || string(x) != string(y) {
			return false
		}
	}
	return true
}

// caseReader decodes stored case events inside one read transaction, reading each case's
// record once.
type caseReader struct {
	ct    caseTx
	cases map[string]*hall.Case // nil value: no record
}

func newCaseReader(tx *bbolt.Tx) *caseReader {
	return &caseReader{ct: caseTxOf(tx), cases: map[string]*hall.Case{}}
}

// current returns the committed case (nil when there is none).
func (r *caseReader) current(id string) (*hall.Case, error) {
	if c, ok := r.cases[id]; ok {
		return c, nil
	}
	c, err := r.ct.get([]byte(id))
	if err != nil {
		return nil, err
	}
	r.cases[id] = c
	return c, nil
}

// decode reads a stored event (either format) and returns it with the case as it was after it.
func (r *caseReader) decode(v []byte) (hall.CaseEvent, error) {
	var se storedCaseEvent
	if err := json.Unmarshal(v, &se); err != nil {
		return hall.CaseEvent{}, err
	}
	if se.Lens != nil && se.Case != nil {
		cur, err := r.current(se.Case.ID)
		if err != nil {
			return hall.CaseEvent{}, err
		}
		if cur == nil {
			cur = &hall.Case{}
		}
		caseformat.Fill(se.Case, cur, se.Lens)
	}
	return se.CaseEvent, nil
}

// readCaseEvents reads at most limit case events with after < seq <= last, oldest first, each
// with its case as it was after the event.
func readCaseEvents(ctx context.Context, db *DB, after, last uint64, limit int) ([]hall.CaseEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	events := make([]hall.CaseEvent, 0, min(uint64(limit), last-min(after, last)))
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		r := newCaseReader(tx)
		c := tx.Bucket(bucketCaseEvents).Cursor()
		for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, after+1)); k != nil && len(events) < limit; k, v = c.Next() {
			seq := binary.BigEndian.Uint64(k)
			if seq > last {
				break
			}
			if len(events)%256 == 255 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			ev, err := r.decode(v)
			if err != nil {
				return fmt.Errorf("decode event %d: %w", seq, err)
			}
			events = append(events, ev)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: read %s: %w", bucketCaseEvents, err)
	}
	return events, nil
}

// migrateBatch is how many records or events one transaction of migrateCases rewrites.
const migrateBatch = 2000

// migrateCases rewrites a file's format 1 case records and events in format 2, migrateBatch per
// transaction, records first, then marks the file as format 2 (later opens skip it). An event
// whose lists are not the beginning of its case's current lists (never seen: the engine only
// appends) is kept in format 1, which reads as before. A crash in between leaves a mix of both
// formats, which reads correctly; the next open goes on. It returns the number of records and
// events rewritten. bbolt does not shrink its file: the pages freed are reused as it grows.
func migrateCases(db *DB) (records, events int, err error) {
	done := false
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		done = string(tx.Bucket(bucketCaseMeta).Get(caseFormatKey)) == caseEventsFormat
		return nil
	}); err != nil || done {
		return 0, 0, err
	}
	// Records: a format 1 record holds its timeline.
	if records, err = migrateBucket(db, bucketCases, func(tx *bbolt.Tx, k, v []byte) (func() error, error) {
		var c hall.Case
		if err := json.Unmarshal(v, &c); err != nil {
			return nil, fmt.Errorf("decode case %s: %w", k, err)
		}
		if c.Timeline == nil {
			return nil, nil
		}
		rec, err := caseformat.Record(&c)
		if err != nil {
			return nil, err
		}
		return func() error { return caseTxOf(tx).put(&c, rec) }, nil
	}); err != nil {
		return records, 0, err
	}
	// Events: a format 1 event holds its full case.
	events, err = migrateBucket(db, bucketCaseEvents, func(tx *bbolt.Tx, k, v []byte) (func() error, error) {
		var se storedCaseEvent
		if err := json.Unmarshal(v, &se); err != nil {
			return nil, fmt.Errorf("decode case event %x: %w", k, err)
		}
		if se.Lens != nil || se.Case == nil {
			return nil, nil
		}
		cur, err := caseTxOf(tx).get([]byte(se.Case.ID))
		if err != nil {
			return nil, err
		}
		if cur == nil || !isPrefix(se.Case.Timeline, cur.Timeline) || !isPrefix(se.Case.Replies, cur.Replies) ||
			!isPrefix(se.Case.Ratings, cur.Ratings) || !isPrefix(se.Case.Duplicates, cur.Duplicates) {
			return nil, nil
		}
		nv, err := caseformat.Encode(&se.CaseEvent)
		if err != nil {
			return nil, err
		}
		key := slices.Clone(k)
		return func() error {
			b := tx.Bucket(bucketCaseEvents)
			b.FillPercent = caseEventsFill
			return b.Put(key, nv)
		}, nil
	})
	if err != nil {
		return records, events, err
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketCaseMeta).Put(caseFormatKey, []byte(caseEventsFormat))
	})
	if err != nil {
		return records, events, fmt.Errorf("bolt: mark case format: %w", err)
	}
	return records, events, nil
}

// migrateBucket walks a bucket in key order, migrateBatch keys per transaction, asking fn for the
// rewrite of each entry (nil: keep it). The rewrites of a transaction run after its walk (a
// bucket must not change under its cursor). It returns the number of rewrites.
func migrateBucket(db *DB, bucket []byte, fn func(tx *bbolt.Tx, k, v []byte) (func() error, error)) (int, error) {
	var next []byte // the first key not looked at yet
	n := 0
	for {
		end := false
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			var writes []func() error
			c := tx.Bucket(bucket).Cursor()
			k, v := c.First()
			if next != nil {
				k, v = c.Seek(next)
			}
			for i := 0; k != nil && i < migrateBatch; k, v = c.Next() {
				i++
				w, err := fn(tx, k, v)
				if err != nil {
					return err
				}
				if w != nil {
					writes = append(writes, w)
				}
			}
			if k == nil {
				end = true
			} else {
				next = slices.Clone(k)
			}
			for _, w := range writes {
				if err := w(); err != nil {
					return err
				}
			}
			n += len(writes)
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("bolt: migrate %s: %w", bucket, err)
		}
		if end {
			return n, nil
		}
	}
}

// caseEventsFill is the fill percent of cases.events: keys only ever grow, so pages are filled
// rather than split in halves.
const caseEventsFill = 0.9

// caseTx is the two buckets a case is stored in, in one transaction: its record and its
// timeline entries.
type caseTx struct {
	all, timeline *bbolt.Bucket
}

func caseTxOf(tx *bbolt.Tx) caseTx {
	return caseTx{all: tx.Bucket(bucketCases), timeline: tx.Bucket(bucketCaseTimeline)}
}

// timelineKey is the key of a case's i-th timeline entry: case ID + 0x00 + 4-byte index.
func timelineKey(id string, i uint32) []byte {
	k := make([]byte, 0, len(id)+5)
	k = append(k, id...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, i)
}

// stored returns how many timeline entries of the case cases.timeline holds.
func (ct caseTx) stored(id string) uint32 {
	c := ct.timeline.Cursor()
	k, _ := c.Seek(timelineKey(id, math.MaxUint32))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	p := timelineKey(id, 0)[:len(id)+1]
	if k == nil || len(k) != len(p)+4 || !bytes.HasPrefix(k, p) {
		return 0
	}
	return binary.BigEndian.Uint32(k[len(p):]) + 1
}

// put writes a case: its record (rec, from encodeRecord) and the timeline entries not stored yet.
func (ct caseTx) put(c *hall.Case, rec []byte) error {
	if err := ct.all.Put([]byte(c.ID), rec); err != nil {
		return fmt.Errorf("put case %s: %w", c.ID, err)
	}
	for i := int(ct.stored(c.ID)); i < len(c.Timeline); i++ {
		v, err := json.Marshal(&c.Timeline[i])
		if err != nil {
			return fmt.Errorf("encode timeline entry %d of %s: %w", i, c.ID, err)
		}
		if err := ct.timeline.Put(timelineKey(c.ID, uint32(i)), v); err != nil {
			return fmt.Errorf("put timeline entry %d of %s: %w", i, c.ID, err)
		}
	}
	return nil
}

// get reads a case with its timeline (nil when there is none).
func (ct caseTx) get(id []byte) (*hall.Case, error) {
	v := ct.all.Get(id)
	if v == nil {
		return nil, nil
	}
	c := new(hall.Case)
	if err := ct.decode(id, v, c); err != nil {
		return nil, err
	}
	return c, nil
}

// decode decodes a case's record into c and reads its timeline (a format 1 record holds it).
func (ct caseTx) decode(id, v []byte, c *hall.Case) error {
	if err := json.Unmarshal(v, c); err != nil {
		return fmt.Errorf("decode case %s: %w", id, err)
	}
	if c.Timeline != nil {
		return nil // format 1: the record holds its timeline
	}
	c.Timeline = []hall.CaseEntry{}
	p := append(slices.Clip(id), 0)
	cur := ct.timeline.Cursor()
	for k, ev := cur.Seek(p); k != nil && bytes.HasPrefix(k, p); k, ev = cur.Next() {
		var en hall.CaseEntry
		if err := json.Unmarshal(ev, &en); err != nil {
			return fmt.Errorf("decode timeline entry %x: %w", k, err)
		}
		c.Timeline = append(c.Timeline, en)
	}
	return nil
}

// reportForm decodes a case's record into c with, of its timeline, only the returns to triage
// (CaseEvReturned entries, which the statistics attribute to the department that returned):
// what the statistics and reports read (cases.Stats, Series, Daily). A record counts its returns
// (Returns): the timeline is read only when it has some.
func (ct caseTx) reportForm(id, v []byte, c *hall.Case) error {
	if err := json.Unmarshal(v, c); err != nil {
		return fmt.Errorf("decode case %s: %w", id, err)
	}
	if c.Timeline == nil && c.Returns > 0 {
		if err := ct.decode(id, v, c); err != nil {
			return err
		}
	}
	tl := []hall.CaseEntry{}
	for _, en := range c.Timeline {
		if en.Type == hall.CaseEvReturned {
			tl = append(tl, en)
		}
	}
	c.Timeline = tl
	c.Route = nil
	return nil
}
