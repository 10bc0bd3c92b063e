package printersim

import (
	"fmt"
)

// Control bytes that start ESC/POS commands or act as commands themselves.
const (
	nul = 0x00
	ht  = 0x09
	lf  = 0x0A
	ff  = 0x0C
	cr  = 0x0D
	dle = 0x10
	can = 0x18
	esc = 0x1B
	fs  = 0x1C
	gs  = 0x1D
)

// Kind identifies what a parsed Command does. Commands the printer model does not act on
// still get a Kind (KindIgnored) when their length is known, so the stream stays in step.
type Kind int

// The command kinds the parser recognises.
const (
	KindUnknown            Kind = iota // unknown command: skipped with a warning
	KindIgnored                        // known command with no visible effect in the simulator
	KindTruncated                      // the stream ended inside a command
	KindText                           // printable bytes (Data holds them, undecoded)
	KindLF                             // LF: print and line feed
	KindCR                             // CR: ignored (auto line feed off)
	KindHT                             // HT: horizontal tab
	KindFF                             // FF: print and eject / print page in page mode
	KindCAN                            // CAN: cancel page data
	KindInit                           // ESC @
	KindPrintMode                      // ESC ! n
	KindUnderline                      // ESC - n
	KindBold                           // ESC E n
	KindDoubleStrike                   // ESC G n
	KindFont                           // ESC M n
	KindAlign                          // ESC a n
	KindFeedLines                      // ESC d n
	KindFeedDots                       // ESC J n
	KindReverseFeed                    // ESC e n / ESC K n
	KindLineSpacingDefault             // ESC 2
	KindLineSpacing                    // ESC 3 n
	KindCharSpacing                    // ESC SP n
	KindCodeTable                      // ESC t n
	KindIntlCharset                    // ESC R n
	KindAbsPos                         // ESC $ nL nH
	KindRelPos                         // ESC \ nL nH
	KindTabStops                       // ESC D n1..nk NUL
	KindUpsideDown                     // ESC { n
	KindRotate                         // ESC V n
	KindItalic                         // ESC 4 n (non-Epson, common on clones)
	KindBitImage                       // ESC * m nL nH d
	KindPulse                          // ESC p m t1 t2 / DLE DC4 1 m t
	KindPeripheral                     // ESC = n
	KindPageMode                       // ESC L
	KindStandardMode                   // ESC S
	KindPageArea                       // ESC W xL xH yL yH dxL dxH dyL dyH
	KindPageDirection                  // ESC T n
	KindPrintPage                      // ESC FF
	KindCutLegacy                      // ESC i (full) / ESC m (partial)
	KindTransmitPaper                  // ESC v / GS r n / ESC u n: status transmission
	KindSize                           // GS ! n
	KindReverse                        // GS B n
	KindLeftMargin                     // GS L nL nH
	KindAreaWidth                      // GS W nL nH
	KindCut                            // GS V m [n]
	KindRaster                         // GS v 0 m xL xH yL yH d
	KindGraphics                       // GS ( L / GS 8 L
	KindSymbol                         // GS ( k
	KindBarcode                        // GS k
	KindBarcodeHeight                  // GS h n
	KindBarcodeWidth                   // GS w n
	KindHRIPosition                    // GS H n
	KindHRIFont                        // GS f n
	KindAbsVertPos                     // GS $ nL nH (page mode)
	KindRelVertPos                     // GS \ nL nH (page mode)
	KindDefineImage                    // GS * x y d
	KindPrintImage                     // GS / m
	KindPrinterID                      // GS I n
	KindChineseOn                      // FS &
	KindChineseOff                     // FS .
	KindKanjiMode                      // FS ! n
	KindKanjiUnderline                 // FS - n
	KindKanjiQuad                      // FS W n
	KindKanjiSpacing                   // FS S n1 n2
	KindStatusRequest                  // DLE EOT n [a]
	KindRealtimeRequest                // DLE ENQ n
	KindRealtimeCommand                // DLE DC4 fn ...
	KindMotionUnits                    // GS P x y: motion units
)

