package http

import (
	"net/http"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/hall"
)

// Streams by owner: every stream opened with staff or device credentials is listed under its
// owner, so that disabling or changing an account, or revoking a device, closes its open
// streams at once (close code 1008, reasonRevoked); the client's reconnect is then refused
// (401) or served with the new rights.

// reasonRevoked is the close reason of a stream whose credentials were revoked or changed.
const reasonRevoked = "credentials revoked or changed, sign in again"

// ownerKey names a principal among stream owners: staff and devices apart.
func ownerKey(p *hall.Principal) string {
	if p.Device {
		return "device:" + p.Subject
	}
	return "staff:" + p.Subject
}

// ownStream lists sc under owner, then checks that the request's credentials still hold: a
// change committed between the handler's authentication and the listing would otherwise miss
// the stream (closeStreamsOf runs after the commit, so either it finds the stream listed or the
// check here sees the change). It reports false when they no longer hold.
func (s *Server) ownStream(owner string, sc *streamConn, r *http.Request) bool {
	s.ownersMu.Lock()
	if s.owners == nil {
		s.owners = map[string]map[*streamConn]struct{}{}
	}
	set := s.owners[owner]
	if set == nil {
		set = map[*streamConn]struct{}{}
		s.owners[owner] = set
	}
	set[sc] = struct{}{}
	sc.owner = owner
	s.ownersMu.Unlock()
	return s.streamOwner(r) == owner
}

// disownStream removes sc from its owner's list.
func (s *Server) disownStream(owner string, sc *streamConn) {
	s.ownersMu.Lock()
	defer s.ownersMu.Unlock()
	if set := s.owners[owner]; set != nil {
		delete(set, sc)
		if len(set) == 0 {
			delete(s.owners, owner)
		}
	}
}

// closeStreamsOf closes every open stream of the owner and returns how many.
func (s *Server) closeStreamsOf(owner string) int {
	s.ownersMu.Lock()
	conns := make([]*streamConn, 0, len(s.owners[owner]))
	for sc := range s.owners[owner] {
		conns = append(conns, sc)
	}
	s.ownersMu.Unlock()
	for _, sc := range conns {
		sc.stop(websocket.ClosePolicyViolation, reasonRevoked)
	}
	return len(conns)
}
