package main

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestIdentityFlagsEndToEnd runs the real server with -cas-url and -wecom-*, against a local
// CAS server (3.0 answers) and a local WeChat Work API: a requester signs in by CAS and lands on
// /my; a WeChat Work sign-in goes to the documented OAuth page and back; staff sign in by CAS.
func TestIdentityFlagsEndToEnd(t *testing.T) {
	var mu sync.Mutex
	tickets := map[string][2]string{} // ticket → user, service
	codes := map[string]string{"code-ok": "zhaoliu"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cas/login", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tk := fmt.Sprintf("ST-%d", len(tickets)+1)
		tickets[tk] = [2]string{r.URL.Query().Get("user"), r.URL.Query().Get("service")}
		mu.Unlock()
		http.Redirect(w, r, r.URL.Query().Get("service")+"&ticket="+tk, http.StatusFound)
	})
	mux.HandleFunc("GET /cas/p3/serviceValidate", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		g, ok := tickets[r.URL.Query().Get("ticket")]
		delete(tickets, r.URL.Query().Get("ticket"))
		mu.Unlock()
		fmt.Fprint(w, `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">`)
		if !ok || g[1] != r.URL.Query().Get("service") {
			fmt.Fprint(w, `<cas:authenticationFailure code="INVALID_TICKET">no</cas:authenticationFailure></cas:serviceResponse>`)
			return
		}
		fmt.Fprintf(w, `<cas:authenticationSuccess><cas:user>%s</cas:user><cas:attributes><cas:cn>赵六</cas:cn><cas:xh>2022000999</cas:xh></cas:attributes></cas:authenticationSuccess></cas:serviceResponse>`, html.EscapeString(g[0]))
	})
	mux.HandleFunc("GET /cgi-bin/gettoken", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "access_token": "T", "expires_in": 7200})
	})
	mux.HandleFunc("GET /cgi-bin/auth/getuserinfo", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		u, ok := codes[r.URL.Query().Get("code")]
		delete(codes, r.URL.Query().Get("code"))
		mu.Unlock()
		if !ok || r.URL.Query().Get("access_token") != "T" {
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40029, "errmsg": "invalid code"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "userid": u})
	})
	idp := httptest.NewServer(mux)
	defer idp.Close()

	p := startProc(t, filepath.Join(t.TempDir(), "onedoor.db"), "-cas-url", idp.URL+"/cas", "-cas-version", "3",
		"-cas-name-attr", "cn", "-cas-number-attr", "xh", "-wecom-api", idp.URL, "-wecom-corp", "wwcorp", "-wecom-secret", "s")
	base := "http://" + p.addr

	// A requester, by CAS: the fake CAS signs in the user named in ?user=.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/cas/login" {
			q := req.URL.Query()
			q.Set("user", "2022000999")
			req.URL.RawQuery = q.Encode()
		}
		return nil
	}}
	resp, err := c.Get(base + "/auth/cas/login?next=%2Fmy")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Path != "/my" || !strings.Contains(string(page), "赵六") {
		t.Fatalf("CAS sign-in ended at %s (%d):\n%.400s\n%s", resp.Request.URL, resp.StatusCode, page, p.logs())
	}

	// WeChat Work: the documented OAuth URL, then the callback with its state.
	nr := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = nr.Get(base + "/auth/wecom/login?next=%2Fmy")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	au, _ := url.Parse(loc)
	if !strings.HasPrefix(loc, "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wwcorp&redirect_uri=") || au.Fragment != "wechat_redirect" ||
		au.Query().Get("scope") != "snsapi_base" || !strings.HasPrefix(au.Query().Get("redirect_uri"), base+"/auth/wecom/callback?") {
		t.Fatalf("WeChat Work sign-in goes to %s", loc)
	}
	resp, err = nr.Get(au.Query().Get("redirect_uri") + "&code=code-ok&state=" + au.Query().Get("state"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/my" {
		t.Fatalf("WeChat Work callback: %d to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), p.logs())
	}
	resp, err = c.Get(base + "/api/v1/me/requests")
	if err != nil {
		t.Fatal(err)
	}
	var me struct {
		Requester struct{ Source string } `json:"requester"`
	}
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != 200 || me.Requester.Source != "wecom" {
		t.Errorf("after the WeChat Work sign-in: %d %+v", resp.StatusCode, me)
	}

	// Staff, by CAS: the demo's admin.
	sjar, _ := cookiejar.New(nil)
	sc := &http.Client{Jar: sjar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/cas/login" {
			q := req.URL.Query()
			q.Set("user", "admin")
			req.URL.RawQuery = q.Encode()
		}
		return nil
	}}
	resp, err = sc.Get(base + "/auth/cas/staff?next=%2Fadmin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/admin" {
		t.Fatalf("staff CAS sign-in ended at %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	resp, err = sc.Get(base + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"subject":"admin"`) {
		t.Errorf("staff by CAS: %d %s", resp.StatusCode, b)
	}
}

func TestIdentityFlagRefusals(t *testing.T) {
	for _, args := range [][]string{
		{"-demo", "-cas-version", "1"},
		{"-demo", "-wecom-corp", "ww"},
	} {
		if _, err := parseFlags(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