// Command is one parsed element of an ESC/POS stream.
type Command struct {
	Offset int64  // offset of the first byte in the stream
	Kind   Kind   // what the command does
	Name   string // mnemonic such as "ESC a" or "GS ( k"; "text" for printable bytes
	Params []byte // fixed parameter bytes after the command bytes
	Data   []byte // payload: text bytes, image data, symbol data
	Raw    []byte // every byte of the command as received
}

// Warning is a problem found in the stream: an unknown command, a truncated one, or data
// the simulated printer could not print.
type Warning struct {
	Offset int64  // stream offset of the command concerned
	Msg    string // what happened
}

// String formats the warning as "offset N: message".
func (w Warning) String() string { return fmt.Sprintf("offset %d: %s", w.Offset, w.Msg) }

// Parser splits an ESC/POS byte stream into Commands. It is incremental: Feed may be called
// with arbitrary chunks, and a command split across chunks is returned once it is complete.
// The zero value is ready to use. A Parser is not safe for concurrent use.
type Parser struct {
	buf []byte
	off int64 // stream offset of buf[0]
}

// maxFormA bounds the NUL-terminated data of GS k form A (Epson allows at most 255 bytes).
const maxFormA = 255

type result int

const (
	ok       result = iota
	needMore        // the command is incomplete
)

// Feed appends data to the stream and returns the commands completed by it. Printable bytes
// at the end of data are returned at once as a KindText command (text needs no terminator).
func (p *Parser) Feed(data []byte) []Command {
	p.buf = append(p.buf, data...)
	var out []Command
	i := 0
	for i < len(p.buf) {
		c, n, r := decode(p.buf[i:])
		if r == needMore {
			break
		}
		c.Offset = p.off + int64(i)
		c.Raw = p.buf[i : i+n : i+n]
		out = append(out, c)
		i += n
	}
	p.off += int64(i)
	rest := len(p.buf) - i
	if rest == 0 {
		p.buf = p.buf[:0]
	} else {
		// Keep the incomplete command; copy so that returned Raw/Data slices stay valid.
		nb := make([]byte, rest, rest+len(data))
		copy(nb, p.buf[i:])
		p.buf = nb
	}
	if len(out) > 0 && rest == 0 {
		// The returned commands alias p.buf; start a fresh buffer so they are not overwritten.
		p.buf = nil
	}
	return out
}

// End marks the end of the stream. An incomplete command left over is returned as a
// KindTruncated command (its bytes in Raw), and the parser is reset for a new stream.
func (p *Parser) End() []Command {
	if len(p.buf) == 0 {
		return nil
	}
	c := Command{Offset: p.off, Kind: KindTruncated, Name: commandName(p.buf), Raw: p.buf}
	p.off += int64(len(p.buf))
	p.buf = nil
	return []Command{c}
}

// Pending reports how many bytes of an incomplete command the parser holds.
func (p *Parser) Pending() int { return len(p.buf) }

// Parse splits a complete stream into commands (a truncated command at the end included).
func Parse(data []byte) []Command {
	var p Parser
	cmds := p.Feed(data)
	return append(cmds, p.End()...)
}

// commandName gives a readable mnemonic for the command starting at b.
func commandName(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	prefix := ""
	switch b[0] {
	case esc:
		prefix = "ESC"
	case gs:
		prefix = "GS"
	case fs:
		prefix = "FS"
	case dle:
		prefix = "DLE"
	default:
		if b[0] < 0x20 {
			return fmt.Sprintf("0x%02X", b[0])
		}
		return "text"
	}
	if len(b) < 2 {
		return prefix
	}
	name := prefix + " " + byteName(b[1])
	if b[1] == '(' && len(b) >= 3 {
		name += " " + byteName(b[2])
	}
	if prefix == "GS" && b[1] == '8' && len(b) >= 3 {
		name += " " + byteName(b[2])
	}
	return name
}

func byteName(c byte) string {
	switch {
	case c == ' ':
		return "SP"
	case c == ff:
		return "FF"
	case c == 0x04:
		return "EOT"
	case c == 0x05:
		return "ENQ"
	case c == 0x14:
		return "DC4"
	case c > 0x20 && c < 0x7F:
		return string(rune(c))
	default:
		return fmt.Sprintf("0x%02X", c)
	}
}

// fixed describes commands whose length is the command bytes plus a fixed parameter count.
type fixedLen struct {
	kind   Kind
	params int
}

