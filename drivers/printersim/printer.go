package printersim

import (
	"fmt"
	"image"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Paper widths in dots at 203 dpi.
const (
	Width58mm = 384 // 58 mm paper, 32 columns of Font A
	Width80mm = 576 // 80 mm paper, 48 columns of Font A
)

// Default geometry of an Epson-class printer at 203 dpi.
const (
	defaultLineSpacing = 30  // ESC 2: about 1/6 inch
	defaultBarHeight   = 162 // GS h default
	defaultBarWidth    = 3   // GS w default
	defaultTab         = 8   // HT every 8 Font A columns
	defaultMaxPage     = 40000
	defaultMaxWarnings = 1000
	pageTailPad        = 32 // blank paper added under the last printed row of a page
)

// Config configures a simulated printer.
type Config struct {
	// Width is the printable width in dots: Width58mm (384) or Width80mm (576). 0 means 576.
	Width int
	// Font draws text. When nil, text takes its place on the paper but is not drawn.
	Font *Font
	// ChineseMode is the power-up state of Chinese (GB18030 double-byte) mode; many Chinese
	// printers start in it, Epson's do not. FS & and FS . switch it.
	ChineseMode bool
	// TwoByteGBOnly models the many printers whose Chinese font has only the 2-byte GB18030
	// codes: a 4-byte code (81 30 89 38 for ß, Extension A/B hanzi) then prints as two
	// unknown characters, with a warning. False: 4-byte codes print (a GB18030-2005 font).
	TwoByteGBOnly bool
	// Status is the initial printer condition.
	Status Status
	// MaxPageHeight bounds one page in dots (0 means 40000, 5 m of paper); content beyond
	// it is dropped with a warning.
	MaxPageHeight int
	// MaxWarnings bounds the warnings kept (0 means 1000); further ones are counted.
	MaxWarnings int
	// OnPage receives each finished page. When nil the pages are kept; see TakePages.
	// It runs with the printer locked and must not call the Printer's methods.
	OnPage func(*Page)
	// OnWarning, when set, also receives each warning as it happens (same rule as OnPage).
	OnWarning func(Warning)
}

// Cut says how a page ended.
type Cut int

// The ways a page ends.
const (
	CutNone    Cut = iota // end of the stream, no cut
	CutFull               // full cut
	CutPartial            // partial cut (one point left uncut)
)

// String returns "none", "full" or "partial".
func (c Cut) String() string {
	switch c {
	case CutFull:
		return "full"
	case CutPartial:
		return "partial"
	}
	return "none"
}

// Page is the paper between two cuts.
type Page struct {
	Index   int               // page number, from 0, since the printer was created
	Image   *image.Paletted   // the printed paper: Width dots wide, index 1 is ink
	Cut     Cut               // how the page ended
	Lines   []string          // text lines printed, decoded, in order
	Boxes   []image.Rectangle // Boxes[i] is where Lines[i] was printed
	Symbols []Symbol          // QR codes and barcodes printed, in order
}

// Symbol is a QR code or barcode the printer drew.
type Symbol struct {
	Type string          // "QR" or a barcode system such as "CODE128", "EAN13"
	Data string          // the encoded data (for barcodes, the human-readable text)
	Rect image.Rectangle // where on the page it was drawn
}

// Printer is a simulated ESC/POS printer: it parses the byte stream incrementally, keeps
// the print settings, draws pages and answers status requests. It is safe for concurrent
// use (SetStatus from a test while a server goroutine feeds bytes).
type Printer struct {
	mu       sync.Mutex
	cfg      Config
	parser   Parser
	status   Status
	st       settings
	line     lineBuf
	paper    canvas
	y        int // feed position on the current page
	fed      bool
	lines    []string
	boxes    []image.Rectangle
	symbols  []Symbol
	pages    []*Page
	pageNo   int
	warnings []Warning
	lost     int // warnings not kept
	pendText []byte
	dropped  int // bytes discarded while the printer was not ready
	overrun  bool
	gfx      *bitmap            // GS ( L graphics print buffer
	nvGfx    map[string]*bitmap // NV and download graphics by key code
	dlImage  *bitmap            // GS * downloaded bit image
	warned   map[string]bool    // warnings given once per printer
	pm       pageMode
}

// settings are the print settings ESC @ resets.
type settings struct {
	fontB        bool
	bold         bool
	doubleStrike bool
	underline    int
	italic       bool
	wMul, hMul   int
	reverse      bool
	upsideDown   bool
	align        int
	leftMargin   int
	areaWidth    int
	lineSpacing  int
	charSpacing  int
	codeTable    int
	intl         int
	chinese      bool
	kanjiDW      bool
	kanjiDH      bool
	kanjiUL      int
	kanjiLeft    int
	kanjiRight   int
	tabs         []int // tab stops in dots from the start of the print area
	barHeight    int
	barWidth     int
	hriPos       int
	hriFontB     bool
	qrModel      int
	qrSize       int
	qrEC         byte
	qrData       []byte
	pdf          pdf417Settings
}

type elem struct {
	x  int
	bm *bitmap
}

// lineBuf is the print buffer of the current line.
type lineBuf struct {
	elems      []elem
	x          int // next print position from the start of the print area
	height     int
	align      int
	left       int
	area       int
	text       []rune
	started    bool
	upsideDown bool
}

// New returns a printer in its power-up state.
func New(cfg Config) *Printer {
	if cfg.Width <= 0 {
		cfg.Width = Width80mm
	}
	if cfg.MaxPageHeight <= 0 {
		cfg.MaxPageHeight = defaultMaxPage
	}
	if cfg.MaxWarnings <= 0 {
		cfg.MaxWarnings = defaultMaxWarnings
	}
	p := &Printer{cfg: cfg, status: cfg.Status, nvGfx: map[string]*bitmap{}}
	p.paper.w = cfg.Width
	p.reset()
	return p
}

// reset restores the settings of ESC @ and clears the line buffer.
func (p *Printer) reset() {
	p.st = settings{
		wMul: 1, hMul: 1,
		areaWidth:   p.cfg.Width,
		lineSpacing: defaultLineSpacing,
		chinese:     p.cfg.ChineseMode,
		barHeight:   defaultBarHeight,
		barWidth:    defaultBarWidth,
		qrModel:     50,
		qrSize:      3,
		qrEC:        48,
		pdf:         defaultPDF417(),
	}
	p.line = lineBuf{}
	p.pendText = nil
	p.gfx = nil
	p.pm = pageMode{}
}

// Width returns the paper width in dots.
func (p *Printer) Width() int { return p.cfg.Width }

// SetStatus changes the printer condition; DLE EOT replies follow it at once.
func (p *Printer) SetStatus(s Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = s
}

// Status returns the printer condition.
func (p *Printer) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// Write feeds stream bytes to the printer, discarding any status replies. It never fails.
func (p *Printer) Write(b []byte) (int, error) {
	p.Process(b)
	return len(b), nil
}

// Process feeds stream bytes to the printer and returns the bytes the printer sends back
// (answers to DLE EOT, GS r, GS I and the like), in order.
func (p *Printer) Process(b []byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	var reply []byte
	for _, c := range p.parser.Feed(b) {
		reply = p.exec(c, reply)
	}
	return reply
}

// End finishes the stream: an incomplete command at the end is reported, a line without
// its LF is printed, and the paper since the last cut becomes a page (CutNone). The printer
// keeps its settings and can take another stream.
func (p *Printer) End() {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmds := p.parser.End()
	for len(cmds) > 0 {
		c := cmds[0]
		cmds = cmds[1:]
		if c.Kind == KindTruncated {
			if img, rest, ok := splitTruncatedGraphics(c.Raw); ok {
				// The declared graphics length runs past the end of the stream, yet a
				// "print graphics" command follows within it: the length was wrong.
				// Print the data up to there and carry on with the rest.
				p.warn(c.Offset, fmt.Sprintf("%s declares more data than the stream holds; image ends at the next print-graphics command", c.Name))
				img.Offset = c.Offset
				p.exec(img, nil)
				p.parser.off = c.Offset + int64(len(c.Raw)-len(rest))
				cmds = append(p.parser.Feed(rest), p.parser.End()...)
				continue
			}
		}
		p.exec(c, nil)
	}
	if len(p.pendText) > 0 {
		p.warn(-1, "stream ended inside a multi-byte character")
		p.pendText = nil
	}
	p.pmEnd()
	if p.line.started {
		p.warn(-1, "last line has no LF; printed anyway")
		p.printLine(0, true)
	}
	p.finishPage(CutNone)
	if p.dropped > 0 {
		p.warn(-1, fmt.Sprintf("printer not ready (%s): %d bytes not printed", p.status, p.dropped))
		p.dropped = 0
	}
}

// TakePages returns the pages finished since the last call (when Config.OnPage is nil).
func (p *Printer) TakePages() []*Page {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.pages
	p.pages = nil
	return out
}

// Warnings returns the warnings so far: unknown or truncated commands, unprintable data.
func (p *Printer) Warnings() []Warning {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]Warning(nil), p.warnings...)
	if p.lost > 0 {
		out = append(out, Warning{Offset: -1, Msg: fmt.Sprintf("%d more warnings not kept", p.lost)})
	}
	return out
}

