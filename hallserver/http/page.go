package http

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"path"
	"time"

	"onedoor/hallserver/hall"
)

// webFS holds the pages and their assets: no CDN, the campus intranet may have no internet.
//
//go:embed web
var webFS embed.FS

// pageFuncs are the helpers the page templates use.
var pageFuncs = template.FuncMap{
	"minutes": func(sec int) int { return (sec + 59) / 60 },
	"stateZh": func(s hall.TicketState) string { return stateText[s].Zh },
	"stateEn": func(s hall.TicketState) string { return stateText[s].En },
}

// stateText names the ticket states on the follow page.
var stateText = map[hall.TicketState]hall.Text{
	hall.TicketWaiting:   {Zh: "排队中", En: "Waiting"},
	hall.TicketCalled:    {Zh: "请到窗口办理", En: "Called: please go to the counter"},
	hall.TicketServing:   {Zh: "办理中", En: "Being served"},
	hall.TicketParked:    {Zh: "暂挂，请留意叫号", En: "On hold: listen for your number"},
	hall.TicketDone:      {Zh: "已办结", En: "Done"},
	hall.TicketNoShow:    {Zh: "过号", En: "Missed"},
	hall.TicketCancelled: {Zh: "已取消", En: "Cancelled"},
}

// pageData is what follow.html renders.
type pageData struct {
	Token  string
	F      followJSON
	Active bool   // still in the queue or at a counter
	Issued string // issue time of day in the campus time zone
}

// handlePage serves GET /t/{token}: the phone page behind the ticket's QR code.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	f, err := s.follow(r)
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		status := statusOf(hall.ErrorCode(err))
		if status >= 500 {
			s.log.Error("follow page", "err", err)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		if err := s.page.ExecuteTemplate(w, "notfound.html", status); err != nil {
			s.log.Error("render not-found page", "err", err)
		}
		return
	}
	fj := toFollowJSON(f)
	loc, err := s.cfg.Campus.Location()
	if err != nil {
		loc = time.UTC
	}
	d := pageData{Token: r.PathValue("token"), F: fj, Active: fj.State.Open(), Issued: fj.IssuedAt.In(loc).Format("15:04")}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.page.ExecuteTemplate(w, "follow.html", d); err != nil {
		s.log.Error("render follow page", "err", err)
	}
}

// assetTypes are the content types of the embedded assets.
var assetTypes = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

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
