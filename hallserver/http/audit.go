package http

import (
	"net/http"
	"strconv"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// GET /api/v1/admin/audit?since=&until=&actor=&kind=&target=&limit=&cursor=: the audit trail,
// newest first, a page at a time (the answer's next is the cursor of the next page; send it
// with the same filters). Administrators read every entry, supervisors the case log's. The
// store bounds the work of one request (bolt.Audit): a page may end early with a cursor.

// auditParams are the query parameters the audit endpoint knows.
var auditParams = map[string]bool{"since": true, "until": true, "actor": true, "kind": true, "target": true, "limit": true, "cursor": true}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err == nil && (p.Device || (p.Role != hall.RoleAdmin && p.Role != hall.RoleSupervisor)) {
		err = hall.Errorf(hall.EFORBIDDEN, "", "%s %q may not read the audit trail", p.Role, p.Subject)
	}
	if err == nil && s.cfg.Audit == nil {
		err = hall.Errorf(hall.EUNAVAILABLE, "", "the audit trail is not configured on this server")
	}
	var q hall.AuditQuery
	if err == nil {
		q, err = auditQuery(r, s.campusLoc())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q.CasesOnly = p.Role != hall.RoleAdmin
	page, err := s.cfg.Audit.Audit(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.AuditList{Entries: page.Entries, Next: page.Next})
}

// auditQuery reads the query parameters: times in RFC 3339, or a campus date YYYY-MM-DD (in
// loc: since from its midnight, until to the end of that day, so since=until=a day is that
// day), limit 1 to 500, text filters of at most 256 bytes. Unknown parameters are refused.
func auditQuery(r *http.Request, loc *time.Location) (hall.AuditQuery, error) {
	var q hall.AuditQuery
	vals := r.URL.Query()
	for k, v := range vals {
		if !auditParams[k] {
			return q, hall.Errorf(hall.EINVALID, k, "unknown parameter %q", k)
		}
		if len(v) > 1 {
			return q, hall.Errorf(hall.EINVALID, k, "%s given more than once", k)
		}
		if len(v[0]) > 1024 {
			return q, hall.Errorf(hall.EINVALID, k, "%s is too long", k)
		}
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		v := vals.Get(t.name)
		if v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			day, derr := time.ParseInLocation(time.DateOnly, v, loc)
			if derr != nil {
				return q, hall.Errorf(hall.EINVALID, t.name, "%s must be a time in RFC 3339 (2027-01-04T08:00:00+08:00) or a date (2027-01-04), not %q", t.name, v)
			}
			if at = day; t.name == "until" {
				at = day.AddDate(0, 0, 1)
			}
		}
		*t.dst = at
	}
	q.Actor, q.Kind, q.Target, q.Cursor = vals.Get("actor"), vals.Get("kind"), vals.Get("target"), vals.Get("cursor")
	for _, f := range []struct{ name, v string }{{"actor", q.Actor}, {"kind", q.Kind}, {"target", q.Target}} {
		if len(f.v) > 256 {
			return q, hall.Errorf(hall.EINVALID, f.name, "%s is longer than 256 bytes", f.name)
		}
	}
	if v := vals.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return q, hall.Errorf(hall.EINVALID, "limit", "limit must be an integer from 1 to 500, not %q", v)
		}
		q.Limit = n
	}
	return q, nil
}
