package http

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// Identity, optional (issue 15): requesters may sign in through the campus single sign-on
// (统一身份认证, CAS) or, inside the WeChat Work app, through WeChat Work OAuth, and then see
// their own requests at /my without keeping follow links; staff may sign in through CAS to the
// staff account the CAS user maps to.
//
//	GET /auth/cas/login?next=/my        → {cas}/login?service={public}/auth/cas/callback?next=…&s=…
//	GET /auth/cas/callback?ticket=…     → validates the ticket for the very same service URL,
//	                                      starts a requester session, 303 to next
//	GET /auth/cas/staff?next=/cases     → the same for staff: {public}/auth/cas/staff/callback…
//	GET /auth/wecom/login?next=/my      → open.weixin.qq.com/connect/oauth2/authorize?…&state=…
//	GET /auth/wecom/callback?code&state → getuserinfo, a requester session, 303 to next
//	GET /api/v1/me/requests             → the requester's cases (requester session)
//	DELETE /api/v1/me/requester         → sign out
//	GET /my                             → the mobile page of one's requests
//
// Every sign-in carries a one-use nonce in a short-lived cookie (onedoor_sso) and in the return
// URL (s= for CAS, the state for WeChat Work): a ticket or code obtained by someone else cannot
// sign this browser in to their account (login CSRF). next is only ever a path of this site
// (safeNext): no open redirect.

// CASLogin is the campus sign-on (package sso's CAS): where the browser signs in for a service
// URL, and the validation of the ticket it brings back for the same service URL. A ticket the
// server does not confirm is an EUNAUTHORIZED hall error.
type CASLogin interface {
	LoginURL(service string) string
	Validate(ctx context.Context, ticket, service string) (hall.Identity, error)
}

// WeComLogin is WeChat Work OAuth (package sso's WeCom): the authorize URL of a callback and a
// state, and the member a code names. A code WeChat Work does not confirm is EUNAUTHORIZED.
type WeComLogin interface {
	AuthorizeURL(redirectURI, state string) string
	UserInfo(ctx context.Context, code string) (hall.Identity, error)
}

// Cookies of the requester's sign-in: the session (HttpOnly, SameSite=Lax so that the page
// opened from a WeChat Work message or a link is signed in, Secure on TLS) and the sign-in
// nonce (HttpOnly, only under /auth/, ten minutes).
const (
	requesterCookie  = "onedoor_requester"
	requesterAge     = 7 * 24 * time.Hour // the store's session lasts as long (bolt.RequesterSessionTTL)
	ssoNonceCookie   = "onedoor_sso"
	ssoNonceAge      = 10 * time.Minute
	maxNext          = 512
	myRequestsLimit  = 100
	defaultNextStaff = "/cases"
	defaultNextMy    = "/my"
)

// safeNext checks a return path: empty gives def; otherwise a path of this site ("/…", not
// "//host" nor "/\host", no scheme, no host, no control characters, at most maxNext bytes).
func safeNext(next, def string) (string, error) {
	if next == "" {
		return def, nil
	}
	bad := func() (string, error) {
		return "", hall.Errorf(hall.EINVALID, "next", "next must be a path of this site (\"/my\"), not another site")
	}
	if len(next) > maxNext || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\\\r\n\t\x00") {
		return bad()
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return bad()
	}
	return next, nil
}

// publicBase is the server's public base URL: Config.PublicURL, else the request's own.
func (s *Server) publicBase(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.cfg.PublicURL, "https://")
}

// casService is the service URL of a CAS sign-in: the callback with next and the nonce. The
// login and the validation build it by this one function, so it is the same string in both.
func (s *Server) casService(r *http.Request, callback, next, nonce string) string {
	return s.publicBase(r) + callback + "?" + url.Values{"next": {next}, "s": {nonce}}.Encode()
}

// newNonce sets a fresh sign-in nonce cookie and returns it (32 hex digits: WeChat Work's
// state allows a-zA-Z0-9).
func (s *Server) newNonce(w http.ResponseWriter, r *http.Request) string {
	var b [16]byte
	rand.Read(b[:])
	n := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: ssoNonceCookie, Value: n, Path: "/auth/", MaxAge: int(ssoNonceAge / time.Second),
		HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
	return n
}

