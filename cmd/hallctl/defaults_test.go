package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
)

// ctlErr runs hallctl and returns stdout and stderr apart.
func ctlErr(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

// withAuth opens the data file (hallctl must have closed it) and calls fn with its accounts.
func withAuth(t *testing.T, data string, fn func(ctx context.Context, auth *bolt.Auth)) {
	t.Helper()
	db, err := bolt.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(context.Background(), bolt.NewAuth(db))
}

// TestStaffAddCounterNeedsHalls: a counter account without -halls would work every hall's
// counters; it is refused with an error naming -halls and nothing is saved. "-halls all" says so
// on purpose; a list limits the account to those halls.
func TestStaffAddCounterNeedsHalls(t *testing.T) {
	data := filepath.Join(t.TempDir(), "onedoor.db")
	_, _, err := ctlErr(t, "long-enough-pw\n", "staff", "add", "-data", data, "-username", "wang", "-role", "counter")
	if err == nil || !strings.Contains(err.Error(), "-halls") {
		t.Fatalf("counter without -halls: %v, want an error naming -halls", err)
	}
	for _, bad := range []string{"students,,teachers", "all,students", " ", "students, "} {
		if _, _, err := ctlErr(t, "long-enough-pw\n", "staff", "add", "-data", data, "-username", "wang", "-role", "counter", "-halls", bad); err == nil || !strings.Contains(err.Error(), "-halls") {
			t.Errorf("-halls %q: %v, want an error naming -halls", bad, err)
		}
	}
	if _, _, err := ctlErr(t, "long-enough-pw\n", "staff", "add", "-data", data, "-username", "li", "-role", "counter", "-halls", "students,colleges"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ctlErr(t, "long-enough-pw\n", "staff", "add", "-data", data, "-username", "zhou", "-role", "counter", "-halls", "all"); err != nil {
		t.Fatal(err)
	}
	// A handler still needs its department.
	if _, _, err := ctlErr(t, "long-enough-pw\n", "staff", "add", "-data", data, "-username", "he", "-role", "handler"); err == nil || !strings.Contains(err.Error(), "-department") {
		t.Errorf("handler without -department: %v", err)
	}
	withAuth(t, data, func(ctx context.Context, auth *bolt.Auth) {
		if _, err := auth.Staff(ctx, "wang"); hall.ErrorCode(err) != hall.ENOTFOUND {
			t.Errorf("refused counter wang was saved: %v", err)
		}
		_, p, err := auth.Login(ctx, "li", "long-enough-pw")
		if err != nil || !p.CanWorkCounter("students") || !p.CanWorkCounter("colleges") || p.CanWorkCounter("teachers") {
			t.Errorf("li (-halls students,colleges): %+v %v", p, err)
		}
		_, p, err = auth.Login(ctx, "zhou", "long-enough-pw")
		if err != nil || !p.CanWorkCounter("teachers") {
			t.Errorf("zhou (-halls all): %+v %v", p, err)
		}
	})
}

// TestStaffAddExistingNeedsReplace: a second "staff add" of a name in use is refused (the first
// account keeps its password and halls) unless -replace says so.
func TestStaffAddExistingNeedsReplace(t *testing.T) {
	data := filepath.Join(t.TempDir(), "onedoor.db")
	if _, _, err := ctlErr(t, "first-password\n", "staff", "add", "-data", data, "-username", "wang", "-role", "counter", "-halls", "students"); err != nil {
		t.Fatal(err)
	}
	_, _, err := ctlErr(t, "second-password\n", "staff", "add", "-data", data, "-username", "wang", "-role", "admin")
	if err == nil || !strings.Contains(err.Error(), "-replace") {
		t.Fatalf("second add of wang: %v, want an error naming -replace", err)
	}
	withAuth(t, data, func(ctx context.Context, auth *bolt.Auth) {
		if _, p, err := auth.Login(ctx, "wang", "first-password"); err != nil || p.Role != hall.RoleCounter {
			t.Errorf("wang after the refused add: %+v %v", p, err)
		}
	})
	if _, _, err := ctlErr(t, "second-password\n", "staff", "add", "-data", data, "-username", "wang", "-role", "counter", "-halls", "teachers", "-replace"); err != nil {
		t.Fatal(err)
	}
	withAuth(t, data, func(ctx context.Context, auth *bolt.Auth) {
		if _, _, err := auth.Login(ctx, "wang", "first-password"); err == nil {
			t.Error("the old password still works after -replace")
		}
		if _, p, err := auth.Login(ctx, "wang", "second-password"); err != nil || !p.CanWorkCounter("teachers") || p.CanWorkCounter("students") {
			t.Errorf("wang after -replace: %+v %v", p, err)
		}
	})
}

// TestDeviceTokenStrength: -token takes only a value of at least 128 bits (22 base64url
// characters, 32 hex digits) that is not a run or repeat of a few characters; a refused token
// enrols nothing. Without -token the generated token passes the same rule.
func TestDeviceTokenStrength(t *testing.T) {
	data := filepath.Join(t.TempDir(), "onedoor.db")
	weak := []string{
		"kiosk1",
		"demo-kiosk-students",              // 19 characters
		"Zq7-x_P2mK9vR4tY8wB1c",            // 21 base64url characters: 126 bits
		"3f9a0c7d1e5b8f2a6c4d0e9b7a1f3c5",  // 31 hex digits: 124 bits
		"0123456789abcdef0123456789abcdef", // 32 hex digits, a repeat
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"abababababababababababababababab",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
		"12345678901234567890123456789012345678", // digits only: 38 × 3.3 bits
		"kiosk token with spaces 1234567890",
	}
	for _, tok := range weak {
		_, _, err := ctlErr(t, "", "device", "add", "-data", data, "-role", "kiosk", "-hall", "students", "-token", tok)
		if err == nil || !strings.Contains(err.Error(), "-token") {
			t.Errorf("-token %q: %v, want an error naming -token", tok, err)
		}
	}
	withAuth(t, data, func(ctx context.Context, auth *bolt.Auth) {
		for _, tok := range weak {
			if _, err := auth.Authenticate(ctx, tok); err == nil {
				t.Errorf("weak token %q enrolled", tok)
			}
		}
	})
	strong := []string{"Zq7-x_P2mK9vR4tY8wB1cQ", "3f9a0c7d1e5b8f2a6c4d0e9b7a1f3c5d"}
	for _, tok := range strong {
		if _, _, err := ctlErr(t, "", "device", "add", "-data", data, "-role", "kiosk", "-hall", "students", "-token", tok); err != nil {
			t.Errorf("-token %q: %v", tok, err)
		}
	}
	out, _, err := ctlErr(t, "", "device", "add", "-data", data, "-role", "display", "-hall", "students")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	gen := lines[len(lines)-1]
	if err := checkDeviceToken(gen); err != nil {
		t.Errorf("generated token %q fails the rule: %v", gen, err)
	}
	withAuth(t, data, func(ctx context.Context, auth *bolt.Auth) {
		for _, tok := range append(strong, gen) {
			if _, err := auth.Authenticate(ctx, tok); err != nil {
				t.Errorf("token %q not enrolled: %v", tok, err)
			}
		}
	})
}

// TestBackupTokenSource: an online backup from a real hall server (hallserver/http on a local
// socket, bolt store, an admin session) takes the admin token from ONEDOOR_TOKEN or, with
// "-token -", from stdin; a token on the command line still works but draws a warning that it
// shows in ps; no token at all is refused before any request, naming ONEDOOR_TOKEN.
func TestBackupTokenSource(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "server.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := campus.Demo()
	q, err := bolt.NewQueue(context.Background(), db, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	auth := bolt.NewAuth(db)
	ctx := context.Background()
	if err := auth.CreateStaff(ctx, hall.Staff{Username: "admin", Role: hall.RoleAdmin}, "admin-password"); err != nil {
		t.Fatal(err)
	}
	token, _, err := auth.Login(ctx, "admin", "admin-password")
	if err != nil {
		t.Fatal(err)
	}
	hs := hallhttp.NewServer(hallhttp.Config{Queue: q, Events: q, Auth: auth, Campus: c, Backup: func(ctx context.Context) (hallhttp.BackupFile, error) { return db.Snapshot(ctx) }})
	defer hs.Close()
	srv := httptest.NewServer(hs)
	defer srv.Close()

	backup := func(name string) string { return filepath.Join(dir, name) }
	valid := func(path string) {
		t.Helper()
		b, err := bolt.Open(path)
		if err != nil {
			t.Fatalf("backup %s: %v", path, err)
		}
		defer b.Close()
		if _, err := bolt.NewAuth(b).Staff(ctx, "admin"); err != nil {
			t.Fatalf("backup %s lacks the admin account: %v", path, err)
		}
	}

	// ONEDOOR_TOKEN.
	t.Setenv("ONEDOOR_TOKEN", token)
	_, stderr, err := ctlErr(t, "", "backup", "-server", srv.URL, "-o", backup("env.db"))
	if err != nil || stderr != "" {
		t.Fatalf("backup with ONEDOOR_TOKEN: %v, stderr %q", err, stderr)
	}
	valid(backup("env.db"))

	// stdin.
	t.Setenv("ONEDOOR_TOKEN", "")
	_, stderr, err = ctlErr(t, token+"\n", "backup", "-server", srv.URL, "-token", "-", "-o", backup("stdin.db"))
	if err != nil || stderr != "" {
		t.Fatalf("backup with -token - and the token on stdin: %v, stderr %q", err, stderr)
	}
	valid(backup("stdin.db"))

	// The command line: works, with a warning.
	_, stderr, err = ctlErr(t, "", "backup", "-server", srv.URL, "-token", token, "-o", backup("argv.db"))
	if err != nil {
		t.Fatalf("backup with -token: %v", err)
	}
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "ONEDOOR_TOKEN") {
		t.Errorf("-token on the command line: stderr %q, want a warning naming ONEDOOR_TOKEN", stderr)
	}
	valid(backup("argv.db"))

	// No token: refused, nothing written.
	for _, args := range [][]string{{}, {"-token", "-"}} {
		stdin := ""
		_, _, err = ctlErr(t, stdin, append([]string{"backup", "-server", srv.URL, "-o", backup("none.db")}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "ONEDOOR_TOKEN") {
			t.Errorf("backup %v without a token: %v, want an error naming ONEDOOR_TOKEN", args, err)
		}
		if _, err := os.Stat(backup("none.db")); !os.IsNotExist(err) {
			t.Errorf("backup %v without a token wrote a file: %v", args, err)
		}
	}
}
