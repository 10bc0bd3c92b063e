package hall

import (
	"context"
	"slices"
	"time"
)

// This file holds what administrators manage (issue 13): staff accounts and their seasonal
// counter assignments, enrolled devices, and the audit trail.

// MinPasswordLength is the shortest password the admin API and hallctl accept (counted in
// characters).
const MinPasswordLength = 8

// CounterAssignment lets a staff member who is not counter staff of a hall (a department
// handler, say) work some of its counters for a date range: 周期性、阶段性业务集中办理.
// Days are YYYY-MM-DD in the campus zone, both inclusive.
type CounterAssignment struct {
	Hall     string `json:"hall"`
	Counters []int  `json:"counters"`
	From     string `json:"from"`
	Until    string `json:"until"`
}

// Covers reports whether the assignment lets its holder act at counter n of the hall on day
// (YYYY-MM-DD); n 0 asks for any of its counters.
func (a CounterAssignment) Covers(hall string, n int, day string) bool {
	if a.Hall != hall || day < a.From || day > a.Until {
		return false
	}
	return n == 0 || slices.Contains(a.Counters, n)
}

// StaffPatch is a change of a staff account: nil fields stay as they are.
type StaffPatch struct {
	Name        *string
	Role        *Role
	Halls       *[]string
	Departments *[]string
	Disabled    *bool
	// Password, when set, replaces the password (a reset); it ends the account's sessions.
	Password    *string
	Assignments *[]CounterAssignment
	// CASUser, when set, replaces the campus sign-on user ("" clears it).
	CASUser *string
	// WecomUser and Email are where notices reach the member ("" clears them).
	WecomUser *string
	Email     *string
}

// DeviceRecord is an enrolled device as the admin list shows it: revoked devices stay listed.
type DeviceRecord struct {
	Device
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// AdminService manages staff accounts and devices. Every change is written with its audit
// entry (actor: the administrator's username) in one transaction, and ends what it must at
// once: a disabled account's sessions, a revoked device's token.
type AdminService interface {
	// ListStaff returns every staff account by username, without password hashes.
	ListStaff(ctx context.Context) ([]Staff, error)
	// AddStaff creates an account; ECONFLICT when the username is taken.
	AddStaff(ctx context.Context, actor string, s Staff, password string) (*Staff, error)
	// UpdateStaff applies a patch; ENOTFOUND when there is no such account. Disabling or a
	// password reset deletes the account's sessions.
	UpdateStaff(ctx context.Context, actor, username string, p StaffPatch) (*Staff, error)
	// ListDevices returns every device ever enrolled, revoked ones with RevokedAt.
	ListDevices(ctx context.Context) ([]DeviceRecord, error)
	// EnrolDevice enrols a device with a new random token, returned once.
	EnrolDevice(ctx context.Context, actor string, d Device) (*Device, string, error)
	// RevokeDevice revokes a device's token; ENOTFOUND when there is no live device with the ID.
	RevokeDevice(ctx context.Context, actor, id string) error
}

// AuditEntry is one entry of the audit trail.
type AuditEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Kind   string    `json:"kind"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
}

// Audit entry kinds written by the auth store (the hall and case logs add their event types:
// ticket.*, counter.state, notice.*, case.*).
const (
	AuditLogin         = "session.login"
	AuditLoginFailed   = "session.login_failed"
	AuditLogout        = "session.logout"
	AuditStaffAdded    = "staff.added"
	AuditStaffUpdated  = "staff.updated"
	AuditStaffDisabled = "staff.disabled"
	AuditStaffEnabled  = "staff.enabled"
	AuditPasswordReset = "staff.password_reset"
	AuditDeviceAdded   = "device.enrolled"
	AuditDeviceRevoked = "device.revoked"
	AuditBackup        = "backup.downloaded"
)

// AuditQuery selects audit entries: all filters are optional; Kind matches a kind exactly or,
// without a dot, its family ("staff" matches staff.added, staff.disabled…).
type AuditQuery struct {
	Since, Until time.Time
	Actor, Kind  string
	Target       string
	// CasesOnly restricts the answer to the case log's entries (supervisors).
	CasesOnly bool
	Limit     int
	// Cursor continues a previous page (AuditPage.Next).
	Cursor string
}

// AuditPage is one page of audit entries, newest first. Next, when set, continues it: a page
// may hold fewer than Limit entries (even none) when the work bound of one request was reached.
type AuditPage struct {
	Entries []AuditEntry
	Next    string
}

// AuditLog reads the audit trail and records the entries that change nothing else (a backup).
type AuditLog interface {
	Audit(ctx context.Context, q AuditQuery) (*AuditPage, error)
	Record(ctx context.Context, e AuditEntry) error
}

type clientAddrKey struct{}

// WithClientAddr returns ctx carrying the client's address, which the auth store writes into
// the audit entry of a sign-in.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddr returns the address WithClientAddr put in ctx ("" when none).
func ClientAddr(ctx context.Context) string {
	s, _ := ctx.Value(clientAddrKey{}).(string)
	return s
}
