package http

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"path"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// webFS holds the pages and their assets: no CDN, the campus intranet may have no internet.
//
//go:embed web
var webFS embed.FS

// pageFuncs are the helpers the page templates use. The state labels come from the public
// catalogue (labels.go).
var pageFuncs = template.FuncMap{
	"minutes":    func(sec int) int { return (sec + 59) / 60 },
	"stateZh":    func(s hall.TicketState) string { return publicLabels().Ticket[s].Zh },
	"stateEn":    func(s hall.TicketState) string { return publicLabels().Ticket[s].En },
	"caseStatus": func(s hall.CaseState) hall.Text { return publicLabels().Case[s] },
	"starValues": func() []int { return []int{5, 4, 3, 2, 1} }, // right to left: the CSS fills from the checked star
}

// pageBoot is what the server hands every scripted page, and always the same way: the "scripts"
// partial (web/partials.html) writes it as a JSON block (<script type="application/json"
// id="onedoor-boot">) that common.js reads, then loads common.js and the page's Script. Zone is
// the campus time zone: every page shows every time in it, whatever the zone of the browser
// (OneDoor.time). Labels is the catalogue of the page's audience (labels.go), nil for a page
// that names no state.
type pageBoot struct {
	Zone   string          `json:"zone"`
	Labels *labelCatalogue `json:"labels,omitempty"`
	Script string          `json:"-"` // the page's script under /assets/ ("follow.js")
	// Shared are scripts under /assets/ the page uses as well, loaded between common.js and
	// Script ("longlist.js": the long-standing list editor of /admin and /supervision).
	Shared []string `json:"-"`
	// CASStaff offers staff sign-in by the campus sign-on ("统一身份认证登录", identity.go) on
	// the sign-in form.
	CASStaff bool `json:"casStaff,omitempty"`
}

// boot returns the boot block of the page whose script is script, with the labels of its
// audience.
func (s *Server) boot(script string, labels *labelCatalogue) pageBoot {
	_, ext := s.cfg.Auth.(hall.ExternalLogin)
	return pageBoot{Zone: s.campusLoc().String(), Labels: labels, Script: script, CASStaff: s.cfg.CAS != nil && ext}
}

// pageData is what follow.html renders: a ticket (GET /t/{token}), the case it became, or a case
// alone (a walk-in request followed by its own token).
type pageData struct {
	Token  string       // the ticket's follow token ("" for a case alone)
	F      *wire.Follow // the ticket, nil for a case alone
	Active bool         // the ticket is still in the queue or at a counter
	Issued string       // issue time of day in the campus time zone
	Case   *casePageData
	// CanAsk offers the form to log a request from the page (web channel, webcase.go): the
	// ticket has no case yet and is not a cancelled or missed ticket of a past day.
	CanAsk bool
	// Opens says when the ticket's service opens while nobody serves it outside its hours
	// ("08:30 开始办理"), empty otherwise (hours.go).
	Opens hall.Text
	// Booked is the slot's time of day ("09:00", campus zone) of a ticket issued at a booking's
	// check-in: the page marks it 预约.
	Booked string
	Boot   pageBoot
}

// casePageData is the public view of a case on the follow page.
type casePageData struct {
	C        wire.CaseFollow // Case.Public plus department and category names
	Received string
	ReplyDue string
	Timeline []followEntry
	Reply    *hall.Reply  // the latest reply
	Rating   *hall.Rating // the latest rating
	CanRate  bool         // replied and not yet rated in this round
	CanAdd   bool         // the requester may add details (not final)
}

// handlePage serves GET /t/{token}: the phone page behind the ticket's QR code. When a counter
// turned the visit into a case (只进一门) the page follows that case too.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	f, err := s.follow(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	fj := toFollowJSON(f)
	fj.VisitRating = s.visitRating(r, &fj)
	s.followOpensAt(&fj)
	loc := s.campusLoc()
	d := pageData{Token: r.PathValue("token"), F: &fj, Active: fj.State.Open(), Issued: fj.IssuedAt.In(loc).Format("15:04")}
	if fj.OpensAt != nil {
		d.Opens = hall.OpensText(*fj.OpensAt, s.now(), loc)
	}
	if fj.BookedAt != nil {
		d.Booked = fj.BookedAt.In(loc).Format("15:04")
	}
	if c := s.ticketCase(r, &f.Ticket); c != nil {
		pub := c.Public()
		d.Case = s.casePageData(r, &pub)
	} else if f.Ticket.CaseID == "" {
		d.CanAsk = s.canAskFromWeb(&f.Ticket)
	}
	s.renderFollow(w, d)
}

