package hall

import (
	"context"
	"time"
)

// Role is what a principal may do.
type Role string

// Roles. Staff roles log in with a password; kiosk and display are enrolled devices with tokens.
const (
	RoleAdmin      Role = "admin"
	RoleSupervisor Role = "supervisor" // the supervising office
	RoleCounter    Role = "counter"
	RoleHandler    Role = "handler" // department case handler
	RoleHotline    Role = "hotline" // 24-hour hotline operator: enters callers' cases, reads replies back, calls back
	RoleKiosk      Role = "kiosk"
	RoleDisplay    Role = "display"
	// RoleRater is a counter-side rating tablet (好差评): a device bound to one counter of its
	// hall (Device.Counter), which may rate only the visits that counter served.
	RoleRater Role = "rater"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleSupervisor, RoleCounter, RoleHandler, RoleHotline, RoleKiosk, RoleDisplay, RoleRater:
		return true
	}
	return false
}

// Device reports whether r is a device role.
func (r Role) Device() bool { return r == RoleKiosk || r == RoleDisplay || r == RoleRater }

// Staff is a person who logs in.
type Staff struct {
	Username     string    `json:"username"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	Halls        []string  `json:"halls,omitempty"`      // halls a counter may work in; empty = all
	Department   string    `json:"department,omitempty"` // for handlers
	PasswordHash []byte    `json:"passwordHash,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	// Disabled accounts cannot sign in; their sessions end when they are disabled.
	Disabled bool `json:"disabled,omitempty"`
	// Assignments are the seasonal counter assignments (CounterAssignment).
	Assignments []CounterAssignment `json:"assignments,omitempty"`
	// CASUser is the account's user at the campus sign-on (统一身份认证) when it differs from
	// Username: staff sign-in by CAS maps the CAS user to this account (ExternalLogin).
	CASUser string `json:"casUser,omitempty"`
	// WecomUser is the member's WeChat Work user ID (the touser of application messages);
	// Email their address for e-mail notices. Empty: not notified that way.
	WecomUser string `json:"wecomUser,omitempty"`
	Email     string `json:"email,omitempty"`
}

// Device is an enrolled kiosk, display or rating tablet, bound to one hall.
type Device struct {
	ID   string `json:"id"`
	Role Role   `json:"role"`
	Hall string `json:"hall"`
	// Counter is the counter a rating tablet (RoleRater) stands at; 0 for other devices.
	Counter   int       `json:"counter,omitempty"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// Principal is who made a request: staff or a device.
type Principal struct {
	Subject    string   `json:"subject"`        // username or device ID
	Name       string   `json:"name,omitempty"` // devices: the name their administrator gave them
	Role       Role     `json:"role"`
	Halls      []string `json:"halls,omitempty"` // devices: their one hall; staff: allowed halls (empty = all)
	Department string   `json:"department,omitempty"`
	Device     bool     `json:"device"`
	// Counter is a rating tablet's counter (Device.Counter); 0 otherwise.
	Counter int `json:"counter,omitempty"`
	// Assignments are a staff member's seasonal counter assignments (CanWorkCounterAt).
	Assignments []CounterAssignment `json:"assignments,omitempty"`
}

// InHall reports whether the principal may act in the hall.
func (p *Principal) InHall(hall string) bool {
	if p == nil {
		return false
	}
	if len(p.Halls) == 0 {
		return !p.Device
	}
	for _, h := range p.Halls {
		if h == hall {
			return true
		}
	}
	return false
}

// CanIssue reports whether the principal may issue tickets in the hall (kiosks of the hall, staff
// at its counters, admins).
func (p *Principal) CanIssue(hall string) bool {
	if p == nil {
		return false
	}
	switch p.Role {
	case RoleKiosk, RoleCounter, RoleAdmin, RoleSupervisor:
		return p.InHall(hall)
	}
	return false
}

// CanWorkCounter reports whether the principal may act at a counter of the hall.
func (p *Principal) CanWorkCounter(hall string) bool {
	if p == nil {
		return false
	}
	switch p.Role {
	case RoleCounter, RoleAdmin:
		return p.InHall(hall)
	}
	return false
}

// CanWorkCounterAt reports whether the principal may act at counter n of the hall on day
// (YYYY-MM-DD in the campus zone): counter staff of the hall and admins always, anyone else
// through a seasonal assignment that covers the hall, the counter and the day. n 0 asks about
// any counter of the hall (the hall's waiting list).
func (p *Principal) CanWorkCounterAt(hall string, n int, day string) bool {
	if p.CanWorkCounter(hall) {
		return true
	}
	if p == nil || p.Device {
		return false
	}
	for _, a := range p.Assignments {
		if a.Covers(hall, n, day) {
			return true
		}
	}
	return false
}

// CanRateAt reports whether the principal may record visit ratings at counter n of the hall
// on day (the counter-side rating page): the rating tablet of that very counter, or whoever may
// work that counter (CanWorkCounterAt). A tablet of another counter or hall may not.
func (p *Principal) CanRateAt(hall string, n int, day string) bool {
	if p == nil {
		return false
	}
	if p.Device {
		return p.Role == RoleRater && n > 0 && p.Counter == n && p.InHall(hall)
	}
	return p.CanWorkCounterAt(hall, n, day)
}

// AuthService logs staff in and resolves bearer tokens (sessions and device tokens).
type AuthService interface {
	// Login checks a password and returns a new session token.
	Login(ctx context.Context, username, password string) (token string, p *Principal, err error)
	// Logout ends a session.
	Logout(ctx context.Context, token string) error
	// Authenticate resolves a session or device token; EUNAUTHORIZED when unknown.
	Authenticate(ctx context.Context, token string) (*Principal, error)
	// CreateStaff adds or replaces a staff account with a password.
	CreateStaff(ctx context.Context, s Staff, password string) error
	// CreateDevice enrols a device and returns its bearer token (given, or generated when empty).
	CreateDevice(ctx context.Context, d Device, token string) (string, error)
}
