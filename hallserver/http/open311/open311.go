// Package open311 is OneDoor's Open311 GeoReport v2 adapter: other channels (the university
// app, a hotline platform, a WeChat service account) submit cases and follow them through it,
// and anyone may read the public records of public requests. See docs/OPEN311.md.
//
//	GET  /open311/discovery.{xml,json}            service discovery
//	GET  /open311/v2/services[.xml|.json]         catalogue categories as services
//	GET  /open311/v2/services/{code}[.xml|.json]  a service definition (no attributes)
//	POST /open311/v2/requests[.xml|.json]         open a case (api_key; form or JSON)
//	GET  /open311/v2/requests[.xml|.json]         requests: public records, or the caller's own
//	GET  /open311/v2/requests/{id}[.xml|.json]    one of them
//
// XML (encoding/xml, the spec's element names) is the default: a path without an extension is
// answered in XML, and so are errors (<errors><error><code/><description/></error></errors>)
// of a path without .json. Any other path under /open311/ is a 404 in that form.
//
// Decisions: an api_key is either a key of an enrolled Open311 client (Config.Keys, the case's
// source is "open311:<client>") or a staff bearer token (counter, handler, supervisor, admin; the
// source is the username); device tokens are refused. Cases come in through the api channel.
// The GET methods are public as in the spec: without a key they show the public records of the
// cases the case policy lets strangers see (Visibility.Public: no free text, no requester, a
// coarse point); with a key a client sees the requests it submitted, staff what they may see in
// the case API, with their text, status notes, address, point and media link (never the
// requester).
//
// The package knows no server: the server that mounts it (hallserver/http) hands it the case
// service, the campus, its visibility rules, its answer conventions (Wire) and its clock, and
// registers the routes with its own route registration (Handler.Register).
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
	// Staff is the case API's rule of which cases a staff member sees, and the public rule.
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

// Visibility is which cases a staff member sees (the case API's rule, shared with it), and
// which cases strangers see (the case policy's public rule).
type Visibility interface {
	// Public returns what strangers may see of a case, false when they may not see it
	// (cases.PublicRecord).
	Public(c *hall.Case) (hall.Case, bool)
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
// (recovery, metrics, its route list), or a function calling an http.ServeMux's Handle. Each
// resource is served as .xml, .json and without an extension (XML, the spec's default). Go
// patterns cannot hold "{code}.json", so the last segment is the wildcard and the handlers cut
// the format off. fallback, when not nil, gets the pattern of every other path under /open311/,
// answered in the Open311 error form (404, or 405 for a known path and another method); the
// server registers it outside its route list, like its own answer to unknown paths.
func (h *Handler) Register(add, fallback func(pattern string, handler http.HandlerFunc)) {
	add("GET /open311/discovery.json", h.handleDiscovery)
	add("GET /open311/discovery.xml", h.handleDiscovery)
	for _, ext := range formats {
		add("GET /open311/v2/services"+ext, h.handleServices)
	}
	add("GET /open311/v2/services/{service_code}", h.handleService)
	for _, ext := range formats {
		add("POST /open311/v2/requests"+ext, h.handlePost)
		add("GET /open311/v2/requests"+ext, h.handleRequests)
	}
	add("GET /open311/v2/requests/{service_request_id}", h.handleRequest)
	if fallback != nil {
		fallback("/open311/", h.handleUnknown)
	}
}

// formats are the extensions each list resource is served with.
var formats = []string{".xml", ".json", ""}

// Error is one entry of an Open311 error answer: [{code, description}] in JSON,
// <errors><error><code/><description/></error></errors> in XML.
type Error struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

// writeError answers err in the Open311 form and the path's format with the HTTP status of its
// code; missing or bad keys are 403 as the spec says.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := hall.ErrorCode(err)
	status := h.cfg.Wire.Status(code)
	if code == hall.EUNAUTHORIZED {
		status = http.StatusForbidden
	}
	msg := hall.ErrorMessage(err)
	if fd := hall.ErrorField(err); fd != "" && !strings.Contains(msg, fd) {
		msg = fd + ": " + msg
	}
	if h.cfg.Wire.ClientGone(r, err) {
		h.log.Info("client closed the request", "method", r.Method, "path", r.URL.Path, "err", err)
		status, msg = h.cfg.Wire.ClientClosed, "client closed the request"
	} else if status >= 500 {
		h.log.Error("open311 request failed", "method", r.Method, "path", r.URL.Path, "code", code, "err", err)
		if code == hall.EINTERNAL {
			msg = "internal error"
		}
	}
	h.write(w, formatOf(r), status, ErrorList{{Code: status, Description: msg}})
}

// handleUnknown answers a path under /open311/ that no route serves: 405 with Allow when the
// path is a resource served with other methods, else 404; both in the Open311 error form, in
// the path's format.
func (h *Handler) handleUnknown(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	i := strings.LastIndexByte(p, '/')
	dir, base := p[:i+1], p[i+1:]
	base, _, _ = splitFormat(base)
	allow := ""
	switch {
	case dir == "/open311/v2/" && base == "requests":
		allow = "GET, POST"
	case dir == "/open311/v2/" && base == "services", dir == "/open311/v2/services/" && base != "",
		dir == "/open311/v2/requests/" && base != "", dir == "/open311/" && base == "discovery":
		allow = "GET"
	}
	if allow != "" {
		w.Header().Set("Allow", allow)
		h.write(w, formatOf(r), http.StatusMethodNotAllowed, ErrorList{{Code: http.StatusMethodNotAllowed,
			Description: "method " + r.Method + " is not allowed here; use " + allow}})
		return
	}
	h.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "", "no Open311 resource %s (see /open311/discovery.xml)", p))
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

// identify resolves the api_key parameter (or a bearer token): an Open311 client key, else
// a staff session token. Devices, unknown and missing keys are refused (403).
func (h *Handler) identify(r *http.Request, form url.Values) (*caller, error) {
	c, err := h.identifyIfKeyed(r, form)
	if err == nil && c == nil {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "api_key", "api_key is required")
	}
	return c, err
}

// identifyIfKeyed is identify for the public GET methods: no key at all is a stranger (nil,
// nil), who sees the public records; a key given must be good.
func (h *Handler) identifyIfKeyed(r *http.Request, form url.Values) (*caller, error) {
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
		return nil, nil
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
