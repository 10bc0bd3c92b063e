// Package open311 is OneDoor's Open311 GeoReport v2 adapter (a JSON subset): other channels (the
// university app, a hotline platform, a WeChat service account) submit cases and follow them
// through it. See docs/OPEN311.md.
//
//	GET  /open311/discovery.json                 service discovery
//	GET  /open311/v2/services.json               catalogue categories as services
//	GET  /open311/v2/services/{code}.json        a service definition (no attributes)
//	POST /open311/v2/requests.json               open a case (api_key; form or JSON)
//	GET  /open311/v2/requests.json               the caller's cases, public fields (api_key)
//	GET  /open311/v2/requests/{id}.json          one of them
//
// Decisions: an api_key is either a key of an enrolled Open311 client (Config.Keys, the case's
// source is "open311:<client>") or a staff bearer token (counter, handler, supervisor, admin; the
// source is the username); device tokens are refused. Cases come in through the api channel.
// Unlike the spec, the GET methods also need the key, because on a campus the free text and the
// replies are about people: a client sees the requests it submitted, staff what they may see in
// the case API. Answers carry public fields only (never the requester).
//
// The package knows no server: the server that mounts it (hallserver/http) hands it the case
// service, the campus, its visibility rule for staff, its answer conventions (Wire) and its
// clock, and registers the routes with its own route registration (Handler.Register).
package open311

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"onedoor/hallserver/hall"
)

// Open311 limits (the spec's).
const (
	maxDescription = 4000
	maxResults     = 1000
	maxSpan        = 90 * 24 * time.Hour
	maxIDs         = 100
	sourcePrefix   = "open311:"
)

// Config is what a Handler works with. Cases, Campus, Staff and Wire are required.
type Config struct {
	// Cases returns the case system (its catalogue is the list of services), or an error
	// (hall.EUNAVAILABLE) when the server has none: every route then answers 503.
	Cases func() (hall.CaseService, error)
	// Auth resolves a staff session token given as api_key; nil accepts client keys only.
	Auth hall.AuthService
	// Keys maps the API key of each enrolled Open311 client to the client's name.
	Keys map[string]string
	// Campus names the campus and its departments and gives the zone of the times shown.
	Campus Campus
	// Staff is the case API's rule of which cases a staff member sees.
	Staff Visibility
	// PublicURL is the server's public base URL (discovery, follow links); "" makes discovery
	// use the request's host.
	PublicURL string
	// Wire is the mounting server's request and answer conventions.
	Wire Wire
	// Now is the clock of the default date range of GET requests (nil: time.Now).
	Now func() time.Time
	// Log receives failed requests; nil discards them.
	Log *slog.Logger
}

// Campus is what the answers show of the campus.
type Campus interface {
	// Name is the campus's name (discovery's contact).
	Name() hall.Text
	// DepartmentName is a department's name (the code when it has none).
	DepartmentName(code string) hall.Text
	// Location is the campus's zone: times are shown and local dates read in it.
	Location() *time.Location
}

// Visibility is which cases a staff member sees (the case API's rule, shared with it).
type Visibility interface {
	// Sees reports whether the staff member may read the case.
	Sees(p *hall.Principal, c *hall.Case) bool
	// ListDepartment is the department a staff member's case lists are narrowed to before Sees
	// decides ("" reads every department's cases).
	ListDepartment(p *hall.Principal) string
}

// Wire is the mounting server's conventions for reading requests and writing answers, passed in
// so that Open311 answers carry the same headers, statuses and limits as the rest of its API.
type Wire struct {
	// JSON writes v as a JSON answer with the status.
	JSON func(w http.ResponseWriter, status int, v any)
	// Status maps an error code (hall.E*, TooLarge) to its HTTP status.
	Status func(code string) int
	// ClientGone reports whether err means the client went away before the answer; such a
	// request is logged at info and answered (to nobody) with the status ClientClosed.
	ClientGone   func(r *http.Request, err error) bool
	ClientClosed int
	// MaxBody is the largest request body accepted; a larger one is an error with the code
	// TooLarge.
	MaxBody  int64
	TooLarge string
	// Lang maps a locale ("zh-CN", "en-GB") to "zh" or "en" (other values unchanged).
	Lang func(locale string) string
	// When reads a query time: RFC 3339, or a local date in loc (its start; with end, the start
	// of the next day). A bad value is an error naming the field.
	When func(v, field string, loc *time.Location, end bool) (time.Time, error)
}

// Handler serves the Open311 routes.
type Handler struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
}

