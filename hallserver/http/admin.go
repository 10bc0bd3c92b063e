package http

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"onedoor/hallserver/hall"
)

// BackupFile is a consistent copy of the data file, taken before the download starts (the store
// writes it to a temporary file next to the data file: bolt.Snapshot), so that a slow or stalled
// client never holds the store's read transaction. Close removes it.
type BackupFile interface {
	io.Reader
	io.Closer
	// Size is the length of the copy in bytes.
	Size() int64
}

// The write deadline of a backup download: backupBaseTime plus the time the copy takes at
// backupMinRate. A client slower than that (or one that stops reading) is cut off, which frees
// the one backup slot and removes the temporary copy. 1 MiB/s is far below any campus network.
const (
	backupBaseTime = time.Minute
	backupMinRate  = 1 << 20 // bytes per second
)

// backupWriteTime is how long the download of a copy of size bytes may take.
func backupWriteTime(size int64) time.Duration {
	return backupBaseTime + time.Duration(size/backupMinRate)*time.Second
}

// handleBackup streams a consistent copy of the data file (GET /api/v1/admin/backup, admin only).
// The copy is taken into a temporary file first (the store's read transaction lasts only as long
// as that local copy), then streamed with Content-Length and a write deadline sized for it. One
// backup at a time: a second one while the first is downloading is refused with 409.
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
	select {
	case s.backupSlot <- struct{}{}:
		defer func() { <-s.backupSlot }()
	default:
		s.writeError(w, r, hall.Errorf(hall.ECONFLICT, "", "a backup is being downloaded already; try again when it has finished"))
		return
	}
	f, err := s.cfg.Backup(r.Context())
	if err != nil {
		s.writeError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "the backup copy failed: %v", err))
		return
	}
	defer func() {
		if err := f.Close(); err != nil {
			s.log.Error("backup: remove the temporary copy", "err", err)
		}
	}()
	// No copy leaves without its audit entry.
	if s.cfg.Audit != nil {
		err := s.cfg.Audit.Record(r.Context(), hall.AuditEntry{At: s.now(), Actor: p.Subject, Kind: hall.AuditBackup,
			Target: "data file", Detail: fmt.Sprintf("bytes=%d from=%s", f.Size(), clientAddr(r))})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(backupWriteTime(f.Size()))); err != nil {
		s.log.Warn("backup: no write deadline", "err", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(f.Size(), 10))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="onedoor-%s.db"`, s.now().UTC().Format("20060102-150405")))
	if _, err := io.Copy(w, f); err != nil {
		// Headers are gone: the client sees a truncated body (hallctl then keeps no file).
		s.log.Error("backup", "err", err)
		panic(http.ErrAbortHandler)
	}
}
