package http

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The campus as it lives in the store (issue 13, live configuration): GET and PUT
// /api/v1/admin/campus, admin only. The answer is {"version", "campus"}, the version also as the
// ETag; a PUT names the version it edits in If-Match and is applied at once (every hall's queue
// engine, the case system, this server's view) or not at all.

// maxCampusBody is the largest campus a PUT accepts (the demo campus is about 12 KiB of JSON).
const maxCampusBody = 1 << 20

// campusAdmin authenticates an administrator for the campus routes (401, 403) and returns the
// live campus (503 when the server runs a fixed one).
func (s *Server) campusAdmin(w http.ResponseWriter, r *http.Request) (*hall.Principal, bool) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return nil, false
	}
	if p.Role != hall.RoleAdmin || p.Device {
		s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "", "only an administrator may read or change the campus"))
		return nil, false
	}
	if s.cfg.CampusLive == nil {
		s.writeError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "this server runs a fixed campus"))
		return nil, false
	}
	return p, true
}

// handleGetCampus answers the current campus and its version (GET /api/v1/admin/campus).
func (s *Server) handleGetCampus(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.campusAdmin(w, r); !ok {
		return
	}
	c, v := s.cfg.CampusLive.Campus()
	writeCampus(w, c, v)
}

// writeCampus writes the campus answer with its ETag.
func writeCampus(w http.ResponseWriter, c hall.Campus, version string) {
	w.Header().Set("ETag", `"`+version+`"`)
	writeJSON(w, http.StatusOK, wire.Campus{Version: version, Campus: campusForWire(c)})
}

// handlePutCampus applies a new campus (PUT /api/v1/admin/campus, If-Match: "<version>").
func (s *Server) handlePutCampus(w http.ResponseWriter, r *http.Request) {
	p, ok := s.campusAdmin(w, r)
	if !ok {
		return
	}
	version, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCampusBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = hall.Errorf(ETOOLARGE, "", "a campus is at most %d bytes", maxCampusBody)
		} else {
			err = hall.Errorf(hall.EINVALID, "", "read the body: %v", err)
		}
		s.writeError(w, r, err)
		return
	}
	var body wire.Campus
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if err := decodeJSONMax(w, r, &body, false, maxCampusBody); err != nil {
		// Name the field by its whole path in the campus, like the 422 answers do
		// (halls[1].services[0].avgMinutes; a key beside "campus" keeps its own name).
		if he, ok := err.(*hall.Error); ok && he.Code == hall.EINVALID && he.Field != "" {
			if p := fieldPath(raw, reflect.TypeFor[wire.Campus]()); p != "" {
				he.Field = strings.TrimPrefix(p, "campus.")
			}
		}
		s.writeError(w, r, err)
		return
	}
	nv, err := s.cfg.CampusLive.ApplyCampus(r.Context(), body.Campus, version, p.Subject)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, v := s.cfg.CampusLive.Campus()
	if v != nv { // changed again since: answer what this request applied
		c, v = body.Campus, nv
	}
	s.log.Info("campus changed", "by", p.Subject, "version", nv, "halls", len(c.Halls))
	writeCampus(w, c, v)
}

// ifMatch reads the version a change edits from If-Match ("<version>", W/"<version>" or the
// bare version): EPRECONDITION (428) when it is missing or "*".
func ifMatch(r *http.Request) (string, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	v = strings.TrimPrefix(v, "W/")
	v = strings.Trim(v, `"`)
	if v == "" || v == "*" {
		return "", hall.Errorf(wire.EPRECONDITION, "If-Match", `send If-Match: "<version>" with the version of the campus you edited (GET /api/v1/admin/campus)`)
	}
	return v, nil
}

// campusForWire returns c with empty lists instead of missing ones, so that the answer has the
// same keys whatever the YAML left out (never changes c: it is shared).
func campusForWire(c hall.Campus) hall.Campus {
	nonNil := func(s []hall.Text) []hall.Text {
		if s == nil {
			return []hall.Text{}
		}
		return s
	}
	c.Halls = slices.Clone(c.Halls)
	if c.Halls == nil {
		c.Halls = []hall.Hall{}
	}
	if c.Departments == nil {
		c.Departments = []hall.Department{}
	}
	if c.Calendar != nil {
		cal := *c.Calendar
		if cal.Holidays == nil {
			cal.Holidays = []string{}
		}
		if cal.Workdays == nil {
			cal.Workdays = []string{}
		}
		c.Calendar = &cal
	}
	for i := range c.Halls {
		h := &c.Halls[i]
		h.Services = slices.Clone(h.Services)
		if h.Services == nil {
			h.Services = []hall.Service{}
		}
		h.Counters = slices.Clone(h.Counters)
		if h.Counters == nil {
			h.Counters = []hall.CounterConfig{}
		}
		for j := range h.Services {
			h.Services[j].Materials = nonNil(h.Services[j].Materials)
		}
		for j := range h.Counters {
			if h.Counters[j].Services == nil {
				h.Counters[j].Services = []string{}
			}
		}
	}
	return c
}
