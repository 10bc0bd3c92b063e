// Package wecom talks to the WeChat Work (企业微信) server API: the access token (gettoken),
// application messages (message/send, a textcard to members by user ID) and group robots
// (webhook/send, markdown), as the official documentation describes them:
//
//   - GET  {api}/cgi-bin/gettoken?corpid=ID&corpsecret=SECRET → {"errcode":0,"access_token","expires_in"}
//     (document 91039). The token is cached until shortly before expires_in runs out; a call
//     answered errcode 42001 (token expired) or 40014 (invalid token) fetches a new token and is
//     retried once.
//   - POST {api}/cgi-bin/message/send?access_token=TOKEN with {"touser":"a|b","msgtype":"textcard",
//     "agentid":N,"textcard":{"title","description","url","btntxt"},"enable_duplicate_check":1,
//     "duplicate_check_interval":S} (document 90236). With the duplicate check on, the same
//     request body sent again within the interval is not delivered twice: the outbox relies on it
//     to turn a resend after a crash into one message.
//   - POST {api}/cgi-bin/webhook/send?key=KEY with {"msgtype":"markdown","markdown":{"content"}}
//     (document 91770). A robot takes at most 20 messages a minute; Robots paces each key,
//     merges what waits for the same robot into one message and backs off on errcode 45009.
//
// Every call takes a context, has a timeout, and reads at most MaxResponse bytes of the answer.
package wecom

import (
	"bytes"
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
)

// DefaultAPI is the official server API base URL.
const DefaultAPI = "https://qyapi.weixin.qq.com"

// Error codes of the WeChat Work API the adapter acts on.
const (
	ErrInvalidToken    = 40014 // 不合法的access_token
	ErrTokenExpired    = 42001 // access_token已过期
	ErrRateLimited     = 45009 // 接口调用超过限制 (a robot's 20 a minute, an app's quotas)
	ErrIPNotAllowed    = 60020 // 不安全的访问IP (the server's address is not in the app's trusted IPs)
	ErrNoValidReceiver = 81013 // UserID、部门ID、标签ID全部非法或无权限
)

// Limits of the adapter.
const (
	// MaxResponse bounds the bytes read of any answer.
	MaxResponse = 64 << 10
	// DefaultTimeout bounds one HTTP exchange.
	DefaultTimeout = 10 * time.Second
	// DuplicateCheckInterval is sent as duplicate_check_interval (seconds): WeChat Work takes at
	// most 4 hours.
	DuplicateCheckInterval = 4 * 60 * 60
	// Textcard limits of the documentation: title 128 bytes, description 512 bytes, button text
	// 4 characters.
	maxTitle, maxDescription, maxButton = 128, 512, 4
)

// APIError is an answer with a non-zero errcode.
type APIError struct {
	Op      string // "gettoken", "message/send", "webhook/send"
	Code    int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wecom %s: errcode %d: %s", e.Op, e.Code, e.Message)
}

// Temporary reports whether trying again later may succeed (rate limits, system busy, token
// trouble); other codes (bad user, bad key, IP not allowed) need someone to change something.
func (e *APIError) Temporary() bool {
	switch e.Code {
	case -1, ErrRateLimited, ErrInvalidToken, ErrTokenExpired:
		return true
	}
	return false
}

// Code returns the errcode of err when it is an APIError, else 0.
func Code(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// Doer sends HTTP requests (*http.Client).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Config configures a Client.
type Config struct {
	// API is the base URL (default DefaultAPI); tests point it at wecomfake.
	API     string
	CorpID  string
	Secret  string
	AgentID int64
	// HTTP sends the requests (default: an http.Client that follows no redirects).
	HTTP Doer
	// Timeout bounds one exchange (default DefaultTimeout).
	Timeout time.Duration
	// Now is the clock of the token's expiry (default time.Now).
	Now func() time.Time
}

// Client calls the WeChat Work API of one corp and application. It is safe for concurrent use.
type Client struct {
	cfg Config

	mu      sync.Mutex // guards the token; held while fetching one, so one fetch at a time
	token   string
	expires time.Time
}

// New checks the configuration and returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.API == "" {
		cfg.API = DefaultAPI
	}
	u, err := url.Parse(cfg.API)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("wecom: API %q is not an http(s) URL", cfg.API)
	}
	cfg.API = strings.TrimRight(cfg.API, "/")
	if cfg.HTTP == nil {
		cfg.HTTP = newHTTP()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg}, nil
}

func newHTTP() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// AppConfigured reports whether application messages can be sent (corp, secret and agent set).
func (c *Client) AppConfigured() bool {
	return c.cfg.CorpID != "" && c.cfg.Secret != "" && c.cfg.AgentID != 0
}

// API returns the base URL.
func (c *Client) API() string { return c.cfg.API }

// Token returns a valid access token, fetching one when none is cached or the cached one is
// within a minute of its expiry.
func (c *Client) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.cfg.Now().Before(c.expires) {
		return c.token, nil
	}
	return c.fetchLocked(ctx)
}

// Refresh drops the token stale (one an answer called expired or invalid: errcode 42001,
// 40014) and fetches a new one, unless another call already replaced it. Other users of the
// application's token (the WeChat Work sign-in) call it so the process keeps one token.
func (c *Client) Refresh(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.token != stale && c.cfg.Now().Before(c.expires) {
		return c.token, nil
	}
	c.token = ""
	return c.fetchLocked(ctx)
}

