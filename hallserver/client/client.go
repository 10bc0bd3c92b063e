// Package client is the Go client of the OneDoor hall server API (/api/v1) and of its hall event
// stream. The kiosk and the display reach the server only through it. It speaks in the JSON
// bodies of package wire (the ones the server uses) and in package hall's types; an error answer
// of the API comes back as a *hall.Error (hall.ErrorCode, or Code here, reads its code).
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
	"onedoor/hallserver/wire"
)

// Client calls one hall server. Set Token (a device token, or the session token Login returns)
// before calls that need a principal. A Client is safe for concurrent use as long as its fields
// are not changed meanwhile (Login sets Token).
type Client struct {
	// BaseURL is the server, e.g. http://127.0.0.1:8080, or several hall servers on one etcd
	// cluster separated by commas (http://a:8080,http://b:8080, docs/HA.md): the client uses
	// one and moves to the next when it cannot be reached or answers 502, 503 or 504.
	BaseURL string
	// Token is sent as Authorization: Bearer.
	Token string
	// HTTP is the HTTP client (http.DefaultClient when nil).
	HTTP *http.Client

	cur int32 // index in BaseURL's list of the server in use (atomic; failover.go)
}

// New returns a client for the server with the token.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Code returns the API error code of err (hall.EINVALID…, or one of wire's codes such as
// wire.ETOOMANY), "" when err is not an error answer of the API (a transport error, say).
func Code(err error) string {
	var e *hall.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ActResult is the answer to a counter action: the ticket acted on, or for open, pause and close
// the counter. Both are nil after a call-next when nobody waits (204).
type ActResult struct {
	Ticket  *wire.Ticket
	Counter *hall.CounterStatus
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// do sends a JSON request and decodes a 2xx JSON answer into out (when non-nil). It returns the
// status; a non-2xx answer is a *hall.Error (wrapped with the method and path). With several
// servers it moves to the next on a connection failure or a 502, 503 or 504 answer: a request
// that may have reached a server (a broken connection, a 502 or 504 from a proxy) only when it
// is idempotent (a GET, or an issue with its Idempotency-Key, which is sent unchanged).
func (c *Client) do(ctx context.Context, method, path string, in, out any, hdr ...string) (int, error) {
	var payload []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		payload = b
	}
	n := len(c.servers())
	start, _ := c.current()
	again := idempotent(method, hdr)
	for i := 0; ; i++ {
		idx := (start + i) % n
		status, sent, err := c.doOnce(ctx, c.servers()[idx], method, path, in != nil, payload, out, hdr)
		retry := err != nil && ctx.Err() == nil && i+1 < n &&
			((status == 0 && (again || !sent)) || status == http.StatusServiceUnavailable ||
				(again && failoverStatus(status)))
		if !retry {
			return status, err
		}
		c.moveFrom(idx)
	}
}

// doOnce sends the request to one server. sent is false when the connection could not be made.
func (c *Client) doOnce(ctx context.Context, base, method, path string, hasBody bool, payload []byte, out any, hdr []string) (status int, sent bool, err error) {
	var body io.Reader
	if hasBody {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return 0, false, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if hasBody {
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
		return 0, !notSent(err), fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, true, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, true, fmt.Errorf("%s %s: %w", method, path, answerError(resp.StatusCode, b))
	}
	if out != nil && resp.StatusCode != http.StatusNoContent && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, true, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, true, nil
}

// answerError turns an error answer into a *hall.Error: the server's JSON error body, or for an
// answer without one (a proxy, a server without the route) a code guessed from the status and
// the start of the body as the message.
func answerError(status int, body []byte) *hall.Error {
	var eb wire.ErrorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error.Code != "" {
		return eb.Error.HallError()
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = strings.ToValidUTF8(msg[:200], "")
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &hall.Error{Code: wire.CodeOf(status), Message: msg}
}

// Login signs staff in, sets c.Token to the session token and returns the session.
func (c *Client) Login(ctx context.Context, username, password string) (*wire.Session, error) {
	var s wire.Session
	if _, err := c.do(ctx, "POST", "/api/v1/session", wire.LoginRequest{Username: username, Password: password}, &s); err != nil {
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
func (c *Client) Halls(ctx context.Context) ([]wire.Hall, error) {
	var out wire.HallList
	if _, err := c.do(ctx, "GET", "/api/v1/halls", nil, &out); err != nil {
		return nil, err
	}
	return out.Halls, nil
}

// Hall returns one hall.
func (c *Client) Hall(ctx context.Context, hallCode string) (*wire.Hall, error) {
	var h wire.Hall
	if _, err := c.do(ctx, "GET", "/api/v1/halls/"+url.PathEscape(hallCode), nil, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// Issue issues a ticket in the hall. idemKey, when not empty, is sent as Idempotency-Key: a
// retry with the same key returns the same ticket (use one key per button press).
func (c *Client) Issue(ctx context.Context, hallCode string, req wire.IssueRequest, idemKey string) (*wire.Ticket, error) {
	var t wire.Ticket
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
	res.Ticket = new(wire.Ticket)
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
func (c *Client) Waiting(ctx context.Context, hallCode string) ([]wire.Ticket, error) {
	var out wire.TicketList
	if _, err := c.do(ctx, "GET", "/api/v1/halls/"+url.PathEscape(hallCode)+"/waiting", nil, &out); err != nil {
		return nil, err
	}
	return out.Tickets, nil
}

// Follow returns the public view of the ticket with the follow token.
func (c *Client) Follow(ctx context.Context, token string) (*wire.Follow, error) {
	var f wire.Follow
	if _, err := c.do(ctx, "GET", "/api/v1/follow/"+url.PathEscape(token), nil, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// CancelFollow lets the ticket's holder leave the queue.
func (c *Client) CancelFollow(ctx context.Context, token string) (*wire.Follow, error) {
	var f wire.Follow
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

// CheckinRefused is the error of a check-in outside its window: the server's answer (too_early
// with when to come back, too_late with the walk-in offer).
type CheckinRefused struct {
	Answer wire.CheckinError
}

// Error implements error.
func (e *CheckinRefused) Error() string { return e.Answer.Code + ": " + e.Answer.Message }

// Checkin checks a booking in at the hall's kiosk: code is the 6-digit code or what a scanner
// read from the booking's QR code. Inside the window it returns the ticket (marked 预约); outside
// it the error is a *CheckinRefused; other refusals are *hall.Error as from every call.
func (c *Client) Checkin(ctx context.Context, hallCode, code string) (*wire.Ticket, error) {
	path := "/api/v1/halls/" + url.PathEscape(hallCode) + "/appointments/checkin"
	b, _ := json.Marshal(wire.CheckinRequest{Code: code})
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("POST %s: read answer: %w", path, err)
	}
	if resp.StatusCode == http.StatusConflict {
		var r wire.CheckinRefusal
		if json.Unmarshal(body, &r) == nil && (r.Error.Code == hall.ETOOEARLY || r.Error.Code == hall.ETOOLATE) {
			return nil, &CheckinRefused{Answer: r.Error}
		}
	}
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("POST %s: %w", path, answerError(resp.StatusCode, body))
	}
	var t wire.Ticket
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("POST %s: decode answer: %w", path, err)
	}
	return &t, nil
}
