// Package authkit holds what the stores of staff, devices and sessions share, whatever they
// keep them in (hallserver/bolt, hallserver/etcd): token hashing, the checks of a new account or
// device, a patch of an account and the audit entries each change writes, the campus sign-on's
// choice of account. A store keeps the records; the rules are here, once.
package authkit

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"onedoor/hallserver/hall"
)

// SessionTTL is how long a staff session lasts after login (fixed, not sliding: Authenticate never
// writes, and a stolen token expires the same day).
const SessionTTL = 12 * time.Hour

// RequesterSessionTTL is how long a requester session lasts after sign-in (fixed, not sliding).
const RequesterSessionTTL = 7 * 24 * time.Hour

// AuditFieldMax bounds what one audit entry keeps of each text field.
const AuditFieldMax = 256

// Session is the stored form of a staff session (keyed by the token's SHA-256).
type Session struct {
	Username string    `json:"username"`
	Expires  time.Time `json:"expires"`
}

// RequesterSession is the stored form of a requester session (keyed by the token's SHA-256).
type RequesterSession struct {
	Identity hall.Identity `json:"identity"`
	Created  time.Time     `json:"created"`
	Expires  time.Time     `json:"expires"`
}

// HashToken is what a store keeps of a bearer token: its SHA-256 (a copy of the store does not
// reveal usable tokens).
func HashToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// RandomToken returns 32 random bytes in base64url without padding.
func RandomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// DummyHash returns a bcrypt hash to compare against when the username is unknown, so that a
// wrong username takes as long as a wrong password.
func DummyHash() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)
	return h
}

// HashPassword is the stored form of a password (bcrypt, default cost); EINVALID naming
// password when bcrypt refuses it (longer than 72 bytes).
func HashPassword(password string) ([]byte, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, hall.Errorf(hall.EINVALID, "password", "%v", err)
	}
	return h, nil
}

