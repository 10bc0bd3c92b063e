package hall

import (
	"context"
	"strings"
)

// This file holds who a requester is when they signed in (issue 15, "Identity, optional"): the
// campus single sign-on (统一身份认证, CAS) or WeChat Work OAuth inside the WeChat Work app. An
// identified requester sees their own requests ("my requests") without keeping follow links.
// The identity is kept out of every case view: it travels with the case only to the store, which
// indexes the case under it (Requester.Identity is never encoded).

// IdentitySource is where an identity was established.
type IdentitySource string

// Identity sources.
const (
	IdentityCAS   IdentitySource = "cas"   // the campus CAS server (统一身份认证)
	IdentityWeCom IdentitySource = "wecom" // WeChat Work OAuth (企业微信网页授权)
)

// Valid reports whether s is a known identity source.
func (s IdentitySource) Valid() bool { return s == IdentityCAS || s == IdentityWeCom }

// Identity is a signed-in requester: the source, the account there (the CAS user, the WeChat
// Work userid) and what the source told of them (name, student or staff number), which fill
// the contact of the cases they open.
type Identity struct {
	Source IdentitySource `json:"source"`
	ID     string         `json:"id"`
	Name   string         `json:"name,omitempty"`
	Number string         `json:"number,omitempty"`
}

// MaxIdentityID bounds an identity's account name (CAS user, WeChat Work userid: 64 bytes).
const MaxIdentityID = 256

// Key is the identity's index key: the source, a NUL, the account. Two identities with one key
// are the same person.
func (i Identity) Key() string { return string(i.Source) + "\x00" + i.ID }

// Check reports whether the identity can be kept: a known source and a non-empty account of at
// most MaxIdentityID bytes without control characters.
func (i Identity) Check() error {
	if !i.Source.Valid() {
		return Errorf(EINVALID, "source", "unknown identity source %q", i.Source)
	}
	if i.ID == "" || len(i.ID) > MaxIdentityID || strings.ContainsFunc(i.ID, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return Errorf(EINVALID, "id", "an identity needs an account of 1 to %d printable bytes", MaxIdentityID)
	}
	return nil
}

// RequesterService keeps requester sessions (apart from staff sessions) and finds the cases an
// identified requester opened.
type RequesterService interface {
	// StartSession returns a new session token for the identity.
	StartSession(ctx context.Context, id Identity) (string, error)
	// Session resolves a session token; EUNAUTHORIZED when unknown or expired.
	Session(ctx context.Context, token string) (*Identity, error)
	// EndSession ends a session; unknown tokens are not an error.
	EndSession(ctx context.Context, token string) error
	// RequesterCases returns the cases opened under the identity, newest first, at most limit.
	RequesterCases(ctx context.Context, id Identity, limit int) ([]Case, error)
}

// ExternalLogin signs staff in through the campus sign-on: the CAS user maps to an existing
// staff account (its CASUser, else its username). Unknown, ambiguous and disabled accounts get
// EUNAUTHORIZED; no account is ever created.
type ExternalLogin interface {
	LoginExternal(ctx context.Context, source IdentitySource, user string) (string, *Principal, error)
}
