package http

import (
	"sync"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// Opening hours on the wire: where a service nobody serves is shown (a waiting ticket's follow
// view, the services of a hall's snapshot), the API adds when it opens next (opensAt, in the
// campus zone) from the campus's hours and calendar (hall.Schedule), so kiosks, phones and
// displays say "暂无窗口办理 · 08:30 开始办理" instead of a wait in minutes.

// hoursIndex holds the schedule of every service of every hall, built on first use and again
// after each campus change (by version).
type hoursIndex struct {
	mu      sync.Mutex
	version string
	by      map[string]hall.Schedule // "hall/service"
}

// schedule returns the opening hours of a service of a hall (the zero Schedule when none are
// configured).
func (s *Server) schedule(hallCode, service string) hall.Schedule {
	c, version := s.campusVersion()
	s.hours.mu.Lock()
	defer s.hours.mu.Unlock()
	if s.hours.by == nil || s.hours.version != version {
		s.hours.by, s.hours.version = map[string]hall.Schedule{}, version
		cal, err := cases.CampusCalendar(c)
		if err != nil {
			s.log.Error("opening hours: campus calendar", "err", err)
			return hall.Schedule{}
		}
		for i := range c.Halls {
			h := &c.Halls[i]
			for _, sv := range h.Services {
				sch, err := hall.NewSchedule(h.ServiceHours(sv.Code), cal.Loc, cal)
				if err != nil { // Campus.Validate refuses such a file: not reached with a loaded campus
					s.log.Error("opening hours", "hall", h.Code, "service", sv.Code, "err", err)
					continue
				}
				s.hours.by[h.Code+"/"+sv.Code] = sch
			}
		}
	}
	return s.hours.by[hallCode+"/"+service]
}

// opensAt returns when the service opens next while it is outside its hours now, nil within
// them or when its hours are not known.
func (s *Server) opensAt(hallCode, service string) *time.Time {
	return s.schedule(hallCode, service).OpensAt(s.now())
}

// withOpensAt returns the public snapshot with opensAt on each service outside its hours (a
// copy of the services: the snapshot may be shared).
func (s *Server) withOpensAt(snap *hall.Snapshot) *hall.Snapshot {
	if snap == nil {
		return nil
	}
	svcs := make([]hall.ServiceStatus, len(snap.Services))
	for i, sv := range snap.Services {
		sv.OpensAt = s.opensAt(snap.Hall, sv.Code)
		svcs[i] = sv
	}
	snap.Services = svcs
	return snap
}

// hoursText is what the hall information says of a service's opening hours ("周一至周五
// 08:30–11:30、14:00–17:00"), the zero Text when none are configured.
func hoursText(h *hall.Hall, service string) hall.Text {
	return hall.HoursText(h.ServiceHours(service))
}

// followOpensAt adds when the service opens to the follow view of a waiting ticket nobody
// serves.
func (s *Server) followOpensAt(f *wire.Follow) {
	if f.Unserved && f.State == hall.TicketWaiting {
		f.OpensAt = s.opensAt(f.Hall, f.Service)
	}
}
