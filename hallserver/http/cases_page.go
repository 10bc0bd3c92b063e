package http

import (
	"net/http"

	"onedoor/hallserver/hall"
)

// entryLabel is what a public timeline line says: the type's name, or for a co-handling request
// the department asked ("已请保卫处协办"); named reports whether the label holds the department.
func entryLabel(t hall.CaseEventType, dept hall.Text) (label hall.Text, named bool) {
	l := publicLabels()
	if t == hall.CaseEvInvited && dept.Zh != "" {
		return l.invitedLabel(dept), true
	}
	return l.Event[t], false
}

// handleCasePage serves GET /c/{token}: the interactive follow page (page.go, follow.html) for
// a case followed by its own token (or by the token of the ticket it came from).
func (s *Server) handleCasePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	_, c, _, err := s.followedCase(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err != nil {
		status := statusOf(hall.ErrorCode(err))
		if status >= 500 {
			s.log.Error("case page", "err", err)
		}
		w.WriteHeader(status)
		if err := s.page.ExecuteTemplate(w, "notfound.html", status); err != nil {
			s.log.Error("render not-found page", "err", err)
		}
		return
	}
	s.serveCaseFollowPage(w, r, c)
}
