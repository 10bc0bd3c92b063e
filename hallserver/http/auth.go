package http

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// Cookie names. The session cookie is HttpOnly; the CSRF cookie is readable by the page's script,
// which copies it into the X-CSRF-Token header (double submit, bound to the session by an HMAC).
const (
	sessionCookie = "onedoor_session"
	csrfCookie    = "onedoor_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// csrfToken derives the CSRF token of a session token: an HMAC keyed by the session token, so
// only who can read the (HttpOnly) session can compute it, and it survives server restarts.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("onedoor csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// authenticate resolves the request's credentials: an Authorization: Bearer token (session or
// device) or the session cookie. It returns EUNAUTHORIZED when there are none or they are bad, and
// enforces the CSRF header on cookie-authenticated requests that change state.
func (s *Server) authenticate(r *http.Request) (*hall.Principal, error) {
	token, cookie := "", false
	if a := r.Header.Get("Authorization"); a != "" {
		scheme, t, ok := strings.Cut(a, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(t) == "" {
			return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "the Authorization header must be \"Bearer <token>\"")
		}
		token = strings.TrimSpace(t)
	} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		token, cookie = c.Value, true
	}
	if token == "" {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "sign in or send a bearer token")
	}
	if len(token) > 512 {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "invalid token")
	}
	p, err := s.cfg.Auth.Authenticate(r.Context(), token)
	if err != nil {
		switch hall.ErrorCode(err) {
		case hall.EUNAUTHORIZED, hall.ENOTFOUND, hall.EINVALID:
			return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "invalid or expired token")
		}
		return nil, err
	}
	if p == nil {
		return nil, hall.Errorf(hall.EUNAUTHORIZED, "", "invalid or expired token")
	}
	if cookie && !safeMethod(r.Method) {
		got := r.Header.Get(csrfHeader)
		if got == "" || !hmac.Equal([]byte(got), []byte(csrfToken(token))) {
			return nil, hall.Errorf(hall.EFORBIDDEN, csrfHeader, "missing or wrong %s header (requests signed in by cookie must send it)", csrfHeader)
		}
	}
	return p, nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	// Login CSRF: another site's form (text/plain can carry a JSON body) must not sign the
	// browser in to an account of the attacker's choosing. Browsers send Origin on every POST;
	// programs send none.
	if !s.sameOrigin(r) {
		s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "Origin", "sign in from this server's pages"))
		return
	}
	var req wire.LoginRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Username == "" {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "username", "username is required"))
		return
	}
	if req.Password == "" {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "password", "password is required"))
		return
	}
	at := &attempt{account: accountKey(req.Username), addr: clientAddr(r)}
	if c, err := r.Cookie(deviceCookie); err == nil {
		at.device = deviceKey(c.Value)
	}
	if wait, locked := s.logins.admit(at); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		if locked {
			s.log.Warn("sign-in refused: locked", "username", logName(req.Username), "addr", at.addr, "retryAfter", wait.Round(time.Second))
			s.writeError(w, r, hall.Errorf(ETOOMANY, "", "too many failed sign-ins; try again in %s, or from a computer that has signed in to this account before", wait.Round(time.Second)))
		} else {
			s.writeError(w, r, hall.Errorf(ETOOMANY, "", "too many sign-ins on the server right now; try again in a moment"))
		}
		return
	}
	token, p, err := s.cfg.Auth.Login(hall.WithClientAddr(r.Context(), at.addr), req.Username, req.Password)
	if err != nil {
		switch hall.ErrorCode(err) {
		case hall.EUNAUTHORIZED, hall.ENOTFOUND, hall.EINVALID, hall.EFORBIDDEN:
			s.logins.fail(at)
			s.log.Info("sign-in failed", "username", logName(req.Username), "addr", at.addr, "knownDevice", at.known)
			err = hall.Errorf(hall.EUNAUTHORIZED, "", "wrong username or password")
		}
		s.writeError(w, r, err)
		return
	}
	secure := r.TLS != nil || strings.HasPrefix(s.cfg.PublicURL, "https://")
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: s.logins.succeed(at), Path: deviceCookiePath,
		MaxAge: int(deviceCookieAge / time.Second), HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	csrf := csrfToken(token)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", Secure: secure, SameSite: http.SameSiteStrictMode})
	out := wire.Session{Token: token, CSRFToken: csrf, Username: req.Username}
	if p != nil {
		out.Username, out.Role, out.Halls = p.Subject, p.Role, p.Halls
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if p.Device {
		s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "", "device tokens are not sessions; revoke them with hallctl"))
		return
	}
	token := ""
	if a := r.Header.Get("Authorization"); a != "" {
		_, token, _ = strings.Cut(a, " ")
		token = strings.TrimSpace(token)
	} else if c, err := r.Cookie(sessionCookie); err == nil {
		token = c.Value
	}
	if err := s.cfg.Auth.Logout(r.Context(), token); err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
		s.writeError(w, r, err)
		return
	}
	for _, n := range []string{sessionCookie, csrfCookie} {
		http.SetCookie(w, &http.Cookie{Name: n, Value: "", Path: "/", MaxAge: -1, HttpOnly: n == sessionCookie, SameSite: http.SameSiteStrictMode})
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// logName is a username as the log shows it: at most 64 characters.
func logName(u string) string {
	if r := []rune(u); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return u
}
