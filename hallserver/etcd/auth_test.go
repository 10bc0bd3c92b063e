package etcd_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/authkit/authtest"
	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
)

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
	e := &authEnv{cli: cli, prefix: prefix, term: term, clk: newClock()}
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

// suite is the env as the shared cases see it.
func (e *authEnv) suite(t *testing.T) authtest.Env {
	return authtest.Env{
		Store:   e.auth,
		Advance: e.clk.Add,
		Stored: func() map[string]string {
			out := e.keys(t)
			for k := range out {
				if strings.HasPrefix(k, e.prefix+"audit/") {
					delete(out, k)
				}
			}
			return out
		},
		Sessions: func() int {
			n := 0
			for k := range e.keys(t) {
				if strings.HasPrefix(k, e.prefix+"auth/sess/") {
					n++
				}
			}
			return n
		},
		Audit: func() []hall.AuditEntry {
			es := e.entries(t)
			slices.Reverse(es)
			return es
		},
	}
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
	t.Run("Login", func(t *testing.T) { authtest.Login(t, newAuthEnv(t, cli, "/login/").suite(t)) })
	t.Run("SessionExpires", func(t *testing.T) { authtest.SessionExpires(t, newAuthEnv(t, cli, "/expire/").suite(t)) })
	t.Run("Devices", func(t *testing.T) { authtest.Devices(t, newAuthEnv(t, cli, "/devices/").suite(t)) })
	t.Run("Admin", func(t *testing.T) { authtest.Admin(t, newAuthEnv(t, cli, "/admin/").suite(t)) })
	t.Run("External", func(t *testing.T) { authtest.External(t, newAuthEnv(t, cli, "/ext/").suite(t)) })
	t.Run("Fence", func(t *testing.T) { testFence(t, cli) })
	t.Run("SeedTwice", func(t *testing.T) { testSeedTogether(t, cli) })
	t.Run("CacheFollowsOtherServer", func(t *testing.T) { testCacheWatch(t, cli) })
	t.Run("Requesters", func(t *testing.T) {
		e := newAuthEnv(t, cli, "/rq/")
		q := etcd.NewRequesters(cli, "/rq/", e.term.Fence, e.clk.Now, noCases{})
		q.Max = 3
		authtest.Requesters(t, q, e.clk.Add, func() map[string]string { return e.keys(t) })
	})
	t.Run("AuditTrail", func(t *testing.T) { testAuditTrail(t, newAuthEnv(t, cli, "/audit/")) })
	t.Run("AuditHallLogs", func(t *testing.T) { testAuditHallLogs(t, cli) })
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

// testAuditHallLogs: the counter actions in the halls' logs on etcd are in the audit page (with
// the sign-ins on etcd), newest first, page by page without a repeat, filtered by actor and time.
func testAuditHallLogs(t *testing.T, cli *clientv3.Client) {
	ctx := context.Background()
	q, term := owner(t, ctx, cli, "http://owner")
	defer q.Close()
	defer term.Resign()
	a := etcd.NewAuth(cli, "/t/", term.Fence, nil)
	if err := a.CreateStaff(ctx, hall.Staff{Username: "counter1", Role: hall.RoleCounter}, "pw"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Login(ctx, "counter1", "pw"); err != nil {
		t.Fatal(err)
	}
	act := func(h string, c int, what string) {
		t.Helper()
		if _, err := q.Act(ctx, hall.CounterAction{Hall: h, Counter: c, Action: what, Actor: "counter1"}); err != nil {
			t.Fatal(h, what, err)
		}
	}
	act("students", 1, hall.ActOpen)
	act("teachers", 2, hall.ActOpen)
	for range 30 {
		if _, err := q.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk"}); err != nil {
			t.Fatal(err)
		}
	}
	mid := time.Now()
	for range 10 {
		act("students", 1, hall.ActCallNext)
		act("students", 1, hall.ActStart)
		act("students", 1, hall.ActFinish)
	}
	db, err := bolt.Open(t.TempDir() + "/local.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	au := bolt.NewAudit(db, 0, nil, nil).WithTrail(etcd.NewAuditTrail(cli, "/t/", term.Fence)).
		WithHallLogs(etcd.NewQueueStore(cli, "/t/", term.Fence, nil))
	var got []string
	seen := map[string]bool{}
	cursor := ""
	for {
		p, err := au.Audit(ctx, hall.AuditQuery{Limit: 7, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Entries {
			k := e.Kind + "@" + e.Target + "@" + e.Detail
			if seen[k] && e.Kind != hall.AuditLogin {
				t.Errorf("%s twice", k)
			}
			seen[k] = true
			got = append(got, e.Kind+" "+e.Actor)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	// 10 calls (each started and finished), two counters opened, one sign-in; no ticket issued
	// at a kiosk is an entry.
	calls := 0
	for _, g := range got {
		if strings.HasPrefix(g, string(hall.EventCalled)) {
			calls++
		}
		if strings.HasPrefix(g, string(hall.EventIssued)) {
			t.Errorf("an issue in the audit page: %s", g)
		}
	}
	if calls != 10 || len(got) != 33 || !seen[hall.AuditLogin+"@counter1@"] || got[len(got)-1] != hall.AuditLogin+" counter1" {
		t.Errorf("audit pages: %d calls, %q", calls, got)
	}
	old, err := au.Audit(ctx, hall.AuditQuery{Until: mid, Kind: "counter"})
	if err != nil || len(old.Entries) != 2 {
		t.Errorf("the counters opened before mid: %+v %v", old, err)
	}
}
