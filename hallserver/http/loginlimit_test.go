package http

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// from is a client signing in over a real socket from a local address of its own (127.0.0.x),
// as a browser (with a cookie jar) or as a program (none).
type from struct {
	e    *env
	c    *http.Client
	addr string
}

func (e *env) from(local string, browser bool) *from {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	tr := &http.Transport{DialContext: d.DialContext}
	e.t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr}
	if browser {
		c.Jar, _ = cookiejar.New(nil)
	}
	return &from{e: e, c: c, addr: local}
}

// signIn posts a sign-in; hdr are extra header name/value pairs.
func (f *from) signIn(user, password string, hdr ...string) response {
	f.e.t.Helper()
	b, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req, err := http.NewRequest("POST", f.e.ts.URL+"/api/v1/session", bytes.NewReader(b))
	if err != nil {
		f.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.c.Do(req)
	if err != nil {
		f.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// want fails unless the answer has the status (and, for 429, a too_many_requests JSON error and
// a Retry-After of at least 1 second); it returns Retry-After in seconds.
func (r response) want(t *testing.T, what string, status int) int {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
	if status != http.StatusTooManyRequests {
		return 0
	}
	if code := r.apiError(t).Code; code != ETOOMANY {
		t.Fatalf("%s: code %q", what, code)
	}
	ra, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || ra < 1 {
		t.Fatalf("%s: Retry-After %q", what, r.header.Get("Retry-After"))
	}
	return ra
}

// TestLoginLockIsPerAccount: five wrong passwords for admin, each from another address, lock the
// account: a sixth address gets 429 even with the right password (before, every address had
// five guesses of its own), and the lock is the first step of the backoff (one minute).
func TestLoginLockIsPerAccount(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	e.srv.logins.now = func() time.Time { return now }
	for i := range 5 {
		e.from("127.0.0."+strconv.Itoa(11+i), false).signIn("admin", "guess"+strconv.Itoa(i)).want(t, "guess "+strconv.Itoa(i), 401)
	}
	ra := e.from("127.0.0.16", false).signIn("admin", "demo").want(t, "sixth address", 429)
	if ra > 60 {
		t.Fatalf("first lock: Retry-After %d s, want at most 60", ra)
	}
	e.from("127.0.0.16", false).signIn("counter1", "demo").want(t, "another account", 200)
	now = now.Add(time.Minute)
	e.from("127.0.0.16", false).signIn("admin", "demo").want(t, "after the lock", 200)
}

// TestLoginBackoffGrows: each wrong password after the first lock doubles it (1, 2, 4 minutes),
// and a correct password afterwards clears the count.
func TestLoginBackoffGrows(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	e.srv.logins.now = func() time.Time { return now }
	c := e.from("127.0.0.1", false)
	for i := range 5 {
		c.signIn("admin", "guess"+strconv.Itoa(i)).want(t, "guess", 401)
	}
	for _, minutes := range []int{1, 2, 4} {
		ra := c.signIn("admin", "demo").want(t, "locked", 429)
		if ra != minutes*60 {
			t.Fatalf("lock of %d s, want %d", ra, minutes*60)
		}
		now = now.Add(time.Duration(ra) * time.Second)
		c.signIn("admin", "again").want(t, "after the lock", 401)
	}
	now = now.Add(8 * time.Minute)
	c.signIn("admin", "demo").want(t, "right password after the lock", 200)
	for i := range 4 {
		c.signIn("admin", "guess"+strconv.Itoa(i)).want(t, "after success", 401)
	}
	c.signIn("admin", "demo").want(t, "count cleared by the success", 200)
}

// TestBackoffCapped: the lock doubles up to loginMaxLock and no further.
func TestBackoffCapped(t *testing.T) {
	var b backoff
	now := time.Now()
	for range 100 {
		b.fail(now)
	}
	if w := b.wait(now); w != loginMaxLock {
		t.Fatalf("lock after 100 failures: %v", w)
	}
}

// TestKnownDeviceNotLockedOut: behind one address (a proxy the server does not trust), an
// attacker locks the admin account for strangers, but the admin's own browser, which signed in
// before, still signs in with the right password; the attacker's right password (a stranger)
// is refused, and so is a browser known only for another account. The known browser's wrong
// passwords count and lock that browser too.
func TestKnownDeviceNotLockedOut(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	e.srv.logins.now = func() time.Time { return now }
	admin := e.from("127.0.0.1", true)
	r := admin.signIn("admin", "demo")
	r.want(t, "first sign-in", 200)
	var dev *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == deviceCookie {
			dev = c
		}
	}
	if dev == nil || !dev.HttpOnly || dev.Path != "/api/v1/session" || len(dev.Value) < 22 {
		t.Fatalf("device cookie %+v", dev)
	}
	other := e.from("127.0.0.1", true)
	other.signIn("counter1", "demo").want(t, "counter1's browser", 200)

	attacker := e.from("127.0.0.1", false)
	for i := range 5 {
		attacker.signIn("admin", "guess"+strconv.Itoa(i)).want(t, "guess", 401)
	}
	attacker.signIn("admin", "guess").want(t, "attacker locked", 429)
	attacker.signIn("admin", "demo").want(t, "attacker's right password", 429)
	other.signIn("admin", "demo").want(t, "browser known for another account", 429)

	admin.signIn("admin", "demo").want(t, "admin's known browser", 200)
	admin.signIn("admin", "demo").want(t, "admin's known browser again (new cookie)", 200)
	attacker.signIn("admin", "demo").want(t, "the admin signing in does not lift the lock", 429)

	for i := range 5 {
		admin.signIn("admin", "typo"+strconv.Itoa(i)).want(t, "known browser, wrong password", 401)
	}
	admin.signIn("admin", "demo").want(t, "known browser after five wrong passwords", 429)
}

// TestLoginCheckCap: password checks (bcrypt) are capped overall, unknown usernames included:
// with the clock standing still, loginBurst checks pass and every further attempt is answered
// 429 with Retry-After, whatever the username and address.
func TestLoginCheckCap(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	e.srv.logins.now = func() time.Time { return now }
	n := loginBurst + 10
	statuses := make(chan response, n)
	for i := range n {
		go func() {
			statuses <- e.from("127.0.1."+strconv.Itoa(1+i%25), false).signIn("nobody"+strconv.Itoa(i), "x")
		}()
	}
	count := map[int]int{}
	for range n {
		r := <-statuses
		count[r.status]++
		if r.status == 429 {
			r.want(t, "over the cap", 429)
		}
	}
	if count[401] != loginBurst || count[429] != n-loginBurst {
		t.Fatalf("statuses %v, want %d×401 and %d×429", count, loginBurst, n-loginBurst)
	}
}

// TestLoginAddrBehindProxy: strangers' failures are also counted per client address. Behind a
// trusted proxy the address is X-Forwarded-For's (two clients are told apart, and a client
// cannot escape by sending its own X-Forwarded-For, since the proxy appends the one it saw);
// from a peer the server does not trust the header is ignored.
func TestLoginAddrBehindProxy(t *testing.T) {
	e := newEnv(t, withTrustedProxies(mustPrefixes(t, "127.0.0.1")...))
	now := time.Now()
	e.srv.logins.now = func() time.Time { return now }
	e.srv.logins.addrMax = 3
	proxy := e.from("127.0.0.1", false)
	for i := range 3 {
		proxy.signIn("spray"+strconv.Itoa(i), "x", "X-Forwarded-For", "203.0.113.7").want(t, "client A", 401)
	}
	proxy.signIn("spray9", "x", "X-Forwarded-For", "203.0.113.7").want(t, "client A over its limit", 429)
	proxy.signIn("spray9", "x", "X-Forwarded-For", "198.51.100.1, 203.0.113.7").want(t, "client A spoofing", 429)
	proxy.signIn("counter1", "demo", "X-Forwarded-For", "203.0.113.8").want(t, "client B behind the proxy", 200)

	direct := e.from("127.0.0.2", false)
	for i := range 3 {
		direct.signIn("spray"+strconv.Itoa(10+i), "x", "X-Forwarded-For", "192.0.2."+strconv.Itoa(i)).want(t, "untrusted peer", 401)
	}
	direct.signIn("spray20", "x", "X-Forwarded-For", "192.0.2.99").want(t, "untrusted peer, new X-Forwarded-For", 429)
}

func mustPrefixes(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	p, err := ParseTrustedProxies(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestForwardedClient: the client is the rightmost X-Forwarded-For address that is not a trusted
// proxy, and only when the peer is one.
func TestForwardedClient(t *testing.T) {
	trusted := mustPrefixes(t, "10.0.0.0/8, 192.168.1.5,::1")
	for _, c := range []struct{ peer, xff, want string }{
		{"203.0.113.1:5000", "1.2.3.4", "203.0.113.1"},                // untrusted peer: header ignored
		{"10.1.1.1:5000", "", "10.1.1.1"},                             // trusted peer, no header
		{"10.1.1.1:5000", "1.2.3.4", "1.2.3.4"},                       // one proxy
		{"10.1.1.1:5000", "6.6.6.6, 1.2.3.4", "1.2.3.4"},              // spoofed left part ignored
		{"10.1.1.1:5000", "6.6.6.6, 1.2.3.4, 192.168.1.5", "1.2.3.4"}, // two trusted proxies
		{"10.1.1.1:5000", "10.2.2.2, 192.168.1.5", "10.2.2.2"},        // all trusted: the leftmost
		{"10.1.1.1:5000", "garbage, 10.2.2.2", "10.2.2.2"},            // not an address: stop
		{"[::1]:5000", "2001:db8::1", "2001:db8::1"},                  // IPv6
		{"10.1.1.1:5000", "::ffff:1.2.3.4", "1.2.3.4"},                // mapped IPv4
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := forwardedClient(r, trusted); got != c.want {
			t.Errorf("peer %s X-Forwarded-For %q: %q, want %q", c.peer, c.xff, got, c.want)
		}
	}
	if _, err := ParseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Error("bad prefix accepted")
	}
	if _, err := ParseTrustedProxies("proxy.example"); err == nil {
		t.Error("host name accepted")
	}
}

// TestLoginLimiterBounded: spraying usernames and addresses does not grow the limiter past its
// bounds, and does not push out a locked account.
func TestLoginLimiterBounded(t *testing.T) {
	l := newLoginLimiter()
	now := time.Now()
	l.now = func() time.Time { return now }
	target := &attempt{account: accountKey("admin"), addr: "192.0.2.1"}
	for range loginMaxFailures {
		l.fail(target)
	}
	for i := range loginMaxTracked + 500 {
		now = now.Add(time.Microsecond)
		l.fail(&attempt{account: accountKey("u" + strconv.Itoa(i)), addr: "a" + strconv.Itoa(i)})
	}
	if len(l.accounts) > loginMaxTracked || len(l.addrs) > loginMaxTracked {
		t.Fatalf("%d accounts, %d addresses tracked", len(l.accounts), len(l.addrs))
	}
	if w, locked := l.admit(&attempt{account: accountKey("ADMIN"), addr: "192.0.2.2"}); w == 0 || !locked {
		t.Fatal("the locked account was pushed out")
	}
	for i := range loginMaxKnown + 10 {
		l.succeed(&attempt{account: accountKey("k" + strconv.Itoa(i))})
	}
	for range loginMaxDevices + 10 {
		l.succeed(&attempt{account: accountKey("k1")})
	}
	if len(l.known) > loginMaxKnown || len(l.known[accountKey("k1")]) > loginMaxDevices {
		t.Fatalf("%d accounts with devices, %d devices", len(l.known), len(l.known[accountKey("k1")]))
	}
	if len(accountKey(string(make([]byte, 60000)))) > 64 {
		t.Fatal("account key grows with the username")
	}
}