// warnOnce warns about key only the first time.
func (p *Printer) warnOnce(key string, off int64, msg string) {
	if p.warned == nil {
		p.warned = map[string]bool{}
	}
	if p.warned[key] {
		return
	}
	p.warned[key] = true
	p.warn(off, msg)
}

func (p *Printer) warn(off int64, msg string) {
	if p.cfg.OnWarning != nil {
		p.cfg.OnWarning(Warning{Offset: off, Msg: msg})
	}
	if len(p.warnings) >= p.cfg.MaxWarnings {
		p.lost++
		return
	}
	p.warnings = append(p.warnings, Warning{Offset: off, Msg: msg})
}

// arg reads an n parameter that may also be sent as an ASCII digit ('0' = 0, '1' = 1 ...).
func arg(b byte) int {
	if b >= '0' && b <= '9' {
		return int(b - '0')
	}
	return int(b)
}

func u16(lo, hi byte) int { return int(lo) | int(hi)<<8 }

// printing reports whether the command kind puts something on paper (or moves it).
func printing(k Kind) bool {
	switch k {
	case KindText, KindLF, KindHT, KindFF, KindFeedLines, KindFeedDots, KindBitImage,
		KindCut, KindCutLegacy, KindRaster, KindBarcode, KindPrintImage, KindPrintPage:
		return true
	}
	return false
}

