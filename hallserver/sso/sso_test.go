package sso

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"onedoor/hallserver/hall"
)

// login follows the browser's side of a CAS sign-in: /login with the service, signed in as
// user, and returns the ticket the CAS server sent back to the service.
func login(t *testing.T, c *CAS, service, user string) string {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(c.LoginURL(service) + "&user=" + url.QueryEscape(user))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("login answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path + "?next=" + loc.Query().Get("next"); !strings.HasPrefix(service, loc.Scheme+"://"+loc.Host+loc.Path) {
		t.Fatalf("CAS sent the browser to %s, not back to the service", got)
	}
	return loc.Query().Get("ticket")
}

func TestCASRoundTripBothVersions(t *testing.T) {
	f := newFakeCAS(t)
	const service = "https://hall.example.edu.cn/auth/cas/callback?next=%2Fmy"
	for _, v := range []int{2, 3} {
		c, err := NewCAS(f.URL+"/cas/", v, "cn", map[int]string{2: "", 3: "xh"}[v])
		if err != nil {
			t.Fatal(err)
		}
		ticket := login(t, c, service, "u2021")
		id, err := c.Validate(context.Background(), ticket, service)
		if err != nil {
			t.Fatalf("CAS %d: %v", v, err)
		}
		want := hall.Identity{Source: hall.IdentityCAS, ID: "u2021", Number: "u2021"}
		if v == 3 {
			want.Name, want.Number = "张三", "2021000123" // the attributes, mapped
		}
		if id != want {
			t.Errorf("CAS %d: signed in as %+v, want %+v", v, id, want)
		}
		// A ticket is good once: the second validation is refused.
		if _, err := c.Validate(context.Background(), ticket, service); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "INVALID_TICKET") {
			t.Errorf("CAS %d: reused ticket: %v, want ErrRefused INVALID_TICKET", v, err)
		}
	}
}

func TestCASRefusals(t *testing.T) {
	f := newFakeCAS(t)
	c, err := NewCAS(f.URL+"/cas", 3, "cn", "xh")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const service = "https://hall.example.edu.cn/auth/cas/callback?next=%2Fmy"
	if _, err := c.Validate(ctx, "ST-made-up", service); !errors.Is(err, ErrRefused) {
		t.Errorf("made-up ticket: %v, want ErrRefused", err)
	}
	if _, err := c.Validate(ctx, strings.Repeat("x", MaxTicket+1), service); !errors.Is(err, ErrRefused) {
		t.Errorf("long ticket: %v, want ErrRefused", err)
	}
	// A ticket issued to another service (another return path) does not sign in here.
	ticket := login(t, c, service, "u1")
	if _, err := c.Validate(ctx, ticket, "https://hall.example.edu.cn/auth/cas/callback?next=%2Fcases"); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "INVALID_SERVICE") {
		t.Errorf("ticket of another service: %v, want ErrRefused INVALID_SERVICE", err)
	}
	// A server that answers no CAS XML is a failure, not a sign-in and not a refusal.
	other, _ := NewCAS(f.URL+"/nothing", 2, "", "")
	if _, err := other.Validate(ctx, "ST-1", service); err == nil || errors.Is(err, ErrRefused) {
		t.Errorf("no CAS server: %v, want a failure", err)
	}
	for _, bad := range []string{"ftp://cas", "cas.example.edu.cn", "https://cas/x?a=1"} {
		if _, err := NewCAS(bad, 2, "", ""); err == nil {
			t.Errorf("NewCAS(%q) accepted", bad)
		}
	}
	if _, err := NewCAS("https://cas.example.edu.cn/cas", 1, "", ""); err == nil {
		t.Error("CAS version 1 accepted")
	}
}

func TestCASLoginURLCarriesTheService(t *testing.T) {
	c, _ := NewCAS("https://cas.example.edu.cn/cas/", 2, "", "")
	const service = "https://hall.example.edu.cn/auth/cas/callback?next=%2Fmy%3Fa%3D1"
	u, err := url.Parse(c.LoginURL(service))
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "cas.example.edu.cn" || u.Path != "/cas/login" || u.Query().Get("service") != service {
		t.Errorf("login URL %s: want /cas/login with the service unchanged", u)
	}
}