// checkNonce compares the nonce the identity server sent back with the browser's cookie and
// clears the cookie (one use).
func (s *Server) checkNonce(w http.ResponseWriter, r *http.Request, field, got string) error {
	c, err := r.Cookie(ssoNonceCookie)
	http.SetCookie(w, &http.Cookie{Name: ssoNonceCookie, Value: "", Path: "/auth/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
	if err != nil || c.Value == "" || got == "" || !hmac.Equal([]byte(c.Value), []byte(got)) {
		return hall.Errorf(hall.EFORBIDDEN, field, "this sign-in was not started in this browser (or took longer than %s): sign in again", ssoNonceAge)
	}
	return nil
}

// signInError answers a failed sign-in step: a page for a browser (it navigated here), the JSON
// error for a program.
func (s *Server) signInError(w http.ResponseWriter, r *http.Request, err error) {
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		s.writeError(w, r, err)
		return
	}
	code := hall.ErrorCode(err)
	status := statusOf(code)
	if status >= 500 {
		s.log.Error("sign-in", "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	d := struct {
		Text  hall.Text
		Retry string
	}{signInText(code, hall.ErrorField(err)), "/my"}
	if strings.HasPrefix(r.URL.Path, "/auth/cas/staff") {
		d.Retry = "/cases"
	}
	if err := s.page.ExecuteTemplate(w, "signin.html", d); err != nil {
		s.log.Error("render sign-in page", "err", err)
	}
}

func (s *Server) handleCASLogin(w http.ResponseWriter, r *http.Request) {
	s.casLogin(w, r, "/auth/cas/callback", defaultNextMy)
}

func (s *Server) handleCASStaffLogin(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.cfg.Auth.(hall.ExternalLogin); !ok {
		s.signInError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "staff sign-in by the campus sign-on is not set up"))
		return
	}
	s.casLogin(w, r, "/auth/cas/staff/callback", defaultNextStaff)
}

func (s *Server) casLogin(w http.ResponseWriter, r *http.Request, callback, def string) {
	if s.cfg.CAS == nil {
		s.signInError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "the campus sign-on is not set up (-cas-url)"))
		return
	}
	next, err := safeNext(r.URL.Query().Get("next"), def)
	if err != nil {
		s.signInError(w, r, err)
		return
	}
	nonce := s.newNonce(w, r)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.cfg.CAS.LoginURL(s.casService(r, callback, next, nonce)), http.StatusFound)
}

// casTicket validates the callback's ticket and returns who signed in and where to go.
func (s *Server) casTicket(w http.ResponseWriter, r *http.Request, callback, def string) (hall.Identity, string, error) {
	if s.cfg.CAS == nil {
		return hall.Identity{}, "", hall.Errorf(hall.EUNAVAILABLE, "", "the campus sign-on is not set up (-cas-url)")
	}
	q := r.URL.Query()
	next, err := safeNext(q.Get("next"), def)
	if err != nil {
		return hall.Identity{}, "", err
	}
	ticket := q.Get("ticket")
	if ticket == "" || len(ticket) > 256 {
		return hall.Identity{}, "", hall.Errorf(hall.EINVALID, "ticket", "ticket is required (the campus sign-on sends it back)")
	}
	if err := s.checkNonce(w, r, "s", q.Get("s")); err != nil {
		return hall.Identity{}, "", err
	}
	// The service URL again, from the same parts: the raw next, so that it is the very string
	// the login sent even when next was empty.
	id, err := s.cfg.CAS.Validate(r.Context(), ticket, s.casService(r, callback, q.Get("next"), q.Get("s")))
	if err != nil {
		return hall.Identity{}, "", err
	}
	return id, next, nil
}

