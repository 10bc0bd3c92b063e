package etcd

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/authkit"
	"onedoor/hallserver/hall"
)

var (
	_ hall.AuthService   = (*Auth)(nil)
	_ hall.AdminService  = (*Auth)(nil)
	_ hall.ExternalLogin = (*Auth)(nil)
)

// maxCached bounds the token cache.
const maxCached = 10000

// casTries bounds the retries of a compare-and-swap that lost to a concurrent write.
const casTries = 5

// Auth implements hall.AuthService, hall.AdminService and hall.ExternalLogin on etcd (layout:
// doc.go): the same accounts, rules and audit entries as the bbolt store (the rules are
// authkit's), so that staff stay signed in and accounts stay valid when another server takes
// over. Sessions and device tokens are stored as SHA-256 hashes. The changes made through the
// API (sign-in, sign-out, the administration) are fenced on the owner's election key;
// CreateStaff and CreateDevice (the demo seed, run by every server at start) are
// compare-and-swaps. Every API request authenticates, so resolved tokens are cached in memory;
// the cache is used only while Watch follows the auth keys (any change to them clears it).
type Auth struct {
	cli    *clientv3.Client
	prefix string
	fence  Fence
	now    func() time.Time
	dummy  []byte
	keys   *auditKeys

	// wmu serializes this server's read-modify-write changes (the fence keeps every other
	// server out of them).
	wmu sync.Mutex

	mu       sync.RWMutex
	cache    map[[32]byte]cachedPrincipal
	gen      uint64
	watching bool
}

type cachedPrincipal struct {
	p       *hall.Principal
	expires time.Time // zero for devices
}

// NewAuth returns the accounts and sessions on cli under prefix, writing through the API only
// while fence allows (now nil: time.Now). Run Watch for the token cache.
func NewAuth(cli *clientv3.Client, prefix string, fence Fence, now func() time.Time) *Auth {
	if now == nil {
		now = time.Now
	}
	return &Auth{cli: cli, prefix: prefix, fence: fence, now: now, dummy: authkit.DummyHash(), keys: newAuditKeys(), cache: map[[32]byte]cachedPrincipal{}}
}

func (a *Auth) staffKey(username string) string { return a.prefix + "auth/staff/" + username }
func (a *Auth) devKey(h [32]byte) string        { return a.prefix + "auth/dev/" + hex.EncodeToString(h[:]) }
func (a *Auth) devRevokedKey(id string) string  { return a.prefix + "auth/devrev/" + id }
func (a *Auth) sessKey(h [32]byte) string       { return a.prefix + "auth/sess/" + hex.EncodeToString(h[:]) }

// invalidate clears the token cache.
func (a *Auth) invalidate() {
	a.mu.Lock()
	clear(a.cache)
	a.gen++
	a.mu.Unlock()
}

// Watch follows every change of the auth keys until ctx ends, clearing the token cache at each;
// the cache serves only while the watch runs (after a broken watch it is cleared and rebuilt).
func (a *Auth) Watch(ctx context.Context) {
	defer a.setWatching(false)
	for ctx.Err() == nil {
		r, err := a.cli.Get(ctx, a.prefix+"auth/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wc := a.cli.Watch(wctx, a.prefix+"auth/", clientv3.WithPrefix(), clientv3.WithRev(r.Header.Revision+1))
		a.invalidate()
		a.setWatching(true)
		for w := range wc {
			a.invalidate()
			if w.Err() != nil {
				break
			}
		}
		a.setWatching(false)
		a.invalidate()
		cancel()
	}
}

func (a *Auth) setWatching(on bool) {
	a.mu.Lock()
	a.watching = on
	a.mu.Unlock()
}

// Login checks a password and returns a new session token (32 random bytes, base64url).
func (a *Auth) Login(ctx context.Context, username, password string) (string, *hall.Principal, error) {
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	s, err := a.Staff(ctx, username)
	if err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
		return "", nil, err
	}
	from := hall.ClientAddr(ctx)
	if why := authkit.RefuseLogin(s, a.dummy, password); why != "" {
		return "", nil, a.failed(ctx, authkit.LoginFailedAudit(a.now(), username, why, from), authkit.Unauthorized())
	}
	token, err := a.startSession(ctx, s.Username, authkit.FromDetail(from))
	if err != nil {
		return "", nil, err
	}
	return token, authkit.StaffPrincipal(s), nil
}

