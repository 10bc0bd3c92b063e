package wire

import (
	"time"

	"onedoor/hallserver/hall"
)

// Hall is a hall as GET /api/v1/halls and GET /api/v1/halls/{hall} return it.
type Hall struct {
	Code     string    `json:"code"`
	Name     hall.Text `json:"name"`
	Services []Service `json:"services"`
	Counters []Counter `json:"counters"`
}

// HallList answers GET /api/v1/halls.
type HallList struct {
	Halls []Hall `json:"halls"`
}

// Service is a hall service with what people must bring (一次告知).
type Service struct {
	Code       string      `json:"code"`
	Name       hall.Text   `json:"name"`
	Materials  []hall.Text `json:"materials"`
	AvgMinutes int         `json:"avgMinutes"`
	// Hours are the service's weekly opening hours (its own, else the hall's) and HoursText the
	// same for people ("周一至周五 08:30–11:30、14:00–17:00"); both omitted when not known.
	// Holidays of the campus calendar close it; when it opens next is in the hall snapshot
	// (opensAt).
	Hours     []hall.OpeningHours `json:"hours,omitempty"`
	HoursText hall.Text           `json:"hoursText,omitzero"`
	// Quota is the service's daily quota (omitted: none); From and Until its seasonal range
	// (local dates, both included; omitted when not seasonal) and SeasonText the mark kiosks
	// show in it ("限时开放至1月15日" / "Limited period until 15 Jan").
	Quota      int       `json:"quota,omitempty"`
	From       string    `json:"from,omitempty"`
	Until      string    `json:"until,omitempty"`
	SeasonText hall.Text `json:"seasonText,omitzero"`
	// Closed, NextIssueAt, Remaining and OutOfSeason are the service's state now, as in the
	// hall snapshot (hall.ServiceStatus): whether and until when it issues no tickets, the
	// tickets left today under the quota, and whether today is outside its seasonal range.
	Closed      string     `json:"closed,omitempty"`
	NextIssueAt *time.Time `json:"nextIssueAt,omitempty"`
	Remaining   *int       `json:"remaining,omitempty"`
	OutOfSeason bool       `json:"outOfSeason,omitempty"`
}

// Counter is a configured counter of a hall and the services it serves.
type Counter struct {
	Number   int      `json:"number"`
	Services []string `json:"services"`
}

// NoticeRequest is the body of POST /api/v1/halls/{hall}/notices.
type NoticeRequest struct {
	Text hall.Text `json:"text"`
}

// HallDevices is the answer of GET /api/v1/halls/{hall}/devices: the health of the hall's devices.
type HallDevices struct {
	Devices []hall.DeviceHealth `json:"devices"`
}

// LoginRequest is the body of POST /api/v1/session.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Session answers a login.
type Session struct {
	Token     string    `json:"token"`
	CSRFToken string    `json:"csrfToken"`
	Username  string    `json:"username"`
	Role      hall.Role `json:"role"`
	Halls     []string  `json:"halls,omitempty"`
}
