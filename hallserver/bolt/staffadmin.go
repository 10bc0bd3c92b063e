package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/authkit"
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
	if err := authkit.NewStaff(&s, password, a.now(), false); err != nil {
		return nil, err
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
		return PutAudit(tx, authkit.StaffAddedAudit(a.now(), actor, &s))
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

// UpdateStaff applies a patch to an account; ENOTFOUND when there is none. Disabling it or
// resetting its password deletes its sessions in the same transaction.
func (a *Auth) UpdateStaff(ctx context.Context, actor, username string, p hall.StaffPatch) (*hall.Staff, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hash, err := authkit.PatchHash(p)
	if err != nil {
		return nil, err
	}
	var out *hall.Staff
	found := false
	err = a.db.bolt.Update(func(tx *bbolt.Tx) error {
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
		authkit.ApplyPatch(&s, p, hash)
		if p.CASUser != nil {
			if err := casUserFree(b, s.CASUser, username); err != nil {
				return err
			}
		}
		nv, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("encode staff: %w", err)
		}
		if err := b.Put([]byte(username), nv); err != nil {
			return err
		}
		entries, end := authkit.PatchAudit(a.now(), actor, &old, &s, hash != nil)
		for _, e := range entries {
			if err := PutAudit(tx, e); err != nil {
				return err
			}
		}
		if end {
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
	d.ID, d.CreatedAt = "", time.Time{} // always the store's
	token, h, err := authkit.NewDevice(&d, "", a.now())
	if err != nil {
		return nil, "", err
	}
	v, err := json.Marshal(d)
	if err != nil {
		return nil, "", fmt.Errorf("bolt: encode device: %w", err)
	}
	err = a.db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketDevices).Put(h[:], v); err != nil {
			return err
		}
		return PutAudit(tx, authkit.DeviceAddedAudit(actor, &d))
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
			return authkit.CASUserTaken(casUser, o.Username)
		}
		return nil
	})
}
