package printersim

import (
	"image"
)

// pageMode is the state of ESC L page mode: text and images are laid out in a print area
// at absolute positions and printed together by FF or ESC FF.
//
// Positions follow the Epson TM convention: the horizontal motion unit is one dot and the
// vertical one is half a dot (GS P changes it), so GS $, GS \ and the y values of ESC W
// count half dots. Characters and images are placed with their bottom edge on the current
// vertical position; a line or image that would stick out above the area is moved down.
type pageMode struct {
	on     bool
	area   image.Rectangle // print area on the page canvas, in dots
	dir    int             // ESC T: 0 left→right, 1 bottom→top, 2 right→left, 3 top→bottom
	y      int             // vertical position in the direction's frame, in dots
	canvas *bitmap         // the page, paper width × area bottom; nil until drawn on
	vnum   int             // vertical motion unit as a fraction of a dot: vnum/vden
	vden   int
}

// defaultPageHeight is the print area height after ESC L when ESC W is not sent, in dots.
const defaultPageHeight = 831

func (p *Printer) pmEnter() {
	if p.pm.on {
		return
	}
	if p.line.started {
		p.printLine(p.st.lineSpacing, false)
	}
	vnum, vden := p.pm.vnum, p.pm.vden
	if vden == 0 {
		vnum, vden = 1, 2
	}
	p.pm = pageMode{on: true, area: image.Rect(0, 0, p.cfg.Width, min(defaultPageHeight, p.cfg.MaxPageHeight)),
		vnum: vnum, vden: vden}
	p.line = lineBuf{}
}

// vdots converts vertical motion units to dots.
func (p *Printer) vdots(n int) int {
	return n * p.pm.vnum / p.pm.vden
}

// pmFrame is the width and height of the print area seen in the print direction.
func (p *Printer) pmFrame() (w, h int) {
	a := p.pm.area
	if p.pm.dir == 1 || p.pm.dir == 3 {
		return a.Dy(), a.Dx()
	}
	return a.Dx(), a.Dy()
}

// pmSetArea handles ESC W xL xH yL yH dxL dxH dyL dyH.
func (p *Printer) pmSetArea(prm []byte) {
	x, y := u16(prm[0], prm[1]), p.vdots(u16(prm[2], prm[3]))
	dx, dy := u16(prm[4], prm[5]), p.vdots(u16(prm[6], prm[7]))
	if dx == 0 || dy == 0 || x >= p.cfg.Width {
		return
	}
	r := image.Rect(x, y, min(x+dx, p.cfg.Width), min(y+dy, p.cfg.MaxPageHeight))
	if r.Empty() {
		return
	}
	p.pm.area = r
	p.pm.y = 0
	p.line = lineBuf{}
}

// pmFlushLine places characters waiting in the line buffer at the current position
// without moving it, before an absolute or relative vertical move.
func (p *Printer) pmFlushLine() {
	if !p.line.started || len(p.line.elems) == 0 {
		return
	}
	x := p.line.x
	y := p.pm.y
	p.printLine(0, true)
	p.pm.y = y
	p.line.x = x
}

// pmLine draws a line in the page buffer and advances the vertical position.
func (p *Printer) pmLine(l lineBuf, spacing int, exact bool) {
	if p.pm.y < l.height {
		p.pm.y = l.height
	}
	fw, _ := p.pmFrame()
	off := 0
	switch l.align {
	case 1:
		off = max((fw-l.x)/2, 0)
	case 2:
		off = max(fw-l.x, 0)
	}
	for _, e := range l.elems {
		p.pmPlace(e.bm, off+e.x, p.pm.y-e.bm.h)
	}
	if exact {
		p.pm.y += spacing
	} else {
		p.pm.y += max(spacing, l.height)
	}
}

// pmBlock draws an image, QR code or barcode with its bottom at the current position and
// its left at the horizontal position (ESC $); the position does not move.
func (p *Printer) pmBlock(bm *bitmap) (int, int) {
	x := p.line.x
	if p.line.started && len(p.line.elems) > 0 {
		p.pmFlushLine()
	}
	if p.pm.y < bm.h {
		p.pm.y = bm.h // like a first line, the image is moved down into the area
	}
	p.pmPlace(bm, x, p.pm.y-bm.h)
	return p.pm.area.Min.X + x, p.pm.area.Min.Y + p.pm.y - bm.h
}

