package escpos

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// ErrUnknownProfile reports a profile name LookupProfile does not know.
var ErrUnknownProfile = errors.New("escpos: unknown printer profile")

// Profile describes one printer model: paper width, capabilities, serial
// speed and the pacing rule for serial lines without flow control.
type Profile struct {
	Name        string
	Description string

	DotsPerLine int // printable dots per line (58 mm: 384, 80 mm: 576)
	Columns     int // Font A (12×24) characters per line; a Chinese character takes 2

	ChineseAtPowerUp bool // FS & is active after power-up (Chinese-market firmware); informational, layouts always send FS &
	NativeQR         bool // GS ( k QR codes; false: QR codes are sent as GS v 0 raster images
	Cutter           bool // has an autocutter (GS V); false: feed past the tear bar instead
	QRModule         int  // dots per QR module
	// FourByteGB says the printer's font is GB18030-2005's, 4-byte codes included (Extension A
	// and B hanzi, accented Latin): text is sent as 4-byte codes; false: lines holding such
	// characters are printed as raster images.
	FourByteGB bool

	Baud         int // default serial speed
	BufferBytes  int // receive buffer size
	PrintSpeedMM int // print speed, mm/s, the slow end of the model's range (used for pacing)

	Pacing Pacing
}

// Pacing is the rule for writing to a printer over a serial line without
// flow control: the host never assumes more than Capacity bytes sit in the
// printer's buffer, and it assumes the printer drains no faster than
// DrainBytesPerSec. See Pacer and docs/PRINTING.md for the arithmetic.
type Pacing struct {
	ChunkBytes       int // bytes per write
	Capacity         int // buffer bytes the host may fill: BufferBytes minus a reserve
	DrainBytesPerSec int // lower bound on how fast the printer consumes normal text
}

// lineSpacingMM is the default ESC 2 line spacing, 1/6 inch.
const lineSpacingMM = 25.4 / 6

// bufferReserve is the part of the printer buffer the pacing never fills: it
// absorbs the few bytes that take a long time to print (a number at 8×
// height, feeds, the cut) and whatever was left from an earlier job.
const bufferReserve = 1024

// newProfile fills in the derived fields.
func newProfile(p Profile) Profile {
	// Normal text is the slowest content per byte in our layouts: one line
	// of Columns bytes (Chinese: Columns/2 characters × 2 bytes) per 1/6 inch
	// of paper.
	linesPerSec := float64(p.PrintSpeedMM) / lineSpacingMM
	p.Pacing = Pacing{
		ChunkBytes:       256,
		Capacity:         p.BufferBytes - bufferReserve,
		DrainBytesPerSec: int(linesPerSec * float64(p.Columns)),
	}
	return p
}

// profiles returns the built-in profiles, freshly built (no shared state).
func profiles() []Profile {
	return []Profile{
		newProfile(Profile{
			Name: "58mm", Description: "generic 58 mm GB18030 kiosk printer with cutter and native QR (POS-58 class)",
			DotsPerLine: 384, Columns: 32, ChineseAtPowerUp: true, NativeQR: true, Cutter: true, QRModule: 6,
			Baud: 9600, BufferBytes: 4096, PrintSpeedMM: 50,
		}),
		newProfile(Profile{
			Name: "58mm-raster", Description: "58 mm printer without native QR: QR codes as raster images",
			DotsPerLine: 384, Columns: 32, ChineseAtPowerUp: true, NativeQR: false, Cutter: true, QRModule: 5,
			Baud: 9600, BufferBytes: 4096, PrintSpeedMM: 50,
		}),
		newProfile(Profile{
			Name: "xprinter-58", Description: "Xprinter XP-58 class: 58 mm, tear bar (no cutter), native QR",
			DotsPerLine: 384, Columns: 32, ChineseAtPowerUp: true, NativeQR: true, Cutter: false, QRModule: 6,
			Baud: 9600, BufferBytes: 4096, PrintSpeedMM: 60,
		}),
		newProfile(Profile{
			Name: "80mm", Description: "generic 80 mm GB18030 printer with cutter and native QR",
			DotsPerLine: 576, Columns: 48, ChineseAtPowerUp: true, NativeQR: true, Cutter: true, QRModule: 8,
			Baud: 19200, BufferBytes: 4096, PrintSpeedMM: 80,
		}),
		newProfile(Profile{
			Name: "80mm-gb18030", Description: "80 mm printer with a GB18030-2005 font (4-byte codes: Extension A/B hanzi, accented Latin), cutter, native QR",
			DotsPerLine: 576, Columns: 48, ChineseAtPowerUp: true, NativeQR: true, Cutter: true, QRModule: 8, FourByteGB: true,
			Baud: 19200, BufferBytes: 4096, PrintSpeedMM: 80,
		}),
		newProfile(Profile{
			Name: "80mm-raster", Description: "80 mm printer without native QR: QR codes as raster images",
			DotsPerLine: 576, Columns: 48, ChineseAtPowerUp: true, NativeQR: false, Cutter: true, QRModule: 6,
			Baud: 19200, BufferBytes: 4096, PrintSpeedMM: 80,
		}),
		newProfile(Profile{
			Name: "epson-tm-t88", Description: "Epson TM-T88 (Simplified Chinese model): 80 mm paper, 180 dpi, 512 dots",
			DotsPerLine: 512, Columns: 42, ChineseAtPowerUp: false, NativeQR: true, Cutter: true, QRModule: 7,
			Baud: 38400, BufferBytes: 4096, PrintSpeedMM: 150,
		}),
	}
}

