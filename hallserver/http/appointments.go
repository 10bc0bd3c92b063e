package http

import (
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// Appointments (预约, issue 16; docs/APPOINTMENTS.md): the slots of a service's day, booking
// (public, rate-limited per address; staff book for someone), the booking's holder's view,
// cancel and reschedule by its token, the kiosk's check-in (a ticket marked 预约 through the
// queue like any issue) and the staff's day list with the no-shows.

// Booking limits for strangers: per client address, a burst of apptBurst bookings, then one
// every ten seconds (a campus NAT puts many people behind one address). Only bookings made count
// (a refused one holds nothing); at most apptMaxAddrs addresses are remembered (the map starts
// again when full).
const (
	apptRate     = rate.Limit(0.1)
	apptBurst    = 20
	apptMaxAddrs = 10000
)

// apptLimiter limits the public bookings per client address.
type apptLimiter struct {
	mu    sync.Mutex
	by    map[string]*rate.Limiter
	burst int // 0: apptBurst
}

// limiter returns the address's limiter.
func (l *apptLimiter) limiter(addr string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.by == nil || len(l.by) >= apptMaxAddrs {
		l.by = map[string]*rate.Limiter{}
	}
	lim, ok := l.by[addr]
	if !ok {
		burst := l.burst
		if burst <= 0 {
			burst = apptBurst
		}
		lim = rate.NewLimiter(apptRate, burst)
		l.by[addr] = lim
	}
	return lim
}

// appointments returns the store or writes 503.
func (s *Server) appointments(w http.ResponseWriter, r *http.Request) (hall.AppointmentStore, bool) {
	if s.cfg.Appointments == nil {
		s.writeError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "appointments are not configured on this server"))
		return nil, false
	}
	return s.cfg.Appointments, true
}

// apptService returns the hall and its service for a booking, errors naming hall or service.
func (s *Server) apptService(hallCode, service string) (*hall.Hall, hall.AppointmentPolicy, error) {
	if hallCode == "" {
		return nil, hall.AppointmentPolicy{}, hall.Errorf(hall.EINVALID, "hall", "hall is required")
	}
	h, ok := s.campus().Hall(hallCode)
	if !ok {
		return nil, hall.AppointmentPolicy{}, hall.Errorf(hall.EUNPROCESSABLE, "hall", "no hall %q", hallCode)
	}
	if service == "" {
		return nil, hall.AppointmentPolicy{}, hall.Errorf(hall.EINVALID, "service", "service is required")
	}
	if _, ok := h.Service(service); !ok {
		return nil, hall.AppointmentPolicy{}, hall.Errorf(hall.EUNPROCESSABLE, "service", "hall %q has no service %q", h.Code, service)
	}
	p := h.AppointmentPolicy(service)
	if p.Off || !s.schedule(h.Code, service).Known() {
		return nil, p, hall.Errorf(hall.EUNPROCESSABLE, "service", "service %s of hall %s takes no bookings", service, h.Code)
	}
	return h, p, nil
}

// parseStart reads a slot's start (RFC 3339) into the campus zone.
func (s *Server) parseStart(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, hall.Errorf(hall.EINVALID, "start", "start is required (RFC 3339, e.g. 2026-12-03T09:00:00+08:00)")
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, hall.Errorf(hall.EINVALID, "start", "start %q must be RFC 3339, e.g. 2026-12-03T09:00:00+08:00", v)
	}
	return t.In(s.campusLoc()), nil
}

// bookable checks the slot at start of the hall's service and returns the request's slot part.
func (s *Server) bookable(h *hall.Hall, p hall.AppointmentPolicy, start time.Time) (hall.BookRequest, error) {
	sl, err := hall.BookableSlot(s.schedule(h.Code, p.Service), p, start, s.now())
	if err != nil {
		return hall.BookRequest{}, err
	}
	return hall.BookRequest{Hall: h.Code, Service: p.Service, Start: sl.Start, End: sl.End, Capacity: p.Capacity}, nil
}

