// Package authtest holds the behaviour every store of staff, devices and sessions shows
// (hallserver/bolt, hallserver/etcd): each store's tests run these cases against it, so that the
// stores cannot drift apart.
package authtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/authkit"
	"onedoor/hallserver/hall"
)

// Store is a store of accounts under test.
type Store interface {
	hall.AuthService
	hall.AdminService
	hall.ExternalLogin
	Staff(ctx context.Context, username string) (*hall.Staff, error)
}

// Env is a new, empty store with what the cases look at.
type Env struct {
	Store Store
	// Advance moves the store's clock on.
	Advance func(time.Duration)
	// Stored returns every key and value the store keeps, but the audit trail's.
	Stored func() map[string]string
	// Sessions counts the staff sessions stored.
	Sessions func() int
	// Audit returns the audit entries the store wrote, oldest first.
	Audit func() []hall.AuditEntry
}

// kinds returns the audit entries as "kind actor target", oldest first.
func kinds(e Env) []string {
	var out []string
	for _, x := range e.Audit() {
		out = append(out, x.Kind+" "+x.Actor+" "+x.Target)
	}
	return out
}

// Login: sign-in, the same answer for a wrong password and an unknown user, sign-out, the
// audit entries with the client's address; no token or password stored.
func Login(t *testing.T, e Env) {
	ctx := hall.WithClientAddr(context.Background(), "10.1.2.3")
	a := e.Store
	if err := a.CreateStaff(ctx, hall.Staff{Username: " counter1 ", Name: "一号", Role: hall.RoleCounter, Halls: []string{"students"}}, "pw1"); err != nil {
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
	_, _, e1 := a.Login(ctx, "counter1", "nope")
	_, _, e2 := a.Login(ctx, "nobody", "pw1")
	if hall.ErrorCode(e1) != hall.EUNAUTHORIZED || hall.ErrorCode(e2) != hall.EUNAUTHORIZED || e1.Error() != e2.Error() {
		t.Fatalf("wrong password %v, wrong user %v", e1, e2)
	}
	if _, err := a.Authenticate(ctx, "made-up"); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("unknown token: %v", err)
	}
	s, err := a.Staff(ctx, "counter1")
	if err != nil || len(s.PasswordHash) == 0 || string(s.PasswordHash) == "pw1" {
		t.Fatalf("staff %+v %v", s, err)
	}
	if _, err := a.Staff(ctx, "nobody"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("missing staff: %v", err)
	}
	// Neither the token nor the password is stored anywhere.
	for k, v := range e.Stored() {
		if strings.Contains(k+v, token) || strings.Contains(k+v, "pw1") {
			t.Errorf("%s = %s holds the token or the password", k, v)
		}
	}
	if err := a.Logout(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, token); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("a signed-out session: %v", err)
	}
	want := []string{"session.login counter1 counter1", "session.login_failed counter1 counter1",
		"session.login_failed nobody nobody", "session.logout counter1 counter1"}
	if got := kinds(e); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit %q, want %q", got, want)
	}
	if es := e.Audit(); es[0].Detail != "from=10.1.2.3" || es[1].Detail != "wrong password from=10.1.2.3" {
		t.Errorf("details %+v", es)
	}
}

// SessionExpires: a session ends after authkit.SessionTTL, expired sessions are dropped at the
// next sign-in, a disabled account's session stops working.
func SessionExpires(t *testing.T, e Env) {
	ctx := context.Background()
	a := e.Store
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
	e.Advance(authkit.SessionTTL + time.Second)
	if _, err := a.Authenticate(ctx, token); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("expired session accepted: %v", err)
	}
	// The next sign-in drops the expired session.
	token, _, _ = a.Login(ctx, "sup", "pw")
	if n := e.Sessions(); n != 1 {
		t.Errorf("%d sessions stored, want 1 (the expired one dropped)", n)
	}
	if _, err := a.Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := a.UpdateStaff(ctx, "admin", "sup", hall.StaffPatch{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, token); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("disabled staff still authenticates: %v", err)
	}
	if _, _, err := a.Login(ctx, "sup", "pw"); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("disabled staff signs in: %v", err)
	}
	if err := a.CreateStaff(ctx, hall.Staff{Username: "k", Role: hall.RoleKiosk}, "pw"); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("device role as staff: %v", err)
	}
	if err := a.CreateStaff(ctx, hall.Staff{Username: "k", Role: hall.RoleCounter}, ""); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("no password: %v", err)
	}
}

