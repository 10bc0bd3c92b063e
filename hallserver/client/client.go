// Package client is the Go client of the OneDoor hall server API (/api/v1) and of its hall event
// stream. The kiosk, the display and the load tools use it; it depends only on package hall.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"onedoor/hallserver/hall"
)

// Client calls one hall server. Set Token (a device token, or the session token Login returns)
// before calls that need a principal. A Client is safe for concurrent use as long as its fields
// are not changed meanwhile (Login sets Token).
type Client struct {
	// BaseURL is the server, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Token is sent as Authorization: Bearer.
	Token string
	// HTTP is the HTTP client (http.DefaultClient when nil).
	HTTP *http.Client
}

// New returns a client for the server with the token.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Error is an error answer of the API: the HTTP status and the error object
// {"error":{"code","message","field"}}. Code is one of hall's codes (hall.EINVALID…) or
// "too_large".
type Error struct {
	Status  int
	Code    string
	Message string
	Field   string
}

// Error implements error.
func (e *Error) Error() string {
	s := fmt.Sprintf("onedoor api: %d %s: %s", e.Status, e.Code, e.Message)
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	return s
}

// Is makes errors.Is(err, &client.Error{Code: hall.ENOTFOUND}) match by code (and status when set).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return (t.Code == "" || t.Code == e.Code) && (t.Status == 0 || t.Status == e.Status)
}

// AsHallError converts the error to a *hall.Error with the same code, field and message, for
// callers that speak in hall's codes (hall.ErrorCode works on the result).
func (e *Error) AsHallError() *hall.Error {
	return &hall.Error{Code: e.Code, Field: e.Field, Message: e.Message}
}

// Code returns the API error code of err ("" when err is not an API error).
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Session is the answer to a login.
type Session struct {
	Token     string    `json:"token"`
	CSRFToken string    `json:"csrfToken"`
	Username  string    `json:"username"`
	Role      hall.Role `json:"role"`
	Halls     []string  `json:"halls,omitempty"`
}

// HallInfo is a hall as the server lists it.
type HallInfo struct {
	Code     string      `json:"code"`
	Name     hall.Text   `json:"name"`
	Services []Service   `json:"services"`
	Counters []CounterIn `json:"counters"`
}

// Service is a hall service with what people must bring (一次告知).
type Service struct {
	Code       string      `json:"code"`
	Name       hall.Text   `json:"name"`
	Materials  []hall.Text `json:"materials"`
	AvgMinutes int         `json:"avgMinutes"`
}

// CounterIn is a configured counter of a hall.
type CounterIn struct {
	Number   int      `json:"number"`
	Services []string `json:"services"`
}

// Ticket is a ticket as the API returns it (flat). Token, FollowURL, Position, EtaSeconds and
// Materials are set on issue.
type Ticket struct {
	ID         string           `json:"id"`
	Number     string           `json:"number"`
	Hall       string           `json:"hall"`
	Service    string           `json:"service"`
	Token      string           `json:"token,omitempty"`
	FollowURL  string           `json:"followUrl,omitempty"`
	Position   int              `json:"position"`
	EtaSeconds int              `json:"etaSeconds"`
	Materials  []hall.Text      `json:"materials,omitempty"`
	State      hall.TicketState `json:"state"`
	Priority   bool             `json:"priority"`
	Lang       string           `json:"lang,omitempty"`
	PersonID   string           `json:"personId,omitempty"` // masked
	Day        string           `json:"day,omitempty"`
	IssuedAt   time.Time        `json:"issuedAt"`
	Counter    int              `json:"counter,omitempty"`
	CalledAt   *time.Time       `json:"calledAt,omitempty"`
	StartedAt  *time.Time       `json:"startedAt,omitempty"`
	FinishedAt *time.Time       `json:"finishedAt,omitempty"`
	Outcome    hall.Outcome     `json:"outcome,omitempty"`
	Calls      int              `json:"calls,omitempty"`
	CaseID     string           `json:"caseId,omitempty"`
}

