package escpos

import (
	"errors"
	"fmt"
)

// Control bytes used by the commands below.
const (
	LF  = 0x0A // print and line feed
	DLE = 0x10
	EOT = 0x04
	ESC = 0x1B
	FS  = 0x1C
	GS  = 0x1D
)

// Align is the justification set by ESC a n.
type Align byte

// Justifications for ESC a n.
const (
	AlignLeft   Align = 0
	AlignCenter Align = 1
	AlignRight  Align = 2
)

// CutMode selects full or partial cut for GS V.
type CutMode byte

// Cut modes. Function A (GS V m) uses m = 0 (full) / 1 (partial); function B
// (GS V m n, feed n dots then cut) uses m = 65 (full) / 66 (partial).
const (
	CutFull    CutMode = 0
	CutPartial CutMode = 1
)

// ErrArgument reports an argument outside the range a command accepts.
var ErrArgument = errors.New("escpos: argument out of range")

// Builder accumulates an ESC/POS byte stream. The zero value is ready to use
// and starts in ASCII (non-Chinese) mode. A Builder is not safe for concurrent
// use.
type Builder struct {
	buf      []byte
	chinese  bool
	fourByte bool  // Chinese-mode text may use GB18030 4-byte codes
	align    Align // the last ESC a sent (ESC @ resets it to left)
	bold     bool  // the last ESC E sent
}

// NewBuilder returns an empty Builder with capacity for n bytes.
func NewBuilder(n int) *Builder {
	return &Builder{buf: make([]byte, 0, n)}
}

// Bytes returns the accumulated stream. It aliases the Builder's buffer
// until the next call that appends.
func (b *Builder) Bytes() []byte { return b.buf }

// Len returns the number of bytes accumulated.
func (b *Builder) Len() int { return len(b.buf) }

// Reset empties the stream and returns to ASCII mode.
func (b *Builder) Reset() {
	b.buf = b.buf[:0]
	b.chinese, b.align, b.bold = false, AlignLeft, false
}

// FourByteGB lets Text send GB18030 4-byte codes in Chinese mode, for a
// printer whose font covers them (Profile.FourByteGB). It sends nothing.
func (b *Builder) FourByteGB(on bool) { b.fourByte = on }

// Chinese reports whether the Builder has switched the printer into Chinese
// (FS &) mode.
func (b *Builder) Chinese() bool { return b.chinese }

// Raw appends bytes unchanged.
func (b *Builder) Raw(p ...byte) { b.buf = append(b.buf, p...) }

// Init appends ESC @: clear the print buffer and reset modes to power-up
// defaults. The Builder assumes ASCII mode afterwards; call ChineseOn
// explicitly, since printers differ in their power-up setting.
func (b *Builder) Init() {
	b.buf = append(b.buf, ESC, '@')
	b.chinese, b.align, b.bold = false, AlignLeft, false
}

// ChineseOn appends FS &: select Chinese (Kanji) character mode, in which
// two-byte GB18030 codes print as one full-width character.
func (b *Builder) ChineseOn() {
	b.buf = append(b.buf, FS, '&')
	b.chinese = true
}

// ChineseOff appends FS .: cancel Chinese character mode.
func (b *Builder) ChineseOff() {
	b.buf = append(b.buf, FS, '.')
	b.chinese = false
}

// Align appends ESC a n.
func (b *Builder) Align(a Align) {
	if a > AlignRight {
		a = AlignLeft
	}
	b.align = a
	b.buf = append(b.buf, ESC, 'a', byte(a))
}

// Bold appends ESC E n (emphasized mode on or off).
func (b *Builder) Bold(on bool) {
	b.bold = on
	b.buf = append(b.buf, ESC, 'E', boolByte(on))
}

// Reverse appends GS B n: white-on-black printing on or off.
func (b *Builder) Reverse(on bool) {
	b.buf = append(b.buf, GS, 'B', boolByte(on))
}

// Underline appends ESC - n with n = 0 (off), 1 (1 dot) or 2 (2 dots), and
// FS - n with the same n when in Chinese mode, because Chinese characters
// have their own underline setting.
func (b *Builder) Underline(n int) error {
	if n < 0 || n > 2 {
		return fmt.Errorf("underline %d (want 0..2): %w", n, ErrArgument)
	}
	b.buf = append(b.buf, ESC, '-', byte(n))
	if b.chinese {
		b.buf = append(b.buf, FS, '-', byte(n))
	}
	return nil
}

// Size appends GS ! n selecting character magnification w×h, each 1..8.
// GS ! applies to ASCII and Chinese characters alike.
func (b *Builder) Size(w, h int) error {
	if w < 1 || w > 8 || h < 1 || h > 8 {
		return fmt.Errorf("size %dx%d (want 1..8 each): %w", w, h, ErrArgument)
	}
	b.buf = append(b.buf, GS, '!', byte((w-1)<<4|(h-1)))
	return nil
}

// LF appends a line feed: print the line buffer and advance one line.
func (b *Builder) LF() { b.buf = append(b.buf, LF) }

// Feed appends ESC d n: print and feed n lines (0..255).
func (b *Builder) Feed(n int) error {
	if n < 0 || n > 255 {
		return fmt.Errorf("feed %d lines (want 0..255): %w", n, ErrArgument)
	}
	b.buf = append(b.buf, ESC, 'd', byte(n))
	return nil
}

// Cut appends GS V m (function A): cut at the current position.
func (b *Builder) Cut(mode CutMode) {
	b.buf = append(b.buf, GS, 'V', byte(mode&1))
}

// FeedCut appends GS V m n (function B): feed the paper to the cutting
// position plus n dots (0..255), then cut. m is 65 (full) or 66 (partial).
func (b *Builder) FeedCut(mode CutMode, n int) error {
	if n < 0 || n > 255 {
		return fmt.Errorf("cut feed %d dots (want 0..255): %w", n, ErrArgument)
	}
	b.buf = append(b.buf, GS, 'V', 65+byte(mode&1), byte(n))
	return nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
