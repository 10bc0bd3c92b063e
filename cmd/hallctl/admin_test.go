package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
)

// TestRemoteStaffDevicesAudit: against a running server (-server, ONEDOOR_TOKEN), hallctl adds,
// lists, disables, enables and resets staff, enrols, lists and revokes devices, and prints the
// audit trail with those changes in it. The file stays locked by the server all along.
func TestRemoteStaffDevicesAudit(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "server.db")
	// The first admin, offline on the empty file.
	if out, err := ctl(t, "admin-password\n", "staff", "add", "-data", data, "-username", "admin", "-role", "admin"); err != nil {
		t.Fatalf("offline first admin: %v %s", err, out)
	}
	db, err := bolt.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := campus.Demo()
	q, err := bolt.NewQueue(ctx, db, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	auth := bolt.NewAuth(db)
	token, _, err := auth.Login(ctx, "admin", "admin-password")
	if err != nil {
		t.Fatal(err)
	}
	hs := hallhttp.NewServer(hallhttp.Config{Queue: q, Events: q, Auth: auth, Campus: c, Admin: auth, Audit: bolt.NewAudit(db, 0, nil, nil)})
	defer hs.Close()
	srv := httptest.NewServer(hs)
	defer srv.Close()
	t.Setenv("ONEDOOR_SERVER", "")
	t.Setenv("ONEDOOR_TOKEN", "")
	if _, err := ctl(t, "", "staff", "list", "-server", srv.URL); err == nil || !strings.Contains(err.Error(), "ONEDOOR_TOKEN") {
		t.Fatalf("no token: %v", err)
	}
	t.Setenv("ONEDOOR_TOKEN", token)
	hallCode := c.Halls[0].Code
	run := func(stdin string, args ...string) string {
		t.Helper()
		out, err := ctl(t, stdin, append(args, "-server", srv.URL)...)
		if err != nil {
			t.Fatalf("hallctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	run("wang-password\n", "staff", "add", "-username", "wang", "-role", "counter", "-halls", hallCode)
	if out := run("", "staff", "list"); !regexp.MustCompile(`wang\s+counter\s+` + hallCode + `\s+active`).MatchString(out) {
		t.Fatalf("staff list:\n%s", out)
	}
	if _, err := ctl(t, "short\n", "staff", "add", "-server", srv.URL, "-username", "li", "-role", "counter", "-halls", "all"); err == nil {
		t.Fatal("a short password was accepted")
	}
	run("", "staff", "disable", "-username", "wang")
	if out := run("", "staff", "list"); !regexp.MustCompile(`wang\s+.*disabled`).MatchString(out) {
		t.Fatalf("after disable:\n%s", out)
	}
	if _, _, err := auth.Login(ctx, "wang", "wang-password"); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("disabled sign-in: %v", err)
	}
	run("", "staff", "enable", "-username", "wang")
	run("new-wang-password\n", "staff", "reset", "-username", "wang")
	if _, _, err := auth.Login(ctx, "wang", "new-wang-password"); err != nil {
		t.Fatalf("sign-in with the reset password: %v", err)
	}

	out := run("", "device", "add", "-role", "display", "-hall", hallCode, "-name", "大屏")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	devTok := lines[len(lines)-1]
	id := regexp.MustCompile(`device (\S+) enrolled`).FindStringSubmatch(out)
	if len(id) != 2 || len(devTok) < 40 {
		t.Fatalf("device add:\n%s", out)
	}
	if p, err := auth.Authenticate(ctx, devTok); err != nil || p.Subject != id[1] {
		t.Fatalf("the printed token: %+v %v", p, err)
	}
	if out := run("", "device", "list"); !regexp.MustCompile(regexp.QuoteMeta(id[1]) + `\s+display\s+` + hallCode + `\s+大屏\s+\S+\s+enrolled`).MatchString(out) {
		t.Fatalf("device list:\n%s", out)
	}
	run("", "device", "revoke", "-id", id[1])
	if _, err := auth.Authenticate(ctx, devTok); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("revoked token: %v", err)
	}
	out = run("", "audit", "-limit", "50")
	for _, want := range []string{
		`hallctl \(offline\)\s+staff.added\s+admin`,
		`admin\s+staff.added\s+wang`,
		`admin\s+staff.disabled\s+wang`,
		`admin\s+staff.password_reset\s+wang`,
		`admin\s+device.revoked\s+` + regexp.QuoteMeta(id[1]),
		`wang\s+session.login_failed\s+wang`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("audit lacks %s:\n%s", want, out)
		}
	}
	if out := run("", "audit", "-kind", "device"); strings.Contains(out, "staff.") || !strings.Contains(out, "device.revoked") {
		t.Fatalf("audit -kind device:\n%s", out)
	}
}

// TestDataWinsOverServerEnv: with ONEDOOR_SERVER set, an explicit -data still works offline;
// -server and -data together are refused.
func TestDataWinsOverServerEnv(t *testing.T) {
	data := filepath.Join(t.TempDir(), "x.db")
	t.Setenv("ONEDOOR_SERVER", "http://127.0.0.1:1")
	if out, err := ctl(t, "admin-password\n", "staff", "add", "-data", data, "-username", "admin", "-role", "admin"); err != nil {
		t.Fatalf("offline add with ONEDOOR_SERVER set: %v %s", err, out)
	}
	if _, err := ctl(t, "admin-password\n", "staff", "add", "-data", data, "-server", "http://127.0.0.1:1", "-username", "b", "-role", "admin"); err == nil {
		t.Fatal("-server and -data together were accepted")
	}
}