func TestWeComOAuthRoundTrip(t *testing.T) {
	f := newFakeWeCom(t)
	w, err := NewWeCom(f.URL, f.corp, f.tokenSource(f.secret))
	if err != nil {
		t.Fatal(err)
	}
	w.Authorize = f.URL + "/connect/oauth2/authorize"
	au, err := url.Parse(w.AuthorizeURL("https://hall.example.edu.cn/auth/wecom/callback?next=%2Fmy", "abc123"))
	if err != nil {
		t.Fatal(err)
	}
	q := au.Query()
	if q.Get("appid") != f.corp || q.Get("scope") != "snsapi_base" || q.Get("response_type") != "code" ||
		q.Get("state") != "abc123" || au.Fragment != "wechat_redirect" ||
		!strings.HasPrefix(au.RawQuery, "appid=") || q.Get("redirect_uri") != "https://hall.example.edu.cn/auth/wecom/callback?next=%2Fmy" {
		t.Errorf("authorize URL %s does not follow the documentation", au)
	}
	ctx := context.Background()
	code := f.code("lisi")
	id, err := w.UserInfo(ctx, code)
	if err != nil || id != (hall.Identity{Source: hall.IdentityWeCom, ID: "lisi"}) {
		t.Fatalf("UserInfo = %+v, %v", id, err)
	}
	if _, err := w.UserInfo(ctx, code); !errors.Is(err, ErrRefused) {
		t.Errorf("reused code: %v, want ErrRefused", err)
	}
	if _, err := w.UserInfo(ctx, f.code("openid:visitor")); !errors.Is(err, ErrRefused) {
		t.Errorf("a visitor who is no member: %v, want ErrRefused", err)
	}
	w.UserInfo(ctx, f.code("wangwu"))
	if f.tokens != 1 {
		t.Errorf("gettoken called %d times for three sign-ins, want 1 (cached)", f.tokens)
	}
	bad, _ := NewWeCom(f.URL, f.corp, f.tokenSource("wrong"))
	if _, err := bad.UserInfo(ctx, f.code("lisi")); err == nil || errors.Is(err, ErrRefused) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong secret: %v, want a failure that does not show the secret", err)
	}
}

// TestWeComUserInfoRetriesOnceWithANewToken: the token the source holds was replaced at WeChat
// Work (40014); the sign-in asks the source for a new one and tries once more, so the member
// signs in with the same code. A source whose new token is refused too gives an error, after
// one retry only.
func TestWeComUserInfoRetriesOnceWithANewToken(t *testing.T) {
	f := newFakeWeCom(t)
	ts := f.tokenSource(f.secret)
	w, err := NewWeCom(f.URL, f.corp, ts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := w.UserInfo(ctx, f.code("lisi")); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.token = "tok-2" // tok-1, cached by the source, is now invalid
	f.mu.Unlock()
	id, err := w.UserInfo(ctx, f.code("wangwu"))
	if err != nil || id.ID != "wangwu" {
		t.Fatalf("after the token changed: %+v, %v; want wangwu signed in", id, err)
	}
	if len(ts.refreshed) != 1 || ts.refreshed[0] != "tok-1" || f.tokens != 2 {
		t.Fatalf("refreshed %v, gettoken %d times; want tok-1 refreshed once, 2 gettoken", ts.refreshed, f.tokens)
	}
	stuck := &stuckTokens{}
	w2, _ := NewWeCom(f.URL, f.corp, stuck)
	if _, err := w2.UserInfo(ctx, f.code("lisi")); err == nil || errors.Is(err, ErrRefused) || stuck.refreshes != 1 {
		t.Fatalf("a token refused twice: %v after %d refreshes; want an error after 1", err, stuck.refreshes)
	}
}

// stuckTokens hands out a token WeChat Work does not know, again after a refresh.
type stuckTokens struct{ refreshes int }

func (s *stuckTokens) AccessToken(context.Context) (string, error) { return "bad", nil }
func (s *stuckTokens) RefreshToken(context.Context, string) (string, error) {
	s.refreshes++
	return "bad", nil
}
