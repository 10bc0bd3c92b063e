package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// fakeIdP stands in for both identity services at the server's seams (CASLogin, WeComLogin): a
// local server whose /cas/login and /wecom/authorize sign in as the user set in user and send
// the browser back with a one-use ticket or code. (Package sso tests the protocols themselves
// against a fake CAS server and a fake WeChat Work.)
type fakeIdP struct {
	*httptest.Server
	mu      sync.Mutex
	user    hall.Identity
	n       int
	tickets map[string]fakeGrant // ticket or code → who, for which service
}

type fakeGrant struct {
	id      hall.Identity
	service string
}

func newFakeIdP(t *testing.T) *fakeIdP {
	f := &fakeIdP{tickets: map[string]fakeGrant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cas/login", func(w http.ResponseWriter, r *http.Request) {
		service := r.URL.Query().Get("service")
		http.Redirect(w, r, service+"&ticket="+f.grant(service, "ST-"), http.StatusFound)
	})
	mux.HandleFunc("GET /wecom/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		http.Redirect(w, r, q.Get("redirect_uri")+"&code="+f.grant("", "code-")+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeIdP) signInAs(id hall.Identity) {
	f.mu.Lock()
	f.user = id
	f.mu.Unlock()
}

func (f *fakeIdP) grant(service, prefix string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	t := fmt.Sprintf("%s%d", prefix, f.n)
	f.tickets[t] = fakeGrant{id: f.user, service: service}
	return t
}

func (f *fakeIdP) redeem(t, service string) (hall.Identity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.tickets[t]
	delete(f.tickets, t)
	if !ok || g.service != service {
		return hall.Identity{}, hall.Errorf(hall.EUNAUTHORIZED, "ticket", "not recognised")
	}
	return g.id, nil
}

func (f *fakeIdP) LoginURL(service string) string {
	return f.URL + "/cas/login?" + url.Values{"service": {service}}.Encode()
}

func (f *fakeIdP) Validate(_ context.Context, ticket, service string) (hall.Identity, error) {
	return f.redeem(ticket, service)
}

type fakeWeComSeam struct{ *fakeIdP }

func (f fakeWeComSeam) AuthorizeURL(redirect, state string) string {
	return f.URL + "/wecom/authorize?" + url.Values{"redirect_uri": {redirect}, "state": {state}}.Encode()
}

func (f fakeWeComSeam) UserInfo(_ context.Context, code string) (hall.Identity, error) {
	id, err := f.redeem(code, "")
	if err != nil {
		return id, hall.Errorf(hall.EUNAUTHORIZED, "code", "not recognised")
	}
	return id, nil
}

// identEnv is the case env with CAS, WeChat Work and requester sessions.
type identEnv struct {
	*caseEnv
	idp *fakeIdP
	req *bolt.Requesters
}

func newIdentEnv(t *testing.T) *identEnv {
	t.Helper()
	e := newCaseEnv(t)
	idp := newFakeIdP(t)
	rq, err := bolt.NewRequesters(e.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.ts.Close()
	e.ts = httptest.NewUnstartedServer(nil)
	e.srv = NewServer(Config{Queue: e.q, Events: e.q, Auth: e.auth, Campus: e.campus, PublicURL: "http://" + e.ts.Listener.Addr().String(),
		Cases: e.cs, Reports: e.cs, Topics: e.topics, LongList: e.list, MetricsToken: metricsToken,
		Admin: e.auth, Audit: bolt.NewAudit(e.db, 0, nil, nil),
		CAS: idp, WeCom: fakeWeComSeam{idp}, Requesters: rq})
	e.ts.Config.Handler = e.srv
	e.ts.Start()
	return &identEnv{caseEnv: e, idp: idp, req: rq}
}

// browserClient is a client with a cookie jar that follows redirects, as a phone's browser.
func (e *identEnv) browserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// get fetches a URL with the client and returns the answer and its final URL.
func get(t *testing.T, c *http.Client, u string, hdr ...string) (int, string, *url.URL) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Request.URL
}

