package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/authkit"
	"onedoor/hallserver/hall"
)

var _ hall.AuthService = (*Auth)(nil)

// maxCached bounds the token cache.
const maxCached = 10000

// SessionTTL is how long a staff session lasts after login (fixed, not sliding: Authenticate never
// writes, and a stolen token expires the same day).
const SessionTTL = authkit.SessionTTL

// Auth implements hall.AuthService on the bbolt file: staff with bcrypt passwords, sessions and
// device tokens stored as SHA-256 hashes (a copy of the file does not reveal usable tokens).
// Every API request authenticates, so resolved tokens are cached in memory; any change to staff,
// devices or sessions clears the cache.
type Auth struct {
	db  *DB
	now func() time.Time

	mu    sync.RWMutex
	cache map[[32]byte]cached
	// gen counts the invalidations: a token resolved from the file is cached only when no
	// change came in between (else a read that began before a disable could cache the old
	// account after it).
	gen uint64
	// dummy is a bcrypt hash compared against when the username is unknown, so that a wrong
	// username takes as long as a wrong password.
	dummy []byte
}

type cached struct {
	p       *hall.Principal
	expires time.Time // zero for devices
}

type session = authkit.Session

// NewAuth returns the AuthService of the file.
func NewAuth(db *DB) *Auth {
	return &Auth{db: db, now: time.Now, cache: map[[32]byte]cached{}, dummy: authkit.DummyHash()}
}

func hashToken(token string) [32]byte { return authkit.HashToken(token) }

func (a *Auth) invalidate() {
	a.mu.Lock()
	clear(a.cache)
	a.gen++
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
		return "", nil, a.loginFailed(username, why, from)
	}
	token, err := randomToken()
	if err != nil {
		return "", nil, err
	}
	h := hashToken(token)
	v, _ := json.Marshal(session{Username: s.Username, Expires: a.now().Add(SessionTTL).UTC()})
	err = a.db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		// Drop expired sessions now and then: logins are rare, sessions few.
		now := a.now()
		var old [][]byte
		b.ForEach(func(k, v []byte) error {
			var ss session
			if json.Unmarshal(v, &ss) != nil || now.After(ss.Expires) {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range old {
			b.Delete(k)
		}
		if err := b.Put(h[:], v); err != nil {
			return err
		}
		return PutAudit(tx, authkit.LoginAudit(now, s.Username, authkit.FromDetail(from)))
	})
	if err != nil {
		return "", nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: store session: %v", err)
	}
	return token, authkit.StaffPrincipal(s), nil
}

// loginFailed records a failed sign-in in the audit trail (its own transaction: the failure
// changes nothing else) and returns the one answer every failure gets.
func (a *Auth) loginFailed(username, why, from string) error {
	if err := a.recordFailure(authkit.LoginFailedAudit(a.now(), username, why, from)); err != nil {
		return err
	}
	return authkit.Unauthorized()
}

// recordFailure writes the audit entry of a refused sign-in in its own transaction.
func (a *Auth) recordFailure(e hall.AuditEntry) error {
	err := a.db.bolt.Update(func(tx *bbolt.Tx) error { return PutAudit(tx, e) })
	if err != nil {
		return hall.Errorf(hall.EUNAVAILABLE, "", "bolt: record a failed sign-in: %v", err)
	}
	return nil
}

// randomToken returns a new bearer token.
func randomToken() (string, error) {
	t, err := authkit.RandomToken()
	if err != nil {
		return "", fmt.Errorf("bolt: %w", err)
	}
	return t, nil
}

// Logout ends a session. Unknown tokens are not an error.
func (a *Auth) Logout(ctx context.Context, token string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h := hashToken(token)
	err := a.db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		v := b.Get(h[:])
		if v == nil {
			return nil
		}
		var ss session
		_ = json.Unmarshal(v, &ss)
		if err := b.Delete(h[:]); err != nil {
			return err
		}
		return PutAudit(tx, hall.AuditEntry{At: a.now(), Actor: ss.Username, Kind: hall.AuditLogout, Target: ss.Username})
	})
	a.invalidate()
	if err != nil {
		return hall.Errorf(hall.EUNAVAILABLE, "", "bolt: logout: %v", err)
	}
	return nil
}

