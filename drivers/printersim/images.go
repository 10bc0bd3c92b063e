package printersim

import (
	"bytes"
	"fmt"
)

// printGraphics is GS ( L pL=2 pH=0 m=48 followed by fn 2 or 50: print the graphics buffer.
var printGraphics = []byte{gs, '(', 'L', 2, 0, '0'}

// splitTruncatedGraphics recovers from a graphics store command (GS ( L / GS 8 L fn 112)
// whose declared length runs past the end of the stream although a print-graphics command
// follows inside it (thermal-retail.bin has one). It returns the store command with its data
// cut there (zero-padded to the declared size) and the bytes from the print command on.
func splitTruncatedGraphics(raw []byte) (Command, []byte, bool) {
	hdr, total := 0, 0
	switch {
	case len(raw) >= 7 && raw[0] == gs && raw[1] == '(' && raw[2] == 'L':
		hdr, total = 5, 5+u16(raw[3], raw[4])
	case len(raw) >= 9 && raw[0] == gs && raw[1] == '8' && raw[2] == 'L':
		hdr = 7
		total = 7 + int(int64(raw[3])|int64(raw[4])<<8|int64(raw[5])<<16|int64(raw[6])<<24)
	default:
		return Command{}, nil, false
	}
	if raw[hdr+1] != 112 || total-len(raw) > 1<<22 {
		return Command{}, nil, false
	}
	for from := hdr + 2; ; {
		i := bytes.Index(raw[from:], printGraphics)
		if i < 0 {
			return Command{}, nil, false
		}
		at := from + i
		if at+6 < len(raw) && (raw[at+6] == 2 || raw[at+6] == 50) {
			padded := make([]byte, total)
			copy(padded, raw[:at])
			c, n, r := decode(padded)
			if r != ok || n != total {
				return Command{}, nil, false
			}
			return c, raw[at:], true
		}
		from = at + 1
	}
}

// rasterImage decodes row-major 1-bit data, bytesPerRow bytes per row, MSB leftmost.
// Missing data (a short payload) is left blank.
func rasterImage(data []byte, bytesPerRow, rows int) *bitmap {
	bm := newBitmap(bytesPerRow*8, rows)
	for y := 0; y < rows; y++ {
		for bx := 0; bx < bytesPerRow; bx++ {
			i := y*bytesPerRow + bx
			if i >= len(data) {
				return bm
			}
			v := data[i]
			if v == 0 {
				continue
			}
			row := bm.pix[y*bm.w+bx*8 : y*bm.w+bx*8+8]
			for k := 0; k < 8; k++ {
				if v&(0x80>>k) != 0 {
					row[k] = 1
				}
			}
		}
	}
	return bm
}

// columnImage decodes column-major data: each column is h/8 bytes from top to bottom,
// MSB topmost (the format of ESC *, GS * and column graphics).
func columnImage(data []byte, w, h int) *bitmap {
	bm := newBitmap(w, h)
	per := (h + 7) / 8
	for x := 0; x < w; x++ {
		for k := 0; k < per; k++ {
			i := x*per + k
			if i >= len(data) {
				return bm
			}
			v := data[i]
			for b := 0; b < 8; b++ {
				if v&(0x80>>b) != 0 {
					bm.set(x, k*8+b)
				}
			}
		}
	}
	return bm
}

// raster prints GS v 0 m xL xH yL yH d1..dk.
func (p *Printer) raster(c Command) {
	m := arg(c.Params[0])
	x := u16(c.Params[1], c.Params[2])
	y := u16(c.Params[3], c.Params[4])
	bpr := min(x, (p.cfg.Width+7)/8) // dots beyond the paper are never printed
	data := c.Data
	if bpr < x {
		// Keep only the printable part of each row.
		cut := make([]byte, 0, bpr*y)
		for r := 0; r < y; r++ {
			cut = append(cut, data[r*x:r*x+bpr]...)
		}
		data = cut
	}
	bm := rasterImage(data, bpr, y)
	p.block(bm.scaled(1+m&1, 1+m>>1&1))
}

// bitImage puts an ESC * m nL nH image in the line buffer. Single density doubles each dot
// horizontally; 8-dot modes print each dot three rows high.
func (p *Printer) bitImage(c Command) {
	m := c.Params[0]
	cols := u16(c.Params[1], c.Params[2])
	if cols > p.cfg.Width {
		cols = p.cfg.Width
	}
	var bm *bitmap
	switch m {
	case 0, 1:
		bm = columnImage(c.Data, cols, 8).scaled(2-int(m), 3)
	case 32, 33:
		bm = columnImage(c.Data, cols, 24).scaled(2-int(m-32), 1)
	default:
		p.warn(c.Offset, fmt.Sprintf("ESC * mode %d not supported", m))
		return
	}
	p.add(bm, 0)
}

