package wire

import (
	"time"

	"onedoor/hallserver/hall"
)

// SlotList answers GET /api/v1/halls/{hall}/services/{code}/slots?date=YYYY-MM-DD: the slots
// of the day with their free places (times RFC 3339 in the campus zone).
type SlotList struct {
	Hall    string      `json:"hall"`
	Service string      `json:"service"`
	Date    string      `json:"date"`
	Slots   []hall.Slot `json:"slots"`
}

// BookRequest is the body of POST /api/v1/appointments. Start is the slot's start, RFC 3339.
type BookRequest struct {
	Hall    string `json:"hall"`
	Service string `json:"service"`
	Start   string `json:"start"`
	Name    string `json:"name"`
	Phone   string `json:"phone"`
}

// RescheduleRequest is the body of POST /api/v1/appointments/{token}/reschedule.
type RescheduleRequest struct {
	Start string `json:"start"`
}

// Appointment is a booking as its holder (the token) or staff see it. Token and the full phone
// are only in the answer to the booking and to staff; the holder's views mask the phone.
type Appointment struct {
	ID          string                `json:"id"`
	Code        string                `json:"code"`
	Token       string                `json:"token,omitempty"`
	URL         string                `json:"url,omitempty"` // the booking's page (/a/{token}): what its QR code holds
	Hall        string                `json:"hall"`
	HallName    hall.Text             `json:"hallName"`
	Service     string                `json:"service"`
	ServiceName hall.Text             `json:"serviceName"`
	Day         string                `json:"day"`
	Start       time.Time             `json:"start"`
	End         time.Time             `json:"end"`
	State       hall.AppointmentState `json:"state"`
	Name        string                `json:"name"`
	Phone       string                `json:"phone"`
	// CheckinFrom and CheckinUntil are the check-in window at the kiosk.
	CheckinFrom  time.Time `json:"checkinFrom"`
	CheckinUntil time.Time `json:"checkinUntil"`
	// NoShow: not checked in by the end of its window.
	NoShow bool `json:"noShow"`
	// Number and FollowURL are the ticket of the check-in.
	Number    string     `json:"number,omitempty"`
	FollowURL string     `json:"followUrl,omitempty"`
	Channel   string     `json:"channel,omitempty"` // staff views: who booked ("web" or a username)
	CreatedAt time.Time  `json:"createdAt"`
	CheckedIn *time.Time `json:"checkedInAt,omitempty"`
}

// MyAppointments answers GET /api/v1/me/appointments: the signed-in requester's bookings,
// the latest days first (phone masked; url is each booking's page).
type MyAppointments struct {
	Appointments []Appointment `json:"appointments"`
}

// AppointmentList answers GET /api/v1/halls/{hall}/appointments?date= (staff): the day's
// bookings in slot order, with how many are no-shows.
type AppointmentList struct {
	Hall         string        `json:"hall"`
	Date         string        `json:"date"`
	NoShows      int           `json:"noShows"`
	Appointments []Appointment `json:"appointments"`
}

// CheckinRequest is the body of POST /api/v1/halls/{hall}/appointments/checkin: the 6-digit
// code, or what a keyboard-wedge scanner typed from the booking's QR code (its URL).
type CheckinRequest struct {
	Code string `json:"code"`
}

// CheckinRefusal is the 409 answer of a check-in outside its window: too_early with comeAt
// (when the window opens), too_late with the walk-in offer.
type CheckinRefusal struct {
	Error CheckinError `json:"error"`
}

// CheckinError is the error object of a CheckinRefusal.
type CheckinError struct {
	Code    string     `json:"code"`
	Message string     `json:"message"`
	Field   string     `json:"field,omitempty"`
	Start   time.Time  `json:"start"`
	ComeAt  *time.Time `json:"comeAt,omitempty"`
	// WalkIn, on too_late, offers a normal ticket of the booking's service (the kiosk issues it
	// with POST /api/v1/halls/{hall}/tickets).
	WalkIn *WalkInOffer `json:"walkIn,omitempty"`
}

// WalkInOffer names the service of the walk-in ticket offered to a late booking.
type WalkInOffer struct {
	Hall    string `json:"hall"`
	Service string `json:"service"`
}