var escFixed = map[byte]fixedLen{
	' ':  {KindCharSpacing, 1},
	'!':  {KindPrintMode, 1},
	'$':  {KindAbsPos, 2},
	'%':  {KindIgnored, 1}, // user-defined character set on/off
	'-':  {KindUnderline, 1},
	'2':  {KindLineSpacingDefault, 0},
	'3':  {KindLineSpacing, 1},
	'4':  {KindItalic, 1},
	'5':  {KindIgnored, 0}, // cancel italic on some clones
	'<':  {KindIgnored, 0}, // return home
	'=':  {KindPeripheral, 1},
	'?':  {KindIgnored, 1}, // cancel user-defined character
	'@':  {KindInit, 0},
	'B':  {KindIgnored, 2}, // buzzer on Chinese clones: ESC B n t
	'E':  {KindBold, 1},
	'G':  {KindDoubleStrike, 1},
	'J':  {KindFeedDots, 1},
	'K':  {KindReverseFeed, 1},
	'L':  {KindPageMode, 0},
	'M':  {KindFont, 1},
	'R':  {KindIntlCharset, 1},
	'S':  {KindStandardMode, 0},
	'T':  {KindPageDirection, 1},
	'U':  {KindIgnored, 1}, // unidirectional printing
	'V':  {KindRotate, 1},
	'W':  {KindPageArea, 8},
	'\\': {KindRelPos, 2},
	'a':  {KindAlign, 1},
	'c':  {KindIgnored, 2}, // ESC c 3 n, ESC c 4 n, ESC c 5 n: sensors and panel buttons
	'd':  {KindFeedLines, 1},
	'e':  {KindReverseFeed, 1},
	'i':  {KindCutLegacy, 0},
	'm':  {KindCutLegacy, 0},
	'p':  {KindPulse, 3},
	'r':  {KindIgnored, 1}, // print colour
	't':  {KindCodeTable, 1},
	'u':  {KindTransmitPaper, 1},
	'v':  {KindTransmitPaper, 0},
	'{':  {KindUpsideDown, 1},
	ff:   {KindPrintPage, 0},
}

var gsFixed = map[byte]fixedLen{
	'!':  {KindSize, 1},
	'$':  {KindAbsVertPos, 2},
	'/':  {KindPrintImage, 1},
	':':  {KindIgnored, 0}, // macro definition start/end
	'B':  {KindReverse, 1},
	'E':  {KindIgnored, 1}, // print density (some models)
	'H':  {KindHRIPosition, 1},
	'I':  {KindPrinterID, 1},
	'L':  {KindLeftMargin, 2},
	'P':  {KindMotionUnits, 2},
	'T':  {KindIgnored, 1}, // print position to beginning of line
	'W':  {KindAreaWidth, 2},
	'\\': {KindRelVertPos, 2},
	'^':  {KindIgnored, 3}, // execute macro
	'a':  {KindIgnored, 1}, // automatic status back
	'b':  {KindIgnored, 1}, // smoothing
	'c':  {KindIgnored, 0}, // print counter
	'f':  {KindHRIFont, 1},
	'g':  {KindIgnored, 4}, // maintenance counter: GS g 0 m aL aH / GS g 2 m aL aH
	'h':  {KindBarcodeHeight, 1},
	'j':  {KindIgnored, 1}, // automatic status back (ink)
	'r':  {KindTransmitPaper, 1},
	'w':  {KindBarcodeWidth, 1},
	'z':  {KindIgnored, 3}, // online recovery wait time: GS z 0 t1 t2
}

var fsFixed = map[byte]fixedLen{
	'!': {KindKanjiMode, 1},
	'&': {KindChineseOn, 0},
	'-': {KindKanjiUnderline, 1},
	'.': {KindChineseOff, 0},
	'?': {KindIgnored, 2}, // cancel user-defined kanji
	'C': {KindIgnored, 1}, // kanji code system
	'S': {KindKanjiSpacing, 2},
	'W': {KindKanjiQuad, 1},
	'p': {KindIgnored, 2}, // print NV bit image (obsolete)
}

