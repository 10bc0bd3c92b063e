package http

import "net/http"

// handleAdminPage serves GET /admin: the administration page (web/admin.html, admin.js). It
// signs in through the API and works only through the admin API, the notices and the long list;
// the API answers a non-administrator 403 whatever the page shows.
func (s *Server) handleAdminPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	d := struct{ Boot pageBoot }{s.boot("admin.js", adminLabels())}
	d.Boot.Shared = []string{"longlist.js"}
	if err := s.page.ExecuteTemplate(w, "admin.html", d); err != nil {
		s.log.Error("render admin page", "err", err)
	}
}