// casSignIn signs the client in through the campus sign-on as id and checks it lands on /my.
func (e *identEnv) casSignIn(t *testing.T, c *http.Client, id hall.Identity) string {
	t.Helper()
	e.idp.signInAs(id)
	st, body, final := get(t, c, e.ts.URL+"/auth/cas/login?next=%2Fmy")
	if st != 200 || final.Path != "/my" {
		t.Fatalf("CAS sign-in ended at %s with %d: %.300s", final, st, body)
	}
	return body
}

// webCase opens a request from a ticket's follow page with the client (its cookies).
func (e *identEnv) webCase(t *testing.T, c *http.Client, text string) wire.WebCase {
	t.Helper()
	tk := e.issue("A")
	b, _ := json.Marshal(map[string]any{"kind": "complaint", "category": "library-seats", "text": text})
	resp, err := c.Post(e.ts.URL+"/api/v1/follow/"+tk.Token+"/request", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out wire.WebCase
	if resp.StatusCode != 201 || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("web request: %d", resp.StatusCode)
	}
	return out
}

func (e *identEnv) myRequests(t *testing.T, c *http.Client) (int, wire.MyRequests) {
	t.Helper()
	resp, err := c.Get(e.ts.URL + "/api/v1/me/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out wire.MyRequests
	if resp.StatusCode == 200 {
		var v any
		json.Unmarshal(b, &v)
		if err := loadSpec(t).validate("MyRequests", v); err != nil {
			t.Errorf("GET /api/v1/me/requests: %v\n%s", err, b)
		}
		json.Unmarshal(b, &out)
	}
	return resp.StatusCode, out
}

var (
	zhang = hall.Identity{Source: hall.IdentityCAS, ID: "2021000123", Name: "张三", Number: "2021000123"}
	li    = hall.Identity{Source: hall.IdentityCAS, ID: "2021000456", Name: "李四", Number: "2021000456"}
)

// TestMyRequestsShowOnlyOnesOwn: a requester signed in by CAS opens a request and finds it on
// /my and in GET /api/v1/me/requests; another requester and an anonymous one see nothing of
// it, and the public follow view does not carry the identity.
func TestMyRequestsShowOnlyOnesOwn(t *testing.T) {
	e := newIdentEnv(t)
	a, b, anon := e.browserClient(), e.browserClient(), e.browserClient()
	if page := e.casSignIn(t, a, zhang); !strings.Contains(page, "张三") || !strings.Contains(page, `id="none"`) {
		t.Fatalf("/my after sign-in does not greet 张三 with an empty list:\n%s", page)
	}
	e.casSignIn(t, b, li)
	mine := e.webCase(t, a, "三楼座位被占")
	other := e.webCase(t, b, "李四的诉求")
	e.webCase(t, anon, "匿名的诉求")

	st, my := e.myRequests(t, a)
	if st != 200 || len(my.Requests) != 1 || my.Requests[0].Number != mine.Number || my.Requests[0].FollowURL != mine.FollowURL ||
		my.Requester.Name != "张三" || my.Requester.Number == zhang.Number || my.Requests[0].StateName.Zh == "" {
		t.Fatalf("张三's requests: %d %+v, want only %s with its follow link and the number masked", st, my, mine.Number)
	}
	if _, theirs := e.myRequests(t, b); len(theirs.Requests) != 1 || theirs.Requests[0].Number != other.Number {
		t.Errorf("李四's requests: %+v, want only %s", theirs, other.Number)
	}
	if st, _ := e.myRequests(t, anon); st != 401 {
		t.Errorf("without a sign-in: %d, want 401", st)
	}
	_, page, _ := get(t, a, e.ts.URL+"/my")
	if !strings.Contains(page, mine.Number) || strings.Contains(page, other.Number) || !strings.Contains(page, mine.FollowURL) {
		t.Errorf("/my does not list exactly 张三's request with its link:\n%s", page)
	}
	// The department sees the name the campus gave; the public follow view masks it and
	// carries no identity.
	_, pub, _ := get(t, anon, e.ts.URL+"/api/v1/case-follow/"+mine.Token)
	if strings.Contains(pub, "2021000123") || strings.Contains(pub, "张三") || strings.Contains(pub, `"cas"`) {
		t.Errorf("the public follow view shows the requester: %s", pub)
	}
	c, err := e.cs.Get(context.Background(), mine.Number)
	if err != nil || c.Requester.Name != "张三" {
		t.Errorf("the case's requester: %+v %v, want the name from the campus sign-on", c, err)
	}
	// Signing out ends the session.
	req, _ := http.NewRequest("DELETE", e.ts.URL+"/api/v1/me/requester", nil)
	resp, err := a.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("sign out: %v %v", resp, err)
	}
	resp.Body.Close()
	if st, _ := e.myRequests(t, a); st != 401 {
		t.Errorf("after signing out: %d, want 401", st)
	}
}

