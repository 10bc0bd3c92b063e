package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/time/rate"

	"onedoor/hallserver/attach"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The public web portal (咨询投诉平台, issue 15): anyone asks, complains or suggests without a
// login, from a phone or the university website.
//
//	GET  /ask                                   the page (ask.html, ask.js)
//	POST /api/v1/ask                            {kind, text, department?, contact?, anonymous?} → 201
//	                                            (JSON, or multipart: part "request" + parts "files")
//	GET  /api/v1/ask/suggest?text=              the router's suggested departments as the person types
//	GET  /api/v1/case-follow/{token}/qr         a PNG QR code of the case's follow link
//
// The case gets channel web and the router's department unless the person picked one. The
// defences (asklimit.go): a rate limit per address and over all, a honeypot field, text checks,
// duplicate texts refused within a window; every refusal is counted in onedoor_ask_total. The
// requester's identity comes from one seam, Config.Requester (the campus sign-on, WeChat Work),
// nil until one is configured; AskConfig.RequireIdentity refuses requests without one (401).

// Limits of the portal's other fields.
const (
	maxAskName     = 50
	maxAskNumber   = 32
	maxAskLinks    = 2        // links in a text
	maxAskRequest  = 16 << 10 // bytes of the JSON (also of the multipart part "request")
	maxSuggestText = 500
)

// askState is the portal's defences' state (asklimit.go).
type askState struct {
	cfg     AskConfig
	addrs   *addrLimiter
	suggest *addrLimiter
	global  *rate.Limiter
	dups    *dupGuard
}

func newAskState(c AskConfig) *askState {
	c = c.withDefaults()
	return &askState{
		cfg:     c,
		addrs:   newAddrLimiter(c.AddrPerMinute, c.AddrBurst, c.MaxAddrs),
		suggest: newAddrLimiter(c.SuggestPerMinute, 20, c.MaxAddrs),
		global:  rate.NewLimiter(rate.Limit(c.GlobalPerSecond), c.GlobalBurst),
		dups:    newDupGuard(c.DupWindow, c.DupGlobal, c.DupMax),
	}
}

// registerAskGauges exports the size of the portal's state: the addresses its limits track and
// the texts its duplicate guard remembers (both bounded by AskConfig).
func (s *Server) registerAskGauges() {
	s.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "onedoor_ask_tracked_addresses", Help: "Client addresses the public portal's rate limit tracks (at most AskConfig.MaxAddrs)."},
			func() float64 { return float64(s.ask.addrs.tracked()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "onedoor_ask_remembered_texts", Help: "Request texts the public portal's duplicate guard remembers (at most AskConfig.DupMax)."},
			func() float64 { return float64(s.ask.dups.remembered()) }),
	)
}

// refuseTooMany answers 429 with Retry-After (whole seconds, at least 1).
func (s *Server) refuseTooMany(w http.ResponseWriter, r *http.Request, wait time.Duration, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second))))
	s.writeError(w, r, hall.Errorf(ETOOMANY, "", "%s; try again in %s", msg, wait.Round(time.Second)))
}

// askOutcome counts a request of the portal by outcome (onedoor_ask_total).
func (s *Server) askOutcome(outcome string) { s.metrics.ask.WithLabelValues(outcome).Inc() }

// askText checks a request text: valid text of MinText to MaxText characters, no control or
// invisible formatting characters (line breaks and tabs are fine), no private-use or
// replacement characters, at least two letters or digits, at most maxAskLinks links.
func askText(text string, c AskConfig) (string, error) {
	text = strings.TrimSpace(text)
	if !utf8.ValidString(text) {
		return "", hall.Errorf(hall.EINVALID, "text", "text must be valid UTF-8")
	}
	n := utf8.RuneCountInString(text)
	if n < c.MinText || n > c.MaxText {
		return "", hall.Errorf(hall.EINVALID, "text", "text must have %d to %d characters (it has %d)", c.MinText, c.MaxText, n)
	}
	letters := 0
	for _, r := range text {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
		case r == utf8.RuneError || unicode.Is(unicode.Co, r) || unicode.IsControl(r):
			return "", hall.Errorf(hall.EINVALID, "text", "text holds a character that is not text (U+%04X)", r)
		case unicode.Is(unicode.Cf, r) && r != '\u200d': // zero-width joiner: emoji sequences
			return "", hall.Errorf(hall.EINVALID, "text", "text holds an invisible formatting character (U+%04X)", r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			letters++
		}
	}
	if letters < 2 {
		return "", hall.Errorf(hall.EINVALID, "text", "text must say something in words")
	}
	lower := strings.ToLower(text)
	if strings.Count(lower, "http://")+strings.Count(lower, "https://")+strings.Count(lower, "www.") > maxAskLinks {
		return "", hall.Errorf(hall.EINVALID, "text", "text may hold at most %d links", maxAskLinks)
	}
	return text, nil
}