// failed records a refused sign-in in the audit trail (its own Txn) and returns refusal.
func (a *Auth) failed(ctx context.Context, e hall.AuditEntry, refusal error) error {
	op, err := a.keys.put(a.prefix, e)
	if err == nil {
		err = commit(ctx, a.cli, a.fence, nil, []clientv3.Op{op})
	}
	if err != nil {
		return unavailable("record a failed sign-in", err)
	}
	return refusal
}

// startSession stores a new session of username with its audit entry, dropping expired
// sessions (a few each time: sign-ins are rare, sessions few).
func (a *Auth) startSession(ctx context.Context, username, detail string) (string, error) {
	token, err := authkit.RandomToken()
	if err != nil {
		return "", fmt.Errorf("etcd: %w", err)
	}
	now := a.now()
	v, err := json.Marshal(authkit.Session{Username: username, Expires: now.Add(authkit.SessionTTL).UTC()})
	if err != nil {
		return "", fmt.Errorf("etcd: encode session: %w", err)
	}
	audit, err := a.keys.put(a.prefix, authkit.LoginAudit(now, username, detail))
	if err != nil {
		return "", err
	}
	ops := []clientv3.Op{clientv3.OpPut(a.sessKey(authkit.HashToken(token)), string(v)), audit}
	sess, err := a.sessions(ctx)
	if err != nil {
		return "", unavailable("store session", err)
	}
	for _, kv := range sess {
		if len(ops) >= MaxTxnOps {
			break
		}
		var ss authkit.Session
		if json.Unmarshal(kv.Value, &ss) != nil || now.After(ss.Expires) {
			ops = append(ops, clientv3.OpDelete(string(kv.Key)))
		}
	}
	if err := commit(ctx, a.cli, a.fence, nil, ops); err != nil {
		return "", unavailable("store session", err)
	}
	return token, nil
}

// sessions reads every staff session.
func (a *Auth) sessions(ctx context.Context) ([]*mvccpb.KeyValue, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := a.cli.Get(ctx, a.prefix+"auth/sess/", clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("etcd: read sessions: %w", err)
	}
	return r.Kvs, nil
}

// Logout ends a session. Unknown tokens are not an error.
func (a *Auth) Logout(ctx context.Context, token string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key := a.sessKey(authkit.HashToken(token))
	defer a.invalidate()
	gctx, cancel := context.WithTimeout(ctx, opTimeout)
	r, err := a.cli.Get(gctx, key)
	cancel()
	if err != nil {
		return unavailable("logout", err)
	}
	if len(r.Kvs) == 0 {
		return nil
	}
	var ss authkit.Session
	_ = json.Unmarshal(r.Kvs[0].Value, &ss)
	audit, err := a.keys.put(a.prefix, hall.AuditEntry{At: a.now(), Actor: ss.Username, Kind: hall.AuditLogout, Target: ss.Username})
	if err != nil {
		return err
	}
	err = commit(ctx, a.cli, a.fence, []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(key), "=", r.Kvs[0].ModRevision)},
		[]clientv3.Op{clientv3.OpDelete(key), audit})
	if err == errConflict {
		return nil // ended meanwhile (its account disabled, another sign-out)
	}
	if err != nil {
		return unavailable("logout", err)
	}
	return nil
}

// Authenticate resolves a session or device token; EUNAUTHORIZED when unknown or expired.
func (a *Auth) Authenticate(ctx context.Context, token string) (*hall.Principal, error) {
	if token == "" {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "no credentials")
	}
	h := authkit.HashToken(token)
	now := a.now()
	a.mu.RLock()
	c, ok := a.cache[h]
	gen, watching := a.gen, a.watching
	a.mu.RUnlock()
	if ok && watching && (c.expires.IsZero() || now.Before(c.expires)) {
		return c.p, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, expires, err := a.resolve(ctx, h, now)
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: authenticate: %v", err)
	}
	if p == nil {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "unknown or expired token")
	}
	a.mu.Lock()
	if a.gen == gen && a.watching {
		if len(a.cache) >= maxCached {
			clear(a.cache) // crude bound; entries come back on their next use
		}
		a.cache[h] = cachedPrincipal{p: p, expires: expires}
	}
	a.mu.Unlock()
	return p, nil
}