// exec carries out one command and appends any reply to reply.
func (p *Printer) exec(c Command, reply []byte) []byte {
	if !p.status.Ready() && printing(c.Kind) {
		p.dropped += len(c.Raw)
		return reply
	}
	if p.dropped > 0 && p.status.Ready() {
		p.warn(c.Offset, fmt.Sprintf("printer was not ready: %d bytes not printed", p.dropped))
		p.dropped = 0
	}
	if c.Kind != KindText && len(p.pendText) > 0 {
		p.warn(c.Offset, "incomplete multi-byte character dropped")
		p.pendText = nil
	}
	if p.pageCommand(c) {
		return reply
	}
	prm := c.Params
	switch c.Kind {
	case KindUnknown:
		p.warn(c.Offset, fmt.Sprintf("unknown command %s skipped", c.Name))
	case KindTruncated:
		p.warn(c.Offset, fmt.Sprintf("stream ends inside %s (%d bytes); dropped", c.Name, len(c.Raw)))
	case KindIgnored, KindCR:
	case KindText:
		p.text(c.Data)
	case KindLF:
		p.printLine(p.st.lineSpacing, false)
	case KindHT:
		p.tab()
	case KindInit:
		p.reset()
	case KindPrintMode:
		n := prm[0]
		p.st.fontB = n&0x01 != 0
		p.st.bold = n&0x08 != 0
		p.st.hMul = 1 + int(n>>4&1)
		p.st.wMul = 1 + int(n>>5&1)
		p.st.underline = int(n >> 7)
	case KindUnderline:
		p.st.underline = min(arg(prm[0]), 2)
	case KindBold:
		p.st.bold = prm[0]&1 != 0
	case KindDoubleStrike:
		p.st.doubleStrike = prm[0]&1 != 0
	case KindItalic:
		p.st.italic = prm[0]&1 != 0
	case KindFont:
		p.st.fontB = arg(prm[0])%2 == 1
	case KindAlign:
		if a := arg(prm[0]); a <= 2 {
			p.st.align = a
		}
	case KindFeedLines:
		n := int(prm[0])
		if n == 0 {
			p.printLine(0, true)
		} else {
			p.printLine(p.st.lineSpacing, false)
			p.feed((n - 1) * p.st.lineSpacing)
		}
	case KindFeedDots:
		p.printLine(int(prm[0]), true)
	case KindReverseFeed:
		p.warn(c.Offset, fmt.Sprintf("%s (reverse feed) ignored", c.Name))
	case KindLineSpacingDefault:
		p.st.lineSpacing = defaultLineSpacing
	case KindLineSpacing:
		p.st.lineSpacing = int(prm[0])
	case KindCharSpacing:
		p.st.charSpacing = int(prm[0])
	case KindCodeTable:
		p.st.codeTable = int(prm[0])
		if codeTable(p.st.codeTable) == nil && p.st.codeTable != katakanaTable {
			p.warnOnce(fmt.Sprint("table", p.st.codeTable), c.Offset, fmt.Sprintf("code table %d not simulated; using PC437", p.st.codeTable))
		}
	case KindIntlCharset:
		p.st.intl = int(prm[0])
	case KindAbsPos:
		if x := u16(prm[0], prm[1]); x < p.areaWidth() {
			p.line.x = x
		}
	case KindRelPos:
		x := p.line.x + int(int16(u16(prm[0], prm[1])))
		if x >= 0 && x < p.areaWidth() {
			p.line.x = x
		}
	case KindTabStops:
		p.setTabs(c.Data)
	case KindUpsideDown:
		p.st.upsideDown = prm[0]&1 != 0
	case KindRotate:
		if arg(prm[0]) != 0 {
			p.warn(c.Offset, "90° rotated printing not simulated")
		}
	case KindBitImage:
		p.bitImage(c)
	case KindPulse, KindPeripheral:
	case KindCutLegacy, KindCut:
		if p.pm.on {
			p.warn(c.Offset, c.Name+" in page mode ignored")
			break
		}
		p.cutCommand(c)
	case KindTransmitPaper:
		reply = p.transmitStatus(c, reply)
	case KindSize:
		n := prm[0]
		p.st.wMul = min(int(n>>4&7)+1, 8)
		p.st.hMul = min(int(n&7)+1, 8)
	case KindReverse:
		p.st.reverse = prm[0]&1 != 0
	case KindLeftMargin:
		p.st.leftMargin = min(u16(prm[0], prm[1]), p.cfg.Width-1)
	case KindAreaWidth:
		p.st.areaWidth = u16(prm[0], prm[1])
	case KindRaster:
		p.raster(c)
	case KindGraphics:
		p.graphics(c)
	case KindSymbol:
		p.symbol(c)
	case KindBarcode:
		p.barcode(c)
	case KindBarcodeHeight:
		if n := int(prm[0]); n > 0 {
			p.st.barHeight = n
		}
	case KindBarcodeWidth:
		if n := int(prm[0]); n >= 1 && n <= 6 {
			p.st.barWidth = n
		} else if n >= 68 && n <= 76 {
			p.st.barWidth = n - 66 // TM-series extended values 68..76 (0.5 dot steps, rounded)
		}
	case KindHRIPosition:
		p.st.hriPos = arg(prm[0]) & 3
	case KindHRIFont:
		p.st.hriFontB = arg(prm[0])%2 == 1
	case KindDefineImage:
		x, y := int(prm[0]), int(prm[1])
		p.dlImage = columnImage(c.Data, x*8, y*8)
	case KindPrintImage:
		if p.dlImage == nil {
			p.warn(c.Offset, "GS / with no downloaded bit image")
			break
		}
		m := arg(prm[0])
		p.block(p.dlImage.scaled(1+m&1, 1+m>>1&1))
	case KindPrinterID:
		reply = p.printerID(prm[0], reply)
	case KindChineseOn:
		p.st.chinese = true
	case KindChineseOff:
		p.st.chinese = false
	case KindKanjiMode:
		n := prm[0]
		p.st.kanjiDW = n&0x04 != 0
		p.st.kanjiDH = n&0x08 != 0
		p.st.kanjiUL = int(n >> 7)
	case KindKanjiUnderline:
		p.st.kanjiUL = min(arg(prm[0]), 2)
	case KindKanjiQuad:
		q := prm[0]&1 != 0
		p.st.kanjiDW, p.st.kanjiDH = q, q
	case KindKanjiSpacing:
		p.st.kanjiLeft, p.st.kanjiRight = int(prm[0]), int(prm[1])
	case KindStatusRequest:
		if b, ok := p.status.Reply(prm[0]); ok {
			reply = append(reply, b)
		} else {
			p.warn(c.Offset, fmt.Sprintf("DLE EOT %d not answered", prm[0]))
		}
	case KindRealtimeRequest:
		if prm[0] == 2 { // recover from error and restart
			p.status.CutterError, p.status.AutoRecoverable = false, false
		}
	case KindRealtimeCommand:
		if len(prm) > 0 && prm[0] == 8 { // clear buffers
			p.line = lineBuf{}
		}
	}
	return reply
}

