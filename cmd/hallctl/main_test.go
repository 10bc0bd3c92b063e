package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/hall"
)

func ctl(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String() + errb.String(), err
}

func TestCampusCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "campus.yaml")
	out, err := ctl(t, "", "campus", "demo")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(good, []byte(out), 0o644)
	out, err = ctl(t, "", "campus", "check", good)
	if err != nil || !strings.Contains(out, "学生事务大厅") {
		t.Fatalf("check demo campus: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("halls:\n  - code: h\n    name: {zh: 厅, en: Hall}\n    services: [{code: A, name: {zh: x, en: x}, avgMinutes: 0}]\n    counters: [{number: 1, services: [A]}]\n"), 0o644)
	_, err = ctl(t, "", "campus", "check", bad)
	if err == nil || !strings.Contains(err.Error(), "avgMinutes") {
		t.Fatalf("bad campus: err %v, want one naming avgMinutes", err)
	}
}

func TestStaffDeviceBackupRestore(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "onedoor.db")
	if _, err := ctl(t, "short\n", "staff", "add", "-data", data, "-username", "wang", "-role", "counter", "-halls", "students"); err == nil {
		t.Fatal("a 5-character password was accepted")
	}
	if _, err := ctl(t, "long-enough-pw\n", "staff", "add", "-data", data, "-username", "li", "-role", "handler"); err == nil {
		t.Fatal("a handler without department was accepted")
	}
	if out, err := ctl(t, "long-enough-pw\n", "staff", "add", "-data", data, "-username", "wang", "-role", "counter", "-halls", "students"); err != nil {
		t.Fatalf("staff add: %v %s", err, out)
	}
	out, err := ctl(t, "", "device", "add", "-data", data, "-role", "kiosk", "-hall", "students", "-name", "一楼")
	if err != nil {
		t.Fatalf("device add: %v %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if len(token) < 20 {
		t.Fatalf("device token %q is too short to be unguessable", token)
	}
	backup := filepath.Join(dir, "backup.db")
	if out, err := ctl(t, "", "backup", "-data", data, "-o", backup); err != nil {
		t.Fatalf("backup: %v %s", err, out)
	}
	// A new account after the backup disappears with the restore.
	if out, err := ctl(t, "long-enough-pw\n", "staff", "add", "-data", data, "-username", "zhao", "-role", "counter", "-halls", "students"); err != nil {
		t.Fatalf("staff add zhao: %v %s", err, out)
	}
	if out, err := ctl(t, "", "restore", "-data", data, backup); err != nil {
		t.Fatalf("restore: %v %s", err, out)
	}
	db, err := bolt.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	auth := bolt.NewAuth(db)
	ctx := context.Background()
	if _, _, err := auth.Login(ctx, "wang", "long-enough-pw"); err != nil {
		t.Errorf("wang cannot log in after restore: %v", err)
	}
	if _, err := auth.Staff(ctx, "zhao"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Errorf("zhao (added after the backup) survived the restore: %v", err)
	}
	p, err := auth.Authenticate(ctx, token)
	if err != nil || p.Role != hall.RoleKiosk || !p.InHall("students") || p.InHall("teachers") {
		t.Errorf("kiosk token after restore: %+v %v", p, err)
	}
}

func TestNoDefaultCredentialsOutsideDemo(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	auth := bolt.NewAuth(db)
	if _, _, err := auth.Login(context.Background(), "admin", campus.DemoPassword); err == nil {
		t.Fatal("a fresh database accepts admin/demo")
	}
	if _, err := auth.Authenticate(context.Background(), "demo-kiosk-students"); err == nil {
		t.Fatal("a fresh database accepts the demo kiosk token")
	}
}

func TestUnknownCommand(t *testing.T) {
	if _, err := ctl(t, "", "frobnicate"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("unknown command: %v", err)
	}
}
