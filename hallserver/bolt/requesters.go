package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/authkit"
	"onedoor/hallserver/hall"
)

// Requesters: the sessions of identified requesters (CAS, WeChat Work) and the index of the
// cases they opened (issue 15). Apart from the staff sessions: a requester session opens no
// staff route, a staff session no requester's list.
var (
	// bucketRequesterSessions maps SHA-256(token) to a requesterSession (JSON).
	bucketRequesterSessions = []byte("requester.sessions")
	// bucketCaseRequester indexes cases by who opened them: Identity.Key() + 0x00 +
	// receivedKey (8-byte ReceivedAt + case ID) → nil. Written in the transaction that opens
	// the case (casestore.go write), never rewritten.
	bucketCaseRequester = []byte("cases.requester")
	// bucketCaseRequesterOf is the same index the other way: case ID → Identity.Key(), so that
	// a notice of the case's reply finds who to tell (CaseRequester).
	bucketCaseRequesterOf = []byte("cases.requester.of")
)

// RequesterSessionTTL is how long a requester session lasts after sign-in (fixed, not sliding).
const RequesterSessionTTL = authkit.RequesterSessionTTL

// MaxRequesterSessions bounds the requester sessions the file keeps: a sign-in beyond it drops
// the expired ones, then the oldest.
const MaxRequesterSessions = 100000

// MaxRequesterCases bounds how many of a requester's cases RequesterCases returns.
const MaxRequesterCases = 200

type requesterSession = authkit.RequesterSession

// Requesters implements hall.RequesterService on the bbolt file.
type Requesters struct {
	db  *DB
	now func() time.Time
	max int
}

var _ hall.RequesterService = (*Requesters)(nil)

// NewRequesters returns the requester sessions and case index of the file (now nil: time.Now).
func NewRequesters(db *DB, now func() time.Time) (*Requesters, error) {
	if now == nil {
		now = time.Now
	}
	if err := db.ensureBuckets(bucketRequesterSessions, bucketCaseRequester, bucketCaseRequesterOf); err != nil {
		return nil, fmt.Errorf("bolt: requester buckets: %w", err)
	}
	if err := db.bolt.Update(backfillRequesterOf); err != nil {
		return nil, fmt.Errorf("bolt: requester index by case: %w", err)
	}
	return &Requesters{db: db, now: now, max: MaxRequesterSessions}, nil
}

// backfillRequesterOf fills cases.requester.of from cases.requester when it is empty and the
// index is not (a file whose index was written before the reverse one existed).
func backfillRequesterOf(tx *bbolt.Tx) error {
	of, idx := tx.Bucket(bucketCaseRequesterOf), tx.Bucket(bucketCaseRequester)
	if k, _ := of.Cursor().First(); k != nil {
		return nil
	}
	return idx.ForEach(func(k, _ []byte) error {
		// source 0x00 account 0x00 ReceivedAt (8 bytes) case ID
		src, rest, ok1 := bytes.Cut(k, []byte{0})
		acct, rk, ok2 := bytes.Cut(rest, []byte{0})
		if !ok1 || !ok2 || len(rk) <= 8 {
			return nil // not a key this code writes: leave it
		}
		return of.Put(bytes.Clone(rk[8:]), []byte(string(src)+"\x00"+string(acct)))
	})
}

// StartSession stores a new session of the identity and returns its token (32 random bytes,
// base64url); the file keeps only the token's SHA-256.
func (q *Requesters) StartSession(ctx context.Context, id hall.Identity) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := id.Check(); err != nil {
		return "", err
	}
	token, err := randomToken()
	if err != nil {
		return "", err
	}
	h := hashToken(token)
	now := q.now().UTC()
	v, err := json.Marshal(requesterSession{Identity: id, Created: now, Expires: now.Add(RequesterSessionTTL)})
	if err != nil {
		return "", fmt.Errorf("bolt: encode requester session: %w", err)
	}
	err = q.db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketRequesterSessions)
		if b.Stats().KeyN >= q.max {
			q.evict(b, now)
		}
		return b.Put(h[:], v)
	})
	if err != nil {
		return "", hall.Errorf(hall.EUNAVAILABLE, "", "bolt: store requester session: %v", err)
	}
	return token, nil
}

