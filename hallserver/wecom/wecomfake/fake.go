// Package wecomfake is a local fake of the WeChat Work (企业微信) server API for tests and demos,
// written from its documentation: gettoken (documents 91039, 90665), message/send (90236, with
// the duplicate check) and the group robot webhook/send (91770, 20 messages a minute per robot).
// It never talks to the internet.
//
// What it answers, as the real API does:
//   - gettoken: a new token valid for TokenLife (expires_in in seconds), 40013 for a wrong corp
//     ID, 40001 for a wrong secret, 60020 when the caller's address is not trusted (DenyIP).
//   - message/send: 41001 without a token, 40014 for an unknown token, 42001 for an expired one,
//     60020 when DenyIP; 40056 for another agentid, 40008 for a msgtype other than text or
//     textcard; members not in Users come back in invaliduser (all of them: 81013). With
//     enable_duplicate_check=1 a body equal to one accepted within duplicate_check_interval
//     (default 1800 s) is answered ok but not delivered again.
//   - webhook/send: 93000 for a key not in Robots (when Robots is set), 45009 when the robot took
//     RobotLimit messages within RobotWindow.
//
// Down makes every request fail at the connection (an outage); Expire makes every token expire.
package wecomfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Config configures a Server. The zero value of each field has the documented default.
type Config struct {
	CorpID  string // default "ww-demo"
	Secret  string // default "demo-secret"
	AgentID int64  // default 1000002
	// Users are the members' user IDs; nil accepts every ID.
	Users []string
	// Robots are the valid robot keys; nil accepts every key.
	Robots []string
	// TokenLife is a token's life (default 7200 s).
	TokenLife time.Duration
	// RobotLimit messages per RobotWindow per robot (default 20 a minute).
	RobotLimit  int
	RobotWindow time.Duration
	// Now is the fake's clock (default time.Now).
	Now func() time.Time
}

// Message is an application message as a member received it.
type Message struct {
	User     string
	MsgType  string
	AgentID  int64
	Title    string
	Desc     string
	URL      string
	Button   string
	Content  string // text messages
	Received time.Time
}

// RobotMessage is a message a robot posted to its group.
type RobotMessage struct {
	Key      string
	MsgType  string
	Content  string
	Received time.Time
}

// Server is the fake API. Create it with New; URL is its base URL (the -wecom-api).
type Server struct {
	URL string
	cfg Config
	ts  *httptest.Server

	mu       sync.Mutex
	down     bool
	denyIP   bool
	tokens   map[string]time.Time // token → expiry
	issued   int
	messages []Message
	robot    []RobotMessage
	robotAt  map[string][]time.Time
	dupes    map[string]time.Time // body → until
	calls    map[string]int       // path → requests (answered or not)
	codes    map[int]int          // errcode → answers
	notify   chan struct{}
}

// New starts a fake on a loopback port; Close stops it.
func New(cfg Config) *Server {
	s := newServer(cfg)
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

// Handler returns a fake that is not listening (mount it on your own server).
func Handler(cfg Config) *Server { return newServer(cfg) }

func newServer(cfg Config) *Server {
	if cfg.CorpID == "" {
		cfg.CorpID = "ww-demo"
	}
	if cfg.Secret == "" {
		cfg.Secret = "demo-secret"
	}
	if cfg.AgentID == 0 {
		cfg.AgentID = 1000002
	}
	if cfg.TokenLife <= 0 {
		cfg.TokenLife = 7200 * time.Second
	}
	if cfg.RobotLimit <= 0 {
		cfg.RobotLimit = 20
	}
	if cfg.RobotWindow <= 0 {
		cfg.RobotWindow = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg, tokens: map[string]time.Time{}, robotAt: map[string][]time.Time{},
		dupes: map[string]time.Time{}, calls: map[string]int{}, codes: map[int]int{}, notify: make(chan struct{})}
}

// Close stops the fake.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
}

// Config returns the fake's configuration with its defaults.
func (s *Server) Config() Config { return s.cfg }

