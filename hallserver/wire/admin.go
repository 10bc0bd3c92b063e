package wire

import (
	"time"

	"onedoor/hallserver/hall"
)

// StaffRequest is the body of POST /api/v1/admin/staff.
type StaffRequest struct {
	Username string    `json:"username"`
	Password string    `json:"password"`
	Name     string    `json:"name,omitempty"`
	Role     hall.Role `json:"role"`
	Halls    []string  `json:"halls,omitempty"`
	// Departments holds at most one department code today (the case policy knows one per
	// person).
	Departments []string                 `json:"departments,omitempty"`
	Assignments []hall.CounterAssignment `json:"assignments,omitempty"`
	// CASUser is the account's campus sign-on user when not its username (docs/IDENTITY.md).
	CASUser string `json:"casUser,omitempty"`
	// WecomUser is the WeChat Work user ID notices go to; Email the address (docs/NOTIFY.md).
	WecomUser string `json:"wecomUser,omitempty"`
	Email     string `json:"email,omitempty"`
}

// StaffPatch is the body of PATCH /api/v1/admin/staff/{username}: fields left out stay as they
// are; password resets the password.
type StaffPatch struct {
	Name        *string                   `json:"name,omitempty"`
	Role        *hall.Role                `json:"role,omitempty"`
	Halls       *[]string                 `json:"halls,omitempty"`
	Departments *[]string                 `json:"departments,omitempty"`
	Disabled    *bool                     `json:"disabled,omitempty"`
	Password    *string                   `json:"password,omitempty"`
	Assignments *[]hall.CounterAssignment `json:"assignments,omitempty"`
	// CASUser sets the campus sign-on user ("" clears it: the username signs in).
	CASUser   *string `json:"casUser,omitempty"`
	WecomUser *string `json:"wecomUser,omitempty"` // "" clears it
	Email     *string `json:"email,omitempty"`     // "" clears it
}

// StaffMember is a staff account as the admin API shows it (never its password).
type StaffMember struct {
	Username    string                   `json:"username"`
	Name        string                   `json:"name"`
	Role        hall.Role                `json:"role"`
	Halls       []string                 `json:"halls"`
	Departments []string                 `json:"departments"`
	Disabled    bool                     `json:"disabled"`
	Assignments []hall.CounterAssignment `json:"assignments"`
	CreatedAt   time.Time                `json:"createdAt"`
	CASUser     string                   `json:"casUser,omitempty"`
	WecomUser   string                   `json:"wecomUser"`
	Email       string                   `json:"email"`
}

// StaffList is the answer of GET /api/v1/admin/staff.
type StaffList struct {
	Staff []StaffMember `json:"staff"`
}

// DeviceRequest is the body of POST /api/v1/admin/devices.
type DeviceRequest struct {
	Role hall.Role `json:"role"`
	Hall string    `json:"hall"`
	Name string    `json:"name,omitempty"`
	// Counter is the counter of a rating tablet (role "rater"; required for it, refused for
	// the others).
	Counter int `json:"counter,omitempty"`
}

// DeviceInfo is an enrolled device as the admin list shows it: one object per device, to which
// live health fields are added.
type DeviceInfo struct {
	ID        string     `json:"id"`
	Role      hall.Role  `json:"role"`
	Hall      string     `json:"hall"`
	Counter   int        `json:"counter,omitempty"` // a rating tablet's counter
	Name      string     `json:"name"`
	Created   time.Time  `json:"created"`
	Revoked   bool       `json:"revoked"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	// Health is what the device's hall knows of it (last seen, version, printer, outbox,
	// active alerts); nil for a revoked device or one whose hall has not heard from it.
	Health *hall.DeviceHealth `json:"health,omitempty"`
}

// EnrolledDevice is the answer of POST /api/v1/admin/devices: the device and its token, shown
// this once.
type EnrolledDevice struct {
	DeviceInfo
	Token string `json:"token"`
}

// DeviceList is the answer of GET /api/v1/admin/devices.
type DeviceList struct {
	Devices []DeviceInfo `json:"devices"`
}

// AuditList is the answer of GET /api/v1/admin/audit: newest first; next, when set, is the
// cursor of the next page.
type AuditList struct {
	Entries []hall.AuditEntry `json:"entries"`
	Next    string            `json:"next,omitempty"`
}
