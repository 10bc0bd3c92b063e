package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// Open311 GeoReport v2 (JSON subset) so that other channels (the university app, a hotline
// platform, a WeChat service account) can submit cases and follow them. See docs/OPEN311.md.
//
//	GET  /open311/discovery.json                 service discovery
//	GET  /open311/v2/services.json               catalogue categories as services
//	GET  /open311/v2/services/{code}.json        a service definition (no attributes)
//	POST /open311/v2/requests.json               open a case (api_key; form or JSON)
//	GET  /open311/v2/requests.json               the caller's cases, public fields (api_key)
//	GET  /open311/v2/requests/{id}.json          one of them
//
// Decisions: an api_key is either a key of an enrolled Open311 client (Config.Open311Keys, the
// case's source is "open311:<client>") or a staff bearer token (counter, handler, supervisor,
// admin; the source is the username); device tokens are refused. Cases come in through the api
// channel. Unlike the spec, the GET methods also need the key, because on a campus the free text
// and the replies are about people: a client sees the requests it submitted, staff what they may
// see in the case API. Answers carry public fields only (never the requester).

// Open311 limits (the spec's).
const (
	open311MaxDescription = 4000
	open311MaxResults     = 1000
	open311MaxSpan        = 90 * 24 * time.Hour
	open311MaxIDs         = 100
	open311Source         = "open311:"
)

// registerOpen311 adds the Open311 routes. Go patterns cannot hold "{code}.json", so the last
// segment is the wildcard and the handlers strip the format suffix.
func (s *Server) registerOpen311() {
	s.handle("GET /open311/discovery.json", s.handleOpen311Discovery)
	s.handle("GET /open311/v2/services.json", s.handleOpen311Services)
	s.handle("GET /open311/v2/services/{service_code}", s.handleOpen311Service)
	s.handle("POST /open311/v2/requests.json", s.handleOpen311Post)
	s.handle("GET /open311/v2/requests.json", s.handleOpen311Requests)
	s.handle("GET /open311/v2/requests/{service_request_id}", s.handleOpen311Request)
}

// open311Error is one entry of an Open311 error answer: [{code, description}].
type open311Error struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

// writeOpen311Error answers err in the Open311 form with the HTTP status of its code; missing or
// bad keys are 403 as the spec says.
func (s *Server) writeOpen311Error(w http.ResponseWriter, r *http.Request, err error) {
	code := hall.ErrorCode(err)
	status := statusOf(code)
	if code == hall.EUNAUTHORIZED {
		status = http.StatusForbidden
	}
	msg := hall.ErrorMessage(err)
	if f := hall.ErrorField(err); f != "" && !strings.Contains(msg, f) {
		msg = f + ": " + msg
	}
	if clientGone(r, err) {
		s.log.Info("client closed the request", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, statusClientClosed, []open311Error{{Code: statusClientClosed, Description: "client closed the request"}})
		return
	}
	if status >= 500 {
		s.log.Error("open311 request failed", "method", r.Method, "path", r.URL.Path, "code", code, "err", err)
		if code == hall.EINTERNAL {
			msg = "internal error"
		}
	}
	writeJSON(w, status, []open311Error{{Code: status, Description: msg}})
}

// open311Format strips ".json" from a path value; other formats are refused (XML is not served).
func open311Format(v, what string) (string, error) {
	base, ok := strings.CutSuffix(v, ".json")
	if !ok || base == "" {
		if i := strings.LastIndexByte(v, '.'); i > 0 {
			return "", hall.Errorf(hall.EINVALID, "format", "format %q is not supported; use .json", v[i+1:])
		}
		return "", hall.Errorf(hall.EINVALID, "format", "the %s must end in .json", what)
	}
	return base, nil
}

// open311Lang is the answer's language: the locale parameter (a v2 extension) or the
// Accept-Language header; Chinese by default.
func open311Lang(r *http.Request, form url.Values) string {
	l := form.Get("locale")
	if l == "" {
		l = r.URL.Query().Get("locale")
	}
	if l == "" {
		l, _, _ = strings.Cut(r.Header.Get("Accept-Language"), ",")
	}
	if normLang(l) == "en" {
		return "en"
	}
	return "zh"
}

