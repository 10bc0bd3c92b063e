package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// TestHAStaffSessionSurvivesOwnerKill (docs/HA.md): three etcd members, two hall servers. Staff
// sign in through the follower B (forwarded to the owner A), an administrator adds an account
// and enrols a device; A is killed with SIGKILL. Once B owns the halls, the same session tokens
// still work (nobody signs in again), the new account signs in, the new device issues a ticket,
// and the audit trail on B shows what was done through A (a counter's action and a case too). No token is stored in clear on etcd.
func TestHAStaffSessionSurvivesOwnerKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an etcd cluster and two hall servers")
	}
	endpoints, cli := haCluster(t)
	a := startProc(t, filepath.Join(t.TempDir(), "a.db"), "-etcd", endpoints)
	waitOwner(t, cli, a)
	b := startProc(t, filepath.Join(t.TempDir(), "b.db"), "-etcd", endpoints)
	waitFor(t, func() bool {
		code, _, fwd, err := haDo(b, "GET", "/api/v1/halls/students", "", nil) // a snapshot: b's replica answers
		return err == nil && code == 200 && fwd == "http://"+a.addr
	})

	signIn := func(p *proc, user, password, forwardedTo string) string {
		t.Helper()
		code, body, fwd, err := haDo(p, "POST", "/api/v1/session", "", map[string]string{"username": user, "password": password})
		if err != nil || code != 200 {
			t.Fatalf("sign-in of %s through %s: %d %s %v", user, p.addr, code, body, err)
		}
		if fwd != forwardedTo {
			t.Fatalf("the sign-in of %s was forwarded to %q, want %q", user, fwd, forwardedTo)
		}
		var s wire.Session
		if err := json.Unmarshal(body, &s); err != nil || s.Token == "" {
			t.Fatalf("session %s: %v", body, err)
		}
		return s.Token
	}
	admin := signIn(b, "admin", "demo", "http://"+a.addr)
	counter := signIn(b, "counter1", "demo", "http://"+a.addr)
	if code, _, _, _ := haDo(b, "POST", "/api/v1/session", "", map[string]string{"username": "counter1", "password": "wrong"}); code != 401 {
		t.Fatalf("a wrong password: %d", code)
	}
	code, body, _, err := haDo(b, "POST", "/api/v1/admin/staff", admin, map[string]any{"username": "ha1", "password": "ha pass 2027",
		"role": "counter", "halls": []string{"students"}})
	if err != nil || code != 201 {
		t.Fatalf("add staff: %d %s %v", code, body, err)
	}
	code, body, _, err = haDo(b, "POST", "/api/v1/admin/devices", admin, map[string]any{"role": "kiosk", "hall": "students", "name": "东门"})
	if err != nil || code != 201 {
		t.Fatalf("enrol device: %d %s %v", code, body, err)
	}
	var dev wire.EnrolledDevice
	if err := json.Unmarshal(body, &dev); err != nil || dev.Token == "" {
		t.Fatalf("enrolled %s: %v", body, err)
	}

	// A counter action through B (its audit entry is the hall log's on etcd).
	if code, body, _, err := haDo(b, "POST", "/api/v1/halls/students/counters/1/open", counter, nil); err != nil || code != 200 {
		t.Fatalf("open the counter: %d %s %v", code, body, err)
	}

	// A case opened through B (its audit entry is the case log's on etcd).
	cases := newCaseBook()
	if !cases.open(b, "audit-1") {
		t.Fatal("open a case through B")
	}

	a.kill()
	waitOwner(t, cli, b)

	me := func(token, want string) {
		t.Helper()
		code, body, fwd, err := haDo(b, "GET", "/api/v1/me", token, nil)
		if err != nil || code != 200 || fwd != "" || !bytes.Contains(body, []byte(`"`+want+`"`)) {
			t.Fatalf("after the failover, the session of %s on B: %d %s (forwarded to %q) %v", want, code, body, fwd, err)
		}
	}
	me(admin, "admin")
	me(counter, "counter1")
	signIn(b, "ha1", "ha pass 2027", "")
	if code, body, _, err := haDo(b, "POST", "/api/v1/halls/students/tickets", dev.Token, map[string]string{"service": "A"}); err != nil || code != 201 {
		t.Fatalf("the device enrolled through A issues on B: %d %s %v", code, body, err)
	}
	if code, body, _, err := haDo(b, "POST", "/api/v1/halls/students/tickets", "demo-kiosk-students", map[string]string{"service": "A"}); err != nil || code != 201 {
		t.Fatalf("a demo device on B: %d %s %v", code, body, err)
	}

	code, body, _, err = haDo(b, "GET", "/api/v1/admin/audit?"+url.Values{"limit": {"500"}}.Encode(), admin, nil)
	if err != nil || code != 200 {
		t.Fatalf("audit: %d %s %v", code, body, err)
	}
	var list wire.AuditList
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range list.Entries {
		seen[e.Kind+" "+e.Actor+" "+e.Target] = true
	}
	caseSeen := false
	for _, e := range list.Entries {
		caseSeen = caseSeen || (strings.HasPrefix(e.Kind, "case.") && e.Target == cases.byKey["audit-1"].Number)
	}
	if !caseSeen {
		t.Errorf("the audit trail on B lacks the case %s opened through A; it has %v", cases.byKey["audit-1"].Number, seen)
	}
	for _, want := range []string{
		hall.AuditLogin + " admin admin", hall.AuditLogin + " counter1 counter1", hall.AuditLoginFailed + " counter1 counter1",
		hall.AuditStaffAdded + " admin ha1", hall.AuditDeviceAdded + " admin " + dev.ID, hall.AuditLogin + " ha1 ha1",
		string(hall.EventCounter) + " counter1 students/counter/1",
	} {
		if !seen[want] {
			t.Errorf("the audit trail on B lacks %q; it has %v", want, seen)
		}
	}

	// The demo was seeded once by the two servers (one account each), and no token is in clear.
	r, err := cli.Get(context.Background(), etcdPrefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	admins := 0
	for _, kv := range r.Kvs {
		k := string(kv.Key)
		if k == etcdPrefix+"auth/staff/admin" {
			admins++
		}
		for _, tok := range []string{admin, counter, dev.Token} {
			if strings.Contains(k, tok) || bytes.Contains(kv.Value, []byte(tok)) {
				t.Errorf("a token in clear in etcd at %s", k)
			}
		}
	}
	if admins != 1 {
		t.Errorf("%d admin accounts", admins)
	}
}