// Devices: given and generated tokens, enrolment, revocation (refused at once, listed as
// revoked), tokens stored hashed, the audit entries.
func Devices(t *testing.T, e Env) {
	ctx := context.Background()
	a := e.Store
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
	d, etok, err := a.EnrolDevice(ctx, "admin", hall.Device{Role: hall.RoleRater, Hall: "students", Counter: 2, Name: "tablet"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := a.Authenticate(ctx, etok); err != nil || p.Subject != d.ID || p.Counter != 2 {
		t.Fatalf("enrolled: %+v %v", p, err)
	}
	for k := range e.Stored() {
		if strings.Contains(k, "demo-kiosk-students") {
			t.Errorf("token stored in clear: %s", k)
		}
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
	ds, err := a.ListDevices(ctx)
	if err != nil || len(ds) != 3 {
		t.Fatalf("%+v %v", ds, err)
	}
	revoked := 0
	for _, d := range ds {
		if d.RevokedAt != nil {
			revoked++
			if d.ID != "demo-kiosk-students" {
				t.Errorf("revoked %s", d.ID)
			}
		}
	}
	if revoked != 1 {
		t.Errorf("%d revoked devices listed, want 1: %+v", revoked, ds)
	}
	if _, err := a.CreateDevice(ctx, hall.Device{Role: hall.RoleCounter, Hall: "x"}, ""); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("staff role as device: %v", err)
	}
	want := []string{"device.enrolled admin " + d.ID, "device.revoked admin demo-kiosk-students"}
	if got := kinds(e); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit %q, want %q", got, want)
	}
}

// Admin: accounts added (conflicts on the username and the campus sign-on user), renamed (the
// sessions stay), reset (the sessions end), listed without hashes, with their audit entries.
func Admin(t *testing.T, e Env) {
	ctx := context.Background()
	a := e.Store
	s, err := a.AddStaff(ctx, "root", hall.Staff{Username: "li", Role: hall.RoleCounter, Halls: []string{"students"}, CASUser: "20001"}, "pw")
	if err != nil || s.PasswordHash != nil || s.Username != "li" {
		t.Fatalf("add: %+v %v", s, err)
	}
	if _, err := a.AddStaff(ctx, "root", hall.Staff{Username: "li", Role: hall.RoleCounter}, "pw"); hall.ErrorCode(err) != hall.ECONFLICT {
		t.Fatalf("username taken: %v", err)
	}
	if _, err := a.AddStaff(ctx, "root", hall.Staff{Username: "wang", Role: hall.RoleCounter, CASUser: "20001"}, "pw"); hall.ErrorCode(err) != hall.ECONFLICT {
		t.Fatalf("casUser taken: %v", err)
	}
	tok1, _, err := a.Login(ctx, "li", "pw")
	if err != nil {
		t.Fatal(err)
	}
	name := "李四"
	if s, err := a.UpdateStaff(ctx, "root", "li", hall.StaffPatch{Name: &name}); err != nil || s.Name != name {
		t.Fatalf("rename: %+v %v", s, err)
	}
	if _, err := a.Authenticate(ctx, tok1); err != nil {
		t.Fatalf("a rename ends no session: %v", err)
	}
	pw := "new"
	if _, err := a.UpdateStaff(ctx, "root", "li", hall.StaffPatch{Password: &pw}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, tok1); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("a password reset ends the sessions: %v", err)
	}
	if _, _, err := a.Login(ctx, "li", "new"); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	if _, err := a.UpdateStaff(ctx, "root", "nobody", hall.StaffPatch{Name: &name}); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("update a missing account: %v", err)
	}
	list, err := a.ListStaff(ctx)
	if err != nil || len(list) != 1 || list[0].PasswordHash != nil || list[0].Name != name {
		t.Fatalf("list: %+v %v", list, err)
	}
	want := []string{"staff.added root li", "session.login li li", "staff.updated root li", "staff.password_reset root li", "session.login li li"}
	if got := kinds(e); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit %q, want %q", got, want)
	}
}