// plainField checks a short free-text field: valid text of at most n characters without control
// characters.
func plainField(field, v string, n int) (string, error) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > n || strings.IndexFunc(v, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) || r == utf8.RuneError
	}) >= 0 {
		return "", hall.Errorf(hall.EINVALID, field, "%s must be text of at most %d characters", field, n)
	}
	return v, nil
}

// askRequester checks the optional contact and returns the requester it makes.
func askRequester(b *wire.AskRequest) (hall.Requester, error) {
	req := hall.Requester{Anonymous: b.Anonymous}
	if b.Contact == nil {
		return req, nil
	}
	var err error
	if req.Name, err = plainField("contact.name", b.Contact.Name, maxAskName); err != nil {
		return req, err
	}
	if req.Phone, err = normPhone(b.Contact.Phone); err != nil {
		return req, hall.Errorf(hall.EINVALID, "contact.phone", "%s", hall.ErrorMessage(err))
	}
	num := strings.TrimSpace(b.Contact.Number)
	if len(num) > maxAskNumber || strings.IndexFunc(num, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-')
	}) >= 0 {
		return req, hall.Errorf(hall.EINVALID, "contact.number", "contact.number (student or staff number) must be at most %d letters, digits and dashes", maxAskNumber)
	}
	req.PersonID = num
	return req, nil
}

// validateAsk checks the whole request: the honeypot first, then kind, text, department,
// contact and lang. It returns the trimmed text, the requester and the language.
func (s *Server) validateAsk(b *wire.AskRequest) (text string, req hall.Requester, lang string, err error) {
	if b.Website != "" {
		return "", req, "", hall.Errorf(hall.EINVALID, "website", "leave the field website empty")
	}
	if !b.Kind.Valid() {
		return "", req, "", hall.Errorf(hall.EINVALID, "kind", "kind must be consultation, complaint or suggestion")
	}
	if text, err = askText(b.Text, s.ask.cfg); err != nil {
		return "", req, "", err
	}
	if b.Department != "" {
		if _, ok := s.campus().Department(b.Department); !ok || len(b.Department) > 64 {
			return "", req, "", hall.Errorf(hall.EINVALID, "department", "unknown department %q: pick one of the page's list or leave it out", b.Department)
		}
	}
	if req, err = askRequester(b); err != nil {
		return "", req, "", err
	}
	if b.Lang != "" {
		if lang = normLang(b.Lang); lang != "zh" && lang != "en" {
			return "", req, "", hall.Errorf(hall.EINVALID, "lang", "lang must be zh or en (zh-CN, en-US… accepted)")
		}
	}
	return text, req, lang, nil
}

// readAsk reads the request: JSON, or multipart/form-data with the JSON in the part "request"
// and the files in parts "files" (checked by attach.Check, nothing stored here).
func readAsk(w http.ResponseWriter, r *http.Request) (wire.AskRequest, []hall.AttachmentFile, error) {
	var b wire.AskRequest
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		err := decodeJSONMax(w, r, &b, false, maxAskRequest)
		return b, nil, err
	}
	if params["boundary"] == "" {
		return b, nil, hall.Errorf(wire.EUNSUPPORTED, "body", "multipart/form-data without a boundary")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	mr := multipart.NewReader(r.Body, params["boundary"])
	var files []hall.AttachmentFile
	seen := false
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return b, nil, uploadBodyErr(err)
		}
		if n >= maxUploadParts {
			return b, nil, hall.Errorf(hall.EINVALID, "files", "at most %d files per request", attach.MaxFiles)
		}
		switch part.FormName() {
		case "request":
			raw, err := io.ReadAll(io.LimitReader(part, maxAskRequest+1))
			if err != nil {
				return b, nil, uploadBodyErr(err)
			}
			if len(raw) > maxAskRequest {
				return b, nil, hall.Errorf(ETOOLARGE, "request", "the part request is larger than %d bytes", maxAskRequest)
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&b); err != nil {
				return b, nil, hall.Errorf(hall.EINVALID, "request", "the part request is not the JSON request: %v", err)
			}
			seen = true
		case "files":
			f, err := readUploadFile(part, len(files))
			if err != nil {
				return b, nil, err
			}
			files = append(files, f)
		default:
			return b, nil, hall.Errorf(hall.EINVALID, part.FormName(), "unknown part %q (only \"request\" and \"files\")", part.FormName())
		}
	}
	if !seen {
		return b, nil, hall.Errorf(hall.EINVALID, "request", "the part request (the JSON request) is missing")
	}
	return b, files, nil
}