// handleSlots lists the slots of a service's day with their free places (public).
func (s *Server) handleSlots(w http.ResponseWriter, r *http.Request) {
	store, ok := s.appointments(w, r)
	if !ok {
		return
	}
	h, err := s.lookupHall(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, ok := h.Service(r.PathValue("code")); !ok {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "code", "hall %q has no service %q", h.Code, r.PathValue("code")))
		return
	}
	h, p, err := s.apptService(h.Code, r.PathValue("code"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	loc := s.campusLoc()
	now := s.now().In(loc)
	date := r.URL.Query().Get("date")
	var day time.Time
	if date == "" {
		day = now
		date = now.Format(time.DateOnly)
	} else if day, err = time.ParseInLocation(time.DateOnly, date, loc); err != nil {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "date", "date %q must be YYYY-MM-DD", date))
		return
	}
	out := wire.SlotList{Hall: h.Code, Service: p.Service, Date: date, Slots: []hall.Slot{}}
	d := hall.DaysBetween(now, day, loc)
	if d < 0 || d > p.DaysAhead {
		s.writeError(w, r, hall.Errorf(hall.EUNPROCESSABLE, "date", "slots are listed from today to %d days ahead", p.DaysAhead))
		return
	}
	booked, err := store.Booked(r.Context(), h.Code, p.Service, date)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	taken := map[int64]int{}
	for _, a := range booked {
		taken[a.Start.Unix()]++
	}
	for _, sl := range hall.DaySlots(s.schedule(h.Code, p.Service), p, day) {
		if !sl.Start.After(now) {
			continue // past slots are not offered
		}
		sl.Free = max(0, sl.Free-taken[sl.Start.Unix()])
		sl.Start, sl.End = sl.Start.In(loc), sl.End.In(loc)
		out.Slots = append(out.Slots, sl)
	}
	writeJSON(w, http.StatusOK, out)
}

// mayBookFor reports whether a signed-in principal may book for someone in the hall: counter
// staff, supervisors and admins of the hall, and the hotline desk.
func mayBookFor(p *hall.Principal, hallCode string) bool {
	if p == nil || p.Device {
		return false
	}
	switch p.Role {
	case hall.RoleCounter, hall.RoleSupervisor, hall.RoleAdmin:
		return p.InHall(hallCode)
	case hall.RoleHotline:
		return true
	}
	return false
}

// handleBook books a slot: anyone (rate-limited per address), or staff for someone (with their
// credentials; not limited).
func (s *Server) handleBook(w http.ResponseWriter, r *http.Request) {
	store, ok := s.appointments(w, r)
	if !ok {
		return
	}
	var staff *hall.Principal
	if r.Header.Get("Authorization") != "" || hasSessionCookie(r) {
		p, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		staff = p
	}
	var body wire.BookRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	h, p, err := s.apptService(body.Hall, body.Service)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	channel := "web"
	if staff != nil {
		if !mayBookFor(staff, h.Code) {
			s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "", "%s %q may not book for others in hall %q", staff.Role, staff.Subject, h.Code))
			return
		}
		channel = staff.Subject
	}
	var who *hall.Identity
	if staff == nil {
		if rq, ok := s.Requester(r); ok && rq.Identity != nil {
			who = rq.Identity
		}
	}
	req, err := s.bookRequest(h, p, body, who)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var lim *rate.Limiter
	if staff == nil {
		lim = s.apptLimit.limiter(clientAddr(r))
		if lim.TokensAt(s.now()) < 1 {
			s.writeError(w, r, hall.Errorf(ETOOMANY, "", "too many bookings from this address: try again in a minute"))
			return
		}
	}
	req.Channel = channel
	a, err := store.Book(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if lim != nil {
		lim.AllowN(s.now(), 1)
	}
	out := s.apptJSON(a, true)
	out.Token = a.Token
	writeJSON(w, http.StatusCreated, out)
}

// hasSessionCookie reports whether the request carries a staff session cookie.
func hasSessionCookie(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	return err == nil && c.Value != ""
}

// bookRequest checks a booking's fields in the order of the form; errors name the field. who
// is the signed-in requester (nil without a sign-in): the booking is tied to their identity,
// the name comes from it when the body has none, and the phone may be left out (they are
// reached through the identity and check in with the code); one given is checked.
func (s *Server) bookRequest(h *hall.Hall, p hall.AppointmentPolicy, body wire.BookRequest, who *hall.Identity) (hall.BookRequest, error) {
	if who != nil && strings.TrimSpace(body.Name) == "" {
		body.Name = who.Name
	}
	name, err := hall.NormalizeName(body.Name)
	if err != nil {
		return hall.BookRequest{}, err
	}
	phone := ""
	if who == nil || strings.TrimSpace(body.Phone) != "" {
		if phone, err = hall.NormalizePhone(body.Phone); err != nil {
			return hall.BookRequest{}, err
		}
	}
	start, err := s.parseStart(body.Start)
	if err != nil {
		return hall.BookRequest{}, err
	}
	req, err := s.bookable(h, p, start)
	if err != nil {
		return hall.BookRequest{}, err
	}
	req.Name, req.Phone = name, phone
	if who != nil {
		req.Identity = who.Key()
	}
	return req, nil
}

// myAppointmentsLimit bounds the requester's list of bookings.
const myAppointmentsLimit = 50