// ProfileNames lists the names LookupProfile accepts, sorted.
func ProfileNames() []string {
	var names []string
	for _, p := range profiles() {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}

// LookupProfile returns the profile with the given name (case-insensitive,
// surrounding spaces ignored).
func LookupProfile(name string) (Profile, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	for _, p := range profiles() {
		if p.Name == key {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("printer profile %q (known: %s): %w",
		name, strings.Join(ProfileNames(), ", "), ErrUnknownProfile)
}

// LineTime returns how long n bytes take on a serial line at baud bits/s
// with 8N1 framing: 10 bits per byte (start, 8 data, stop).
func LineTime(n, baud int) time.Duration {
	if baud <= 0 {
		return 0
	}
	return time.Duration(int64(n) * 10 * int64(time.Second) / int64(baud))
}

// Pacer applies a Pacing rule as a leaky bucket: it models the bytes in the
// printer's buffer, adding what the host sends and draining at the assumed
// lower-bound rate, and delays a write until it fits under Capacity. Because
// the real printer drains at least that fast and bytes still on the wire are
// counted as already arrived, the real buffer is never fuller than the model.
//
// A Pacer is used by one writer at a time; it holds no global state.
type Pacer struct {
	rule  Pacing
	level float64   // modelled bytes in the printer's buffer at time last
	last  time.Time // time of the last update
}

// NewPacer returns a Pacer for rule, with the printer buffer assumed empty.
func NewPacer(rule Pacing) *Pacer { return &Pacer{rule: rule} }

// ChunkBytes returns how many bytes to hand to one write.
func (p *Pacer) ChunkBytes() int {
	if p.rule.ChunkBytes <= 0 {
		return 256
	}
	return p.rule.ChunkBytes
}

// Reserve records that n bytes will be sent and returns how long after now
// to wait before sending them. n must not exceed ChunkBytes.
func (p *Pacer) Reserve(n int, now time.Time) time.Duration {
	if p.rule.DrainBytesPerSec <= 0 || p.rule.Capacity <= 0 {
		return 0
	}
	drain := float64(p.rule.DrainBytesPerSec)
	if !p.last.IsZero() && now.After(p.last) {
		p.level -= now.Sub(p.last).Seconds() * drain
		if p.level < 0 {
			p.level = 0
		}
	}
	if p.last.IsZero() || now.After(p.last) {
		p.last = now
	}
	// p.last may lie in the future if earlier reservations were delayed.
	var wait time.Duration
	if over := p.level + float64(n) - float64(p.rule.Capacity); over > 0 {
		// Round up so that float rounding never shortens the wait.
		d := time.Duration(math.Ceil(over / drain * float64(time.Second)))
		p.level -= over
		p.last = p.last.Add(d)
	}
	if p.last.After(now) {
		wait = p.last.Sub(now)
	}
	p.level += float64(n)
	return wait
}
