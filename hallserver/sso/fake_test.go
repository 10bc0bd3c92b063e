package sso

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeCAS is a local CAS server: /login issues a service ticket for the user named in ?user=
// and redirects to the service, /serviceValidate (2.0) and /p3/serviceValidate (3.0) validate
// it once, for the service it was issued to, as the protocol's XML.
type fakeCAS struct {
	*httptest.Server
	mu      sync.Mutex
	n       int
	tickets map[string]fakeTicket
	// attrs are the 3.0 attributes of every user.
	attrs map[string]string
}

type fakeTicket struct{ user, service string }

func newFakeCAS(t *testing.T) *fakeCAS {
	f := &fakeCAS{tickets: map[string]fakeTicket{}, attrs: map[string]string{"cn": "张三", "xh": "2021000123"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cas/login", func(w http.ResponseWriter, r *http.Request) {
		service := r.URL.Query().Get("service")
		user := r.URL.Query().Get("user")
		if service == "" || user == "" {
			http.Error(w, "no service or user", http.StatusBadRequest)
			return
		}
		t := f.issue(user, service)
		sep := "?"
		if strings.Contains(service, "?") {
			sep = "&"
		}
		http.Redirect(w, r, service+sep+"ticket="+url.QueryEscape(t), http.StatusFound)
	})
	mux.HandleFunc("GET /cas/serviceValidate", func(w http.ResponseWriter, r *http.Request) { f.validate(w, r, false) })
	mux.HandleFunc("GET /cas/p3/serviceValidate", func(w http.ResponseWriter, r *http.Request) { f.validate(w, r, true) })
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// issue gives a new ticket to user for service.
func (f *fakeCAS) issue(user, service string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	t := fmt.Sprintf("ST-%d-fakecas", f.n)
	f.tickets[t] = fakeTicket{user: user, service: service}
	return t
}

func (f *fakeCAS) validate(w http.ResponseWriter, r *http.Request, v3 bool) {
	q := r.URL.Query()
	f.mu.Lock()
	t, ok := f.tickets[q.Get("ticket")]
	delete(f.tickets, q.Get("ticket")) // single use, whatever the outcome
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml;charset=UTF-8")
	const head = `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">`
	switch {
	case !ok:
		fmt.Fprintf(w, "%s<cas:authenticationFailure code=\"INVALID_TICKET\">Ticket %s not recognized</cas:authenticationFailure></cas:serviceResponse>", head, html.EscapeString(q.Get("ticket")))
	case t.service != q.Get("service"):
		fmt.Fprintf(w, "%s<cas:authenticationFailure code=\"INVALID_SERVICE\">Ticket was not issued for this service</cas:authenticationFailure></cas:serviceResponse>", head)
	default:
		fmt.Fprintf(w, "%s<cas:authenticationSuccess><cas:user>%s</cas:user>", head, html.EscapeString(t.user))
		if v3 {
			fmt.Fprint(w, "<cas:attributes><cas:isFromNewLogin>true</cas:isFromNewLogin>")
			for k, v := range f.attrs {
				fmt.Fprintf(w, "<cas:%s>%s</cas:%s>", k, html.EscapeString(v), k)
			}
			fmt.Fprint(w, "</cas:attributes>")
		}
		fmt.Fprint(w, "</cas:authenticationSuccess></cas:serviceResponse>")
	}
}

// fakeWeCom is the smallest WeChat Work: gettoken for one corp and secret, getuserinfo for the
// codes it handed out (each once, with the current token).
type fakeWeCom struct {
	*httptest.Server
	corp, secret string
	mu           sync.Mutex
	token        string
	tokens       int // gettoken calls
	codes        map[string]string
}

func newFakeWeCom(t *testing.T) *fakeWeCom {
	f := &fakeWeCom{corp: "ww-corp", secret: "s3cret", token: "tok-1", codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		defer f.mu.Unlock()
		if q.Get("corpid") != f.corp || q.Get("corpsecret") != f.secret {
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
			return
		}
		f.tokens++
		json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "access_token": f.token, "expires_in": 7200})
	})
	mux.HandleFunc("GET /cgi-bin/auth/getuserinfo", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		defer f.mu.Unlock()
		if q.Get("access_token") != f.token {
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
			return
		}
		user, ok := f.codes[q.Get("code")]
		delete(f.codes, q.Get("code"))
		switch {
		case !ok:
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40029, "errmsg": "invalid code"})
		case strings.HasPrefix(user, "openid:"):
			json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "openid": strings.TrimPrefix(user, "openid:")})
		default:
			json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "userid": user, "user_ticket": "ut"})
		}
	})
	// The OAuth page: the app would ask nothing (snsapi_base) and come back with a code.
	mux.HandleFunc("GET /connect/oauth2/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("appid") != f.corp || q.Get("response_type") != "code" || q.Get("scope") != "snsapi_base" {
			http.Error(w, "bad authorize request", http.StatusBadRequest)
			return
		}
		code := f.code(q.Get("user"))
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// code hands out a one-use code for the user ("openid:x" for a visitor who is no member).
func (f *fakeWeCom) code(user string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := fmt.Sprintf("code-%d", len(f.codes)+100)
	f.codes[c] = user
	return c
}

// fakeTokens is the test's TokenSource: a cached gettoken against the fake (the server's is the
// WeChat Work client's, through an adapter in cmd/hallserver).
type fakeTokens struct {
	api, corp, secret string
	mu                sync.Mutex
	token             string
	refreshed         []string // the stale tokens RefreshToken was given
}

func (t *fakeTokens) AccessToken(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" {
		return t.token, nil
	}
	var out struct {
		ErrCode int    `json:"errcode"`
		Token   string `json:"access_token"`
	}
	q := url.Values{"corpid": {t.corp}, "corpsecret": {t.secret}}
	if err := getJSON(ctx, http.DefaultClient, t.api+"/cgi-bin/gettoken?"+q.Encode(), "gettoken", &out); err != nil {
		return "", err
	}
	if out.ErrCode != 0 {
		return "", fmt.Errorf("gettoken: errcode %d", out.ErrCode)
	}
	t.token = out.Token
	return t.token, nil
}

func (t *fakeTokens) RefreshToken(ctx context.Context, stale string) (string, error) {
	t.mu.Lock()
	t.refreshed = append(t.refreshed, stale)
	if t.token == stale {
		t.token = ""
	}
	t.mu.Unlock()
	return t.AccessToken(ctx)
}

func (f *fakeWeCom) tokenSource(secret string) *fakeTokens {
	return &fakeTokens{api: f.URL, corp: f.corp, secret: secret}
}
