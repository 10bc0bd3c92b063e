package kiosk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Spool buckets: requests waiting for delivery, delivered ones (their receipts, for the desk to
// look up a reference), and ones the case system refused. The names are the file's format: a
// kiosk's existing file must keep working, never rename them.
var (
	bucketPending   = []byte("pending")
	bucketDelivered = []byte("delivered")
	bucketFailed    = []byte("failed")
)

// Spool keeps confirmed walk-in requests in a bbolt file on the kiosk until the hall server's case
// system has them (the kiosk's side only; the server's webhook delivery is hallserver/webhook). A
// request is written (fsync'd) before its first delivery attempt and removed only after the
// case system answered with a case; every attempt carries the same idempotency key, so a crash
// between the two makes a duplicate attempt, never a duplicate case.
type Spool struct {
	db *bolt.DB

	mu       sync.Mutex
	inflight map[string]bool
}

// OpenSpool opens (creating) the spool file (cmd/kiosk's -outbox flag). It fails after a second
// when another process holds the file.
func OpenSpool(path string) (*Spool, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketPending, bucketDelivered, bucketFailed} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("spool %s: %w", path, err)
	}
	return &Spool{db: db, inflight: map[string]bool{}}, nil
}

// Close closes the file.
func (s *Spool) Close() error { return s.db.Close() }

// Put stores a confirmed request durably.
func (s *Spool) Put(r CaseRequest) error {
	if r.IdempotencyKey == "" {
		return errors.New("spool: request without idempotency key")
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).Put([]byte(r.IdempotencyKey), b)
	})
}

// Pending returns the requests not delivered yet, oldest key first.
func (s *Spool) Pending() ([]CaseRequest, error) {
	var out []CaseRequest
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(k, v []byte) error {
			var r CaseRequest
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("spool entry %q: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// Backlog returns how many requests wait for delivery and how long the oldest of them has
// waited at now (since it was confirmed; 0 when none): the kiosk's heartbeat carries both.
func (s *Spool) Backlog(now time.Time) (pending int, oldest time.Duration, err error) {
	var first time.Time
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(k, v []byte) error {
			var r struct {
				ConfirmedAt time.Time `json:"confirmedAt"`
			}
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("spool entry %q: %w", k, err)
			}
			pending++
			if first.IsZero() || r.ConfirmedAt.Before(first) {
				first = r.ConfirmedAt
			}
			return nil
		})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("spool backlog: %w", err)
	}
	if pending > 0 && !first.IsZero() {
		oldest = max(0, now.Sub(first))
	}
	return pending, oldest, nil
}

// Delivered returns the receipt of a delivered request.
func (s *Spool) Delivered(key string) (*CaseReceipt, bool) {
	var rec *CaseReceipt
	_ = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDelivered).Get([]byte(key))
		if v != nil {
			var d struct {
				Receipt CaseReceipt `json:"receipt"`
			}
			if json.Unmarshal(v, &d) == nil {
				rec = &d.Receipt
			}
		}
		return nil
	})
	return rec, rec != nil
}

// move takes the request out of pending into bucket with the value.
func (s *Spool) move(key string, bucket []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketPending).Delete([]byte(key)); err != nil {
			return err
		}
		return tx.Bucket(bucket).Put([]byte(key), b)
	})
}

// Send delivers the pending request with the key now. It returns ErrCasesUnavailable (wrapped)
// when the case system cannot take it (the request stays pending), another error when the case
// system refused it (the request moves to the failed bucket), and errInFlight when another
// attempt for the key is running.
func (s *Spool) Send(ctx context.Context, sub CaseSubmitter, r CaseRequest) (*CaseReceipt, error) {
	s.mu.Lock()
	if s.inflight[r.IdempotencyKey] {
		s.mu.Unlock()
		return nil, errInFlight
	}
	s.inflight[r.IdempotencyKey] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.inflight, r.IdempotencyKey)
		s.mu.Unlock()
	}()
	rec, err := sub.Submit(ctx, r)
	switch {
	case err == nil:
		if err := s.move(r.IdempotencyKey, bucketDelivered, struct {
			Request CaseRequest `json:"request"`
			Receipt CaseReceipt `json:"receipt"`
			At      time.Time   `json:"at"`
		}{r, *rec, time.Now().UTC()}); err != nil {
			// Delivered, but still pending on disk: the next attempt repeats the key and gets
			// the same case back.
			return rec, nil
		}
		return rec, nil
	case errors.Is(err, ErrCasesUnavailable):
		return nil, err
	}
	b, _ := json.Marshal(struct {
		Request CaseRequest `json:"request"`
		Error   string      `json:"error"`
	}{r, err.Error()})
	_ = s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketPending).Delete([]byte(r.IdempotencyKey)); err != nil {
			return err
		}
		return tx.Bucket(bucketFailed).Put([]byte(r.IdempotencyKey), b)
	})
	return nil, err
}

// errInFlight says another attempt for the same request is running.
var errInFlight = errors.New("spool: delivery already in flight")

// DeliverAll tries every pending request once. It returns how many were delivered and whether
// some are still waiting because the case system is unavailable.
func (s *Spool) DeliverAll(ctx context.Context, sub CaseSubmitter) (delivered int, waiting bool, err error) {
	pending, err := s.Pending()
	if err != nil {
		return 0, false, err
	}
	for _, r := range pending {
		if ctx.Err() != nil {
			return delivered, true, ctx.Err()
		}
		_, err := s.Send(ctx, sub, r)
		switch {
		case err == nil:
			delivered++
		case errors.Is(err, ErrCasesUnavailable), errors.Is(err, errInFlight):
			waiting = true
		}
	}
	return delivered, waiting, nil
}
