package escpos

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Text appends s encoded for the current mode, without a line feed.
//
// In Chinese mode every rune is encoded to GB18030. Runes whose GB18030 form
// is a 4-byte sequence are sent as that sequence only when FourByteGB is on
// (a printer with a GB18030-2005 font) and the rune is a letter or digit
// (Extension A/B hanzi, ß, ñ...); otherwise they are replaced by a fallback
// from a small table (¥ → ￥, © → (C), ✓ → √, • → ·) or by "□" (A1F5), the
// mark of a character the printer's font lacks. The ticket layouts never let
// "□" reach paper: they print such a line as a raster image (NeedsImage).
// In ASCII mode only printable ASCII is sent; other runes get an ASCII
// fallback (¥ → RMB, — → -, full-width forms → ASCII) or "?".
//
// Control characters other than '\n' are dropped and '\t' becomes a space,
// so text from configuration or user input can never inject a command.
func (b *Builder) Text(s string) {
	b.buf = appendText(b.buf, s, b.mode())
}

// Line appends s followed by a line feed.
func (b *Builder) Line(s string) {
	b.Text(s)
	b.LF()
}

// AppendText appends s to dst encoded as Builder.Text does for the given mode
// (chinese = FS & mode on), with 2-byte GB18030 codes only.
func AppendText(dst []byte, s string, chinese bool) []byte {
	m := modeASCII
	if chinese {
		m = modeGB2
	}
	return appendText(dst, s, m)
}

// AppendTextGB4 appends s to dst in Chinese mode for a printer that prints
// GB18030 4-byte codes (Profile.FourByteGB): letters and digits without a
// 2-byte code are sent as 4-byte codes.
func AppendTextGB4(dst []byte, s string) []byte { return appendText(dst, s, modeGB4) }

// textMode is how text is encoded: printable ASCII only, GB18030 with 2-byte
// codes only, or GB18030 with 4-byte codes for letters and digits.
type textMode int

const (
	modeASCII textMode = iota
	modeGB2
	modeGB4
)

func (b *Builder) mode() textMode {
	switch {
	case !b.chinese:
		return modeASCII
	case b.fourByte:
		return modeGB4
	}
	return modeGB2
}

// missingMark replaces, in Chinese mode, a character the printer cannot
// print: "□" (A1F5), full width like the character it stands for.
const missingMark = "□"

func appendText(dst []byte, s string, m textMode) []byte {
	var (
		tmp [8]byte
		enc transform.Transformer
	)
	chinese := m != modeASCII
	for _, r := range s {
		switch {
		case r == '\n':
			dst = append(dst, LF)
			continue
		case r == '\t':
			dst = append(dst, ' ')
			continue
		case r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0):
			continue // C0/C1 controls: never sent
		case r < 0x80:
			dst = append(dst, byte(r))
			continue
		}
		if chinese {
			if enc == nil {
				enc = simplifiedchinese.GB18030.NewEncoder()
			}
			if code, ok := gbCode(enc, r, tmp[:0]); ok && (len(code) == 2 || m == modeGB4 && fourByteOK(r)) {
				dst = append(dst, code...)
				continue
			}
		}
		dst = appendFallback(dst, r, chinese)
	}
	return dst
}

// fourByteOK reports whether a rune with a 4-byte GB18030 code is sent as
// that code to a GB18030-2005 printer: letters and digits (hanzi of the
// extensions, accented Latin, Cyrillic...), which its font has; symbols and
// emoji keep their fallbacks.
func fourByteOK(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// NeedsImage reports whether s, in Chinese mode, holds a character that the
// printer's font lacks (one Builder.Text would send as "□"): the layouts print
// such a line as a raster image instead. fourByte is Profile.FourByteGB.
func NeedsImage(s string, fourByte bool) bool {
	var enc transform.Transformer
	var tmp [8]byte
	for _, r := range s {
		if r < 0xA0 {
			continue
		}
		if enc == nil {
			enc = simplifiedchinese.GB18030.NewEncoder()
		}
		if code, ok := gbCode(enc, r, tmp[:0]); ok && (len(code) == 2 || fourByte && fourByteOK(r)) {
			continue
		}
		if _, ok := fallback(r, true); ok {
			continue
		}
		if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) {
			continue
		}
		return true
	}
	return false
}

// gbCode encodes r to GB18030 (2 or 4 bytes).
func gbCode(enc transform.Transformer, r rune, dst []byte) ([]byte, bool) {
	if r == utf8.RuneError || r < 0x80 {
		return dst, false
	}
	var src [utf8.UTFMax]byte
	n := utf8.EncodeRune(src[:], r)
	var out [8]byte
	enc.Reset()
	nDst, _, err := enc.Transform(out[:], src[:n], true)
	if err != nil || (nDst != 2 && nDst != 4) {
		return dst, false
	}
	return append(dst, out[:nDst]...), true
}

