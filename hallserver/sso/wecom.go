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

// TokenSource gives the application's access token: the WeChat Work client's cached gettoken
// (wecom.Client through an adapter in cmd/hallserver), so the process keeps one token.
type TokenSource interface {
	// AccessToken returns the cached token, fetching one when there is none.
	AccessToken(ctx context.Context) (string, error)
	// RefreshToken drops stale, which WeChat Work refused (errcode 42001 expired, 40014
	// invalid), and returns a new token (the one another caller already fetched, if any).
	RefreshToken(ctx context.Context, stale string) (string, error)
}

// Token errcodes of WeChat Work: the call is retried once with a new token.
const (
	errInvalidToken = 40014
	errTokenExpired = 42001
)

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
	// A token WeChat Work calls expired or invalid (renewed early elsewhere, revoked) is
	// replaced and the call made once more: the code is not used up by a refused token.
	for attempt := 0; ; attempt++ {
		out.ErrCode, out.ErrMsg, out.UserID, out.OpenID = 0, "", "", ""
		if err := w.get(ctx, "/cgi-bin/auth/getuserinfo", url.Values{"access_token": {token}, "code": {code}}, &out); err != nil {
			return hall.Identity{}, err
		}
		if (out.ErrCode == errTokenExpired || out.ErrCode == errInvalidToken) && attempt == 0 {
			if token, err = w.tokens.RefreshToken(ctx, token); err != nil {
				return hall.Identity{}, fmt.Errorf("sso: WeChat Work token: %w", err)
			}
			continue
		}
		break
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
