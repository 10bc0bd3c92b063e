package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	bbolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"onedoor/hallserver/hall"
)

// The administration of staff and devices (hall.AdminService, issue 13): each change is written
// with its audit entries in one transaction, then the token cache is cleared, so the next
// request of a disabled account (or with a revoked token) reads the file and is refused.

var _ hall.AdminService = (*Auth)(nil)

// bucketDevicesRevoked keeps revoked devices for the admin list (doc.go).
var bucketDevicesRevoked = []byte("devices.revoked")

// AddStaff creates an account with a password; ECONFLICT when the username is taken.
func (a *Auth) AddStaff(ctx context.Context, actor string, s hall.Staff, password string) (*hall.Staff, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.Username == "" {
		return nil, hall.Errorf(hall.EINVALID, "username", "username is required")
	}
	if !s.Role.Valid() || s.Role.Device() {
		return nil, hall.Errorf(hall.EINVALID, "role", "role %q is not a staff role", s.Role)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, hall.Errorf(hall.EINVALID, "password", "%v", err)
	}
	s.PasswordHash = hash
	if s.CreatedAt.IsZero() {
		s.CreatedAt = a.now().UTC()
	}
	v, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("bolt: encode staff: %w", err)
	}
	exists := false
	err = a.db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketStaff)
		if b.Get([]byte(s.Username)) != nil {
			exists = true
			return nil
		}
		if err := casUserFree(b, s.CASUser, s.Username); err != nil {
			return err
		}
		if err := b.Put([]byte(s.Username), v); err != nil {
			return err
		}
		return PutAudit(tx, hall.AuditEntry{At: a.now(), Actor: actor, Kind: hall.AuditStaffAdded, Target: s.Username, Detail: staffDetail(&s)})
	})
	a.invalidate()
	if he, ok := errors.AsType[*hall.Error](err); ok {
		return nil, he // a refusal (casUser taken), nothing written
	}
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: add staff: %v", err)
	}
	if exists {
		return nil, hall.Errorf(hall.ECONFLICT, "username", "staff %q exists", s.Username)
	}
	s.PasswordHash = nil
	return &s, nil
}

// staffDetail describes an account's rights for the audit trail.
func staffDetail(s *hall.Staff) string {
	d := []string{"role=" + string(s.Role)}
	if len(s.Halls) > 0 {
		d = append(d, "halls="+strings.Join(s.Halls, ","))
	}
	if s.Department != "" {
		d = append(d, "department="+s.Department)
	}
	for _, as := range s.Assignments {
		cs := make([]string, len(as.Counters))
		for i, c := range as.Counters {
			cs[i] = fmt.Sprint(c)
		}
		d = append(d, fmt.Sprintf("assignment=%s:%s:%s..%s", as.Hall, strings.Join(cs, ","), as.From, as.Until))
	}
	if s.CASUser != "" {
		d = append(d, "casUser="+s.CASUser)
	}
	if s.Disabled {
		d = append(d, "disabled")
	}
	return strings.Join(d, " ")
}