// transmitStatus answers GS r n, ESC v and ESC u n.
func (p *Printer) transmitStatus(c Command, reply []byte) []byte {
	s := p.status
	switch c.Name {
	case "GS r":
		switch arg(c.Params[0]) {
		case 1: // paper sensor: bits 0-1 near end, bits 2-3 paper end
			return append(reply, bit(s.PaperNearEnd, 0)|bit(s.PaperNearEnd, 1)|bit(s.PaperOut, 2)|bit(s.PaperOut, 3))
		case 2: // drawer kick-out connector
			return append(reply, bit(s.DrawerOpen, 0))
		}
	case "ESC v":
		return append(reply, bit(s.PaperNearEnd, 0)|bit(s.PaperNearEnd, 1)|bit(s.PaperOut, 2)|bit(s.PaperOut, 3))
	case "ESC u":
		return append(reply, bit(s.DrawerOpen, 0))
	}
	return reply
}

// printerID answers GS I n with the identity of a generic 80 mm printer with Chinese fonts.
func (p *Printer) printerID(n byte, reply []byte) []byte {
	switch arg(n) {
	case 1:
		return append(reply, 0x20) // printer model ID
	case 2:
		return append(reply, 0x02) // type ID: multi-byte characters supported
	case 3:
		return append(reply, 0x64) // firmware version ID
	}
	var s string
	switch n {
	case 65:
		s = "1.00 printersim"
	case 66:
		s = "printersim"
	case 67:
		s = fmt.Sprintf("printersim-%d", p.cfg.Width)
	case 68:
		s = "00000001"
	case 69:
		s = "CHINA GB18030"
	default:
		return reply
	}
	reply = append(reply, 0x5F)
	reply = append(reply, s...)
	return append(reply, 0)
}