// decode parses one command at the start of b (len(b) > 0). It returns the command, its
// length in bytes, and needMore when b ends inside the command.
func decode(b []byte) (Command, int, result) {
	c0 := b[0]
	switch {
	case c0 >= 0x20:
		n := 1
		for n < len(b) && b[n] >= 0x20 {
			n++
		}
		return Command{Kind: KindText, Name: "text", Data: b[:n:n]}, n, ok
	case c0 == lf:
		return Command{Kind: KindLF, Name: "LF"}, 1, ok
	case c0 == cr:
		return Command{Kind: KindCR, Name: "CR"}, 1, ok
	case c0 == ht:
		return Command{Kind: KindHT, Name: "HT"}, 1, ok
	case c0 == ff:
		return Command{Kind: KindFF, Name: "FF"}, 1, ok
	case c0 == can:
		return Command{Kind: KindCAN, Name: "CAN"}, 1, ok
	case c0 == esc:
		return decodeESC(b)
	case c0 == gs:
		return decodeGS(b)
	case c0 == fs:
		return decodeFS(b)
	case c0 == dle:
		return decodeDLE(b)
	}
	return Command{Kind: KindUnknown, Name: fmt.Sprintf("0x%02X", c0)}, 1, ok
}

func fixedCmd(b []byte, name string, f fixedLen, cmdLen int) (Command, int, result) {
	n := cmdLen + f.params
	if len(b) < n {
		return Command{}, 0, needMore
	}
	return Command{Kind: f.kind, Name: name, Params: b[cmdLen:n:n]}, n, ok
}

// parenCmd handles "X ( fn pL pH d1..dp" commands (ESC (, GS (, FS ().
func parenCmd(b []byte, kind Kind) (Command, int, result) {
	if len(b) < 5 {
		return Command{}, 0, needMore
	}
	name := commandName(b)
	p := int(b[3]) | int(b[4])<<8
	n := 5 + p
	if len(b) < n {
		return Command{}, 0, needMore
	}
	return Command{Kind: kind, Name: name, Params: b[2:5:5], Data: b[5:n:n]}, n, ok
}

func decodeESC(b []byte) (Command, int, result) {
	if len(b) < 2 {
		return Command{}, 0, needMore
	}
	c1 := b[1]
	name := "ESC " + byteName(c1)
	if f, found := escFixed[c1]; found {
		return fixedCmd(b, name, f, 2)
	}
	switch c1 {
	case '(':
		return parenCmd(b, KindIgnored)
	case '*': // ESC * m nL nH d1..dk
		if len(b) < 5 {
			return Command{}, 0, needMore
		}
		m := b[2]
		cols := int(b[3]) | int(b[4])<<8
		k := cols
		if m == 32 || m == 33 {
			k = 3 * cols
		}
		n := 5 + k
		if len(b) < n {
			return Command{}, 0, needMore
		}
		return Command{Kind: KindBitImage, Name: name, Params: b[2:5:5], Data: b[5:n:n]}, n, ok
	case 'D': // ESC D n1..nk NUL, k <= 32
		for i := 2; i < len(b); i++ {
			if b[i] == nul || i-2 == 32 {
				end := i
				if b[i] == nul {
					end = i + 1
				}
				return Command{Kind: KindTabStops, Name: name, Data: b[2:i:i]}, end, ok
			}
		}
		if len(b) >= 2+33 {
			return Command{Kind: KindTabStops, Name: name, Data: b[2:34:34]}, 34, ok
		}
		return Command{}, 0, needMore
	case '&': // ESC & y c1 c2 [x d1..d(y*x)]...
		if len(b) < 5 {
			return Command{}, 0, needMore
		}
		y := int(b[2])
		c1, c2 := int(b[3]), int(b[4])
		i := 5
		if c2 >= c1 {
			for c := c1; c <= c2; c++ {
				if len(b) < i+1 {
					return Command{}, 0, needMore
				}
				x := int(b[i])
				i += 1 + x*y
				if len(b) < i {
					return Command{}, 0, needMore
				}
			}
		}
		return Command{Kind: KindIgnored, Name: name, Params: b[2:5:5], Data: b[5:i:i]}, i, ok
	}
	return Command{Kind: KindUnknown, Name: name}, 2, ok
}