// ---- discovery and services ----

type open311Endpoint struct {
	Specification string   `json:"specification"`
	URL           string   `json:"url"`
	Changeset     string   `json:"changeset"`
	Type          string   `json:"type"`
	Formats       []string `json:"formats"`
}

type open311Discovery struct {
	Changeset  string            `json:"changeset"`
	Contact    string            `json:"contact"`
	KeyService string            `json:"key_service"`
	Endpoints  []open311Endpoint `json:"endpoints"`
}

func (s *Server) handleOpen311Discovery(w http.ResponseWriter, r *http.Request) {
	base := s.cfg.PublicURL
	if base == "" {
		base = "http://" + r.Host
	}
	name := s.cfg.Campus.Name.In(open311Lang(r, nil))
	writeJSON(w, http.StatusOK, open311Discovery{
		Changeset:  "2026-03-01T00:00:00Z",
		Contact:    name + " (supervising office)",
		KeyService: "API keys are issued by the supervising office (hallserver -open311-keys).",
		Endpoints: []open311Endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: base + "/open311/v2",
			Changeset: "2026-03-01T00:00:00Z", Type: "production", Formats: []string{"application/json"}}},
	})
}

// open311Service is a catalogue category as an Open311 service.
type open311Service struct {
	ServiceCode string `json:"service_code"`
	ServiceName string `json:"service_name"`
	Description string `json:"description"`
	Metadata    bool   `json:"metadata"`
	Type        string `json:"type"`
	Keywords    string `json:"keywords"`
	Group       string `json:"group"`
}

func (s *Server) open311Catalogue(r *http.Request) (*hall.Catalogue, error) {
	cs, err := s.casesService()
	if err != nil {
		return nil, err
	}
	return cs.Catalogue(r.Context())
}

func (s *Server) open311ServiceOf(k *hall.Category, lang string) open311Service {
	return open311Service{ServiceCode: k.Code, ServiceName: k.Name.In(lang), Description: k.Scope.In(lang),
		Metadata: false, Type: "realtime", Keywords: strings.Join(k.Keywords, ","), Group: s.departmentName(k.Department).In(lang)}
}

func (s *Server) handleOpen311Services(w http.ResponseWriter, r *http.Request) {
	cat, err := s.open311Catalogue(r)
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	lang := open311Lang(r, nil)
	out := make([]open311Service, 0, len(cat.Categories))
	for i := range cat.Categories {
		out = append(out, s.open311ServiceOf(&cat.Categories[i], lang))
	}
	w.Header().Set("Vary", "Accept-Language")
	writeJSON(w, http.StatusOK, out)
}

// open311Definition is a service definition; no service has attributes (metadata is false).
type open311Definition struct {
	ServiceCode string `json:"service_code"`
	Attributes  []any  `json:"attributes"`
}

func (s *Server) handleOpen311Service(w http.ResponseWriter, r *http.Request) {
	code, err := open311Format(r.PathValue("service_code"), "service code")
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	cat, err := s.open311Catalogue(r)
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	if _, ok := cat.Category(code); !ok {
		s.writeOpen311Error(w, r, hall.Errorf(hall.ENOTFOUND, "service_code", "service_code %q was not found", code))
		return
	}
	writeJSON(w, http.StatusOK, open311Definition{ServiceCode: code, Attributes: []any{}})
}

// ---- the caller ----

// open311Caller is who calls with an api_key: an enrolled client or a staff member.
type open311Caller struct {
	source string          // the case source: "open311:<client>" or the username
	staff  *hall.Principal // nil for clients
}

// sees reports whether the caller may read the case: its own submissions, and for staff what
// the case API shows them.
func (c *open311Caller) sees(cs *hall.Case) bool {
	return cs.Source == c.source || (c.staff != nil && cases.Sees(c.staff, cs))
}