// New returns the handler of the configuration.
func New(cfg Config) *Handler {
	h := &Handler{cfg: cfg, log: cfg.Log, now: cfg.Now}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// Register adds the Open311 routes with add: the mounting server's route registration
// (recovery, metrics, its route list), or a function calling an http.ServeMux's Handle. Go patterns cannot hold
// "{code}.json", so the last segment is the wildcard and the handlers strip the format suffix.
func (h *Handler) Register(add func(pattern string, handler http.HandlerFunc)) {
	add("GET /open311/discovery.json", h.handleDiscovery)
	add("GET /open311/v2/services.json", h.handleServices)
	add("GET /open311/v2/services/{service_code}", h.handleService)
	add("POST /open311/v2/requests.json", h.handlePost)
	add("GET /open311/v2/requests.json", h.handleRequests)
	add("GET /open311/v2/requests/{service_request_id}", h.handleRequest)
}

// Error is one entry of an Open311 error answer: [{code, description}].
type Error struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

// writeError answers err in the Open311 form with the HTTP status of its code; missing or
// bad keys are 403 as the spec says.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := hall.ErrorCode(err)
	status := h.cfg.Wire.Status(code)
	if code == hall.EUNAUTHORIZED {
		status = http.StatusForbidden
	}
	msg := hall.ErrorMessage(err)
	if f := hall.ErrorField(err); f != "" && !strings.Contains(msg, f) {
		msg = f + ": " + msg
	}
	if h.cfg.Wire.ClientGone(r, err) {
		h.log.Info("client closed the request", "method", r.Method, "path", r.URL.Path, "err", err)
		h.cfg.Wire.JSON(w, h.cfg.Wire.ClientClosed, []Error{{Code: h.cfg.Wire.ClientClosed, Description: "client closed the request"}})
		return
	}
	if status >= 500 {
		h.log.Error("open311 request failed", "method", r.Method, "path", r.URL.Path, "code", code, "err", err)
		if code == hall.EINTERNAL {
			msg = "internal error"
		}
	}
	h.cfg.Wire.JSON(w, status, []Error{{Code: status, Description: msg}})
}

// trimFormat strips ".json" from a path value; other formats are refused (XML is not served).
func trimFormat(v, what string) (string, error) {
	base, ok := strings.CutSuffix(v, ".json")
	if !ok || base == "" {
		if i := strings.LastIndexByte(v, '.'); i > 0 {
			return "", hall.Errorf(hall.EINVALID, "format", "format %q is not supported; use .json", v[i+1:])
		}
		return "", hall.Errorf(hall.EINVALID, "format", "the %s must end in .json", what)
	}
	return base, nil
}

// lang is the answer's language: the locale parameter (a v2 extension) or the
// Accept-Language header; Chinese by default.
func (h *Handler) lang(r *http.Request, form url.Values) string {
	l := form.Get("locale")
	if l == "" {
		l = r.URL.Query().Get("locale")
	}
	if l == "" {
		l, _, _ = strings.Cut(r.Header.Get("Accept-Language"), ",")
	}
	if h.cfg.Wire.Lang(l) == "en" {
		return "en"
	}
	return "zh"
}

// ---- the caller ----

// caller is who calls with an api_key: an enrolled client or a staff member.
type caller struct {
	source string          // the case source: "open311:<client>" or the username
	staff  *hall.Principal // nil for clients
}

// sees reports whether the caller may read the case: its own submissions, and for staff what
// the case API shows them.
func (h *Handler) sees(c *caller, cs *hall.Case) bool {
	return cs.Source == c.source || (c.staff != nil && h.cfg.Staff.Sees(c.staff, cs))
}

// identify resolves the api_key parameter (or a bearer token): an Open311 client key, else
// a staff session token. Devices, unknown and missing keys are refused (403).
func (h *Handler) identify(r *http.Request, form url.Values) (*caller, error) {
	key := form.Get("api_key")
	if key == "" {
		key = r.URL.Query().Get("api_key")
	}
	if key == "" {
		if a := r.Header.Get("Authorization"); a != "" {
			scheme, t, ok := strings.Cut(a, " ")
			if ok && strings.EqualFold(scheme, "Bearer") {
				key = strings.TrimSpace(t)
			}
		}
	}
	if key == "" {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "api_key", "api_key is required")
	}
	if len(key) > 512 {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "api_key", "invalid api_key")
	}
	// Compare hashes in constant time, over every key (the key set is small).
	sum := sha256.Sum256([]byte(key))
	client := ""
	for k, name := range h.cfg.Keys {
		kh := sha256.Sum256([]byte(k))
		if subtle.ConstantTimeCompare(sum[:], kh[:]) == 1 {
			client = name
		}
	}
	if client != "" {
		return &caller{source: sourcePrefix + client}, nil
	}
	if h.cfg.Auth == nil {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "api_key", "invalid api_key")
	}
	p, err := h.cfg.Auth.Authenticate(r.Context(), key)
	if err != nil || p == nil {
		switch hall.ErrorCode(err) {
		case hall.EUNAVAILABLE, hall.EINTERNAL:
			return nil, err
		}
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "api_key", "invalid api_key")
	}
	if p.Device {
		return nil, hall.Errorf(hall.EFORBIDDEN, "api_key", "device tokens may not use Open311; kiosks use /api/v1/cases")
	}
	return &caller{source: p.Subject, staff: p}, nil
}