func (s *Server) handleCASCallback(w http.ResponseWriter, r *http.Request) {
	id, next, err := s.casTicket(w, r, "/auth/cas/callback", defaultNextMy)
	if err == nil {
		err = s.startRequesterSession(w, r, id)
	}
	if err != nil {
		s.signInError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleCASStaffCallback(w http.ResponseWriter, r *http.Request) {
	ext, ok := s.cfg.Auth.(hall.ExternalLogin)
	if !ok {
		s.signInError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "staff sign-in by the campus sign-on is not set up"))
		return
	}
	id, next, err := s.casTicket(w, r, "/auth/cas/staff/callback", defaultNextStaff)
	if err != nil {
		s.signInError(w, r, err)
		return
	}
	addr := clientAddr(r)
	token, _, err := ext.LoginExternal(hall.WithClientAddr(r.Context(), addr), hall.IdentityCAS, id.ID)
	if err != nil {
		if hall.ErrorCode(err) == hall.EUNAUTHORIZED {
			s.log.Info("campus sign-on refused: no staff account", "user", logName(id.ID), "addr", addr)
			err = hall.Errorf(hall.EFORBIDDEN, "user", "the campus account %q has no staff account here: ask an administrator", logName(id.ID))
		}
		s.signInError(w, r, err)
		return
	}
	secure := s.secureCookies(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrfToken(token), Path: "/", Secure: secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleWeComLogin(w http.ResponseWriter, r *http.Request) {
	if s.cfg.WeCom == nil {
		s.signInError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "WeChat Work sign-in is not set up (-wecom-corp, -wecom-secret)"))
		return
	}
	next, err := safeNext(r.URL.Query().Get("next"), defaultNextMy)
	if err != nil {
		s.signInError(w, r, err)
		return
	}
	state := s.newNonce(w, r)
	cb := s.publicBase(r) + "/auth/wecom/callback?" + url.Values{"next": {next}}.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.cfg.WeCom.AuthorizeURL(cb, state), http.StatusFound)
}

