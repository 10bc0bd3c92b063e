package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/etcd"
	"onedoor/hallserver/etcd/etcdtest"
	"onedoor/hallserver/hall"
)

// TestAccountsOnEtcd: the first admin and a kiosk of a new cluster made with hallctl -etcd sign
// in on etcd (what hallserver -etcd reads), an existing name is refused without -replace and
// replaced with it (the old password stops working), each write is in the audit trail, and
// -etcd with -data is refused.
func TestAccountsOnEtcd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), etcdtest.WaitTimeout)
	defer cancel()
	c, err := etcdtest.Start(ctx, filepath.Join(t.TempDir(), "etcd"), etcdtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	urls := strings.Join(c.Endpoints(), ",")
	cli, err := etcd.Dial(c.Endpoints(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	auth := etcd.NewAuth(cli, etcd.DefaultPrefix, nil, time.Now)

	if out, err := ctl(t, "first-admin-pw\n", "staff", "add", "-etcd", urls, "-username", "root", "-role", "admin"); err != nil {
		t.Fatalf("staff add -etcd: %v\n%s", err, out)
	}
	if _, p, err := auth.Login(ctx, "root", "first-admin-pw"); err != nil || p.Role != hall.RoleAdmin {
		t.Fatalf("the admin made with -etcd signs in: %v, %v", p, err)
	}
	if out, err := ctl(t, "another-password\n", "staff", "add", "-etcd", urls, "-username", "root", "-role", "admin"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("adding root again without -replace = %v\n%s; want refused", err, out)
	}
	if out, err := ctl(t, "second-admin-pw\n", "staff", "add", "-etcd", urls, "-username", "root", "-role", "admin", "-replace"); err != nil {
		t.Fatalf("staff add -etcd -replace: %v\n%s", err, out)
	}
	if _, _, err := auth.Login(ctx, "root", "first-admin-pw"); err == nil {
		t.Fatal("the replaced password still signs in")
	}
	if _, _, err := auth.Login(ctx, "root", "second-admin-pw"); err != nil {
		t.Fatalf("the new password: %v", err)
	}

	out, err := ctl(t, "", "device", "add", "-etcd", urls, "-role", "kiosk", "-hall", "students", "-name", "东门自助机")
	if err != nil {
		t.Fatalf("device add -etcd: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	p, err := auth.Authenticate(ctx, lines[len(lines)-1])
	if err != nil || p.Role != hall.RoleKiosk || !slices.Contains(p.Halls, "students") {
		t.Fatalf("the printed token authenticates as %+v, %v; want a kiosk of students", p, err)
	}

	_, entries, err := etcd.NewAuditTrail(cli, etcd.DefaultPrefix, nil).Before(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range entries {
		if e.Actor == offlineActor {
			kinds[e.Kind]++
		}
	}
	if kinds[hall.AuditStaffAdded] != 1 || kinds[hall.AuditDeviceAdded] != 1 || len(kinds) < 3 {
		t.Fatalf("audit entries by %q: %v; want the staff added, updated and the device added", offlineActor, kinds)
	}

	if _, err := ctl(t, "pw-pw-pw-pw\n", "staff", "add", "-etcd", urls, "-data", filepath.Join(t.TempDir(), "x.db"), "-username", "x", "-role", "admin"); err == nil {
		t.Fatal("-etcd with -data accepted")
	}
}