// ActResult is the answer to a counter action: the ticket acted on, or for open, pause and close
// the counter. Both are nil after a call-next when nobody waits (204).
type ActResult struct {
	Ticket  *Ticket
	Counter *hall.CounterStatus
}

// Follow is the public view of a ticket behind its follow token.
type Follow struct {
	Number      string           `json:"number"`
	State       hall.TicketState `json:"state"`
	Hall        string           `json:"hall"`
	HallName    hall.Text        `json:"hallName"`
	Service     string           `json:"service"`
	ServiceName hall.Text        `json:"serviceName"`
	Position    int              `json:"position"`
	EtaSeconds  int              `json:"etaSeconds"`
	Counter     int              `json:"counter,omitempty"`
	Materials   []hall.Text      `json:"materials"`
	Priority    bool             `json:"priority"`
	PersonID    string           `json:"personId,omitempty"`
	IssuedAt    time.Time        `json:"issuedAt"`
	CalledAt    *time.Time       `json:"calledAt,omitempty"`
	StartedAt   *time.Time       `json:"startedAt,omitempty"`
	FinishedAt  *time.Time       `json:"finishedAt,omitempty"`
	Outcome     hall.Outcome     `json:"outcome,omitempty"`
	HasCase     bool             `json:"hasCase,omitempty"` // a counter handed the visit to a department
}

// IssueRequest is what a kiosk asks for.
type IssueRequest struct {
	Service  string `json:"service"`
	Priority bool   `json:"priority,omitempty"`
	Lang     string `json:"lang,omitempty"`
	PersonID string `json:"personId,omitempty"`
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// do sends a JSON request and decodes a 2xx JSON answer into out (when non-nil). It returns the
// status; non-2xx answers are *Error.
func (c *Client) do(ctx context.Context, method, path string, in, out any, hdr ...string) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] != "" {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Field   string `json:"field"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
			e.Code, e.Message, e.Field = eb.Error.Code, eb.Error.Message, eb.Error.Field
		} else {
			e.Code, e.Message = codeOfStatus(resp.StatusCode), strings.TrimSpace(string(b))
			if len(e.Message) > 200 {
				e.Message = e.Message[:200]
			}
		}
		return resp.StatusCode, e
	}
	if out != nil && resp.StatusCode != http.StatusNoContent && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// codeOfStatus guesses the error code of an answer without a JSON error (a proxy, say).
func codeOfStatus(status int) string {
	switch status {
	case 400:
		return hall.EINVALID
	case 401:
		return hall.EUNAUTHORIZED
	case 403:
		return hall.EFORBIDDEN
	case 404:
		return hall.ENOTFOUND
	case 409:
		return hall.ECONFLICT
	case 413:
		return "too_large"
	case 422:
		return hall.EUNPROCESSABLE
	case 502, 503, 504:
		return hall.EUNAVAILABLE
	}
	return hall.EINTERNAL
}

// Login signs staff in, sets c.Token to the session token and returns the session.
func (c *Client) Login(ctx context.Context, username, password string) (*Session, error) {
	var s Session
	if _, err := c.do(ctx, "POST", "/api/v1/session", map[string]string{"username": username, "password": password}, &s); err != nil {
		return nil, err
	}
	c.Token = s.Token
	return &s, nil
}

// Logout ends the session of c.Token.
func (c *Client) Logout(ctx context.Context) error {
	_, err := c.do(ctx, "DELETE", "/api/v1/session", nil, nil)
	return err
}

// Me returns who c.Token belongs to.
func (c *Client) Me(ctx context.Context) (*hall.Principal, error) {
	var p hall.Principal
	if _, err := c.do(ctx, "GET", "/api/v1/me", nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Halls lists the halls with their services and counters.
func (c *Client) Halls(ctx context.Context) ([]HallInfo, error) {
	var out struct {
		Halls []HallInfo `json:"halls"`
	}
	if _, err := c.do(ctx, "GET", "/api/v1/halls", nil, &out); err != nil {
		return nil, err
	}
	return out.Halls, nil
}

// Hall returns one hall.
func (c *Client) Hall(ctx context.Context, hallCode string) (*HallInfo, error) {
	var h HallInfo
	if _, err := c.do(ctx, "GET", "/api/v1/halls/"+url.PathEscape(hallCode), nil, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// Issue issues a ticket in the hall. idemKey, when not empty, is sent as Idempotency-Key: a
// retry with the same key returns the same ticket (use one key per button press).
func (c *Client) Issue(ctx context.Context, hallCode string, req IssueRequest, idemKey string) (*Ticket, error) {
	var t Ticket
	if _, err := c.do(ctx, "POST", "/api/v1/halls/"+url.PathEscape(hallCode)+"/tickets", req, &t, "Idempotency-Key", idemKey); err != nil {
		return nil, err
	}
	return &t, nil
}

// Act performs a counter action (hall.ActCallNext…) with its optional details (a may be nil).
func (c *Client) Act(ctx context.Context, hallCode string, counter int, action string, a *hall.CounterAction) (*ActResult, error) {
	var raw json.RawMessage
	var in any
	if a != nil {
		in = a
	}
	path := "/api/v1/halls/" + url.PathEscape(hallCode) + "/counters/" + strconv.Itoa(counter) + "/" + url.PathEscape(action)
	status, err := c.do(ctx, "POST", path, in, &raw)
	if err != nil {
		return nil, err
	}
	res := &ActResult{}
	if status == http.StatusNoContent || len(raw) == 0 {
		return res, nil
	}
	var probe struct {
		Counter json.RawMessage `json:"counter"` // an object for counter states, a number in tickets
		Number  string          `json:"number"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("%s: decode answer: %w", action, err)
	}
	if probe.Number == "" && len(probe.Counter) > 0 && probe.Counter[0] == '{' {
		res.Counter = new(hall.CounterStatus)
		if err := json.Unmarshal(probe.Counter, res.Counter); err != nil {
			return nil, fmt.Errorf("%s: decode counter: %w", action, err)
		}
		return res, nil
	}
	res.Ticket = new(Ticket)
	if err := json.Unmarshal(raw, res.Ticket); err != nil {
		return nil, fmt.Errorf("%s: decode ticket: %w", action, err)
	}
	return res, nil
}