// resolve reads a token's session (and its account) or device, at one revision.
func (a *Auth) resolve(ctx context.Context, h [32]byte, now time.Time) (*hall.Principal, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := a.cli.Txn(ctx).Then(clientv3.OpGet(a.sessKey(h)), clientv3.OpGet(a.devKey(h))).Commit()
	if err != nil {
		return nil, time.Time{}, err
	}
	if kvs := r.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
		var s authkit.Session
		if err := json.Unmarshal(kvs[0].Value, &s); err != nil {
			return nil, time.Time{}, fmt.Errorf("decode session: %w", err)
		}
		if !now.Before(s.Expires) {
			return nil, time.Time{}, nil
		}
		sr, err := a.cli.Get(ctx, a.staffKey(s.Username), clientv3.WithRev(r.Header.Revision))
		if err != nil {
			return nil, time.Time{}, err
		}
		if len(sr.Kvs) == 0 {
			return nil, time.Time{}, nil // staff deleted
		}
		var st hall.Staff
		if err := json.Unmarshal(sr.Kvs[0].Value, &st); err != nil {
			return nil, time.Time{}, fmt.Errorf("decode staff: %w", err)
		}
		if st.Disabled {
			return nil, time.Time{}, nil
		}
		return authkit.StaffPrincipal(&st), s.Expires, nil
	}
	if kvs := r.Responses[1].GetResponseRange().Kvs; len(kvs) > 0 {
		var d hall.Device
		if err := json.Unmarshal(kvs[0].Value, &d); err != nil {
			return nil, time.Time{}, fmt.Errorf("decode device: %w", err)
		}
		return authkit.DevicePrincipal(&d), time.Time{}, nil
	}
	return nil, time.Time{}, nil
}

// put writes key = v if the key is as read (mod revision rev: 0 for absent), retrying with
// read on a lost compare-and-swap; unfenced (any server may seed).
func (a *Auth) casPut(ctx context.Context, key string, v []byte) error {
	for range casTries {
		gctx, cancel := context.WithTimeout(ctx, opTimeout)
		r, err := a.cli.Get(gctx, key)
		cancel()
		if err != nil {
			return err
		}
		var rev int64
		if len(r.Kvs) > 0 {
			rev = r.Kvs[0].ModRevision
		}
		err = commit(ctx, a.cli, nil, []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(key), "=", rev)},
			[]clientv3.Op{clientv3.OpPut(key, string(v))})
		if err != errConflict {
			return err
		}
	}
	return errConflict
}

// CreateStaff adds or replaces a staff account with a password (bcrypt, default cost): a
// compare-and-swap on the account's key, not fenced (the demo seed runs on every server).
func (a *Auth) CreateStaff(ctx context.Context, s hall.Staff, password string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := authkit.NewStaff(&s, password, a.now(), true); err != nil {
		return err
	}
	v, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("etcd: encode staff: %w", err)
	}
	err = a.casPut(ctx, a.staffKey(s.Username), v)
	a.invalidate()
	if err != nil {
		return unavailable("create staff", err)
	}
	return nil
}

// CreateDevice enrols a device and returns its bearer token: the given one (demo tokens) or a
// new random one; an empty ID is generated. Enrolling a known token again replaces its device.
// A compare-and-swap like CreateStaff.
func (a *Auth) CreateDevice(ctx context.Context, d hall.Device, token string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	token, h, err := authkit.NewDevice(&d, token, a.now())
	if err != nil {
		return "", err
	}
	v, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("etcd: encode device: %w", err)
	}
	err = a.casPut(ctx, a.devKey(h), v)
	a.invalidate()
	if err != nil {
		return "", unavailable("create device", err)
	}
	return token, nil
}