// open311Caller resolves the api_key parameter (or a bearer token): an Open311 client key, else
// a staff session token. Devices, unknown and missing keys are refused (403).
func (s *Server) open311Caller(r *http.Request, form url.Values) (*open311Caller, error) {
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
	h := sha256.Sum256([]byte(key))
	client := ""
	for k, name := range s.cfg.Open311Keys {
		kh := sha256.Sum256([]byte(k))
		if subtle.ConstantTimeCompare(h[:], kh[:]) == 1 {
			client = name
		}
	}
	if client != "" {
		return &open311Caller{source: open311Source + client}, nil
	}
	if s.cfg.Auth == nil {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "api_key", "invalid api_key")
	}
	p, err := s.cfg.Auth.Authenticate(r.Context(), key)
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
	return &open311Caller{source: p.Subject, staff: p}, nil
}

// ---- POST requests ----

// open311Form reads the parameters of a POST: form-encoded (the spec), multipart, or a JSON
// object (scalars only). The body is limited to maxBody.
func open311Form(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	tooLarge := func(err error) bool {
		var mbe *http.MaxBytesError
		return errors.As(err, &mbe)
	}
	switch ct {
	case "application/json":
		var m map[string]any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			if tooLarge(err) {
				return nil, hall.Errorf(ETOOLARGE, "", "request body is larger than %d bytes", maxBody)
			}
			return nil, hall.Errorf(hall.EINVALID, "", "malformed JSON: %v", err)
		}
		v := url.Values{}
		for k, x := range m {
			switch x := x.(type) {
			case string:
				v.Set(k, x)
			case json.Number:
				v.Set(k, x.String())
			case bool:
				v.Set(k, strconv.FormatBool(x))
			case nil:
			default:
				if !strings.HasPrefix(k, "attribute") {
					return nil, hall.Errorf(hall.EINVALID, k, "%s must be a string or a number", k)
				}
			}
		}
		return v, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxBody); err != nil {
			if tooLarge(err) {
				return nil, hall.Errorf(ETOOLARGE, "", "request body is larger than %d bytes", maxBody)
			}
			return nil, hall.Errorf(hall.EINVALID, "", "malformed form: %v", err)
		}
		return r.PostForm, nil
	case "application/x-www-form-urlencoded", "":
		if err := r.ParseForm(); err != nil {
			if tooLarge(err) {
				return nil, hall.Errorf(ETOOLARGE, "", "request body is larger than %d bytes", maxBody)
			}
			return nil, hall.Errorf(hall.EINVALID, "", "malformed form: %v", err)
		}
		return r.PostForm, nil
	}
	return nil, hall.Errorf(hall.EINVALID, "Content-Type", "send application/x-www-form-urlencoded or application/json, not %s", ct)
}

// open311Created answers a POST: the case number, what will happen, and (an extension) the
// requester's follow link.
type open311Created struct {
	ServiceRequestID string `json:"service_request_id"`
	ServiceNotice    string `json:"service_notice"`
	AccountID        string `json:"account_id,omitempty"`
	FollowURL        string `json:"follow_url"`
}

// hanOnly reports whether s is all Han characters (a Chinese name part).
func hanOnly(s string) bool {
	for _, r := range s {
		if r < 0x2E80 {
			return false
		}
	}
	return s != ""
}

// open311Name joins first and last names: family name first without a space for Chinese
// names (张 + 三 = 张三), "First Last" otherwise.
func open311Name(first, last string) string {
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	switch {
	case first == "":
		return last
	case last == "":
		return first
	case hanOnly(first) && hanOnly(last):
		return last + first
	}
	return first + " " + last
}

