package http

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The web channel of the case system (issue 7): the person holding a ticket logs a consultation,
// complaint or suggestion on the ticket's follow page (/t/{token}), where typing Chinese on a
// phone is easy. The ticket's follow token is the credential:
//
//	POST /api/v1/follow/{token}/request   {kind, category, text?, phone?, lang?} + Idempotency-Key?
//
// The case is opened with channel web, the ticket's hall and ticket ID, so the follow page shows
// it through the ticket→case link (ticketCase). One request per ticket from the web: a ticket
// that already has a case (linked by a counter, logged by the kiosk or by an earlier web request)
// gets 409, and more details go through /api/v1/case-follow/{caseToken}/details.

// Web request limits.
const (
	maxWebText = 1000 // characters of the request text
	minPhone   = 5    // digits of a contact phone
	maxPhone   = 20
)

// webOpenLock returns the lock that serialises the check "no case yet" and the opening for a
// ticket (striped by the ticket ID), so two simultaneous requests for one ticket cannot both open
// a case.
func (s *Server) webOpenLock(ticketID string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(ticketID))
	return &s.webOpenLocks[h.Sum32()%uint32(len(s.webOpenLocks))]
}

// webRequestRefusal says why a ticket may not log a request from the web now ("" when it may),
// apart from already having a case: a cancelled or missed ticket of a past day is over.
func (s *Server) webRequestRefusal(t *hall.Ticket, loc *time.Location) string {
	if t.State != hall.TicketCancelled && t.State != hall.TicketNoShow {
		return ""
	}
	today := s.now().In(loc).Format("2006-01-02")
	day := t.Day
	if day == "" {
		day = t.IssuedAt.In(loc).Format("2006-01-02")
	}
	if day < today {
		return "this ticket was " + string(t.State) + " on " + day + ": take a new ticket, or call the hotline"
	}
	return ""
}

// canAskFromWeb reports whether the follow page offers the request form for the ticket (it has
// no case: the caller checked).
func (s *Server) canAskFromWeb(t *hall.Ticket) bool {
	return s.cfg.Cases != nil && s.webRequestRefusal(t, s.campusLoc()) == ""
}

// normPhone checks a contact phone: digits with an optional leading +, spaces, dashes and
// parentheses allowed; the digits and the + are kept.
func normPhone(p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", nil
	}
	var b strings.Builder
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return "", hall.Errorf(hall.EINVALID, "phone", "phone may hold only digits, a leading +, spaces, dashes and parentheses")
		}
	}
	out := b.String()
	if n := len(strings.TrimPrefix(out, "+")); n < minPhone || n > maxPhone {
		return "", hall.Errorf(hall.EINVALID, "phone", "phone must have %d to %d digits", minPhone, maxPhone)
	}
	return out, nil
}

// validateWebCase checks the body against the catalogue: the kind, a topic category, the text length,
// the phone and the language. It returns the normalised phone and language.
func validateWebCase(b *wire.WebCaseRequest, cat *hall.Catalogue) (phone, lang string, err error) {
	if !b.Kind.Valid() {
		return "", "", hall.Errorf(hall.EINVALID, "kind", "kind must be consultation, complaint or suggestion")
	}
	if b.Category == "" {
		return "", "", hall.Errorf(hall.EINVALID, "category", "category is required: one of the topics of GET /api/v1/catalogue?topics=1")
	}
	if k, ok := cat.Category(b.Category); !ok || !k.Topic {
		return "", "", hall.Errorf(hall.EINVALID, "category", "unknown category %q: use a topic of GET /api/v1/catalogue?topics=1", b.Category)
	}
	if !utf8.ValidString(b.Text) || utf8.RuneCountInString(b.Text) > maxWebText {
		return "", "", hall.Errorf(hall.EINVALID, "text", "text must be valid text of at most %d characters", maxWebText)
	}
	if phone, err = normPhone(b.Phone); err != nil {
		return "", "", err
	}
	if b.Lang != "" {
		lang = normLang(b.Lang)
		if lang != "zh" && lang != "en" {
			return "", "", hall.Errorf(hall.EINVALID, "lang", "lang must be zh or en (zh-CN, en-US… accepted)")
		}
	}
	return phone, lang, nil
}

// webSource is the case's Source for a web request of the ticket: the ticket plus, when the
// client sent an Idempotency-Key, a digest of it, so that a retry is recognised as the request
// that opened the case (and anything else as a second request). Staff see it; nobody else does.
func webSource(ticketID, key string) string {
	src := "web:" + ticketID
	if key != "" {
		sum := sha256.Sum256([]byte(key))
		src += ":" + hex.EncodeToString(sum[:6])
	}
	return src
}

func (s *Server) handleWebCase(w http.ResponseWriter, r *http.Request) {
	cs, err := s.casesService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.follow(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t := &f.Ticket
	var body wire.WebCaseRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 128 {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "Idempotency-Key", "Idempotency-Key is longer than 128 characters"))
		return
	}
	cat, err := cs.Catalogue(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	phone, lang, err := validateWebCase(&body, cat)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	src := webSource(t.ID, key)

	mu := s.webOpenLock(t.ID)
	mu.Lock()
	defer mu.Unlock()
	if c := s.ticketCase(r, t); c != nil || t.CaseID != "" {
		if c == nil {
			s.writeError(w, r, hall.Errorf(hall.ECONFLICT, "token", "this ticket was handed to a department at the counter; follow that request instead of opening another"))
			return
		}
		if key != "" && c.Channel == hall.ChannelWeb && c.Source == src {
			// A retry of the request that opened the case: the same answer again.
			writeJSON(w, http.StatusCreated, s.webCaseView(r, c))
			return
		}
		s.writeError(w, r, hall.Errorf(hall.ECONFLICT, "token",
			"this ticket already has a request (%s); add details on its follow page instead of opening another", c.Number))
		return
	}
	if why := s.webRequestRefusal(t, s.campusLoc()); why != "" {
		s.writeError(w, r, hall.Errorf(hall.ECONFLICT, "token", "%s", why))
		return
	}
	rq := hall.Requester{Phone: phone}
	if me, ok := s.Requester(r); ok { // signed in: the case joins their "my requests"
		me.Phone = phone
		rq = *me
	}
	c, err := cs.Open(r.Context(), hall.OpenCaseRequest{
		Kind: body.Kind, Channel: hall.ChannelWeb, Hall: t.Hall, Ticket: t.ID, Text: strings.TrimSpace(body.Text),
		Lang: lang, Category: body.Category, Requester: rq,
		Source: src, IdempotencyKey: key,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.webCaseView(r, c))
}

func (s *Server) webCaseView(r *http.Request, c *hall.Case) wire.WebCase {
	return wire.WebCase{
		Number: c.Number, Token: c.Token, FollowURL: s.cfg.PublicURL + "/c/" + c.Token, Kind: c.Kind,
		State: c.State, Channel: c.Channel, Department: c.Department, DepartmentName: s.departmentName(c.Department),
		Category: c.Category, CategoryName: s.categoryName(r, c.Category), ReceivedAt: c.ReceivedAt,
		DueAt: c.ReplyDue, ResolveDueAt: c.Due,
	}
}
