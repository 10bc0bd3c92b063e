package http

import (
	"net/http"
	"time"

	"onedoor/hallserver/hall"
)

// acquireStream takes a place for a public stream from the request's client address, or returns
// an ETOOMANY error when the address already holds Config.MaxStreamsPerAddr public streams and
// the server is under pressure (Config.UnderPressure): with room, one address (a campus NAT with
// thousands of phones behind it) may hold any number.
// Requests carrying valid staff or device credentials (credentialed: streamOwner found one) are
// not counted (release is then a no-op). The caller must call release when the stream ends.
func (s *Server) acquireStream(r *http.Request, credentialed bool) (release func(), err error) {
	if s.cfg.MaxStreamsPerAddr <= 0 || credentialed {
		return func() {}, nil
	}
	a := clientAddr(r)
	s.streamsMu.Lock()
	defer s.streamsMu.Unlock()
	if s.streamsByAddr[a] >= s.cfg.MaxStreamsPerAddr && (s.cfg.UnderPressure == nil || s.cfg.UnderPressure()) {
		s.metrics.refused.WithLabelValues("per_ip").Inc()
		if now := s.now(); now.Sub(s.streamsLogged) >= 10*time.Second {
			s.streamsLogged = now
			s.log.Warn("public stream refused: the server is under pressure and the address at its cap (logged at most every 10 s)", "addr", a, "max_streams_per_ip", s.cfg.MaxStreamsPerAddr)
		}
		return nil, hall.Errorf(ETOOMANY, "", "the server is busy and this address holds too many open streams (at most %d); close one and retry", s.cfg.MaxStreamsPerAddr)
	}
	s.streamsByAddr[a]++
	return func() {
		s.streamsMu.Lock()
		defer s.streamsMu.Unlock()
		if n := s.streamsByAddr[a] - 1; n > 0 {
			s.streamsByAddr[a] = n
		} else {
			delete(s.streamsByAddr, a)
		}
	}, nil
}

// streamOwner returns the owner key (ownerKey) of the valid staff or device credentials the
// request carries (a bearer token or the session cookie), "" when it carries none or bad ones.
func (s *Server) streamOwner(r *http.Request) string {
	if r.Header.Get("Authorization") == "" {
		if c, err := r.Cookie(sessionCookie); err != nil || c.Value == "" {
			return ""
		}
	}
	p, err := s.authenticate(r)
	if err != nil || p == nil {
		return ""
	}
	return ownerKey(p)
}
