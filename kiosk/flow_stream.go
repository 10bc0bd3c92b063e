package kiosk

import (
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// streamView is what the flow keeps of the hall's stream beyond State.
type streamView struct {
	seq      uint64 // last stream seq applied
	haveSnap bool
	full     map[string]bool // services the server said are full today
	// hours are the services' opening hours from the hall information (ApplyHallInfo).
	hours map[string]hall.Text
}

// ServiceView is a service button of the home screen. Its Closed (from the snapshot, or from
// a 409 service_closed / quota_reached) greys it out with when it issues again (issueNote).
type ServiceView struct {
	hall.ServiceStatus
	Full bool // the server said no more numbers today
	// Hours are the service's opening hours from the hall information ("周一至周五
	// 08:30–11:30、14:00–17:00"), empty when not known (then the catalogue's stand in).
	Hours hall.Text
}

// ApplyHallInfo takes the services' opening hours from the hall information (GET
// /api/v1/halls/{hall}): they replace the catalogue's demo text beside a service nobody serves.
func (f *Flow) ApplyHallInfo(h *wire.Hall) {
	if h == nil {
		return
	}
	f.update(func() {
		// The server's word stands: a service without hours there has none shown here either
		// (the catalogue's text was only for a kiosk that never reached the server).
		f.st.OpeningHours = hall.Text{}
		f.view.hours = map[string]hall.Text{}
		for _, sv := range h.Services {
			f.view.hours[sv.Code] = sv.HoursText
		}
		views := append([]ServiceView(nil), f.st.Services...)
		for i := range views {
			views[i].Hours = f.view.hours[views[i].Code]
		}
		f.setServicesLocked(views)
	})
}

// closedNote says when a service nobody serves opens, as people read it at now: "明天 08:30
// 开始办理" from the server's opensAt, else its opening hours ("办理时间 周一至周五 …", the hall
// information's or the fallback), else nothing.
func closedNote(v ServiceView, now time.Time, loc *time.Location, fallback hall.Text) hall.Text {
	if v.OpensAt != nil && v.OpensAt.After(now) {
		return hall.OpensText(*v.OpensAt, now, loc)
	}
	h := v.Hours
	if h.Zh == "" {
		h = fallback
	}
	if h.Zh == "" {
		return hall.Text{}
	}
	return hall.Text{Zh: T("zh", "home.hours", h.Zh), En: T("en", "home.hours", h.In("en"))}
}

// ApplySnapshot replaces the hall's state (a stream snapshot or a fetched one). Snapshots older
// than what the flow has seen are ignored.
func (f *Flow) ApplySnapshot(s *hall.Snapshot) {
	f.update(func() {
		if f.view.haveSnap && s.Seq < f.view.seq {
			return
		}
		f.view.seq = s.Seq
		f.view.haveSnap = true
		if s.Name != f.st.HallName {
			f.st.HallName = s.Name
			f.st.Rev++
		}
		views := make([]ServiceView, 0, len(s.Services))
		for _, sv := range s.Services {
			if sv.OutOfSeason { // a seasonal service outside its range is not shown at all
				continue
			}
			views = append(views, ServiceView{ServiceStatus: sv, Hours: f.view.hours[sv.Code]})
		}
		f.setServicesLocked(views)
		f.applyFullLocked()
		// A late snapshot (or a server clock behind the kiosk's) may give a time that has come:
		// the same rule as Tick, at once.
		f.expireOpensLocked(f.cfg.Now())
		f.setNoticesLocked(append([]hall.Notice(nil), s.Notices...))
		f.refreshOnlineLocked()
	})
}

// setNoticesLocked installs the notice line; its appearing or disappearing rebuilds the screen.
func (f *Flow) setNoticesLocked(ns []hall.Notice) {
	if (len(ns) == 0) != (len(f.st.Notices) == 0) {
		f.st.Rev++
	}
	f.st.Notices = ns
}

// applyNoticeLocked applies notice.published (a new notice goes last; a known ID is replaced in
// place) and notice.withdrawn (removed).
func (f *Flow) applyNoticeLocked(e *hall.Event) {
	if e.Notice == nil {
		return
	}
	ns := make([]hall.Notice, 0, len(f.st.Notices)+1)
	found := false
	for _, n := range f.st.Notices {
		if n.ID != e.Notice.ID {
			ns = append(ns, n)
			continue
		}
		found = true
		if e.Type == hall.EventNotice {
			ns = append(ns, *e.Notice)
		}
	}
	if e.Type == hall.EventNotice && !found {
		ns = append(ns, *e.Notice)
	}
	f.setNoticesLocked(ns)
}

// ApplyEvent applies a stream event: the waiting counts and the notice line. It reports whether the event may have
// changed what a snapshot shows beyond the counts (ETAs, open services), so the caller can
// fetch a fresh snapshot.
func (f *Flow) ApplyEvent(e *hall.Event) bool {
	f.update(func() {
		if e.Seq <= f.view.seq {
			return
		}
		f.view.seq = e.Seq
		switch e.Type {
		case hall.EventDayReset:
			f.view.full = map[string]bool{}
		case hall.EventNotice, hall.EventNoticeGone:
			f.applyNoticeLocked(e)
		}
		if e.Waiting == nil {
			return
		}
		views := append([]ServiceView(nil), f.st.Services...)
		for i := range views {
			if n, ok := e.Waiting[views[i].Code]; ok {
				views[i].Waiting = n
			}
		}
		f.setServicesLocked(views)
	})
	return true
}

// setServicesLocked installs new service views; a change of the set, of open or of full
// rebuilds the screen, a change of counts only is live.
func (f *Flow) setServicesLocked(views []ServiceView) {
	old := f.st.Services
	structural := len(old) != len(views)
	for i := 0; !structural && i < len(views); i++ {
		structural = old[i].Code != views[i].Code || old[i].Open != views[i].Open ||
			old[i].Full != views[i].Full || old[i].Name != views[i].Name || old[i].Hours != views[i].Hours ||
			!sameTime(old[i].OpensAt, views[i].OpensAt) || old[i].Closed != views[i].Closed ||
			!sameTime(old[i].NextIssueAt, views[i].NextIssueAt) || old[i].Until != views[i].Until
	}
	f.st.Services = views
	if structural {
		f.st.Rev++
	}
}

// applyFullLocked marks the services the server said are full.
func (f *Flow) applyFullLocked() {
	views := append([]ServiceView(nil), f.st.Services...)
	for i := range views {
		views[i].Full = f.view.full[views[i].Code]
	}
	f.setServicesLocked(views)
}

// sameTime reports whether two optional times are the same instant (or both absent).
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// expireOpensLocked forgets the opening times that have come (the hours began but nobody serves
// yet: the screen says no time rather than one in the past) and rebuilds the screen then. A
// service closed for tickets until a time that has come is offered again (the next snapshot
// has the server's word, when its times are still to come). Tick and ApplySnapshot run it.
func (f *Flow) expireOpensLocked(now time.Time) {
	var views []ServiceView
	for i, v := range f.st.Services {
		if v.OpensAt != nil && !now.Before(*v.OpensAt) {
			if views == nil {
				views = append([]ServiceView(nil), f.st.Services...)
			}
			views[i].OpensAt = nil
		}
		if v.Closed != "" && v.NextIssueAt != nil && !now.Before(*v.NextIssueAt) {
			if views == nil {
				views = append([]ServiceView(nil), f.st.Services...)
			}
			views[i].Closed, views[i].NextIssueAt = "", nil
		}
	}
	if views != nil {
		f.setServicesLocked(views)
	}
}

// Takes reports whether the service takes a ticket now: not full, not closed for tickets.
func (v ServiceView) Takes() bool { return !v.Full && v.Closed == "" }

// issueNote says why a service takes no tickets now and when it does again: "今日号已取完 ·
// 明天 08:30 开始办理" / "No more numbers today · opens tomorrow 08:30" past its quota, "暂停取号 ·
// 14:00 开始办理" / "Not issuing now · opens 14:00" outside its hours.
func issueNote(v ServiceView, now time.Time, loc *time.Location) hall.Text {
	key := Msg("home.notissuing")
	if v.Full || v.Closed == hall.EQUOTAREACHED {
		key = "home.full"
	}
	out := hall.Text{Zh: T("zh", key), En: T("en", key)}
	if v.NextIssueAt != nil && v.NextIssueAt.After(now) {
		o := hall.OpensText(*v.NextIssueAt, now, loc)
		out.Zh += "  ·  " + o.Zh
		out.En += "  ·  " + o.En
	}
	return out
}

// markClosedLocked greys out a service the server refused a ticket for (409 service_closed or
// quota_reached) until opensAt.
func (f *Flow) markClosedLocked(code, reason string, opensAt *time.Time) {
	views := append([]ServiceView(nil), f.st.Services...)
	for i := range views {
		if views[i].Code == code {
			views[i].Closed, views[i].NextIssueAt = reason, opensAt
		}
	}
	f.setServicesLocked(views)
}
