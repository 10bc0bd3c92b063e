package http

import (
	"fmt"
	"net/http"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// handleDeviceStatus records a device's report about itself (POST
// /api/v1/halls/{hall}/devices/status): a kiosk says its printer is out of paper. Only enrolled
// kiosks of the hall may report (a display has no printer); the state shows in the hall's
// snapshot and stream, there without the device ID.
func (s *Server) handleDeviceStatus(w http.ResponseWriter, r *http.Request) {
	p, h, ok := s.hallPrincipal(w, r, func(p *hall.Principal, code string) bool {
		return p.Device && p.Role == hall.RoleKiosk && p.InHall(code)
	},
		func(_ *hall.Principal, code string) string {
			return fmt.Sprintf("only a kiosk of hall %q may report its printer", code)
		})
	if !ok {
		return
	}
	var body hall.DeviceReport
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.cfg.Queue.ReportDevice(r.Context(), h.Code, p.Subject, body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// canPublish reports whether the principal may manage the hall's notice line.
func canPublish(p *hall.Principal, code string) bool {
	return (p.Role == hall.RoleAdmin || p.Role == hall.RoleSupervisor) && p.InHall(code)
}

// handlePublishNotice adds an announcement to a hall's notice line (supervisor, admin).
func (s *Server) handlePublishNotice(w http.ResponseWriter, r *http.Request) {
	p, h, ok := s.hallPrincipal(w, r, canPublish, func(*hall.Principal, string) string {
		return "only the supervising office or an administrator may publish notices"
	})
	if !ok {
		return
	}
	var body wire.NoticeRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.cfg.Queue.PublishNotice(r.Context(), h.Code, body.Text, p.Subject)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, n)
}

// handleWithdrawNotice removes an announcement (supervisor, admin).
func (s *Server) handleWithdrawNotice(w http.ResponseWriter, r *http.Request) {
	p, h, ok := s.hallPrincipal(w, r, canPublish, func(*hall.Principal, string) string {
		return "only the supervising office or an administrator may withdraw notices"
	})
	if !ok {
		return
	}
	if err := s.cfg.Queue.WithdrawNotice(r.Context(), h.Code, r.PathValue("id"), p.Subject); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