// handleMyAppointments lists the signed-in requester's bookings (made while signed in), the
// latest days first, each with its page (/a/{token}).
func (s *Server) handleMyAppointments(w http.ResponseWriter, r *http.Request) {
	out, err := s.myAppointments(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// myAppointments is the request's requester's bookings: EUNAUTHORIZED without a sign-in.
func (s *Server) myAppointments(r *http.Request) (*wire.MyAppointments, error) {
	rq, ok := s.Requester(r)
	if !ok || rq.Identity == nil {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "sign in with the campus sign-on or WeChat Work first")
	}
	if s.cfg.Appointments == nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "appointments are not configured on this server")
	}
	as, err := s.cfg.Appointments.ByIdentity(r.Context(), rq.Identity.Key(), myAppointmentsLimit)
	if err != nil {
		return nil, err
	}
	out := &wire.MyAppointments{Appointments: make([]wire.Appointment, 0, len(as))}
	for i := range as {
		out.Appointments = append(out.Appointments, s.apptJSON(&as[i], false))
	}
	return out, nil
}

// apptJSON is the booking on the wire; full shows the phone (the booking's answer, staff).
func (s *Server) apptJSON(a *hall.Appointment, full bool) wire.Appointment {
	loc := s.campusLoc()
	out := wire.Appointment{ID: a.ID, Code: a.Code, Hall: a.Hall, Service: a.Service, Day: a.Day,
		Start: a.Start.In(loc), End: a.End.In(loc), State: a.State, Name: a.Name, Phone: a.Phone,
		Number: a.Number, CreatedAt: a.CreatedAt.In(loc), CheckedIn: a.CheckedInAt,
		URL: s.cfg.PublicURL + "/a/" + a.Token}
	if !full {
		out.Phone = hall.MaskPhone(a.Phone)
	}
	var p hall.AppointmentPolicy
	if h, ok := s.campus().Hall(a.Hall); ok {
		out.HallName = h.Name
		if sv, ok := h.Service(a.Service); ok {
			out.ServiceName = sv.Name
		}
		p = h.AppointmentPolicy(a.Service)
	} else {
		p = (&hall.Hall{}).AppointmentPolicy(a.Service)
	}
	out.CheckinFrom, out.CheckinUntil = out.Start.Add(-p.Early), out.Start.Add(p.Late)
	out.NoShow = a.NoShow(p, s.now())
	if a.TicketToken != "" {
		out.FollowURL = s.cfg.PublicURL + "/t/" + a.TicketToken
	}
	if a.CheckedInAt != nil {
		t := a.CheckedInAt.In(loc)
		out.CheckedIn = &t
	}
	return out
}

// apptToken reads the booking of the path's token.
func (s *Server) apptToken(w http.ResponseWriter, r *http.Request) (hall.AppointmentStore, *hall.Appointment, bool) {
	store, ok := s.appointments(w, r)
	if !ok {
		return nil, nil, false
	}
	tok := r.PathValue("token")
	if len(tok) > 64 {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "token", "no booking with this token"))
		return nil, nil, false
	}
	a, err := store.ByToken(r.Context(), tok)
	if err != nil {
		s.writeError(w, r, err)
		return nil, nil, false
	}
	return store, a, true
}

// handleGetAppointment shows the booking to its holder (phone masked).
func (s *Server) handleGetAppointment(w http.ResponseWriter, r *http.Request) {
	_, a, ok := s.apptToken(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.apptJSON(a, false))
}

// handleCancelAppointment cancels the booking (not once checked in).
func (s *Server) handleCancelAppointment(w http.ResponseWriter, r *http.Request) {
	store, a, ok := s.apptToken(w, r)
	if !ok {
		return
	}
	a, err := store.Cancel(r.Context(), a.Token)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.apptJSON(a, false))
}

// handleRescheduleAppointment moves the booking to another slot of its service.
func (s *Server) handleRescheduleAppointment(w http.ResponseWriter, r *http.Request) {
	store, a, ok := s.apptToken(w, r)
	if !ok {
		return
	}
	var body wire.RescheduleRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	h, p, err := s.apptService(a.Hall, a.Service)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	start, err := s.parseStart(body.Start)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := s.bookable(h, p, start)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err = store.Reschedule(r.Context(), a.Token, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.apptJSON(a, false))
}

var codeRE = regexp.MustCompile(`^[0-9]{6}$`)

// scannedToken returns the booking token of what a keyboard-wedge scanner typed from a booking's
// QR code (its URL, …/a/{token}), "" when it is no such URL.
func scannedToken(v string) string {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil {
		return ""
	}
	i := strings.LastIndex(u.Path, "/a/")
	if i < 0 {
		return ""
	}
	tok := u.Path[i+len("/a/"):]
	if tok == "" || len(tok) > 64 || strings.Contains(tok, "/") {
		return ""
	}
	return tok
}

