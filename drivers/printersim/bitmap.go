package printersim

import (
	"image"
	"image/color"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// bitmap is a 1-bit image, one byte per dot: 1 is ink (black), 0 is paper.
type bitmap struct {
	w, h int
	pix  []uint8
}

func newBitmap(w, h int) *bitmap {
	if w < 0 {
		w = 0
	}
	if h < 0 {
		h = 0
	}
	return &bitmap{w: w, h: h, pix: make([]uint8, w*h)}
}

func (b *bitmap) set(x, y int) {
	if x >= 0 && y >= 0 && x < b.w && y < b.h {
		b.pix[y*b.w+x] = 1
	}
}

// fill sets the rectangle [x0,x1)×[y0,y1) to v.
func (b *bitmap) fill(x0, y0, x1, y1 int, v uint8) {
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, b.w), min(y1, b.h)
	for y := y0; y < y1; y++ {
		row := b.pix[y*b.w : (y+1)*b.w]
		for x := x0; x < x1; x++ {
			row[x] = v
		}
	}
}

// scaled returns b magnified sx×sy by repeating dots, as a printer enlarges characters.
func (b *bitmap) scaled(sx, sy int) *bitmap {
	if sx == 1 && sy == 1 {
		out := newBitmap(b.w, b.h)
		copy(out.pix, b.pix)
		return out
	}
	out := newBitmap(b.w*sx, b.h*sy)
	for y := 0; y < b.h; y++ {
		src := b.pix[y*b.w : (y+1)*b.w]
		dst := out.pix[y*sy*out.w : (y*sy+1)*out.w]
		for x, v := range src {
			if v != 0 {
				for k := 0; k < sx; k++ {
					dst[x*sx+k] = 1
				}
			}
		}
		for k := 1; k < sy; k++ {
			copy(out.pix[(y*sy+k)*out.w:(y*sy+k+1)*out.w], dst)
		}
	}
	return out
}

// gray converts b to a grayscale image (black ink on white paper).
func (b *bitmap) gray() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, b.w, b.h))
	for i, v := range b.pix {
		if v == 0 {
			g.Pix[i] = 0xFF
		}
	}
	return g
}

// palette is the two colours of thermal paper: index 0 paper, index 1 ink.
var palette = color.Palette{color.Gray{Y: 0xFF}, color.Gray{Y: 0x00}}

// paletted wraps b's dots as a paletted image without copying.
func (b *bitmap) paletted() *image.Paletted {
	return &image.Paletted{Pix: b.pix, Stride: b.w, Rect: image.Rect(0, 0, b.w, b.h), Palette: palette}
}

// drawSegments rasterizes glyph outline segments into dst with the origin at (ox, oy).
func drawSegments(dst *image.Alpha, segs sfnt.Segments, ox, oy fixed.Int26_6) {
	r := vector.NewRasterizer(dst.Bounds().Dx(), dst.Bounds().Dy())
	pt := func(p fixed.Point26_6) (float32, float32) {
		return float32(p.X+ox) / 64, float32(p.Y+oy) / 64
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			r.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			r.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			r.QuadTo(x1, y1, x2, y2)
		case sfnt.SegmentOpCubeTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			x3, y3 := pt(s.Args[2])
			r.CubeTo(x1, y1, x2, y2, x3, y3)
		}
	}
	r.ClosePath()
	r.Draw(dst, dst.Bounds(), image.Opaque, image.Point{})
}

// canvas is the paper of one page: a fixed width and a height that grows as the paper feeds.
type canvas struct {
	w    int
	rows int // allocated rows (ink lies only in these)
	pix  []uint8
}

// ensure allocates rows up to h (bounded by the caller).
func (c *canvas) ensure(h int) {
	if h <= c.rows {
		return
	}
	need := h * c.w
	if need > cap(c.pix) {
		n := make([]uint8, need, max(need, 2*cap(c.pix)))
		copy(n, c.pix)
		c.pix = n
	} else {
		c.pix = c.pix[:need]
	}
	c.rows = h
}

// blit ORs the bitmap b onto the canvas at (x, y), clipped to the canvas width and to
// maxRows rows.
func (c *canvas) blit(b *bitmap, x, y, maxRows int) {
	y1 := min(y+b.h, maxRows)
	if y1 <= y || x >= c.w || x+b.w <= 0 {
		return
	}
	c.ensure(y1)
	for sy := 0; sy < y1-y; sy++ {
		if y+sy < 0 {
			continue
		}
		src := b.pix[sy*b.w : (sy+1)*b.w]
		dst := c.pix[(y+sy)*c.w : (y+sy+1)*c.w]
		for sx, v := range src {
			if v != 0 {
				if dx := x + sx; dx >= 0 && dx < c.w {
					dst[dx] = 1
				}
			}
		}
	}
}