// External: the campus sign-on finds the account by its CASUser, else by its username, refuses
// unknown and disabled accounts, and audits each attempt.
func External(t *testing.T, e Env) {
	ctx := context.Background()
	a := e.Store
	for _, s := range []hall.Staff{
		{Username: "zhao", Role: hall.RoleCounter, CASUser: "30001"},
		{Username: "30002", Role: hall.RoleCounter},
		{Username: "off", Role: hall.RoleCounter, CASUser: "30003", Disabled: true},
	} {
		if err := a.CreateStaff(ctx, s, "pw"); err != nil {
			t.Fatal(err)
		}
	}
	tok, p, err := a.LoginExternal(ctx, hall.IdentityCAS, "30001")
	if err != nil || p.Subject != "zhao" {
		t.Fatalf("by CASUser: %+v %v", p, err)
	}
	if p, err := a.Authenticate(ctx, tok); err != nil || p.Subject != "zhao" {
		t.Fatalf("the session: %+v %v", p, err)
	}
	if _, p, err := a.LoginExternal(ctx, hall.IdentityCAS, "30002"); err != nil || p.Subject != "30002" {
		t.Fatalf("by username: %+v %v", p, err)
	}
	for _, u := range []string{"30003", "39999", ""} {
		if _, _, err := a.LoginExternal(ctx, hall.IdentityCAS, u); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
			t.Errorf("%q: %v, want EUNAUTHORIZED", u, err)
		}
	}
	want := []string{"session.login zhao zhao", "session.login 30002 30002", "session.login_failed off off",
		"session.login_failed 39999 39999", "session.login_failed  "}
	if got := kinds(e); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit %q, want %q", got, want)
	}
}

// Requesters: requester sessions (q bounded to 3 sessions, on a clock advance moves) resolve,
// end, expire after authkit.RequesterSessionTTL, make room by dropping the oldest, are stored
// hashed (stored: every key the store keeps), and refuse an invalid identity.
func Requesters(t *testing.T, q hall.RequesterService, advance func(time.Duration), stored func() map[string]string) {
	ctx := context.Background()
	zhang := hall.Identity{Source: hall.IdentityCAS, ID: "2021000123", Name: "张三"}
	first, err := q.StartSession(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := q.Session(ctx, first); err != nil || *id != zhang {
		t.Fatalf("session: %+v %v", id, err)
	}
	var later []string
	for i := range 3 {
		advance(time.Minute)
		tok, err := q.StartSession(ctx, hall.Identity{Source: hall.IdentityWeCom, ID: string(rune('a' + i))})
		if err != nil {
			t.Fatal(err)
		}
		later = append(later, tok)
	}
	if _, err := q.Session(ctx, first); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Errorf("the oldest session past the bound: %v, want EUNAUTHORIZED", err)
	}
	for _, tok := range later {
		if _, err := q.Session(ctx, tok); err != nil {
			t.Errorf("a newer session: %v", err)
		}
	}
	for k := range stored() {
		for _, tok := range later {
			if strings.Contains(k, tok) {
				t.Errorf("token stored in clear: %s", k)
			}
		}
	}
	if err := q.EndSession(ctx, later[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Session(ctx, later[0]); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Errorf("an ended session: %v", err)
	}
	advance(authkit.RequesterSessionTTL)
	if _, err := q.Session(ctx, later[2]); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Errorf("an expired session: %v", err)
	}
	for _, bad := range []hall.Identity{{Source: "qq", ID: "x"}, {Source: hall.IdentityCAS}, {Source: hall.IdentityCAS, ID: "a\x00b"}} {
		if _, err := q.StartSession(ctx, bad); hall.ErrorCode(err) != hall.EINVALID {
			t.Errorf("identity %+v: %v, want EINVALID", bad, err)
		}
	}
}