// evict makes room for one session: it drops the expired sessions, and when none had expired,
// the oldest one.
func (q *Requesters) evict(b *bbolt.Bucket, now time.Time) {
	var (
		old       [][]byte
		oldest    []byte
		oldestAge time.Time
	)
	b.ForEach(func(k, v []byte) error {
		var s requesterSession
		if json.Unmarshal(v, &s) != nil || !now.Before(s.Expires) {
			old = append(old, bytes.Clone(k))
		} else if oldest == nil || s.Created.Before(oldestAge) {
			oldest, oldestAge = bytes.Clone(k), s.Created
		}
		return nil
	})
	if len(old) == 0 && oldest != nil {
		old = append(old, oldest)
	}
	for _, k := range old {
		b.Delete(k)
	}
}

// Session resolves a session token; EUNAUTHORIZED when unknown or expired.
func (q *Requesters) Session(ctx context.Context, token string) (*hall.Identity, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if token == "" || len(token) > 512 {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "no requester session")
	}
	h := hashToken(token)
	var s *requesterSession
	err := q.db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketRequesterSessions).Get(h[:])
		if v == nil {
			return nil
		}
		s = new(requesterSession)
		return json.Unmarshal(v, s)
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read requester session: %v", err)
	}
	if s == nil || !q.now().Before(s.Expires) {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "unknown or expired requester session")
	}
	return &s.Identity, nil
}

// EndSession deletes a session; unknown tokens are not an error.
func (q *Requesters) EndSession(ctx context.Context, token string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h := hashToken(token)
	err := q.db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketRequesterSessions).Delete(h[:]) })
	if err != nil {
		return hall.Errorf(hall.EUNAVAILABLE, "", "bolt: end requester session: %v", err)
	}
	return nil
}

// RequesterCases reads the cases opened under the identity from cases.requester, newest first,
// at most limit (at most MaxRequesterCases), as the store last committed them.
func (q *Requesters) RequesterCases(ctx context.Context, id hall.Identity, limit int) ([]hall.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxRequesterCases {
		limit = MaxRequesterCases
	}
	prefix := append([]byte(id.Key()), 0)
	var out []hall.Case
	err := q.db.bolt.View(func(tx *bbolt.Tx) error {
		idx := tx.Bucket(bucketCaseRequester)
		if idx == nil || tx.Bucket(bucketCases) == nil {
			return nil
		}
		ct := caseTxOf(tx)
		cur := idx.Cursor()
		// The last key of the prefix: seek past it, step back.
		k, _ := cur.Seek(append(bytes.Clone(prefix), 0xff))
		if k == nil {
			k, _ = cur.Last()
		} else {
			k, _ = cur.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = cur.Prev() {
			rk := k[len(prefix):]
			if len(rk) <= 8 {
				continue
			}
			c, err := ct.get(rk[8:])
			if err != nil {
				return err
			}
			if c != nil {
				out = append(out, *c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read requester cases: %v", err)
	}
	return out, nil
}

// indexRequester puts an opened case under its requester's identity (none: nothing to do).
func indexRequester(tx *bbolt.Tx, c *hall.Case) error {
	id := c.Requester.Identity
	if id == nil || id.Check() != nil {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketCaseRequester)
	if err != nil {
		return fmt.Errorf("requester index: %w", err)
	}
	k := append(append([]byte(id.Key()), 0), receivedKey(c)...)
	if err := b.Put(k, nil); err != nil {
		return fmt.Errorf("requester index %s: %w", c.ID, err)
	}
	of, err := tx.CreateBucketIfNotExists(bucketCaseRequesterOf)
	if err != nil {
		return fmt.Errorf("requester index: %w", err)
	}
	if err := of.Put([]byte(c.ID), []byte(id.Key())); err != nil {
		return fmt.Errorf("requester index %s: %w", c.ID, err)
	}
	return nil
}

// CaseRequester returns the identity the case was opened under (nil when it was opened without
// one): who to tell when its reply is ready.
func (q *Requesters) CaseRequester(ctx context.Context, caseID string) (*hall.Identity, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var id *hall.Identity
	err := q.db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketCaseRequesterOf)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(caseID))
		if v == nil {
			return nil
		}
		src, acct, ok := bytes.Cut(v, []byte{0})
		if !ok {
			return fmt.Errorf("case %s: a requester key without its separator", caseID)
		}
		id = &hall.Identity{Source: hall.IdentitySource(src), ID: string(acct)}
		return nil
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read the requester of case %s: %v", caseID, err)
	}
	return id, nil
}