// UpdateStaff applies a patch to an account; ENOTFOUND when there is none. Disabling it or
// resetting its password deletes its sessions in the same transaction.
func (a *Auth) UpdateStaff(ctx context.Context, actor, username string, p hall.StaffPatch) (*hall.Staff, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var hash []byte
	if p.Password != nil {
		var err error
		if hash, err = bcrypt.GenerateFromPassword([]byte(*p.Password), bcrypt.DefaultCost); err != nil {
			return nil, hall.Errorf(hall.EINVALID, "password", "%v", err)
		}
	}
	var out *hall.Staff
	found := false
	err := a.db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketStaff)
		v := b.Get([]byte(username))
		if v == nil {
			return nil
		}
		found = true
		var s hall.Staff
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("decode staff: %w", err)
		}
		old := s
		if p.Name != nil {
			s.Name = *p.Name
		}
		if p.Role != nil {
			s.Role = *p.Role
		}
		if p.Halls != nil {
			s.Halls = *p.Halls
		}
		if p.Departments != nil {
			s.Department = ""
			if len(*p.Departments) > 0 {
				s.Department = (*p.Departments)[0]
			}
		}
		if p.Assignments != nil {
			s.Assignments = *p.Assignments
		}
		if p.CASUser != nil {
			s.CASUser = *p.CASUser
			if err := casUserFree(b, s.CASUser, username); err != nil {
				return err
			}
		}
		if p.Disabled != nil {
			s.Disabled = *p.Disabled
		}
		if p.WecomUser != nil {
			s.WecomUser = *p.WecomUser
		}
		if p.Email != nil {
			s.Email = *p.Email
		}
		if hash != nil {
			s.PasswordHash = hash
		}
		nv, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("encode staff: %w", err)
		}
		if err := b.Put([]byte(username), nv); err != nil {
			return err
		}
		now := a.now()
		put := func(kind, detail string) error {
			return PutAudit(tx, hall.AuditEntry{At: now, Actor: actor, Kind: kind, Target: username, Detail: detail})
		}
		if d, dd := staffDetail(&old), staffDetail(&s); d != dd || old.Name != s.Name || old.WecomUser != s.WecomUser || old.Email != s.Email {
			if err := put(hall.AuditStaffUpdated, dd); err != nil {
				return err
			}
		}
		if s.Disabled != old.Disabled {
			kind := hall.AuditStaffEnabled
			if s.Disabled {
				kind = hall.AuditStaffDisabled
			}
			if err := put(kind, ""); err != nil {
				return err
			}
		}
		if hash != nil {
			if err := put(hall.AuditPasswordReset, ""); err != nil {
				return err
			}
		}
		if s.Disabled || hash != nil {
			if err := deleteSessions(tx, username); err != nil {
				return err
			}
		}
		s.PasswordHash = nil
		out = &s
		return nil
	})
	a.invalidate()
	if he, ok := errors.AsType[*hall.Error](err); ok {
		return nil, he // a refusal (casUser taken), nothing written
	}
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: update staff: %v", err)
	}
	if !found {
		return nil, hall.Errorf(hall.ENOTFOUND, "username", "no staff %q", username)
	}
	return out, nil
}

// deleteSessions deletes every session of the account (the sessions bucket is small: one entry
// per signed-in person, expired ones dropped at each sign-in).
func deleteSessions(tx *bbolt.Tx, username string) error {
	b := tx.Bucket(bucketSessions)
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var s session
		if json.Unmarshal(v, &s) != nil || s.Username == username {
			keys = append(keys, slices.Clone(k))
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
	return nil
}

// EnrolDevice enrols a device with a new random token (returned once) and writes the audit
// entry in the same transaction.
func (a *Auth) EnrolDevice(ctx context.Context, actor string, d hall.Device) (*hall.Device, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if !d.Role.Device() {
		return nil, "", hall.Errorf(hall.EINVALID, "role", "role %q is not a device role", d.Role)
	}
	if d.Hall == "" {
		return nil, "", hall.Errorf(hall.EINVALID, "hall", "a device belongs to a hall")
	}
	token, err := randomToken()
	if err != nil {
		return nil, "", err
	}
	h := hashToken(token)
	d.ID = fmt.Sprintf("%s-%s-%x", d.Role, d.Hall, h[:4])
	d.CreatedAt = a.now().UTC()
	v, err := json.Marshal(d)
	if err != nil {
		return nil, "", fmt.Errorf("bolt: encode device: %w", err)
	}
	err = a.db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketDevices).Put(h[:], v); err != nil {
			return err
		}
		return PutAudit(tx, hall.AuditEntry{At: d.CreatedAt, Actor: actor, Kind: hall.AuditDeviceAdded, Target: d.ID,
			Detail: fmt.Sprintf("role=%s hall=%s name=%s", d.Role, d.Hall, d.Name)})
	})
	a.invalidate()
	if err != nil {
		return nil, "", hall.Errorf(hall.EUNAVAILABLE, "", "bolt: enrol device: %v", err)
	}
	return &d, token, nil
}

// casUserFree refuses a campus sign-on user another account than username already has
// (ECONFLICT naming casUser): one CAS user signs in to one account.
func casUserFree(b *bbolt.Bucket, casUser, username string) error {
	if casUser == "" {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		var o hall.Staff
		if string(k) != username && json.Unmarshal(v, &o) == nil && o.CASUser == casUser {
			return hall.Errorf(hall.ECONFLICT, "casUser", "the campus sign-on user %q already signs in as %s", casUser, o.Username)
		}
		return nil
	})
}