func (c *Client) fetchLocked(ctx context.Context) (string, error) {
	q := url.Values{"corpid": {c.cfg.CorpID}, "corpsecret": {c.cfg.Secret}}
	var ans struct {
		answer
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := c.call(ctx, http.MethodGet, c.cfg.API+"/cgi-bin/gettoken?"+q.Encode(), nil, &ans); err != nil {
		return "", err
	}
	if err := ans.err("gettoken"); err != nil {
		return "", err
	}
	if ans.AccessToken == "" {
		return "", errors.New("wecom gettoken: no access_token in the answer")
	}
	life := time.Duration(ans.ExpiresIn) * time.Second
	// Renew a minute early (a token in flight must not expire on the way); a short life is used
	// as it is.
	if life > 2*time.Minute {
		life -= time.Minute
	}
	c.token, c.expires = ans.AccessToken, c.cfg.Now().Add(life)
	return c.token, nil
}

// answer is the errcode/errmsg every answer carries.
type answer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (a answer) err(op string) error {
	if a.ErrCode == 0 {
		return nil
	}
	return &APIError{Op: op, Code: a.ErrCode, Message: a.ErrMsg}
}

// call makes one exchange and decodes the JSON answer into out.
func (c *Client) call(ctx context.Context, method, u string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("wecom: request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("wecom %s: %w", opOf(u), redact(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	if err != nil {
		return fmt.Errorf("wecom %s: read answer: %w", opOf(u), err)
	}
	if len(b) > MaxResponse {
		return fmt.Errorf("wecom %s: answer longer than %d bytes", opOf(u), MaxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wecom %s: HTTP %d", opOf(u), resp.StatusCode)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("wecom %s: answer is not JSON: %w", opOf(u), err)
	}
	return nil
}

// redact keeps secrets (corpsecret, access_token, key) out of errors that quote the URL.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

func opOf(u string) string {
	i := strings.Index(u, "/cgi-bin/")
	if i < 0 {
		return u
	}
	op := u[i+len("/cgi-bin/"):]
	if j := strings.IndexByte(op, '?'); j >= 0 {
		op = op[:j]
	}
	return op
}

// Card is a textcard application message.
type Card struct {
	Title       string // at most 128 bytes (cut)
	Description string // at most 512 bytes (cut); may use the documented <div class="gray|normal|highlight">
	URL         string // the case page the card opens
	Button      string // button text, at most 4 characters (default 详情)
}

// SendResult is the answer of message/send: the user IDs WeChat Work did not take.
type SendResult struct {
	InvalidUsers []string
	MsgID        string
}

// SendCard sends a textcard to the members (touser "a|b", at most 1000 of them) with the
// duplicate check on. On errcode 42001 or 40014 it fetches a new token and tries once more.
func (c *Client) SendCard(ctx context.Context, users []string, card Card) (SendResult, error) {
	if !c.AppConfigured() {
		return SendResult{}, errors.New("wecom: no corp, secret or agent configured")
	}
	if len(users) == 0 || len(users) > 1000 {
		return SendResult{}, fmt.Errorf("wecom: %d receivers (1–1000)", len(users))
	}
	body, err := json.Marshal(CardBody(users, c.cfg.AgentID, card))
	if err != nil {
		return SendResult{}, fmt.Errorf("wecom: encode message: %w", err)
	}
	var ans struct {
		answer
		InvalidUser string `json:"invaliduser"`
		MsgID       string `json:"msgid"`
	}
	token, err := c.Token(ctx)
	if err != nil {
		return SendResult{}, err
	}
	for attempt := 0; ; attempt++ {
		ans.answer, ans.InvalidUser = answer{}, ""
		u := c.cfg.API + "/cgi-bin/message/send?access_token=" + url.QueryEscape(token)
		if err := c.call(ctx, http.MethodPost, u, body, &ans); err != nil {
			return SendResult{}, err
		}
		if (ans.ErrCode == ErrTokenExpired || ans.ErrCode == ErrInvalidToken) && attempt == 0 {
			if token, err = c.Refresh(ctx, token); err != nil {
				return SendResult{}, err
			}
			continue
		}
		break
	}
	if err := ans.err("message/send"); err != nil {
		return SendResult{}, err
	}
	res := SendResult{MsgID: ans.MsgID}
	if ans.InvalidUser != "" {
		res.InvalidUsers = strings.Split(ans.InvalidUser, "|")
	}
	return res, nil
}

// MessageBody is the JSON body of message/send for a textcard.
type MessageBody struct {
	ToUser                 string   `json:"touser"`
	MsgType                string   `json:"msgtype"`
	AgentID                int64    `json:"agentid"`
	TextCard               TextCard `json:"textcard"`
	EnableDuplicateCheck   int      `json:"enable_duplicate_check"`
	DuplicateCheckInterval int      `json:"duplicate_check_interval"`
}

// TextCard is the textcard object of message/send.
type TextCard struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	BtnTxt      string `json:"btntxt,omitempty"`
}

// CardBody returns the message/send body of a textcard to users (the limits applied).
func CardBody(users []string, agent int64, card Card) MessageBody {
	btn := card.Button
	if btn == "" {
		btn = "详情"
	}
	return MessageBody{
		ToUser: strings.Join(users, "|"), MsgType: "textcard", AgentID: agent,
		TextCard: TextCard{Title: cut(card.Title, maxTitle), Description: cut(card.Description, maxDescription),
			URL: card.URL, BtnTxt: string([]rune(btn)[:min(len([]rune(btn)), maxButton)])},
		EnableDuplicateCheck: 1, DuplicateCheckInterval: DuplicateCheckInterval,
	}
}

// cut shortens s to at most n bytes on a rune boundary, with "…" when cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ell = "…"
	i := n - len(ell)
	for i > 0 && (s[i]&0xC0) == 0x80 {
		i--
	}
	return s[:i] + ell
}