// CheckPassword reports whether password is the one of the account (dummy: the hash compared
// when there is no account).
func CheckPassword(s *hall.Staff, dummy []byte, password string) bool {
	if s == nil || len(s.PasswordHash) == 0 {
		bcrypt.CompareHashAndPassword(dummy, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(s.PasswordHash, []byte(password)) == nil
}

// RefuseLogin returns why a password sign-in to s (nil: no such account) is refused, "" when it
// is not: "unknown account", "wrong password" or "account disabled" (for the audit trail; the
// answer is Unauthorized whatever the reason).
func RefuseLogin(s *hall.Staff, dummy []byte, password string) string {
	if !CheckPassword(s, dummy, password) {
		if s == nil || len(s.PasswordHash) == 0 {
			return "unknown account"
		}
		return "wrong password"
	}
	if s.Disabled {
		return "account disabled"
	}
	return ""
}

// Unauthorized is the one answer every failed password sign-in gets.
func Unauthorized() error {
	return hall.Errorf(hall.EUNAUTHORIZED, "", "wrong username or password")
}

// ExternalRefused is the answer of a refused campus sign-on.
func ExternalRefused(user string) error {
	return hall.Errorf(hall.EUNAUTHORIZED, "", "no staff account for this campus identity (%s): ask an administrator to add one", user)
}

// FromDetail is the audit detail naming the client's address ("" when unknown).
func FromDetail(from string) string {
	if from == "" {
		return ""
	}
	return "from=" + from
}

// WithFrom appends the client's address to an audit detail.
func WithFrom(detail, from string) string {
	if from == "" {
		return detail
	}
	return detail + " " + FromDetail(from)
}

// LoginAudit is the audit entry of a sign-in (detail: how, for the campus sign-on).
func LoginAudit(at time.Time, username, detail string) hall.AuditEntry {
	return hall.AuditEntry{At: at, Actor: username, Kind: hall.AuditLogin, Target: username, Detail: detail}
}

// LoginFailedAudit is the audit entry of a refused sign-in.
func LoginFailedAudit(at time.Time, username, why, from string) hall.AuditEntry {
	return hall.AuditEntry{At: at, Actor: username, Kind: hall.AuditLoginFailed, Target: username, Detail: WithFrom(why, from)}
}

// StaffPrincipal is who a staff session acts as.
func StaffPrincipal(s *hall.Staff) *hall.Principal {
	return &hall.Principal{Subject: s.Username, Role: s.Role, Halls: s.Halls, Department: s.Department, Assignments: s.Assignments}
}

// DevicePrincipal is who a device token acts as.
func DevicePrincipal(d *hall.Device) *hall.Principal {
	return &hall.Principal{Subject: d.ID, Name: d.Name, Role: d.Role, Halls: []string{d.Hall}, Device: true, Counter: d.Counter}
}

// NewStaff checks an account to create and sets its password hash and creation time. strict
// (CreateStaff) trims the username and requires a password; AddStaff takes them as given.
func NewStaff(s *hall.Staff, password string, now time.Time, strict bool) error {
	if strict {
		s.Username = strings.TrimSpace(s.Username)
	}
	if s.Username == "" {
		return hall.Errorf(hall.EINVALID, "username", "username is required")
	}
	if !s.Role.Valid() || s.Role.Device() {
		return hall.Errorf(hall.EINVALID, "role", "role %q is not a staff role", s.Role)
	}
	if strict && password == "" {
		return hall.Errorf(hall.EINVALID, "password", "password is required")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	s.PasswordHash = hash
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now.UTC()
	}
	return nil
}

// CheckDevice refuses a device that is not a device role or has no hall.
func CheckDevice(d *hall.Device) error {
	if !d.Role.Device() {
		return hall.Errorf(hall.EINVALID, "role", "role %q is not a device role", d.Role)
	}
	if d.Hall == "" {
		return hall.Errorf(hall.EINVALID, "hall", "a device belongs to a hall")
	}
	return nil
}

// NewDevice checks a device to enrol and completes it: its token (a new random one when token is
// empty), the token's hash (what a store keys it by), an ID when it has none, its creation time
// when it has none.
func NewDevice(d *hall.Device, token string, now time.Time) (string, [32]byte, error) {
	if err := CheckDevice(d); err != nil {
		return "", [32]byte{}, err
	}
	if token == "" {
		t, err := RandomToken()
		if err != nil {
			return "", [32]byte{}, err
		}
		token = t
	}
	h := HashToken(token)
	if d.ID == "" {
		d.ID = DeviceID(d, h)
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now.UTC()
	}
	return token, h, nil
}

// DeviceID is the ID given to a device enrolled without one (h: its token's hash).
func DeviceID(d *hall.Device, h [32]byte) string {
	return fmt.Sprintf("%s-%s-%x", d.Role, d.Hall, h[:4])
}

// DeviceAddedAudit is the audit entry of an enrolment.
func DeviceAddedAudit(actor string, d *hall.Device) hall.AuditEntry {
	return hall.AuditEntry{At: d.CreatedAt, Actor: actor, Kind: hall.AuditDeviceAdded, Target: d.ID,
		Detail: fmt.Sprintf("role=%s hall=%s name=%s", d.Role, d.Hall, d.Name)}
}

// DeviceRevokedAudit is the audit entry of a revocation.
func DeviceRevokedAudit(at time.Time, actor string, d *hall.Device) hall.AuditEntry {
	return hall.AuditEntry{At: at, Actor: actor, Kind: hall.AuditDeviceRevoked, Target: d.ID,
		Detail: fmt.Sprintf("role=%s hall=%s", d.Role, d.Hall)}
}

// StaffAddedAudit is the audit entry of a new account.
func StaffAddedAudit(at time.Time, actor string, s *hall.Staff) hall.AuditEntry {
	return hall.AuditEntry{At: at, Actor: actor, Kind: hall.AuditStaffAdded, Target: s.Username, Detail: StaffDetail(s)}
}

// StaffDetail describes an account's rights for the audit trail.
func StaffDetail(s *hall.Staff) string {
	d := []string{"role=" + string(s.Role)}
	if len(s.Halls) > 0 {
		d = append(d, "halls="+strings.Join(s.Halls, ","))
	}
	if s.Department != "" {
		d = append(d, "department="+s.Department)
	}
	for _, as := range s.Assignments {
		cs := make([]string, len(as.Counters))
		for i, c := range as.Counters {
			cs[i] = fmt.Sprint(c)
		}
		d = append(d, fmt.Sprintf("assignment=%s:%s:%s..%s", as.Hall, strings.Join(cs, ","), as.From, as.Until))
	}
	if s.CASUser != "" {
		d = append(d, "casUser="+s.CASUser)
	}
	if s.Disabled {
		d = append(d, "disabled")
	}
	return strings.Join(d, " ")
}

// PatchHash is the hash of the password a patch sets (nil when it sets none).
func PatchHash(p hall.StaffPatch) ([]byte, error) {
	if p.Password == nil {
		return nil, nil
	}
	return HashPassword(*p.Password)
}

// ApplyPatch changes s as p says (hash: the new password's, nil when none).
func ApplyPatch(s *hall.Staff, p hall.StaffPatch, hash []byte) {
	if p.Name != nil {
		s.Name = *p.Name
	}
	if p.Role != nil {
		s.Role = *p.Role
	}
	if p.Halls != nil {
		s.Halls = *p.Halls
	}
	if p.Departments != nil {
		s.Department = ""
		if len(*p.Departments) > 0 {
			s.Department = (*p.Departments)[0]
		}
	}
	if p.Assignments != nil {
		s.Assignments = *p.Assignments
	}
	if p.CASUser != nil {
		s.CASUser = *p.CASUser
	}
	if p.Disabled != nil {
		s.Disabled = *p.Disabled
	}
	if p.WecomUser != nil {
		s.WecomUser = *p.WecomUser
	}
	if p.Email != nil {
		s.Email = *p.Email
	}
	if hash != nil {
		s.PasswordHash = hash
	}
}

// PatchAudit returns the audit entries of an account changed from old to s (reset: its
// password was reset), and whether its sessions must end (disabled, or a new password).
func PatchAudit(at time.Time, actor string, old, s *hall.Staff, reset bool) (entries []hall.AuditEntry, endSessions bool) {
	put := func(kind, detail string) {
		entries = append(entries, hall.AuditEntry{At: at, Actor: actor, Kind: kind, Target: s.Username, Detail: detail})
	}
	if d, dd := StaffDetail(old), StaffDetail(s); d != dd || old.Name != s.Name || old.WecomUser != s.WecomUser || old.Email != s.Email {
		put(hall.AuditStaffUpdated, dd)
	}
	if s.Disabled != old.Disabled {
		kind := hall.AuditStaffEnabled
		if s.Disabled {
			kind = hall.AuditStaffDisabled
		}
		put(kind, "")
	}
	if reset {
		put(hall.AuditPasswordReset, "")
	}
	return entries, s.Disabled || reset
}

// CASUserTaken is the refusal of a campus sign-on user another account already has.
func CASUserTaken(casUser, other string) error {
	return hall.Errorf(hall.ECONFLICT, "casUser", "the campus sign-on user %q already signs in as %s", casUser, other)
}

// ExternalMatch chooses the account a campus sign-on user signs in to among every account (each
// calls it in turn; user already trimmed): the one whose CASUser is user, else the one named
// user without a CASUser.
type ExternalMatch struct {
	user  string
	match []hall.Staff
	named *hall.Staff
}

// NewExternalMatch starts a choice for user.
func NewExternalMatch(user string) *ExternalMatch { return &ExternalMatch{user: user} }

// Add considers one account.
func (m *ExternalMatch) Add(s hall.Staff) {
	if s.CASUser != "" && s.CASUser == m.user {
		m.match = append(m.match, s)
	} else if s.Username == m.user && s.CASUser == "" {
		m.named = &s
	}
}

// Result returns the account, or the reason of the refusal and the name it is recorded under.
func (m *ExternalMatch) Result(via string) (s *hall.Staff, why, who string) {
	match := m.match
	if len(match) == 0 && m.named != nil {
		match = append(match, *m.named)
	}
	switch {
	case len(match) == 0:
		return nil, "no staff account for " + via, m.user
	case len(match) > 1:
		return nil, "several staff accounts claim this user " + via, m.user
	case match[0].Disabled:
		return nil, "account disabled " + via, match[0].Username
	}
	return &match[0], "", ""
}

// ExternalUserOK reports whether a campus sign-on user can be looked up at all.
func ExternalUserOK(user string) bool { return user != "" && len(user) <= hall.MaxIdentityID }

// ClipAudit bounds the text fields of an audit entry (what strangers type at the sign-in goes
// there) and puts its time in UTC.
func ClipAudit(e hall.AuditEntry) hall.AuditEntry {
	e.At = e.At.UTC()
	e.Actor, e.Kind, e.Target, e.Detail = Clip(e.Actor), Clip(e.Kind), Clip(e.Target), Clip(e.Detail)
	return e
}

// Clip bounds one text field of an audit entry.
func Clip(s string) string {
	if len(s) <= AuditFieldMax {
		return s
	}
	r := []rune(s)
	if len(r) > AuditFieldMax/4 {
		r = r[:AuditFieldMax/4]
	}
	return string(r) + "…"
}