// open311Request builds the case request from the parameters.
func (s *Server) open311OpenRequest(form url.Values, caller *open311Caller, lang string) (hall.OpenCaseRequest, error) {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	code := get("service_code")
	if code == "" {
		return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, "service_code", "service_code was not provided")
	}
	for _, f := range []struct {
		name string
		max  int
	}{{"description", open311MaxDescription}, {"first_name", 50}, {"last_name", 50}, {"email", 254}, {"phone", 32},
		{"account_id", 64}, {"address_string", 200}, {"media_url", 1000}, {"lat", 32}, {"long", 32}, {"kind", 32}} {
		v := form.Get(f.name)
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > f.max {
			return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, f.name, "%s must be valid text of at most %d characters", f.name, f.max)
		}
	}
	kind := hall.KindComplaint
	if k := get("kind"); k != "" {
		kind = hall.Kind(k)
		if !kind.Valid() {
			return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, "kind", "kind must be consultation, complaint or suggestion")
		}
	}
	if e := get("email"); e != "" && (!strings.Contains(e, "@") || strings.ContainsAny(e, " <>\"")) {
		return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, "email", "email is not an e-mail address")
	}
	if p := get("phone"); p != "" && strings.Trim(p, "+0123456789- ()") != "" {
		return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, "phone", "phone may hold digits, spaces, +, - and parentheses only")
	}
	text := strings.TrimSpace(form.Get("description"))
	// The campus has no address register: a location or a media link becomes part of the text.
	var extra []string
	if a := get("address_string"); a != "" {
		extra = append(extra, "地点 Location: "+a)
	}
	if la, lo := get("lat"), get("long"); la != "" || lo != "" {
		lat, err1 := strconv.ParseFloat(la, 64)
		lon, err2 := strconv.ParseFloat(lo, 64)
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, "lat", "lat and long must both be WGS84 degrees")
		}
		extra = append(extra, fmt.Sprintf("坐标 Coordinates: %.6f, %.6f", lat, lon))
	}
	if m := get("media_url"); m != "" {
		u, err := url.Parse(m)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, "media_url", "media_url must be an http(s) URL")
		}
		extra = append(extra, "附件 Media: "+u.String())
	}
	if len(extra) > 0 {
		if text != "" {
			text += "\n\n"
		}
		text += strings.Join(extra, "\n")
	}
	req := hall.OpenCaseRequest{
		Kind: kind, Channel: hall.ChannelAPI, Text: text, Lang: lang, Category: code, Source: caller.source,
		Requester: hall.Requester{Name: open311Name(get("first_name"), get("last_name")), Email: get("email"),
			Phone: get("phone"), PersonID: get("account_id")},
	}
	req.Requester.Anonymous = req.Requester == (hall.Requester{})
	return req, nil
}

// open311Notice says what will happen to a new case.
func (s *Server) open311Notice(c *hall.Case, lang string) string {
	loc := s.campusLoc()
	due := c.ReplyDue.In(loc).Format("2006-01-02 15:04")
	dept := s.departmentName(c.Department).In(lang)
	if lang == "en" {
		if c.State == hall.CaseTriage || c.Department == hall.OfficeDepartment || c.Department == "" {
			return fmt.Sprintf("Received as %s; the supervising office assigns it. First reply by %s.", c.Number, due)
		}
		return fmt.Sprintf("Received as %s and sent to %s. First reply by %s.", c.Number, dept, due)
	}
	if c.State == hall.CaseTriage || c.Department == hall.OfficeDepartment || c.Department == "" {
		return fmt.Sprintf("已受理（%s），由督办室分派办理部门，%s 前首次答复。", c.Number, due)
	}
	return fmt.Sprintf("已受理（%s），已转%s办理，%s 前首次答复。", c.Number, dept, due)
}

func (s *Server) handleOpen311Post(w http.ResponseWriter, r *http.Request) {
	form, err := open311Form(w, r)
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	caller, err := s.open311Caller(r, form)
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	cs, err := s.casesService()
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	lang := open311Lang(r, form)
	req, err := s.open311OpenRequest(form, caller, lang)
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	cat, err := cs.Catalogue(r.Context())
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	if _, ok := cat.Category(req.Category); !ok {
		s.writeOpen311Error(w, r, hall.Errorf(hall.ENOTFOUND, "service_code", "service_code %q was not found", req.Category))
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 128 {
		s.writeOpen311Error(w, r, hall.Errorf(hall.EINVALID, "Idempotency-Key", "Idempotency-Key is longer than 128 characters"))
		return
	}
	req.IdempotencyKey = key
	c, err := cs.Open(r.Context(), req)
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, []open311Created{{ServiceRequestID: c.Number, ServiceNotice: s.open311Notice(c, lang),
		AccountID: req.Requester.PersonID, FollowURL: s.cfg.PublicURL + "/c/" + c.Token}})
}

