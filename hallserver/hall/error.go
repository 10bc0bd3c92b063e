package hall

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. The HTTP layer maps each to a status; every layer wraps or returns these.
const (
	EINVALID       = "invalid"       // malformed input (400)
	EUNAUTHORIZED  = "unauthorized"  // no or bad credentials (401)
	EFORBIDDEN     = "forbidden"     // authenticated but not allowed (403)
	ENOTFOUND      = "not_found"     // no such thing (404)
	ECONFLICT      = "conflict"      // the state does not allow it now (409)
	EUNPROCESSABLE = "unprocessable" // well-formed but not acceptable (422)
	EUNAVAILABLE   = "unavailable"   // storage or dependency down; retry (503)
	EINTERNAL      = "internal"      // a bug (500)
	// ESERVICECLOSED: the service issues no tickets now: outside its opening hours or its
	// seasonal range (409; Error.OpensAt says when it opens next).
	ESERVICECLOSED = "service_closed"
	// EQUOTAREACHED: the service has issued its daily quota (409; Error.OpensAt).
	EQUOTAREACHED = "quota_reached"
)

// Error is a domain error: a code, a message for people, and the input field it is about.
type Error struct {
	Code    string
	Field   string
	Message string
	// Details, when set, are every problem of the input, each with its own field (an invalid
	// campus lists them all); the error's own field and message are the first one's.
	Details []*Error
	// OpensAt, on ESERVICECLOSED and EQUOTAREACHED, is when the service issues tickets again (in
	// the campus zone); nil when it will not (its season is over) or it is not known.
	OpensAt *time.Time
}

// Error implements error.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the code, the field (may be empty) and a formatted message.
func Errorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for other errors and
// "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, a generic text otherwise.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the input field named by the first *Error in err's chain.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// ErrorOpensAt returns the OpensAt of the first *Error in err's chain (nil when none).
func ErrorOpensAt(err error) *time.Time {
	var e *Error
	if errors.As(err, &e) {
		return e.OpensAt
	}
	return nil
}
