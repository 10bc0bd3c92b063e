package http

import (
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// Staff and device administration (issue 13), admin only:
//
//	GET    /api/v1/admin/staff               every account (never a password)
//	POST   /api/v1/admin/staff               a new account (201)
//	PATCH  /api/v1/admin/staff/{username}    role, halls, departments, seasonal counter
//	                                         assignments, disabled, password reset
//	GET    /api/v1/admin/devices             every enrolled device, revoked ones too
//	POST   /api/v1/admin/devices             enrol a kiosk or display: its token, shown once (201)
//	DELETE /api/v1/admin/devices/{id}        revoke (204)
//
// A change that takes rights away ends them at once: the store clears its token cache, so the
// next request with the old token is refused (401), and the account's or device's open streams
// are closed (streamowner.go).

// Limits of the admin bodies.
const (
	maxPasswordBytes = 72 // bcrypt uses no more
	maxAssignments   = 50
	maxNameLen       = 100
)

// usernameRE is what a username may be: what people type at the sign-in, nothing to escape.
var usernameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// dayRE is a YYYY-MM-DD date.
var dayRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// adminPrincipal authenticates an admin request: 401 without valid credentials, 403 for a
// device or a staff member who is not an administrator.
func (s *Server) adminPrincipal(w http.ResponseWriter, r *http.Request) (*hall.Principal, bool) {
	p, err := s.authenticate(r)
	if err == nil && (p.Device || p.Role != hall.RoleAdmin) {
		err = hall.Errorf(hall.EFORBIDDEN, "", "%s %q is not an administrator", p.Role, p.Subject)
	}
	if err == nil && s.cfg.Admin == nil {
		err = hall.Errorf(hall.EUNAVAILABLE, "", "staff administration is not configured on this server")
	}
	if err != nil {
		s.writeError(w, r, err)
		return nil, false
	}
	return p, true
}

func toStaffMember(st *hall.Staff) wire.StaffMember {
	out := wire.StaffMember{Username: st.Username, Name: st.Name, Role: st.Role, Halls: st.Halls, Departments: []string{},
		Disabled: st.Disabled, Assignments: st.Assignments, CreatedAt: st.CreatedAt, CASUser: st.CASUser,
		WecomUser: st.WecomUser, Email: st.Email}
	if out.Halls == nil {
		out.Halls = []string{}
	}
	if st.Department != "" {
		out.Departments = []string{st.Department}
	}
	if out.Assignments == nil {
		out.Assignments = []hall.CounterAssignment{}
	}
	return out
}

func (s *Server) handleListStaff(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.adminPrincipal(w, r); !ok {
		return
	}
	list, err := s.cfg.Admin.ListStaff(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := wire.StaffList{Staff: make([]wire.StaffMember, 0, len(list))}
	for i := range list {
		out.Staff = append(out.Staff, toStaffMember(&list[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleAddStaff(w http.ResponseWriter, r *http.Request) {
	p, ok := s.adminPrincipal(w, r)
	if !ok {
		return
	}
	var req wire.StaffRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	err := s.checkStaff(req.Role, req.Halls, req.Departments, req.Assignments, req.Name)
	switch {
	case !usernameRE.MatchString(req.Username):
		err = hall.Errorf(hall.EINVALID, "username", "username must be 1 to 64 letters, digits or . _ @ - (starting with a letter or digit)")
	case err != nil:
	case req.Role == hall.RoleHandler && len(req.Departments) == 0:
		err = hall.Errorf(hall.EINVALID, "departments", "a handler belongs to a department")
	default:
		if err = checkPassword(req.Password); err == nil {
			err = checkContacts(req.WecomUser, req.Email)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkCASUser(req.CASUser); err != nil {
		s.writeError(w, r, err)
		return
	}
	st := hall.Staff{Username: req.Username, Name: req.Name, Role: req.Role, Halls: req.Halls, Assignments: req.Assignments, CASUser: req.CASUser,
		WecomUser: req.WecomUser, Email: req.Email}
	if len(req.Departments) > 0 {
		st.Department = req.Departments[0]
	}
	out, err := s.cfg.Admin.AddStaff(r.Context(), p.Subject, st, req.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toStaffMember(out))
}

func (s *Server) handlePatchStaff(w http.ResponseWriter, r *http.Request) {
	p, ok := s.adminPrincipal(w, r)
	if !ok {
		return
	}
	username := r.PathValue("username")
	var req wire.StaffPatch
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	var err error
	patch := hall.StaffPatch{Name: req.Name, Role: req.Role, Halls: req.Halls, Departments: req.Departments,
		Disabled: req.Disabled, Password: req.Password, Assignments: req.Assignments, CASUser: req.CASUser,
		WecomUser: req.WecomUser, Email: req.Email}
	deref := func(v *[]string) []string {
		if v == nil {
			return nil
		}
		return *v
	}
	role := hall.RoleAdmin // a role always valid, when the patch keeps the role
	if req.Role != nil {
		role = *req.Role
	}
	var assign []hall.CounterAssignment
	if req.Assignments != nil {
		assign = *req.Assignments
	}
	name := ""
	if req.Name != nil {
		name = *req.Name
	}
	err = s.checkStaff(role, deref(req.Halls), deref(req.Departments), assign, name)
	if err == nil {
		derefS := func(v *string) string {
			if v == nil {
				return ""
			}
			return *v
		}
		err = checkContacts(derefS(req.WecomUser), derefS(req.Email))
	}
	switch {
	case err != nil:
	case req.CASUser != nil && checkCASUser(*req.CASUser) != nil:
		err = checkCASUser(*req.CASUser)
	case req.Password != nil:
		err = checkPassword(*req.Password)
	case req.Disabled != nil && *req.Disabled && username == p.Subject:
		err = hall.Errorf(hall.ECONFLICT, "disabled", "administrators may not disable their own account")
	case req.Role != nil && *req.Role != hall.RoleAdmin && username == p.Subject:
		err = hall.Errorf(hall.ECONFLICT, "role", "administrators may not take the admin role from themselves")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.cfg.Admin.UpdateStaff(r.Context(), p.Subject, username, patch)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Role != nil || req.Halls != nil || req.Departments != nil || req.Disabled != nil || req.Password != nil || req.Assignments != nil {
		if n := s.closeStreamsOf("staff:" + username); n > 0 {
			s.log.Info("streams closed: account changed", "username", logName(username), "streams", n)
		}
	}
	writeJSON(w, http.StatusOK, toStaffMember(out))
}

// wecomUserRE is a WeChat Work user ID (账号): letters, digits and _ . @ -, 1 to 64.
var wecomUserRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// checkContacts checks a staff member's WeChat Work user ID and e-mail address (either may be
// empty: not notified that way).
func checkContacts(wecomUser, email string) error {
	if wecomUser != "" && !wecomUserRE.MatchString(wecomUser) {
		return hall.Errorf(hall.EINVALID, "wecomUser", "a WeChat Work user ID is 1 to 64 letters, digits or _ . @ -")
	}
	if email != "" {
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || len(email) > 254 {
			return hall.Errorf(hall.EINVALID, "email", "email must be a plain address such as name@example.edu")
		}
	}
	return nil
}

// checkPassword applies the password rules: hall.MinPasswordLength characters at least,
// maxPasswordBytes bytes at most.
func checkPassword(pw string) error {
	if utf8.RuneCountInString(pw) < hall.MinPasswordLength {
		return hall.Errorf(hall.EINVALID, "password", "password must have at least %d characters", hall.MinPasswordLength)
	}
	if len(pw) > maxPasswordBytes {
		return hall.Errorf(hall.EINVALID, "password", "password must have at most %d bytes", maxPasswordBytes)
	}
	return nil
}

// checkStaff checks an account's rights against the campus: a staff role, known halls, at
// most one known department (required for a handler), assignments to existing counters.
func (s *Server) checkStaff(role hall.Role, halls, depts []string, assign []hall.CounterAssignment, name string) error {
	if !role.Valid() || role.Device() {
		return hall.Errorf(hall.EINVALID, "role", "role %q: want admin, supervisor, counter, handler or hotline", role)
	}
	if utf8.RuneCountInString(name) > maxNameLen {
		return hall.Errorf(hall.EINVALID, "name", "name is longer than %d characters", maxNameLen)
	}
	for i, h := range halls {
		if _, ok := s.cfg.Campus.Hall(h); !ok {
			return hall.Errorf(hall.EINVALID, fmt.Sprintf("halls[%d]", i), "no hall %q", h)
		}
	}
	if len(depts) > 1 {
		return hall.Errorf(hall.EINVALID, "departments", "a staff member belongs to one department at most")
	}
	for i, d := range depts {
		if _, ok := s.cfg.Campus.Department(d); !ok && len(s.cfg.Campus.Departments) > 0 || d == "" {
			return hall.Errorf(hall.EINVALID, fmt.Sprintf("departments[%d]", i), "no department %q", d)
		}
	}
	if len(assign) > maxAssignments {
		return hall.Errorf(hall.EINVALID, "assignments", "at most %d assignments", maxAssignments)
	}
	for i, a := range assign {
		f := fmt.Sprintf("assignments[%d]", i)
		h, ok := s.cfg.Campus.Hall(a.Hall)
		if !ok {
			return hall.Errorf(hall.EINVALID, f+".hall", "no hall %q", a.Hall)
		}
		if len(a.Counters) == 0 {
			return hall.Errorf(hall.EINVALID, f+".counters", "name at least one counter")
		}
		for j, n := range a.Counters {
			if _, ok := h.Counter(n); !ok {
				return hall.Errorf(hall.EINVALID, fmt.Sprintf("%s.counters[%d]", f, j), "no counter %d in hall %q", n, a.Hall)
			}
		}
		for _, d := range []struct{ field, day string }{{"from", a.From}, {"until", a.Until}} {
			if _, err := time.Parse(time.DateOnly, d.day); err != nil || !dayRE.MatchString(d.day) {
				return hall.Errorf(hall.EINVALID, f+"."+d.field, "%s must be a date YYYY-MM-DD, not %q", d.field, d.day)
			}
		}
		if a.Until < a.From {
			return hall.Errorf(hall.EINVALID, f+".until", "until %s is before from %s", a.Until, a.From)
		}
	}
	return nil
}

func toDeviceInfo(d *hall.DeviceRecord) wire.DeviceInfo {
	return wire.DeviceInfo{ID: d.ID, Role: d.Role, Hall: d.Hall, Counter: d.Counter, Name: d.Name, Created: d.CreatedAt,
		Revoked: d.RevokedAt != nil, RevokedAt: d.RevokedAt}
}

func (s *Server) handleListDevices(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.adminPrincipal(w, r); !ok {
		return
	}
	list, err := s.cfg.Admin.ListDevices(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Each live device with what its hall knows of it (one health read per hall).
	health := map[string]map[string]*hall.DeviceHealth{}
	out := wire.DeviceList{Devices: make([]wire.DeviceInfo, 0, len(list))}
	for i := range list {
		d := toDeviceInfo(&list[i])
		if !d.Revoked {
			byID, ok := health[d.Hall]
			if !ok {
				byID = map[string]*hall.DeviceHealth{}
				hs, err := s.cfg.Queue.DeviceHealth(r.Context(), d.Hall)
				if err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
					s.writeError(w, r, err)
					return
				}
				for j := range hs {
					byID[hs[j].Device] = &hs[j]
				}
				health[d.Hall] = byID
			}
			d.Health = byID[d.ID]
		}
		out.Devices = append(out.Devices, d)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleEnrolDevice(w http.ResponseWriter, r *http.Request) {
	p, ok := s.adminPrincipal(w, r)
	if !ok {
		return
	}
	var req wire.DeviceRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	var err error
	switch {
	case !req.Role.Device():
		err = hall.Errorf(hall.EINVALID, "role", "role %q: want kiosk, display or rater", req.Role)
	case req.Role == hall.RoleRater && req.Counter <= 0:
		err = hall.Errorf(hall.EINVALID, "counter", "a rating tablet (rater) needs its counter")
	case req.Role != hall.RoleRater && req.Counter != 0:
		err = hall.Errorf(hall.EINVALID, "counter", "only a rating tablet (rater) stands at a counter")
	case req.Hall == "":
		err = hall.Errorf(hall.EINVALID, "hall", "hall is required")
	case utf8.RuneCountInString(req.Name) > maxNameLen:
		err = hall.Errorf(hall.EINVALID, "name", "name is longer than %d characters", maxNameLen)
	}
	if err == nil {
		if h, ok := s.cfg.Campus.Hall(req.Hall); !ok {
			err = hall.Errorf(hall.EINVALID, "hall", "no hall %q", req.Hall)
		} else if _, ok := h.Counter(req.Counter); req.Counter != 0 && !ok {
			err = hall.Errorf(hall.EINVALID, "counter", "no counter %d in hall %q", req.Counter, req.Hall)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, token, err := s.cfg.Admin.EnrolDevice(r.Context(), p.Subject, hall.Device{Role: req.Role, Hall: req.Hall, Counter: req.Counter, Name: strings.TrimSpace(req.Name)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, wire.EnrolledDevice{DeviceInfo: toDeviceInfo(&hall.DeviceRecord{Device: *d}), Token: token})
}

func (s *Server) handleRevokeDevice(w http.ResponseWriter, r *http.Request) {
	p, ok := s.adminPrincipal(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	var devHall string // the revoked device's hall, to drop it from the hall's health
	if list, err := s.cfg.Admin.ListDevices(r.Context()); err == nil {
		for _, d := range list {
			if d.ID == id && d.RevokedAt == nil {
				devHall = d.Hall
			}
		}
	}
	if err := s.cfg.Admin.RevokeDevice(r.Context(), p.Subject, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	if devHall != "" {
		// A revoked kiosk must not be reported silent for ever: its alerts clear.
		if err := s.cfg.Queue.ForgetDevice(r.Context(), devHall, id); err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
			s.log.Warn("revoked device: its health stays", "device", logName(id), "hall", devHall, "err", err)
		}
	}
	if n := s.closeStreamsOf("device:" + id); n > 0 {
		s.log.Info("streams closed: device revoked", "device", logName(id), "streams", n)
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkCASUser checks a staff account's campus sign-on user: empty, or 1 to 64 printable
// characters without spaces.
func checkCASUser(u string) error {
	if u == "" {
		return nil
	}
	if len(u) > 64 || strings.ContainsFunc(u, func(r rune) bool { return r <= ' ' || r == 0x7f }) || !utf8.ValidString(u) {
		return hall.Errorf(hall.EINVALID, "casUser", "casUser must be 1 to 64 printable characters without spaces")
	}
	return nil
}