// areaWidth is the width of the print area given left margin and GS W.
func (p *Printer) areaWidth() int {
	w := min(p.st.areaWidth, p.cfg.Width-p.st.leftMargin)
	return max(w, 1)
}

// startLine captures the line's layout settings when its first element arrives.
func (p *Printer) startLine() {
	if p.line.started {
		return
	}
	p.line.started = true
	p.line.align = p.st.align
	p.line.left = p.st.leftMargin
	p.line.area = p.areaWidth()
	p.line.upsideDown = p.st.upsideDown
	if p.pm.on {
		p.line.left = 0
		p.line.area, _ = p.pmFrame()
	}
}

// add places a bitmap of w dots in the line buffer, printing the line first when it does
// not fit.
func (p *Printer) add(bm *bitmap, r rune) {
	p.startLine()
	if p.line.x+bm.w > p.line.area && len(p.line.elems) > 0 {
		p.printLine(p.st.lineSpacing, false)
		p.startLine()
	}
	p.line.elems = append(p.line.elems, elem{x: p.line.x, bm: bm})
	p.line.x += bm.w
	p.line.height = max(p.line.height, bm.h)
	if r != 0 {
		p.line.text = append(p.line.text, r)
	}
}

// printLine prints the line buffer and feeds the paper: by max(spacing, line height), or
// by exactly spacing dots after the line when exact is set (ESC J n, ESC d 0).
func (p *Printer) printLine(spacing int, exact bool) {
	l := p.line
	p.line = lineBuf{}
	if p.pm.on {
		if l.started && len(l.elems) > 0 {
			p.lines = append(p.lines, strings.TrimRight(string(l.text), " "))
			p.boxes = append(p.boxes, image.Rectangle{}) // placed in the page buffer
			p.pmLine(l, spacing, exact)
		} else {
			p.pm.y += spacing
		}
		return
	}
	if !l.started || len(l.elems) == 0 {
		if l.started && l.x > 0 {
			// Only spaces moved by HT/ESC $: still a line of text height.
			p.lines = append(p.lines, "")
			p.boxes = append(p.boxes, image.Rectangle{})
		}
		p.feed(spacing)
		return
	}
	width := l.x
	off := l.left
	switch l.align {
	case 1:
		off += max((l.area-width)/2, 0)
	case 2:
		off += max(l.area-width, 0)
	}
	limit := l.left + l.area
	if l.upsideDown {
		// ESC { 1: the line is turned 180° within the print area.
		strip := newBitmap(p.cfg.Width, l.height)
		for _, e := range l.elems {
			blitInto(strip, e.bm, off+e.x, l.height-e.bm.h)
		}
		turned := newBitmap(p.cfg.Width, l.height)
		for y := 0; y < l.height; y++ {
			for x := l.left; x < limit; x++ {
				if strip.pix[y*strip.w+x] != 0 {
					turned.set(l.left+limit-1-x, l.height-1-y)
				}
			}
		}
		p.draw(turned, 0, p.y)
		off = l.left + limit - off - width
	} else {
		for _, e := range l.elems {
			bm := e.bm
			if off+e.x+bm.w > limit {
				bm = crop(bm, limit-off-e.x)
			}
			p.draw(bm, off+e.x, p.y+l.height-e.bm.h)
		}
	}
	p.lines = append(p.lines, strings.TrimRight(string(l.text), " "))
	p.boxes = append(p.boxes, image.Rect(off, p.y, off+width, p.y+l.height))
	if exact {
		p.feed(l.height + spacing)
	} else {
		p.feed(max(spacing, l.height))
	}
}