// handleAsk serves POST /api/v1/ask.
func (s *Server) handleAsk(w http.ResponseWriter, r *http.Request) {
	cs, err := s.casesService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	addr, now := clientAddr(r), s.now()
	// The limits before reading a byte of the body: a flood costs the server little.
	if wait := s.ask.addrs.allow(addr, now); wait > 0 {
		s.askOutcome("rate_addr")
		s.refuseTooMany(w, r, wait, "too many requests from your network")
		return
	}
	if wait := take(s.ask.global, now); wait > 0 {
		s.askOutcome("rate_global")
		s.refuseTooMany(w, r, wait, "too many requests on the server right now")
		return
	}
	var who *hall.Requester
	if p, ok := s.Requester(r); ok && p != nil {
		who = p
	}
	if who == nil && s.ask.cfg.RequireIdentity {
		s.askOutcome("identity")
		s.writeError(w, r, hall.Errorf(hall.EUNAUTHORIZED, "identity", "sign in with your campus account (统一身份认证) or open this page in WeChat Work to send a request"))
		return
	}
	b, files, err := readAsk(w, r)
	if err != nil {
		s.askOutcome("invalid")
		s.writeError(w, r, err)
		return
	}
	text, req, lang, err := s.validateAsk(&b)
	if err != nil {
		if hall.ErrorField(err) == "website" {
			s.askOutcome("honeypot")
			s.log.Info("ask: honeypot filled", "addr", addr)
		} else {
			s.askOutcome("invalid")
		}
		s.writeError(w, r, err)
		return
	}
	if who != nil {
		req = identified(*who, req)
	}
	switch s.ask.dups.check(addr, text, now) {
	case "addr":
		s.askOutcome("duplicate")
		s.writeError(w, r, hall.Errorf(hall.ECONFLICT, "text", "you sent this text a moment ago: follow that request with its link instead of sending it again"))
		return
	case "global":
		s.askOutcome("duplicate")
		s.writeError(w, r, hall.Errorf(hall.ECONFLICT, "text", "this text was sent several times in the last minutes; it is being handled"))
		return
	}
	c, err := cs.Open(r.Context(), hall.OpenCaseRequest{
		Kind: b.Kind, Channel: hall.ChannelWeb, Text: text, Lang: lang, Requester: req,
		Department: b.Department, Source: "ask",
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.ask.dups.record(addr, text, now)
	if len(files) > 0 {
		// The case is durable: a failure here loses only the files, and says so.
		as, err := s.attachService()
		if err == nil {
			_, err = as.AddDetailsWithFiles(r.Context(), c.Token, "", files)
		}
		if err != nil {
			s.log.Error("ask: files not stored", "case", c.Number, "err", err)
			s.writeError(w, r, hall.Errorf(hall.EUNAVAILABLE, "files", "your request %s was received, but its files were not stored: add them on its follow page %s", c.Number, s.cfg.PublicURL+"/c/"+c.Token))
			return
		}
	}
	s.askOutcome("accepted")
	writeJSON(w, http.StatusCreated, wire.AskCase{WebCase: s.webCaseView(r, c),
		QRURL: "/api/v1/case-follow/" + c.Token + "/qr", Files: len(files)})
}

// identified is the requester of an identified person: what the identity says, completed by
// the contact typed in where the identity says nothing.
func identified(id, typed hall.Requester) hall.Requester {
	if id.Name == "" {
		id.Name = typed.Name
	}
	if id.Phone == "" {
		id.Phone = typed.Phone
	}
	if id.PersonID == "" {
		id.PersonID = typed.PersonID
	}
	if id.Email == "" {
		id.Email = typed.Email
	}
	id.Anonymous = id.Anonymous || typed.Anonymous
	return id
}

// handleAskSuggest serves GET /api/v1/ask/suggest?text=: the router's department for the text
// and the next likely ones, rate-limited per address.
func (s *Server) handleAskSuggest(w http.ResponseWriter, r *http.Request) {
	cs, err := s.casesService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if wait := s.ask.suggest.allow(clientAddr(r), s.now()); wait > 0 {
		s.askOutcome("suggest_rate")
		s.refuseTooMany(w, r, wait, "too many suggestions asked from your network")
		return
	}
	text := strings.TrimSpace(r.URL.Query().Get("text"))
	if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > maxSuggestText {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "text", "text must be 1 to %d characters", maxSuggestText))
		return
	}
	res, err := cs.Route(r.Context(), text)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.askOutcome("suggest")
	out := wire.AskSuggestion{Department: res.Department, DepartmentName: s.departmentName(res.Department),
		Confidence: res.Confidence, Alternatives: []wire.AskDepartment{}}
	for _, a := range res.Alternatives {
		if a.Department == res.Department || len(out.Alternatives) == 3 {
			continue
		}
		out.Alternatives = append(out.Alternatives, wire.AskDepartment{Department: a.Department, DepartmentName: s.departmentName(a.Department)})
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// handleCaseQR serves GET /api/v1/case-follow/{token}/qr: the follow link of the case as a PNG
// QR code, drawn with the library the kiosk and the ticket printer use.
func (s *Server) handleCaseQR(w http.ResponseWriter, r *http.Request) {
	cs, err := s.casesService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tok, err := caseToken(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, tok, err = s.caseByToken(r, cs, tok); err != nil {
		s.writeError(w, r, err)
		return
	}
	png, err := qrcode.Encode(s.cfg.PublicURL+"/c/"+tok, qrcode.Medium, 256)
	if err != nil {
		s.writeError(w, r, hall.Errorf(hall.EINTERNAL, "", "draw the QR code: %v", err))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("Content-Length", strconv.Itoa(len(png)))
	w.Write(png)
}
