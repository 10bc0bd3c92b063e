package http

import (
	"net/http"
	"strconv"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/http/open311"
)

// registerOpen311 mounts the Open311 GeoReport v2 adapter (package open311, docs/OPEN311.md)
// with the server's route registration, so its routes get recovery, metrics and a place in
// Routes like every other route, and share the server's answer conventions.
func (s *Server) registerOpen311() {
	open311.New(open311.Config{Cases: s.casesService, Auth: s.cfg.Auth, Keys: s.cfg.Open311Keys,
		Campus: open311Host{s}, Staff: open311Host{s}, PublicURL: s.cfg.PublicURL, Now: s.now, Log: s.log,
		Wire: open311.Wire{JSON: writeJSON, Status: statusOf, ClientGone: clientGone, ClientClosed: statusClientClosed,
			MaxBody: maxBody, TooLarge: ETOOLARGE, Lang: normLang, When: parseWhen},
	}).Register(s.handle, s.handleUnmatched)
}

// handleUnmatched registers the answer to the paths under a prefix that no route serves (the
// Open311 error form under /open311/), counted as unmatched like the server's own answer.
func (s *Server) handleUnmatched(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		s.metrics.requests.WithLabelValues("unmatched", strconv.Itoa(sw.status)).Inc()
	})
}

// open311Host is the server as package open311 sees it: the campus, and the case API's rule of
// which cases a staff member sees.
type open311Host struct{ s *Server }

func (h open311Host) Name() hall.Text                      { return h.s.campus().Name }
func (h open311Host) DepartmentName(code string) hall.Text { return h.s.departmentName(code) }
func (h open311Host) Location() *time.Location             { return h.s.campusLoc() }

func (open311Host) Sees(p *hall.Principal, c *hall.Case) bool { return cases.Sees(p, c) }

func (open311Host) Public(c *hall.Case) (hall.Case, bool) { return cases.PublicRecord(c) }

func (open311Host) ListDepartment(p *hall.Principal) string {
	if !cases.SeesAll(p) && cases.WorksCases(p) {
		return p.Department
	}
	return ""
}