func (s *Server) handleWeComCallback(w http.ResponseWriter, r *http.Request) {
	err := func() error {
		if s.cfg.WeCom == nil {
			return hall.Errorf(hall.EUNAVAILABLE, "", "WeChat Work sign-in is not set up (-wecom-corp, -wecom-secret)")
		}
		q := r.URL.Query()
		next, err := safeNext(q.Get("next"), defaultNextMy)
		if err != nil {
			return err
		}
		code := q.Get("code")
		if code == "" || len(code) > 512 {
			return hall.Errorf(hall.EINVALID, "code", "code is required (WeChat Work sends it back)")
		}
		if err := s.checkNonce(w, r, "state", q.Get("state")); err != nil {
			return err
		}
		id, err := s.cfg.WeCom.UserInfo(r.Context(), code)
		if err != nil {
			return err
		}
		if err := s.startRequesterSession(w, r, id); err != nil {
			return err
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}()
	if err != nil {
		s.signInError(w, r, err)
	}
}

// startRequesterSession stores a session of the identity and sets its cookie.
func (s *Server) startRequesterSession(w http.ResponseWriter, r *http.Request, id hall.Identity) error {
	if s.cfg.Requesters == nil {
		return hall.Errorf(hall.EUNAVAILABLE, "", "requester sign-in is not set up")
	}
	token, err := s.cfg.Requesters.StartSession(r.Context(), id)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: requesterCookie, Value: token, Path: "/", MaxAge: int(requesterAge / time.Second),
		HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
	return nil
}

// requesterIdentity resolves the request's requester session: EUNAUTHORIZED without one (or
// with a bad, expired or ended one).
func (s *Server) requesterIdentity(r *http.Request) (*hall.Identity, string, error) {
	c, err := r.Cookie(requesterCookie)
	if err != nil || c.Value == "" {
		return nil, "", hall.Errorf(hall.EUNAUTHORIZED, "", "sign in with the campus sign-on or WeChat Work first")
	}
	if s.cfg.Requesters == nil {
		return nil, "", hall.Errorf(hall.EUNAVAILABLE, "", "requester sign-in is not set up")
	}
	id, err := s.cfg.Requesters.Session(r.Context(), c.Value)
	if err != nil {
		if hall.ErrorCode(err) == hall.EUNAUTHORIZED {
			return nil, "", hall.Errorf(hall.EUNAUTHORIZED, "", "the sign-in has expired or ended: sign in again")
		}
		return nil, "", err
	}
	return id, c.Value, nil
}

// Requester is the identified requester of the request, as the contact of a case they open
// (name and number from the identity server, the identity itself for "my requests"); false
// when the request has no valid requester session. The /ask portal and the follow page's web
// request use it.
func (s *Server) Requester(r *http.Request) (*hall.Requester, bool) {
	if s.cfg.Requester != nil {
		return s.cfg.Requester(r)
	}
	id, _, err := s.requesterIdentity(r)
	if err != nil {
		return nil, false
	}
	return &hall.Requester{Name: id.Name, PersonID: id.Number, Identity: id}, true
}

func (s *Server) handleMyRequests(w http.ResponseWriter, r *http.Request) {
	id, _, err := s.requesterIdentity(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.myRequests(r, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// myRequests is the requester's own list: who they are (the number masked) and their cases.
func (s *Server) myRequests(r *http.Request, id *hall.Identity) (*wire.MyRequests, error) {
	cs, err := s.cfg.Requesters.RequesterCases(r.Context(), *id, myRequestsLimit)
	if err != nil {
		return nil, err
	}
	out := &wire.MyRequests{
		Requester: wire.RequesterIdentity{Source: id.Source, Name: id.Name},
		Requests:  make([]wire.MyRequest, 0, len(cs)),
	}
	if id.Number != "" {
		out.Requester.Number = hall.MaskPersonID(id.Number)
	}
	for i := range cs {
		c := &cs[i]
		out.Requests = append(out.Requests, wire.MyRequest{
			Number: c.Number, FollowURL: s.publicBase(r) + "/c/" + c.Token, Kind: c.Kind, Title: c.Title,
			State: c.State, StateName: publicLabels().Case[c.State], Channel: c.Channel,
			DepartmentName: s.departmentName(c.Department), ReceivedAt: c.ReceivedAt, UpdatedAt: c.UpdatedAt,
		})
	}
	return out, nil
}

func (s *Server) handleRequesterLogout(w http.ResponseWriter, r *http.Request) {
	_, token, err := s.requesterIdentity(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.sameOrigin(r) {
		s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "Origin", "sign out from this server's pages"))
		return
	}
	if err := s.cfg.Requesters.EndSession(r.Context(), token); err != nil {
		s.writeError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: requesterCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
}

// myPageData is what my.html renders.
type myPageData struct {
	Signed bool
	Me     wire.RequesterIdentity
	Items  []myPageItem
	// Bookings are the appointments booked while signed in (nil when appointments are off).
	Bookings []myPageBooking
	CAS      bool // the campus sign-on is set up
	WeCom    bool // WeChat Work sign-in is set up
	Boot     pageBoot
}

// myPageBooking is a booking on /my: its service, time and state, and its page.
type myPageBooking struct {
	wire.Appointment
	When      string // "2026-12-03 09:00"
	StateName hall.Text
}

type myPageItem struct {
	wire.MyRequest
	KindName hall.Text
	Received string
}

// handleMyPage serves GET /my: the requester's requests, newest first, each with its state and
// follow link, or the sign-in choices.
func (s *Server) handleMyPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	d := myPageData{CAS: s.cfg.CAS != nil, WeCom: s.cfg.WeCom != nil, Boot: s.boot("my.js", nil)}
	status := http.StatusOK
	if id, _, err := s.requesterIdentity(r); err == nil {
		my, err := s.myRequests(r, id)
		if err != nil {
			s.log.Error("my requests", "err", err)
			status = statusOf(hall.ErrorCode(err))
		} else {
			d.Signed, d.Me = true, my.Requester
			loc := s.campusLoc()
			for _, it := range my.Requests {
				d.Items = append(d.Items, myPageItem{MyRequest: it, KindName: staffLabels().Kind[it.Kind],
					Received: it.ReceivedAt.In(loc).Format("2006-01-02 15:04")})
			}
			if s.cfg.Appointments != nil {
				as, err := s.cfg.Appointments.ByIdentity(r.Context(), id.Key(), myAppointmentsLimit)
				if err != nil {
					s.log.Error("my bookings", "err", err)
				}
				for i := range as {
					a := s.apptJSON(&as[i], false)
					d.Bookings = append(d.Bookings, myPageBooking{Appointment: a, When: a.Start.In(loc).Format("2006-01-02 15:04"),
						StateName: apptStateName(a)})
				}
			}
		}
	} else if hall.ErrorCode(err) != hall.EUNAUTHORIZED {
		status = statusOf(hall.ErrorCode(err))
	}
	w.WriteHeader(status)
	if err := s.page.ExecuteTemplate(w, "my.html", d); err != nil {
		s.log.Error("render my page", "err", err)
	}
}
