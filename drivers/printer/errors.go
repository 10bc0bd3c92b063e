package printer

import (
	"errors"

	"onedoor/drivers/escpos"
)

// Sentinel errors. Every error returned by this package for a printer
// condition wraps exactly one of the first group, so a kiosk can use
// errors.Is to tell a person what happened.
var (
	ErrPaperOut    = errors.New("printer: paper out")
	ErrCoverOpen   = errors.New("printer: cover open")
	ErrCutter      = errors.New("printer: cutter error")
	ErrFault       = errors.New("printer: hardware error")
	ErrOffline     = errors.New("printer: offline")
	ErrNoReply     = errors.New("printer: no reply")
	ErrWriteFailed = errors.New("printer: write failed")

	// ErrNoStatus is returned by Status for a transport opened without
	// status support (a plain file). Print treats it as "cannot check".
	ErrNoStatus = errors.New("printer: status not supported on this transport")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("printer: closed")
	// ErrBadSpec reports a printer spec Open or ParseSpec cannot use.
	ErrBadSpec = errors.New("printer: bad spec")
)

// Error is a printer failure with its kind (one of the sentinel errors), the
// operation, the printer spec, the status that caused it (for status kinds)
// and the underlying cause, if any. errors.Is matches both Kind and Err.
type Error struct {
	Kind   error
	Op     string // "open", "write", "status"
	Spec   string
	Status escpos.Status
	Err    error
}

func (e *Error) Error() string {
	msg := e.Op
	if e.Spec != "" {
		msg += " " + e.Spec
	}
	msg += ": " + e.Kind.Error()
	if e.Status.Have != [5]bool{} && e.Err == nil {
		msg += " (" + e.Status.String() + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the kind and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// StatusError returns nil if s allows printing, or an *Error whose Kind says
// why not, most specific first: cover open, paper out, cutter error,
// hardware error, offline. Paper near end is not an error. Spec is left
// empty; Print fills it in.
func StatusError(s escpos.Status) error {
	var kind error
	switch {
	case s.CoverOpen:
		kind = ErrCoverOpen
	case s.PaperOut, s.PaperEndStop:
		kind = ErrPaperOut
	case s.CutterError:
		kind = ErrCutter
	case s.UnrecoverableError, s.AutoRecoverableError:
		kind = ErrFault
	case s.Offline, s.ErrorOccurred:
		kind = ErrOffline
	default:
		return nil
	}
	return &Error{Kind: kind, Op: "status", Status: s}
}
