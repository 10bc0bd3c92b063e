package etcd_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/authkit"
	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
)

// clock is a test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// authEnv is an owner's Auth on a fresh prefix of the cluster, with its audit trail.
type authEnv struct {
	cli    *clientv3.Client
	prefix string
	term   *etcd.Term
	clk    *clock
	auth   *etcd.Auth
	trail  *etcd.AuditTrail
}

func newAuthEnv(t *testing.T, cli *clientv3.Client, prefix string) *authEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	term, err := etcd.Campaign(ctx, cli, prefix, 5, "http://owner")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(term.Resign)
	e := &authEnv{cli: cli, prefix: prefix, term: term, clk: &clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}}
	e.auth = etcd.NewAuth(cli, prefix, term.Fence, e.clk.Now)
	e.trail = etcd.NewAuditTrail(cli, prefix, term.Fence)
	wctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.auth.Watch(wctx) }()
	t.Cleanup(func() { stop(); <-done })
	return e
}

// entries returns the trail's audit entries, newest first.
func (e *authEnv) entries(t *testing.T) []hall.AuditEntry {
	t.Helper()
	_, es, err := e.trail.Before(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// kinds returns the kinds of the trail's entries, oldest first, as "kind actor target".
func (e *authEnv) kinds(t *testing.T) []string {
	es := e.entries(t)
	out := make([]string, len(es))
	for i, x := range es {
		out[len(es)-1-i] = x.Kind + " " + x.Actor + " " + x.Target
	}
	return out
}

// keys returns every key under the prefix with its value.
func (e *authEnv) keys(t *testing.T) map[string]string {
	t.Helper()
	r, err := e.cli.Get(context.Background(), e.prefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, kv := range r.Kvs {
		out[string(kv.Key)] = string(kv.Value)
	}
	return out
}

// TestAuthOnEtcd runs the bbolt store's cases against the etcd store (one cluster, a prefix each).
func TestAuthOnEtcd(t *testing.T) {
	_, cli := cluster(t)
	t.Run("Login", func(t *testing.T) { testLogin(t, newAuthEnv(t, cli, "/login/")) })
	t.Run("SessionExpiresAndDisabled", func(t *testing.T) { testSessionExpires(t, newAuthEnv(t, cli, "/expire/")) })
	t.Run("Devices", func(t *testing.T) { testDevices(t, newAuthEnv(t, cli, "/devices/")) })
	t.Run("Admin", func(t *testing.T) { testAdmin(t, newAuthEnv(t, cli, "/admin/")) })
	t.Run("External", func(t *testing.T) { testExternal(t, newAuthEnv(t, cli, "/ext/")) })
	t.Run("Fence", func(t *testing.T) { testFence(t, cli) })
	t.Run("SeedTwice", func(t *testing.T) { testSeedTogether(t, cli) })
	t.Run("CacheFollowsOtherServer", func(t *testing.T) { testCacheWatch(t, cli) })
	t.Run("Requesters", func(t *testing.T) { testRequesters(t, cli) })
	t.Run("AuditTrail", func(t *testing.T) { testAuditTrail(t, newAuthEnv(t, cli, "/audit/")) })
}

func testLogin(t *testing.T, e *authEnv) {
	ctx := hall.WithClientAddr(context.Background(), "10.1.2.3")
	a := e.auth
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
	for k, v := range e.keys(t) {
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
	if got := e.kinds(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit %q, want %q", got, want)
	}
	if es := e.entries(t); es[len(es)-1].Detail != "from=10.1.2.3" || es[len(es)-2].Detail != "wrong password from=10.1.2.3" {
		t.Errorf("details %+v", es)
	}
}

func testSessionExpires(t *testing.T, e *authEnv) {
	ctx := context.Background()
	a := e.auth
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
	e.clk.Add(authkit.SessionTTL + time.Second)
	if _, err := a.Authenticate(ctx, token); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Fatalf("expired session accepted: %v", err)
	}
	// The next sign-in drops the expired session.
	token, _, _ = a.Login(ctx, "sup", "pw")
	n := 0
	for k := range e.keys(t) {
		if strings.Contains(k, "auth/sess/") {
			n++
		}
	}
	if n != 1 {
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

func testDevices(t *testing.T, e *authEnv) {
	ctx := context.Background()
	a := e.auth
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
	for k := range e.keys(t) {
		if strings.Contains(k, "demo-kiosk-students") && !strings.Contains(k, "/audit/") {
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
	if got := e.kinds(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit %q, want %q", got, want)
	}
}

func testAdmin(t *testing.T, e *authEnv) {
	ctx := context.Background()
	a := e.auth
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
	if got := e.kinds(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit %q, want %q", got, want)
	}
}

func testExternal(t *testing.T, e *authEnv) {
	ctx := context.Background()
	a := e.auth
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
	if got := e.kinds(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit %q, want %q", got, want)
	}
}

// testFence: a server whose term ended (its lease revoked: another took over) writes nothing,
// not a session, not an account, not an audit entry; its reads still work.
func testFence(t *testing.T, cli *clientv3.Client) {
	ctx := context.Background()
	e := newAuthEnv(t, cli, "/fence/")
	if err := e.auth.CreateStaff(ctx, hall.Staff{Username: "li", Role: hall.RoleAdmin}, "pw"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := e.auth.Login(ctx, "li", "pw")
	if err != nil {
		t.Fatal(err)
	}
	// The old term's fence, as a paused owner would still hold it after its lease expired.
	key, rev, _ := e.term.Fence()
	stale := func() (string, int64, bool) { return key, rev, true }
	e.term.Resign()
	next, err := etcd.Campaign(ctx, cli, "/fence/", 5, "http://next")
	if err != nil {
		t.Fatal(err)
	}
	defer next.Resign()
	old := etcd.NewAuth(cli, "/fence/", stale, e.clk.Now)
	before := e.keys(t)
	checks := map[string]error{}
	_, _, checks["login"] = old.Login(ctx, "li", "pw")
	_, _, checks["failed login"] = old.Login(ctx, "li", "nope")
	checks["logout"] = old.Logout(ctx, tok)
	_, checks["add"] = old.AddStaff(ctx, "li", hall.Staff{Username: "x", Role: hall.RoleCounter}, "pw")
	yes := true
	_, checks["disable"] = old.UpdateStaff(ctx, "li", "li", hall.StaffPatch{Disabled: &yes})
	_, _, checks["enrol"] = old.EnrolDevice(ctx, "li", hall.Device{Role: hall.RoleKiosk, Hall: "students"})
	checks["record"] = etcd.NewAuditTrail(cli, "/fence/", stale).Record(ctx, hall.AuditEntry{Kind: hall.AuditBackup})
	_, checks["requester"] = etcd.NewRequesters(cli, "/fence/", stale, nil, nil).StartSession(ctx, hall.Identity{Source: hall.IdentityCAS, ID: "1"})
	for what, err := range checks {
		if hall.ErrorCode(err) != hall.EUNAVAILABLE || !strings.Contains(err.Error(), "not the owner") {
			t.Errorf("%s by a stale owner: %v, want EUNAVAILABLE (not the owner)", what, err)
		}
	}
	if after := e.keys(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a stale owner changed etcd:\nbefore %v\nafter  %v", before, after)
	}
	if p, err := old.Authenticate(ctx, tok); err != nil || p.Subject != "li" {
		t.Errorf("reads go on: %+v %v", p, err)
	}
	// The new owner writes.
	cur := etcd.NewAuth(cli, "/fence/", next.Fence, e.clk.Now)
	if _, _, err := cur.Login(ctx, "li", "pw"); err != nil {
		t.Fatalf("the new owner: %v", err)
	}
	none := etcd.NewAuth(cli, "/fence/", func() (string, int64, bool) { return "", 0, false }, nil)
	if _, _, err := none.Login(ctx, "li", "pw"); hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Errorf("a server owning nothing: %v", err)
	}
}

// testSeedTogether: two servers seed the demo accounts at the same moment: neither fails, and
// each account and device is there once and works.
func testSeedTogether(t *testing.T, cli *clientv3.Client) {
	ctx := context.Background()
	c := campus.Demo()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = campus.SeedDemo(ctx, etcd.NewAuth(cli, "/seed/", nil, nil), c)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("server %d: %v", i, err)
		}
	}
	a := etcd.NewAuth(cli, "/seed/", nil, nil)
	staff, err := a.ListStaff(ctx)
	if err != nil || len(staff) != len(campus.DemoStaff(c)) {
		t.Fatalf("%d accounts, want %d: %v", len(staff), len(campus.DemoStaff(c)), err)
	}
	ds, err := a.ListDevices(ctx)
	if err != nil || len(ds) != len(campus.DemoDevices(c)) {
		t.Fatalf("%d devices, want %d: %v", len(ds), len(campus.DemoDevices(c)), err)
	}
	for _, d := range campus.DemoDevices(c) {
		if _, err := a.Authenticate(ctx, d.Token); err != nil {
			t.Errorf("demo device %s: %v", d.Device.ID, err)
		}
	}
	// A third start seeds nothing more.
	r0, _ := cli.Get(ctx, "/seed/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err := campus.SeedDemo(ctx, a, c); err != nil {
		t.Fatal(err)
	}
	r1, _ := cli.Get(ctx, "/seed/", clientv3.WithPrefix())
	if r1.Count != r0.Count || r1.Kvs[0].ModRevision > r0.Header.Revision {
		t.Errorf("a third seed wrote: %d keys before, %d after", r0.Count, r1.Count)
	}
}

// testCacheWatch: a server's cached token stops working when another server (the next owner)
// revokes it: the watch clears the cache.
func testCacheWatch(t *testing.T, cli *clientv3.Client) {
	ctx := context.Background()
	e := newAuthEnv(t, cli, "/watch/")
	if _, err := e.auth.CreateDevice(ctx, hall.Device{ID: "k1", Role: hall.RoleKiosk, Hall: "students"}, "tok-k1"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool {
		_, err := e.auth.Authenticate(ctx, "tok-k1") // cached once the watch runs
		return err == nil
	})
	other := etcd.NewAuth(cli, "/watch/", e.term.Fence, nil)
	if err := other.RevokeDevice(ctx, "admin", "k1"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool {
		_, err := e.auth.Authenticate(ctx, "tok-k1")
		return hall.ErrorCode(err) == hall.EUNAUTHORIZED
	})
}

// waitUntil polls cond for up to 30 s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached in 30 s")
}

// noCases is a case index without cases.
type noCases struct{}

func (noCases) RequesterCases(context.Context, hall.Identity, int) ([]hall.Case, error) {
	return nil, nil
}
func (noCases) CaseRequester(context.Context, string) (*hall.Identity, error) { return nil, nil }

func testRequesters(t *testing.T, cli *clientv3.Client) {
	ctx := context.Background()
	e := newAuthEnv(t, cli, "/rq/")
	q := etcd.NewRequesters(cli, "/rq/", e.term.Fence, e.clk.Now, noCases{})
	q.Max = 3
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
		e.clk.Add(time.Minute)
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
	for k := range e.keys(t) {
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
	e.clk.Add(authkit.RequesterSessionTTL)
	if _, err := q.Session(ctx, later[2]); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		t.Errorf("an expired session: %v", err)
	}
	for _, bad := range []hall.Identity{{Source: "qq", ID: "x"}, {Source: hall.IdentityCAS}, {Source: hall.IdentityCAS, ID: "a\x00b"}} {
		if _, err := q.StartSession(ctx, bad); hall.ErrorCode(err) != hall.EINVALID {
			t.Errorf("identity %+v: %v, want EINVALID", bad, err)
		}
	}
}

// testAuditTrail: the trail on etcd read through bolt.Audit with the file's own entries, newest
// first, page by page; a backup recorded goes to etcd; pruning deletes what is past the retention.
func testAuditTrail(t *testing.T, e *authEnv) {
	ctx := context.Background()
	db, err := bolt.Open(t.TempDir() + "/local.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	au := bolt.NewAudit(db, 48*time.Hour, e.clk.Now, nil).WithTrail(e.trail)
	if err := e.auth.CreateStaff(ctx, hall.Staff{Username: "li", Role: hall.RoleAdmin}, "pw"); err != nil {
		t.Fatal(err)
	}
	for range 150 {
		e.clk.Add(time.Second)
		if _, _, err := e.auth.Login(ctx, "li", "nope"); hall.ErrorCode(err) != hall.EUNAUTHORIZED {
			t.Fatal(err)
		}
	}
	e.clk.Add(72 * time.Hour)
	if err := au.Record(ctx, hall.AuditEntry{Actor: "li", Kind: hall.AuditBackup, Target: "data file"}); err != nil {
		t.Fatal(err)
	}
	if got := e.entries(t); len(got) != 151 || got[0].Kind != hall.AuditBackup {
		t.Fatalf("%d entries on etcd, newest %+v", len(got), got[0])
	}
	// Before the pruning (a long retention): every entry, page by page, newest first.
	long := bolt.NewAudit(db, 365*24*time.Hour, e.clk.Now, nil).WithTrail(e.trail)
	var all []hall.AuditEntry
	cursor := ""
	for {
		p, err := long.Audit(ctx, hall.AuditQuery{Limit: 40, Cursor: cursor, Actor: "li"})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Entries...)
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if len(all) != 151 || all[0].Kind != hall.AuditBackup {
		t.Fatalf("read %d entries through the pages, want 151", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].At.After(all[i-1].At) {
			t.Fatalf("entry %d newer than %d", i, i-1)
		}
	}
	n, err := au.Prune(ctx)
	if err != nil || n != 150 {
		t.Fatalf("pruned %d, %v; want 150", n, err)
	}
	p, err := au.Audit(ctx, hall.AuditQuery{})
	if err != nil || len(p.Entries) != 1 || p.Entries[0].Kind != hall.AuditBackup {
		t.Fatalf("after prune: %+v %v", p, err)
	}
}
