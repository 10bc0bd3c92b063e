package http

import (
	"net/http"

	"onedoor/hallserver/hall"
)

// displayPage is what display.html renders: the hall, so that the page shows its name and its
// services before the stream's snapshot arrives.
type displayPage struct {
	Hall     string
	Name     hall.Text
	Services []hall.Service
	// Portrait forces the portrait layout (?portrait=1); else the screen's orientation decides.
	Portrait bool
	// Silent hides the "sound off" button (?sound=off) for screens without speakers.
	Silent bool
	// SoundOn (?sound=on) turns the voice on without a tap: for a TV without touch whose
	// browser allows audio without a gesture (Chromium --autoplay-policy=no-user-gesture-required).
	SoundOn bool
	Boot    pageBoot // the campus zone of the clock, the words of when a service opens
}

// handleDisplayPage serves GET /display/{hall}: the hall display for any TV browser. The page
// (display.html, display.js, display.css, all embedded) follows the hall's stream over a
// WebSocket and announces calls with the browser's speech synthesis.
func (s *Server) handleDisplayPage(w http.ResponseWriter, r *http.Request) {
	h, err := s.lookupHall(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q := r.URL.Query()
	d := displayPage{Hall: h.Code, Name: h.Name, Services: h.Services,
		Portrait: q.Get("portrait") == "1", Silent: q.Get("sound") == "off", SoundOn: q.Get("sound") == "on", Boot: s.boot("display.js", displayLabels())}
	if err := s.page.ExecuteTemplate(w, "display.html", d); err != nil {
		s.log.Error("render display page", "hall", h.Code, "err", err)
	}
}