// pmPlace draws bm with its top-left at (fx, fy) of the direction's frame, clipped to the
// print area.
func (p *Printer) pmPlace(bm *bitmap, fx, fy int) {
	a := p.pm.area
	if p.pm.canvas == nil {
		p.pm.canvas = newBitmap(p.cfg.Width, a.Max.Y)
	} else if p.pm.canvas.h < a.Max.Y {
		grown := newBitmap(p.cfg.Width, a.Max.Y)
		copy(grown.pix, p.pm.canvas.pix)
		p.pm.canvas = grown
	}
	c := p.pm.canvas
	for y := 0; y < bm.h; y++ {
		for x := 0; x < bm.w; x++ {
			if bm.pix[y*bm.w+x] == 0 {
				continue
			}
			u, v := fx+x, fy+y
			var cx, cy int
			switch p.pm.dir {
			case 1:
				cx, cy = a.Min.X+v, a.Max.Y-1-u
			case 2:
				cx, cy = a.Max.X-1-u, a.Max.Y-1-v
			case 3:
				cx, cy = a.Max.X-1-v, a.Min.Y+u
			default:
				cx, cy = a.Min.X+u, a.Min.Y+v
			}
			if image.Pt(cx, cy).In(a) {
				c.pix[cy*c.w+cx] = 1
			}
		}
	}
}

// pmPrint prints the page buffer (FF, ESC FF) onto the paper and clears it.
func (p *Printer) pmPrint() {
	if p.line.started {
		p.pmFlushLine()
	}
	c := p.pm.canvas
	p.pm.canvas = nil
	p.pm.y = 0
	p.line = lineBuf{}
	if c == nil {
		return
	}
	h := min(c.h, p.pm.area.Max.Y)
	out := &bitmap{w: c.w, h: h, pix: c.pix[:h*c.w]}
	p.draw(out, 0, p.y)
	p.feed(h)
}

// pageCommand handles the page mode commands; it reports false for other kinds.
func (p *Printer) pageCommand(c Command) bool {
	prm := c.Params
	switch c.Kind {
	case KindPageMode:
		p.pmEnter()
	case KindStandardMode:
		if p.pm.on {
			if p.pm.canvas != nil {
				p.warn(c.Offset, "ESC S: page mode data discarded")
			}
			p.pm.on, p.pm.canvas = false, nil
			p.line = lineBuf{}
		}
	case KindPageArea:
		if p.pm.on {
			p.pmSetArea(prm)
		}
	case KindPageDirection:
		if p.pm.on {
			p.pmFlushLine()
			p.pm.dir = arg(prm[0]) & 3
			p.pm.y = 0
			p.line = lineBuf{}
		}
	case KindAbsVertPos:
		if p.pm.on {
			p.pmFlushLine()
			p.pm.y = p.vdots(u16(prm[0], prm[1]))
		}
	case KindRelVertPos:
		if p.pm.on {
			p.pmFlushLine()
			p.pm.y += p.vdots(int(int16(u16(prm[0], prm[1]))))
		}
	case KindFF:
		if p.pm.on {
			p.pmPrint()
			p.pm.on = false
		} else if p.line.started {
			p.printLine(p.st.lineSpacing, false)
		}
	case KindPrintPage:
		if p.pm.on {
			p.pmPrint()
		}
	case KindCAN:
		p.line = lineBuf{}
		if p.pm.on {
			p.pm.canvas = nil
		}
	case KindMotionUnits:
		if y := int(prm[1]); y > 0 {
			// Dots per unit = 203/y; kept as a fraction, reduced to the common cases.
			p.pm.vnum, p.pm.vden = 203, y
			if y == 360 || y == 406 {
				p.pm.vnum, p.pm.vden = 1, 2
			}
		} else {
			p.pm.vnum, p.pm.vden = 1, 2
		}
	default:
		return false
	}
	return true
}

// pmEnd prints page mode data left at the end of the stream.
func (p *Printer) pmEnd() {
	if p.pm.on && (p.pm.canvas != nil || p.line.started) {
		p.warn(-1, "stream ended in page mode without FF; page data printed anyway")
		p.pmPrint()
	}
	p.pm.on = false
}