// Authenticate resolves a session or device token; EUNAUTHORIZED when unknown or expired.
func (a *Auth) Authenticate(ctx context.Context, token string) (*hall.Principal, error) {
	if token == "" {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "no credentials")
	}
	h := hashToken(token)
	now := a.now()
	a.mu.RLock()
	c, ok := a.cache[h]
	a.mu.RUnlock()
	if ok && (c.expires.IsZero() || now.Before(c.expires)) {
		return c.p, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.RLock()
	gen := a.gen
	a.mu.RUnlock()
	var (
		p       *hall.Principal
		expires time.Time
	)
	err := a.db.bolt.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketSessions).Get(h[:]); v != nil {
			var s session
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("decode session: %w", err)
			}
			if !now.Before(s.Expires) {
				return nil
			}
			sv := tx.Bucket(bucketStaff).Get([]byte(s.Username))
			if sv == nil {
				return nil // staff deleted
			}
			var st hall.Staff
			if err := json.Unmarshal(sv, &st); err != nil {
				return fmt.Errorf("decode staff: %w", err)
			}
			if st.Disabled {
				return nil
			}
			p, expires = authkit.StaffPrincipal(&st), s.Expires
			return nil
		}
		if v := tx.Bucket(bucketDevices).Get(h[:]); v != nil {
			var d hall.Device
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("decode device: %w", err)
			}
			p = authkit.DevicePrincipal(&d)
		}
		return nil
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: authenticate: %v", err)
	}
	if p == nil {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "unknown or expired token")
	}
	a.mu.Lock()
	if a.gen == gen {
		if len(a.cache) >= maxCached {
			clear(a.cache) // crude bound; entries come back on their next use
		}
		a.cache[h] = cached{p: p, expires: expires}
	}
	a.mu.Unlock()
	return p, nil
}

// CreateStaff adds or replaces a staff account with a password (bcrypt, default cost).
func (a *Auth) CreateStaff(ctx context.Context, s hall.Staff, password string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := authkit.NewStaff(&s, password, a.now(), true); err != nil {
		return err
	}
	v, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("bolt: encode staff: %w", err)
	}
	err = a.db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketStaff).Put([]byte(s.Username), v) })
	a.invalidate()
	if err != nil {
		return hall.Errorf(hall.EUNAVAILABLE, "", "bolt: create staff: %v", err)
	}
	return nil
}

// Staff returns a staff account (with its password hash); ENOTFOUND when absent.
func (a *Auth) Staff(ctx context.Context, username string) (*hall.Staff, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var s *hall.Staff
	err := a.db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketStaff).Get([]byte(username))
		if v == nil {
			return nil
		}
		s = new(hall.Staff)
		return json.Unmarshal(v, s)
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read staff: %v", err)
	}
	if s == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "username", "no staff %q", username)
	}
	return s, nil
}

// ListStaff returns every staff account by username, without password hashes.
func (a *Auth) ListStaff(ctx context.Context) ([]hall.Staff, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []hall.Staff
	err := a.db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketStaff).ForEach(func(_, v []byte) error {
			var s hall.Staff
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			s.PasswordHash = nil
			out = append(out, s)
			return nil
		})
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: list staff: %v", err)
	}
	return out, nil
}

// DeleteStaff removes a staff account; its sessions stop working. ENOTFOUND when absent.
func (a *Auth) DeleteStaff(ctx context.Context, username string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	found := false
	err := a.db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketStaff)
		if b.Get([]byte(username)) == nil {
			return nil
		}
		found = true
		return b.Delete([]byte(username))
	})
	a.invalidate()
	if err != nil {
		return hall.Errorf(hall.EUNAVAILABLE, "", "bolt: delete staff: %v", err)
	}
	if !found {
		return hall.Errorf(hall.ENOTFOUND, "username", "no staff %q", username)
	}
	return nil
}

