package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

var _ enginehost.QueueStore = (*queueStore)(nil)

// queueStore is the bbolt store of the halls' queue logs: the enginehost.Store under Queue, and
// the reads of committed tickets: enginehost.QueueStore (layout: doc.go).
type queueStore struct {
	db  *DB
	now func() time.Time
}

// newQueueStore creates the buckets of the campus's halls when needed.
func newQueueStore(db *DB, campus hall.Campus, now func() time.Time) (*queueStore, error) {
	var names [][]byte
	for _, h := range campus.Halls {
		names = append(names, openBucket(h.Code), eventsBucket(h.Code))
	}
	if err := db.ensureBuckets(names...); err != nil {
		return nil, fmt.Errorf("bolt: create hall buckets: %w", err)
	}
	return &queueStore{db: db, now: now}, nil
}

// queueWrite is a change of one hall prepared for the committer: what the WAL record and the
// checkpoint write (queuewal.go), encoded in the caller's goroutine.
type queueWrite struct {
	hall    string
	reset   bool // the day reset: the open index starts again from the change's tickets
	tickets []ticketWrite
	events  []eventWrite
	idemKey string // hall + "/" + idempotency key of an issue with one ("" when none)
	idemVal []byte // its idemRecord JSON
	// meta is the JSON of the hall's queue.Meta after the change; the committer encodes it from
	// metaSrc for the last change of each hall in a batch (nil on the others: unchanged).
	meta    []byte
	metaSrc *queue.Meta
	lsn     uint64 // the WAL record that holds the change, once committed
	// campus marks the campus record (PrepareCampus, campus.go): meta holds it, nothing else
	// is set.
	campus bool
}

// Prepare encodes the change's tickets, events and idempotency record.
func (s *queueStore) Prepare(code string, ch queue.Change, idemKey, idemID string) (any, error) {
	w := &queueWrite{hall: code, reset: dayReset(ch), metaSrc: &ch.Meta}
	w.tickets = make([]ticketWrite, len(ch.Tickets))
	for i := range ch.Tickets {
		t := &ch.Tickets[i]
		v, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("encode ticket %s: %w", t.ID, err)
		}
		w.tickets[i] = ticketWrite{id: t.ID, val: v, open: keepOpen(t)}
		if t.Token != "" && issuedIn(ch, t.ID) {
			// A token never changes: write it once (random keys cost a page each).
			w.tickets[i].token = t.Token
		}
	}
	w.events = make([]eventWrite, len(ch.Events))
	for i := range ch.Events {
		v, err := json.Marshal(&ch.Events[i])
		if err != nil {
			return nil, fmt.Errorf("encode event %d: %w", ch.Events[i].Seq, err)
		}
		w.events[i] = eventWrite{seq: ch.Events[i].Seq, val: v}
	}
	if idemKey != "" {
		var seq uint64
		if n := len(ch.Events); n > 0 {
			seq = ch.Events[n-1].Seq
		}
		w.idemKey = code + "/" + idemKey
		w.idemVal, _ = json.Marshal(idemRecord{ID: idemID, At: s.now().UTC(), Seq: seq})
	}
	return w, nil
}

// encodeMeta encodes a hall's meta for the WAL and the file.
func encodeMeta(m *queue.Meta) ([]byte, error) {
	v, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode meta: %w", err)
	}
	return v, nil
}

// Commit makes the batch durable in one WAL record (queuewal.go): tickets, tokens, open index,
// events, idempotency keys and each hall's latest meta. A checkpoint writes them to the file.
func (s *queueStore) Commit(batch []any) error {
	return s.db.qlog.append(prepared[*queueWrite](batch))
}