// crop returns the left w columns of bm.
func crop(bm *bitmap, w int) *bitmap {
	w = max(w, 0)
	out := newBitmap(w, bm.h)
	for y := 0; y < bm.h; y++ {
		copy(out.pix[y*w:(y+1)*w], bm.pix[y*bm.w:y*bm.w+w])
	}
	return out
}

// draw puts bm on the paper at (x, y), within the page length limit.
func (p *Printer) draw(bm *bitmap, x, y int) {
	if y+bm.h > p.cfg.MaxPageHeight && !p.overrun {
		p.overrun = true
		p.warn(-1, fmt.Sprintf("page longer than %d dots; the rest is dropped", p.cfg.MaxPageHeight))
	}
	p.paper.blit(bm, x, y, p.cfg.MaxPageHeight)
	p.fed = true
}

// feed advances the paper by n dots.
func (p *Printer) feed(n int) {
	if n <= 0 {
		return
	}
	p.y = min(p.y+n, p.cfg.MaxPageHeight)
	p.fed = true
}

// block prints an image, barcode or QR code on its own, aligned as set, and leaves the
// print position at the start of the next line.
func (p *Printer) block(bm *bitmap) (x, y int) {
	if p.pm.on {
		return p.pmBlock(bm)
	}
	if p.line.started {
		p.printLine(p.st.lineSpacing, false)
	}
	area := p.areaWidth()
	x = p.st.leftMargin
	switch p.st.align {
	case 1:
		x += max((area-bm.w)/2, 0)
	case 2:
		x += max(area-bm.w, 0)
	}
	if bm.w > area {
		bm = crop(bm, area)
	}
	y = p.y
	p.draw(bm, x, y)
	p.feed(bm.h)
	return x, y
}

// cut ends the page after feeding n dots.
func (p *Printer) cut(c Cut, n int) {
	if p.line.started {
		p.printLine(p.st.lineSpacing, false)
	}
	p.feed(n)
	p.finishPage(c)
}

// finishPage turns the paper fed since the last cut into a Page (nothing when no paper moved).
func (p *Printer) finishPage(c Cut) {
	if !p.fed {
		return
	}
	h := min(max(p.y, p.paper.rows)+pageTailPad, p.cfg.MaxPageHeight+pageTailPad)
	p.paper.ensure(h)
	bm := &bitmap{w: p.paper.w, h: h, pix: p.paper.pix[:h*p.paper.w]}
	page := &Page{Index: p.pageNo, Image: bm.paletted(), Cut: c, Lines: p.lines, Boxes: p.boxes, Symbols: p.symbols}
	p.pageNo++
	p.paper = canvas{w: p.cfg.Width}
	p.y, p.fed, p.lines, p.boxes, p.symbols, p.overrun = 0, false, nil, nil, nil, false
	if p.cfg.OnPage != nil {
		p.cfg.OnPage(page)
	} else {
		p.pages = append(p.pages, page)
	}
}

// tab moves to the next horizontal tab stop (every 8 Font A columns unless ESC D set them).
func (p *Printer) tab() {
	p.startLine()
	stops := p.st.tabs
	if stops == nil {
		for x := defaultTab * 12; x < p.line.area; x += defaultTab * 12 {
			if x > p.line.x {
				p.line.x = x
				return
			}
		}
		return
	}
	for _, x := range stops {
		if x > p.line.x && x < p.line.area {
			p.line.x = x
			return
		}
	}
}

// setTabs handles ESC D: column numbers in units of the current character width.
func (p *Printer) setTabs(cols []byte) {
	cw := 12
	if p.st.fontB {
		cw = 9
	}
	cw = cw*p.st.wMul + p.st.charSpacing
	stops := []int{}
	last := 0
	for _, c := range cols {
		if int(c) <= last {
			break
		}
		last = int(c)
		stops = append(stops, int(c)*cw)
	}
	p.st.tabs = stops
}