// CreateDevice enrols a device and returns its bearer token: the given one (demo tokens such as
// "demo-kiosk-students") or a new random one. An empty ID is generated. Enrolling a known token
// again replaces its device.
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
		return "", fmt.Errorf("bolt: encode device: %w", err)
	}
	err = a.db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketDevices).Put(h[:], v) })
	a.invalidate()
	if err != nil {
		return "", hall.Errorf(hall.EUNAVAILABLE, "", "bolt: create device: %v", err)
	}
	return token, nil
}

// ListDevices returns every device ever enrolled, by ID: the enrolled ones and the revoked ones
// (with RevokedAt) whose ID has not been enrolled again.
func (a *Auth) ListDevices(ctx context.Context) ([]hall.DeviceRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []hall.DeviceRecord
	err := a.db.bolt.View(func(tx *bbolt.Tx) error {
		live := map[string]bool{}
		err := tx.Bucket(bucketDevices).ForEach(func(_, v []byte) error {
			var d hall.Device
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			live[d.ID] = true
			out = append(out, hall.DeviceRecord{Device: d})
			return nil
		})
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketDevicesRevoked)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if live[string(k)] {
				return nil
			}
			var d hall.DeviceRecord
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: list devices: %v", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// RevokeDevice removes every token of the device with this ID, keeps the device in
// devices.revoked and writes the audit entry, in one transaction; ENOTFOUND when no enrolled
// device has the ID.
func (a *Auth) RevokeDevice(ctx context.Context, actor, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := 0
	err := a.db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketDevices)
		var keys [][]byte
		var dev hall.Device
		err := b.ForEach(func(k, v []byte) error {
			var d hall.Device
			if json.Unmarshal(v, &d) == nil && d.ID == id {
				keys = append(keys, append([]byte(nil), k...))
				dev = d
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(keys)
		if n == 0 {
			return nil
		}
		now := a.now().UTC()
		v, err := json.Marshal(hall.DeviceRecord{Device: dev, RevokedAt: &now})
		if err != nil {
			return err
		}
		rb, err := tx.CreateBucketIfNotExists(bucketDevicesRevoked)
		if err != nil {
			return err
		}
		if err := rb.Put([]byte(id), v); err != nil {
			return err
		}
		return PutAudit(tx, authkit.DeviceRevokedAudit(now, actor, &dev))
	})
	a.invalidate()
	if err != nil {
		return hall.Errorf(hall.EUNAVAILABLE, "", "bolt: revoke device: %v", err)
	}
	if n == 0 {
		return hall.Errorf(hall.ENOTFOUND, "id", "no enrolled device %q", id)
	}
	return nil
}

var _ hall.ExternalLogin = (*Auth)(nil)

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
		return "", nil, a.externalFailed(user, "no account for "+via, from)
	}
	m := authkit.NewExternalMatch(user)
	err := a.db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketStaff).ForEach(func(k, v []byte) error {
			var s hall.Staff
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("decode staff %s: %w", k, err)
			}
			m.Add(s)
			return nil
		})
	})
	if err != nil {
		return "", nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read staff: %v", err)
	}
	s, why, who := m.Result(via)
	if s == nil {
		return "", nil, a.externalFailed(who, why, from)
	}
	token, err := randomToken()
	if err != nil {
		return "", nil, err
	}
	h := hashToken(token)
	now := a.now()
	v, _ := json.Marshal(session{Username: s.Username, Expires: now.Add(SessionTTL).UTC()})
	detail := authkit.WithFrom(via+" user="+user, from)
	err = a.db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketSessions).Put(h[:], v); err != nil {
			return err
		}
		return PutAudit(tx, authkit.LoginAudit(now, s.Username, detail))
	})
	if err != nil {
		return "", nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: store session: %v", err)
	}
	return token, authkit.StaffPrincipal(s), nil
}

// externalFailed records a refused campus sign-on and returns its answer.
func (a *Auth) externalFailed(user, why, from string) error {
	if err := a.recordFailure(authkit.LoginFailedAudit(a.now(), user, why, from)); err != nil {
		return err
	}
	return authkit.ExternalRefused(user)
}