// TestRequesterCookieTamperingRefused: a changed, a made-up or a staff session token in the
// requester cookie opens nothing, and the requester cookie opens no staff route.
func TestRequesterCookieTamperingRefused(t *testing.T) {
	e := newIdentEnv(t)
	c := e.browserClient()
	e.casSignIn(t, c, zhang)
	u, _ := url.Parse(e.ts.URL)
	var token string
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == requesterCookie {
			token = k.Value
		}
	}
	if token == "" {
		t.Fatal("no requester cookie after sign-in")
	}
	flip := []byte(token)
	flip[len(flip)/2] ^= 1
	for name, v := range map[string]string{"changed": string(flip), "made up": "AAAA", "staff session": e.login("h-library"), "longer": token + "x"} {
		r := e.do("GET", "/api/v1/me/requests", "", nil, "Cookie", requesterCookie+"="+v)
		if r.status != 401 {
			t.Errorf("%s requester cookie: %d %s, want 401", name, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/me/requests", "", nil, "Cookie", requesterCookie+"="+token); r.status != 200 {
		t.Fatalf("the real cookie: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/me", "", nil, "Cookie", sessionCookie+"="+token); r.status != 401 {
		t.Errorf("the requester token as a staff session: %d, want 401", r.status)
	}
	if r := e.do("GET", "/api/v1/cases", "", nil, "Cookie", requesterCookie+"="+token); r.status != 401 {
		t.Errorf("the requester cookie on a staff route: %d, want 401", r.status)
	}
}

// noRedirect is a client that keeps its cookies but stops at every redirect.
func noRedirect(c *http.Client) *http.Client {
	return &http.Client{Jar: c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// raw sends a GET without following redirects and without cookies but those in hdr.
func (e *identEnv) raw(t *testing.T, path string, hdr ...string) response {
	t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := noRedirect(&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// casCallbackURL starts a CAS sign-in with the client and returns the callback URL the CAS
// server sends the browser back to (with its ticket), without following it.
func (e *identEnv) casCallbackURL(t *testing.T, c *http.Client, path string, id hall.Identity) string {
	t.Helper()
	e.idp.signInAs(id)
	nr := noRedirect(c)
	resp, err := nr.Get(e.ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = nr.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Location")
}

// TestCASCallbackRefusals: a bad ticket, a used ticket, a callback not started in this browser
// (login CSRF) and a return path to another site are refused, each naming its field.
func TestCASCallbackRefusals(t *testing.T) {
	e := newIdentEnv(t)
	c := e.browserClient()
	cb := e.casCallbackURL(t, c, "/auth/cas/login?next=%2Fmy", zhang)
	u, _ := url.Parse(cb)
	nonce := u.Query().Get("s")
	cookie := ssoNonceCookie + "=" + nonce
	field := func(r response) string {
		var b wire.ErrorBody
		json.Unmarshal(r.body, &b)
		return b.Error.Field
	}
	// Another browser (no nonce cookie) cannot use the ticket: login CSRF.
	if r := e.raw(t, u.RequestURI()); r.status != 403 || field(r) != "s" {
		t.Errorf("callback without the nonce cookie: %d %s, want 403 naming s", r.status, r.body)
	}
	// The ticket works once (the 403 above never reached the CAS server).
	if r := e.raw(t, u.RequestURI(), "Cookie", cookie); r.status != 303 || r.header.Get("Location") != "/my" {
		t.Fatalf("callback: %d %s, want 303 to /my", r.status, r.body)
	}
	if r := e.raw(t, u.RequestURI(), "Cookie", cookie); r.status != 401 || field(r) != "ticket" {
		t.Errorf("the same ticket again: %d %s, want 401 naming ticket", r.status, r.body)
	}
	bad := strings.Replace(u.RequestURI(), "ticket=ST-", "ticket=ST-9", 1)
	if r := e.raw(t, bad, "Cookie", cookie); r.status != 401 {
		t.Errorf("a made-up ticket: %d %s, want 401", r.status, r.body)
	}
	// A browser gets a page, not JSON.
	if r := e.raw(t, bad, "Cookie", cookie, "Accept", "text/html"); r.status != 401 || !strings.Contains(string(r.body), "统一身份认证未确认") {
		t.Errorf("a made-up ticket in a browser: %d %s", r.status, r.body)
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/my", "/\\evil.example", "http:/evil", "javascript:alert(1)", "my"} {
		q := "next=" + url.QueryEscape(next)
		for _, p := range []string{"/auth/cas/login?" + q, "/auth/cas/staff?" + q, "/auth/wecom/login?" + q, "/auth/cas/callback?ticket=ST-1&s=" + nonce + "&" + q} {
			r := e.raw(t, p, "Cookie", cookie)
			if r.status != 400 || field(r) != "next" || r.header.Get("Location") != "" {
				t.Errorf("GET %s: %d %s, want 400 naming next and no redirect", p, r.status, r.body)
			}
		}
	}
	if r := e.raw(t, "/auth/cas/callback?next=%2Fmy"); r.status != 400 || field(r) != "ticket" {
		t.Errorf("callback without a ticket: %d %s, want 400 naming ticket", r.status, r.body)
	}
}

// TestWeComOAuthRoundTrip: inside the WeChat Work app the requester is signed in by OAuth and
// lands on /my; a callback whose state is not this browser's is refused.
func TestWeComOAuthRoundTrip(t *testing.T) {
	e := newIdentEnv(t)
	c := e.browserClient()
	e.idp.signInAs(hall.Identity{Source: hall.IdentityWeCom, ID: "wangwu"})
	st, body, final := get(t, c, e.ts.URL+"/auth/wecom/login?next=%2Fmy")
	if st != 200 || final.Path != "/my" || !strings.Contains(body, "企业微信") || !strings.Contains(body, `id="signout"`) {
		t.Fatalf("WeChat Work sign-in ended at %s with %d:\n%.400s", final, st, body)
	}
	mine := e.webCase(t, c, "企业微信里提的诉求")
	if _, my := e.myRequests(t, c); len(my.Requests) != 1 || my.Requests[0].Number != mine.Number || my.Requester.Source != hall.IdentityWeCom {
		t.Errorf("WeChat Work requester's list: %+v", my)
	}
	// A state that is not the one this browser was given.
	d := e.browserClient()
	nr := noRedirect(d)
	resp, err := nr.Get(e.ts.URL + "/auth/wecom/login?next=%2Fmy")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = nr.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, _ := url.Parse(resp.Header.Get("Location"))
	q := cb.Query()
	q.Set("state", "0123456789abcdef0123456789abcdef")
	cb.RawQuery = q.Encode()
	resp, err = nr.Get(cb.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("state mismatch: %d, want 403", resp.StatusCode)
	}
	if st, _ := e.myRequests(t, d); st != 401 {
		t.Errorf("after a refused state the browser is signed in (%d)", st)
	}
}

// TestStaffCASSignIn: a CAS user signs in to the staff account of the same name or the one
// that names it as its casUser; an unknown CAS user is refused and no account is made.
func TestStaffCASSignIn(t *testing.T) {
	e := newIdentEnv(t)
	ctx := context.Background()
	if err := e.auth.CreateStaff(ctx, hall.Staff{Username: "teacher", Role: hall.RoleHandler, Department: "it", CASUser: "T1234"}, "demo"); err != nil {
		t.Fatal(err)
	}
	before, _ := e.auth.ListStaff(ctx)
	for cas, want := range map[string]string{"h-library": "h-library", "T1234": "teacher"} {
		c := e.browserClient()
		e.idp.signInAs(hall.Identity{Source: hall.IdentityCAS, ID: cas})
		st, _, final := get(t, c, e.ts.URL+"/auth/cas/staff?next=%2Fcases")
		if st != 200 || final.Path != "/cases" {
			t.Fatalf("staff CAS sign-in of %s ended at %s with %d", cas, final, st)
		}
		resp, err := c.Get(e.ts.URL + "/api/v1/me")
		if err != nil {
			t.Fatal(err)
		}
		var p hall.Principal
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != 200 || p.Subject != want {
			t.Errorf("CAS user %s: /api/v1/me %d %+v, want %s", cas, resp.StatusCode, p, want)
		}
	}
	// "teacher" is claimed by T1234: the CAS user "teacher" is somebody else.
	for _, cas := range []string{"nobody", "teacher"} {
		c := e.browserClient()
		e.idp.signInAs(hall.Identity{Source: hall.IdentityCAS, ID: cas})
		st, body, _ := get(t, c, e.ts.URL+"/auth/cas/staff?next=%2Fcases", "Accept", "text/html")
		if st != 403 || !strings.Contains(body, "没有对应的工作人员账号") {
			t.Errorf("unknown CAS user %s: %d %.300s, want 403 with the refusal", cas, st, body)
		}
		u, _ := url.Parse(e.ts.URL)
		for _, k := range c.Jar.Cookies(u) {
			if k.Name == sessionCookie {
				t.Errorf("unknown CAS user %s got a staff session cookie", cas)
			}
		}
	}
	if after, _ := e.auth.ListStaff(ctx); len(after) != len(before) {
		t.Errorf("staff accounts: %d before, %d after refused CAS sign-ins", len(before), len(after))
	}
	// The staff sign-in form offers the campus sign-on.
	if r := e.do("GET", "/cases", "", nil); !strings.Contains(string(r.body), `"casStaff":true`) || !strings.Contains(string(r.body), "统一身份认证登录") {
		t.Error("the staff sign-in form does not offer 统一身份认证登录")
	}
}

// TestAdminSetsCASUser: the admin API sets, shows and clears a staff account's campus sign-on
// user; one CAS user belongs to one account; a CAS sign-in then maps to it.
func TestAdminSetsCASUser(t *testing.T) {
	e := newIdentEnv(t)
	admin := e.login("admin")
	r := e.do("POST", "/api/v1/admin/staff", admin, map[string]any{"username": "wang", "password": "long enough", "role": "handler", "departments": []string{"it"}, "casUser": "T0042"})
	if r.status != 201 || !strings.Contains(string(r.body), `"casUser":"T0042"`) {
		t.Fatalf("add staff with casUser: %d %s", r.status, r.body)
	}
	if r := e.do("PATCH", "/api/v1/admin/staff/h-it", admin, map[string]any{"casUser": "T0042"}); r.status != 409 || !strings.Contains(string(r.body), `"field":"casUser"`) {
		t.Errorf("a CAS user taken by another account: %d %s, want 409 naming casUser", r.status, r.body)
	}
	if r := e.do("PATCH", "/api/v1/admin/staff/h-it", admin, map[string]any{"casUser": "has space"}); r.status != 400 || !strings.Contains(string(r.body), `"field":"casUser"`) {
		t.Errorf("a CAS user with a space: %d %s, want 400 naming casUser", r.status, r.body)
	}
	c := e.browserClient()
	e.idp.signInAs(hall.Identity{Source: hall.IdentityCAS, ID: "T0042"})
	if st, _, final := get(t, c, e.ts.URL+"/auth/cas/staff"); st != 200 || final.Path != "/cases" {
		t.Fatalf("CAS sign-in of T0042: %d at %s", st, final)
	}
	if r := e.do("PATCH", "/api/v1/admin/staff/wang", admin, map[string]any{"casUser": ""}); r.status != 200 || strings.Contains(string(r.body), "casUser") {
		t.Errorf("clear casUser: %d %s", r.status, r.body)
	}
	e.idp.signInAs(hall.Identity{Source: hall.IdentityCAS, ID: "T0042"})
	if st, _, _ := get(t, e.browserClient(), e.ts.URL+"/auth/cas/staff"); st != 403 {
		t.Errorf("CAS sign-in of T0042 after clearing: %d, want 403", st)
	}
}