// Staff returns a staff account (with its password hash); ENOTFOUND when absent.
func (a *Auth) Staff(ctx context.Context, username string) (*hall.Staff, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	gctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := a.cli.Get(gctx, a.staffKey(username))
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read staff: %v", err)
	}
	if len(r.Kvs) == 0 {
		return nil, hall.Errorf(hall.ENOTFOUND, "username", "no staff %q", username)
	}
	s := new(hall.Staff)
	if err := json.Unmarshal(r.Kvs[0].Value, s); err != nil {
		return nil, fmt.Errorf("etcd: decode staff %s: %w", username, err)
	}
	return s, nil
}

// allStaff reads every account (with its password hash and key's mod revision), by username.
func (a *Auth) allStaff(ctx context.Context) ([]hall.Staff, []int64, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := a.cli.Get(ctx, a.prefix+"auth/staff/", clientv3.WithPrefix())
	if err != nil {
		return nil, nil, fmt.Errorf("etcd: read staff: %w", err)
	}
	out, revs := make([]hall.Staff, 0, len(r.Kvs)), make([]int64, 0, len(r.Kvs))
	for _, kv := range r.Kvs {
		var s hall.Staff
		if err := json.Unmarshal(kv.Value, &s); err != nil {
			return nil, nil, fmt.Errorf("etcd: decode %s: %w", kv.Key, err)
		}
		out, revs = append(out, s), append(revs, kv.ModRevision)
	}
	return out, revs, nil
}

// ListStaff returns every staff account by username, without password hashes.
func (a *Auth) ListStaff(ctx context.Context) ([]hall.Staff, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, _, err := a.allStaff(ctx)
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: list staff: %v", err)
	}
	for i := range out {
		out[i].PasswordHash = nil
	}
	return out, nil
}

// casUserFree refuses a campus sign-on user another account than username already has.
func casUserFree(all []hall.Staff, casUser, username string) error {
	if casUser == "" {
		return nil
	}
	for _, o := range all {
		if o.Username != username && o.CASUser == casUser {
			return authkit.CASUserTaken(casUser, o.Username)
		}
	}
	return nil
}

// AddStaff creates an account with a password; ECONFLICT when the username is taken. Fenced.
func (a *Auth) AddStaff(ctx context.Context, actor string, s hall.Staff, password string) (*hall.Staff, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := authkit.NewStaff(&s, password, a.now(), false); err != nil {
		return nil, err
	}
	v, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("etcd: encode staff: %w", err)
	}
	a.wmu.Lock()
	defer a.wmu.Unlock()
	defer a.invalidate()
	all, _, err := a.allStaff(ctx)
	if err != nil {
		return nil, unavailable("add staff", err)
	}
	if err := casUserFree(all, s.CASUser, s.Username); err != nil {
		return nil, err
	}
	audit, err := a.keys.put(a.prefix, authkit.StaffAddedAudit(a.now(), actor, &s))
	if err != nil {
		return nil, err
	}
	key := a.staffKey(s.Username)
	err = commit(ctx, a.cli, a.fence, []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(key), "=", 0)},
		[]clientv3.Op{clientv3.OpPut(key, string(v)), audit})
	if err == errConflict {
		return nil, hall.Errorf(hall.ECONFLICT, "username", "staff %q exists", s.Username)
	}
	if err != nil {
		return nil, unavailable("add staff", err)
	}
	s.PasswordHash = nil
	return &s, nil
}

// UpdateStaff applies a patch to an account; ENOTFOUND when there is none. Disabling it or
// resetting its password deletes its sessions in the same Txn. Fenced, and a compare-and-swap
// on the account (a concurrent CreateStaff is read again, not overwritten).
func (a *Auth) UpdateStaff(ctx context.Context, actor, username string, p hall.StaffPatch) (*hall.Staff, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hash, err := authkit.PatchHash(p)
	if err != nil {
		return nil, err
	}
	a.wmu.Lock()
	defer a.wmu.Unlock()
	defer a.invalidate()
	for range casTries {
		out, err := a.updateStaff(ctx, actor, username, p, hash)
		if err != errConflict {
			return out, err
		}
	}
	return nil, unavailable("update staff", errConflict)
}

