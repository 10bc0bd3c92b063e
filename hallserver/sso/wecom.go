package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"onedoor/hallserver/hall"
)

// DefaultWeComAPI is the WeChat Work API (-wecom-api's default).
const DefaultWeComAPI = "https://qyapi.weixin.qq.com"

// DefaultWeComAuthorize is the OAuth page the WeChat Work app opens.
const DefaultWeComAuthorize = "https://open.weixin.qq.com/connect/oauth2/authorize"

// Bounds of the WeChat Work conversation: a code is at most 512 bytes, an answer small JSON.
const (
	MaxCode      = 512
	maxWeComBody = 64 << 10
)

// TokenSource gives the application's access token (the WeChat Work client's cached gettoken).
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
}

// WeCom is WeChat Work OAuth inside the WeChat Work app (企业微信网页授权, snsapi_base).
type WeCom struct {
	api, corp string
	tokens    TokenSource
	// Authorize is the OAuth page (DefaultWeComAuthorize when empty; tests point it at a fake).
	Authorize string
	// HTTP makes the calls (nil: a client with DefaultTimeout).
	HTTP *http.Client
}

// NewWeCom returns WeChat Work OAuth for the corp, asking the API at api (DefaultWeComAPI when
// empty) with the tokens of tokens.
func NewWeCom(api, corp string, tokens TokenSource) (*WeCom, error) {
	if api == "" {
		api = DefaultWeComAPI
	}
	u, err := url.Parse(api)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("sso: WeChat Work API %q: want http(s)://host", api)
	}
	if corp == "" || tokens == nil {
		return nil, fmt.Errorf("sso: WeChat Work OAuth needs the corp ID and a token source")
	}
	return &WeCom{api: strings.TrimRight(api, "/"), corp: corp, tokens: tokens}, nil
}

func (w *WeCom) client() *http.Client {
	if w.HTTP != nil {
		return w.HTTP
	}
	return &http.Client{Timeout: DefaultTimeout}
}

// AuthorizeURL is where the WeChat Work app takes the member to come back to redirectURI with
// ?code=&state= (state: a-zA-Z0-9, at most 128 bytes). The parameters keep the documented order.
func (w *WeCom) AuthorizeURL(redirectURI, state string) string {
	base := w.Authorize
	if base == "" {
		base = DefaultWeComAuthorize
	}
	return base + "?appid=" + url.QueryEscape(w.corp) + "&redirect_uri=" + url.QueryEscape(redirectURI) +
		"&response_type=code&scope=snsapi_base&state=" + url.QueryEscape(state) + "#wechat_redirect"
}

// UserInfo turns the code the app brought back into the member: GET
// {api}/cgi-bin/auth/getuserinfo. A code WeChat Work does not confirm (used, expired: errcode
// 40029) and a visitor who is no member of the corp (openid only) get ErrRefused.
func (w *WeCom) UserInfo(ctx context.Context, code string) (hall.Identity, error) {
	if code == "" || len(code) > MaxCode {
		return hall.Identity{}, refused("code", "the code must have 1 to %d bytes", MaxCode)
	}
	token, err := w.tokens.AccessToken(ctx)
	if err != nil {
		return hall.Identity{}, fmt.Errorf("sso: WeChat Work token: %w", err)
	}
	var out struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
		UserID  string `json:"userid"` // the older /user/getuserinfo spelt it UserId (json matches either)
		OpenID  string `json:"openid"`
	}
	if err := w.get(ctx, "/cgi-bin/auth/getuserinfo", url.Values{"access_token": {token}, "code": {code}}, &out); err != nil {
		return hall.Identity{}, err
	}
	switch {
	case out.ErrCode == 40029 || out.ErrCode == 40163: // invalid code, code already used
		return hall.Identity{}, refused("code", "WeChat Work did not confirm the code (errcode %d): sign in again", out.ErrCode)
	case out.ErrCode != 0:
		return hall.Identity{}, fmt.Errorf("sso: WeChat Work getuserinfo: errcode %d: %s", out.ErrCode, out.ErrMsg)
	case out.UserID == "":
		return hall.Identity{}, refused("code", "not a member of the university's WeChat Work")
	}
	id := hall.Identity{Source: hall.IdentityWeCom, ID: out.UserID}
	if err := id.Check(); err != nil {
		return hall.Identity{}, fmt.Errorf("sso: WeChat Work userid: %w", err)
	}
	return id, nil
}

// get calls a WeChat Work GET endpoint and decodes its JSON answer (bounded).
func (w *WeCom) get(ctx context.Context, path string, q url.Values, out any) error {
	return getJSON(ctx, w.client(), w.api+path+"?"+q.Encode(), path, out)
}

func getJSON(ctx context.Context, c *http.Client, u, name string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("sso: %s: %w", name, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		// The URL carries the token or secret: name the endpoint, not the URL.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("sso: %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sso: %s: HTTP %d", name, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxWeComBody+1))
	if err != nil {
		return fmt.Errorf("sso: %s: read: %w", name, err)
	}
	if len(body) > maxWeComBody {
		return fmt.Errorf("sso: %s: answer longer than %d bytes", name, maxWeComBody)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("sso: %s: decode: %w", name, err)
	}
	return nil
}

// Tokens is a minimal cached gettoken (GET {api}/cgi-bin/gettoken?corpid=&corpsecret=): the
// token is kept until a minute before it expires. The WeChat Work message adapter has its own;
// either serves as the TokenSource of WeCom.
type Tokens struct {
	api, corp, secret string
	// HTTP makes the calls (nil: a client with DefaultTimeout).
	HTTP *http.Client
	now  func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// NewTokens returns the token source of the corp's application with secret at api
// (DefaultWeComAPI when empty).
func NewTokens(api, corp, secret string) *Tokens {
	if api == "" {
		api = DefaultWeComAPI
	}
	return &Tokens{api: strings.TrimRight(api, "/"), corp: corp, secret: secret, now: time.Now}
}

// AccessToken returns the cached token or fetches a new one.
func (t *Tokens) AccessToken(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && t.now().Before(t.expires) {
		return t.token, nil
	}
	c := t.HTTP
	if c == nil {
		c = &http.Client{Timeout: DefaultTimeout}
	}
	var out struct {
		ErrCode   int    `json:"errcode"`
		ErrMsg    string `json:"errmsg"`
		Token     string `json:"access_token"`
		ExpiresIn int    `json:"expires_in"`
	}
	q := url.Values{"corpid": {t.corp}, "corpsecret": {t.secret}}
	if err := getJSON(ctx, c, t.api+"/cgi-bin/gettoken?"+q.Encode(), "/cgi-bin/gettoken", &out); err != nil {
		return "", err
	}
	if out.ErrCode != 0 || out.Token == "" {
		return "", fmt.Errorf("sso: WeChat Work gettoken: errcode %d: %s", out.ErrCode, out.ErrMsg)
	}
	life := time.Duration(out.ExpiresIn)*time.Second - time.Minute
	if life <= 0 {
		life = time.Minute
	}
	t.token, t.expires = out.Token, t.now().Add(life)
	return t.token, nil
}