func decodeGS(b []byte) (Command, int, result) {
	if len(b) < 2 {
		return Command{}, 0, needMore
	}
	c1 := b[1]
	name := "GS " + byteName(c1)
	if f, found := gsFixed[c1]; found {
		return fixedCmd(b, name, f, 2)
	}
	switch c1 {
	case '(':
		if len(b) < 3 {
			return Command{}, 0, needMore
		}
		kind := KindIgnored
		switch b[2] {
		case 'L':
			kind = KindGraphics
		case 'k':
			kind = KindSymbol
		}
		return parenCmd(b, kind)
	case '8': // GS 8 L p1 p2 p3 p4 m fn ...
		if len(b) < 7 {
			return Command{}, 0, needMore
		}
		if b[2] != 'L' {
			return Command{Kind: KindUnknown, Name: "GS 8 " + byteName(b[2])}, 3, ok
		}
		p := int64(b[3]) | int64(b[4])<<8 | int64(b[5])<<16 | int64(b[6])<<24
		if int64(len(b)) < 7+p {
			return Command{}, 0, needMore
		}
		n := 7 + int(p)
		// Params holds fn as Params[0] like GS ( L, after the two length bytes.
		return Command{Kind: KindGraphics, Name: "GS 8 L", Params: b[2:7:7], Data: b[7:n:n]}, n, ok
	case 'v': // GS v 0 m xL xH yL yH d
		if len(b) < 8 {
			return Command{}, 0, needMore
		}
		if b[2] != '0' {
			return Command{Kind: KindUnknown, Name: "GS v " + byteName(b[2])}, 3, ok
		}
		x := int(b[4]) | int(b[5])<<8
		y := int(b[6]) | int(b[7])<<8
		n := 8 + x*y
		if len(b) < n {
			return Command{}, 0, needMore
		}
		return Command{Kind: KindRaster, Name: "GS v 0", Params: b[3:8:8], Data: b[8:n:n]}, n, ok
	case 'V': // GS V m, or GS V m n for m in 65, 66, 97, 98, 103, 104
		if len(b) < 3 {
			return Command{}, 0, needMore
		}
		switch b[2] {
		case 65, 66, 97, 98, 103, 104:
			if len(b) < 4 {
				return Command{}, 0, needMore
			}
			return Command{Kind: KindCut, Name: name, Params: b[2:4:4]}, 4, ok
		}
		return Command{Kind: KindCut, Name: name, Params: b[2:3:3]}, 3, ok
	case 'k':
		return decodeBarcode(b)
	case '*': // GS * x y d1..d(x*y*8)
		if len(b) < 4 {
			return Command{}, 0, needMore
		}
		n := 4 + int(b[2])*int(b[3])*8
		if len(b) < n {
			return Command{}, 0, needMore
		}
		return Command{Kind: KindDefineImage, Name: name, Params: b[2:4:4], Data: b[4:n:n]}, n, ok
	case 'C': // counter commands: GS C 0 n m, GS C 1 aL aH bL bH n r, GS C 2 nL nH, GS C ; ...
		if len(b) < 3 {
			return Command{}, 0, needMore
		}
		var f fixedLen
		switch b[2] {
		case '0':
			f = fixedLen{KindIgnored, 2}
		case '1':
			f = fixedLen{KindIgnored, 6}
		case '2':
			f = fixedLen{KindIgnored, 2}
		case ';':
			// GS C ; sa ; sb ; sn ; sr ; sc ; : five numbers, each ended by ';'.
			semis := 0
			for i := 3; i < len(b) && i < 3+64; i++ {
				if b[i] == ';' {
					semis++
					if semis == 5 {
						return Command{Kind: KindIgnored, Name: "GS C ;", Data: b[3:i:i]}, i + 1, ok
					}
				}
			}
			if len(b) >= 3+64 {
				return Command{Kind: KindUnknown, Name: "GS C ;"}, 3, ok
			}
			return Command{}, 0, needMore
		default:
			return Command{Kind: KindUnknown, Name: "GS C " + byteName(b[2])}, 3, ok
		}
		return fixedCmd(b, "GS C "+byteName(b[2]), f, 3)
	}
	return Command{Kind: KindUnknown, Name: name}, 2, ok
}

