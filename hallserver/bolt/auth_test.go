package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/authkit/authtest"
	"onedoor/hallserver/hall"
)

func newAuth(t *testing.T) (*Auth, *DB) {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return NewAuth(db), db
}

// TestAuthStore runs the cases every store of accounts passes (authkit/authtest) on the file.
func TestAuthStore(t *testing.T) {
	t.Run("Login", func(t *testing.T) { authtest.Login(t, authEnv(t)) })
	t.Run("SessionExpires", func(t *testing.T) { authtest.SessionExpires(t, authEnv(t)) })
	t.Run("Devices", func(t *testing.T) { authtest.Devices(t, authEnv(t)) })
	t.Run("Admin", func(t *testing.T) { authtest.Admin(t, authEnv(t)) })
	t.Run("External", func(t *testing.T) { authtest.External(t, authEnv(t)) })
}

// authEnv is a new file's Auth as the shared cases see it.
func authEnv(t *testing.T) authtest.Env {
	a, db := newAuth(t)
	clk := newClock()
	a.now = clk.Now
	return authtest.Env{
		Store:   a,
		Advance: clk.Add,
		Stored:  func() map[string]string { return dump(t, db, bucketAudit) },
		Sessions: func() int {
			n := 0
			for k := range dump(t, db) {
				if strings.HasPrefix(k, string(bucketSessions)+"/") {
					n++
				}
			}
			return n
		},
		Audit: func() []hall.AuditEntry {
			var out []hall.AuditEntry
			err := db.bolt.View(func(tx *bbolt.Tx) error {
				b := tx.Bucket(bucketAudit)
				if b == nil {
					return nil
				}
				return b.ForEach(func(_, v []byte) error {
					var e hall.AuditEntry
					err := json.Unmarshal(v, &e)
					out = append(out, e)
					return err
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		},
	}
}

// dump returns every key of the file's top-level buckets (but those named in skip) as
// "bucket/key" with its value.
func dump(t *testing.T, db *DB, skip ...[]byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			for _, s := range skip {
				if bytes.Equal(s, name) {
					return nil
				}
			}
			return b.ForEach(func(k, v []byte) error {
				out[string(name)+"/"+string(k)] = string(v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAuthStaffDeletion: a deleted account's session stops working.
func TestAuthStaffDeletion(t *testing.T) {
	ctx := context.Background()
	a, _ := newAuth(t)
	if err := a.CreateStaff(ctx, hall.Staff{Username: "sup", Role: hall.RoleSupervisor}, "pw"); err != nil {
		t.Fatal(err)
	}
	token, _, err := a.Login(ctx, "sup", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteStaff(ctx, "sup"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, token); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("deleted staff still authenticates: %v", err)
	}
}

func TestOpenLockedAndRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "x.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := Open(path); err == nil || time.Since(start) < LockTimeout/2 {
		t.Fatalf("second open: %v", err)
	} else {
		t.Logf("second open: %v", err)
	}
	a := NewAuth(db)
	if _, err := a.CreateDevice(ctx, hall.Device{Role: hall.RoleKiosk, Hall: "h1"}, "tok-1"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := db.Backup(ctx, &buf)
	if err != nil || n == 0 || int(n) != buf.Len() {
		t.Fatalf("backup %d %v", n, err)
	}
	if _, err := a.CreateDevice(ctx, hall.Device{Role: hall.RoleKiosk, Hall: "h1"}, "tok-2"); err != nil {
		t.Fatal(err)
	}
	// Refused while the file is open.
	if err := RestoreFile(bytes.NewReader(buf.Bytes()), path); err == nil {
		t.Fatal("restore over an open file")
	}
	db.Close()
	if err := RestoreFile(bytes.NewReader([]byte("not a database")), path); err == nil {
		t.Fatal("restored garbage")
	}
	if err := RestoreFile(bytes.NewReader(buf.Bytes()), path); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a = NewAuth(db)
	if _, err := a.Authenticate(ctx, "tok-1"); err != nil {
		t.Fatalf("restored device: %v", err)
	}
	if _, err := a.Authenticate(ctx, "tok-2"); err == nil {
		t.Fatal("device enrolled after the backup survived the restore")
	}
}
