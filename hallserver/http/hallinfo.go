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

// handleHeartbeat records a kiosk's or display's heartbeat (POST
// /api/v1/halls/{hall}/devices/heartbeat, every 15 s and on change): version, printer, outbox.
// Only enrolled devices of the hall may send one; the alerts it raises or clears reach the
// hall's staff on the stream as device.alert events.
func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	p, h, ok := s.hallPrincipal(w, r, func(p *hall.Principal, code string) bool {
		return p.Device && p.Role.Device() && p.InHall(code)
	},
		func(_ *hall.Principal, code string) string {
			return fmt.Sprintf("only a kiosk or display of hall %q sends heartbeats", code)
		})
	if !ok {
		return
	}
	var body hall.DeviceHeartbeat
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if p.Role != hall.RoleKiosk && (body.Printer != "" || body.Outbox != nil) {
		field := "printer"
		if body.Printer == "" {
			field = "outbox"
		}
		s.writeError(w, r, hall.Errorf(hall.EINVALID, field, "a %s has no %s", p.Role, field))
		return
	}
	hl, err := s.cfg.Queue.Heartbeat(r.Context(), h.Code, hall.DeviceRef{ID: p.Subject, Role: p.Role, Name: p.Name}, body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, hl)
}

// seesDeviceHealth reports whether the principal may see the hall's device health: staff of the
// hall (counter staff, the supervising office) and administrators.
func seesDeviceHealth(p *hall.Principal, code string) bool {
	if p == nil || p.Device {
		return false
	}
	switch p.Role {
	case hall.RoleAdmin, hall.RoleSupervisor, hall.RoleCounter:
		return p.InHall(code)
	}
	return false
}

// handleDeviceHealth lists the hall's devices with their health (GET
// /api/v1/halls/{hall}/devices): last seen, version, printer, outbox, active alerts.
func (s *Server) handleDeviceHealth(w http.ResponseWriter, r *http.Request) {
	_, h, ok := s.hallPrincipal(w, r, seesDeviceHealth, func(p *hall.Principal, code string) string {
		return fmt.Sprintf("%s %q may not see the devices of hall %q", p.Role, p.Subject, code)
	})
	if !ok {
		return
	}
	devs, err := s.cfg.Queue.DeviceHealth(r.Context(), h.Code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.HallDevices{Devices: devs})
}
