package http

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"onedoor/hallserver/hall"
)

// handleMetrics guards the Prometheus handler: in demo mode (Config.MetricsOpen) anyone may
// read it; otherwise only the scraper's bearer token (Config.MetricsToken) or an administrator
// (session or bearer). The figures name halls, routes and load, which strangers need not see.
func (s *Server) handleMetrics(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.MetricsOpen || s.metricsToken(r) {
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if p.Role != hall.RoleAdmin || p.Device {
			s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "", "only the metrics token or an administrator may read /metrics"))
			return
		}
		next.ServeHTTP(w, r)
	}
}

// metricsToken reports whether the request carries the configured metrics bearer token.
func (s *Server) metricsToken(r *http.Request) bool {
	want := s.cfg.MetricsToken
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if want == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) == 1
}