// text decodes printable bytes (GB18030 in Chinese mode, else the code table) and puts the
// characters in the line buffer.
func (p *Printer) text(data []byte) {
	if len(p.pendText) > 0 {
		data = append(p.pendText, data...)
		p.pendText = nil
	}
	for i := 0; i < len(data); {
		b := data[i]
		if p.st.chinese && b >= 0x81 && b <= 0xFE {
			if i+1 >= len(data) {
				p.pendText = append([]byte(nil), data[i:]...)
				return
			}
			n := 2
			if b2 := data[i+1]; b2 >= 0x30 && b2 <= 0x39 {
				n = 4
			}
			if i+n > len(data) {
				p.pendText = append([]byte(nil), data[i:]...)
				return
			}
			if n == 4 && p.cfg.TwoByteGBOnly {
				p.warnOnce("gb4", -1, fmt.Sprintf("4-byte GB18030 code % X on a printer with a 2-byte font: printed as two unknown characters", data[i:i+n]))
				p.char(utf8.RuneError, true)
				p.char(utf8.RuneError, true)
				i += n
				continue
			}
			r := decodeGB(data[i : i+n])
			p.char(r, true)
			i += n
			continue
		}
		p.char(p.singleByte(b), false)
		i++
	}
}

// decodeGB decodes one GB18030 character, or returns U+FFFD.
func decodeGB(b []byte) rune {
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return utf8.RuneError
	}
	r, _ := utf8.DecodeRune(out)
	return r
}

// singleByte maps a one-byte character through the international set and code table.
func (p *Printer) singleByte(b byte) rune {
	if b < 0x80 {
		if r, ok := intlChar(p.st.intl, b); ok {
			return r
		}
		return rune(b)
	}
	if p.st.codeTable == katakanaTable {
		return katakana(b)
	}
	cm := codeTable(p.st.codeTable)
	if cm == nil {
		cm = charmap.CodePage437
	}
	return cm.DecodeByte(b)
}

// char draws one character cell into the line buffer.
func (p *Printer) char(r rune, wide bool) {
	cw, ch := 12, 24
	if p.st.fontB && !wide {
		cw, ch = 9, 17
	}
	if wide {
		cw = 24
	}
	wm, hm := p.st.wMul, p.st.hMul
	ul := p.st.underline
	left, right := 0, p.st.charSpacing*wm
	if wide {
		if p.st.kanjiDW {
			wm = max(wm, 2)
		}
		if p.st.kanjiDH {
			hm = max(hm, 2)
		}
		ul = max(ul, p.st.kanjiUL)
		left, right = p.st.kanjiLeft*wm, p.st.kanjiRight*wm
	}
	var g *bitmap
	if p.cfg.Font != nil && r != ' ' {
		var found bool
		g, found = p.cfg.Font.glyph(r, cw, ch, false)
		if !found && r != utf8.RuneError {
			p.warnOnce(fmt.Sprint("glyph", r), -1, fmt.Sprintf("no glyph for %q (U+%04X) in %s", r, r, p.cfg.Font.Family))
		}
	}
	if g == nil {
		g = newBitmap(cw, ch)
	}
	if p.st.bold || p.st.doubleStrike {
		g = emphasize(g)
	}
	if p.st.italic {
		g = slant(g)
	}
	g = g.scaled(wm, hm)
	cell := newBitmap(left+g.w+right, g.h)
	for y := 0; y < g.h; y++ {
		copy(cell.pix[y*cell.w+left:y*cell.w+left+g.w], g.pix[y*g.w:(y+1)*g.w])
	}
	if ul > 0 {
		cell.fill(0, cell.h-ul, cell.w, cell.h, 1)
	}
	if p.st.reverse {
		for i, v := range cell.pix {
			cell.pix[i] = 1 - v
		}
	}
	p.add(cell, r)
}

// emphasize makes strokes one dot wider, as emphasized mode prints each dot twice.
func emphasize(g *bitmap) *bitmap {
	out := newBitmap(g.w, g.h)
	for y := 0; y < g.h; y++ {
		row := g.pix[y*g.w : (y+1)*g.w]
		dst := out.pix[y*g.w : (y+1)*g.w]
		for x, v := range row {
			if v != 0 {
				dst[x] = 1
				if x+1 < g.w {
					dst[x+1] = 1
				}
			}
		}
	}
	return out
}

// slant shears the glyph to the right by one dot every four rows (italic).
func slant(g *bitmap) *bitmap {
	out := newBitmap(g.w, g.h)
	for y := 0; y < g.h; y++ {
		s := (g.h - 1 - y) / 4
		for x := 0; x < g.w; x++ {
			if g.pix[y*g.w+x] != 0 && x+s < g.w {
				out.pix[y*g.w+x+s] = 1
			}
		}
	}
	return out
}