// Events reads the hall's committed events after seq up to last.
func (s *queueStore) Events(ctx context.Context, code string, after, last uint64, limit int) ([]hall.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []hall.Event
	err := s.db.qlog.view(func(tx *bbolt.Tx) error {
		ov, first := s.db.qlog.overlayEvents(code, after, last)
		fileLast := last
		if first != 0 && first-1 < fileLast {
			fileLast = first - 1 // the overlay holds the hall's events from first on
		}
		var err error
		if after < fileLast {
			if out, err = readEventsTx[hall.Event](tx, eventsBucket(code), after, fileLast, limit); err != nil {
				return err
			}
		}
		for _, e := range ov {
			if len(out) >= limit {
				break
			}
			var ev hall.Event
			if err := json.Unmarshal(e.val, &ev); err != nil {
				return fmt.Errorf("decode event %d: %w", e.seq, err)
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: read %s: %w", eventsBucket(code), err)
	}
	if out == nil {
		out = []hall.Event{}
	}
	return out, nil
}

// load reads a hall's meta (hasMeta false when it has none yet) and its open tickets.
func (s *queueStore) LoadHall(code string) (meta queue.Meta, hasMeta bool, open []hall.Ticket, err error) {
	// The open index and meta are read from the file only: write what the WAL holds first.
	if err := s.db.qlog.flush(); err != nil {
		return queue.Meta{}, false, nil, fmt.Errorf("bolt: load hall %s: %w", code, err)
	}
	err = s.db.bolt.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte(code)); v != nil {
			if err := json.Unmarshal(v, &meta); err != nil {
				return fmt.Errorf("decode meta: %w", err)
			}
			hasMeta = true
		}
		ob := tx.Bucket(openBucket(code))
		if ob == nil {
			return nil
		}
		var err error
		open, err = readIndexed[hall.Ticket](ob, tx.Bucket(bucketTickets))
		return err
	})
	if err != nil {
		return queue.Meta{}, false, nil, fmt.Errorf("bolt: load hall %s: %w", code, err)
	}
	return meta, hasMeta, open, nil
}

// Idem returns the record stored for an idempotency key of the hall (ID "" when none).
func (s *queueStore) Idem(code, key string) (enginehost.IdemRecord, error) {
	k := code + "/" + key
	var rec idemRecord
	err := s.db.qlog.view(func(tx *bbolt.Tx) error {
		v, ok := s.db.qlog.idemRecord(k)
		if !ok {
			v = tx.Bucket(bucketIdem).Get([]byte(k))
		}
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		return enginehost.IdemRecord{}, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: idempotency lookup: %v", err)
	}
	return enginehost.IdemRecord(rec), nil
}

// PruneIdem deletes the hall idempotency records older than ttl.
func (s *queueStore) PruneIdem(ttl time.Duration, now time.Time) {
	s.db.qlog.flush() // the records still in the WAL's overlay too (an error: pruned next time)
	s.db.pruneIdem(bucketIdem, ttl, now)
}

// TicketByID reads a committed ticket.
func (s *queueStore) TicketByID(ctx context.Context, id string) (*hall.Ticket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var t *hall.Ticket
	err := s.db.qlog.view(func(tx *bbolt.Tx) error {
		v, ok := s.db.qlog.ticket(id)
		if !ok {
			v = tx.Bucket(bucketTickets).Get([]byte(id))
		}
		if v == nil {
			return nil
		}
		t = new(hall.Ticket)
		return json.Unmarshal(v, t)
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read ticket %s: %v", id, err)
	}
	if t == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "ticket", "no ticket %s", id)
	}
	return t, nil
}

// ticketByToken reads the committed ticket the follow token names, nil when none. tx must be a
// transaction of db.qlog.view or db.qlog.update (the WAL's overlay is looked at first).
func (db *DB) ticketByToken(tx *bbolt.Tx, token string) (*hall.Ticket, error) {
	var id []byte
	if ref, ok := db.qlog.tokenID(token); ok {
		id = []byte(ref)
	} else {
		id = tx.Bucket(bucketTokens).Get([]byte(token))
	}
	if id == nil {
		return nil, nil
	}
	v, ok := db.qlog.ticket(string(id))
	if !ok {
		v = tx.Bucket(bucketTickets).Get(id)
	}
	if v == nil {
		return nil, nil
	}
	t := new(hall.Ticket)
	if err := json.Unmarshal(v, t); err != nil {
		return nil, fmt.Errorf("decode ticket %s: %w", id, err)
	}
	return t, nil
}

// TicketByToken reads the committed ticket with a follow token.
func (s *queueStore) TicketByToken(ctx context.Context, token string) (*hall.Ticket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var t *hall.Ticket
	err := s.db.qlog.view(func(tx *bbolt.Tx) (err error) {
		t, err = s.db.ticketByToken(tx, token)
		return err
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read ticket by token: %v", err)
	}
	if t == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "token", "no ticket with this token")
	}
	return t, nil
}

