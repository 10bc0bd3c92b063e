package bolt

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

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

func TestAuthLogin(t *testing.T) {
	ctx := context.Background()
	a, _ := newAuth(t)
	if err := a.CreateStaff(ctx, hall.Staff{Username: "counter1", Name: "一号", Role: hall.RoleCounter, Halls: []string{"students"}}, "pw1"); err != nil {
		t.Fatal(err)
	}
	token, p, err := a.Login(ctx, "counter1", "pw1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "counter1" || p.Role != hall.RoleCounter || p.Device || len(p.Halls) != 1 || p.Halls[0] != "students" {
		t.Fatalf("principal %+v", p)
	}
	if len(token) != 43 {
		t.Fatalf("token %q: want 32 bytes base64url", token)
	}
	got, err := a.Authenticate(ctx, token)
	if err != nil || got.Subject != "counter1" {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	// Wrong password and unknown user: same code and message.
	_, _, e1 := a.Login(ctx, "counter1", "nope")
	_, _, e2 := a.Login(ctx, "nobody", "pw1")
	if hall.ErrorCode(e1) != hall.EUNAUTHORIZED || hall.ErrorCode(e2) != hall.EUNAUTHORIZED || e1.Error() != e2.Error() {
		t.Fatalf("wrong password %v, wrong user %v", e1, e2)
	}
	if _, err := a.Authenticate(ctx, "made-up"); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("unknown token: %v", err)
	}
	// The password hash is bcrypt, never the password.
	s, err := a.Staff(ctx, "counter1")
	if err != nil || len(s.PasswordHash) == 0 || string(s.PasswordHash) == "pw1" {
		t.Fatalf("staff %+v %v", s, err)
	}
	if _, err := a.Staff(ctx, "nobody"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("missing staff: %v", err)
	}
	list, err := a.ListStaff(ctx)
	if err != nil || len(list) != 1 || list[0].PasswordHash != nil {
		t.Fatalf("list %+v %v", list, err)
	}
	// Logout ends the session, also in the cache.
	if err := a.Logout(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, token); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("after logout: %v", err)
	}
}

func TestAuthSessionExpiresAndStaffDeletion(t *testing.T) {
	ctx := context.Background()
	a, _ := newAuth(t)
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	if err := a.CreateStaff(ctx, hall.Staff{Username: "sup", Role: hall.RoleSupervisor}, "pw"); err != nil {
		t.Fatal(err)
	}
	token, _, err := a.Login(ctx, "sup", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}
	now = now.Add(SessionTTL + time.Second)
	if _, err := a.Authenticate(ctx, token); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("expired session accepted: %v", err)
	}
	token, _, _ = a.Login(ctx, "sup", "pw")
	if _, err := a.Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteStaff(ctx, "sup"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, token); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("deleted staff still authenticates: %v", err)
	}
	if err := a.CreateStaff(ctx, hall.Staff{Username: "k", Role: hall.RoleKiosk}, "pw"); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("device role as staff: %v", err)
	}
}

func TestAuthDevices(t *testing.T) {
	ctx := context.Background()
	a, db := newAuth(t)
	tok, err := a.CreateDevice(ctx, hall.Device{ID: "demo-kiosk-students", Role: hall.RoleKiosk, Hall: "students"}, "demo-kiosk-students")
	if err != nil || tok != "demo-kiosk-students" {
		t.Fatalf("%q %v", tok, err)
	}
	gen, err := a.CreateDevice(ctx, hall.Device{Role: hall.RoleDisplay, Hall: "colleges"}, "")
	if err != nil || len(gen) != 43 {
		t.Fatalf("generated %q %v", gen, err)
	}
	p, err := a.Authenticate(ctx, "demo-kiosk-students")
	if err != nil || !p.Device || p.Role != hall.RoleKiosk || len(p.Halls) != 1 || p.Halls[0] != "students" || p.Subject != "demo-kiosk-students" {
		t.Fatalf("%+v %v", p, err)
	}
	if !p.CanIssue("students") || p.CanIssue("colleges") {
		t.Fatal("kiosk rights")
	}
	ds, err := a.ListDevices(ctx)
	if err != nil || len(ds) != 2 {
		t.Fatalf("%+v %v", ds, err)
	}
	// The token is stored hashed only.
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDevices).ForEach(func(k, v []byte) error {
			if string(k) == "demo-kiosk-students" {
				t.Error("token stored in clear")
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeDevice(ctx, "admin", "demo-kiosk-students"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "demo-kiosk-students"); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("revoked device: %v", err)
	}
	if err := a.RevokeDevice(ctx, "admin", "demo-kiosk-students"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("revoke twice: %v", err)
	}
	if _, err := a.CreateDevice(ctx, hall.Device{Role: hall.RoleCounter, Hall: "x"}, ""); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("staff role as device: %v", err)
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