// Snapshot returns the hall's visible state.
func (c *Client) Snapshot(ctx context.Context, hallCode string) (*hall.Snapshot, error) {
	var s hall.Snapshot
	if _, err := c.do(ctx, "GET", "/api/v1/halls/"+url.PathEscape(hallCode)+"/snapshot", nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Waiting lists the hall's waiting tickets (counter staff).
func (c *Client) Waiting(ctx context.Context, hallCode string) ([]Ticket, error) {
	var out struct {
		Tickets []Ticket `json:"tickets"`
	}
	if _, err := c.do(ctx, "GET", "/api/v1/halls/"+url.PathEscape(hallCode)+"/waiting", nil, &out); err != nil {
		return nil, err
	}
	return out.Tickets, nil
}

// Follow returns the public view of the ticket with the follow token.
func (c *Client) Follow(ctx context.Context, token string) (*Follow, error) {
	var f Follow
	if _, err := c.do(ctx, "GET", "/api/v1/follow/"+url.PathEscape(token), nil, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// CancelFollow lets the ticket's holder leave the queue.
func (c *Client) CancelFollow(ctx context.Context, token string) (*Follow, error) {
	var f Follow
	if _, err := c.do(ctx, "POST", "/api/v1/follow/"+url.PathEscape(token)+"/cancel", nil, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// Health reports whether the server answers /healthz.
func (c *Client) Health(ctx context.Context) error {
	_, err := c.do(ctx, "GET", "/healthz", nil, nil)
	return err
}