// fallback returns the replacement for a rune that cannot be sent as is:
// in Chinese mode one without a 2-byte GB18030 code, in ASCII mode any
// non-ASCII rune. Replacements are ASCII or 2-byte GB18030 text.
func fallback(r rune, chinese bool) (string, bool) {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\uFE0E', '\uFE0F', '\uFEFF':
		return "", true // zero-width characters, emoji joiners and selectors
	case '\u00A0':
		return " ", true
	case '\u00A9':
		return "(C)", true
	case '\u00AE':
		return "(R)", true
	case '\u2122':
		return "TM", true
	case '\u260E', '\u260F', '\U0001F4DE', '\U0001F4F1':
		return "Tel", true
	}
	if chinese {
		switch r {
		case '\u00A5':
			return "￥", true // ¥ is 4-byte in GB18030; full-width ￥ is A3A4
		case '\u2022', '\u2219', '\u25CF':
			return "·", true
		case '\u2713', '\u2714', '\u2705', '\u2611':
			return "√", true
		case '\u2717', '\u2718', '\u274C', '\u274E':
			return "×", true
		case '\u2139':
			return "i", true
		}
		return "", false
	}
	switch r {
	case '\u00A5', '\uFFE5':
		return "RMB", true
	case '\u00B7', '\u3002':
		return ".", true
	case '\u2022', '\u2219', '\u25CF':
		return "*", true
	case '\u2013', '\u2014', '\u2015':
		return "-", true
	case '\u2018', '\u2019':
		return "'", true
	case '\u201C', '\u201D':
		return `"`, true
	case '\u2026':
		return "...", true
	case '\u00D7', '\u2717', '\u2718', '\u274C':
		return "x", true
	case '\u2713', '\u2714', '\u2705':
		return "v", true
	case '\u2192':
		return "->", true
	case '\u3000':
		return " ", true
	case '\u3001':
		return ",", true
	case '\u00B0':
		return "deg", true
	case '\u2103':
		return "C", true
	}
	if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII variants
		return string(r - 0xFEE0), true
	}
	// Accented Latin letters (pinyin ā, é, ü…) lose their marks.
	if d := norm.NFD.String(string(r)); len(d) > 0 && d[0] < 0x80 && d[0] >= 0x20 {
		return d[:1], true
	}
	return "", false
}

func appendFallback(dst []byte, r rune, chinese bool) []byte {
	if rep, ok := fallback(r, chinese); ok {
		return AppendText(dst, rep, chinese)
	}
	if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) {
		return dst // combining marks: drop rather than print a mark
	}
	if chinese {
		return AppendText(dst, missingMark, true)
	}
	return append(dst, '?')
}

// Width returns how many columns s occupies on the printer in Chinese or
// ASCII mode at normal size: 1 per ASCII byte, 2 per GB18030 character (2- or
// 4-byte; the printer's Chinese font is exactly twice as wide as Font A, and
// so is a "□" or a raster cell standing for a missing character), with
// fallbacks measured as what is actually sent. This is the printer's own
// truth, which differs from Unicode East Asian Width for ambiguous characters
// such as "·" or "“", printed full-width in Chinese mode.
func Width(s string, chinese bool) int {
	w := 0
	for _, r := range s {
		w += runeWidth(r, chinese)
	}
	return w
}

func runeWidth(r rune, chinese bool) int {
	if r == '\n' {
		return 0
	}
	var tmp [16]byte
	// In Chinese mode ASCII bytes are 1 column and 2-byte codes 2 columns:
	// either way the width equals the 2-byte encoding's length, in which a
	// character sent as a 4-byte code or drawn as an image is "□".
	return len(AppendText(tmp[:0], string(r), chinese))
}

// noLineStart holds punctuation that must not begin a line (line-breaking
// rules for Chinese text); Wrap carries the previous character over instead.
const noLineStart = "，。、；：！？）》」』】〕〉”’…—,.;:!?)]}%"

// Wrap breaks s into lines of at most cols columns as measured by Width.
// Chinese text breaks between any two characters; Latin words (runs of
// non-space ASCII) move to the next line whole unless longer than a line.
// Closing punctuation never starts a line. Existing '\n' are kept as breaks.
// cols < 2 is treated as 2 (one Chinese character).
func Wrap(s string, cols int, chinese bool) []string {
	if cols < 2 {
		cols = 2
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, wrapPara(para, cols, chinese)...)
	}
	return out
}

type token struct {
	text  string
	width int
	space bool
}

func tokenize(s string, chinese bool) []token {
	var toks []token
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			w := word.String()
			toks = append(toks, token{text: w, width: Width(w, chinese)})
			word.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == ' ':
			flush()
			toks = append(toks, token{text: " ", width: 1, space: true})
		case r < 0x80 && r > 0x20:
			word.WriteRune(r)
		default:
			flush()
			t := string(r)
			toks = append(toks, token{text: t, width: runeWidth(r, chinese)})
		}
	}
	flush()
	return toks
}

func wrapPara(s string, cols int, chinese bool) []string {
	toks := tokenize(s, chinese)
	var lines []string
	var cur []token
	curW := 0
	emit := func() {
		var sb strings.Builder
		// Trailing spaces are useless at a line end.
		for len(cur) > 0 && cur[len(cur)-1].space {
			cur = cur[:len(cur)-1]
		}
		for _, t := range cur {
			sb.WriteString(t.text)
		}
		lines = append(lines, sb.String())
		cur, curW = nil, 0
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.space && curW == 0 && len(lines) > 0 {
			continue // no leading spaces on continuation lines
		}
		if curW+t.width <= cols {
			cur = append(cur, t)
			curW += t.width
			continue
		}
		if t.space {
			emit()
			continue
		}
		// A word longer than a line: split it by character.
		if t.width > cols {
			for _, r := range t.text {
				rw := runeWidth(r, chinese)
				if curW+rw > cols {
					emit()
				}
				cur = append(cur, token{text: string(r), width: rw})
				curW += rw
			}
			continue
		}
		// Closing punctuation must not start the next line: carry the last
		// character of this line over with it.
		if strings.Contains(noLineStart, t.text) && len(cur) > 1 && !cur[len(cur)-1].space {
			last := cur[len(cur)-1]
			if last.width+t.width <= cols {
				cur = cur[:len(cur)-1]
				emit()
				cur = append(cur, last)
				curW = last.width
			} else {
				emit()
			}
		} else {
			emit()
		}
		cur = append(cur, t)
		curW += t.width
	}
	if len(cur) > 0 || len(lines) == 0 {
		emit()
	}
	return lines
}