// decodeBarcode parses GS k m d1..dk NUL (form A, m 0..6) and GS k m n d1..dn (form B).
func decodeBarcode(b []byte) (Command, int, result) {
	if len(b) < 3 {
		return Command{}, 0, needMore
	}
	m := b[2]
	if m <= 6 {
		for i := 3; i < len(b) && i <= 3+maxFormA; i++ {
			if b[i] == nul {
				return Command{Kind: KindBarcode, Name: "GS k", Params: b[2:3:3], Data: b[3:i:i]}, i + 1, ok
			}
		}
		if len(b) > 3+maxFormA {
			// No terminator where one must be: drop the command bytes, print the rest as data.
			return Command{Kind: KindUnknown, Name: "GS k (no NUL)"}, 3, ok
		}
		return Command{}, 0, needMore
	}
	if len(b) < 4 {
		return Command{}, 0, needMore
	}
	n := 4 + int(b[3])
	if len(b) < n {
		return Command{}, 0, needMore
	}
	return Command{Kind: KindBarcode, Name: "GS k", Params: b[2:3:3], Data: b[4:n:n]}, n, ok
}

func decodeFS(b []byte) (Command, int, result) {
	if len(b) < 2 {
		return Command{}, 0, needMore
	}
	c1 := b[1]
	name := "FS " + byteName(c1)
	if f, found := fsFixed[c1]; found {
		return fixedCmd(b, name, f, 2)
	}
	switch c1 {
	case '(':
		return parenCmd(b, KindIgnored)
	case '2': // FS 2 c1 c2 d1..dk: user-defined kanji, 72 bytes
		return fixedCmd(b, name, fixedLen{KindIgnored, 2 + 72}, 2)
	case 'q': // FS q n [xL xH yL yH d1..dk]1..n
		if len(b) < 3 {
			return Command{}, 0, needMore
		}
		i := 3
		for k := 0; k < int(b[2]); k++ {
			if len(b) < i+4 {
				return Command{}, 0, needMore
			}
			x := int(b[i]) | int(b[i+1])<<8
			y := int(b[i+2]) | int(b[i+3])<<8
			i += 4 + x*y*8
			if len(b) < i {
				return Command{}, 0, needMore
			}
		}
		return Command{Kind: KindIgnored, Name: name, Data: b[3:i:i]}, i, ok
	case 'g': // FS g 1 m a1 a2 a3 a4 nL nH d1..dk (write) / FS g 2 m a1..a4 nL nH (read)
		if len(b) < 3 {
			return Command{}, 0, needMore
		}
		switch b[2] {
		case '1':
			if len(b) < 10 {
				return Command{}, 0, needMore
			}
			n := 10 + (int(b[8]) | int(b[9])<<8)
			if len(b) < n {
				return Command{}, 0, needMore
			}
			return Command{Kind: KindIgnored, Name: "FS g 1"}, n, ok
		case '2':
			return fixedCmd(b, "FS g 2", fixedLen{KindIgnored, 7}, 3)
		}
		return Command{Kind: KindUnknown, Name: "FS g " + byteName(b[2])}, 3, ok
	}
	return Command{Kind: KindUnknown, Name: name}, 2, ok
}

func decodeDLE(b []byte) (Command, int, result) {
	if len(b) < 2 {
		return Command{}, 0, needMore
	}
	switch b[1] {
	case 0x04: // DLE EOT n, DLE EOT 7 a, DLE EOT 8 a
		if len(b) < 3 {
			return Command{}, 0, needMore
		}
		if b[2] == 7 || b[2] == 8 {
			return fixedCmd(b, "DLE EOT", fixedLen{KindStatusRequest, 2}, 2)
		}
		return fixedCmd(b, "DLE EOT", fixedLen{KindStatusRequest, 1}, 2)
	case 0x05: // DLE ENQ n
		return fixedCmd(b, "DLE ENQ", fixedLen{KindRealtimeRequest, 1}, 2)
	case 0x14: // DLE DC4 fn ...
		if len(b) < 3 {
			return Command{}, 0, needMore
		}
		params := 2
		switch b[2] {
		case 7:
			params = 1
		case 8:
			params = 7
		}
		return fixedCmd(b, "DLE DC4", fixedLen{KindRealtimeCommand, 1 + params}, 2)
	}
	return Command{Kind: KindUnknown, Name: "DLE " + byteName(b[1])}, 2, ok
}