// Down starts (true) or ends (false) an outage: while down every connection is closed unanswered.
func (s *Server) Down(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// DenyIP makes every call answer 60020 (the server's address is not among the trusted IPs).
func (s *Server) DenyIP(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denyIP = deny
}

// Expire makes every issued token expired (the next call with one answers 42001).
func (s *Server) Expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.tokens {
		s.tokens[t] = time.Time{}
	}
}

// Forget drops every issued token (the next call with one answers 40014).
func (s *Server) Forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]time.Time{}
}

// TokensIssued returns how many tokens gettoken issued.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// Calls returns how many requests reached path ("/cgi-bin/gettoken", …).
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// Answered returns how many answers carried errcode.
func (s *Server) Answered(errcode int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codes[errcode]
}

// Messages returns the application messages delivered so far, one per member.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// RobotMessages returns the robot messages posted so far.
func (s *Server) RobotMessages() []RobotMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RobotMessage(nil), s.robot...)
}

// Changed returns a channel closed at the next delivery (application or robot message).
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notify
}

func (s *Server) changedLocked() {
	close(s.notify)
	s.notify = make(chan struct{})
}

// ServeHTTP answers the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls[r.URL.Path]++
	down, deny := s.down, s.denyIP
	s.mu.Unlock()
	if down {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	var ans map[string]any
	switch {
	case deny && r.URL.Path != "/cgi-bin/webhook/send":
		ans = s.fail(60020, "not allow to access from your ip")
	case r.URL.Path == "/cgi-bin/gettoken" && r.Method == http.MethodGet:
		ans = s.gettoken(r)
	case r.URL.Path == "/cgi-bin/message/send" && r.Method == http.MethodPost:
		ans = s.send(r, body)
	case r.URL.Path == "/cgi-bin/webhook/send" && r.Method == http.MethodPost:
		ans = s.webhook(r, body)
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(ans)
}

func (s *Server) fail(code int, msg string) map[string]any {
	s.mu.Lock()
	s.codes[code]++
	s.mu.Unlock()
	return map[string]any{"errcode": code, "errmsg": msg}
}

func (s *Server) ok(extra map[string]any) map[string]any {
	s.mu.Lock()
	s.codes[0]++
	s.mu.Unlock()
	out := map[string]any{"errcode": 0, "errmsg": "ok"}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func (s *Server) gettoken(r *http.Request) map[string]any {
	q := r.URL.Query()
	switch {
	case q.Get("corpid") != s.cfg.CorpID:
		return s.fail(40013, "invalid corpid")
	case q.Get("corpsecret") != s.cfg.Secret:
		return s.fail(40001, "invalid credential")
	}
	s.mu.Lock()
	s.issued++
	tok := fmt.Sprintf("fake-token-%d", s.issued)
	s.tokens[tok] = s.cfg.Now().Add(s.cfg.TokenLife)
	s.mu.Unlock()
	return s.ok(map[string]any{"access_token": tok, "expires_in": int(s.cfg.TokenLife / time.Second)})
}

// checkToken answers the token errors, or nil.
func (s *Server) checkToken(r *http.Request) map[string]any {
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		return s.fail(41001, "access_token missing")
	}
	s.mu.Lock()
	exp, ok := s.tokens[tok]
	s.mu.Unlock()
	if !ok {
		return s.fail(40014, "invalid access_token")
	}
	if !s.cfg.Now().Before(exp) {
		return s.fail(42001, "access_token expired")
	}
	return nil
}

func (s *Server) send(r *http.Request, body []byte) map[string]any {
	if a := s.checkToken(r); a != nil {
		return a
	}
	var m struct {
		ToUser   string `json:"touser"`
		MsgType  string `json:"msgtype"`
		AgentID  int64  `json:"agentid"`
		TextCard *struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			URL         string `json:"url"`
			BtnTxt      string `json:"btntxt"`
		} `json:"textcard"`
		Text *struct {
			Content string `json:"content"`
		} `json:"text"`
		Dup      int `json:"enable_duplicate_check"`
		Interval int `json:"duplicate_check_interval"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return s.fail(47001, "data format error")
	}
	if m.AgentID != s.cfg.AgentID {
		return s.fail(40056, "invalid agentid")
	}
	if m.ToUser == "" {
		return s.fail(40003, "invalid userid")
	}
	msg := Message{MsgType: m.MsgType, AgentID: m.AgentID}
	switch {
	case m.MsgType == "textcard" && m.TextCard != nil:
		if m.TextCard.Title == "" || m.TextCard.Description == "" || m.TextCard.URL == "" {
			return s.fail(44004, "empty content")
		}
		if len(m.TextCard.Title) > 128 || len(m.TextCard.Description) > 512 {
			return s.fail(45002, "content size out of limit")
		}
		msg.Title, msg.Desc, msg.URL, msg.Button = m.TextCard.Title, m.TextCard.Description, m.TextCard.URL, m.TextCard.BtnTxt
	case m.MsgType == "text" && m.Text != nil:
		msg.Content = m.Text.Content
	default:
		return s.fail(40008, "invalid message type")
	}
	var valid, invalid []string
	for _, u := range strings.Split(m.ToUser, "|") {
		if s.knownUser(u) {
			valid = append(valid, u)
		} else {
			invalid = append(invalid, strings.ToLower(u))
		}
	}
	if len(valid) == 0 {
		return s.fail(81013, "user & party & tag all invalid")
	}
	now := s.cfg.Now()
	s.mu.Lock()
	key := string(bytes.TrimSpace(body))
	dup := false
	if m.Dup == 1 {
		iv := time.Duration(m.Interval) * time.Second
		if iv <= 0 {
			iv = 1800 * time.Second
		}
		if until, ok := s.dupes[key]; ok && now.Before(until) {
			dup = true
		} else {
			s.dupes[key] = now.Add(iv)
		}
	}
	if !dup {
		for _, u := range valid {
			mm := msg
			mm.User, mm.Received = u, now
			s.messages = append(s.messages, mm)
		}
		s.changedLocked()
	}
	s.mu.Unlock()
	extra := map[string]any{"msgid": fmt.Sprintf("msg-%d", now.UnixNano())}
	if len(invalid) > 0 {
		extra["invaliduser"] = strings.Join(invalid, "|")
	}
	return s.ok(extra)
}

func (s *Server) knownUser(u string) bool {
	if u == "" {
		return false
	}
	if s.cfg.Users == nil {
		return true
	}
	for _, k := range s.cfg.Users {
		if strings.EqualFold(k, u) {
			return true
		}
	}
	return false
}

func (s *Server) webhook(r *http.Request, body []byte) map[string]any {
	key := r.URL.Query().Get("key")
	known := key != ""
	if known && s.cfg.Robots != nil {
		known = false
		for _, k := range s.cfg.Robots {
			known = known || k == key
		}
	}
	if !known {
		return s.fail(93000, "invalid webhook url")
	}
	var m struct {
		MsgType  string `json:"msgtype"`
		Markdown *struct {
			Content string `json:"content"`
		} `json:"markdown"`
		Text *struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return s.fail(40008, "invalid message type")
	}
	rm := RobotMessage{Key: key, MsgType: m.MsgType}
	switch {
	case m.MsgType == "markdown" && m.Markdown != nil:
		rm.Content = m.Markdown.Content
	case m.MsgType == "text" && m.Text != nil:
		rm.Content = m.Text.Content
	default:
		return s.fail(40008, "invalid message type")
	}
	if rm.Content == "" {
		return s.fail(44004, "empty content")
	}
	if len(rm.Content) > 4096 {
		return s.fail(40058, "markdown.content exceed max length 4096")
	}
	now := s.cfg.Now()
	s.mu.Lock()
	at := s.robotAt[key]
	for len(at) > 0 && now.Sub(at[0]) >= s.cfg.RobotWindow {
		at = at[1:]
	}
	if len(at) >= s.cfg.RobotLimit {
		s.robotAt[key] = at
		s.mu.Unlock()
		return s.fail(45009, "api freq out of limit")
	}
	s.robotAt[key] = append(at, now)
	rm.Received = now
	s.robot = append(s.robot, rm)
	s.changedLocked()
	s.mu.Unlock()
	return s.ok(nil)
}