// katakanaTable is ESC t 1: Epson's Katakana page.
const katakanaTable = 1

// katakanaGraphics are the block and box graphics of Epson's Katakana page at 80–9F and
// E0–FF (from Epson's character code table, page 1).
const katakanaGraphics = "▁▂▃▄▅▆▇█▏▎▍▌▋▊▉┼┴┬┤├▔─│▕┌┐└┘╭╮╰╯" +
	"═╞╪╡◢◣◥◤♠♥♦♣●○╱╲╳円年月日時分秒〒市区町村人▓ "

// katakana maps an upper-half byte of code table 1: A1–DF are JIS X 0201 half-width
// katakana, decoded as the single-byte part of Shift JIS; A0 is a space.
func katakana(b byte) rune {
	switch {
	case b == 0xA0:
		return ' '
	case b >= 0xA1 && b <= 0xDF:
		out, err := japanese.ShiftJIS.NewDecoder().Bytes([]byte{b})
		if r, _ := utf8.DecodeRune(out); err == nil && r != utf8.RuneError {
			return r
		}
		return utf8.RuneError
	case b >= 0xE0:
		return []rune(katakanaGraphics)[32+int(b-0xE0)]
	}
	return []rune(katakanaGraphics)[b-0x80]
}

// codeTable returns the character map for ESC t n, nil when not simulated.
func codeTable(n int) *charmap.Charmap {
	switch n {
	case 0:
		return charmap.CodePage437
	case 2:
		return charmap.CodePage850
	case 3:
		return charmap.CodePage860
	case 4:
		return charmap.CodePage863
	case 5:
		return charmap.CodePage865
	case 15:
		return charmap.ISO8859_7
	case 16:
		return charmap.Windows1252
	case 17:
		return charmap.CodePage866
	case 18:
		return charmap.CodePage852
	case 19:
		return charmap.CodePage858
	case 34:
		return charmap.CodePage855
	case 36:
		return charmap.CodePage862
	case 39:
		return charmap.ISO8859_2
	case 40:
		return charmap.ISO8859_15
	case 45:
		return charmap.Windows1250
	case 46:
		return charmap.Windows1251
	case 47:
		return charmap.Windows1253
	case 48:
		return charmap.Windows1254
	case 49:
		return charmap.Windows1255
	case 50:
		return charmap.Windows1256
	case 51:
		return charmap.Windows1257
	case 52:
		return charmap.Windows1258
	}
	return nil
}

// intlSets holds the replacements of ESC R n for the bytes in intlBytes.
const intlBytes = "#$@[\\]^`{|}~"

var intlSets = map[int]string{
	1:  "#$à°ç§^`éùè¨",  // France
	2:  "#$§ÄÖÜ^`äöüß",  // Germany
	3:  "£$@[\\]^`{|}~", // UK
	4:  "#$@ÆØÅ^`æøå~",  // Denmark I
	5:  "#¤ÉÄÖÅÜéäöåü",  // Sweden
	6:  "#$@°\\é^ùàòèì", // Italy
	7:  "₧$@¡Ñ¿^`¨ñ}~",  // Spain I
	8:  "#$@[¥]^`{|}~",  // Japan
	9:  "#¤ÉÆØÅÜéæøåü",  // Norway
	10: "#$ÉÆØÅÜéæøåü",  // Denmark II
	11: "#$á¡Ñ¿é`íñóú",  // Spain II
	12: "#$á¡Ñ¿éüíñóú",  // Latin America
	13: "#$@[₩]^`{|}~",  // Korea
	15: "#¥@[\\]^`{|}~", // China
}

// intlChar maps b through the international character set n.
func intlChar(n int, b byte) (rune, bool) {
	set, ok := intlSets[n]
	if !ok {
		return 0, false
	}
	i := strings.IndexByte(intlBytes, b)
	if i < 0 {
		return 0, false
	}
	return []rune(set)[i], true
}

// cutCommand handles GS V m [n] and the legacy ESC i / ESC m.
func (p *Printer) cutCommand(c Command) {
	cut, feed := CutFull, 0
	switch {
	case c.Name == "ESC m":
		cut = CutPartial
	case c.Kind == KindCut:
		if m := c.Params[0]; m%2 == 1 {
			cut = CutPartial // 1, '1' (49), 65+1, 97+1, 103+1
		}
		if len(c.Params) > 1 {
			feed = int(c.Params[1])
		}
	}
	p.cut(cut, feed)
}
