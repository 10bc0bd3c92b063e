package http

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The booking pages (预约, issue 16), phones first: /book lists the hall's services that take
// bookings, the days one may book and, through the slots API, the free times; it books with a
// name and a phone and goes to the booking's page. /a/{token} is that page (what the booking's
// QR code holds): the code and the QR code to show at the kiosk, the time and the check-in
// window, cancel and reschedule; once checked in, the ticket's number and its follow page.

// bookService is a service on the booking page.
type bookService struct {
	Code string
	Name hall.Text
}

// bookDay is a day one may book.
type bookDay struct {
	Date  string // YYYY-MM-DD
	Label hall.Text
}

// bookPageData is what book.html renders.
type bookPageData struct {
	Halls    []wire.Hall // every hall (a select when there are several)
	Hall     string
	HallName hall.Text
	Services []bookService
	Days     []bookDay
	// Signed is a requester signed in on the portal (CAS, WeChat Work): the booking is made
	// under their identity, the name typed only when it has none (Me), the phone optional.
	Signed bool
	Me     string
	Boot   pageBoot
}

var weekdayZh = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// dayLabel names a local date for people: "12月3日 周四" / "Thu 3 Dec".
func dayLabel(t time.Time) hall.Text {
	return hall.Text{Zh: fmt.Sprintf("%d月%d日 %s", t.Month(), t.Day(), weekdayZh[t.Weekday()]), En: t.Format("Mon 2 Jan")}
}

// handleBookPage serves GET /book[?hall=]: the booking page of a hall (the first by default).
func (s *Server) handleBookPage(w http.ResponseWriter, r *http.Request) {
	c := s.campus()
	if len(c.Halls) == 0 {
		s.pageError(w, r, hall.Errorf(hall.ENOTFOUND, "hall", "no halls"))
		return
	}
	h := &c.Halls[0]
	if code := r.URL.Query().Get("hall"); code != "" {
		var ok bool
		if h, ok = c.Hall(code); !ok {
			s.pageError(w, r, hall.Errorf(hall.ENOTFOUND, "hall", "no hall %q", code))
			return
		}
	}
	d := bookPageData{Hall: h.Code, HallName: h.Name}
	if rq, ok := s.Requester(r); ok && rq.Identity != nil {
		d.Signed, d.Me = true, rq.Identity.Name
	}
	for i := range c.Halls {
		d.Halls = append(d.Halls, wire.Hall{Code: c.Halls[i].Code, Name: c.Halls[i].Name})
	}
	ahead := 0
	for _, sv := range h.Services {
		p := h.AppointmentPolicy(sv.Code)
		if p.Off || !s.schedule(h.Code, sv.Code).Known() {
			continue
		}
		d.Services = append(d.Services, bookService{Code: sv.Code, Name: sv.Name})
		ahead = max(ahead, p.DaysAhead)
	}
	now := s.now().In(s.campusLoc())
	for i := 0; i <= ahead && len(d.Services) > 0; i++ {
		day := time.Date(now.Year(), now.Month(), now.Day()+i, 12, 0, 0, 0, now.Location())
		d.Days = append(d.Days, bookDay{Date: day.Format(time.DateOnly), Label: dayLabel(day)})
	}
	d.Boot = s.boot("book.js", publicLabels())
	s.renderPage(w, "book.html", d)
}

// apptPageData is what appt.html renders.
type apptPageData struct {
	A        wire.Appointment
	When     hall.Text // "12月3日 周四 09:00–09:15"
	Window   string    // "08:30–09:15"
	QR       template.HTML
	State    hall.Text
	Active   bool // booked, not yet a no-show: cancel and reschedule
	Days     []bookDay
	TicketAt string // the ticket's follow page once checked in
	Boot     pageBoot
}

// handleApptPage serves GET /a/{token}: the booking's page.
func (s *Server) handleApptPage(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Appointments == nil {
		s.pageError(w, r, hall.Errorf(hall.EUNAVAILABLE, "", "appointments are not configured"))
		return
	}
	tok := r.PathValue("token")
	if len(tok) > 64 {
		s.pageError(w, r, hall.Errorf(hall.ENOTFOUND, "token", "no booking with this token"))
		return
	}
	a, err := s.cfg.Appointments.ByToken(r.Context(), tok)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	loc := s.campusLoc()
	aj := s.apptJSON(a, false)
	aj.Token = a.Token // the page's own token: its script cancels and moves with it
	d := apptPageData{A: aj, Window: aj.CheckinFrom.Format("15:04") + "–" + aj.CheckinUntil.Format("15:04"), QR: qrSVG(aj.URL)}
	dl := dayLabel(aj.Start)
	span := aj.Start.Format("15:04") + "–" + aj.End.Format("15:04")
	d.When = hall.Text{Zh: dl.Zh + " " + span, En: dl.En + " " + span}
	d.State = apptStateName(aj)
	d.Active = a.State == hall.AppointmentBooked && !aj.NoShow
	d.TicketAt = aj.FollowURL
	if d.Active {
		if h, ok := s.campus().Hall(a.Hall); ok {
			now := s.now().In(loc)
			for i := 0; i <= h.AppointmentPolicy(a.Service).DaysAhead; i++ {
				day := time.Date(now.Year(), now.Month(), now.Day()+i, 12, 0, 0, 0, loc)
				d.Days = append(d.Days, bookDay{Date: day.Format(time.DateOnly), Label: dayLabel(day)})
			}
		}
	}
	d.Boot = s.boot("appt.js", publicLabels())
	s.renderPage(w, "appt.html", d)
}

// renderPage writes a page template.
func (s *Server) renderPage(w http.ResponseWriter, name string, d any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.page.ExecuteTemplate(w, name, d); err != nil {
		s.log.Error("render page", "page", name, "err", err)
	}
}

// qrSVG draws url as an inline SVG QR code (dark modules as one path; only numbers in the
// markup), empty when it cannot be encoded.
func qrSVG(url string) template.HTML {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return ""
	}
	bm := q.Bitmap()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="qr" role="img" aria-label="QR"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="`, len(bm), len(bm))
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()) // numbers only: nothing of the URL is in the markup
}

// apptStateName names a booking's state for people (a no-show past its window as such).
func apptStateName(a wire.Appointment) hall.Text {
	key := string(a.State)
	if a.NoShow {
		key = "no_show"
	}
	return appointmentLabels()[key]
}