// graphics handles GS ( L and GS 8 L: store raster/column graphics in the print buffer,
// print it, and define/print NV and download graphics by key code.
func (p *Printer) graphics(c Command) {
	// Params: for GS ( L, "L pL pH"; for GS 8 L, "L p1 p2 p3 p4". Data starts with m fn.
	d := c.Data
	if len(d) < 2 {
		p.warn(c.Offset, c.Name+" without function")
		return
	}
	fn := d[1]
	switch fn {
	case 0, 48, 3, 51, 4, 52, 64, 80: // capacity and key-code queries
		p.warn(c.Offset, fmt.Sprintf("%s function %d (query) not answered", c.Name, fn))
	case 1, 49: // select graphics dot density
	case 2, 50: // print the graphics print buffer
		if p.gfx == nil {
			p.warn(c.Offset, c.Name+" print with empty graphics buffer")
			return
		}
		p.block(p.gfx)
		p.gfx = nil
	case 112, 113: // store graphics data in the print buffer: a bx by c xL xH yL yH d
		bm, ok := p.graphicsData(c, d[2:], fn == 113, false)
		if ok {
			p.gfx = overlay(p.gfx, bm)
		}
	case 67, 68, 83, 84: // define NV (C, D) or download (S, T) graphics: a kc1 kc2 b xL xH yL yH [c d]
		if len(d) < 11 {
			p.warn(c.Offset, c.Name+" define graphics: short header")
			return
		}
		key := string([]byte{fn &^ 0x10, d[3], d[4]}) // NV and download share a namespace here
		bm, ok := p.graphicsData(c, d[2:], fn == 68 || fn == 84, true)
		if ok {
			p.nvGfx[key[1:]] = bm
		}
	case 69, 85: // print NV (E) or download (U) graphics: kc1 kc2 x y
		if len(d) < 6 {
			p.warn(c.Offset, c.Name+" print graphics: short parameters")
			return
		}
		bm, ok := p.nvGfx[string(d[2:4])]
		if !ok {
			p.warn(c.Offset, fmt.Sprintf("%s: no graphics defined with key code %q", c.Name, d[2:4]))
			return
		}
		p.block(bm.scaled(max(1, min(int(d[4]), 2)), max(1, min(int(d[5]), 2))))
	case 65, 66, 81, 82: // delete graphics
		p.nvGfx = map[string]*bitmap{}
	default:
		p.warn(c.Offset, fmt.Sprintf("%s function %d not supported", c.Name, fn))
	}
}

// graphicsData decodes the image of a store/define function. d starts at a (tone).
// For define functions (keyed) the header is a kc1 kc2 b xL xH yL yH [c d]..., for store it
// is a bx by c xL xH yL yH d.
func (p *Printer) graphicsData(c Command, d []byte, column, keyed bool) (*bitmap, bool) {
	var sx, sy, w, h int
	var data []byte
	if keyed {
		if len(d) < 9 {
			return nil, false
		}
		w, h = u16(d[4], d[5]), u16(d[6], d[7])
		sx, sy = 1, 1
		data = d[9:] // skip colour byte c of the first plane
	} else {
		if len(d) < 8 {
			p.warn(c.Offset, c.Name+" store graphics: short header")
			return nil, false
		}
		sx, sy = max(1, min(int(d[1]), 2)), max(1, min(int(d[2]), 2))
		if d[0] == 52 && d[3] != 49 {
			return nil, false // multi-tone planes other than the first: ink only from plane 1
		}
		w, h = u16(d[4], d[5]), u16(d[6], d[7])
		data = d[8:]
	}
	if w == 0 || h == 0 {
		return nil, false
	}
	var bm *bitmap
	if column {
		bm = columnImage(data, min(w, p.cfg.Width), h)
	} else {
		bpr := (w + 7) / 8
		rows := min(h, len(data)/max(bpr, 1)+1)
		if bpr*8 > p.cfg.Width {
			// Only the printable columns matter; re-pack rows.
			keep := (p.cfg.Width + 7) / 8
			cut := make([]byte, 0, keep*rows)
			for r := 0; r < rows && r*bpr < len(data); r++ {
				end := min(r*bpr+keep, len(data))
				row := make([]byte, keep)
				copy(row, data[r*bpr:end])
				cut = append(cut, row...)
			}
			data, bpr = cut, keep
		}
		bm = rasterImage(data, bpr, rows)
		if w < bm.w {
			bm = crop(bm, w)
		}
		if rows < h {
			p.warn(c.Offset, fmt.Sprintf("%s: graphics data short (%d of %d rows)", c.Name, rows, h))
		}
	}
	return bm.scaled(sx, sy), true
}

// overlay ORs b onto a (growing it), for multi-plane graphics; a may be nil.
func overlay(a, b *bitmap) *bitmap {
	if a == nil {
		return b
	}
	out := newBitmap(max(a.w, b.w), max(a.h, b.h))
	for _, s := range []*bitmap{a, b} {
		for y := 0; y < s.h; y++ {
			for x := 0; x < s.w; x++ {
				if s.pix[y*s.w+x] != 0 {
					out.pix[y*out.w+x] = 1
				}
			}
		}
	}
	return out
}