// ---- GET requests ----

// open311Req is a case as Open311 shows it: public fields only.
type open311Req struct {
	ServiceRequestID  string `json:"service_request_id"`
	Status            string `json:"status"` // open or closed
	StatusNotes       string `json:"status_notes,omitempty"`
	ServiceName       string `json:"service_name"`
	ServiceCode       string `json:"service_code"`
	Description       string `json:"description"`
	AgencyResponsible string `json:"agency_responsible"`
	RequestedDatetime string `json:"requested_datetime"`
	UpdatedDatetime   string `json:"updated_datetime"`
	ExpectedDatetime  string `json:"expected_datetime,omitempty"`
}

// open311Closed reports whether a case counts as closed for Open311: answered (replied,
// rated) or finished (archived, duplicate, not accepted). A reopened case is open again.
func open311Closed(st hall.CaseState) bool {
	switch st {
	case hall.CaseReplied, hall.CaseRated:
		return true
	}
	return st.Final()
}

// open311States returns the case states of an Open311 status.
func open311States(closed bool) []hall.CaseState {
	var out []hall.CaseState
	for _, st := range hall.CaseStates {
		if open311Closed(st) == closed {
			out = append(out, st)
		}
	}
	return out
}

func (s *Server) open311Req(c *hall.Case, cat *hall.Catalogue, lang string) open311Req {
	p := c.Public()
	loc := s.campusLoc()
	w3 := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	out := open311Req{ServiceRequestID: p.Number, Status: "open", ServiceCode: p.Category, Description: p.Text,
		AgencyResponsible: s.departmentName(p.Department).In(lang), RequestedDatetime: w3(p.ReceivedAt), UpdatedDatetime: w3(p.UpdatedAt)}
	if p.Department == "" {
		out.AgencyResponsible = ""
	}
	if k, ok := cat.Category(p.Category); ok {
		out.ServiceName = k.Name.In(lang)
	}
	switch {
	case p.State == hall.CaseNotAccepted:
		out.StatusNotes = p.Reason
	case p.State == hall.CaseDuplicate:
		out.StatusNotes = "重复诉求，请关注 Duplicate of " + p.DuplicateOf
	case p.State == hall.CaseWaitingRequester:
		out.StatusNotes = p.Question
	case p.LastReply() != nil:
		out.StatusNotes = p.LastReply().Text
	}
	if open311Closed(p.State) {
		out.Status = "closed"
		// When it was closed: the reply that answered it, or the exit (duplicate, not accepted).
		exit := p.State == hall.CaseDuplicate || p.State == hall.CaseNotAccepted
		switch {
		case p.RepliedAt != nil && !exit:
			out.UpdatedDatetime = w3(*p.RepliedAt)
		case p.ClosedAt != nil:
			out.UpdatedDatetime = w3(*p.ClosedAt)
		}
	} else if !p.Due.IsZero() {
		out.ExpectedDatetime = w3(p.Due)
	}
	return out
}

// open311When parses a w3 datetime (or a campus-local date).
func (s *Server) open311When(v, field string, end bool) (time.Time, error) {
	t, err := parseWhen(v, field, s.campusLoc(), end)
	if err != nil {
		return time.Time{}, hall.Errorf(hall.EINVALID, field, "%s must be a w3 datetime such as 2026-03-01T00:00:00+08:00", field)
	}
	return t, nil
}

