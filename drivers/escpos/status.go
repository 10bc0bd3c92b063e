package escpos

import (
	"errors"
	"fmt"
	"strings"
)

// StatusKind is n in the real-time status request DLE EOT n.
type StatusKind byte

// Real-time status kinds (Epson ESC/POS reference, DLE EOT).
const (
	StatusPrinter StatusKind = 1 // printer status: offline, drawer pin, feed button
	StatusOffline StatusKind = 2 // offline cause: cover, feed, paper-end stop, error
	StatusError   StatusKind = 3 // error cause: autocutter, unrecoverable, auto-recoverable
	StatusPaper   StatusKind = 4 // roll paper sensor: near end, paper end
)

// Fixed bits of every DLE EOT reply: bit 1 and bit 4 are 1, bit 0 and bit 7
// are 0. 0x12 therefore means "nothing to report" for every n.
const (
	statusFixedMask  = 0x93
	statusFixedValue = 0x12
)

// ErrBadStatus reports a reply byte whose fixed bits are wrong, that is, not
// a DLE EOT reply at all (line noise, a stale byte, a wrong baud rate).
var ErrBadStatus = errors.New("escpos: not a status reply")

// StatusRequest returns the bytes of DLE EOT n.
func StatusRequest(kind StatusKind) []byte {
	return []byte{DLE, EOT, byte(kind)}
}

// ValidStatusByte reports whether c has the fixed bits of a DLE EOT reply.
func ValidStatusByte(c byte) bool { return c&statusFixedMask == statusFixedValue }

// Status is the printer state assembled from one or more DLE EOT replies.
// Only the fields of the kinds recorded in Have are meaningful.
type Status struct {
	// Have[k] is true once the reply to DLE EOT k has been decoded (index 0
	// unused); Raw[k] holds that reply byte.
	Have [5]bool
	Raw  [5]byte

	// n = 1, printer status.
	DrawerHigh      bool // bit 2: drawer kick-out connector pin 3 is high
	Offline         bool // bit 3
	WaitingRecovery bool // bit 5: waiting for online recovery
	FeedButton      bool // bit 6: paper feed button is being pressed

	// n = 2, offline cause.
	CoverOpen     bool // bit 2
	FeedingByHand bool // bit 3: paper is being fed by the feed button
	PaperEndStop  bool // bit 5: printing stopped because the paper ran out
	ErrorOccurred bool // bit 6

	// n = 3, error cause.
	CutterError          bool // bit 3: autocutter error
	UnrecoverableError   bool // bit 5
	AutoRecoverableError bool // bit 6: e.g. head overheated; clears itself

	// n = 4, roll paper sensor.
	PaperNearEnd bool // bits 2,3: near-end sensor
	PaperOut     bool // bits 5,6: paper end sensor
}

// DecodeStatus decodes the reply to DLE EOT kind. It returns ErrBadStatus
// (wrapped) when the fixed bits are wrong and ErrArgument for a kind outside
// 1..4.
func DecodeStatus(kind StatusKind, reply byte) (Status, error) {
	var s Status
	err := s.Merge(kind, reply)
	return s, err
}

// Merge decodes the reply to DLE EOT kind into s, leaving the fields of
// other kinds untouched.
//
// For n = 4 Epson sets both bits of a sensor pair (0x0C near end, 0x60 paper
// end); some clones set only one, so either bit counts.
func (s *Status) Merge(kind StatusKind, reply byte) error {
	if kind < StatusPrinter || kind > StatusPaper {
		return fmt.Errorf("status kind %d (want 1..4): %w", kind, ErrArgument)
	}
	if !ValidStatusByte(reply) {
		return fmt.Errorf("DLE EOT %d reply %#02x: %w", kind, reply, ErrBadStatus)
	}
	bit := func(n uint) bool { return reply&(1<<n) != 0 }
	switch kind {
	case StatusPrinter:
		s.DrawerHigh, s.Offline, s.WaitingRecovery, s.FeedButton = bit(2), bit(3), bit(5), bit(6)
	case StatusOffline:
		s.CoverOpen, s.FeedingByHand, s.PaperEndStop, s.ErrorOccurred = bit(2), bit(3), bit(5), bit(6)
	case StatusError:
		s.CutterError, s.UnrecoverableError, s.AutoRecoverableError = bit(3), bit(5), bit(6)
	case StatusPaper:
		s.PaperNearEnd = reply&0x0C != 0
		s.PaperOut = reply&0x60 != 0
	}
	s.Have[kind], s.Raw[kind] = true, reply
	return nil
}

// Ready reports whether nothing recorded prevents printing. Paper near end
// does not: the roll still has paper, staff should just be told.
func (s Status) Ready() bool {
	return !s.Offline && !s.CoverOpen && !s.PaperEndStop && !s.ErrorOccurred &&
		!s.CutterError && !s.UnrecoverableError && !s.AutoRecoverableError && !s.PaperOut
}

// String lists the conditions set, or "ok", for logs.
func (s Status) String() string {
	var parts []string
	add := func(v bool, name string) {
		if v {
			parts = append(parts, name)
		}
	}
	add(s.Offline, "offline")
	add(s.CoverOpen, "cover open")
	add(s.PaperOut, "paper out")
	add(s.PaperEndStop, "stopped at paper end")
	add(s.PaperNearEnd, "paper near end")
	add(s.CutterError, "cutter error")
	add(s.UnrecoverableError, "unrecoverable error")
	add(s.AutoRecoverableError, "auto-recoverable error")
	add(s.ErrorOccurred, "error")
	add(s.WaitingRecovery, "waiting for recovery")
	add(s.FeedButton, "feed button pressed")
	add(s.FeedingByHand, "feeding by button")
	if len(parts) == 0 {
		return "ok"
	}
	return strings.Join(parts, ", ")
}