// handleCheckin checks a booking in at the kiosk: inside its window the ticket (marked 预约) is
// issued through the queue like any other (durable, one event) and 201 returns it; a retry
// returns the same ticket. Outside the window: 409 too_early with comeAt, too_late with the
// walk-in offer.
func (s *Server) handleCheckin(w http.ResponseWriter, r *http.Request) {
	p, h, ok := s.hallPrincipal(w, r, (*hall.Principal).CanIssue, func(p *hall.Principal, code string) string {
		return "only the kiosks and staff of hall " + code + " check bookings in"
	})
	if !ok {
		return
	}
	store, ok := s.appointments(w, r)
	if !ok {
		return
	}
	var body wire.CheckinRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	loc := s.campusLoc()
	today := now.In(loc).Format(time.DateOnly)
	code := strings.TrimSpace(body.Code)
	var a *hall.Appointment
	var err error
	switch {
	case code == "":
		err = hall.Errorf(hall.EINVALID, "code", "code is required (6 digits, or the booking's QR code)")
	case codeRE.MatchString(code):
		a, err = store.ByCode(r.Context(), h.Code, today, code)
	case scannedToken(code) != "":
		a, err = store.ByToken(r.Context(), scannedToken(code))
		if err != nil {
			err = hall.Errorf(hall.ENOTFOUND, "code", "no booking behind this QR code")
		}
	default:
		err = hall.Errorf(hall.EINVALID, "code", "code must be 6 digits or the booking's QR code")
	}
	if err == nil {
		switch {
		case a.Hall != h.Code:
			err = hall.Errorf(hall.EUNPROCESSABLE, "code", "the booking is for another hall (%s)", a.Hall)
		case a.State == hall.AppointmentCancelled:
			err = hall.Errorf(hall.ECONFLICT, "code", "the booking was cancelled")
		case a.Day != today:
			err = hall.Errorf(hall.EUNPROCESSABLE, "code", "the booking is for %s, not today", a.Day)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pol := h.AppointmentPolicy(a.Service)
	if a.State == hall.AppointmentBooked {
		if werr := a.CheckinWindow(pol, now); werr != nil {
			ref := wire.CheckinError{Code: hall.ErrorCode(werr), Message: hall.ErrorMessage(werr), Field: "code", Start: a.Start.In(loc)}
			if ref.Code == hall.ETOOEARLY {
				from := a.Start.Add(-pol.Early).In(loc)
				ref.ComeAt = &from
			} else {
				ref.WalkIn = &wire.WalkInOffer{Hall: h.Code, Service: a.Service}
			}
			writeJSON(w, http.StatusConflict, wire.CheckinRefusal{Error: ref})
			return
		}
	}
	iss, err := s.cfg.Queue.Issue(r.Context(), hall.IssueRequest{
		Hall: h.Code, Service: a.Service, Channel: p.Subject, IdempotencyKey: "appointment\x00" + a.ID,
		Appointment: &hall.AppointmentMark{ID: a.ID, Start: a.Start},
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := store.CheckedIn(r.Context(), a.ID, iss.Ticket); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.issued.WithLabelValues(h.Code, iss.Ticket.Service).Inc()
	out := toTicketJSON(&iss.Ticket)
	out.Token = iss.Ticket.Token
	out.FollowURL = s.cfg.PublicURL + "/t/" + iss.Ticket.Token
	pos, eta := iss.Position, iss.EtaSeconds
	out.Position, out.EtaSeconds = &pos, &eta
	out.Materials = iss.Materials
	if out.Materials == nil {
		out.Materials = []hall.Text{}
	}
	writeJSON(w, http.StatusCreated, out)
}

// handleDayAppointments lists the hall's bookings of a day in slot order with the no-shows
// (counter staff, supervisors and admins of the hall; the hotline desk).
func (s *Server) handleDayAppointments(w http.ResponseWriter, r *http.Request) {
	work := s.mayWorkCounter(0)
	_, h, ok := s.hallPrincipal(w, r, func(p *hall.Principal, code string) bool {
		return work(p, code) || mayBookFor(p, code)
	}, func(_ *hall.Principal, code string) string {
		return "only the staff of hall " + code + " see its bookings"
	})
	if !ok {
		return
	}
	store, ok := s.appointments(w, r)
	if !ok {
		return
	}
	date := r.URL.Query().Get("date")
	if date == "" {
		date = s.now().In(s.campusLoc()).Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, date); err != nil {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "date", "date %q must be YYYY-MM-DD", date))
		return
	}
	all, err := store.Day(r.Context(), h.Code, date)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Start.Before(all[j].Start) })
	out := wire.AppointmentList{Hall: h.Code, Date: date, Appointments: []wire.Appointment{}}
	for i := range all {
		a := s.apptJSON(&all[i], true)
		a.Channel = all[i].Channel
		if a.NoShow {
			out.NoShows++
		}
		out.Appointments = append(out.Appointments, a)
	}
	writeJSON(w, http.StatusOK, out)
}