func splitList(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (s *Server) handleOpen311Requests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	caller, err := s.open311Caller(r, q)
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	cs, err := s.casesService()
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	cat, err := cs.Catalogue(r.Context())
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	lang := open311Lang(r, q)
	out := []open311Req{}
	// service_request_id overrides every other argument.
	if ids := splitList(q.Get("service_request_id")); len(ids) > 0 {
		if len(ids) > open311MaxIDs {
			s.writeOpen311Error(w, r, hall.Errorf(hall.EINVALID, "service_request_id", "at most %d service_request_id at once", open311MaxIDs))
			return
		}
		for _, id := range ids {
			c, err := s.open311Case(r, cs, caller, id)
			if hall.ErrorCode(err) == hall.ENOTFOUND {
				continue
			}
			if err != nil {
				s.writeOpen311Error(w, r, err)
				return
			}
			out = append(out, s.open311Req(c, cat, lang))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	f := hall.CaseFilter{}
	if f.Since, err = s.open311When(q.Get("start_date"), "start_date", false); err == nil {
		f.Until, err = s.open311When(q.Get("end_date"), "end_date", true)
	}
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	switch {
	case f.Since.IsZero() && f.Until.IsZero():
		f.Until = s.now()
		f.Since = f.Until.Add(-open311MaxSpan)
	case f.Since.IsZero():
		f.Since = f.Until.Add(-open311MaxSpan)
	case f.Until.IsZero():
		f.Until = f.Since.Add(open311MaxSpan)
	}
	if !f.Since.Before(f.Until) {
		s.writeOpen311Error(w, r, hall.Errorf(hall.EINVALID, "start_date", "start_date must be before end_date"))
		return
	}
	if f.Until.Sub(f.Since) > open311MaxSpan+24*time.Hour {
		s.writeOpen311Error(w, r, hall.Errorf(hall.EINVALID, "end_date", "start_date to end_date may not span more than 90 days"))
		return
	}
	wantOpen, wantClosed := true, true
	if st := splitList(q.Get("status")); len(st) > 0 {
		wantOpen, wantClosed = false, false
		for _, v := range st {
			switch v {
			case "open":
				wantOpen = true
			case "closed":
				wantClosed = true
			default:
				s.writeOpen311Error(w, r, hall.Errorf(hall.EINVALID, "status", "status must be open or closed, not %q", v))
				return
			}
		}
	}
	if wantOpen != wantClosed {
		f.States = open311States(wantClosed)
	}
	codes := map[string]bool{}
	for _, c := range splitList(q.Get("service_code")) {
		codes[c] = true
	}
	if caller.staff != nil && !cases.SeesAll(caller.staff) && cases.WorksCases(caller.staff) {
		f.Department = caller.staff.Department // the index narrows what is read; sees() decides
	}
	list, err := cs.List(r.Context(), f)
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].ReceivedAt.After(list[j].ReceivedAt) })
	for i := range list {
		c := &list[i]
		if !caller.sees(c) || (len(codes) > 0 && !codes[c.Category]) {
			continue
		}
		out = append(out, s.open311Req(c, cat, lang))
		if len(out) >= open311MaxResults {
			break
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// open311Case reads a case the caller may see by number (or ID); anything else is not found.
func (s *Server) open311Case(r *http.Request, cs hall.CaseService, caller *open311Caller, id string) (*hall.Case, error) {
	notFound := hall.Errorf(hall.ENOTFOUND, "service_request_id", "service_request_id %q was not found", id)
	if id == "" || len(id) > 64 {
		return nil, notFound
	}
	c, err := cs.Get(r.Context(), id)
	if err != nil {
		if hall.ErrorCode(err) == hall.ENOTFOUND {
			return nil, notFound
		}
		return nil, err
	}
	if !caller.sees(c) {
		return nil, notFound
	}
	return c, nil
}

func (s *Server) handleOpen311Request(w http.ResponseWriter, r *http.Request) {
	id, err := open311Format(r.PathValue("service_request_id"), "service request id")
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	q := r.URL.Query()
	caller, err := s.open311Caller(r, q)
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	cs, err := s.casesService()
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	c, err := s.open311Case(r, cs, caller, id)
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	cat, err := cs.Catalogue(r.Context())
	if err != nil {
		s.writeOpen311Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, []open311Req{s.open311Req(c, cat, open311Lang(r, q))})
}
