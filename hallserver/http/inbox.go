package http

import (
	"net/http"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/wire"
)

// The department inbox (GET /cases): a page for handlers that works through the case API
// (sign in, list by urgency, act) plus GET /api/v1/cases/{id}/related: cases like this one
// (its duplicates, its original, and similar requests of the last 30 days that the principal
// may see).

// handleInboxPage serves GET /cases (the page signs in through the API itself).
func (s *Server) handleInboxPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	d := struct{ Boot pageBoot }{s.boot("inbox.js", staffLabels())}
	if err := s.page.ExecuteTemplate(w, "inbox.html", d); err != nil {
		s.log.Error("render inbox page", "err", err)
	}
}

func (s *Server) handleRelated(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rel, err := s.caseSvc.Related(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := wire.RelatedList{Cases: make([]wire.Related, 0, len(rel))}
	for _, rc := range rel {
		out.Cases = append(out.Cases, wire.Related{CaseBrief: cases.Brief(rc.Case), Relation: rc.Relation, Similarity: rc.Similarity})
	}
	writeJSON(w, http.StatusOK, out)
}
