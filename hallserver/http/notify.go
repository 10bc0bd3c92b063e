package http

import (
	"context"
	"errors"
	"net/http"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/notify"
	"onedoor/hallserver/wire"
)

// NotifyAdmin is the notifier as the admin API sees it (notify.Notifier).
type NotifyAdmin interface {
	Status() notify.Status
	DeadLetters(ctx context.Context) ([]hall.Notification, error)
	Retry(ctx context.Context, key string) error
}

// maxDeadShown bounds the dead letters one answer lists (the oldest first).
const maxDeadShown = 500

// handleNotifications answers GET /api/v1/admin/notifications: the notifier's progress and its
// dead letters (robot keys and e-mail addresses are an administrator's to see).
func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.adminPrincipal(w, r); !ok {
		return
	}
	if s.cfg.Notify == nil {
		s.writeError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "this server runs no notifier"))
		return
	}
	dead, err := s.cfg.Notify.DeadLetters(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st := s.cfg.Notify.Status()
	out := wire.Notifications{Cursor: st.Cursor, LastSeq: st.LastSeq, Pending: st.Pending, Dead: len(dead),
		Delivered: st.Delivered, Failures: st.Failures, DeadLetters: dead}
	if len(out.DeadLetters) > maxDeadShown {
		out.DeadLetters = out.DeadLetters[:maxDeadShown]
	}
	writeJSON(w, http.StatusOK, out)
}

// handleRetryNotification answers POST /api/v1/admin/notifications/retry {"key"}: the dead
// letter is due again with a fresh count of attempts.
func (s *Server) handleRetryNotification(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.adminPrincipal(w, r); !ok {
		return
	}
	if s.cfg.Notify == nil {
		s.writeError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "this server runs no notifier"))
		return
	}
	var req wire.RetryNotification
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Key == "" || len(req.Key) > 300 {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "key", "key must name a dead letter (1 to 300 characters)"))
		return
	}
	err := s.cfg.Notify.Retry(r.Context(), req.Key)
	if errors.Is(err, notify.ErrNotFound) {
		err = hall.Errorf(hall.ENOTFOUND, "key", "no dead letter has this key")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.RetryNotification{Key: req.Key})
}
