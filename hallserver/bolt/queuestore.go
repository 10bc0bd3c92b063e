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

// queueWrite is a change of one hall prepared for the committer: the JSON of its tickets and
// events, encoded in the caller's goroutine.
type queueWrite struct {
	hall    string
	change  queue.Change
	idemKey string // set for an issue with an idempotency key (stored in the same transaction)
	idemID  string
	tickets [][]byte
	events  [][]byte
}

// Prepare encodes the change's tickets and events.
func (s *queueStore) Prepare(code string, ch queue.Change, idemKey, idemID string) (any, error) {
	w := &queueWrite{hall: code, change: ch, idemKey: idemKey, idemID: idemID}
	w.tickets = make([][]byte, len(ch.Tickets))
	for i := range ch.Tickets {
		v, err := json.Marshal(&ch.Tickets[i])
		if err != nil {
			return nil, fmt.Errorf("encode ticket %s: %w", ch.Tickets[i].ID, err)
		}
		w.tickets[i] = v
	}
	var err error
	if w.events, err = encodeEach(ch.Events); err != nil {
		return nil, err
	}
	return w, nil
}

// Commit writes the batch in one transaction: tickets, tokens, open index, events, idempotency
// keys and each hall's latest meta.
func (s *queueStore) Commit(batch []any) error {
	return s.db.commit(func(tx *bbolt.Tx) error { return s.write(tx, prepared[*queueWrite](batch)) })
}

// Events reads the hall's committed events after seq up to last.
func (s *queueStore) Events(ctx context.Context, code string, after, last uint64, limit int) ([]hall.Event, error) {
	return readEvents[hall.Event](ctx, s.db, eventsBucket(code), after, last, limit)
}

// load reads a hall's meta (hasMeta false when it has none yet) and its open tickets.
func (s *queueStore) LoadHall(code string) (meta queue.Meta, hasMeta bool, open []hall.Ticket, err error) {
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
	return s.db.readIdem(bucketIdem, code+"/"+key)
}

// PruneIdem deletes the hall idempotency records older than ttl.
func (s *queueStore) PruneIdem(ttl time.Duration, now time.Time) {
	s.db.pruneIdem(bucketIdem, ttl, now)
}

// TicketByID reads a committed ticket.
func (s *queueStore) TicketByID(ctx context.Context, id string) (*hall.Ticket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var t *hall.Ticket
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketTickets).Get([]byte(id))
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

// ticketByToken reads the committed ticket the follow token names, nil when none.
func ticketByToken(tx *bbolt.Tx, token string) (*hall.Ticket, error) {
	id := tx.Bucket(bucketTokens).Get([]byte(token))
	if id == nil {
		return nil, nil
	}
	v := tx.Bucket(bucketTickets).Get(id)
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
	err := s.db.bolt.View(func(tx *bbolt.Tx) (err error) {
		t, err = ticketByToken(tx, token)
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

// write puts one batch into the transaction: tickets, tokens, open index, events, idempotency keys
// and each hall's latest meta.
func (s *queueStore) write(tx *bbolt.Tx, batch []*queueWrite) error {
	tickets := tx.Bucket(bucketTickets)
	tokens := tx.Bucket(bucketTokens)
	idem := tx.Bucket(bucketIdem)
	metas := map[string]*queue.Meta{}
	var key [8]byte
	for _, r := range batch {
		code := r.hall
		open := tx.Bucket(openBucket(code))
		events := tx.Bucket(eventsBucket(code))
		if dayReset(r.change) {
			// At the day reset the engine drops every ticket it held (no-shows without an
			// event) except those at a counter, which the change lists with the cancelled
			// ones: the index starts again from the tickets of this change.
			if err := tx.DeleteBucket(openBucket(code)); err != nil {
				return fmt.Errorf("reset open index %s: %w", code, err)
			}
			var err error
			if open, err = tx.CreateBucket(openBucket(code)); err != nil {
				return fmt.Errorf("reset open index %s: %w", code, err)
			}
		}
		for i := range r.change.Tickets {
			t := &r.change.Tickets[i]
			id := []byte(t.ID)
			if err := tickets.Put(id, r.tickets[i]); err != nil {
				return fmt.Errorf("put ticket %s: %w", t.ID, err)
			}
			if t.Token != "" && issuedIn(r.change, t.ID) {
				// A token never changes: write it once (random keys cost a page each).
				if err := tokens.Put([]byte(t.Token), id); err != nil {
					return fmt.Errorf("put token: %w", err)
				}
			}
			var err error
			if keepOpen(t) {
				err = open.Put(id, nil)
			} else {
				err = open.Delete(id)
			}
			if err != nil {
				return fmt.Errorf("open index %s: %w", t.ID, err)
			}
		}
		for i := range r.change.Events {
			ev := &r.change.Events[i]
			binary.BigEndian.PutUint64(key[:], ev.Seq)
			if err := events.Put(key[:], r.events[i]); err != nil {
				return fmt.Errorf("put event %s/%d: %w", code, ev.Seq, err)
			}
		}
		if r.idemKey != "" {
			var seq uint64
			if n := len(r.change.Events); n > 0 {
				seq = r.change.Events[n-1].Seq
			}
			v, _ := json.Marshal(idemRecord{ID: r.idemID, At: s.now().UTC(), Seq: seq})
			if err := idem.Put([]byte(code+"/"+r.idemKey), v); err != nil {
				return fmt.Errorf("put idempotency key: %w", err)
			}
		}
		metas[code] = &r.change.Meta
	}
	for code, m := range metas {
		v, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode meta %s: %w", code, err)
		}
		if err := tx.Bucket(bucketMeta).Put([]byte(code), v); err != nil {
			return fmt.Errorf("put meta %s: %w", code, err)
		}
	}
	return nil
}

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
