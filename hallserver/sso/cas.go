package sso

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"onedoor/hallserver/hall"
)

// Bounds of the conversation with the CAS server.
const (
	// MaxTicket bounds a service ticket (the protocol allows 32 to 256 characters).
	MaxTicket = 256
	// maxCASBody bounds a validation answer: a user and some attributes.
	maxCASBody = 64 << 10
	// DefaultTimeout bounds one call to an identity server when the client has none.
	DefaultTimeout = 10 * time.Second
)

// ErrRefused is the answer to a sign-in the identity server did not confirm (a bad, used or
// expired ticket or code): the person must sign in again.
var ErrRefused = errors.New("sso: sign-in refused")

// refused is a refusal: ErrRefused and a hall error EUNAUTHORIZED naming the field (ticket,
// code), which package http answers as 401.
func refused(field, format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrRefused, hall.Errorf(hall.EUNAUTHORIZED, field, format, args...))
}

// CAS is a client of the campus CAS server.
type CAS struct {
	base    *url.URL
	version int
	// NameAttr and NumberAttr are the CAS 3.0 attributes holding the person's name and
	// student or staff number (campus servers differ: "cn", "name", "xm"; "uid", "xh"…). An
	// empty NumberAttr takes the CAS user as the number (campuses that sign in by it).
	NameAttr, NumberAttr string
	// HTTP makes the calls (nil: a client with DefaultTimeout).
	HTTP *http.Client
}

// NewCAS returns the client of the CAS server at base (e.g. https://cas.example.edu.cn/cas)
// speaking version 2 (/serviceValidate) or 3 (/p3/serviceValidate, with attributes).
func NewCAS(base string, version int, nameAttr, numberAttr string) (*CAS, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("sso: CAS URL %q: want http(s)://host/path", base)
	}
	if version != 2 && version != 3 {
		return nil, fmt.Errorf("sso: CAS version %d: want 2 or 3", version)
	}
	return &CAS{base: u, version: version, NameAttr: nameAttr, NumberAttr: numberAttr}, nil
}

func (c *CAS) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: DefaultTimeout}
}

func (c *CAS) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	u.RawQuery = q.Encode()
	return u.String()
}

// LoginURL is where the browser signs in: {cas}/login?service=S.
func (c *CAS) LoginURL(service string) string {
	return c.endpoint("/login", url.Values{"service": {service}})
}

// casResponse is the validation answer (the CAS 2.0 and 3.0 schema, namespace
// http://www.yale.edu/tp/cas).
type casResponse struct {
	XMLName xml.Name `xml:"http://www.yale.edu/tp/cas serviceResponse"`
	Success *struct {
		User       string `xml:"http://www.yale.edu/tp/cas user"`
		Attributes struct {
			Any []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:"http://www.yale.edu/tp/cas attributes"`
	} `xml:"http://www.yale.edu/tp/cas authenticationSuccess"`
	Failure *struct {
		Code    string `xml:"code,attr"`
		Message string `xml:",chardata"`
	} `xml:"http://www.yale.edu/tp/cas authenticationFailure"`
}

// Validate checks a service ticket with the CAS server for the service it was issued to (the
// same string as in LoginURL) and returns who signed in. A ticket the server does not confirm
// gets ErrRefused (wrapped with the server's code); other failures are the server's trouble.
func (c *CAS) Validate(ctx context.Context, ticket, service string) (hall.Identity, error) {
	if ticket == "" || len(ticket) > MaxTicket {
		return hall.Identity{}, refused("ticket", "the ticket must have 1 to %d characters", MaxTicket)
	}
	path := "/serviceValidate"
	if c.version == 3 {
		path = "/p3/serviceValidate"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(path, url.Values{"service": {service}, "ticket": {ticket}}), nil)
	if err != nil {
		return hall.Identity{}, fmt.Errorf("sso: CAS validate: %w", err)
	}
	req.Header.Set("Accept", "application/xml")
	resp, err := c.client().Do(req)
	if err != nil {
		return hall.Identity{}, fmt.Errorf("sso: CAS validate: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCASBody+1))
	if err != nil {
		return hall.Identity{}, fmt.Errorf("sso: CAS validate: read: %w", err)
	}
	if len(body) > maxCASBody {
		return hall.Identity{}, fmt.Errorf("sso: CAS validate: answer longer than %d bytes", maxCASBody)
	}
	var r casResponse
	if err := xml.Unmarshal(body, &r); err != nil {
		// CAS 5+ answers a bad ticket 200 with XML, older servers sometimes 4xx/5xx with HTML.
		return hall.Identity{}, fmt.Errorf("sso: CAS validate: HTTP %d, not a CAS answer: %w", resp.StatusCode, err)
	}
	switch {
	case r.Failure != nil:
		return hall.Identity{}, refused("ticket", "the campus sign-on did not confirm the ticket (%s): %s", r.Failure.Code, clip(strings.TrimSpace(r.Failure.Message), 200))
	case r.Success == nil || strings.TrimSpace(r.Success.User) == "":
		return hall.Identity{}, fmt.Errorf("sso: CAS validate: HTTP %d, an answer without success or failure", resp.StatusCode)
	}
	id := hall.Identity{Source: hall.IdentityCAS, ID: strings.TrimSpace(r.Success.User)}
	for _, a := range r.Success.Attributes.Any {
		v := strings.TrimSpace(a.Value)
		switch a.XMLName.Local {
		case c.NameAttr:
			id.Name = v
		case c.NumberAttr:
			id.Number = v
		}
	}
	if c.NumberAttr == "" {
		id.Number = id.ID // campuses that sign in by the student or staff number
	}
	if err := id.Check(); err != nil {
		return hall.Identity{}, fmt.Errorf("sso: CAS validate: user: %w", err)
	}
	id.Name, id.Number = clip(id.Name, 64), clip(id.Number, 64)
	return id, nil
}

// clip cuts s to at most n runes.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