// ticketCase returns the case the ticket follows: the one a counter opened for it (只进一门), or
// else the walk-in request a kiosk logged with it; nil when none. Only a case that names this
// very ticket counts: a wrong link must not show someone else's case.
func (s *Server) ticketCase(r *http.Request, t *hall.Ticket) *hall.Case {
	if s.cfg.Cases == nil {
		return nil
	}
	if t.CaseID != "" {
		c, err := s.cfg.Cases.Get(r.Context(), t.CaseID)
		if err == nil && c.Ticket == t.ID {
			return c
		}
		if err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
			s.log.Warn("follow page: linked case", "case", t.CaseID, "err", err)
		}
	}
	return s.kioskCase(r.Context(), t)
}

// serveCaseFollowPage renders the interactive follow page for a case alone (a walk-in request's
// own QR code): the case system's GET /c/{token} can hand its public case here.
func (s *Server) serveCaseFollowPage(w http.ResponseWriter, r *http.Request, c *hall.Case) {
	pub := c.Public()
	s.renderFollow(w, pageData{Case: s.casePageData(r, &pub)})
}

// casePageData prepares a public case for the page.
func (s *Server) casePageData(r *http.Request, c *hall.Case) *casePageData {
	loc := s.campusLoc()
	d := &casePageData{C: s.caseFollow(r, c), Received: c.ReceivedAt.In(loc).Format("01-02 15:04"),
		ReplyDue: c.ReplyDue.In(loc).Format("01-02 15:04"), Reply: c.LastReply(), Rating: c.LastRating()}
	for _, e := range c.Timeline {
		fe := followEntry{At: e.At.In(loc).Format("01-02 15:04"), Datetime: e.At.In(loc).Format(time.RFC3339), Type: e.Type, Text: e.Text}
		if e.Department != "" {
			fe.Department = s.departmentName(e.Department)
		}
		var named bool
		if fe.Label, named = entryLabel(e.Type, fe.Department); named {
			fe.Department = hall.Text{}
		}
		d.Timeline = append(d.Timeline, fe)
	}
	d.CanRate = c.State == hall.CaseReplied && (d.Rating == nil || d.Reply == nil || d.Rating.Round < d.Reply.Round)
	d.CanAdd = !c.State.Final() && c.State != hall.CaseRated
	return d
}

// followEntry is one public timeline line of a case on the follow page.
type followEntry struct {
	At         string // shown: "01-02 15:04" in the campus zone
	Datetime   string // the <time datetime> of At (RFC 3339)
	Type       hall.CaseEventType
	Label      hall.Text // what happened ("已请保卫处协办")
	Department hall.Text // the department concerned (routed to, replied by), if any and not in Label
	Text       string
}

// renderFollow writes the follow page.
func (s *Server) renderFollow(w http.ResponseWriter, d pageData) {
	d.Boot = s.boot("follow.js", publicLabels())
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.page.ExecuteTemplate(w, "follow.html", d); err != nil {
		s.log.Error("render follow page", "err", err)
	}
}

// pageError answers a page request that failed with the not-found (or unavailable) page; a
// request whose client went away is logged at info and counted as statusClientClosed.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(hall.ErrorCode(err))
	if clientGone(r, err) {
		s.log.Info("client closed the request", "method", r.Method, "path", r.URL.Path, "err", err)
		w.WriteHeader(statusClientClosed)
		return
	}
	if status >= 500 {
		s.log.Error("follow page", "err", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.page.ExecuteTemplate(w, "notfound.html", status); err != nil {
		s.log.Error("render not-found page", "err", err)
	}
}

// assetTypes are the content types of the embedded assets.
var assetTypes = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}

// handleAsset serves the pages' scripts and styles.
func (s *Server) handleAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	ct, ok := assetTypes[path.Ext(name)]
	b, err := webFS.ReadFile("web/" + name)
	if !ok || err != nil {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "", "no asset %q", name))
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	if _, err := w.Write(b); err != nil {
		s.log.Debug("write asset", "err", fmt.Errorf("asset %s: %w", name, err))
	}
}

// handleFavicon serves GET /favicon.ico, which browsers ask for on every page without an icon
// link: the pages' icon (web/icon.svg), never a 404 on the console.
func (s *Server) handleFavicon(w http.ResponseWriter, r *http.Request) {
	r.SetPathValue("file", "icon.svg")
	s.handleAsset(w, r)
}