func (a *Auth) updateStaff(ctx context.Context, actor, username string, p hall.StaffPatch, hash []byte) (*hall.Staff, error) {
	all, revs, err := a.allStaff(ctx)
	if err != nil {
		return nil, unavailable("update staff", err)
	}
	i := sort.Search(len(all), func(i int) bool { return all[i].Username >= username })
	if i == len(all) || all[i].Username != username {
		return nil, hall.Errorf(hall.ENOTFOUND, "username", "no staff %q", username)
	}
	old, s := all[i], all[i]
	authkit.ApplyPatch(&s, p, hash)
	if p.CASUser != nil {
		if err := casUserFree(all, s.CASUser, username); err != nil {
			return nil, err
		}
	}
	v, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("etcd: encode staff: %w", err)
	}
	key := a.staffKey(username)
	ops := []clientv3.Op{clientv3.OpPut(key, string(v))}
	entries, end := authkit.PatchAudit(a.now(), actor, &old, &s, hash != nil)
	for _, e := range entries {
		op, err := a.keys.put(a.prefix, e)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	var ended []clientv3.Op
	if end {
		sess, err := a.sessions(ctx)
		if err != nil {
			return nil, unavailable("update staff", err)
		}
		for _, kv := range sess {
			var ss authkit.Session
			if json.Unmarshal(kv.Value, &ss) != nil || ss.Username == username {
				ended = append(ended, clientv3.OpDelete(string(kv.Key)))
			}
		}
	}
	// The sessions go in the account's Txn; should there be more than a Txn holds, the rest
	// follow in their own (a disabled account is refused by Authenticate anyway).
	n := min(len(ended), MaxTxnOps-len(ops))
	ops, ended = append(ops, ended[:n]...), ended[n:]
	err = commit(ctx, a.cli, a.fence, []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(key), "=", revs[i])}, ops)
	if err == errConflict {
		return nil, err
	}
	if err != nil {
		return nil, unavailable("update staff", err)
	}
	for len(ended) > 0 {
		n := min(len(ended), MaxTxnOps)
		if err := commit(ctx, a.cli, a.fence, nil, ended[:n]); err != nil {
			return nil, unavailable("end the sessions of "+username, err)
		}
		ended = ended[n:]
	}
	s.PasswordHash = nil
	return &s, nil
}