// writeQueue puts committed queue changes into the transaction, in order (a checkpoint, the
// replay of the WAL: each WAL record's changes are one of batches): tickets, tokens, open index,
// events, idempotency keys and meta.
func writeQueue(tx *bbolt.Tx, batches ...[]*queueWrite) error {
	tickets := tx.Bucket(bucketTickets)
	tokens := tx.Bucket(bucketTokens)
	idem := tx.Bucket(bucketIdem)
	meta := tx.Bucket(bucketMeta)
	// The keys of tokens and events only grow (time-ordered tokens, seqs), those of tickets
	// mostly (hall-day-seq): fill their pages rather than split them in halves, which nearly
	// halves the pages a checkpoint writes (BenchmarkCheckpointIssues: 0.59 → 0.36 a change).
	tokens.FillPercent = queueAppendFill
	tickets.FillPercent = queueAppendFill
	// Each hall's buckets are looked up once per transaction, not once per change or record.
	type hallBuckets struct{ open, events *bbolt.Bucket }
	halls := map[string]hallBuckets{}
	var key [8]byte
	for _, batch := range batches {
		for _, w := range batch {
			if w.campus {
				if err := putCampus(tx, w.meta); err != nil {
					return err
				}
				continue
			}
			code := w.hall
			hb, ok := halls[code]
			if !ok {
				var err error
				if hb.open, err = tx.CreateBucketIfNotExists(openBucket(code)); err != nil {
					return fmt.Errorf("open index %s: %w", code, err)
				}
				if hb.events, err = tx.CreateBucketIfNotExists(eventsBucket(code)); err != nil {
					return fmt.Errorf("events %s: %w", code, err)
				}
				hb.events.FillPercent = queueAppendFill
				halls[code] = hb
			}
			open, events := hb.open, hb.events
			var err error
			if w.reset {
				// At the day reset the engine drops every ticket it held (no-shows without an
				// event) except those at a counter, which the change lists with the cancelled
				// ones: the index starts again from the tickets of this change.
				if err := tx.DeleteBucket(openBucket(code)); err != nil {
					return fmt.Errorf("reset open index %s: %w", code, err)
				}
				if open, err = tx.CreateBucket(openBucket(code)); err != nil {
					return fmt.Errorf("reset open index %s: %w", code, err)
				}
				hb.open = open
				halls[code] = hb
			}
			for i := range w.tickets {
				t := &w.tickets[i]
				id := []byte(t.id)
				if err := tickets.Put(id, t.val); err != nil {
					return fmt.Errorf("put ticket %s: %w", t.id, err)
				}
				if t.token != "" {
					if err := tokens.Put([]byte(t.token), id); err != nil {
						return fmt.Errorf("put token: %w", err)
					}
				}
				if t.open {
					err = open.Put(id, nil)
				} else {
					err = open.Delete(id)
				}
				if err != nil {
					return fmt.Errorf("open index %s: %w", t.id, err)
				}
			}
			for _, e := range w.events {
				binary.BigEndian.PutUint64(key[:], e.seq)
				if err := events.Put(key[:], e.val); err != nil {
					return fmt.Errorf("put event %s/%d: %w", code, e.seq, err)
				}
			}
			if w.idemKey != "" {
				if err := idem.Put([]byte(w.idemKey), w.idemVal); err != nil {
					return fmt.Errorf("put idempotency key: %w", err)
				}
			}
			if w.meta != nil {
				if err := meta.Put([]byte(code), w.meta); err != nil {
					return fmt.Errorf("put meta %s: %w", code, err)
				}
			}
		}
	}
	return nil
}

// queueAppendFill is the fill percent of the queue's buckets whose keys grow (follow tokens,
// tickets, each hall's events), as caseEventsFill is the case log's.
const queueAppendFill = 0.9

// issuedIn reports whether the change issues the ticket with this ID.
func issuedIn(ch queue.Change, id string) bool {
	for i := range ch.Events {
		if ev := &ch.Events[i]; ev.Type == hall.EventIssued && ev.Ticket != nil && ev.Ticket.ID == id {
			return true
		}
	}
	return false
}

// dayReset reports whether a change contains the day reset.
func dayReset(ch queue.Change) bool {
	for i := range ch.Events {
		if ch.Events[i].Type == hall.EventDayReset {
			return true
		}
	}
	return false
}

// keepOpen reports whether a ticket belongs in the open index: open states and no-shows (which
// may be reinstated; Restore decides, and the day reset clears the index).
func keepOpen(t *hall.Ticket) bool {
	return t.State.Open() || t.State == hall.TicketNoShow
}
