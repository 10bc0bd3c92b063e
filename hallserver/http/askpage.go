package http

import (
	"net/http"

	"onedoor/hallserver/hall"
)

// The pages of the public portal (GET /ask) and the hotline desk (GET /hotline): both are drawn
// by their scripts (ask.js, hotline.js) over the API; the server hands them the departments to
// pick from, the text limits and the labels (portalLabels, hotlineLabels).

// askDept is a department the person may pick ("@相关部门").
type askDept struct {
	Code string
	Name hall.Text
}

// askPageData is what ask.html and hotline.html render.
type askPageData struct {
	Depts            []askDept
	MinText, MaxText int
	Caller           string // hotline: the caller's number from ?caller= (the phone system)
	Boot             pageBoot
}

// pickableDepts are the campus's departments a request may be addressed to: all but the
// supervising office, which assigns what nobody picked.
func (s *Server) pickableDepts() []askDept {
	var out []askDept
	for _, d := range s.campus().Departments {
		if d.Code != hall.OfficeDepartment {
			out = append(out, askDept{Code: d.Code, Name: d.Name})
		}
	}
	return out
}

// handleAskPage serves GET /ask: the public portal's page (no login).
func (s *Server) handleAskPage(w http.ResponseWriter, r *http.Request) {
	s.renderPortal(w, "ask.html", askPageData{Depts: s.pickableDepts(), MinText: s.ask.cfg.MinText,
		MaxText: s.ask.cfg.MaxText, Boot: s.boot("ask.js", portalLabels())})
}

// handleHotlinePage serves GET /hotline[?caller=]: the hotline desk (it signs in through the
// API). The caller's number a phone system passes is only put into the form, never trusted.
func (s *Server) handleHotlinePage(w http.ResponseWriter, r *http.Request) {
	caller, err := normPhone(r.URL.Query().Get("caller"))
	if err != nil {
		caller = ""
	}
	s.renderPortal(w, "hotline.html", askPageData{Depts: s.pickableDepts(), MinText: 1, MaxText: maxWebText,
		Caller: caller, Boot: s.boot("hotline.js", hotlineLabels())})
}

func (s *Server) renderPortal(w http.ResponseWriter, page string, d askPageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.page.ExecuteTemplate(w, page, d); err != nil {
		s.log.Error("render page", "page", page, "err", err)
	}
}