// ListDevices returns every device ever enrolled, by ID: the enrolled ones and the revoked ones
// (with RevokedAt) whose ID has not been enrolled again.
func (a *Auth) ListDevices(ctx context.Context) ([]hall.DeviceRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	gctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := a.cli.Txn(gctx).Then(clientv3.OpGet(a.prefix+"auth/dev/", clientv3.WithPrefix()),
		clientv3.OpGet(a.prefix+"auth/devrev/", clientv3.WithPrefix())).Commit()
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: list devices: %v", err)
	}
	var out []hall.DeviceRecord
	live := map[string]bool{}
	for _, kv := range r.Responses[0].GetResponseRange().Kvs {
		var d hall.Device
		if err := json.Unmarshal(kv.Value, &d); err != nil {
			return nil, fmt.Errorf("etcd: decode %s: %w", kv.Key, err)
		}
		live[d.ID] = true
		out = append(out, hall.DeviceRecord{Device: d})
	}
	for _, kv := range r.Responses[1].GetResponseRange().Kvs {
		var d hall.DeviceRecord
		if err := json.Unmarshal(kv.Value, &d); err != nil {
			return nil, fmt.Errorf("etcd: decode %s: %w", kv.Key, err)
		}
		if !live[d.ID] {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// EnrolDevice enrols a device with a new random token (returned once) and writes the audit
// entry in the same Txn. Fenced.
func (a *Auth) EnrolDevice(ctx context.Context, actor string, d hall.Device) (*hall.Device, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	d.ID, d.CreatedAt = "", time.Time{} // always the store's
	token, h, err := authkit.NewDevice(&d, "", a.now())
	if err != nil {
		return nil, "", err
	}
	v, err := json.Marshal(d)
	if err != nil {
		return nil, "", fmt.Errorf("etcd: encode device: %w", err)
	}
	audit, err := a.keys.put(a.prefix, authkit.DeviceAddedAudit(actor, &d))
	if err != nil {
		return nil, "", err
	}
	err = commit(ctx, a.cli, a.fence, nil, []clientv3.Op{clientv3.OpPut(a.devKey(h), string(v)), audit})
	a.invalidate()
	if err != nil {
		return nil, "", unavailable("enrol device", err)
	}
	return &d, token, nil
}

// RevokeDevice removes every token of the device with this ID, keeps the device among the
// revoked ones and writes the audit entry, in one Txn (fenced, and only if none of those tokens
// changed meanwhile); ENOTFOUND when no enrolled device has the ID.
func (a *Auth) RevokeDevice(ctx context.Context, actor, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a.wmu.Lock()
	defer a.wmu.Unlock()
	defer a.invalidate()
	for range casTries {
		err := a.revokeDevice(ctx, actor, id)
		if err != errConflict {
			return err
		}
	}
	return unavailable("revoke device", errConflict)
}

func (a *Auth) revokeDevice(ctx context.Context, actor, id string) error {
	gctx, cancel := context.WithTimeout(ctx, opTimeout)
	r, err := a.cli.Get(gctx, a.prefix+"auth/dev/", clientv3.WithPrefix())
	cancel()
	if err != nil {
		return unavailable("revoke device", err)
	}
	var (
		cmps []clientv3.Cmp
		ops  []clientv3.Op
		dev  hall.Device
	)
	for _, kv := range r.Kvs {
		var d hall.Device
		if json.Unmarshal(kv.Value, &d) == nil && d.ID == id {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(string(kv.Key)), "=", kv.ModRevision))
			ops = append(ops, clientv3.OpDelete(string(kv.Key)))
			dev = d
		}
	}
	if len(ops) == 0 {
		return hall.Errorf(hall.ENOTFOUND, "id", "no enrolled device %q", id)
	}
	now := a.now().UTC()
	v, err := json.Marshal(hall.DeviceRecord{Device: dev, RevokedAt: &now})
	if err != nil {
		return fmt.Errorf("etcd: encode device: %w", err)
	}
	audit, err := a.keys.put(a.prefix, authkit.DeviceRevokedAudit(now, actor, &dev))
	if err != nil {
		return err
	}
	ops = append(ops, clientv3.OpPut(a.devRevokedKey(id), string(v)), audit)
	err = commit(ctx, a.cli, a.fence, cmps, ops)
	if err != nil && err != errConflict {
		return unavailable("revoke device", err)
	}
	return err
}

// LoginExternal signs staff in through the campus sign-on: the account whose CASUser is user,
// else (when no account claims it) the account named user. It starts a session like Login
// (audited with via=source) and never creates an account: an unknown, ambiguous or disabled
// account gets EUNAUTHORIZED, with the failure in the audit trail.
func (a *Auth) LoginExternal(ctx context.Context, source hall.IdentitySource, user string) (string, *hall.Principal, error) {
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	user = strings.TrimSpace(user)
	from := hall.ClientAddr(ctx)
	via := "via=" + string(source)
	if !authkit.ExternalUserOK(user) {
		return "", nil, a.failed(ctx, authkit.LoginFailedAudit(a.now(), user, "no account for "+via, from), authkit.ExternalRefused(user))
	}
	all, _, err := a.allStaff(ctx)
	if err != nil {
		return "", nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read staff: %v", err)
	}
	m := authkit.NewExternalMatch(user)
	for _, s := range all {
		m.Add(s)
	}
	s, why, who := m.Result(via)
	if s == nil {
		return "", nil, a.failed(ctx, authkit.LoginFailedAudit(a.now(), who, why, from), authkit.ExternalRefused(who))
	}
	token, err := a.startSession(ctx, s.Username, authkit.WithFrom(via+" user="+user, from))
	if err != nil {
		return "", nil, err
	}
	return token, authkit.StaffPrincipal(s), nil
}

// Cached reports whether the token's principal is in the cache and the cache serves (tests).
func (a *Auth) Cached(token string) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	_, ok := a.cache[authkit.HashToken(token)]
	return ok && a.watching
}
