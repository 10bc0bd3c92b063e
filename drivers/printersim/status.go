package printersim

import (
	"fmt"
	"strings"
)

// Status is the simulated printer's condition, as reported by DLE EOT. Tests set it with
// Printer.SetStatus. While the printer is not ready (see Ready) it prints nothing.
type Status struct {
	Offline         bool // offline for another reason (e.g. the user pressed the online button)
	CoverOpen       bool // the roll paper cover is open
	PaperOut        bool // paper end: printing has stopped
	PaperNearEnd    bool // the roll is nearly used up (printing continues)
	PaperFeed       bool // paper is being fed by the feed button
	CutterError     bool // autocutter error
	Unrecoverable   bool // unrecoverable error (e.g. head temperature circuit)
	AutoRecoverable bool // automatically recoverable error (e.g. head overheated)
	DrawerOpen      bool // drawer kick-out connector pin 3 is high
}

// Ready reports whether the printer prints: not offline, cover closed, paper present,
// no error.
func (s Status) Ready() bool {
	return !s.offline()
}

// offline is the printer's online/offline state as derived from the conditions that take
// an Epson printer offline.
func (s Status) offline() bool {
	return s.Offline || s.CoverOpen || s.PaperOut || s.PaperFeed || s.anyError()
}

func (s Status) anyError() bool {
	return s.CutterError || s.Unrecoverable || s.AutoRecoverable
}

// bit returns 1<<n when cond holds.
func bit(cond bool, n uint) byte {
	if cond {
		return 1 << n
	}
	return 0
}

// statusFixed has the bits every DLE EOT reply sets: bit 1 and bit 4 are fixed to 1.
const statusFixed = 0x12

// Reply returns the byte a printer sends for DLE EOT n (Epson TM reference), and false for an
// n the printer does not answer.
//
//	n=1 printer status:   bit2 drawer pin 3, bit3 offline, bit5 waiting for online recovery,
//	                      bit6 feed button pressed
//	n=2 offline cause:    bit2 cover open, bit3 paper fed by the feed button, bit5 printing
//	                      stopped by paper end, bit6 error
//	n=3 error cause:      bit3 autocutter error, bit5 unrecoverable, bit6 auto-recoverable
//	n=4 roll paper sensor: bits 2-3 paper near end, bits 5-6 paper end
func (s Status) Reply(n byte) (byte, bool) {
	switch n {
	case 1:
		return statusFixed | bit(s.DrawerOpen, 2) | bit(s.offline(), 3) |
			bit(s.PaperFeed, 6), true
	case 2:
		return statusFixed | bit(s.CoverOpen, 2) | bit(s.PaperFeed, 3) | bit(s.PaperOut, 5) |
			bit(s.anyError(), 6), true
	case 3:
		return statusFixed | bit(s.CutterError, 3) | bit(s.Unrecoverable, 5) |
			bit(s.AutoRecoverable, 6), true
	case 4:
		return statusFixed | bit(s.PaperNearEnd, 2) | bit(s.PaperNearEnd, 3) |
			bit(s.PaperOut, 5) | bit(s.PaperOut, 6), true
	}
	return 0, false
}

// statusNames maps the names accepted by ParseStatus to the fields they set.
var statusNames = []struct {
	name string
	set  func(*Status)
}{
	{"offline", func(s *Status) { s.Offline = true }},
	{"cover-open", func(s *Status) { s.CoverOpen = true }},
	{"paper-out", func(s *Status) { s.PaperOut = true }},
	{"paper-near-end", func(s *Status) { s.PaperNearEnd = true }},
	{"paper-feed", func(s *Status) { s.PaperFeed = true }},
	{"cutter-error", func(s *Status) { s.CutterError = true }},
	{"unrecoverable", func(s *Status) { s.Unrecoverable = true }},
	{"auto-recoverable", func(s *Status) { s.AutoRecoverable = true }},
	{"drawer-open", func(s *Status) { s.DrawerOpen = true }},
}

// ParseStatus reads a comma-separated list of conditions such as "paper-out,cover-open"
// ("ok" or "" is a ready printer). Names: offline, cover-open, paper-out, paper-near-end,
// paper-feed, cutter-error, unrecoverable, auto-recoverable, drawer-open.
func ParseStatus(spec string) (Status, error) {
	var s Status
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		if f == "" || f == "ok" {
			continue
		}
		found := false
		for _, n := range statusNames {
			if n.name == f {
				n.set(&s)
				found = true
			}
		}
		if !found {
			names := make([]string, len(statusNames))
			for i, n := range statusNames {
				names[i] = n.name
			}
			return Status{}, fmt.Errorf("printersim: unknown status %q (want ok or %s)", f, strings.Join(names, ", "))
		}
	}
	return s, nil
}

// String lists the set conditions in ParseStatus syntax ("ok" when none is set).
func (s Status) String() string {
	var out []string
	for _, n := range statusNames {
		var t Status
		n.set(&t)
		if s.has(t) {
			out = append(out, n.name)
		}
	}
	if len(out) == 0 {
		return "ok"
	}
	return strings.Join(out, ",")
}

// has reports whether every condition set in t is set in s.
func (s Status) has(t Status) bool {
	return (!t.Offline || s.Offline) && (!t.CoverOpen || s.CoverOpen) &&
		(!t.PaperOut || s.PaperOut) && (!t.PaperNearEnd || s.PaperNearEnd) &&
		(!t.PaperFeed || s.PaperFeed) && (!t.CutterError || s.CutterError) &&
		(!t.Unrecoverable || s.Unrecoverable) && (!t.AutoRecoverable || s.AutoRecoverable) &&
		(!t.DrawerOpen || s.DrawerOpen)
}
