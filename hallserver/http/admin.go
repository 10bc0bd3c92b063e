package http

import (
	"fmt"
	"net/http"
	"time"

	"onedoor/hallserver/hall"
)

// handleBackup streams a consistent copy of the data file (GET /api/v1/admin/backup, admin only).
// The copy is taken in one read transaction, so the server keeps serving while it is written.
func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if p.Role != hall.RoleAdmin {
		s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "", "only an administrator may download a backup"))
		return
	}
	if s.cfg.Backup == nil {
		s.writeError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "this server has no backup source"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="onedoor-%s.db"`, time.Now().UTC().Format("20060102-150405")))
	if _, err := s.cfg.Backup(r.Context(), w); err != nil {
		// Headers are gone: the client sees a truncated body (hallctl then keeps no file).
		s.log.Error("backup", "err", err)
		panic(http.ErrAbortHandler)
	}
}
