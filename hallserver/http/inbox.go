package http

import (
	"net/http"
	"slices"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
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

// Related cases limits.
const (
	relatedDays = 30
	relatedMax  = 8
	relatedSim  = 0.2
)

func (s *Server) handleRelated(w http.ResponseWriter, r *http.Request) {
	p, cs, err := s.staffCases(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.visibleCase(r, p, cs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := relatedListJSON{Cases: []relatedJSON{}}
	seen := map[string]bool{c.Number: true}
	link := func(num, rel string) {
		if seen[num] {
			return
		}
		x, err := cs.Get(r.Context(), num)
		if err != nil || !sees(p, x) {
			return
		}
		seen[num] = true
		out.Cases = append(out.Cases, relatedJSON{CaseBrief: cases.Brief(x), Relation: rel})
	}
	if c.DuplicateOf != "" {
		link(c.DuplicateOf, "original")
	}
	for _, d := range c.Duplicates {
		link(d, "duplicate")
	}
	f := hall.CaseFilter{Since: time.Now().Add(-relatedDays * 24 * time.Hour), Limit: maxCaseList}
	if !seesAllCases(p) {
		f.Department = p.Department
	}
	pool, err := cs.List(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pool = slices.DeleteFunc(pool, func(x hall.Case) bool { return !sees(p, &x) || seen[x.Number] })
	for _, rc := range cases.Related(c, pool, relatedMax, relatedSim) {
		out.Cases = append(out.Cases, relatedJSON{CaseBrief: cases.Brief(rc.Case), Relation: "similar", Similarity: rc.Similarity})
	}
	writeJSON(w, http.StatusOK, out)
}
