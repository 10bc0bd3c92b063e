package etcd

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/authkit"
	"onedoor/hallserver/hall"
)

// MaxRequesterSessions bounds the requester sessions kept on etcd: a sign-in beyond it drops the
// expired ones, then the oldest (as the bbolt store).
const MaxRequesterSessions = 100000

// CaseIndex finds the cases a requester opened and who opened a case: the case store's index
// (the bbolt file's while the case system is not on etcd).
type CaseIndex interface {
	RequesterCases(ctx context.Context, id hall.Identity, limit int) ([]hall.Case, error)
	CaseRequester(ctx context.Context, caseID string) (*hall.Identity, error)
}

// Requesters implements hall.RequesterService with the sessions of identified requesters (CAS,
// WeChat Work) on etcd, so that a requester stays signed in when another server takes over;
// their cases are found in the case store's index. Sign-ins and sign-outs are fenced.
type Requesters struct {
	cli    *clientv3.Client
	prefix string
	fence  Fence
	now    func() time.Time
	cases  CaseIndex
	// Max bounds the sessions (MaxRequesterSessions; tests lower it).
	Max int
}

var _ hall.RequesterService = (*Requesters)(nil)

// NewRequesters returns the requester sessions on cli under prefix (now nil: time.Now), the
// cases from cases.
func NewRequesters(cli *clientv3.Client, prefix string, fence Fence, now func() time.Time, cases CaseIndex) *Requesters {
	if now == nil {
		now = time.Now
	}
	return &Requesters{cli: cli, prefix: prefix, fence: fence, now: now, cases: cases, Max: MaxRequesterSessions}
}

func (q *Requesters) base() string { return q.prefix + "rq/sess/" }
func (q *Requesters) key(token string) string {
	h := authkit.HashToken(token)
	return q.base() + hex.EncodeToString(h[:])
}

// StartSession stores a new session of the identity and returns its token (32 random bytes,
// base64url); etcd keeps only the token's SHA-256.
func (q *Requesters) StartSession(ctx context.Context, id hall.Identity) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := id.Check(); err != nil {
		return "", err
	}
	token, err := authkit.RandomToken()
	if err != nil {
		return "", fmt.Errorf("etcd: %w", err)
	}
	now := q.now().UTC()
	v, err := json.Marshal(authkit.RequesterSession{Identity: id, Created: now, Expires: now.Add(authkit.RequesterSessionTTL)})
	if err != nil {
		return "", fmt.Errorf("etcd: encode requester session: %w", err)
	}
	gctx, cancel := context.WithTimeout(ctx, opTimeout)
	r, err := q.cli.Get(gctx, q.base(), clientv3.WithPrefix(), clientv3.WithCountOnly())
	cancel()
	if err != nil {
		return "", unavailable("store requester session", err)
	}
	if int(r.Count) >= q.Max {
		if err := q.evict(ctx, now); err != nil {
			return "", unavailable("store requester session", err)
		}
	}
	if err := commit(ctx, q.cli, q.fence, nil, []clientv3.Op{clientv3.OpPut(q.key(token), string(v))}); err != nil {
		return "", unavailable("store requester session", err)
	}
	return token, nil
}

// evict makes room for one session: it drops the expired sessions, and when none had expired,
// the oldest one.
func (q *Requesters) evict(ctx context.Context, now time.Time) error {
	gctx, cancel := context.WithTimeout(ctx, opTimeout)
	r, err := q.cli.Get(gctx, q.base(), clientv3.WithPrefix())
	cancel()
	if err != nil {
		return fmt.Errorf("etcd: read requester sessions: %w", err)
	}
	var (
		old       []string
		oldest    string
		oldestAge time.Time
	)
	for _, kv := range r.Kvs {
		var s authkit.RequesterSession
		if json.Unmarshal(kv.Value, &s) != nil || !now.Before(s.Expires) {
			old = append(old, string(kv.Key))
		} else if oldest == "" || s.Created.Before(oldestAge) {
			oldest, oldestAge = string(kv.Key), s.Created
		}
	}
	if len(old) == 0 && oldest != "" {
		old = append(old, oldest)
	}
	for len(old) > 0 {
		n := min(len(old), MaxTxnOps)
		ops := make([]clientv3.Op, n)
		for i, k := range old[:n] {
			ops[i] = clientv3.OpDelete(k)
		}
		if err := commit(ctx, q.cli, q.fence, nil, ops); err != nil {
			return err
		}
		old = old[n:]
	}
	return nil
}

// Session resolves a session token; EUNAUTHORIZED when unknown or expired.
func (q *Requesters) Session(ctx context.Context, token string) (*hall.Identity, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if token == "" || len(token) > 512 {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "no requester session")
	}
	gctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := q.cli.Get(gctx, q.key(token))
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read requester session: %v", err)
	}
	var s authkit.RequesterSession
	if len(r.Kvs) > 0 {
		if err := json.Unmarshal(r.Kvs[0].Value, &s); err != nil {
			return nil, fmt.Errorf("etcd: decode requester session: %w", err)
		}
	}
	if len(r.Kvs) == 0 || !q.now().Before(s.Expires) {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "unknown or expired requester session")
	}
	return &s.Identity, nil
}

// EndSession deletes a session; unknown tokens are not an error.
func (q *Requesters) EndSession(ctx context.Context, token string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := commit(ctx, q.cli, q.fence, nil, []clientv3.Op{clientv3.OpDelete(q.key(token))}); err != nil {
		return unavailable("end requester session", err)
	}
	return nil
}

// RequesterCases returns the cases opened under the identity, newest first (the case index's).
func (q *Requesters) RequesterCases(ctx context.Context, id hall.Identity, limit int) ([]hall.Case, error) {
	return q.cases.RequesterCases(ctx, id, limit)
}

// CaseRequester returns the identity the case was opened under (the case index's).
func (q *Requesters) CaseRequester(ctx context.Context, caseID string) (*hall.Identity, error) {
	return q.cases.CaseRequester(ctx, caseID)
}
